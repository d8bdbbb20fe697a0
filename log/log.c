/* log.c — data directory, start-up checks and the sequencer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "jcs.h"
#include "log/log.h"
#include "log/witness.h"
#include "store/node.h"
#include "store/registry.h"
#include "store/verify.h"

#define CACHE_SLOTS 1024 /* 8 MiB of full tiles */
#define FOLLOW_POLL_MS 200 /* a follower looks for a new checkpoint and a free sequencer lock */
#define LEADER_PING_MS 500 /* an idle sequencer checks that its session (and lock) still exist */

typedef struct {
	int level;
	uint64_t index;
	bool used;
	uint8_t data[DIPR_TILE_WIDTH * DIPR_HASH_LEN];
} cache_slot;

struct dipr_log {
	char dir[4096];
	char target[4200]; /* the database: a file or a conninfo */
	int lockfd;        /* dir/serve.lock, held while open */
	char origin[DIPR_KEY_NAME_MAX + 1];
	dipr_hash_alg alg;
	dipr_signer *signers[2];
	dipr_verifier *verifiers[2];
	char *vkeys;
	dipr_store *wstore; /* the sequencer's connection */
	dipr_tree_edge edge;
	int64_t last_time;
	/* Entries known committed: level-0 tiles are recomputed from them. */
	_Atomic uint64_t durable_size;

	/* Witnesses (log/witness.c); NULL: publish without cosignatures.
	 * pending: waiters whose entries are durable but whose checkpoint
	 * missed the quorum, answered by the next cosigned checkpoint or
	 * failed at their deadline (sequencer thread only). */
	dipr_witnesses *wit;
	unsigned wit_wait_ms;
	dipr_log_req *pending;
	bool cp_witnessed; /* l->cp carries the quorum */
	int64_t retry_at;  /* next cosigning attempt when idle (ms) */
	int64_t retry_ms;  /* its delay: 1 s while waiters wait, else backing off to 30 s */

	pthread_mutex_t mu; /* queue, cp, flags */
	pthread_cond_t cv;
	dipr_log_req *head, *tail;
	size_t queued, queue_max;
	bool stopping, failed, running;
	pthread_t thread;
	dipr_cp *cp;

	/* Several nodes on one PostgreSQL database (pg): only the node whose
	 * write connection holds the sequencer lock runs batches (leader);
	 * the others publish the checkpoints it stores (follow_refresh). */
	bool pg;
	_Atomic bool leader;
	int follow_rc; /* the follower's last error, said once */
	int64_t ping_at; /* the idle sequencer's next session check (ms) */
	char node_name[128], node_url[512];

	pthread_mutex_t cache_mu;
	cache_slot *cache;
	dipr_log_stats stats;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int dipr_read_file(const char *path, size_t max, dipr_buf *out)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: cannot open: %s", path, strerror(errno));
	for (;;) {
		uint8_t tmp[65536];
		ssize_t r = read(fd, tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = dipr__err(DIPR_EIO, "%s: read failed: %s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (out->n + (size_t)r > max) {
			rc = dipr__err(DIPR_ERANGE, "%s: larger than the limit of %zu bytes", path, max);
			break;
		}
		if ((rc = dipr_buf_add(out, tmp, (size_t)r)))
			break;
	}
	if (fd > 0)
		close(fd);
	return rc;
}

void dipr_cp_release(dipr_cp *cp)
{
	if (cp && atomic_fetch_sub(&cp->refs, 1) == 1) {
		for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++)
			free(cp->edge[lv].nodes);
		free(cp);
	}
}

/* Builds cp->edge from the sequencer's edge (same tree size): at most
 * 2 * 255 hashes and 255 node hashes per tile level.  prev (may be NULL) is
 * the checkpoint published before: its complete nodes inside the same
 * right-edge tile cover hashes that have not changed (the tree only grows),
 * so they are copied and only the nodes over new hashes are hashed — with
 * a batch of ~25 entries that is a few node hashes per level instead of up
 * to 255 (8 % of the server's CPU under attest load before). */
static int cp_attach_edge(dipr_cp *cp, const dipr_tree_edge *e, const dipr_cp *prev)
{
	for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++) {
		dipr_cp_edge *ce = &cp->edge[lv];
		unsigned c = e->count[lv], total = 0;
		if (!c)
			continue;
		for (int r = 0; r < DIPR_TILE_HEIGHT; r++) {
			ce->base[r] = total;
			total += c >> r;
		}
		ce->nodes = malloc((size_t)total * DIPR_HASH_LEN);
		if (!ce->nodes)
			return DIPR_ENOMEM;
		ce->index = (e->size >> (8 * lv)) / DIPR_TILE_WIDTH;
		ce->count = c;
		const dipr_cp_edge *pe = prev ? &prev->edge[lv] : NULL;
		if (pe && (!pe->count || pe->index != ce->index || pe->count > c))
			pe = NULL;
		memcpy(ce->nodes, e->hashes[lv], (size_t)c * DIPR_HASH_LEN);
		for (int r = 1; r < DIPR_TILE_HEIGHT; r++) {
			unsigned keep = pe ? pe->count >> r : 0;
			if (keep)
				memcpy(ce->nodes[ce->base[r]], pe->nodes[pe->base[r]], (size_t)keep * DIPR_HASH_LEN);
			for (unsigned j = keep; j < (c >> r); j++)
				dipr_merkle_node_hash(e->alg, ce->nodes[ce->base[r - 1] + 2 * j],
						      ce->nodes[ce->base[r - 1] + 2 * j + 1], ce->nodes[ce->base[r] + j]);
		}
	}
	return 0;
}

bool dipr_cp_node(const dipr_cp *cp, dipr_node_id node, uint8_t out[DIPR_HASH_LEN])
{
	unsigned lv = node.level / DIPR_TILE_HEIGHT, r = node.level % DIPR_TILE_HEIGHT;
	if (!cp || lv >= DIPR_TILE_MAX_LEVELS || node.index > (UINT64_MAX >> r))
		return false;
	const dipr_cp_edge *ce = &cp->edge[lv];
	uint64_t first = node.index << r;
	if (!ce->count || first / DIPR_TILE_WIDTH != ce->index)
		return false;
	unsigned j = (unsigned)(first % DIPR_TILE_WIDTH) >> r;
	if (j >= (ce->count >> r))
		return false;
	memcpy(out, ce->nodes[ce->base[r] + j], DIPR_HASH_LEN);
	return true;
}

bool dipr_cp_tile(const dipr_cp *cp, int level, uint64_t index, unsigned width, uint8_t *out)
{
	if (!cp || level < 0 || level >= DIPR_TILE_MAX_LEVELS)
		return false;
	const dipr_cp_edge *ce = &cp->edge[level];
	if (!ce->count || ce->index != index || width > ce->count)
		return false;
	memcpy(out, ce->nodes, (size_t)width * DIPR_HASH_LEN);
	return true;
}

static dipr_cp *cp_ref(dipr_cp *cp)
{
	if (cp)
		atomic_fetch_add(&cp->refs, 1);
	return cp;
}

void dipr_log_req_clear(dipr_log_req *r)
{
	if (r->entry)
		json_decref(r->entry);
	free(r->meta);
	free(r->entry_bytes);
	dipr_cp_release(r->cp);
	r->entry = NULL;
	r->meta = NULL;
	r->entry_bytes = NULL;
	r->cp = NULL;
}

/* ---- reading hashes: shared cache of full tiles, then the store ---- */

typedef struct {
	dipr_log *log;
	dipr_store *store;
} reader_ctx;

static int get_tile(dipr_log *l, dipr_store *s, int level, uint64_t index, uint8_t *data, unsigned *width);

static size_t slot_of(int level, uint64_t index)
{
	uint64_t h = (index ^ ((uint64_t)level << 56)) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) % CACHE_SLOTS;
}

int dipr_log_tile(dipr_log *l, dipr_store *s, int level, uint64_t index, uint8_t *data, unsigned *width)
{
	return get_tile(l, s, level, index, data, width);
}

/* Level-0 tiles are not stored (docs/PERFORMANCE.md, "Storage"): a leaf
 * hash is H(0x00 || entry), so tile 0/index is recomputed from its first
 * `count` entries, read as one bundle.  That is 32 bytes per entry saved for
 * about 256 leaf hashes per read of a tile not in the cache; the upper
 * levels, which a proof mostly reads, are stored as before.  Data
 * directories written before this keep their stored level-0 tiles, and
 * those are read first. */
static int leaf_tile(dipr_hash_alg alg, dipr_store *s, uint64_t index, unsigned count, uint8_t *data)
{
	dipr_buf b;
	size_t off = 0;
	int rc;
	dipr_buf_init(&b, (size_t)count * (DIPR_ENTRY_MAX + 2));
	if ((rc = dipr_store_entries_bundle(s, index * DIPR_TILE_WIDTH, count, &b)))
		goto done;
	for (unsigned i = 0; i < count; i++) {
		size_t len;
		if (b.n - off < 2 || b.n - off - 2 < (len = (size_t)b.p[off] << 8 | b.p[off + 1])) {
			rc = dipr__err(DIPR_EIO, "tree: entries of tile 0/%llu: bundle ends early",
				       (unsigned long long)index);
			goto done;
		}
		dipr_merkle_leaf_hash(alg, b.p + off + 2, len, data + (size_t)i * DIPR_HASH_LEN);
		off += 2 + len;
	}
done:
	dipr_buf_free(&b);
	return rc;
}

/* Fetches tile (level, index) into data; *width = stored width. */
static int get_tile(dipr_log *l, dipr_store *s, int level, uint64_t index, uint8_t *data, unsigned *width)
{
	size_t slot = slot_of(level, index);
	pthread_mutex_lock(&l->cache_mu);
	cache_slot *c = &l->cache[slot];
	if (c->used && c->level == level && c->index == index) {
		memcpy(data, c->data, sizeof c->data);
		pthread_mutex_unlock(&l->cache_mu);
		*width = DIPR_TILE_WIDTH;
		return 0;
	}
	pthread_mutex_unlock(&l->cache_mu);
	int rc = dipr_store_tile_read(s, level, index, data, width);
	if (rc == DIPR_ENOTFOUND && level == 0) {
		uint64_t size = atomic_load(&l->durable_size);
		if (index >= size / DIPR_TILE_WIDTH + (size % DIPR_TILE_WIDTH != 0))
			return DIPR_ENOTFOUND;
		uint64_t left = size - index * DIPR_TILE_WIDTH;
		*width = left < DIPR_TILE_WIDTH ? (unsigned)left : DIPR_TILE_WIDTH;
		rc = leaf_tile(l->alg, s, index, *width, data);
	}
	if (rc == 0 && *width == DIPR_TILE_WIDTH) {
		pthread_mutex_lock(&l->cache_mu);
		c->used = true;
		c->level = level;
		c->index = index;
		memcpy(c->data, data, sizeof c->data);
		pthread_mutex_unlock(&l->cache_mu);
	}
	return rc;
}

static int reader_read(void *vctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[DIPR_HASH_LEN])
{
	reader_ctx *ctx = vctx;
	/* The newest checkpoint's edge covers every complete node of the
	 * right-edge tiles of any tree up to its size (tiles only grow). */
	dipr_cp *cp = dipr_log_checkpoint(ctx->log);
	bool all = true;
	for (size_t i = 0; i < n; i++)
		if (!dipr_cp_node(cp, ids[i], out[i]))
			all = false;
	if (all) {
		dipr_cp_release(cp);
		return 0;
	}
	/* Proof nodes cluster in a few tiles per level: remember the last
	 * tiles fetched in this call so each is read at most once. */
	enum { MEMO = 4 };
	struct {
		dipr_tile_id id;
		unsigned width;
		uint8_t data[DIPR_TILE_WIDTH * DIPR_HASH_LEN];
	} *memo = malloc(MEMO * sizeof *memo);
	size_t nmemo = 0, next = 0;
	int rc = 0;
	if (!memo) {
		dipr_cp_release(cp);
		return DIPR_ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		dipr_tile_id t;
		unsigned off, count;
		size_t m;
		if (dipr_cp_node(cp, ids[i], out[i]))
			continue;
		dipr_tile_locate(ids[i], &t, &off, &count);
		for (m = 0; m < nmemo; m++)
			if (memo[m].id.level == t.level && memo[m].id.index == t.index && memo[m].width >= off + count)
				break;
		if (m == nmemo) {
			m = nmemo < MEMO ? nmemo++ : (next++ % MEMO);
			memo[m].id = t;
			rc = get_tile(ctx->log, ctx->store, t.level, t.index, memo[m].data, &memo[m].width);
			if (rc == DIPR_ENOTFOUND)
				rc = dipr__err(DIPR_EIO, "tree: tile %d/%llu missing from storage", t.level,
					       (unsigned long long)t.index);
			if (rc) {
				memo[m].width = 0;
				break;
			}
		}
		rc = dipr_tile_node_hash(ctx->log->alg, ids[i], memo[m].data, memo[m].width, out[i]);
		if (rc)
			rc = dipr__err(DIPR_EIO, "tree: tile %d/%llu too short for node %u/%llu", t.level,
				       (unsigned long long)t.index, ids[i].level, (unsigned long long)ids[i].index);
	}
	free(memo);
	dipr_cp_release(cp);
	return rc;
}

/* reader_ctx must outlive the reader: we keep one per thread. */
static _Thread_local reader_ctx tl_reader_ctx;

void dipr_log_reader(dipr_log *l, dipr_store *s, dipr_hash_reader *r)
{
	tl_reader_ctx.log = l;
	tl_reader_ctx.store = s;
	r->read = reader_read;
	r->ctx = &tl_reader_ctx;
}

int dipr_log_receipt(dipr_log *l, dipr_store *s, uint64_t index, const uint8_t *entry, size_t len,
		     const dipr_cp *cp, dipr_buf *out)
{
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	dipr_hash_reader r;
	if (index >= cp->size)
		return dipr__err(DIPR_EINVAL, "index %llu not in the tree of size %llu",
				 (unsigned long long)index, (unsigned long long)cp->size);
	dipr_log_reader(l, s, &r);
	int rc = dipr_merkle_prove_inclusion(l->alg, index, cp->size, &r, proof, &plen);
	if (rc)
		return rc;
	return dipr_tlog_proof_encode(entry, len, true, index, (const uint8_t(*)[DIPR_HASH_LEN])proof, plen,
				      cp->note, cp->len, out);
}

/* ---- keys and data directory ---- */

static int write_secret(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: cannot create: %s", path, strerror(errno));
	size_t n = strlen(text);
	int rc = 0;
	if (write(fd, text, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		rc = dipr__err(DIPR_EIO, "%s: write failed: %s", path, strerror(errno));
	close(fd);
	return rc;
}

static int load_signer(const char *path, dipr_signer **out)
{
	struct stat st;
	dipr_buf b;
	int rc;
	if (stat(path, &st) != 0)
		return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return dipr__err(DIPR_EINVAL, "%s: key file must not be readable by others (mode %03o, expected 600)",
				 path, (unsigned)(st.st_mode & 0777));
	dipr_buf_init(&b, 4096);
	rc = dipr_read_file(path, 4096, &b);
	while (!rc && b.n && (b.p[b.n - 1] == '\n' || b.p[b.n - 1] == '\r'))
		b.n--;
	if (!rc)
		rc = dipr_signer_from_skey(out, (const char *)b.p, b.n);
	if (rc && rc != DIPR_EIO)
		rc = dipr__err(rc, "%s: not a valid key: %s", path, dipr_errdetail());
	if (b.p)
		OPENSSL_cleanse(b.p, b.cap);
	dipr_buf_free(&b);
	return rc;
}

/* A checkpoint of size and root with its signed note (copied), no edge yet;
 * NULL if out of memory. */
static dipr_cp *cp_new(uint64_t size, const uint8_t root[DIPR_HASH_LEN], const uint8_t *note, size_t len)
{
	dipr_cp *cp = malloc(sizeof *cp + len);
	if (!cp)
		return NULL;
	memset(cp, 0, sizeof *cp);
	atomic_init(&cp->refs, 1);
	cp->size = size;
	memcpy(cp->root, root, DIPR_HASH_LEN);
	cp->len = len;
	memcpy(cp->note, note, len);
	return cp;
}

static int sign_checkpoint(dipr_log *l, uint64_t size, const uint8_t root[DIPR_HASH_LEN], dipr_cp **out)
{
	dipr_checkpoint c;
	dipr_buf text, note;
	int rc;
	snprintf(c.origin, sizeof c.origin, "%s", l->origin);
	c.size = size;
	memcpy(c.root, root, DIPR_HASH_LEN);
	dipr_buf_init(&text, 4096);
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	if ((rc = dipr_checkpoint_format(&c, &text)) ||
	    (rc = dipr_note_sign(text.p, text.n, l->signers, 2, &note)))
		goto done;
	dipr_cp *cp = cp_new(size, root, note.p, note.n);
	if (!cp) {
		rc = DIPR_ENOMEM;
		goto done;
	}
	*out = cp;
done:
	dipr_buf_free(&text);
	dipr_buf_free(&note);
	return rc;
}

static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? dipr__err(DIPR_ERANGE, "path too long: %s/%s", dir, name) : 0;
}

int dipr_log_init(const char *dir, const char *origin, dipr_hash_alg alg, char **vkeys)
{
	return dipr_log_init_db(dir, origin, alg, NULL, vkeys);
}

int dipr_log_init_db(const char *dir, const char *origin, dipr_hash_alg alg, const char *db, char **vkeys)
{
	char path[4200], kdir[4200];
	dipr_signer *sg[2] = {0};
	dipr_store *s = NULL;
	char *sk = NULL, *vk[2] = {0};
	dipr_log tmp;
	dipr_cp *cp = NULL;
	int rc;

	bool made_dir = false;
	if (!origin[0] || strlen(origin) > DIPR_KEY_NAME_MAX || strpbrk(origin, " \t\n+"))
		return dipr__err(DIPR_EINVAL, "--origin \"%s\": expected a non-empty name without spaces or '+'", origin);
	/* Parents as mkdir -p would (0755 like mkdir's default); the data
	 * directory itself is 0700. */
	char parent[4200];
	snprintf(parent, sizeof parent, "%s", dir);
	for (char *q = parent + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = 0;
		if (mkdir(parent, 0755) != 0 && errno != EEXIST)
			return dipr__err(DIPR_EIO, "%s: cannot create: %s", parent, strerror(errno));
		*q = '/';
	}
	if (mkdir(dir, 0700) == 0)
		made_dir = true;
	else if (errno != EEXIST)
		return dipr__err(DIPR_EIO, "%s: cannot create: %s", dir, strerror(errno));
	if ((rc = path_join(path, sizeof path, dir, "dipr.db")))
		return rc;
	if (access(path, F_OK) == 0)
		return dipr__err(DIPR_EINVAL, "%s: already a dipr data directory (dipr.db exists)", dir);
	if ((rc = path_join(path, sizeof path, dir, "db.conf")))
		return rc;
	if (access(path, F_OK) == 0)
		return dipr__err(DIPR_EINVAL, "%s: already a dipr data directory (db.conf exists)", dir);
	if ((rc = path_join(kdir, sizeof kdir, dir, "keys")))
		return rc;
	if (mkdir(kdir, 0700) != 0)
		return dipr__err(DIPR_EIO, "%s: cannot create: %s", kdir, strerror(errno));
	if ((rc = dipr_signer_generate(&sg[0], origin, DIPR_KEY_ED25519)) ||
	    (rc = dipr_signer_generate(&sg[1], origin, DIPR_KEY_SM2)))
		goto fail;
	for (int i = 0; i < 2; i++) {
		if ((rc = path_join(path, sizeof path, kdir, i ? "log-sm2.key" : "log-ed25519.key")) ||
		    (rc = dipr_signer_skey(sg[i], &sk)) || (rc = write_secret(path, sk)))
			goto fail;
		OPENSSL_cleanse(sk, strlen(sk));
		free(sk);
		sk = NULL;
		if ((rc = dipr_signer_vkey(sg[i], &vk[i])))
			goto fail;
	}
	if (db) { /* PostgreSQL: the directory keeps keys and db.conf only */
		char other[DIPR_KEY_NAME_MAX + 1];
		if ((rc = dipr_store_target_write(dir, db)) || (rc = dipr_store_open(&s, db, 1)))
			goto fail;
		if (dipr_store_meta_get(s, "origin", other, sizeof other) == 0) {
			rc = dipr__err(DIPR_EINVAL, "--db: the database (schema) already holds the log %s; give every "
				       "log its own schema (options=-csearch_path=...)", other);
			goto fail;
		}
	} else if ((rc = path_join(path, sizeof path, dir, "dipr.db")) || (rc = dipr_store_open(&s, path, 1))) {
		goto fail;
	}
	if ((rc = dipr_store_reg_schema(s)) ||
	    (rc = dipr_store_meta_set(s, "origin", origin)) ||
	    (rc = dipr_store_meta_set(s, "tree_hash", dipr_hash_name(alg))) ||
	    (rc = dipr_store_meta_set(s, "schema", "1")) ||
	    (rc = dipr_store_meta_set(s, "vkey_ed25519", vk[0])) || (rc = dipr_store_meta_set(s, "vkey_sm2", vk[1])))
		goto fail;
	/* The empty tree's checkpoint, so that a fresh log serves /checkpoint. */
	memset(&tmp, 0, sizeof tmp);
	snprintf(tmp.origin, sizeof tmp.origin, "%s", origin);
	tmp.signers[0] = sg[0];
	tmp.signers[1] = sg[1];
	uint8_t root[DIPR_HASH_LEN];
	dipr_merkle_empty_root(alg, root);
	if ((rc = sign_checkpoint(&tmp, 0, root, &cp)) ||
	    (rc = dipr_store_checkpoint_cas(s, NULL, 0, 0, cp->note, cp->len, true)) ||
	    (rc = dipr_seal_install(s, dir, NULL))) /* rows outside the log: store/verify.h */
		goto fail;
	if (vkeys) {
		size_t n = strlen(vk[0]) + strlen(vk[1]) + 3;
		*vkeys = malloc(n);
		if (!*vkeys) {
			rc = DIPR_ENOMEM;
			goto fail;
		}
		snprintf(*vkeys, n, "%s\n%s\n", vk[0], vk[1]);
	}
fail:
	dipr_cp_release(cp);
	dipr_store_close(s);
	if (rc) {
		/* Leave nothing half made: a later init must be able to start over. */
		static const char *const made[] = {"dipr.db", "dipr.db-wal", "dipr.db-shm", "db.conf", "keys/log-ed25519.key",
						   "keys/log-sm2.key", "keys/seal.key", "keys/seal.key.tmp"};
		for (size_t i = 0; i < sizeof made / sizeof *made; i++)
			if (path_join(path, sizeof path, dir, made[i]) == 0)
				unlink(path);
		rmdir(kdir);
		if (made_dir)
			rmdir(dir);
	}
	if (sk) {
		OPENSSL_cleanse(sk, strlen(sk));
		free(sk);
	}
	free(vk[0]);
	free(vk[1]);
	dipr_signer_free(sg[0]);
	dipr_signer_free(sg[1]);
	return rc;
}

static int edge_load_tile(void *ctx, const dipr_tile_id *t, uint8_t (*out)[DIPR_HASH_LEN])
{
	dipr_log *l = ctx;
	dipr_store *s = l->wstore;
	unsigned width = 0;
	uint8_t *data = malloc(DIPR_TILE_WIDTH * DIPR_HASH_LEN);
	if (!data)
		return DIPR_ENOMEM;
	int rc = dipr_store_tile_read(s, t->level, t->index, data, &width);
	if (rc == DIPR_ENOTFOUND && t->level == 0) { /* recomputed, see leaf_tile */
		width = t->width;
		if ((rc = leaf_tile(l->alg, s, t->index, width, data)) == DIPR_ENOTFOUND)
			width = 0;
	}
	if (rc == DIPR_ENOTFOUND || (!rc && width < t->width))
		rc = dipr__err(DIPR_EFORK, "tree: tile %d/%llu has %u of the %u hashes the tree size needs",
			       t->level, (unsigned long long)t->index, rc ? 0 : width, t->width);
	if (!rc)
		memcpy(out, data, (size_t)t->width * DIPR_HASH_LEN);
	free(data);
	return rc;
}

/* Start-up check (DESIGN.md "Fork protection"): the stored checkpoint (note,
 * its row's size *cp_size) is
 * signed by our keys, names our origin, is not ahead of the tree, and its
 * root is the root of the stored tree at its size; the newest leaf hashes
 * match the newest entries. */
static int check_tree(dipr_log *l, uint64_t tree_size, const dipr_buf *note, const uint64_t *cp_size, bool leaves)
{
	size_t text_len;
	dipr_checkpoint c;
	uint8_t root[DIPR_HASH_LEN];
	dipr_hash_reader r;
	int rc;
	if ((rc = dipr_note_verify(note->p, note->n, l->verifiers, 2, &text_len)))
		return dipr__err(DIPR_EFORK, "stored checkpoint: signature does not verify with this log's keys");
	if ((rc = dipr_checkpoint_parse(note->p, text_len, &c)))
		return dipr__err(DIPR_EFORK, "stored checkpoint: %s", dipr_errdetail());
	if (strcmp(c.origin, l->origin) != 0 || c.size != *cp_size)
		return dipr__err(DIPR_EFORK, "stored checkpoint: origin or size differs from the database row");
	if (c.size > tree_size)
		return dipr__err(DIPR_EFORK, "stored checkpoint has size %llu but the tree only %llu entries",
				 (unsigned long long)c.size, (unsigned long long)tree_size);
	dipr_log_reader(l, l->wstore, &r);
	if ((rc = dipr_merkle_root(l->alg, c.size, &r, root)))
		return dipr__err(DIPR_EFORK, "tree at size %llu cannot be read: %s", (unsigned long long)c.size,
				 dipr_errdetail());
	if (memcmp(root, c.root, DIPR_HASH_LEN) != 0)
		return dipr__err(DIPR_EFORK, "root of the stored tree at size %llu differs from the signed checkpoint",
				 (unsigned long long)c.size);
	/* Newest leaves: the entries of the last level-0 tile against its hashes. */
	if (!leaves)
		return 0;
	uint64_t first = tree_size - l->edge.count[0];
	for (unsigned i = 0; i < l->edge.count[0]; i++) {
		dipr_buf e;
		uint8_t h[DIPR_HASH_LEN];
		dipr_buf_init(&e, DIPR_ENTRY_MAX);
		rc = dipr_store_entry(l->wstore, first + i, &e);
		if (!rc) {
			dipr_merkle_leaf_hash(l->alg, e.p, e.n, h);
			if (memcmp(h, l->edge.hashes[0][i], DIPR_HASH_LEN) != 0)
				rc = dipr__err(DIPR_EFORK, "entry %llu does not match its leaf hash in tile 0/%llu",
					       (unsigned long long)(first + i), (unsigned long long)(first / 256));
		} else {
			rc = dipr__err(DIPR_EFORK, "entry %llu missing", (unsigned long long)(first + i));
		}
		dipr_buf_free(&e);
		if (rc)
			return rc;
	}
	return 0;
}

/* Makes the stored tree of tree_size entries the log's state: loads its
 * right edge, checks it against the stored checkpoint (note, cp_size:
 * check_tree) and publishes that checkpoint; if the tree is ahead of it (a
 * sequencer died after its batch commit, before its checkpoint was stored)
 * the entries are durable, so it signs and stores the checkpoint of the
 * whole tree (same tree, so no fork).  leaves: also check the newest
 * entries against their leaf hashes (start-up, takeover); checked (may be
 * NULL) runs after the tree checks and before anything is signed.  On failure the log is unchanged.
 * At open and on the sequencer thread. */
static int adopt_tree(dipr_log *l, uint64_t tree_size, const dipr_buf *note, uint64_t cp_size, bool leaves,
		      int (*checked)(dipr_log *l))
{
	dipr_tree_edge *edge = malloc(sizeof *edge);
	dipr_cp *cp = NULL;
	uint8_t root[DIPR_HASH_LEN];
	int rc;
	if (!edge)
		return DIPR_ENOMEM;
	dipr_tree_edge old = l->edge;
	uint64_t old_durable = atomic_load(&l->durable_size);
	/* leaf_tile (through edge_load_tile) trusts entries below durable_size. */
	atomic_store(&l->durable_size, tree_size);
	if ((rc = dipr_tree_edge_load(edge, l->alg, tree_size, edge_load_tile, l)))
		goto out;
	l->edge = *edge;
	if ((rc = check_tree(l, tree_size, note, &cp_size, leaves)) || (checked && (rc = checked(l))))
		goto out;
	dipr_tree_edge_root(&l->edge, root);
	if (tree_size > cp_size) {
		if ((rc = sign_checkpoint(l, tree_size, root, &cp)) ||
		    (rc = dipr_store_checkpoint_cas(l->wstore, note->p, note->n, tree_size, cp->note, cp->len, true)))
			goto out;
	} else {
		if (!(cp = cp_new(cp_size, root, note->p, note->n))) {
			rc = DIPR_ENOMEM;
			goto out;
		}
	}
	/* The published checkpoint's size equals the tree's here. */
	if ((rc = cp_attach_edge(cp, &l->edge, NULL)))
		goto out;
	pthread_mutex_lock(&l->mu);
	dipr_cp *prev = l->cp;
	l->cp = cp;
	pthread_mutex_unlock(&l->mu);
	dipr_cp_release(prev);
	cp = NULL;
out:
	if (rc) {
		l->edge = old;
		atomic_store(&l->durable_size, old_durable);
	}
	dipr_cp_release(cp);
	free(edge);
	return rc;
}

/* Start-up: every table, not only the tree (store/verify.h). */
static int verify_all(dipr_log *l) { return dipr_verify_startup(l->wstore, l->dir, l->verifiers, 2); }

int dipr_log_open(dipr_log **out, const char *dir) { return dipr_log_open_db(out, dir, NULL); }

int dipr_log_open_db(dipr_log **out, const char *dir, const char *db)
{
	char path[4200], val[512];
	dipr_buf note;
	uint64_t tree_size = 0, cp_size = 0;
	int rc;
	dipr_log *l = calloc(1, sizeof *l);
	if (!l)
		return DIPR_ENOMEM;
	l->lockfd = -1;
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	pthread_mutex_init(&l->cache_mu, NULL);
	snprintf(l->dir, sizeof l->dir, "%s", dir);
	l->queue_max = DIPR_LOG_QUEUE_MAX;
	l->cache = calloc(CACHE_SLOTS, sizeof *l->cache);
	if (!l->cache) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	if ((rc = dipr_dir_lock(dir, &l->lockfd)))
		goto fail;
	if (db) {
		if (!dipr_store_target_is_pg(db)) {
			rc = dipr__err(DIPR_EINVAL, "--db %s: expected postgres://... or postgresql://...", db);
			goto fail;
		}
		snprintf(l->target, sizeof l->target, "%s", db);
		dipr_store_seal_dir(l->target, dir); /* this directory's keys/seal.key seals its writes */
	} else if ((rc = dipr_store_target(dir, l->target, sizeof l->target))) {
		if (rc == DIPR_ENOTFOUND)
			rc = DIPR_EINVAL;
		goto fail;
	}
	if ((rc = dipr_store_open(&l->wstore, l->target, 0)) || (rc = dipr_store_reg_schema(l->wstore)))
		goto fail;
	if ((rc = dipr_store_meta_get(l->wstore, "origin", l->origin, sizeof l->origin)) ||
	    (rc = dipr_store_meta_get(l->wstore, "tree_hash", val, sizeof val)) ||
	    (rc = dipr_hash_parse(val, strlen(val), &l->alg)))
		goto fail;
	for (int i = 0; i < 2; i++) {
		char *vk = NULL;
		if ((rc = path_join(path, sizeof path, dir, i ? "keys/log-sm2.key" : "keys/log-ed25519.key")) ||
		    (rc = load_signer(path, &l->signers[i])) || (rc = dipr_signer_vkey(l->signers[i], &vk)))
			goto fail;
		rc = dipr_verifier_from_vkey(&l->verifiers[i], vk, strlen(vk));
		size_t old = l->vkeys ? strlen(l->vkeys) : 0, add = strlen(vk) + 2;
		char *nv = realloc(l->vkeys, old + add);
		if (!nv) {
			free(vk);
			rc = DIPR_ENOMEM;
			goto fail;
		}
		l->vkeys = nv;
		snprintf(l->vkeys + old, add, "%s\n", vk);
		free(vk);
		if (rc)
			goto fail;
	}
	if ((rc = dipr_store_tree_size(l->wstore, &tree_size)) ||
	    (rc = dipr_store_checkpoint_get(l->wstore, &note, &cp_size))) {
		if (rc == DIPR_ENOTFOUND)
			rc = dipr__err(DIPR_EFORK, "no signed checkpoint stored");
		goto fail;
	}
	/* Several nodes: until this one sequences, it publishes what the
	 * sequencer stored; the sequencer's own tree may be ahead of it. */
	if (dipr_store_is_pg(l->wstore))
		tree_size = cp_size;
	if ((rc = adopt_tree(l, tree_size, &note, cp_size, true, verify_all)))
		goto fail;
	l->pg = dipr_store_is_pg(l->wstore);
	atomic_store(&l->leader, !l->pg);
	l->last_time = now_ms();
	dipr_buf_free(&note);
	*out = l;
	return 0;
fail:
	dipr_buf_free(&note);
	dipr_log_close(l);
	return rc;
}

/* ---- the sequencer ---- */

typedef struct {
	dipr_store_tile *v;
	size_t n, cap;
} tile_list;

static int emit_tile(void *ctx, const dipr_tile_id *t, const uint8_t (*hashes)[DIPR_HASH_LEN])
{
	tile_list *tl = ctx;
	if (t->level == 0)
		return 0; /* recomputed from the entries (leaf_tile) */
	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 16;
		dipr_store_tile *v = realloc(tl->v, cap * sizeof *v);
		if (!v)
			return DIPR_ENOMEM;
		tl->v = v;
		tl->cap = cap;
	}
	uint8_t *copy = malloc((size_t)t->width * DIPR_HASH_LEN);
	if (!copy)
		return DIPR_ENOMEM;
	memcpy(copy, hashes, (size_t)t->width * DIPR_HASH_LEN);
	tl->v[tl->n].id = *t;
	tl->v[tl->n].data = copy;
	tl->n++;
	return 0;
}

static void fail_reqs(dipr_log_req *r, int rc)
{
	while (r) {
		dipr_log_req *next = r->next;
		r->rc = rc;
		r->done(r);
		r = next;
	}
}

static void stop_failed(dipr_log *l, int rc)
{
	/* SQLite: after a failed write or fsync the file's state is not
	 * known, so the sequencer stops for good (a restart reloads the
	 * durable state).  PostgreSQL: the database owns durability; this
	 * node steps down, drops its session (so the lock is free) and runs
	 * for sequencer again like any follower: whoever wins adopts the
	 * durable state (take_over). */
	fprintf(stderr, "dipr: sequencer %s: %s: %s\n", l->pg ? "stepping down" : "stopped", dipr_strerror(rc),
		dipr_errdetail());
	pthread_mutex_lock(&l->mu);
	if (l->pg)
		atomic_store(&l->leader, false);
	else
		l->failed = true;
	dipr_log_req *q = l->head;
	l->head = l->tail = NULL;
	l->queued = 0;
	pthread_mutex_unlock(&l->mu);
	atomic_fetch_add(&l->stats.failures, 1);
	fail_reqs(q, DIPR_ESTOPPED);
	if (l->pg) {
		dipr_log_req *p = l->pending;
		l->pending = NULL;
		fail_reqs(p, DIPR_ESTOPPED);
		dipr_store *ns = NULL;
		if (dipr_store_open(&ns, l->target, 0) == 0) {
			dipr_store_close(l->wstore); /* ends the session: rollback, lock freed */
			l->wstore = ns;
		} else {
			dipr_store_rollback(l->wstore);
			dipr_store_lead_release(l->wstore);
		}
	}
}

static int grow_entries(dipr_bytes **v, uint8_t ***own, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap * 2 > need ? *cap * 2 : need;
	dipr_bytes *nv = realloc(*v, c * sizeof *nv);
	if (!nv)
		return DIPR_ENOMEM;
	*v = nv;
	uint8_t **no = realloc(*own, c * sizeof *no);
	if (!no)
		return DIPR_ENOMEM;
	memset(no + *cap, 0, (c - *cap) * sizeof *no);
	*own = no;
	*cap = c;
	return 0;
}

int dipr_log_job_append(dipr_log_job *j, json_t *entry, uint64_t *index)
{
	if (j->n == j->cap) {
		size_t c = j->cap ? j->cap * 2 : 4;
		dipr_buf *v = realloc(j->entries, c * sizeof *v);
		if (!v)
			return DIPR_ENOMEM;
		j->entries = v;
		j->cap = c;
	}
	dipr_buf *b = &j->entries[j->n];
	dipr_buf_init(b, DIPR_ENTRY_MAX);
	int rc = json_object_set_new(entry, "time", json_integer(j->time_ms)) ? DIPR_ENOMEM : 0;
	if (!rc)
		rc = dipr__jcs_encode(entry, b);
	if (rc) {
		dipr_buf_free(b);
		return rc;
	}
	if (index)
		*index = j->next_index + j->n;
	j->n++;
	return 0;
}

void dipr_log_job_discard(dipr_log_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		dipr_buf_free(&j->entries[i]);
	j->n = 0;
}

dipr_signer *const *dipr_log_signers(dipr_log *l, size_t *n)
{
	*n = 2;
	return l->signers;
}

/* ---- witnesses ----
 * The hook in the append cycle: after the checkpoint is signed and before
 * it is stored and published, cosign_cp adds the witnesses' cosignatures
 * (or fails with DIPR_EQUORUM).  Only a cosigned checkpoint is stored with
 * compare-and-swap and published, so /checkpoint, receipts and the stored
 * row always carry the quorum. */

/* The consistency proof a behind witness needs, from the committed tree
 * (the sequencer's connection; the batch is durable by now). */
static int witness_prove(void *ctx, uint64_t old, uint64_t size, uint8_t (*proof)[DIPR_HASH_LEN], size_t *len)
{
	dipr_log *l = ctx;
	dipr_hash_reader r;
	dipr_log_reader(l, l->wstore, &r);
	return dipr_merkle_prove_consistency(l->alg, old, size, &r, proof, len);
}

/* Replaces *cpp (refs 1, not yet shared) with the same checkpoint whose
 * note has the cosignature lines appended. */
static int cosign_cp(dipr_log *l, dipr_cp **cpp)
{
	dipr_buf out;
	dipr_buf_init(&out, DIPR_NOTE_MAX);
	int rc = dipr_witnesses_cosign(l->wit, (*cpp)->note, (*cpp)->len, witness_prove, l, &out);
	if (!rc) {
		dipr_cp *n = realloc(*cpp, sizeof *n + out.n);
		if (!n) {
			rc = DIPR_ENOMEM;
		} else {
			memcpy(n->note, out.p, out.n);
			n->len = out.n;
			*cpp = n;
		}
	}
	dipr_buf_free(&out);
	return rc;
}

/* Answers every pending waiter with cp (rc 0), or, with rc != 0, those
 * whose deadline has passed (now_ms) with rc. */
static void answer_pending(dipr_log *l, dipr_cp *cp, int rc)
{
	dipr_log_req **pp = &l->pending;
	int64_t now = now_ms();
	while (*pp) {
		dipr_log_req *r = *pp;
		if (rc && (int64_t)r->pending_until > now) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		r->next = NULL;
		r->rc = rc;
		if (!rc)
			r->cp = cp_ref(cp);
		r->done(r);
	}
	if (!rc)
		l->cp_witnessed = true;
}

/* A batch whose checkpoint missed the quorum: its entries are durable, so
 * its waiters are not failed at once but wait (up to wit_wait_ms) for a
 * later cosigned checkpoint, which covers them as the tree only grows.
 * Those already failed alone (r->rc, e.g. too large) are answered now. */
static void park_waiters(dipr_log *l, dipr_log_req *batch)
{
	int64_t until = now_ms() + l->wit_wait_ms;
	dipr_log_req **tail = &l->pending;
	while (*tail)
		tail = &(*tail)->next;
	for (dipr_log_req *r = batch, *next; r; r = next) {
		next = r->next;
		r->next = NULL;
		if (r->rc) {
			r->done(r);
			continue;
		}
		r->pending_until = (uint64_t)until;
		*tail = r;
		tail = &r->next;
	}
	l->retry_ms = 1000;
	l->retry_at = now_ms() + l->retry_ms;
	answer_pending(l, NULL, DIPR_EQUORUM); /* earlier ones past their time */
}

/* When idle with something unpublished (entries past the published
 * checkpoint, waiters, or a checkpoint without the quorum, as after
 * enabling witnesses): sign the current tree, cosign, store, publish. */
static bool wants_publish(dipr_log *l)
{
	return l->wit && (l->pending || !l->cp_witnessed || l->cp->size < l->edge.size);
}

static void republish(dipr_log *l)
{
	uint8_t root[DIPR_HASH_LEN];
	dipr_cp *cp = NULL, *old;
	int rc;
	/* Waiters are retried for every second; otherwise (entries nobody
	 * waits for, or the start-up checkpoint) back off, so a witness that
	 * is down for long costs a line on stderr now and then, not each
	 * second. */
	l->retry_ms = l->pending ? 1000 : l->retry_ms < 1000 ? 1000 : l->retry_ms * 2 > 30000 ? 30000 : l->retry_ms * 2;
	l->retry_at = now_ms() + l->retry_ms;
	dipr_tree_edge_root(&l->edge, root);
	if ((rc = sign_checkpoint(l, l->edge.size, root, &cp)) || (rc = cp_attach_edge(cp, &l->edge, l->cp))) {
		dipr_cp_release(cp);
		stop_failed(l, rc);
		return;
	}
	if ((rc = cosign_cp(l, &cp))) {
		dipr_cp_release(cp);
		if (rc != DIPR_EQUORUM) {
			stop_failed(l, rc);
			return;
		}
		answer_pending(l, NULL, DIPR_EQUORUM);
		return;
	}
	old = l->cp;
	/* No batch commit follows to make this row durable: make it so. */
	if ((rc = dipr_store_checkpoint_cas(l->wstore, old->note, old->len, cp->size, cp->note, cp->len, true))) {
		dipr_cp_release(cp);
		stop_failed(l, rc);
		return;
	}
	pthread_mutex_lock(&l->mu);
	l->cp = cp;
	pthread_mutex_unlock(&l->mu);
	dipr_cp_release(old);
	l->retry_ms = 0;
	answer_pending(l, cp, 0);
}

int dipr_log_witnesses_take(dipr_log *l, dipr_witnesses *w, unsigned wait_ms)
{
	if (l->running) {
		dipr_witnesses_free(w);
		return dipr__err(DIPR_EINVAL, "witnesses must be set before the sequencer starts");
	}
	dipr_witnesses_free(l->wit);
	l->wit = w;
	l->wit_wait_ms = wait_ms;
	l->cp_witnessed = !w || dipr_witnesses_count(w, l->cp->note, l->cp->len) >= dipr_witnesses_quorum(w);
	l->retry_at = 0;
	return 0;
}

dipr_witnesses *dipr_log_witnesses(dipr_log *l) { return l->wit; }

static void run_batch(dipr_log *l, dipr_log_req *batch, size_t n)
{
	dipr_bytes *entries = NULL;
	uint8_t **own = NULL; /* job entries' bytes, owned here */
	size_t cap = 0;
	dipr_store_evidence *ev = calloc(n, sizeof *ev);
	tile_list tiles = {0};
	size_t nok = 0, nev = 0;
	bool txn = false;
	uint64_t first = l->edge.size;
	int64_t t = now_ms();
	dipr_cp *cp = NULL, *old;
	dipr_buf b;
	int rc = 0;
	uint64_t t0;

	if (!ev || (rc = grow_entries(&entries, &own, &cap, n))) {
		rc = DIPR_ENOMEM;
		goto fatal;
	}
	if (t < l->last_time)
		t = l->last_time; /* "time" never goes backwards along the log */
	l->last_time = t;
	/* collect -> compute the new tree */
	for (dipr_log_req *r = batch; r; r = r->next) {
		uint8_t leaf[DIPR_HASH_LEN];
		if (r->job) {
			/* Jobs write inside the batch's transaction, opened at
			 * the first job; their entries follow in order. */
			if (!txn && (rc = dipr_store_begin(l->wstore)))
				goto fatal;
			txn = true;
			dipr_log_job j = {l, l->wstore, t, first + nok, NULL, 0, 0};
			rc = r->job(r, &j);
			if (!rc) {
				for (size_t i = 0; i < j.n && !rc; i++) {
					dipr_merkle_leaf_hash(l->alg, j.entries[i].p, j.entries[i].n, leaf);
					if (!(rc = dipr_tree_edge_append(&l->edge, leaf, emit_tile, &tiles)) &&
					    !(rc = grow_entries(&entries, &own, &cap, nok + 1))) {
						entries[nok].n = j.entries[i].n;
						own[nok] = dipr_buf_detach(&j.entries[i], &entries[nok].n);
						entries[nok].p = own[nok];
						nok++;
					}
				}
				r->index = j.n ? first + nok - j.n : 0;
			}
			for (size_t i = 0; i < j.n; i++)
				dipr_buf_free(&j.entries[i]);
			free(j.entries);
			if (rc)
				goto fatal;
			continue;
		}
		dipr_buf_init(&b, DIPR_ENTRY_MAX);
		r->rc = json_object_set_new(r->entry, "time", json_integer(t)) ? DIPR_ENOMEM : 0;
		if (!r->rc)
			r->rc = dipr__jcs_encode(r->entry, &b);
		if (r->rc) {
			dipr_buf_free(&b);
			continue; /* this request alone fails (e.g. too large) */
		}
		if ((rc = grow_entries(&entries, &own, &cap, nok + 1))) {
			dipr_buf_free(&b);
			goto fatal;
		}
		r->entry_bytes = dipr_buf_detach(&b, &r->entry_len);
		dipr_merkle_leaf_hash(l->alg, r->entry_bytes, r->entry_len, leaf);
		if ((rc = dipr_tree_edge_append(&l->edge, leaf, emit_tile, &tiles)))
			goto fatal;
		r->index = first + nok;
		entries[nok].p = r->entry_bytes;
		entries[nok].n = r->entry_len;
		ev[nev].index = r->index;
		ev[nev].account = r->account;
		ev[nev].meta = r->meta;
		ev[nev].meta_len = r->meta_len;
		nev++;
		nok++;
	}
	/* The right-edge partial tiles, as they now stand. */
	for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++) {
		if (!l->edge.count[lv])
			continue;
		dipr_tile_id id = {lv, (l->edge.size >> (8 * lv)) / DIPR_TILE_WIDTH, l->edge.count[lv]};
		if ((rc = emit_tile(&tiles, &id, (const uint8_t(*)[DIPR_HASH_LEN])l->edge.hashes[lv])))
			goto fatal;
	}
	/* -> write durably (one transaction, one fsync) */
	if (nok || txn) {
		t0 = mono_ns();
		rc = dipr_store_append(l->wstore, first, entries, nok, tiles.v, tiles.n, ev, nev);
		txn = false;
		if (!rc)
			atomic_store(&l->durable_size, first + nok);
		atomic_fetch_add(&l->stats.commit_ns, mono_ns() - t0);
		if (rc)
			goto fatal;
	}
	if (nok) {
		/* -> sign -> store the checkpoint with compare-and-swap */
		uint8_t root[DIPR_HASH_LEN];
		dipr_tree_edge_root(&l->edge, root);
		t0 = mono_ns();
		if ((rc = sign_checkpoint(l, l->edge.size, root, &cp)) || (rc = cp_attach_edge(cp, &l->edge, l->cp)))
			goto fatal;
		atomic_fetch_add(&l->stats.sign_ns, mono_ns() - t0);
		/* -> cosign (witnesses): without the quorum nothing is
		 * published; the entries stay durable and the waiters wait
		 * for a later cosigned checkpoint (park_waiters). */
		if (l->wit && (rc = cosign_cp(l, &cp))) {
			dipr_cp_release(cp);
			cp = NULL;
			if (rc != DIPR_EQUORUM)
				goto fatal;
			park_waiters(l, batch);
			goto out;
		}
		/* One fsync per batch: the entries' commit above is the durable
		 * one.  The checkpoint row is written after it without its own
		 * fsync; should power fail before the next commit makes it
		 * durable, start-up finds the tree ahead of the stored checkpoint
		 * and signs the same tree again: the same note text, so every
		 * receipt already given out still verifies, and no fork. */
		old = l->cp;
		t0 = mono_ns();
		rc = dipr_store_checkpoint_cas(l->wstore, old->note, old->len, cp->size, cp->note, cp->len, false);
		atomic_fetch_add(&l->stats.commit_ns, mono_ns() - t0);
		if (rc)
			goto fatal;
		/* -> publish */
		pthread_mutex_lock(&l->mu);
		l->cp = cp;
		pthread_mutex_unlock(&l->mu);
		dipr_cp_release(old);
		atomic_fetch_add(&l->stats.batches, 1);
		atomic_fetch_add(&l->stats.entries, nok);
		if (l->wit) /* earlier batches that missed the quorum are in it */
			answer_pending(l, cp, 0);
	}
	/* -> answer every waiter */
	bool borrowed = !cp;
	if (borrowed) { /* only jobs that appended nothing: the current checkpoint */
		pthread_mutex_lock(&l->mu);
		cp = cp_ref(l->cp);
		pthread_mutex_unlock(&l->mu);
	}
	for (dipr_log_req *r = batch, *next; r; r = next) {
		next = r->next;
		if (!r->rc)
			r->cp = cp_ref(cp);
		r->done(r);
	}
	if (borrowed)
		dipr_cp_release(cp);
	goto out;
fatal:
	if (txn)
		dipr_store_rollback(l->wstore);
	/* Nothing of this batch is acknowledged; the in-memory tree may be
	 * ahead of storage now, so the sequencer stops for good (a restart
	 * reloads the durable state). */
	dipr_cp_release(cp);
	stop_failed(l, rc);
	fail_reqs(batch, DIPR_ESTOPPED);
out:
	for (size_t i = 0; i < tiles.n; i++)
		free((void *)tiles.v[i].data);
	free(tiles.v);
	for (size_t i = 0; i < cap && own; i++)
		free(own[i]);
	free(own);
	free(entries);
	free(ev);
}

/* ---- several nodes: follower and takeover ---- */

/* A follower publishes the newest checkpoint the sequencer stored, after
 * checking it as at start-up (signatures, root of the stored tiles). */
static void follow_refresh(dipr_log *l)
{
	dipr_buf note;
	uint64_t size = 0;
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	int rc = dipr_store_checkpoint_get(l->wstore, &note, &size);
	dipr_cp *cur = dipr_log_checkpoint(l);
	if (!rc && size < cur->size)
		rc = dipr__err(DIPR_EFORK, "the stored checkpoint (size %llu) is older than the one this node published "
			       "(%llu): rollback?", (unsigned long long)size, (unsigned long long)cur->size);
	else if (!rc && (size > cur->size || note.n != cur->len || memcmp(note.p, cur->note, note.n) != 0))
		/* (same size, new note: cosignatures added.)  The sequencer
		 * checked the newest leaves when it hashed them. */
		rc = adopt_tree(l, size, &note, size, false, NULL);
	dipr_cp_release(cur);
	dipr_buf_free(&note);
	if (rc && rc != l->follow_rc) /* say it once, not every 200 ms */
		fprintf(stderr, "dipr: follower: cannot publish the stored checkpoint: %s: %s\n", dipr_strerror(rc),
			dipr_errdetail());
	l->follow_rc = rc;
}

/* This node's write connection now holds the sequencer lock: record it,
 * then adopt the whole stored tree (signing it if the previous sequencer
 * died between its commit and its checkpoint). */
static int take_over(dipr_log *l)
{
	dipr_buf note;
	uint64_t epoch = 0, tree_size = 0, cp_size = 0;
	int rc;
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	if (!(rc = dipr_store_lead_record(l->wstore, l->node_name, l->node_url, &epoch)) &&
	    !(rc = dipr_store_tree_size(l->wstore, &tree_size)) &&
	    !(rc = dipr_store_checkpoint_get(l->wstore, &note, &cp_size)))
		rc = adopt_tree(l, tree_size, &note, cp_size, true, NULL);
	dipr_buf_free(&note);
	if (!rc) {
		l->last_time = now_ms();
		fprintf(stderr, "dipr: this node (%s) is the sequencer now: epoch %llu, tree size %llu%s\n",
			l->node_name, (unsigned long long)epoch, (unsigned long long)tree_size,
			tree_size > cp_size ? " (signed the previous sequencer's last batch)" : "");
	}
	return rc;
}

/* Followers wait here, publishing the sequencer's checkpoints, until the
 * lock is theirs; false if stopping (or the takeover failed). */
static bool await_leadership(dipr_log *l)
{
	for (;;) {
		bool got = false;
		int rc = dipr_store_lead_try(l->wstore, l->origin, &got);
		if (!rc && got) {
			if (!(rc = take_over(l))) {
				atomic_store(&l->leader, true);
				return true;
			}
			if (rc == DIPR_EFORK) { /* the stored tree contradicts its checkpoint: an alarm, not a retry */
				fprintf(stderr, "dipr: refusing to sequence: %s\n", dipr_errdetail());
				pthread_mutex_lock(&l->mu);
				l->failed = true;
				pthread_mutex_unlock(&l->mu);
				return false;
			}
			stop_failed(l, rc); /* gives the lock up; try again below */
			rc = 0;
		}
		if (rc && rc != l->follow_rc)
			fprintf(stderr, "dipr: follower: %s: %s\n", dipr_strerror(rc), dipr_errdetail());
		if (rc) {
			l->follow_rc = rc;
			/* A broken session (database restart): a new one. */
			dipr_store *ns = NULL;
			if (dipr_store_open(&ns, l->target, 0) == 0) {
				dipr_store_close(l->wstore);
				l->wstore = ns;
			}
		} else {
			follow_refresh(l);
		}
		pthread_mutex_lock(&l->mu);
		if (!l->stopping) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += FOLLOW_POLL_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		}
		bool stop = l->stopping;
		pthread_mutex_unlock(&l->mu);
		if (stop)
			return false;
	}
}

static void *seq_main(void *arg)
{
	dipr_log *l = arg;
	for (;;) {
		if (l->pg && !atomic_load(&l->leader) && !await_leadership(l))
			break;
		pthread_mutex_lock(&l->mu);
		while (!l->head && !l->stopping) {
			if (l->pg && now_ms() >= l->ping_at) {
				/* An idle sequencer checks its session: if the database
				 * ended it, the lock is gone and another node may
				 * sequence already, so step down rather than claim it. */
				l->ping_at = now_ms() + LEADER_PING_MS;
				pthread_mutex_unlock(&l->mu);
				int prc = dipr_store_ping(l->wstore);
				if (prc) {
					stop_failed(l, prc);
					pthread_mutex_lock(&l->mu);
					break;
				}
				pthread_mutex_lock(&l->mu);
				continue;
			}
			if (l->failed || !wants_publish(l)) {
				if (!l->pg) {
					pthread_cond_wait(&l->cv, &l->mu);
					continue;
				}
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += LEADER_PING_MS * 1000000L;
				ts.tv_sec += ts.tv_nsec / 1000000000L;
				ts.tv_nsec %= 1000000000L;
				pthread_cond_timedwait(&l->cv, &l->mu, &ts);
				continue;
			}
			/* Retry cosigning about once a second while idle. */
			int64_t now = now_ms();
			if (now >= l->retry_at) {
				pthread_mutex_unlock(&l->mu);
				republish(l);
				pthread_mutex_lock(&l->mu);
				continue;
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wake = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (l->retry_at - now);
			ts.tv_sec = wake / 1000;
			ts.tv_nsec = (wake % 1000) * 1000000;
			pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		}
		if (!l->head && l->pg && !atomic_load(&l->leader) && !l->stopping) {
			pthread_mutex_unlock(&l->mu); /* stepped down: run for it again */
			continue;
		}
		if (!l->head) {
			pthread_mutex_unlock(&l->mu);
			break;
		}
		dipr_log_req *batch = l->head, *r = batch;
		size_t n = 1;
		while (r->next && n < DIPR_LOG_BATCH_MAX) {
			r = r->next;
			n++;
		}
		l->head = r->next;
		if (!l->head)
			l->tail = NULL;
		r->next = NULL;
		l->queued -= n;
		atomic_store(&l->stats.queue_depth, l->queued);
		pthread_mutex_unlock(&l->mu);
		run_batch(l, batch, n);
	}
	/* Stopping (or stopped after a failure): no waiter stays suspended. */
	for (dipr_log_req *r; (r = l->pending);) {
		l->pending = r->next;
		r->next = NULL;
		r->rc = l->failed ? DIPR_ESTOPPED : DIPR_EQUORUM;
		r->done(r);
	}
	return NULL;
}

int dipr_log_start(dipr_log *l)
{
	if (pthread_create(&l->thread, NULL, seq_main, l) != 0)
		return dipr__err(DIPR_ENOMEM, "cannot start the sequencer thread");
	l->running = true;
	return 0;
}

void dipr_log_set_queue_max(dipr_log *l, size_t max)
{
	pthread_mutex_lock(&l->mu);
	l->queue_max = max ? max : 1;
	pthread_mutex_unlock(&l->mu);
}

int dipr_log_submit(dipr_log *l, dipr_log_req *r)
{
	pthread_mutex_lock(&l->mu);
	if (l->failed || l->stopping || !l->running) {
		pthread_mutex_unlock(&l->mu);
		return DIPR_ESTOPPED;
	}
	if (!atomic_load(&l->leader)) {
		pthread_mutex_unlock(&l->mu);
		return dipr__err(DIPR_ENOTLEADER, "this node is not the log's sequencer");
	}
	if (l->queued >= l->queue_max) {
		pthread_mutex_unlock(&l->mu);
		atomic_fetch_add(&l->stats.rejected_full, 1);
		return DIPR_EFULL;
	}
	r->next = NULL;
	r->rc = 0;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->queued++;
	atomic_store(&l->stats.queue_depth, l->queued);
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 0;
}

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
} waiter;

static void wait_done(dipr_log_req *r)
{
	waiter *w = r->ctx;
	pthread_mutex_lock(&w->mu);
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int dipr_log_submit_wait(dipr_log *l, dipr_log_req *r)
{
	waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	r->done = wait_done;
	r->ctx = &w;
	int rc = dipr_log_submit(l, r);
	if (rc)
		return rc;
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	return r->rc;
}

dipr_cp *dipr_log_checkpoint(dipr_log *l)
{
	pthread_mutex_lock(&l->mu);
	dipr_cp *cp = cp_ref(l->cp);
	pthread_mutex_unlock(&l->mu);
	return cp;
}

bool dipr_log_healthy(dipr_log *l)
{
	pthread_mutex_lock(&l->mu);
	bool ok = l->running && !l->failed && !l->stopping;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

bool dipr_log_is_sequencer(dipr_log *l) { return atomic_load(&l->leader); }
bool dipr_log_is_multinode(dipr_log *l) { return l->pg; }

bool dipr_log_follow_wait(dipr_log *l, uint64_t size, unsigned timeout_ms)
{
	for (unsigned waited = 0;; waited += 5) {
		dipr_cp *cp = dipr_log_checkpoint(l);
		bool there = cp->size >= size;
		dipr_cp_release(cp);
		if (there)
			return true;
		if (waited >= timeout_ms)
			return false;
		/* wakes a follower's wait for its next refresh */
		pthread_mutex_lock(&l->mu);
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		struct timespec ts = {0, 5 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

void dipr_log_set_node(dipr_log *l, const char *name, const char *url)
{
	snprintf(l->node_name, sizeof l->node_name, "%s", name);
	snprintf(l->node_url, sizeof l->node_url, "%s", url);
}

int dipr_log_sequencer_url(dipr_log *l, dipr_store *s, char *url, size_t cap)
{
	uint64_t epoch;
	return dipr_store_lead_get(s, url, cap, &epoch);
}

const char *dipr_log_origin(dipr_log *l) { return l->origin; }
dipr_hash_alg dipr_log_tree_alg(dipr_log *l) { return l->alg; }
const char *dipr_log_vkeys(dipr_log *l) { return l->vkeys; }
dipr_log_stats *dipr_log_get_stats(dipr_log *l) { return &l->stats; }
const char *dipr_log_dir(dipr_log *l) { return l->dir; }
const char *dipr_log_target(dipr_log *l) { return l->target; }

dipr_verifier *const *dipr_log_verifiers(dipr_log *l, size_t *n)
{
	*n = 2;
	return l->verifiers;
}

void dipr_log_stop(dipr_log *l)
{
	if (!l || !l->running)
		return;
	/* The thread drains the queue before it exits: every waiter is
	 * answered (or failed), none is left suspended. */
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	l->running = false;
}

void dipr_log_close(dipr_log *l)
{
	if (!l)
		return;
	dipr_log_stop(l);
	for (int i = 0; i < 2; i++) {
		dipr_signer_free(l->signers[i]);
		dipr_verifier_free(l->verifiers[i]);
	}
	free(l->vkeys);
	dipr_witnesses_free(l->wit);
	dipr_cp_release(l->cp);
	dipr_store_close(l->wstore);
	if (l->lockfd >= 0)
		close(l->lockfd);
	free(l->cache);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->cache_mu);
	free(l);
}
