/* log.h — the evidence log: one sequencer thread running the append cycle
 * in a fixed order (Sunlight):
 *   collect -> compute new tree -> write durably -> sign -> store checkpoint
 *   (compare-and-swap) -> publish -> answer waiters.
 * A batch is whatever queued while the previous cycle ran (group commit),
 * up to DIPR_LOG_BATCH_MAX; so under load one fsync covers many entries,
 * and an idle log answers a lone request without waiting. */
#ifndef DIPR_LOG_H
#define DIPR_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/merkle.h"
#include "dipr/note.h"
#include "store/store.h"

#define DIPR_LOG_BATCH_MAX 4096
#define DIPR_LOG_QUEUE_MAX 65536
#define DIPR_ENTRY_MAX 16384

typedef struct dipr_log dipr_log;

/* The complete nodes inside the right-edge tile of one tile level, as of a
 * checkpoint: for sublevel r (0..7), node j covers tile hashes
 * [j << r, (j + 1) << r); nodes[base[r] + j] for j < count >> r.  Made once
 * per batch by the sequencer, so that every waiter's receipt reads the
 * newest (hottest) part of the tree from memory, already hashed. */
typedef struct {
	uint64_t index;   /* tile index at this level */
	unsigned count;   /* hashes in the tile (0: no partial tile) */
	unsigned base[DIPR_TILE_HEIGHT];
	uint8_t (*nodes)[DIPR_HASH_LEN];
} dipr_cp_edge;

/* An immutable published checkpoint, shared by reference count. */
typedef struct {
	atomic_int refs;
	uint64_t size;
	uint8_t root[DIPR_HASH_LEN];
	dipr_cp_edge edge[DIPR_TILE_MAX_LEVELS]; /* owned; may be all empty */
	size_t len;
	uint8_t note[]; /* the signed note */
} dipr_cp;

/* If node lies in cp's right-edge tiles, its hash. */
bool dipr_cp_node(const dipr_cp *cp, dipr_node_id node, uint8_t out[DIPR_HASH_LEN]);
/* If tile (level >= 0, index, width) is cp's right-edge tile at that level
 * with at least width hashes, copies them. */
bool dipr_cp_tile(const dipr_cp *cp, int level, uint64_t index, unsigned width, uint8_t *out);

void dipr_cp_release(dipr_cp *cp);

typedef struct dipr_log_job dipr_log_job;

/* A submission.  The caller fills entry (all members but "time"; the log
 * takes the reference), account, meta (taken, free()d by the log), done
 * and ctx; then dipr_log_submit.  done(r) runs on the sequencer thread once
 * the entry is durable and a checkpoint covering it is stored (r->rc == 0,
 * r->index, r->entry_bytes, r->cp set and owned by r), or on failure
 * (r->rc < 0).  After done, release with dipr_log_req_clear. */
typedef struct dipr_log_req {
	json_t *entry;
	/* A job instead of an entry (entry NULL): job(r, j) runs on the
	 * sequencer thread inside the batch's open transaction (one commit,
	 * one fsync with the batch), reading and writing the store j->store
	 * and appending entries with dipr_log_job_append.  It returns 0 when
	 * it is done (it has answered in job_ctx, whether it did the work or
	 * refused it; a refusal must have undone its own writes, e.g. with a
	 * savepoint) or a negative code when storage failed, which fails the
	 * whole batch and stops the sequencer like any write failure.  Jobs
	 * run one after another in queue order, so each sees the writes of
	 * those before it: numbering inside a job is serial by construction. */
	int (*job)(struct dipr_log_req *r, dipr_log_job *j);
	void *job_ctx;
	int64_t account;
	uint8_t *meta;
	size_t meta_len;
	void (*done)(struct dipr_log_req *r);
	void *ctx;
	/* results */
	int rc;
	uint64_t index;
	uint8_t *entry_bytes;
	size_t entry_len;
	dipr_cp *cp;
	struct dipr_log_req *next;
	uint64_t pending_until; /* internal: deadline (ms) while waiting for witnesses */
} dipr_log_req;

void dipr_log_req_clear(dipr_log_req *r);

/* What a job sees.  Borrowed for the call. */
struct dipr_log_job {
	dipr_log *log;
	dipr_store *store;  /* the sequencer's connection, transaction open */
	int64_t time_ms;    /* the batch's "time" for every entry it appends */
	uint64_t next_index; /* the index the next appended entry will get */
	/* internal */
	dipr_buf *entries;
	size_t n, cap;
};

/* Sets entry's "time" to j->time_ms, encodes it canonically (at most
 * DIPR_ENTRY_MAX bytes, else DIPR_ERANGE) and queues it for appending if
 * the job returns 0; *index (may be NULL) is the index it will have.
 * entry is borrowed. */
int dipr_log_job_append(dipr_log_job *j, json_t *entry, uint64_t *index);

/* Drops every entry the job appended so far (a job that refuses after
 * appending). */
void dipr_log_job_discard(dipr_log_job *j);

/* Signs msg with each of the log's keys (Ed25519 then SM2), for
 * certificates: signers and their count.  Thread-safe. */
dipr_signer *const *dipr_log_signers(dipr_log *l, size_t *n);

typedef struct {
	atomic_ullong batches, entries, commit_ns, sign_ns, failures;
	atomic_ullong queue_depth, rejected_full;
} dipr_log_stats;

/* Opens the data directory: database, keys, configuration; checks that the
 * stored tree matches the stored signed checkpoint (DIPR_EFORK if not, with
 * a detail naming what differs) and, if the tree is ahead of it (a crash
 * between commit and checkpoint), signs and stores the checkpoint. */
int dipr_log_open(dipr_log **out, const char *dir);
/* The same with the database given (a postgres:// conninfo overriding the
 * directory's db.conf, e.g. another host of the same cluster; NULL: the
 * directory's own). */
int dipr_log_open_db(dipr_log **out, const char *dir, const char *db);
int dipr_log_start(dipr_log *l);            /* starts the sequencer thread */

/* Witnesses (log/witness.h), set before dipr_log_start; the log takes w
 * (frees it, even on failure).  From then on a checkpoint is stored and
 * published only with the quorum of cosignatures, appended after the
 * log's own signature lines.  A batch whose checkpoint misses the quorum
 * stays durable; its waiters wait up to wait_ms for a later cosigned
 * checkpoint (the sequencer retries about once a second when idle), then
 * get rc DIPR_EQUORUM (dipr_witnesses_ok has the detail). */
typedef struct dipr_witnesses dipr_witnesses;
int dipr_log_witnesses_take(dipr_log *l, dipr_witnesses *w, unsigned wait_ms);
/* Borrowed, NULL without witnesses. */
dipr_witnesses *dipr_log_witnesses(dipr_log *l);
/* Bounds the queue of waiting submissions (default DIPR_LOG_QUEUE_MAX);
 * past it dipr_log_submit says DIPR_EFULL. */
void dipr_log_set_queue_max(dipr_log *l, size_t max);
/* Stops accepting, lets the sequencer finish what is queued, joins it. */
void dipr_log_stop(dipr_log *l);
void dipr_log_close(dipr_log *l);           /* stop, then free */

/* Queues r.  DIPR_EFULL when the queue is full, DIPR_ESTOPPED after a write
 * failure; done is not called then. */
int dipr_log_submit(dipr_log *l, dipr_log_req *r);
/* Submits and waits for the result (CLI, tests). */
int dipr_log_submit_wait(dipr_log *l, dipr_log_req *r);

/* Several nodes on one PostgreSQL database (docs/POSTGRES.md §3): every
 * node serves reads; only the sequencer takes submissions (the others get
 * DIPR_ENOTLEADER from dipr_log_submit and forward writes to the URL the
 * sequencer recorded).  On SQLite the one node is always the sequencer.
 * name/url: this node, recorded when it becomes the sequencer; set before
 * dipr_log_start. */
void dipr_log_set_node(dipr_log *l, const char *name, const char *url);
bool dipr_log_is_sequencer(dipr_log *l);
bool dipr_log_is_multinode(dipr_log *l);
/* Read your writes on a follower: waits (up to timeout_ms) until this
 * node publishes a checkpoint of at least size; false on timeout. */
bool dipr_log_follow_wait(dipr_log *l, uint64_t size, unsigned timeout_ms);
/* The current sequencer's URL, read through s; DIPR_ENOTFOUND if none. */
int dipr_log_sequencer_url(dipr_log *l, dipr_store *s, char *url, size_t cap);

/* The latest published checkpoint (a new reference). */
dipr_cp *dipr_log_checkpoint(dipr_log *l);
bool dipr_log_healthy(dipr_log *l);
const char *dipr_log_origin(dipr_log *l);
dipr_hash_alg dipr_log_tree_alg(dipr_log *l);
/* The log's vkeys, one per line ("\n"-terminated). */
const char *dipr_log_vkeys(dipr_log *l);
dipr_verifier *const *dipr_log_verifiers(dipr_log *l, size_t *n);
dipr_log_stats *dipr_log_get_stats(dipr_log *l);
const char *dipr_log_dir(dipr_log *l);
/* The database every connection of this log opens (dipr_store_open). */
const char *dipr_log_target(dipr_log *l);

/* A hash reader over a store with the log's shared cache of full tiles
 * (full tiles never change, so caching them is always safe).  Covers every
 * node of the committed tree. */
void dipr_log_reader(dipr_log *l, dipr_store *s, dipr_hash_reader *r);

/* Reads a hash tile: full tiles from the shared cache (they never change),
 * others from s.  Same contract as dipr_store_tile_read. */
int dipr_log_tile(dipr_log *l, dipr_store *s, int level, uint64_t index, uint8_t *data, unsigned *width);

/* Builds the tlog-proof for entry `index` (bytes entry/len) in the tree of
 * checkpoint cp, reading hashes from s. */
int dipr_log_receipt(dipr_log *l, dipr_store *s, uint64_t index, const uint8_t *entry, size_t len,
		     const dipr_cp *cp, dipr_buf *out);

/* Creates a data directory: database, keys (0600 in a 0700 directory),
 * configuration, and the signed checkpoint of the empty tree. Prints
 * nothing; vkeys are returned (malloc'd) if vkeys != NULL. */
int dipr_log_init(const char *dir, const char *origin, dipr_hash_alg tree_alg, char **vkeys);
/* The same with the database in PostgreSQL (db: a postgres:// conninfo,
 * written to dir/db.conf; NULL: SQLite in dir/dipr.db).  The schema must
 * not hold another log. */
int dipr_log_init_db(const char *dir, const char *origin, dipr_hash_alg tree_alg, const char *db, char **vkeys);

/* Reads a file of at most max bytes. */
int dipr_read_file(const char *path, size_t max, dipr_buf *out);

#endif
