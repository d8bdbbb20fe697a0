/* verify.h — tamper evidence for a data directory, online snapshots and
 * restore (docs/RELIABILITY.md).
 *
 * What is checked, table by table (dipr_verify_dir):
 *   - the file itself: PRAGMA integrity_check;
 *   - entry, tile, tree: every leaf hash recomputed from the entries, every
 *     stored tile compared with the recomputed one, entries canonical JSON;
 *   - checkpoint: signed by this log's keys (the key files in keys/, else
 *     the vkeys in meta), its root equal to the recomputed root at its size;
 *   - evidence: meta_hash of the logged entry = SM3(salt || JCS(meta)) of
 *     the stored row, rows only for evidence entries; account by row MAC;
 *   - event: each row's entry is a registration entry naming the same
 *     event and application, with body_hash = SM3(body); every registration
 *     entry has its row;
 *   - cert: each row's entry is the certificate entry of the stored body
 *     (cert_hash, certno, regno); every certificate entry has its row;
 *   - every other table dipr keeps (meta, account, token, password, session,
 *     app, app_digest, objection, cert, counter, audit): a MAC per row,
 *     HMAC-SHA256 under keys/seal.key, kept by triggers in the same
 *     transaction as the write ("seals"), and a MAC over each table's set
 *     of row MACs, so a deleted row is caught too.  Evidence rows are
 *     sealed per batch (one MAC over the rows a batch added, made when the
 *     tree size moves), which costs one statement per batch, not per row.
 *
 * Not covered: going back to an older copy of the whole directory (rows and
 * seals together): that is what witnesses and --expect-checkpoint are for;
 * tables dipr does not know (reported as notes); anything by someone who
 * can read keys/ (they can sign checkpoints too).
 *
 * The seal key is a secret like the log keys: it is not in the database
 * and not in backups.  A directory made before seals existed is sealed at
 * its first dipr serve (its rows are trusted then: trust on first use). */
#ifndef DIPR_STORE_VERIFY_H
#define DIPR_STORE_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/note.h"
#include "store/store.h"

#define DIPR_SEAL_KEY_FILE "keys/seal.key"

/* Registers the seal functions on a new connection (dipr_store_open calls
 * it): with the key from <directory of dbpath>/keys/seal.key if there is
 * one.  Without a readable key, or when the schema holds a trigger or view
 * dipr did not make (which could use the key as an oracle), the functions
 * fail every sealed write with an error naming why.  Never fails the open. */
int dipr__seal_attach(dipr_store *s, const char *dbpath);

/* PostgreSQL: the data directory of target (a conninfo), whose
 * keys/seal.key seals the writes of every connection this process opens
 * to it from now on (dipr__seal_attach).  Called where a directory and its
 * conninfo meet: dipr_store_target, dipr_store_target_write, the start-up
 * check and dipr_seal_install.  A connection opened without one cannot
 * write sealed tables (its COMMIT is refused, saying so).  Thread-safe. */
void dipr_store_seal_dir(const char *target, const char *dir);

/* PostgreSQL: the batch seal of evidence rows [lo, hi) (SQLite's
 * seal_evidence trigger), written in the batch's transaction by
 * dipr_store_append; ev[0..nev) are the batch's rows.  Nothing on SQLite
 * or before the store is sealed. */
int dipr__seal_batch(dipr_store *s, uint64_t lo, uint64_t hi, const dipr_store_evidence *ev, size_t nev);

/* Seals the data directory dir whose database is s, if not yet: creates
 * keys/seal.key (0600), the seal tables and triggers, and seals every row
 * as it stands (trust on first use), in one transaction.  *installed (may
 * be NULL) says whether it did.  Idempotent; finishes an install that a
 * crash interrupted. */
int dipr_seal_install(dipr_store *s, const char *dir, bool *installed);

/* What dipr_verify_dir found, beside its return code. */
typedef struct {
	uint64_t tree_size, cp_size;
	uint8_t root[DIPR_HASH_LEN]; /* recomputed root at cp_size */
	dipr_hash_alg alg;
	uint64_t rows_sealed;        /* rows whose MAC was checked */
	uint64_t evidence_batches;   /* evidence batch seals checked */
	unsigned problems;           /* lines reported */
	bool sealed;                 /* keys/seal.key exists */
	bool have_root_at;           /* root_at is the root at opts.root_at_size */
	uint8_t root_at[DIPR_HASH_LEN];
} dipr_verify_result;

typedef struct {
	FILE *report;       /* one line per problem or note; NULL: none */
	const char *prefix; /* before each line ("audit", "serve") */
	unsigned max_problems; /* stop after this many (0: 20) */
	/* Verifiers for the checkpoint (NULL: from the key files in keys/, else
	 * from the vkeys stored in meta). */
	dipr_verifier *const *vs;
	size_t nvs;
	/* Also compute the root at this size (restore --expect-checkpoint). */
	bool want_root_at;
	uint64_t root_at_size;
} dipr_verify_opts;

/* Checks everything listed at the top of this file.  0 when every check
 * passed; DIPR_EVERIFY when something was changed (the first problem is in
 * dipr_errdetail(), every one on o->report); DIPR_EIO/DIPR_ENOMEM when the
 * checks could not run.  Reads only. */
int dipr_verify_store(dipr_store *s, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r);

/* The same on the database file at path (opened read-only; dir holds the
 * keys).  A file too damaged to open is DIPR_EVERIFY. */
int dipr_verify_path(const char *dbpath, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r);

/* The start-up check of dipr serve (dipr_log_open): dipr_verify_store with
 * the log's verifiers, problems listed on stderr, DIPR_EFORK with the first
 * one if any; then dipr_seal_install (a directory made before seals, or
 * whose init was interrupted). */
int dipr_verify_startup(dipr_store *s, const char *dir, dipr_verifier *const *vs, size_t nvs);

/* ---- snapshots (store/backup.c) ---- */

/* Copies the database at dbpath, consistent as of one moment, to out
 * (written as out.tmp.PID, fsynced, mode 0600, renamed, directory
 * fsynced), while other connections keep writing: SQLite's online backup
 * API over a read transaction (WAL readers do not block the writer).
 * *ms_locked (may be NULL) is how long the read transaction was held. */
int dipr_store_snapshot(const char *dbpath, const char *out, double *ms_locked);
/* The same with VACUUM INTO instead of the backup API when vacuum != 0
 * (a compacted copy; measured against the other in docs/RELIABILITY.md). */
int dipr_store_snapshot_method(const char *dbpath, const char *out, int vacuum, double *ms_locked);

/* Copies the file from to to (temp name, fsync, 0600, rename, fsync dir). */
int dipr_copy_file_durable(const char *from, const char *to);

/* fsync of a directory (after a rename or create in it), for the
 * store's files: 0 or DIPR_EIO naming the directory. */
int dipr__fsync_dir(const char *dir);

#endif
