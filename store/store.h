/* store.h — dipr's one storage interface.
 *
 * Three stores, three levels of trust (Sunlight):
 *   - the latest signed checkpoint: small, updated only by compare-and-swap,
 *     the one thing a reader trusts (store_checkpoint_*);
 *   - the tree (tiles) and the entries: durable, appended in one
 *     transaction per batch (store_append);
 *   - caches (the full-tile cache in log/): may be lost at any time.
 * Accounts and tokens live here too.
 *
 * The SQLite implementation is the embedded default; a PostgreSQL one can
 * sit behind the same operations.  A dipr_store is used by one thread at a
 * time; the server gives each thread its own (store_open is cheap). */
#ifndef DIPR_STORE_H
#define DIPR_STORE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "dipr/dipr.h"
#include "dipr/merkle.h"

typedef struct dipr_store dipr_store;

/* A tile to write: level >= 0 for hash tiles.  data holds width*32 bytes. */
typedef struct {
	dipr_tile_id id;
	const uint8_t *data;
} dipr_store_tile;

/* Evidence metadata kept beside the log (not in it). */
typedef struct {
	uint64_t index;
	int64_t account;
	const uint8_t *meta; /* canonical JSON or NULL */
	size_t meta_len;
} dipr_store_evidence;

typedef struct {
	int64_t id;
	char name[128];
	char role[16];
} dipr_account;

/* Opens (creating if `create`) the database file. */
int dipr_store_open(dipr_store **out, const char *path, int create);
void dipr_store_close(dipr_store *s);

/* Sets/gets configuration values (origin, tree_hash, ...). */
int dipr_store_meta_set(dipr_store *s, const char *key, const char *value);
int dipr_store_meta_get(dipr_store *s, const char *key, char *out, size_t cap);

/* Durable tree size (entries committed). */
int dipr_store_tree_size(dipr_store *s, uint64_t *size);

/* One transaction: entries [first, first+n) (must equal the current tree
 * size), the tiles, evidence rows, new tree size; committed with fsync
 * before returning 0.  On any failure nothing is visible. */
int dipr_store_append(dipr_store *s, uint64_t first, const dipr_bytes *entries, size_t n,
		      const dipr_store_tile *tiles, size_t ntiles,
		      const dipr_store_evidence *ev, size_t nev);

/* Transactions for work that must commit together with a batch (the
 * registry's jobs, log/log.h): dipr_store_begin opens one that the next
 * dipr_store_append joins and commits (with the same single fsync).
 * Inside it, a job brackets its own writes with dipr_store_savepoint and
 * then dipr_store_release (keep) or dipr_store_rollback_to (undo them
 * alone).  dipr_store_rollback abandons the whole transaction. */
int dipr_store_begin(dipr_store *s);
int dipr_store_savepoint(dipr_store *s);
int dipr_store_release(dipr_store *s);
int dipr_store_rollback_to(dipr_store *s);
void dipr_store_rollback(dipr_store *s);

/* Reads a hash tile's stored data (the widest stored version).  *width is
 * set to the stored width; out must hold 256*32 bytes. DIPR_ENOTFOUND if
 * none stored. */
int dipr_store_tile_read(dipr_store *s, int level, uint64_t index, uint8_t *out, unsigned *width);

/* Appends entries [first, first+n) to out as a tlog-tiles entry bundle
 * (u16 big-endian length || bytes each). DIPR_ENOTFOUND if any is missing. */
int dipr_store_entries_bundle(dipr_store *s, uint64_t first, size_t n, dipr_buf *out);
/* One entry's bytes. */
int dipr_store_entry(dipr_store *s, uint64_t index, dipr_buf *out);

/* The latest signed checkpoint: note bytes and its size.
 * DIPR_ENOTFOUND before the first one. */
int dipr_store_checkpoint_get(dipr_store *s, dipr_buf *note, uint64_t *size);
/* Replaces the checkpoint only if the stored one is exactly old_note
 * (old_note NULL: only if none is stored) and not larger than new_size;
 * DIPR_ECONFLICT if another writer got there first.
 * durable: fsync before returning.  Not durable: written and ordered after
 * every earlier commit (WAL), so a crash can only lose it together with
 * nothing else, and it becomes durable with the next durable commit. */
int dipr_store_checkpoint_cas(dipr_store *s, const uint8_t *old_note, size_t old_len,
			      uint64_t new_size, const uint8_t *note, size_t len, bool durable);

/* PRAGMA synchronous of the connection (2 = FULL; tests pin it). */
int dipr_store_sync_level(dipr_store *s);

/* Accounts and tokens.  Tokens are stored as SHA-256 of the token. */
int dipr_store_account_add(dipr_store *s, const char *name, const char *role, int64_t *id);
int dipr_store_account_get(dipr_store *s, const char *name, dipr_account *a);
int dipr_store_token_add(dipr_store *s, int64_t account, const uint8_t hash[32]);
int dipr_store_token_lookup(dipr_store *s, const uint8_t hash[32], dipr_account *a);

/* Evidence metadata owner (account id) for an entry; DIPR_ENOTFOUND if none. */
int dipr_store_evidence_account(dipr_store *s, uint64_t index, int64_t *account);

/* ---- passwords and sessions (store/accounts.c) ---- */
/* Tables password and session; created by dipr init, and on first use in a
 * data directory made before they existed.  Times in session are unix
 * milliseconds. */
#include "dipr/password.h"

/* Sets the account's password hash (a string from dipr_password_hash,
 * shorter than DIPR_PASSWORD_HASH_MAX), inserting or replacing it.
 * It also ends every session of the account, in the same transaction
 * (a savepoint, so it joins one opened by dipr_store_begin or
 * dipr_store_savepoint): a reset after a compromise must log the intruder
 * out.
 * Returns 0; DIPR_EINVAL for a string that is not a "$..." hash or too
 * long; DIPR_ENOTFOUND if no account has that id. */
int dipr_store_password_set(dipr_store *s, int64_t account, const char *hash);
/* Looks up account by name: fills *a and copies the stored hash, NUL-
 * terminated, into hash (cap bytes; DIPR_PASSWORD_HASH_MAX is enough).
 * DIPR_ENOTFOUND if no such account or no password set (the same code, so
 * a caller cannot leak which); DIPR_ERANGE if cap is too small. */
int dipr_store_password_get(dipr_store *s, const char *name, dipr_account *a, char *hash, size_t cap);

/* Sessions for the portal (cookie login): stored as SHA-256 of the session
 * token, with the SHA-256 of its CSRF secret and an expiry (unix ms), so
 * the database never holds a usable cookie.
 * Adds one; DIPR_ENOTFOUND if no account has that id, DIPR_ECONFLICT if
 * token_hash is already stored. */
int dipr_store_session_add(dipr_store *s, int64_t account, const uint8_t token_hash[32],
			   const uint8_t csrf_hash[32], int64_t expires_ms);
/* A valid session (expires_ms > now_ms, not deleted): fills *a and
 * csrf_hash.  DIPR_ENOTFOUND otherwise. */
int dipr_store_session_lookup(dipr_store *s, const uint8_t token_hash[32], int64_t now_ms, dipr_account *a,
			      uint8_t csrf_hash[32]);
/* Deletes one session (logout); DIPR_ENOTFOUND if none had that hash. */
int dipr_store_session_delete(dipr_store *s, const uint8_t token_hash[32]);
/* Removes sessions expired at now_ms (expires_ms <= now_ms, the ones
 * lookup already refuses). */
int dipr_store_session_purge(dipr_store *s, int64_t now_ms);

#endif
