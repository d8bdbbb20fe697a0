/* node.h — where a data directory's database is, and the one-sequencer
 * rule when several nodes share a PostgreSQL database (docs/POSTGRES.md §3).
 * On SQLite there is one node: it is always the sequencer. */
#ifndef DIPR_STORE_NODE_H
#define DIPR_STORE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

/* The database of data directory dir: the conninfo in dir/db.conf, else
 * dir/dipr.db (DIPR_ENOTFOUND if neither). */
int dipr_store_target(const char *dir, char *out, size_t cap);
/* Writes dir/db.conf (0600, fsync, rename) naming a PostgreSQL conninfo. */
int dipr_store_target_write(const char *dir, const char *conninfo);
bool dipr_store_target_is_pg(const char *target);
/* target for messages: a conninfo's password replaced by "***"; out. */
const char *dipr_store_target_show(const char *target, char *out, size_t cap);
/* Holds dir/serve.lock exclusively (flock) until *fd is closed: one dipr
 * serve per data directory, and no migrate under a running server.
 * DIPR_ECONFLICT if another process holds it. */
int dipr_dir_lock(const char *dir, int *fd);
bool dipr_store_is_pg(dipr_store *s);

/* Tries to become the sequencer of the log named origin: a PostgreSQL
 * session advisory lock held by this connection (so it ends with the
 * session, after the session's open transaction is rolled back).  *got
 * true if this connection holds it.  SQLite: always true. */
int dipr_store_lead_try(dipr_store *s, const char *origin, bool *got);
/* Gives the lock up (after a write failure, so another node can take
 * over). */
int dipr_store_lead_release(dipr_store *s);
/* Records the new sequencer: bumps tree.epoch and writes the sequencer
 * row (node name, URL other nodes forward writes to), durably.  SQLite:
 * nothing to record, *epoch 0. */
int dipr_store_lead_record(dipr_store *s, const char *node, const char *url, uint64_t *epoch);
/* A round trip to the database (PostgreSQL; 0 on SQLite): the sequencer's
 * liveness check while idle. */
int dipr_store_ping(dipr_store *s);
/* The connection is gone (PostgreSQL: server restart, terminated
 * session); reopen the store.  Never on SQLite. */
bool dipr_store_broken(dipr_store *s);
/* The current sequencer's URL and epoch; DIPR_ENOTFOUND if none recorded. */
int dipr_store_lead_get(dipr_store *s, char *url, size_t cap, uint64_t *epoch);

#endif
