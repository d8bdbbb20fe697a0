/* verify.c — seals (a MAC per row, kept by triggers) and the check of a
 * whole data directory (store/verify.h, docs/RELIABILITY.md).
 *
 * Why triggers: rows of these tables are written from store/, registry/ and
 * server/ code, in the sequencer's batch transaction and outside it.  A
 * trigger seals every write, present and future, in the same transaction as
 * the write, so a seal is exactly as durable as its row and no write path
 * can forget it.  The triggers call SQL functions registered by
 * dipr__seal_attach on every connection dipr opens; a connection without
 * them (the sqlite3 shell) cannot write a sealed table at all, and one that
 * drops the triggers first leaves rows whose MAC no longer matches.
 *
 * A trigger also checks the old row's MAC and the table's sum MAC before it
 * writes new ones: otherwise dipr's next legitimate write to a row changed
 * behind its back would seal the change (launder it).
 *
 * MAC = HMAC-SHA256(seal key, "dipr-seal-v1" 0 domain 0 enc(v1) .. enc(vn))
 * with enc = type byte (0 null, 1 integer, 2 real, 3 text, 4 blob) then
 * 8-byte big-endian integer / IEEE-754 bits, or 8-byte length and bytes.
 * Domain = the table name for a row; "#sum" for a table's sum (args: table,
 * row count, XOR of its row MACs); "#evidence-row" and "#evidence" for the
 * rows of one batch and their batch seal.  XOR of HMACs is a set hash: the
 * sum changes when any row MAC is added or removed, and without the key
 * nobody can recompute the sum's own MAC. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <jansson.h>

#include "internal.h"
#include "jcs.h"
#include "dipr/cert.h"
#include "dipr/merkle.h"
#include "store/sqlite_int.h"
#include "store/verify.h"

#define SEAL_KEY_LEN 32
#define ENTRY_MAX 16384 /* as DIPR_ENTRY_MAX in log/log.h */

/* ---- the sealed tables ---- */

/* key: SQL expression naming a row, '@' stands for the row prefix (NEW.,
 * OLD. or nothing); cols: every column, in order. */
typedef struct {
	const char *name, *key, *cols;
} seal_table;

static const seal_table tables[] = {
	{"meta", "@k", "k,v"},
	{"account", "@id", "id,name,role,created"},
	{"token", "@hash", "hash,account,created,revoked"},
	{"password", "@account", "account,hash,updated"},
	{"session", "@hash", "hash,account,csrf,created_ms,expires_ms"},
	{"app", "@id",
	 "id,owner,state,reg,doc,extra,regno,certno,applicant_id,closed_on,head,next_due,created,updated"},
	{"app_digest", "@digest || ' ' || @app", "digest,app"},
	{"objection", "@id", "id,app,state,data,key_hash,created,decided"},
	{"cert", "@certno", "certno,regno,app,version,idx,file,status,created"},
	{"counter", "@name", "name,value"},
	{"audit", "@id", "id,time,account,actor,role,action,target,ip,outcome,detail"},
};
#define NTABLES (sizeof tables / sizeof *tables)

/* Tables checked against the log rather than sealed, and our own. */
static const char *const log_tables[] = {"entry", "tile", "tree", "checkpoint", "evidence", "event",
					 "seal", "seal_sum"};
/* Triggers of registry/ (append-only history); they do not call us. */
static const char *const known_triggers[] = {"audit_append_only_u", "audit_append_only_d", "event_append_only_u",
					     "event_append_only_d"};

static const char seal_schema[] =
	"CREATE TABLE IF NOT EXISTS seal(tbl TEXT NOT NULL, k NOT NULL, mac BLOB NOT NULL,"
	" PRIMARY KEY(tbl, k)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS seal_sum(tbl TEXT PRIMARY KEY, n INTEGER NOT NULL, x BLOB NOT NULL,"
	" mac BLOB NOT NULL);";

/* The evidence rows of a batch are sealed when the batch moves the tree
 * size (one statement per batch, see the top of the file). */
static const char evidence_trigger[] =
	"CREATE TRIGGER seal_evidence AFTER UPDATE OF size ON tree WHEN NEW.size > OLD.size BEGIN"
	" INSERT INTO seal(tbl, k, mac) VALUES('#evidence', OLD.size, dipr_seal('#evidence', OLD.size, NEW.size,"
	" (SELECT dipr_seal_agg(idx, account, meta) FROM evidence WHERE idx >= OLD.size AND idx < NEW.size)));"
	" END";

/* Replaces each '@' of key by prefix. */
static int key_expr(dipr_buf *b, const char *key, const char *prefix)
{
	for (const char *p = key; *p; p++) {
		int rc = *p == '@' ? dipr_buf_adds(b, prefix) : dipr_buf_add(b, p, 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* "P.c1, P.c2, ..." */
static int col_list(dipr_buf *b, const char *cols, const char *prefix)
{
	const char *p = cols;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int rc;
		if ((rc = dipr_buf_adds(b, prefix)) || (rc = dipr_buf_add(b, p, n)) ||
		    (e && (rc = dipr_buf_adds(b, ", "))))
			return rc;
		p += n + (e ? 1 : 0);
	}
	return 0;
}

/* Statements removing the OLD row's seal (after checking it) or adding
 * the NEW row's. */
static int trig_old(dipr_buf *b, const seal_table *t)
{
	int rc = 0;
	rc = rc || dipr_buf_addf(b, " SELECT dipr_seal_check('%s', ", t->name);
	rc = rc || key_expr(b, t->key, "OLD.");
	rc = rc || dipr_buf_addf(b, ", (SELECT mac FROM seal WHERE tbl = '%s' AND k = ", t->name);
	rc = rc || key_expr(b, t->key, "OLD.");
	rc = rc || dipr_buf_adds(b, "), ");
	rc = rc || col_list(b, t->cols, "OLD.");
	rc = rc || dipr_buf_adds(b, ");");
	rc = rc || dipr_buf_addf(b, " UPDATE seal_sum SET n = n - 1, x = dipr_seal_xor(x, (SELECT mac FROM seal"
				    " WHERE tbl = '%s' AND k = ", t->name);
	rc = rc || key_expr(b, t->key, "OLD.");
	rc = rc || dipr_buf_addf(b, ")) WHERE tbl = '%s';", t->name);
	rc = rc || dipr_buf_addf(b, " DELETE FROM seal WHERE tbl = '%s' AND k = ", t->name);
	rc = rc || key_expr(b, t->key, "OLD.");
	rc = rc || dipr_buf_adds(b, ";");
	return rc ? DIPR_ENOMEM : 0;
}

static int trig_new(dipr_buf *b, const seal_table *t)
{
	int rc = 0;
	rc = rc || dipr_buf_addf(b, " INSERT INTO seal(tbl, k, mac) VALUES('%s', ", t->name);
	rc = rc || key_expr(b, t->key, "NEW.");
	rc = rc || dipr_buf_addf(b, ", dipr_seal('%s', ", t->name);
	rc = rc || col_list(b, t->cols, "NEW.");
	rc = rc || dipr_buf_adds(b, "));");
	rc = rc || dipr_buf_addf(b, " UPDATE seal_sum SET n = n + 1, x = dipr_seal_xor(x, (SELECT mac FROM seal"
				    " WHERE tbl = '%s' AND k = ", t->name);
	rc = rc || key_expr(b, t->key, "NEW.");
	rc = rc || dipr_buf_addf(b, ")) WHERE tbl = '%s';", t->name);
	return rc ? DIPR_ENOMEM : 0;
}

/* The trigger's full CREATE statement, exactly as stored in the schema
 * (the schema check compares the text).  op: 'i', 'u' or 'd'. */
static int trigger_sql(dipr_buf *b, const seal_table *t, char op)
{
	static const char *const ev[] = {"INSERT", "UPDATE", "DELETE"};
	int k = op == 'i' ? 0 : op == 'u' ? 1 : 2, rc;
	if ((rc = dipr_buf_addf(b, "CREATE TRIGGER seal_%s_%c AFTER %s ON %s BEGIN", t->name, op, ev[k], t->name)))
		return rc;
	/* the sum must be intact before we rely on it */
	if ((rc = dipr_buf_addf(b, " SELECT dipr_seal_check('#sum', '%s', mac, tbl, n, x) FROM seal_sum WHERE tbl = '%s';",
				t->name, t->name)))
		return rc;
	if (op != 'i' && (rc = trig_old(b, t)))
		return rc;
	if (op != 'd' && (rc = trig_new(b, t)))
		return rc;
	return dipr_buf_addf(b, " UPDATE seal_sum SET mac = dipr_seal('#sum', tbl, n, x) WHERE tbl = '%s'; END",
			     t->name);
}

/* ---- MACs ---- */

typedef struct {
	uint8_t key[SEAL_KEY_LEN];
	bool have_key;
	char why[512]; /* non-empty: refuse to seal, this is why */
} seal_ctx;

static int enc_value(dipr_buf *b, sqlite3_value *v)
{
	uint8_t h[9];
	int t = sqlite3_value_type(v);
	switch (t) {
	case SQLITE_NULL:
		h[0] = 0;
		return dipr_buf_add(b, h, 1);
	case SQLITE_INTEGER:
		h[0] = 1;
		dipr__put_u64be(h + 1, (uint64_t)sqlite3_value_int64(v));
		return dipr_buf_add(b, h, 9);
	case SQLITE_FLOAT: {
		double d = sqlite3_value_double(v);
		uint64_t u;
		memcpy(&u, &d, sizeof u);
		h[0] = 2;
		dipr__put_u64be(h + 1, u);
		return dipr_buf_add(b, h, 9);
	}
	default: {
		const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
		size_t n = (size_t)sqlite3_value_bytes(v);
		int rc;
		h[0] = t == SQLITE_TEXT ? 3 : 4;
		dipr__put_u64be(h + 1, n);
		if ((rc = dipr_buf_add(b, h, 9)))
			return rc;
		return n ? dipr_buf_add(b, p, n) : 0;
	}
	}
}

/* MAC of domain and values v[0..n). */
static int seal_mac(const uint8_t key[SEAL_KEY_LEN], const char *domain, int n, sqlite3_value **v,
		    uint8_t out[DIPR_HASH_LEN])
{
	dipr_buf b;
	int rc = 0;
	dipr_buf_init(&b, (size_t)1 << 30);
	if ((rc = dipr_buf_add(&b, "dipr-seal-v1", 13)) || (rc = dipr_buf_add(&b, domain, strlen(domain) + 1)))
		goto done;
	for (int i = 0; i < n; i++)
		if ((rc = enc_value(&b, v[i])))
			goto done;
	rc = dipr_hmac(DIPR_HASH_SHA256, key, SEAL_KEY_LEN, b.p, b.n, out);
done:
	dipr_buf_free(&b);
	return rc;
}

static bool seal_ready(sqlite3_context *c, seal_ctx *k)
{
	if (k->why[0]) {
		sqlite3_result_error(c, k->why, -1);
		return false;
	}
	return true;
}

/* dipr_seal(domain, v...) -> 32-byte MAC */
static void fn_seal(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	seal_ctx *k = sqlite3_user_data(c);
	uint8_t mac[DIPR_HASH_LEN];
	if (!seal_ready(c, k))
		return;
	if (argc < 1 || seal_mac(k->key, (const char *)sqlite3_value_text(argv[0]), argc - 1, argv + 1, mac)) {
		sqlite3_result_error(c, "dipr_seal: cannot compute the MAC", -1);
		return;
	}
	sqlite3_result_blob(c, mac, sizeof mac, SQLITE_TRANSIENT);
}

/* dipr_seal_check(domain, name, stored, v...): NULL, or an error naming
 * the row when stored is not the MAC of v. */
static void fn_seal_check(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	seal_ctx *k = sqlite3_user_data(c);
	uint8_t mac[DIPR_HASH_LEN];
	if (!seal_ready(c, k))
		return;
	if (argc < 3 || seal_mac(k->key, (const char *)sqlite3_value_text(argv[0]), argc - 3, argv + 3, mac)) {
		sqlite3_result_error(c, "dipr_seal_check: cannot compute the MAC", -1);
		return;
	}
	if (sqlite3_value_type(argv[2]) != SQLITE_BLOB || sqlite3_value_bytes(argv[2]) != DIPR_HASH_LEN ||
	    CRYPTO_memcmp(sqlite3_value_blob(argv[2]), mac, DIPR_HASH_LEN) != 0) {
		char msg[512];
		const char *d = (const char *)sqlite3_value_text(argv[0]), *name = (const char *)sqlite3_value_text(argv[1]);
		if (strcmp(d, "#sum") == 0)
			snprintf(msg, sizeof msg, "seal: rows of table %.100s were added or deleted outside dipr (its sum "
				 "MAC does not match); refusing to write: run dipr audit --dir", name ? name : "?");
		else
			snprintf(msg, sizeof msg, "seal: table %.100s row %.200s was changed outside dipr (its MAC does "
				 "not match); refusing to write over it: run dipr audit --dir", d, name ? name : "?");
		sqlite3_result_error(c, msg, -1);
		return;
	}
	sqlite3_result_null(c);
}

/* dipr_seal_xor(a, b): a XOR b (32-byte blobs). */
static void fn_seal_xor(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	uint8_t x[DIPR_HASH_LEN];
	(void)argc;
	if (sqlite3_value_bytes(argv[0]) != DIPR_HASH_LEN || sqlite3_value_bytes(argv[1]) != DIPR_HASH_LEN) {
		sqlite3_result_error(c, "seal: a row MAC is missing (the seal table was changed outside dipr)", -1);
		return;
	}
	const uint8_t *a = sqlite3_value_blob(argv[0]), *b = sqlite3_value_blob(argv[1]);
	for (int i = 0; i < DIPR_HASH_LEN; i++)
		x[i] = a[i] ^ b[i];
	sqlite3_result_blob(c, x, sizeof x, SQLITE_TRANSIENT);
}

/* dipr_seal_agg(v...): XOR of the "#evidence-row" MACs of the rows. */
static void fn_agg_step(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	seal_ctx *k = sqlite3_user_data(c);
	uint8_t *acc = sqlite3_aggregate_context(c, DIPR_HASH_LEN), mac[DIPR_HASH_LEN];
	if (!acc) {
		sqlite3_result_error_nomem(c);
		return;
	}
	if (!seal_ready(c, k))
		return;
	if (seal_mac(k->key, "#evidence-row", argc, argv, mac)) {
		sqlite3_result_error(c, "dipr_seal_agg: cannot compute the MAC", -1);
		return;
	}
	for (int i = 0; i < DIPR_HASH_LEN; i++)
		acc[i] ^= mac[i];
}

static void fn_agg_final(sqlite3_context *c)
{
	uint8_t *acc = sqlite3_aggregate_context(c, 0), zero[DIPR_HASH_LEN] = {0};
	sqlite3_result_blob(c, acc ? acc : zero, DIPR_HASH_LEN, SQLITE_TRANSIENT);
}

static void seal_ctx_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, sizeof(seal_ctx));
		free(p);
	}
}

/* ---- the key ---- */

/* dir of a database path ("." if none). */
static void dir_of(const char *dbpath, char *out, size_t cap)
{
	const char *sl = strrchr(dbpath, '/');
	if (!sl)
		snprintf(out, cap, ".");
	else if (sl == dbpath)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(sl - dbpath), dbpath);
}

/* Reads dir/keys/seal.key (64 hex + newline, mode 0600).  DIPR_ENOTFOUND
 * if there is none; other errors with a detail. */
static int key_read_file(const char *path, uint8_t key[SEAL_KEY_LEN])
{
	struct stat st;
	char buf[80];
	if (stat(path, &st) != 0)
		return errno == ENOENT ? DIPR_ENOTFOUND : dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return dipr__err(DIPR_EINVAL, "%s: key file must not be readable by others (mode %03o, expected 600)", path,
				 (unsigned)(st.st_mode & 0777));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	int rc = 0;
	if (n < 64 || (n > 64 && buf[64] != '\n') || dipr_hex_decode(buf, 64, key, SEAL_KEY_LEN))
		rc = dipr__err(DIPR_EINVAL, "%s: expected 64 hex digits and a newline", path);
	OPENSSL_cleanse(buf, sizeof buf);
	return rc;
}

static int key_read(const char *dir, uint8_t key[SEAL_KEY_LEN])
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	return key_read_file(path, key);
}

int dipr__fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: %s", dir, strerror(errno));
	int rc = fsync(fd) ? dipr__err(DIPR_EIO, "%s: fsync: %s", dir, strerror(errno)) : 0;
	close(fd);
	return rc;
}

/* ---- schema trust ---- */

static bool is_ours_trigger(const char *name, const char *sql)
{
	dipr_buf b;
	bool ok = false;
	dipr_buf_init(&b, 1 << 20);
	if (strcmp(name, "seal_evidence") == 0) {
		ok = strcmp(sql, evidence_trigger) == 0;
	} else {
		for (size_t i = 0; i < NTABLES && !ok; i++)
			for (const char *op = "iud"; *op; op++) {
				char want[80];
				snprintf(want, sizeof want, "seal_%s_%c", tables[i].name, *op);
				if (strcmp(name, want) != 0)
					continue;
				dipr_buf_reset(&b);
				ok = trigger_sql(&b, &tables[i], *op) == 0 && dipr_buf_add(&b, "", 1) == 0 &&
				     strcmp((const char *)b.p, sql) == 0;
			}
	}
	dipr_buf_free(&b);
	return ok;
}

/* The first schema object that could call the seal functions and is not
 * one of our triggers (exactly as we make them): written to why. */
static bool schema_untrusted(sqlite3 *db, char *why, size_t cap)
{
	sqlite3_stmt *st = NULL;
	bool bad = false;
	if (sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(why, cap, "seal: cannot read the schema: %s", sqlite3_errmsg(db));
		return true;
	}
	while (!bad && sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 0), *name = (const char *)sqlite3_column_text(st, 1),
			   *sql = (const char *)sqlite3_column_text(st, 2);
		if (!sql || !strcasestr(sql, "dipr_seal"))
			continue;
		if (strcmp(type, "trigger") == 0 && is_ours_trigger(name, sql))
			continue;
		snprintf(why, cap,
			 "seal: %s %s in the database was not made by dipr and could use the seal key; refusing "
			 "sealed writes (run dipr audit --dir)",
			 type, name);
		bad = true;
	}
	sqlite3_finalize(st);
	return bad;
}

static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		yes = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return yes;
}

static int register_fns(sqlite3 *db, seal_ctx *k)
{
	int f = SQLITE_UTF8;
	if (sqlite3_create_function_v2(db, "dipr_seal", -1, f, k, fn_seal, NULL, NULL, seal_ctx_free) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "dipr_seal_check", -1, f, k, fn_seal_check, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "dipr_seal_xor", 2, f, k, fn_seal_xor, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function_v2(db, "dipr_seal_agg", -1, f, k, NULL, fn_agg_step, fn_agg_final, NULL) !=
		    SQLITE_OK)
		return DIPR_ENOMEM;
	return 0;
}

/* Registers the functions with key (NULL: none) and the schema's verdict. */
static int attach_with(sqlite3 *db, const uint8_t *key, const char *why_nokey)
{
	seal_ctx *k = calloc(1, sizeof *k);
	if (!k)
		return DIPR_ENOMEM;
	if (key) {
		memcpy(k->key, key, SEAL_KEY_LEN);
		k->have_key = true;
		schema_untrusted(db, k->why, sizeof k->why);
	} else {
		snprintf(k->why, sizeof k->why, "%s", why_nokey);
	}
	/* k belongs to SQLite from here, even on failure: it calls the
	 * destructor of dipr_seal when that registration fails, and when the
	 * function is replaced or the connection closes. */
	return register_fns(db, k);
}

int dipr__seal_attach(dipr_store *s, const char *dbpath)
{
	char dir[4200], path[4300], why[600];
	uint8_t key[SEAL_KEY_LEN];
	dir_of(dbpath, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	int rc = key_read_file(path, key);
	if (rc == 0) {
		rc = attach_with(s->db, key, NULL);
		OPENSSL_cleanse(key, sizeof key);
		return rc;
	}
	if (rc == DIPR_ENOTFOUND)
		snprintf(why, sizeof why, "seal: %.300s is missing: sealed tables cannot be written (copy it from the data "
			 "directory the database came from)", path);
	else
		snprintf(why, sizeof why, "seal: %.500s", dipr_errdetail());
	return attach_with(s->db, NULL, why);
}

/* ---- install ---- */

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	int rc = dipr__err(DIPR_EIO, "seal: %s: %s", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return rc;
}

/* Seals every row of t as it stands (install: trust on first use). */
static int seal_existing(sqlite3 *db, const seal_table *t)
{
	dipr_buf q;
	int rc = 0;
	dipr_buf_init(&q, 1 << 16);
	rc = rc || dipr_buf_addf(&q, "INSERT INTO seal(tbl, k, mac) SELECT '%s', ", t->name);
	rc = rc || key_expr(&q, t->key, "");
	rc = rc || dipr_buf_addf(&q, ", dipr_seal('%s', ", t->name);
	rc = rc || col_list(&q, t->cols, "");
	rc = rc || dipr_buf_addf(&q, ") FROM %s;", t->name);
	rc = rc || dipr_buf_addf(&q, "INSERT INTO seal_sum(tbl, n, x, mac) SELECT '%s', 0, zeroblob(32), x'';", t->name);
	rc = rc || dipr_buf_add(&q, "", 1);
	if (rc) {
		dipr_buf_free(&q);
		return DIPR_ENOMEM;
	}
	rc = exec(db, (const char *)q.p, t->name);
	dipr_buf_free(&q);
	if (rc)
		return rc;
	/* the sum: XOR over the row MACs, in C (no aggregate needed in SQL) */
	sqlite3_stmt *st = NULL, *up = NULL;
	uint8_t x[DIPR_HASH_LEN] = {0};
	int64_t n = 0;
	if (sqlite3_prepare_v2(db, "SELECT mac FROM seal WHERE tbl = ?1", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE seal_sum SET n = ?2, x = ?3, mac = dipr_seal('#sum', tbl, ?2, ?3) WHERE tbl = ?1",
			       -1, &up, NULL) != SQLITE_OK) {
		rc = dipr__err(DIPR_EIO, "seal: %s: %s", t->name, sqlite3_errmsg(db));
		goto done;
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *m = sqlite3_column_blob(st, 0);
		for (int i = 0; m && i < DIPR_HASH_LEN; i++)
			x[i] ^= m[i];
		n++;
	}
	sqlite3_bind_text(up, 1, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 2, n);
	sqlite3_bind_blob(up, 3, x, sizeof x, SQLITE_STATIC);
	if (sqlite3_step(up) != SQLITE_DONE)
		rc = dipr__err(DIPR_EIO, "seal: %s sum: %s", t->name, sqlite3_errmsg(db));
done:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

static int install_in_txn(sqlite3 *db)
{
	dipr_buf b;
	int rc;
	if ((rc = exec(db, seal_schema, "create seal tables")))
		return rc;
	dipr_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < NTABLES; i++) {
		if (!has_table(db, tables[i].name))
			continue; /* made later by its own code: sealed from birth by verify's rule */
		if ((rc = seal_existing(db, &tables[i])))
			goto done;
		for (const char *op = "iud"; *op; op++) {
			dipr_buf_reset(&b);
			if ((rc = trigger_sql(&b, &tables[i], *op)) || (rc = dipr_buf_add(&b, "", 1)) ||
			    (rc = exec(db, (const char *)b.p, tables[i].name)))
				goto done;
		}
	}
	/* evidence so far: one seal for [0, size) */
	if ((rc = exec(db,
		       "INSERT INTO seal(tbl, k, mac) SELECT '#evidence', 0, dipr_seal('#evidence', 0, size,"
		       " (SELECT dipr_seal_agg(idx, account, meta) FROM evidence WHERE idx < tree.size))"
		       " FROM tree WHERE id = 1 AND size > 0",
		       "seal evidence")) ||
	    (rc = exec(db, evidence_trigger, "evidence trigger")))
		goto done;
done:
	dipr_buf_free(&b);
	return rc;
}

int dipr_seal_install(dipr_store *s, const char *dir, bool *installed)
{
	char path[4200], tmp[4300], kdir[4200];
	uint8_t key[SEAL_KEY_LEN];
	char hex[2 * SEAL_KEY_LEN + 2];
	int rc;
	if (installed)
		*installed = false;
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(kdir, sizeof kdir, "%s/keys", dir);
	bool tables_there = has_table(s->db, "seal");
	rc = key_read_file(path, key);
	if (rc == 0) {
		OPENSSL_cleanse(key, sizeof key);
		if (!tables_there)
			return dipr__err(DIPR_EVERIFY, "seal: %s exists but the seal tables are gone from the database "
					 "(removed outside dipr?)", path);
		return 0;
	}
	if (rc != DIPR_ENOTFOUND)
		return rc;
	/* A crash may have left the key as seal.key.tmp: after the commit
	 * (tables there) it only needs its rename; before it, start over. */
	if (tables_there) {
		if (key_read_file(tmp, key) != 0)
			return dipr__err(DIPR_EVERIFY, "seal: the database is sealed but %s is missing (copy it from the "
					 "data directory the database came from)", path);
		OPENSSL_cleanse(key, sizeof key);
		if (rename(tmp, path) != 0)
			return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
		return dipr__fsync_dir(kdir);
	}
	/* A password/session table made lazily later would have rows and no
	 * triggers; have the accounts code make them now (its statements
	 * create the tables on first use). */
	{
		dipr_account a;
		char h[8];
		(void)dipr_store_password_get(s, "", &a, h, sizeof h);
	}
	if ((rc = dipr_random(key, sizeof key)))
		return rc;
	dipr_hex_encode(key, sizeof key, hex);
	hex[64] = '\n';
	hex[65] = 0;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = dipr__err(DIPR_EIO, "%s: cannot create: %s", tmp, strerror(errno));
		goto done;
	}
	if (write(fd, hex, 65) != 65 || fsync(fd) != 0) {
		rc = dipr__err(DIPR_EIO, "%s: write failed: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto done;
	}
	close(fd);
	/* This connection seals with the new key from now on. */
	if ((rc = attach_with(s->db, key, NULL)))
		goto done;
	if ((rc = exec(s->db, "BEGIN IMMEDIATE", "begin")))
		goto done;
	if ((rc = install_in_txn(s->db))) {
		exec(s->db, "ROLLBACK", "rollback");
		unlink(tmp);
		goto done;
	}
	if ((rc = exec(s->db, "COMMIT", "commit"))) {
		if (!sqlite3_get_autocommit(s->db))
			exec(s->db, "ROLLBACK", "rollback");
		goto done;
	}
	if (rename(tmp, path) != 0) {
		rc = dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
		goto done;
	}
	if ((rc = dipr__fsync_dir(kdir)))
		goto done;
	if (installed)
		*installed = true;
done:
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}

/* ---- verification ---- */

typedef struct {
	sqlite3 *db;
	const char *dir;
	const dipr_verify_opts *o;
	dipr_verify_result *r;
	unsigned max;
	bool full; /* stop: too many problems */
	uint8_t key[SEAL_KEY_LEN];
	bool have_key;
} vctx;

static void problem(vctx *v, const char *fmt, ...) DIPR__PRINTF(2, 3);
static void problem(vctx *v, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v->r->problems == 0)
		dipr__err(DIPR_EVERIFY, "%s", msg);
	v->r->problems++;
	if (v->o->report)
		fprintf(v->o->report, "%s: %s\n", v->o->prefix ? v->o->prefix : "verify", msg);
	if (v->r->problems >= v->max)
		v->full = true;
}

static void note(vctx *v, const char *fmt, ...) DIPR__PRINTF(2, 3);
static void note(vctx *v, const char *fmt, ...)
{
	va_list ap;
	if (!v->o->report)
		return;
	fprintf(v->o->report, "%s: note: ", v->o->prefix ? v->o->prefix : "verify");
	va_start(ap, fmt);
	vfprintf(v->o->report, fmt, ap);
	va_end(ap);
	fputc('\n', v->o->report);
}

static sqlite3_stmt *prep(vctx *v, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) != SQLITE_OK) {
		problem(v, "database: cannot read (%s): %s", sql, sqlite3_errmsg(v->db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* A step that is neither a row nor the end: the file is damaged. */
static bool step_err(vctx *v, int r, const char *what)
{
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return false;
	problem(v, "database: reading %s failed: %s", what, sqlite3_errmsg(v->db));
	return true;
}

static void check_integrity(vctx *v)
{
	sqlite3_stmt *st = prep(v, "PRAGMA integrity_check(20)");
	int r;
	if (!st)
		return;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);
		if (m && strcmp(m, "ok") != 0)
			problem(v, "database file: integrity_check: %s", m);
	}
	step_err(v, r, "integrity_check");
	sqlite3_finalize(st);
}

static int meta_text(vctx *v, const char *k, char *out, size_t cap)
{
	sqlite3_stmt *st = prep(v, "SELECT v FROM meta WHERE k = ?1");
	int rc = DIPR_ENOTFOUND;
	if (!st)
		return DIPR_EIO;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT) {
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The verifiers: opts, else the key files, else meta's vkeys. */
typedef struct {
	dipr_verifier *v[4];
	size_t n;
	bool own;
} vlist;

static void vlist_free(vlist *l)
{
	if (l->own)
		for (size_t i = 0; i < l->n; i++)
			dipr_verifier_free(l->v[i]);
	l->n = 0;
}

static void load_verifiers(vctx *v, vlist *l)
{
	static const char *const files[] = {"keys/log-ed25519.key", "keys/log-sm2.key"};
	static const char *const metas[] = {"vkey_ed25519", "vkey_sm2"};
	char path[4200], mv[1024];
	memset(l, 0, sizeof *l);
	if (v->o->vs && v->o->nvs) {
		for (size_t i = 0; i < v->o->nvs && i < 4; i++)
			l->v[l->n++] = v->o->vs[i];
		return;
	}
	l->own = true;
	for (int i = 0; i < 2; i++) {
		dipr_buf b;
		dipr_signer *sg = NULL;
		char *vk = NULL;
		dipr_verifier *vf = NULL;
		snprintf(path, sizeof path, "%s/%s", v->dir, files[i]);
		dipr_buf_init(&b, 4096);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			uint8_t tmp[4096];
			ssize_t n = read(fd, tmp, sizeof tmp);
			close(fd);
			while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
				n--;
			if (n > 0 && dipr_signer_from_skey(&sg, (const char *)tmp, (size_t)n) == 0 &&
			    dipr_signer_vkey(sg, &vk) == 0)
				dipr_verifier_from_vkey(&vf, vk, strlen(vk));
			OPENSSL_cleanse(tmp, sizeof tmp);
			if (!vf)
				problem(v, "%s: not a valid key", path);
		}
		dipr_buf_free(&b);
		/* meta's vkey must be the key file's */
		bool have_meta = meta_text(v, metas[i], mv, sizeof mv) == 0;
		if (vk && have_meta && strcmp(vk, mv) != 0)
			problem(v, "table meta: row %s differs from the vkey of %s", metas[i], path);
		if (!vf && fd < 0 && have_meta) {
			if (i == 0)
				note(v, "%s/keys not found: the checkpoint is checked with the vkeys stored in the database",
				     v->dir);
			dipr_verifier_from_vkey(&vf, mv, strlen(mv));
		}
		if (!vf && fd < 0 && !have_meta)
			problem(v, "table meta: row %s missing and no %s", metas[i], path);
		if (vf)
			l->v[l->n++] = vf;
		free(vk);
		dipr_signer_free(sg);
	}
}

/* -- the tree -- */

typedef struct {
	vctx *v;
	dipr_tree_edge edge;
	sqlite3_stmt *tile; /* SELECT data FROM tile WHERE level AND idx */
	uint64_t tiles_checked;
} tree_ctx;

static void compare_tile(tree_ctx *t, int level, uint64_t index, unsigned width, const uint8_t (*h)[DIPR_HASH_LEN])
{
	vctx *v = t->v;
	sqlite3_reset(t->tile);
	sqlite3_bind_int(t->tile, 1, level);
	sqlite3_bind_int64(t->tile, 2, (sqlite3_int64)index);
	int r = sqlite3_step(t->tile);
	if (r != SQLITE_ROW) {
		/* Level-0 tiles are recomputed from the entries, not stored
		 * (log/log.c leaf_tile); older directories still have them. */
		if (!step_err(v, r, "tile") && level != 0)
			problem(v, "table tile: tile %d/%llu is missing", level, (unsigned long long)index);
		return;
	}
	const uint8_t *d = sqlite3_column_blob(t->tile, 0);
	size_t n = (size_t)sqlite3_column_bytes(t->tile, 0);
	if (n != (size_t)width * DIPR_HASH_LEN) {
		problem(v, "table tile: tile %d/%llu holds %zu bytes, the tree needs %u hashes (%u bytes)", level,
			(unsigned long long)index, n, width, width * DIPR_HASH_LEN);
		return;
	}
	for (unsigned i = 0; i < width; i++)
		if (memcmp(d + (size_t)i * DIPR_HASH_LEN, h[i], DIPR_HASH_LEN) != 0) {
			if (level == 0)
				problem(v, "table tile: tile 0/%llu hash %u differs from the leaf hash of entry %llu "
					"(the entry or the tile was changed)", (unsigned long long)index, i,
					(unsigned long long)(index * 256 + i));
			else
				problem(v, "table tile: tile %d/%llu hash %u differs from the one recomputed from the entries",
					level, (unsigned long long)index, i);
			return;
		}
	t->tiles_checked++;
}

static int emit_full(void *ctx, const dipr_tile_id *id, const uint8_t (*h)[DIPR_HASH_LEN])
{
	tree_ctx *t = ctx;
	compare_tile(t, id->level, id->index, id->width, h);
	return 0;
}

/* Side tables read in index order beside the entries. */
typedef struct {
	sqlite3_stmt *st;
	bool has;   /* a current row */
	int64_t idx;
} cursor;

static void cur_next(vctx *v, cursor *c, const char *what)
{
	int r = c->st ? sqlite3_step(c->st) : SQLITE_DONE;
	c->has = r == SQLITE_ROW;
	if (c->has)
		c->idx = sqlite3_column_int64(c->st, 0);
	else
		step_err(v, r, what);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* SM3(salt || JCS(meta)) of an evidence row {"meta":..,"salt":hex}. */
static void check_evidence_row(vctx *v, uint64_t idx, json_t *entry, sqlite3_stmt *ev)
{
	const char *mh = jstr(entry, "meta_hash");
	if (sqlite3_column_type(ev, 2) == SQLITE_NULL) {
		if (mh)
			problem(v, "table evidence: row %llu has no metadata but entry %llu has a meta_hash",
				(unsigned long long)idx, (unsigned long long)idx);
		return;
	}
	json_t *row = NULL;
	dipr_buf canon;
	uint8_t salt[16], h[DIPR_HASH_LEN];
	char hex[2 * DIPR_HASH_LEN + 1];
	const char *salthex;
	dipr_buf_init(&canon, 1 << 24);
	if (dipr__json_parse(sqlite3_column_blob(ev, 2), (size_t)sqlite3_column_bytes(ev, 2), 64, "meta", &row) ||
	    !json_is_object(json_object_get(row, "meta")) || !(salthex = jstr(row, "salt")) || strlen(salthex) != 32 ||
	    dipr_hex_decode(salthex, 32, salt, sizeof salt) ||
	    dipr__jcs_encode(json_object_get(row, "meta"), &canon)) {
		problem(v, "table evidence: row %llu: meta is not {\"meta\":{..},\"salt\":hex}", (unsigned long long)idx);
	} else if (!mh) {
		problem(v, "table evidence: row %llu has metadata but entry %llu has no meta_hash", (unsigned long long)idx,
			(unsigned long long)idx);
	} else {
		dipr_hash3(DIPR_HASH_SM3, salt, sizeof salt, canon.p, canon.n, NULL, 0, h);
		dipr_hex_encode(h, sizeof h, hex);
		if (strcmp(hex, mh) != 0)
			problem(v, "table evidence: row %llu: SM3(salt || meta) differs from the meta_hash logged in entry "
				"%llu (the metadata was changed)", (unsigned long long)idx, (unsigned long long)idx);
	}
	json_decref(row);
	dipr_buf_free(&canon);
}

static void check_event_row(vctx *v, uint64_t idx, json_t *entry, sqlite3_stmt *ev)
{
	const char *type = jstr(entry, "type"), *name = (const char *)sqlite3_column_text(ev, 2),
		   *ename = jstr(entry, "event");
	int64_t app = sqlite3_column_int64(ev, 1);
	json_t *eapp = json_object_get(entry, "app");
	uint8_t h[DIPR_HASH_LEN];
	char hex[2 * DIPR_HASH_LEN + 1];
	if (!type || strcmp(type, "registration") != 0) {
		problem(v, "table event: row %llu: entry %llu is not a registration entry", (unsigned long long)idx,
			(unsigned long long)idx);
		return;
	}
	if (!name || !ename || strcmp(name, ename) != 0)
		problem(v, "table event: row %llu: name %s differs from the logged event %s", (unsigned long long)idx,
			name ? name : "(null)", ename ? ename : "(none)");
	if (!json_is_integer(eapp) || json_integer_value(eapp) != app)
		problem(v, "table event: row %llu: app %lld differs from the logged app", (unsigned long long)idx,
			(long long)app);
	const char *bh = jstr(entry, "body_hash");
	dipr_hash(DIPR_HASH_SM3, sqlite3_column_blob(ev, 3), (size_t)sqlite3_column_bytes(ev, 3), h);
	dipr_hex_encode(h, sizeof h, hex);
	if (!bh || strcmp(bh, hex) != 0)
		problem(v, "table event: row %llu: SM3(body) differs from the body_hash logged in entry %llu (the "
			"record was changed)", (unsigned long long)idx, (unsigned long long)idx);
}

static void check_cert_row(vctx *v, uint64_t idx, const uint8_t *e, size_t len, sqlite3_stmt *ct)
{
	const char *certno = (const char *)sqlite3_column_text(ct, 1);
	json_t *file = NULL;
	dipr_buf canon;
	dipr_cert_body *body = calloc(1, sizeof *body);
	dipr_buf_init(&canon, 1 << 20);
	if (!body) {
		problem(v, "out of memory");
	} else if (dipr__json_parse(sqlite3_column_blob(ct, 2), (size_t)sqlite3_column_bytes(ct, 2), 16, "cert", &file) ||
		   dipr__jcs_encode(json_object_get(file, "certificate"), &canon) ||
		   dipr_cert_body_parse(canon.p, canon.n, body)) {
		problem(v, "table cert: row %s: file is not a certificate: %s", certno ? certno : "?", dipr_errdetail());
	} else if (dipr_cert_entry_match(body, e, len, NULL)) {
		problem(v, "table cert: row %s: the certificate differs from its logged entry %llu: %s",
			certno ? certno : "?", (unsigned long long)idx, dipr_errdetail());
	}
	json_decref(file);
	dipr_buf_free(&canon);
	free(body);
}

/* One pass over the entries: canonical JSON, leaf hashes into the tree
 * (tiles compared as they fill), and the rows that hang off entries. */
static void check_tree(vctx *v, const dipr_checkpoint *cp, bool cp_ok)
{
	dipr_verify_result *r = v->r;
	tree_ctx *t = calloc(1, sizeof *t);
	sqlite3_stmt *ent = prep(v, "SELECT idx, data FROM entry ORDER BY idx");
	cursor ev = {prep(v, "SELECT idx, account, meta FROM evidence ORDER BY idx"), 0, 0},
	       evt = {has_table(v->db, "event") ? prep(v, "SELECT idx, app, name, body FROM event ORDER BY idx") : NULL, 0, 0},
	       crt = {has_table(v->db, "cert") ? prep(v, "SELECT idx, certno, file FROM cert ORDER BY idx, certno") : NULL,
		      0, 0};
	uint64_t want = 0;
	int rr = SQLITE_DONE;
	bool root_set = false;
	if (!t || !ent || !ev.st) {
		if (!t)
			problem(v, "out of memory");
		goto done;
	}
	t->v = v;
	t->tile = prep(v, "SELECT data FROM tile WHERE level = ?1 AND idx = ?2");
	if (!t->tile)
		goto done;
	dipr_tree_edge_init(&t->edge, r->alg);
	if (v->o->want_root_at && v->o->root_at_size == 0) {
		dipr_merkle_empty_root(r->alg, r->root_at);
		r->have_root_at = true;
	}
	if (cp_ok && cp->size == 0) {
		dipr_merkle_empty_root(r->alg, r->root);
		root_set = true;
	}
	cur_next(v, &ev, "evidence");
	cur_next(v, &evt, "event");
	cur_next(v, &crt, "cert");
	while (!v->full && (rr = sqlite3_step(ent)) == SQLITE_ROW) {
		uint64_t idx = (uint64_t)sqlite3_column_int64(ent, 0);
		const uint8_t *e = sqlite3_column_blob(ent, 1);
		size_t len = (size_t)sqlite3_column_bytes(ent, 1);
		if (idx != want) {
			problem(v, "table entry: entry %llu is missing (next stored: %llu)", (unsigned long long)want,
				(unsigned long long)idx);
			break;
		}
		if (idx >= r->tree_size) {
			problem(v, "table entry: entry %llu is beyond the tree size %llu (table tree)",
				(unsigned long long)idx, (unsigned long long)r->tree_size);
			break;
		}
		json_t *j = NULL;
		dipr_buf canon;
		dipr_buf_init(&canon, ENTRY_MAX);
		bool canonical = len <= ENTRY_MAX && dipr__json_parse(e, len, 16, "entry", &j) == 0 &&
				 dipr__jcs_encode(j, &canon) == 0 && canon.n == len && memcmp(canon.p, e, len) == 0;
		dipr_buf_free(&canon);
		if (!canonical)
			problem(v, "table entry: entry %llu is not canonical JSON (it was changed)", (unsigned long long)idx);
		const char *type = j ? jstr(j, "type") : NULL;
		/* evidence rows */
		while (ev.has && (uint64_t)ev.idx < idx) {
			problem(v, "table evidence: row %lld has no entry", (long long)ev.idx);
			cur_next(v, &ev, "evidence");
		}
		if (ev.has && (uint64_t)ev.idx == idx) {
			if (!type || strcmp(type, "evidence") != 0)
				problem(v, "table evidence: row %llu: entry %llu is not an evidence entry",
					(unsigned long long)idx, (unsigned long long)idx);
			else
				check_evidence_row(v, idx, j, ev.st);
			cur_next(v, &ev, "evidence");
		} else if (type && strcmp(type, "evidence") == 0 && jstr(j, "meta_hash")) {
			problem(v, "table evidence: row %llu is missing (entry %llu has a meta_hash)",
				(unsigned long long)idx, (unsigned long long)idx);
		}
		/* event rows */
		while (evt.has && (uint64_t)evt.idx < idx) {
			problem(v, "table event: row %lld has no entry", (long long)evt.idx);
			cur_next(v, &evt, "event");
		}
		if (evt.has && (uint64_t)evt.idx == idx) {
			if (j)
				check_event_row(v, idx, j, evt.st);
			cur_next(v, &evt, "event");
		} else if (type && strcmp(type, "registration") == 0) {
			problem(v, "table event: row %llu is missing (entry %llu is a registration entry)",
				(unsigned long long)idx, (unsigned long long)idx);
		}
		/* cert rows */
		while (crt.has && (uint64_t)crt.idx < idx) {
			problem(v, "table cert: row %s: entry %lld is not its certificate entry",
				(const char *)sqlite3_column_text(crt.st, 1), (long long)crt.idx);
			cur_next(v, &crt, "cert");
		}
		if (crt.has && (uint64_t)crt.idx == idx) {
			if (!type || strcmp(type, "certificate") != 0)
				problem(v, "table cert: row %s: entry %llu is not a certificate entry",
					(const char *)sqlite3_column_text(crt.st, 1), (unsigned long long)idx);
			else
				check_cert_row(v, idx, e, len, crt.st);
			cur_next(v, &crt, "cert");
		} else if (type && strcmp(type, "certificate") == 0) {
			problem(v, "table cert: the certificate of entry %llu (%s) is missing", (unsigned long long)idx,
				jstr(j, "certno") ? jstr(j, "certno") : "?");
		}
		json_decref(j);
		uint8_t leaf[DIPR_HASH_LEN];
		dipr_merkle_leaf_hash(r->alg, e, len, leaf);
		if (dipr_tree_edge_append(&t->edge, leaf, emit_full, t)) {
			problem(v, "table entry: the tree cannot grow past %llu", (unsigned long long)idx);
			break;
		}
		if (v->o->want_root_at && t->edge.size == v->o->root_at_size) {
			dipr_tree_edge_root(&t->edge, r->root_at);
			r->have_root_at = true;
		}
		if (cp_ok && t->edge.size == cp->size) {
			dipr_tree_edge_root(&t->edge, r->root);
			root_set = true;
		}
		want++;
	}
	if (!v->full && step_err(v, rr, "entries"))
		goto done;
	if (!v->full && want < r->tree_size)
		problem(v, "table entry: entries %llu.. are missing (table tree says %llu)", (unsigned long long)want,
			(unsigned long long)r->tree_size);
	if (v->full)
		goto done;
	for (; ev.has; cur_next(v, &ev, "evidence"))
		problem(v, "table evidence: row %lld has no entry", (long long)ev.idx);
	for (; evt.has; cur_next(v, &evt, "event"))
		problem(v, "table event: row %lld has no entry", (long long)evt.idx);
	for (; crt.has; cur_next(v, &crt, "cert"))
		problem(v, "table cert: row %s: entry %lld is not its certificate entry",
			(const char *)sqlite3_column_text(crt.st, 1), (long long)crt.idx);
	/* the partial tiles at the right edge */
	for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++)
		if (t->edge.count[lv])
			compare_tile(t, lv, (t->edge.size >> (8 * lv)) / DIPR_TILE_WIDTH, t->edge.count[lv],
				     (const uint8_t(*)[DIPR_HASH_LEN])t->edge.hashes[lv]);
	/* no tile the tree does not have */
	sqlite3_stmt *all = prep(v, "SELECT level, idx, length(data) FROM tile");
	uint64_t ntiles = 0;
	while (all && (rr = sqlite3_step(all)) == SQLITE_ROW) {
		int lv = sqlite3_column_int(all, 0);
		uint64_t n = (uint64_t)sqlite3_column_int64(all, 1);
		uint64_t hashes = lv >= 0 && lv < DIPR_TILE_MAX_LEVELS ? t->edge.size >> (8 * lv) : 0;
		if (n * 256 >= hashes)
			problem(v, "table tile: tile %d/%llu is not part of the tree of size %llu", lv,
				(unsigned long long)n, (unsigned long long)t->edge.size);
		ntiles++;
	}
	if (all)
		step_err(v, rr, "tiles");
	sqlite3_finalize(all);
	if (cp_ok && !root_set)
		problem(v, "table checkpoint: size %llu is beyond the %llu entries", (unsigned long long)cp->size,
			(unsigned long long)t->edge.size);
	else if (cp_ok && memcmp(r->root, cp->root, DIPR_HASH_LEN) != 0)
		problem(v, "table checkpoint: the root recomputed from the entries at size %llu differs from the signed "
			"checkpoint", (unsigned long long)cp->size);
done:
	if (t)
		sqlite3_finalize(t->tile);
	free(t);
	sqlite3_finalize(ent);
	sqlite3_finalize(ev.st);
	sqlite3_finalize(evt.st);
	sqlite3_finalize(crt.st);
}

/* -- seals -- */

static void mac_of_row(vctx *v, const char *domain, sqlite3_stmt *st, int first, int n, uint8_t out[DIPR_HASH_LEN])
{
	sqlite3_value *vals[32];
	for (int i = 0; i < n && i < 32; i++)
		vals[i] = sqlite3_column_value(st, first + i);
	seal_mac(v->key, domain, n, vals, out);
}

/* Column i as text for a message: blobs (hash keys) in hex. */
static const char *key_text(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
	if (sqlite3_column_type(st, i) != SQLITE_BLOB) {
		const char *t = (const char *)sqlite3_column_text(st, i);
		snprintf(buf, cap, "%s", t ? t : "?");
	} else {
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		if (n > (cap - 1) / 2)
			n = (cap - 1) / 2;
		dipr_hex_encode(sqlite3_column_blob(st, i), n, buf);
	}
	return buf;
}

static int ncols(const char *cols)
{
	int n = 1;
	for (const char *p = cols; *p; p++)
		n += *p == ',';
	return n;
}

/* Checks that t's columns are exactly those sealed. */
static bool columns_match(vctx *v, const seal_table *t)
{
	char sql[200];
	dipr_buf have;
	bool ok;
	snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", t->name);
	sqlite3_stmt *st = prep(v, sql);
	if (!st)
		return false;
	dipr_buf_init(&have, 1 << 16);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (have.n)
			dipr_buf_add(&have, ",", 1);
		dipr_buf_adds(&have, (const char *)sqlite3_column_text(st, 0));
	}
	dipr_buf_add(&have, "", 1);
	sqlite3_finalize(st);
	ok = have.p && strcmp((const char *)have.p, t->cols) == 0;
	if (!ok)
		problem(v, "table %s: columns (%s) are not the sealed ones (%s): store/verify.c must seal every column",
			t->name, have.p ? (const char *)have.p : "", t->cols);
	dipr_buf_free(&have);
	return ok;
}

static void check_table_seals(vctx *v, const seal_table *t)
{
	dipr_buf q;
	int nc = ncols(t->cols), rr;
	uint8_t x[DIPR_HASH_LEN] = {0}, mac[DIPR_HASH_LEN];
	int64_t n = 0;
	if (!columns_match(v, t))
		return;
	dipr_buf_init(&q, 1 << 16);
	/* Columns qualified: the seal table has a column k too. */
	char pfx[80];
	snprintf(pfx, sizeof pfx, "%s.", t->name);
	dipr_buf_adds(&q, "SELECT ");
	key_expr(&q, t->key, pfx);
	dipr_buf_addf(&q, ", (SELECT mac FROM seal WHERE seal.tbl = '%s' AND seal.k = ", t->name);
	key_expr(&q, t->key, pfx);
	dipr_buf_adds(&q, "), ");
	col_list(&q, t->cols, pfx);
	dipr_buf_addf(&q, " FROM %s", t->name);
	dipr_buf_add(&q, "", 1);
	sqlite3_stmt *st = q.p ? prep(v, (const char *)q.p) : NULL;
	while (st && !v->full && (rr = sqlite3_step(st)) == SQLITE_ROW) {
		char kb[80];
		const char *key = key_text(st, 0, kb, sizeof kb);
		mac_of_row(v, t->name, st, 2, nc, mac);
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			problem(v, "table %s: row %s has no seal (added outside dipr)", t->name, key ? key : "?");
		else if (sqlite3_column_bytes(st, 1) != DIPR_HASH_LEN ||
			 CRYPTO_memcmp(sqlite3_column_blob(st, 1), mac, DIPR_HASH_LEN) != 0)
			problem(v, "table %s: row %s was changed outside dipr (its MAC does not match)", t->name,
				key ? key : "?");
		v->r->rows_sealed++;
	}
	if (st && !v->full)
		step_err(v, rr, t->name);
	sqlite3_finalize(st);
	/* seals without their row, and the table's sum */
	dipr_buf_reset(&q);
	dipr_buf_addf(&q, "SELECT k, mac, NOT EXISTS(SELECT 1 FROM %s WHERE ", t->name);
	key_expr(&q, t->key, pfx);
	dipr_buf_addf(&q, " = seal.k) FROM seal WHERE tbl = '%s'", t->name);
	dipr_buf_add(&q, "", 1);
	st = q.p ? prep(v, (const char *)q.p) : NULL;
	while (st && !v->full && (rr = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *m = sqlite3_column_blob(st, 1);
		if (sqlite3_column_int(st, 2))
		{
			char kb[80];
			problem(v, "table %s: row %s was deleted outside dipr", t->name, key_text(st, 0, kb, sizeof kb));
		}
		for (int i = 0; m && sqlite3_column_bytes(st, 1) == DIPR_HASH_LEN && i < DIPR_HASH_LEN; i++)
			x[i] ^= m[i];
		n++;
	}
	sqlite3_finalize(st);
	dipr_buf_free(&q);
	if (v->full)
		return;
	st = prep(v, "SELECT tbl, n, x, mac FROM seal_sum WHERE tbl = ?1");
	if (!st)
		return;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		problem(v, "table seal_sum: the row of table %s is missing", t->name);
	} else {
		mac_of_row(v, "#sum", st, 0, 3, mac);
		if (sqlite3_column_bytes(st, 3) != DIPR_HASH_LEN ||
		    CRYPTO_memcmp(sqlite3_column_blob(st, 3), mac, DIPR_HASH_LEN) != 0)
			problem(v, "table seal_sum: the row of table %s was changed outside dipr", t->name);
		else if (sqlite3_column_int64(st, 1) != n || sqlite3_column_bytes(st, 2) != DIPR_HASH_LEN ||
			 memcmp(sqlite3_column_blob(st, 2), x, DIPR_HASH_LEN) != 0)
			problem(v, "table %s: rows were deleted (or seals changed) outside dipr: the row MACs are not the "
				"sealed set (%lld sealed, %lld present)", t->name, (long long)sqlite3_column_int64(st, 1),
				(long long)n);
	}
	sqlite3_finalize(st);
}

/* Evidence batch seals: ranges [k_i, k_i+1) .. [k_last, tree size). */
static void check_evidence_seals(vctx *v)
{
	sqlite3_stmt *ks = prep(v, "SELECT k, mac FROM seal WHERE tbl = '#evidence' ORDER BY k");
	sqlite3_stmt *agg = NULL;
	int64_t *k = NULL;
	uint8_t (*m)[DIPR_HASH_LEN] = NULL;
	size_t n = 0, cap = 0;
	if (!ks)
		return;
	while (sqlite3_step(ks) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			int64_t *nk = realloc(k, cap * sizeof *k);
			uint8_t(*nm)[DIPR_HASH_LEN] = nk ? realloc(m, cap * sizeof *m) : NULL;
			if (nk)
				k = nk;
			if (!nk || !nm) {
				problem(v, "out of memory");
				goto done;
			}
			m = nm;
		}
		k[n] = sqlite3_column_int64(ks, 0);
		if (sqlite3_column_bytes(ks, 1) == DIPR_HASH_LEN)
			memcpy(m[n], sqlite3_column_blob(ks, 1), DIPR_HASH_LEN);
		else
			memset(m[n], 0, DIPR_HASH_LEN);
		n++;
	}
	if (v->r->tree_size > 0 && (n == 0 || k[0] != 0)) {
		problem(v, "table seal: the evidence seal of the first batch is missing");
		goto done;
	}
	/* XOR of the row MACs per range, in one ordered pass */
	agg = prep(v, "SELECT idx, account, meta FROM evidence ORDER BY idx");
	if (!agg)
		goto done;
	int r = sqlite3_step(agg);
	for (size_t i = 0; i < n && !v->full; i++) {
		uint64_t lo = (uint64_t)k[i], hi = i + 1 < n ? (uint64_t)k[i + 1] : v->r->tree_size;
		uint8_t x[DIPR_HASH_LEN] = {0}, rm[DIPR_HASH_LEN], want[DIPR_HASH_LEN];
		while (r == SQLITE_ROW && (uint64_t)sqlite3_column_int64(agg, 0) < hi) {
			if ((uint64_t)sqlite3_column_int64(agg, 0) >= lo) {
				mac_of_row(v, "#evidence-row", agg, 0, 3, rm);
				for (int j = 0; j < DIPR_HASH_LEN; j++)
					x[j] ^= rm[j];
			}
			r = sqlite3_step(agg);
		}
		/* dipr_seal('#evidence', lo, hi, x) */
		sqlite3_stmt *tmp = prep(v, "SELECT ?1, ?2, ?3");
		if (!tmp)
			break;
		sqlite3_bind_int64(tmp, 1, (sqlite3_int64)lo);
		sqlite3_bind_int64(tmp, 2, (sqlite3_int64)hi);
		sqlite3_bind_blob(tmp, 3, x, sizeof x, SQLITE_STATIC);
		sqlite3_step(tmp);
		mac_of_row(v, "#evidence", tmp, 0, 3, want);
		sqlite3_finalize(tmp);
		if (CRYPTO_memcmp(want, m[i], DIPR_HASH_LEN) != 0)
			problem(v, "table evidence: rows %llu..%llu (one batch) were changed, added or deleted outside dipr "
				"(their seal does not match)", (unsigned long long)lo, (unsigned long long)(hi ? hi - 1 : 0));
		v->r->evidence_batches++;
	}
done:
	sqlite3_finalize(ks);
	sqlite3_finalize(agg);
	free(k);
	free(m);
}

static void check_trigger(vctx *v, sqlite3_stmt *st, const char *name)
{
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	const char *sql = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (!sql)
		problem(v, "schema: trigger %s is missing (dropped outside dipr: writes are no longer sealed)", name);
	else if (!is_ours_trigger(name, sql))
		problem(v, "schema: trigger %s was changed outside dipr", name);
}

static void check_triggers(vctx *v)
{
	char name[80];
	sqlite3_stmt *st = prep(v, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1");
	for (size_t i = 0; st && i < NTABLES && !v->full; i++) {
		if (!has_table(v->db, tables[i].name))
			continue;
		for (const char *op = "iud"; *op; op++) {
			snprintf(name, sizeof name, "seal_%s_%c", tables[i].name, *op);
			check_trigger(v, st, name);
		}
	}
	if (st)
		check_trigger(v, st, "seal_evidence");
	sqlite3_finalize(st);
	char why[600];
	if (schema_untrusted(v->db, why, sizeof why))
		problem(v, "schema: %s", why + strlen("seal: "));
	/* other triggers and views: not ours to judge, but say so */
	st = prep(v, "SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') AND name NOT LIKE 'seal\\_%' ESCAPE '\\'");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 1);
		bool known = false;
		for (size_t i = 0; i < sizeof known_triggers / sizeof *known_triggers; i++)
			known = known || strcmp(nm, known_triggers[i]) == 0;
		if (!known)
			note(v, "schema: %s %s is not one dipr made", (const char *)sqlite3_column_text(st, 0), nm);
	}
	sqlite3_finalize(st);
}

static void check_unknown_tables(vctx *v)
{
	sqlite3_stmt *st = prep(v, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		bool known = false;
		for (size_t i = 0; i < NTABLES; i++)
			known = known || strcmp(nm, tables[i].name) == 0;
		for (size_t i = 0; i < sizeof log_tables / sizeof *log_tables; i++)
			known = known || strcmp(nm, log_tables[i]) == 0;
		if (!known)
			note(v, "table %s is not covered by these checks", nm);
	}
	sqlite3_finalize(st);
}

/* app.head names an event of the same application. */
static void check_app_heads(vctx *v)
{
	if (!has_table(v->db, "app") || !has_table(v->db, "event"))
		return;
	sqlite3_stmt *st = prep(v, "SELECT id, head FROM app WHERE head IS NOT NULL AND head >= 0 AND NOT EXISTS"
				   " (SELECT 1 FROM event WHERE event.idx = app.head AND event.app = app.id)");
	while (st && !v->full && sqlite3_step(st) == SQLITE_ROW)
		problem(v, "table app: row %lld: head %lld is not an event of this application",
			(long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1));
	sqlite3_finalize(st);
}

static int verify_db(sqlite3 *db, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
{
	dipr_verify_opts none = {0};
	vctx v = {0};
	vlist vl = {0};
	char val[512];
	dipr_checkpoint cp = {0};
	bool cp_ok = false;
	if (!o)
		o = &none;
	memset(r, 0, sizeof *r);
	v.db = db;
	v.dir = dir;
	v.o = o;
	v.r = r;
	v.max = o->max_problems ? o->max_problems : 20;
	dipr__clear_err();

	check_integrity(&v);
	if (v.full)
		goto out;
	/* configuration */
	if (meta_text(&v, "tree_hash", val, sizeof val) || dipr_hash_parse(val, strlen(val), &r->alg)) {
		problem(&v, "table meta: row tree_hash missing or invalid");
		goto out;
	}
	char origin[300] = "";
	if (meta_text(&v, "origin", origin, sizeof origin))
		problem(&v, "table meta: row origin missing");
	sqlite3_stmt *st = prep(&v, "SELECT size FROM tree WHERE id = 1");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		problem(&v, "table tree: the size row is missing");
	else
		r->tree_size = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (v.full)
		goto out;
	/* checkpoint */
	load_verifiers(&v, &vl);
	st = prep(&v, "SELECT size, note FROM checkpoint WHERE id = 1");
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		size_t tl;
		const uint8_t *nb = sqlite3_column_blob(st, 1);
		size_t nn = (size_t)sqlite3_column_bytes(st, 1);
		r->cp_size = (uint64_t)sqlite3_column_int64(st, 0);
		if (vl.n == 0)
			problem(&v, "table checkpoint: no key to check it with");
		else if (dipr_note_verify(nb, nn, vl.v, vl.n, &tl) || dipr_checkpoint_parse(nb, tl, &cp))
			problem(&v, "table checkpoint: the signed checkpoint does not verify with this log's keys");
		else if (strcmp(cp.origin, origin) != 0)
			problem(&v, "table checkpoint: origin %s differs from table meta's %s", cp.origin, origin);
		else if (cp.size != r->cp_size)
			problem(&v, "table checkpoint: column size %llu differs from the signed size %llu",
				(unsigned long long)r->cp_size, (unsigned long long)cp.size);
		else if (cp.size > r->tree_size)
			problem(&v, "table checkpoint: signed size %llu exceeds the tree size %llu (table tree)",
				(unsigned long long)cp.size, (unsigned long long)r->tree_size);
		else
			cp_ok = true;
	} else {
		problem(&v, "table checkpoint: no signed checkpoint stored");
	}
	sqlite3_finalize(st);
	vlist_free(&vl);
	if (v.full)
		goto out;
	check_tree(&v, &cp, cp_ok);
	if (v.full)
		goto out;
	check_app_heads(&v);
	/* seals */
	int kr = key_read(dir, v.key);
	bool tables_there = has_table(db, "seal");
	r->sealed = kr == 0;
	if (kr == 0 && !tables_there) {
		problem(&v, "table seal: missing although %s/%s exists (removed outside dipr?)", dir, DIPR_SEAL_KEY_FILE);
	} else if (kr == DIPR_ENOTFOUND && tables_there) {
		problem(&v, "%s/%s is missing: the sealed tables cannot be checked (copy the key from the data directory "
			"the database came from)", dir, DIPR_SEAL_KEY_FILE);
	} else if (kr != 0 && kr != DIPR_ENOTFOUND) {
		problem(&v, "%s", dipr_errdetail());
	} else if (kr == DIPR_ENOTFOUND) {
		note(&v, "rows outside the log are not sealed yet (%s is made at the first dipr serve)", DIPR_SEAL_KEY_FILE);
	} else {
		v.have_key = true;
		check_triggers(&v);
		for (size_t i = 0; i < NTABLES && !v.full; i++)
			if (has_table(db, tables[i].name))
				check_table_seals(&v, &tables[i]);
		if (!v.full)
			check_evidence_seals(&v);
		sqlite3_stmt *other = prep(&v, "SELECT DISTINCT tbl FROM seal");
		while (other && sqlite3_step(other) == SQLITE_ROW) {
			const char *tb = (const char *)sqlite3_column_text(other, 0);
			bool known = strcmp(tb, "#evidence") == 0;
			for (size_t i = 0; i < NTABLES; i++)
				known = known || strcmp(tb, tables[i].name) == 0;
			if (!known)
				problem(&v, "table seal: seals of an unknown table %s", tb);
		}
		sqlite3_finalize(other);
	}
	OPENSSL_cleanse(v.key, sizeof v.key);
	check_unknown_tables(&v);
out:
	return r->problems ? DIPR_EVERIFY : 0;
}

int dipr_verify_store(dipr_store *s, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
{
	/* One read transaction: every check sees the same snapshot. */
	int began = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	int rc = verify_db(s->db, dir, o, r);
	if (began)
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

int dipr_verify_path(const char *dbpath, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
{
	sqlite3 *db = NULL;
	int rc;
	memset(r, 0, sizeof *r);
	if (access(dbpath, F_OK) != 0)
		return dipr__err(DIPR_ENOTFOUND, "%s: %s", dbpath, strerror(errno));
	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
		rc = dipr__err(DIPR_EVERIFY, "%s: cannot open the database: %s", dbpath, db ? sqlite3_errmsg(db) : "?");
		if (o && o->report)
			fprintf(o->report, "%s: %s\n", o->prefix ? o->prefix : "verify", dipr_errdetail());
		r->problems = 1;
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, 5000);
	int began = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	rc = verify_db(db, dir, o, r);
	if (began)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

int dipr_verify_startup(dipr_store *s, const char *dir, dipr_verifier *const *vs, size_t nvs)
{
	dipr_verify_result r;
	dipr_verify_opts o = {.report = stderr, .prefix = "dipr serve: start-up check", .vs = vs, .nvs = nvs};
	bool installed = false;
	int rc = dipr_verify_store(s, dir, &o, &r);
	if (rc == DIPR_EVERIFY) {
		char first[900];
		snprintf(first, sizeof first, "%s", dipr_errdetail());
		return dipr__err(DIPR_EFORK, "%u problem%s in %s/dipr.db, the first: %s (dipr audit --dir %s lists them)",
				 r.problems, r.problems == 1 ? "" : "s", dir, first, dir);
	}
	if (rc)
		return rc;
	if ((rc = dipr_seal_install(s, dir, &installed)))
		return rc;
	if (installed)
		fprintf(stderr, "dipr: sealed the rows of %s/dipr.db (%s created: back it up with the other keys)\n", dir,
			DIPR_SEAL_KEY_FILE);
	return 0;
}
