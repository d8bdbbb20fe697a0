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
#include <pthread.h>
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
#include "store/node.h"

#define SEAL_KEY_LEN 32
#define ENTRY_MAX 16384 /* as DIPR_ENTRY_MAX in log/log.h */

/* ---- the sealed tables ---- */

/* key: SQL expression naming a row, '@' stands for the row prefix (NEW.,
 * OLD. or nothing); cols: every column, in order.  PostgreSQL, where
 * seal.k is TEXT (docs/POSTGRES.md §1.3): pg_key gives the same text as
 * SQLite's key (integers in decimal, blobs in lower-case hex); pg_where
 * finds the row whose key text is '%' by the table's own key columns (an
 * index lookup; '@' is the row prefix), NULL for a text that cannot be a
 * key of the table. */
typedef struct {
	const char *name, *key, *cols, *pg_key, *pg_where;
} seal_table;

#define PG_INT(c) "@" c " = CASE WHEN % ~ '^-?[0-9]{1,18}$' THEN (%)::bigint END"
#define PG_HEX(c) "@" c " = CASE WHEN % ~ '^([0-9a-f][0-9a-f])+$' THEN decode(%, 'hex') END"

static const seal_table tables[] = {
	{"meta", "@k", "k,v", "@k", "@k = %"},
	{"account", "@id", "id,name,role,created", "@id::text", PG_INT("id")},
	{"token", "@hash", "hash,account,created,revoked", "encode(@hash, 'hex')", PG_HEX("hash")},
	{"password", "@account", "account,hash,updated", "@account::text", PG_INT("account")},
	{"session", "@hash", "hash,account,csrf,created_ms,expires_ms", "encode(@hash, 'hex')", PG_HEX("hash")},
	{"app", "@id",
	 "id,owner,state,reg,doc,extra,regno,certno,applicant_id,closed_on,head,next_due,created,updated", "@id::text",
	 PG_INT("id")},
	{"app_digest", "@digest || ' ' || @app", "digest,app", "@digest || ' ' || @app::text",
	 "@digest = regexp_replace(%, ' [^ ]*$', '') AND @app::text = regexp_replace(%, '^.* ', '')"},
	{"objection", "@id", "id,app,state,data,key_hash,created,decided", "@id::text", PG_INT("id")},
	{"cert", "@certno", "certno,regno,app,version,idx,file,status,created", "@certno", "@certno = %"},
	{"counter", "@name", "name,value", "@name", "@name = %"},
	{"audit", "@id", "id,time,account,actor,role,action,target,ip,outcome,detail", "@id::text", PG_INT("id")},
};
/* Their names, for the driver's commit hook (store/db.h). */
static const char *const sealed_names[] = {"meta", "account", "token", "password", "session", "app",
					   "app_digest", "objection", "cert", "counter", "audit"};
#define NTABLES (sizeof tables / sizeof *tables)

/* Tables checked against the log rather than sealed, and our own. */
static const char *const log_tables[] = {"entry", "tile", "tree", "checkpoint", "evidence", "event",
					 "seal", "seal_sum", "seal_dirty", "sequencer"};
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

/* Replaces '@' of tmpl by prefix and '%' by expr (PostgreSQL texts). */
static int subst(dipr_buf *b, const char *tmpl, const char *prefix, const char *expr)
{
	for (const char *p = tmpl; *p; p++) {
		int rc = *p == '@' ? dipr_buf_adds(b, prefix) : *p == '%' && expr ? dipr_buf_adds(b, expr)
										   : dipr_buf_add(b, p, 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int ncols(const char *cols)
{
	int n = 1;
	for (const char *p = cols; *p; p++)
		n += *p == ',';
	return n;
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

/* One value: its type (SQLITE_NULL, _INTEGER, _FLOAT, _TEXT, _BLOB) and
 * the field of that type. */
static int enc_typed(dipr_buf *b, int t, int64_t i, double d, const void *p, size_t n)
{
	uint8_t h[9];
	switch (t) {
	case SQLITE_NULL:
		h[0] = 0;
		return dipr_buf_add(b, h, 1);
	case SQLITE_INTEGER:
		h[0] = 1;
		dipr__put_u64be(h + 1, (uint64_t)i);
		return dipr_buf_add(b, h, 9);
	case SQLITE_FLOAT: {
		uint64_t u;
		memcpy(&u, &d, sizeof u);
		h[0] = 2;
		dipr__put_u64be(h + 1, u);
		return dipr_buf_add(b, h, 9);
	}
	default: {
		int rc;
		h[0] = t == SQLITE_TEXT ? 3 : 4;
		dipr__put_u64be(h + 1, n);
		if ((rc = dipr_buf_add(b, h, 9)))
			return rc;
		return n ? dipr_buf_add(b, p, n) : 0;
	}
	}
}

/* An argument of a seal function (SQLite only). */
static int enc_value(dipr_buf *b, sqlite3_value *v)
{
	int t = sqlite3_value_type(v);
	switch (t) {
	case SQLITE_NULL:
		return enc_typed(b, t, 0, 0, NULL, 0);
	case SQLITE_INTEGER:
		return enc_typed(b, t, (int64_t)sqlite3_value_int64(v), 0, NULL, 0);
	case SQLITE_FLOAT:
		return enc_typed(b, t, 0, sqlite3_value_double(v), NULL, 0);
	default: {
		const void *p = t == SQLITE_TEXT ? (const void *)sqlite3_value_text(v) : sqlite3_value_blob(v);
		return enc_typed(b, t, 0, 0, p, (size_t)sqlite3_value_bytes(v));
	}
	}
}

/* A column of a result row, through the driver (verify reads rows with
 * it on either backend). */
static int enc_column(dipr_buf *b, dipr_dbst *st, int i)
{
	int t = db_column_type(st, i);
	switch (t) {
	case SQLITE_NULL:
		return enc_typed(b, t, 0, 0, NULL, 0);
	case SQLITE_INTEGER:
		return enc_typed(b, t, db_column_int64(st, i), 0, NULL, 0);
	case SQLITE_FLOAT:
		return enc_typed(b, t, 0, db_column_double(st, i), NULL, 0);
	default: {
		const void *p = t == SQLITE_TEXT ? (const void *)db_column_text(st, i) : db_column_blob(st, i);
		return enc_typed(b, t, 0, 0, p, (size_t)db_column_bytes(st, i));
	}
	}
}

/* MAC of domain and values: v[0..n) (function arguments), or when v is
 * NULL columns first..first+n-1 of st's current row. */
static int seal_mac_of(const uint8_t key[SEAL_KEY_LEN], const char *domain, int n, sqlite3_value **v,
		       dipr_dbst *st, int first, uint8_t out[DIPR_HASH_LEN])
{
	dipr_buf b;
	int rc = 0;
	dipr_buf_init(&b, (size_t)1 << 30);
	if ((rc = dipr_buf_add(&b, "dipr-seal-v1", 13)) || (rc = dipr_buf_add(&b, domain, strlen(domain) + 1)))
		goto done;
	for (int i = 0; i < n; i++)
		if ((rc = v ? enc_value(&b, v[i]) : enc_column(&b, st, first + i)))
			goto done;
	rc = dipr_hmac(DIPR_HASH_SHA256, key, SEAL_KEY_LEN, b.p, b.n, out);
done:
	dipr_buf_free(&b);
	return rc;
}

static int seal_mac(const uint8_t key[SEAL_KEY_LEN], const char *domain, int n, sqlite3_value **v,
		    uint8_t out[DIPR_HASH_LEN])
{
	return seal_mac_of(key, domain, n, v, NULL, 0, out);
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

static bool has_table(dipr_db *db, const char *name)
{
	dipr_dbst *st = NULL;
	bool yes = false;
	if (db_prepare(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
		       "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?1",
		       false, &st) == SQLITE_OK) {
		db_bind_text(st, 1, name, -1);
		yes = db_step(st) == SQLITE_ROW;
	}
	db_finalize(st);
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

static int pg_attach(dipr_store *s, const char *dir);
static int pg_seal_install(dipr_store *s, const char *dir, bool *installed);
static bool seal_dir_of(const char *target, char *out, size_t cap);

int dipr__seal_attach(dipr_store *s, const char *dbpath)
{
	char dir[4200], path[4300], why[600];
	uint8_t key[SEAL_KEY_LEN];
	/* PostgreSQL: the driver's commit hook, with the key of the data
	 * directory this conninfo came from (dipr_store_seal_dir). */
	if (db_is_pg(s->db))
		return pg_attach(s, seal_dir_of(dbpath, dir, sizeof dir) ? dir : NULL);
	dir_of(dbpath, dir, sizeof dir);
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	int rc = key_read_file(path, key);
	if (rc == 0) {
		rc = attach_with(db_sqlite(s->db), key, NULL);
		OPENSSL_cleanse(key, sizeof key);
		return rc;
	}
	if (rc == DIPR_ENOTFOUND)
		snprintf(why, sizeof why, "seal: %.300s is missing: sealed tables cannot be written (copy it from the data "
			 "directory the database came from)", path);
	else
		snprintf(why, sizeof why, "seal: %.500s", dipr_errdetail());
	return attach_with(db_sqlite(s->db), NULL, why);
}

/* ---- PostgreSQL (docs/POSTGRES.md §1.3) ----
 *
 * PostgreSQL cannot call into dipr, and the key must never enter the
 * database (anyone who can replace a function could copy it out).  So a
 * trigger on each sealed table only records what changed, in seal_dirty
 * (table, key text, the old row as jsonb), computing nothing secret; a
 * deferred constraint trigger on seal_dirty refuses the COMMIT while a
 * recorded change is still there.  dipr's driver calls pg_flush before the
 * COMMIT of every transaction that wrote a sealed table (store/db.h
 * db_set_commit_hook): it takes the transaction's changes out of
 * seal_dirty, checks each changed row's committed version against its seal
 * and the table's sum (as SQLite's trigger does: no laundering), then seals
 * the rows as they now stand and updates the sums, in the same
 * transaction.  A write from psql therefore fails at COMMIT; one made with
 * the triggers off (session_replication_role = replica) commits without a
 * seal and dipr audit names it.  The MACs are SQLite's, byte for byte. */

/* The data directory of each PostgreSQL target this process opened
 * through one (db.conf), for its keys/seal.key.  A handful per process. */
#define SEAL_DIRS 16
static pthread_mutex_t dirs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *target, *dir;
} seal_dirs[SEAL_DIRS];

void dipr_store_seal_dir(const char *target, const char *dir)
{
	if (!target || !dir || !db_target_is_pg(target))
		return;
	pthread_mutex_lock(&dirs_mu);
	size_t i = 0;
	while (i < SEAL_DIRS && seal_dirs[i].target && strcmp(seal_dirs[i].target, target) != 0)
		i++;
	if (i == SEAL_DIRS) { /* full: the oldest goes */
		free(seal_dirs[0].target);
		free(seal_dirs[0].dir);
		memmove(seal_dirs, seal_dirs + 1, sizeof seal_dirs - sizeof seal_dirs[0]);
		i = SEAL_DIRS - 1;
		seal_dirs[i].target = seal_dirs[i].dir = NULL;
	}
	char *t = seal_dirs[i].target ? seal_dirs[i].target : strdup(target), *d = strdup(dir);
	if (t && d) {
		free(seal_dirs[i].dir);
		seal_dirs[i].target = t;
		seal_dirs[i].dir = d;
	} else {
		if (t != seal_dirs[i].target)
			free(t);
		free(d);
	}
	pthread_mutex_unlock(&dirs_mu);
}

static bool seal_dir_of(const char *target, char *out, size_t cap)
{
	bool found = false;
	pthread_mutex_lock(&dirs_mu);
	for (size_t i = 0; i < SEAL_DIRS && seal_dirs[i].target && !found; i++)
		if (strcmp(seal_dirs[i].target, target) == 0) {
			snprintf(out, cap, "%s", seal_dirs[i].dir);
			found = true;
		}
	pthread_mutex_unlock(&dirs_mu);
	return found;
}

/* A value for a MAC computed in C: type SQLITE_NULL/_INTEGER/_TEXT/_BLOB. */
typedef struct {
	int type;
	int64_t i;
	const void *p;
	size_t n;
} seal_val;

static int seal_mac_vals(const uint8_t key[SEAL_KEY_LEN], const char *domain, int n, const seal_val *v,
			 uint8_t out[DIPR_HASH_LEN])
{
	dipr_buf b;
	int rc;
	dipr_buf_init(&b, (size_t)1 << 30);
	if (!(rc = dipr_buf_add(&b, "dipr-seal-v1", 13)) && !(rc = dipr_buf_add(&b, domain, strlen(domain) + 1)))
		for (int i = 0; i < n && !rc; i++)
			rc = enc_typed(&b, v[i].type, v[i].i, 0, v[i].p, v[i].n);
	if (!rc)
		rc = dipr_hmac(DIPR_HASH_SHA256, key, SEAL_KEY_LEN, b.p, b.n, out);
	dipr_buf_free(&b);
	return rc;
}

/* MAC of the "#sum" row: (table, row count, XOR of the row MACs). */
static int sum_mac(const uint8_t key[SEAL_KEY_LEN], const char *tbl, int64_t n, const uint8_t x[DIPR_HASH_LEN],
		   uint8_t out[DIPR_HASH_LEN])
{
	seal_val v[3] = {{SQLITE_TEXT, 0, tbl, strlen(tbl)}, {SQLITE_INTEGER, n, NULL, 0},
			 {SQLITE_BLOB, 0, x, DIPR_HASH_LEN}};
	return seal_mac_vals(key, "#sum", 3, v, out);
}

/* The batch seal of evidence rows [lo, hi): MAC("#evidence", lo, hi, XOR
 * of the rows' "#evidence-row" MACs), as SQLite's seal_evidence trigger. */
static int evidence_mac(const uint8_t key[SEAL_KEY_LEN], uint64_t lo, uint64_t hi, const uint8_t x[DIPR_HASH_LEN],
			uint8_t out[DIPR_HASH_LEN])
{
	seal_val v[3] = {{SQLITE_INTEGER, (int64_t)lo, NULL, 0}, {SQLITE_INTEGER, (int64_t)hi, NULL, 0},
			 {SQLITE_BLOB, 0, x, DIPR_HASH_LEN}};
	return seal_mac_vals(key, "#evidence", 3, v, out);
}

static void xor32(uint8_t x[DIPR_HASH_LEN], const uint8_t *m)
{
	for (int i = 0; i < DIPR_HASH_LEN; i++)
		x[i] ^= m[i];
}

/* The per-connection context of the commit hook. */
typedef struct {
	uint8_t key[SEAL_KEY_LEN];
	bool have_key;
	bool installed; /* seal_dirty exists: the triggers were made */
	char why[600];  /* !have_key: why */
	dipr_dbst *take, *sum_get, *sum_put, *put, *del, *row[NTABLES];
} pg_seal;

static void pg_seal_free(void *p)
{
	pg_seal *k = p;
	if (!k)
		return;
	db_finalize(k->take);
	db_finalize(k->sum_get);
	db_finalize(k->sum_put);
	db_finalize(k->put);
	db_finalize(k->del);
	for (size_t i = 0; i < NTABLES; i++)
		db_finalize(k->row[i]);
	OPENSSL_cleanse(k, sizeof *k);
	free(k);
}

/* The statement in *slot, prepared on first use. */
static dipr_dbst *pg_stmt(dipr_db *db, dipr_dbst **slot, const char *sql)
{
	if (!*slot && db_prepare(db, sql, NULL, true, slot) != SQLITE_OK) {
		*slot = NULL;
		return NULL;
	}
	db_reset(*slot);
	db_clear_bindings(*slot);
	return *slot;
}

static bool pg_installed(dipr_db *db, pg_seal *k)
{
	dipr_dbst *st = NULL;
	if (k && k->installed)
		return true;
	bool yes = db_prepare(db, "SELECT to_regclass('seal_dirty') IS NOT NULL", NULL, false, &st) == SQLITE_OK &&
		   db_step(st) == SQLITE_ROW && db_column_int(st, 0);
	db_finalize(st);
	if (k)
		k->installed = yes;
	return yes;
}

/* Reads the current row and the committed one (from jsonb) of table t
 * with key text ?1, old row jsonb ?2: seal mac, present, old cols, cols. */
static int row_sql(dipr_buf *q, const seal_table *t)
{
	int rc = 0;
	rc = rc || dipr_buf_addf(q, "SELECT (SELECT mac FROM seal WHERE tbl = '%s' AND k = ?1), c.ctid IS NOT NULL, ",
				 t->name);
	rc = rc || col_list(q, t->cols, "o.");
	rc = rc || dipr_buf_adds(q, ", ");
	rc = rc || col_list(q, t->cols, "c.");
	rc = rc || dipr_buf_addf(q, " FROM (SELECT 1) z LEFT JOIN jsonb_populate_record(NULL::%s, ?2::jsonb) o"
				    " ON ?2 IS NOT NULL LEFT JOIN %s c ON ", t->name, t->name);
	rc = rc || subst(q, t->pg_where, "c.", "?1");
	rc = rc || dipr_buf_add(q, "", 1);
	return rc ? DIPR_ENOMEM : 0;
}

typedef struct {
	char *tbl, *k, *old; /* old: the committed row as jsonb text, NULL for a new row */
	bool mine;
} dirty_row;

static int flush_fail(dipr_db *db)
{
	int rc = db_extended_errcode(db);
	return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* One table's changes rows[0..n) (sorted by key, then order of writing). */
static int flush_table(dipr_db *db, pg_seal *k, size_t ti, dirty_row *rows, size_t n)
{
	const seal_table *t = &tables[ti];
	int nc = ncols(t->cols), r;
	uint8_t x[DIPR_HASH_LEN], mac[DIPR_HASH_LEN];
	int64_t cnt;
	/* the sum, locked until COMMIT; tables in a fixed order (by name), so
	 * two nodes flushing the same tables cannot deadlock */
	dipr_dbst *st = pg_stmt(db, &k->sum_get, "SELECT tbl, n, x, mac FROM seal_sum WHERE tbl = ?1 FOR UPDATE");
	if (!st)
		return flush_fail(db);
	db_bind_text(st, 1, t->name, -1);
	if ((r = db_step(st)) != SQLITE_ROW) {
		if (r != SQLITE_DONE)
			return flush_fail(db);
		return db_set_error(db, SQLITE_ERROR, "seal: the sum row of table %s is missing (deleted outside dipr); "
				    "refusing to write: run dipr audit --dir", t->name);
	}
	cnt = db_column_int64(st, 1);
	seal_mac_of(k->key, "#sum", 3, NULL, st, 0, mac);
	if (db_column_bytes(st, 2) != DIPR_HASH_LEN || db_column_bytes(st, 3) != DIPR_HASH_LEN ||
	    CRYPTO_memcmp(db_column_blob(st, 3), mac, DIPR_HASH_LEN) != 0)
		return db_set_error(db, SQLITE_ERROR, "seal: rows of table %s were added or deleted outside dipr (its sum "
				    "MAC does not match); refusing to write: run dipr audit --dir", t->name);
	memcpy(x, db_column_blob(st, 2), DIPR_HASH_LEN);
	db_reset(st);
	if (!k->row[ti]) {
		dipr_buf q;
		dipr_buf_init(&q, 1 << 16);
		int rc = row_sql(&q, t);
		if (!rc && db_prepare(db, (const char *)q.p, NULL, true, &k->row[ti]) != SQLITE_OK)
			rc = flush_fail(db);
		dipr_buf_free(&q);
		if (rc)
			return rc == DIPR_ENOMEM ? SQLITE_NOMEM : rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(rows[i].k, rows[i - 1].k) == 0)
			continue; /* the first change holds the committed version */
		dirty_row *d = &rows[i];
		bool had = false;
		uint8_t old_mac[DIPR_HASH_LEN];
		st = k->row[ti];
		db_reset(st);
		db_clear_bindings(st);
		db_bind_text(st, 1, d->k, -1);
		if (d->old)
			db_bind_text(st, 2, d->old, -1);
		else
			db_bind_null(st, 2);
		if ((r = db_step(st)) != SQLITE_ROW)
			return flush_fail(db);
		if (db_column_type(st, 0) != SQLITE_NULL) {
			had = db_column_bytes(st, 0) == DIPR_HASH_LEN;
			if (had)
				memcpy(old_mac, db_column_blob(st, 0), DIPR_HASH_LEN);
		}
		if (d->old) {
			seal_mac_of(k->key, t->name, nc, NULL, st, 2, mac);
			if (!had || CRYPTO_memcmp(old_mac, mac, DIPR_HASH_LEN) != 0)
				return db_set_error(db, SQLITE_ERROR, "seal: table %s row %.200s was changed outside dipr (its "
						    "MAC does not match); refusing to write over it: run dipr audit --dir",
						    t->name, d->k);
			xor32(x, old_mac);
			cnt--;
		} else if (db_column_type(st, 0) != SQLITE_NULL) {
			return db_set_error(db, SQLITE_ERROR, "seal: table %s row %.200s still has a seal (the row was "
					    "deleted outside dipr); refusing to write: run dipr audit --dir", t->name, d->k);
		}
		bool present = db_column_int(st, 1) != 0;
		if (present) {
			seal_mac_of(k->key, t->name, nc, NULL, st, 2 + nc, mac);
			db_reset(st);
			dipr_dbst *p = pg_stmt(db, &k->put, "INSERT INTO seal(tbl, k, mac) VALUES(?1, ?2, ?3)"
							  " ON CONFLICT(tbl, k) DO UPDATE SET mac = excluded.mac");
			if (!p)
				return flush_fail(db);
			db_bind_text(p, 1, t->name, -1);
			db_bind_text(p, 2, d->k, -1);
			db_bind_blob(p, 3, mac, DIPR_HASH_LEN);
			if (db_step(p) != SQLITE_DONE)
				return flush_fail(db);
			xor32(x, mac);
			cnt++;
		} else if (d->old) {
			db_reset(st);
			dipr_dbst *p = pg_stmt(db, &k->del, "DELETE FROM seal WHERE tbl = ?1 AND k = ?2");
			if (!p)
				return flush_fail(db);
			db_bind_text(p, 1, t->name, -1);
			db_bind_text(p, 2, d->k, -1);
			if (db_step(p) != SQLITE_DONE)
				return flush_fail(db);
		}
		db_reset(st);
	}
	sum_mac(k->key, t->name, cnt, x, mac);
	st = pg_stmt(db, &k->sum_put, "UPDATE seal_sum SET n = ?2, x = ?3, mac = ?4 WHERE tbl = ?1");
	if (!st)
		return flush_fail(db);
	db_bind_text(st, 1, t->name, -1);
	db_bind_int64(st, 2, cnt);
	db_bind_blob(st, 3, x, DIPR_HASH_LEN);
	db_bind_blob(st, 4, mac, DIPR_HASH_LEN);
	return db_step(st) == SQLITE_DONE ? SQLITE_OK : flush_fail(db);
}

/* The commit hook (store/db.h).  This transaction's rows of seal_dirty
 * are found by its id (an index: the table is a queue, its dead rows are
 * not scanned).  A row with our id that another transaction inserted was
 * forged with the check off (to launder a change): refused.  ("Inserted
 * by us" is judged by xmin: a transaction id not older than ours, which
 * covers our subtransactions.)  Rows of other transactions that were
 * committed are left for dipr audit to report. */
static int pg_flush(dipr_db *db, void *arg)
{
	pg_seal *k = arg;
	dirty_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc = SQLITE_OK, r;
	if (!pg_installed(db, k))
		return SQLITE_OK; /* not sealed yet: dipr_seal_install seals what is there */
	dipr_dbst *st = pg_stmt(db, &k->take,
				"WITH d AS (DELETE FROM seal_dirty WHERE xid = pg_current_xact_id()"
				" RETURNING seq, tbl, k, old, xmin)"
				" SELECT tbl, k, old::text, ((xmin::text::bigint - pg_current_xact_id()::text::bigint"
				" % 4294967296 + 4294967296) % 4294967296) < 2147483648"
				" FROM d ORDER BY tbl COLLATE \"C\", k COLLATE \"C\", seq");
	if (!st)
		return flush_fail(db);
	while ((r = db_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			dirty_row *nr = realloc(rows, nc * sizeof *nr);
			if (!nr) {
				rc = db_set_error(db, SQLITE_NOMEM, "out of memory");
				goto done;
			}
			rows = nr;
			cap = nc;
		}
		const char *old = (const char *)db_column_text(st, 2);
		dirty_row *d = &rows[n++];
		d->tbl = strdup((const char *)db_column_text(st, 0));
		d->k = strdup((const char *)db_column_text(st, 1));
		d->old = old ? strdup(old) : NULL;
		d->mine = db_column_int(st, 3) != 0;
		if (!d->tbl || !d->k || (old && !d->old)) {
			rc = db_set_error(db, SQLITE_NOMEM, "out of memory");
			goto done;
		}
		if (!d->mine) {
			rc = db_set_error(db, SQLITE_ERROR, "seal: seal_dirty holds a change to table %s row %.200s that "
					  "was committed without its seal (outside dipr, with the check off); refusing to "
					  "write: run dipr audit --dir", d->tbl, d->k);
			goto done;
		}
	}
	db_reset(st);
	if (r != SQLITE_DONE) {
		rc = flush_fail(db);
		goto done;
	}
	if (n && !k->have_key) {
		rc = db_set_error(db, SQLITE_ERROR, "%s", k->why);
		goto done;
	}
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i, ti = 0;
		while (j < n && strcmp(rows[j].tbl, rows[i].tbl) == 0)
			j++;
		while (ti < NTABLES && strcmp(tables[ti].name, rows[i].tbl) != 0)
			ti++;
		if (ti == NTABLES)
			rc = db_set_error(db, SQLITE_ERROR, "seal: seal_dirty names table %s, which is not sealed",
					  rows[i].tbl);
		else
			rc = flush_table(db, k, ti, rows + i, j - i);
		i = j;
	}
done:
	for (size_t i = 0; i < n; i++) {
		free(rows[i].tbl);
		free(rows[i].k);
		free(rows[i].old);
	}
	free(rows);
	return rc;
}

/* Installs the hook on s's connection, with dir's key (dir NULL: none
 * known; sealed writes are then refused at COMMIT, saying why). */
static int pg_attach_key(dipr_store *s, const uint8_t *key, const char *why)
{
	pg_seal *k = calloc(1, sizeof *k);
	if (!k)
		return DIPR_ENOMEM;
	if (key) {
		memcpy(k->key, key, SEAL_KEY_LEN);
		k->have_key = true;
	} else {
		snprintf(k->why, sizeof k->why, "%s", why);
	}
	db_set_commit_hook(s->db, pg_flush, k, pg_seal_free, sealed_names, NTABLES);
	return 0;
}

static int pg_attach(dipr_store *s, const char *dir)
{
	char path[4300], why[600];
	uint8_t key[SEAL_KEY_LEN];
	int rc;
	if (!dir)
		return pg_attach_key(s, NULL, "seal: no data directory is known for this PostgreSQL connection (its "
				     "keys/seal.key): sealed tables cannot be written (open it through the data directory)");
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	rc = key_read_file(path, key);
	if (rc == 0) {
		rc = pg_attach_key(s, key, NULL);
		OPENSSL_cleanse(key, sizeof key);
		return rc;
	}
	if (rc == DIPR_ENOTFOUND)
		snprintf(why, sizeof why, "seal: %.300s is missing: sealed tables cannot be written (copy it from the data "
			 "directory the database came from)", path);
	else
		snprintf(why, sizeof why, "seal: %.500s", dipr_errdetail());
	return pg_attach_key(s, NULL, why);
}

int dipr__seal_batch(dipr_store *s, uint64_t lo, uint64_t hi, const dipr_store_evidence *ev, size_t nev)
{
	if (!db_is_pg(s->db) || hi <= lo)
		return 0;
	pg_seal *k = db_commit_hook_arg(s->db);
	/* no hook (never after dipr_store_open): audit reports the batch */
	if (!k || !pg_installed(s->db, k))
		return 0; /* not sealed yet: install seals the evidence so far */
	if (!k->have_key)
		return dipr__err(DIPR_EIO, "%s", k->why);
	uint8_t x[DIPR_HASH_LEN] = {0}, mac[DIPR_HASH_LEN];
	for (size_t i = 0; i < nev; i++) {
		if (ev[i].index < lo || ev[i].index >= hi)
			continue;
		seal_val v[3] = {{SQLITE_INTEGER, (int64_t)ev[i].index, NULL, 0}, {SQLITE_INTEGER, ev[i].account, NULL, 0},
				 {ev[i].meta ? SQLITE_BLOB : SQLITE_NULL, 0, ev[i].meta, ev[i].meta_len}};
		if (seal_mac_vals(k->key, "#evidence-row", 3, v, mac))
			return DIPR_ENOMEM;
		xor32(x, mac);
	}
	if (evidence_mac(k->key, lo, hi, x, mac))
		return DIPR_ENOMEM;
	char kt[24];
	snprintf(kt, sizeof kt, "%llu", (unsigned long long)lo);
	dipr_dbst *st = pg_stmt(s->db, &k->put, "INSERT INTO seal(tbl, k, mac) VALUES(?1, ?2, ?3)"
						" ON CONFLICT(tbl, k) DO UPDATE SET mac = excluded.mac");
	if (!st)
		return dipr__db_err(s, "seal evidence");
	db_bind_text(st, 1, "#evidence", -1);
	db_bind_text(st, 2, kt, -1);
	db_bind_blob(st, 3, mac, DIPR_HASH_LEN);
	int r = db_step(st);
	db_reset(st);
	return r == SQLITE_DONE ? 0 : dipr__db_err(s, "seal evidence");
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

/* A new random seal key, written as hex to tmp (0600, fsync) for the
 * caller to rename into place. */
static int new_key_file(const char *tmp, uint8_t key[SEAL_KEY_LEN])
{
	char hex[2 * SEAL_KEY_LEN + 2];
	int rc;
	if ((rc = dipr_random(key, SEAL_KEY_LEN)))
		return rc;
	dipr_hex_encode(key, SEAL_KEY_LEN, hex);
	hex[2 * SEAL_KEY_LEN] = '\n';
	hex[2 * SEAL_KEY_LEN + 1] = 0;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		rc = dipr__err(DIPR_EIO, "%s: cannot create: %s", tmp, strerror(errno));
	else if (write(fd, hex, sizeof hex - 1) != (ssize_t)(sizeof hex - 1) || fsync(fd) != 0)
		rc = dipr__err(DIPR_EIO, "%s: write failed: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	OPENSSL_cleanse(hex, sizeof hex);
	return rc;
}

static int install_in_txn(dipr_db *d)
{
	sqlite3 *db = db_sqlite(d);
	dipr_buf b;
	int rc;
	if ((rc = exec(db, seal_schema, "create seal tables")))
		return rc;
	dipr_buf_init(&b, 1 << 20);
	for (size_t i = 0; i < NTABLES; i++) {
		if (!has_table(d, tables[i].name))
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
	int rc;
	if (installed)
		*installed = false;
	if (db_is_pg(s->db))
		return pg_seal_install(s, dir, installed);
	sqlite3 *db = db_sqlite(s->db);
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
	if ((rc = new_key_file(tmp, key)))
		goto done;
	/* This connection seals with the new key from now on. */
	if ((rc = attach_with(db, key, NULL)))
		goto done;
	if ((rc = exec(db, "BEGIN IMMEDIATE", "begin")))
		goto done;
	if ((rc = install_in_txn(s->db))) {
		exec(db, "ROLLBACK", "rollback");
		unlink(tmp);
		goto done;
	}
	if ((rc = exec(db, "COMMIT", "commit"))) {
		if (!sqlite3_get_autocommit(db))
			exec(db, "ROLLBACK", "rollback");
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
	return rc;
}

/* ---- install on PostgreSQL ---- */

static const char pg_check_body[] =
	"\nBEGIN\n"
	"  IF EXISTS(SELECT 1 FROM seal_dirty WHERE seq = NEW.seq) THEN\n"
	"    RAISE EXCEPTION 'unsealed write to % (sealed tables are written by dipr)', NEW.tbl;\n"
	"  END IF;\n"
	"  RETURN NULL;\n"
	"END\n";

/* The body of dipr_seal_dirty(), the row trigger of every sealed table:
 * the key text of the old and the new row, and the old row as jsonb. */
static int pg_dirty_body(dipr_buf *b)
{
	int rc = dipr_buf_adds(b, "\nDECLARE r record; k text; ko text; kn text;\nBEGIN\n");
	for (int pass = 0; pass < 2 && !rc; pass++) {
		rc = dipr_buf_adds(b, pass ? "  IF TG_OP <> 'DELETE' THEN r := NEW;\n" : "  IF TG_OP <> 'INSERT' THEN r := OLD;\n");
		for (size_t i = 0; i < NTABLES && !rc; i++) {
			rc = dipr_buf_addf(b, "    %s TG_TABLE_NAME = '%s' THEN k := ", i ? "ELSIF" : "IF", tables[i].name);
			rc = rc || subst(b, tables[i].pg_key, "r.", NULL);
			rc = rc || dipr_buf_adds(b, ";\n");
		}
		rc = rc || dipr_buf_adds(b, "    ELSE RAISE EXCEPTION 'seal: table % is not sealed', TG_TABLE_NAME;\n"
					    "    END IF;\n");
		rc = rc || dipr_buf_adds(b, pass ? "    kn := k;\n  END IF;\n" : "    ko := k;\n  END IF;\n");
	}
	rc = rc || dipr_buf_adds(b, "  IF TG_OP <> 'INSERT' THEN\n"
				    "    INSERT INTO seal_dirty(tbl, k, old) VALUES(TG_TABLE_NAME, ko, to_jsonb(OLD));\n"
				    "  END IF;\n"
				    "  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND kn IS DISTINCT FROM ko) THEN\n"
				    "    INSERT INTO seal_dirty(tbl, k, old) VALUES(TG_TABLE_NAME, kn, NULL);\n"
				    "  END IF;\n"
				    "  RETURN NULL;\nEND\n");
	return rc ? DIPR_ENOMEM : 0;
}

static int pg_ddl(dipr_buf *b)
{
	int rc = 0;
	rc = rc || dipr_buf_adds(b, "CREATE TABLE IF NOT EXISTS seal_dirty(seq BIGSERIAL PRIMARY KEY, tbl TEXT NOT NULL,"
				    " k TEXT NOT NULL, old JSONB, xid xid8 NOT NULL DEFAULT pg_current_xact_id());"
				    "CREATE INDEX IF NOT EXISTS seal_dirty_xid ON seal_dirty(xid);"
				    "CREATE OR REPLACE FUNCTION dipr_seal_dirty() RETURNS trigger LANGUAGE plpgsql"
				    " SET search_path FROM CURRENT AS $f$");
	rc = rc || pg_dirty_body(b);
	rc = rc || dipr_buf_adds(b, "$f$;CREATE OR REPLACE FUNCTION dipr_seal_dirty_check() RETURNS trigger"
				    " LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$");
	rc = rc || dipr_buf_adds(b, pg_check_body);
	rc = rc || dipr_buf_adds(b, "$f$;DROP TRIGGER IF EXISTS seal_dirty_check ON seal_dirty;"
				    "CREATE CONSTRAINT TRIGGER seal_dirty_check AFTER INSERT ON seal_dirty"
				    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dipr_seal_dirty_check();"
				    "DROP TRIGGER IF EXISTS seal_dirty_no_truncate ON seal_dirty;"
				    "CREATE TRIGGER seal_dirty_no_truncate BEFORE TRUNCATE ON seal_dirty FOR EACH STATEMENT"
				    " EXECUTE FUNCTION dipr_no_truncate();");
	for (size_t i = 0; i < NTABLES && !rc; i++)
		rc = dipr_buf_addf(b, "DROP TRIGGER IF EXISTS seal_%s ON %s;CREATE TRIGGER seal_%s AFTER INSERT OR UPDATE"
				      " OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION dipr_seal_dirty();",
				   tables[i].name, tables[i].name, tables[i].name, tables[i].name);
	rc = rc || dipr_buf_add(b, "", 1);
	return rc ? DIPR_ENOMEM : 0;
}

static int pg_err(dipr_store *s, const char *what)
{
	return dipr__err(DIPR_EIO, "seal: %s: %s", what, db_errmsg(s->db));
}

/* Seals every row of every sealed table as it stands, and the evidence so
 * far (install: trust on first use), with key. */
static int pg_install_in_txn(dipr_store *s, const uint8_t key[SEAL_KEY_LEN])
{
	dipr_db *db = s->db;
	dipr_buf q;
	dipr_dbst *sel = NULL, *put = NULL;
	int rc = 0, r;
	dipr_buf_init(&q, 1 << 20);
	if ((rc = pg_ddl(&q)))
		goto done;
	if (db_exec(db, (const char *)q.p) != SQLITE_OK || db_exec(db, "DELETE FROM seal") != SQLITE_OK) {
		rc = pg_err(s, "create the triggers");
		goto done;
	}
	if (db_prepare(db, "INSERT INTO seal(tbl, k, mac) VALUES(?1, ?2, ?3)", NULL, false, &put) != SQLITE_OK) {
		rc = pg_err(s, "prepare");
		goto done;
	}
	for (size_t i = 0; i < NTABLES; i++) {
		const seal_table *t = &tables[i];
		int nc = ncols(t->cols);
		uint8_t x[DIPR_HASH_LEN] = {0}, mac[DIPR_HASH_LEN];
		int64_t n = 0;
		dipr_buf_reset(&q);
		rc = dipr_buf_adds(&q, "SELECT ") || subst(&q, t->pg_key, "", NULL) || dipr_buf_adds(&q, ", ") ||
		     col_list(&q, t->cols, "") || dipr_buf_addf(&q, " FROM %s", t->name) || dipr_buf_add(&q, "", 1);
		if (rc) {
			rc = DIPR_ENOMEM;
			goto done;
		}
		if (db_prepare(db, (const char *)q.p, NULL, false, &sel) != SQLITE_OK) {
			rc = pg_err(s, t->name);
			goto done;
		}
		while ((r = db_step(sel)) == SQLITE_ROW) {
			seal_mac_of(key, t->name, nc, NULL, sel, 1, mac);
			db_reset(put);
			db_bind_text(put, 1, t->name, -1);
			db_bind_text(put, 2, (const char *)db_column_text(sel, 0), -1);
			db_bind_blob(put, 3, mac, DIPR_HASH_LEN);
			if (db_step(put) != SQLITE_DONE) {
				rc = pg_err(s, t->name);
				goto done;
			}
			xor32(x, mac);
			n++;
		}
		if (r != SQLITE_DONE) {
			rc = pg_err(s, t->name);
			goto done;
		}
		db_finalize(sel);
		sel = NULL;
		sum_mac(key, t->name, n, x, mac);
		if (db_prepare(db, "INSERT INTO seal_sum(tbl, n, x, mac) VALUES(?1, ?2, ?3, ?4) ON CONFLICT(tbl) DO UPDATE"
			       " SET n = excluded.n, x = excluded.x, mac = excluded.mac", NULL, false, &sel) != SQLITE_OK) {
			rc = pg_err(s, "seal_sum");
			goto done;
		}
		db_bind_text(sel, 1, t->name, -1);
		db_bind_int64(sel, 2, n);
		db_bind_blob(sel, 3, x, DIPR_HASH_LEN);
		db_bind_blob(sel, 4, mac, DIPR_HASH_LEN);
		if (db_step(sel) != SQLITE_DONE) {
			rc = pg_err(s, "seal_sum");
			goto done;
		}
		db_finalize(sel);
		sel = NULL;
	}
	/* evidence so far: one seal for [0, size) */
	uint64_t size = 0;
	if ((rc = dipr_store_tree_size(s, &size)))
		goto done;
	if (size > 0) {
		uint8_t x[DIPR_HASH_LEN] = {0}, mac[DIPR_HASH_LEN];
		if (db_prepare(db, "SELECT idx, account, meta FROM evidence WHERE idx < ?1", NULL, false, &sel) != SQLITE_OK) {
			rc = pg_err(s, "evidence");
			goto done;
		}
		db_bind_int64(sel, 1, (int64_t)size);
		while ((r = db_step(sel)) == SQLITE_ROW) {
			seal_mac_of(key, "#evidence-row", 3, NULL, sel, 0, mac);
			xor32(x, mac);
		}
		if (r != SQLITE_DONE) {
			rc = pg_err(s, "evidence");
			goto done;
		}
		evidence_mac(key, 0, size, x, mac);
		db_reset(put);
		db_bind_text(put, 1, "#evidence", -1);
		db_bind_text(put, 2, "0", -1);
		db_bind_blob(put, 3, mac, DIPR_HASH_LEN);
		if (db_step(put) != SQLITE_DONE)
			rc = pg_err(s, "seal evidence");
	}
done:
	db_finalize(sel);
	db_finalize(put);
	dipr_buf_free(&q);
	return rc;
}

static bool pg_sealed(dipr_db *db)
{
	dipr_dbst *st = NULL;
	bool yes = db_prepare(db, "SELECT EXISTS(SELECT 1 FROM seal_sum)", NULL, false, &st) == SQLITE_OK &&
		   db_step(st) == SQLITE_ROW && db_column_int(st, 0);
	db_finalize(st);
	return yes;
}

/* dipr_seal_install on PostgreSQL: as on SQLite; a key already in dir
 * with an unsealed database (dipr migrate) seals it with that key. */
static int pg_seal_install(dipr_store *s, const char *dir, bool *installed)
{
	char path[4200], tmp[4300], kdir[4200];
	uint8_t key[SEAL_KEY_LEN];
	bool fresh = false;
	int rc;
	dipr_store_seal_dir(db_target(s->db), dir);
	snprintf(path, sizeof path, "%s/%s", dir, DIPR_SEAL_KEY_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	snprintf(kdir, sizeof kdir, "%s/keys", dir);
	bool sealed = pg_sealed(s->db);
	rc = key_read_file(path, key);
	if (rc == 0 && sealed) {
		OPENSSL_cleanse(key, sizeof key);
		return pg_attach(s, dir);
	}
	if (rc != 0 && rc != DIPR_ENOTFOUND)
		return rc;
	if (rc == DIPR_ENOTFOUND && sealed) {
		if (key_read_file(tmp, key) != 0)
			return dipr__err(DIPR_EVERIFY, "seal: the database is sealed but %s is missing (copy it from the "
					 "data directory the database came from)", path);
		OPENSSL_cleanse(key, sizeof key);
		if (rename(tmp, path) != 0)
			return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
		if ((rc = dipr__fsync_dir(kdir)))
			return rc;
		return pg_attach(s, dir);
	}
	if (rc == DIPR_ENOTFOUND) {
		fresh = true;
		if ((rc = new_key_file(tmp, key)))
			goto done;
	}
	/* This connection seals with the key from now on. */
	if ((rc = pg_attach_key(s, key, NULL)))
		goto done;
	if (db_exec(s->db, "BEGIN") != SQLITE_OK) {
		rc = pg_err(s, "begin");
		goto done;
	}
	if ((rc = pg_install_in_txn(s, key)) || (db_exec(s->db, "COMMIT") != SQLITE_OK && (rc = pg_err(s, "commit")))) {
		if (db_in_txn(s->db))
			db_exec(s->db, "ROLLBACK");
		if (fresh)
			unlink(tmp);
		pg_attach(s, dir);
		goto done;
	}
	if (fresh) {
		if (rename(tmp, path) != 0) {
			rc = dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
			goto done;
		}
		if ((rc = dipr__fsync_dir(kdir)))
			goto done;
	}
	if (installed)
		*installed = true;
done:
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

/* ---- verification ---- */

typedef struct {
	dipr_db *db;
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

static dipr_dbst *prep(vctx *v, const char *sql)
{
	dipr_dbst *st = NULL;
	if (db_prepare(v->db, sql, NULL, false, &st) != SQLITE_OK) {
		problem(v, "database: cannot read (%s): %s", sql, db_errmsg(v->db));
		db_finalize(st);
		return NULL;
	}
	return st;
}

/* A step that is neither a row nor the end: the file is damaged. */
static bool step_err(vctx *v, int r, const char *what)
{
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return false;
	problem(v, "database: reading %s failed: %s", what, db_errmsg(v->db));
	return true;
}

static void check_integrity(vctx *v)
{
	/* PostgreSQL: the files are the cluster's (initdb -k checksums). */
	if (db_is_pg(v->db)) {
		note(v, "database file: integrity_check not checked on PostgreSQL yet");
		return;
	}
	dipr_dbst *st = prep(v, "PRAGMA integrity_check(20)");
	int r;
	if (!st)
		return;
	while ((r = db_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)db_column_text(st, 0);
		if (m && strcmp(m, "ok") != 0)
			problem(v, "database file: integrity_check: %s", m);
	}
	step_err(v, r, "integrity_check");
	db_finalize(st);
}

static int meta_text(vctx *v, const char *k, char *out, size_t cap)
{
	dipr_dbst *st = prep(v, "SELECT v FROM meta WHERE k = ?1");
	int rc = DIPR_ENOTFOUND;
	if (!st)
		return DIPR_EIO;
	db_bind_text(st, 1, k, -1);
	if (db_step(st) == SQLITE_ROW && db_column_type(st, 0) == SQLITE_TEXT) {
		snprintf(out, cap, "%s", (const char *)db_column_text(st, 0));
		rc = 0;
	}
	db_finalize(st);
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
	dipr_dbst *tile; /* SELECT data FROM tile WHERE level AND idx */
	uint64_t tiles_checked;
} tree_ctx;

static void compare_tile(tree_ctx *t, int level, uint64_t index, unsigned width, const uint8_t (*h)[DIPR_HASH_LEN])
{
	vctx *v = t->v;
	db_reset(t->tile);
	db_bind_int(t->tile, 1, level);
	db_bind_int64(t->tile, 2, (int64_t)index);
	int r = db_step(t->tile);
	if (r != SQLITE_ROW) {
		/* Level-0 tiles are recomputed from the entries, not stored
		 * (log/log.c leaf_tile); older directories still have them. */
		if (!step_err(v, r, "tile") && level != 0)
			problem(v, "table tile: tile %d/%llu is missing", level, (unsigned long long)index);
		return;
	}
	const uint8_t *d = db_column_blob(t->tile, 0);
	size_t n = (size_t)db_column_bytes(t->tile, 0);
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
	dipr_dbst *st;
	bool has;   /* a current row */
	int64_t idx;
} cursor;

static void cur_next(vctx *v, cursor *c, const char *what)
{
	int r = c->st ? db_step(c->st) : SQLITE_DONE;
	c->has = r == SQLITE_ROW;
	if (c->has)
		c->idx = db_column_int64(c->st, 0);
	else
		step_err(v, r, what);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* SM3(salt || JCS(meta)) of an evidence row {"meta":..,"salt":hex}. */
static void check_evidence_row(vctx *v, uint64_t idx, json_t *entry, dipr_dbst *ev)
{
	const char *mh = jstr(entry, "meta_hash");
	if (db_column_type(ev, 2) == SQLITE_NULL) {
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
	if (dipr__json_parse(db_column_blob(ev, 2), (size_t)db_column_bytes(ev, 2), 64, "meta", &row) ||
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

static void check_event_row(vctx *v, uint64_t idx, json_t *entry, dipr_dbst *ev)
{
	const char *type = jstr(entry, "type"), *name = (const char *)db_column_text(ev, 2),
		   *ename = jstr(entry, "event");
	int64_t app = db_column_int64(ev, 1);
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
	dipr_hash(DIPR_HASH_SM3, db_column_blob(ev, 3), (size_t)db_column_bytes(ev, 3), h);
	dipr_hex_encode(h, sizeof h, hex);
	if (!bh || strcmp(bh, hex) != 0)
		problem(v, "table event: row %llu: SM3(body) differs from the body_hash logged in entry %llu (the "
			"record was changed)", (unsigned long long)idx, (unsigned long long)idx);
}

static void check_cert_row(vctx *v, uint64_t idx, const uint8_t *e, size_t len, dipr_dbst *ct)
{
	const char *certno = (const char *)db_column_text(ct, 1);
	json_t *file = NULL;
	dipr_buf canon;
	dipr_cert_body *body = calloc(1, sizeof *body);
	dipr_buf_init(&canon, 1 << 20);
	if (!body) {
		problem(v, "out of memory");
	} else if (dipr__json_parse(db_column_blob(ct, 2), (size_t)db_column_bytes(ct, 2), 16, "cert", &file) ||
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
	dipr_dbst *ent = prep(v, "SELECT idx, data FROM entry ORDER BY idx");
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
	while (!v->full && (rr = db_step(ent)) == SQLITE_ROW) {
		uint64_t idx = (uint64_t)db_column_int64(ent, 0);
		const uint8_t *e = db_column_blob(ent, 1);
		size_t len = (size_t)db_column_bytes(ent, 1);
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
				(const char *)db_column_text(crt.st, 1), (long long)crt.idx);
			cur_next(v, &crt, "cert");
		}
		if (crt.has && (uint64_t)crt.idx == idx) {
			if (!type || strcmp(type, "certificate") != 0)
				problem(v, "table cert: row %s: entry %llu is not a certificate entry",
					(const char *)db_column_text(crt.st, 1), (unsigned long long)idx);
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
			(const char *)db_column_text(crt.st, 1), (long long)crt.idx);
	/* the partial tiles at the right edge */
	for (int lv = 0; lv < DIPR_TILE_MAX_LEVELS; lv++)
		if (t->edge.count[lv])
			compare_tile(t, lv, (t->edge.size >> (8 * lv)) / DIPR_TILE_WIDTH, t->edge.count[lv],
				     (const uint8_t(*)[DIPR_HASH_LEN])t->edge.hashes[lv]);
	/* no tile the tree does not have */
	dipr_dbst *all = prep(v, "SELECT level, idx, length(data) FROM tile");
	uint64_t ntiles = 0;
	while (all && (rr = db_step(all)) == SQLITE_ROW) {
		int lv = db_column_int(all, 0);
		uint64_t n = (uint64_t)db_column_int64(all, 1);
		uint64_t hashes = lv >= 0 && lv < DIPR_TILE_MAX_LEVELS ? t->edge.size >> (8 * lv) : 0;
		if (n * 256 >= hashes)
			problem(v, "table tile: tile %d/%llu is not part of the tree of size %llu", lv,
				(unsigned long long)n, (unsigned long long)t->edge.size);
		ntiles++;
	}
	if (all)
		step_err(v, rr, "tiles");
	db_finalize(all);
	if (cp_ok && !root_set)
		problem(v, "table checkpoint: size %llu is beyond the %llu entries", (unsigned long long)cp->size,
			(unsigned long long)t->edge.size);
	else if (cp_ok && memcmp(r->root, cp->root, DIPR_HASH_LEN) != 0)
		problem(v, "table checkpoint: the root recomputed from the entries at size %llu differs from the signed "
			"checkpoint", (unsigned long long)cp->size);
done:
	if (t)
		db_finalize(t->tile);
	free(t);
	db_finalize(ent);
	db_finalize(ev.st);
	db_finalize(evt.st);
	db_finalize(crt.st);
}

/* -- seals -- */

static void mac_of_row(vctx *v, const char *domain, dipr_dbst *st, int first, int n, uint8_t out[DIPR_HASH_LEN])
{
	seal_mac_of(v->key, domain, n, NULL, st, first, out);
}

/* Column i as text for a message: blobs (hash keys) in hex. */
static const char *key_text(dipr_dbst *st, int i, char *buf, size_t cap)
{
	if (db_column_type(st, i) != SQLITE_BLOB) {
		const char *t = (const char *)db_column_text(st, i);
		snprintf(buf, cap, "%s", t ? t : "?");
	} else {
		size_t n = (size_t)db_column_bytes(st, i);
		if (n > (cap - 1) / 2)
			n = (cap - 1) / 2;
		dipr_hex_encode(db_column_blob(st, i), n, buf);
	}
	return buf;
}

/* Checks that t's columns are exactly those sealed. */
static bool columns_match(vctx *v, const seal_table *t)
{
	char sql[200];
	dipr_buf have;
	bool ok;
	if (db_is_pg(v->db))
		snprintf(sql, sizeof sql, "SELECT column_name FROM information_schema.columns WHERE table_schema ="
			 " current_schema() AND table_name = '%s' ORDER BY ordinal_position", t->name);
	else
		snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", t->name);
	dipr_dbst *st = prep(v, sql);
	if (!st)
		return false;
	dipr_buf_init(&have, 1 << 16);
	while (db_step(st) == SQLITE_ROW) {
		if (have.n)
			dipr_buf_add(&have, ",", 1);
		dipr_buf_adds(&have, (const char *)db_column_text(st, 0));
	}
	dipr_buf_add(&have, "", 1);
	db_finalize(st);
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
	/* PostgreSQL: seal.k is the key as text (seal_table.pg_key) */
	bool pg = db_is_pg(v->db);
	const char *key = pg ? t->pg_key : t->key;
	dipr_buf_adds(&q, "SELECT ");
	subst(&q, key, pfx, NULL);
	dipr_buf_addf(&q, ", (SELECT mac FROM seal WHERE seal.tbl = '%s' AND seal.k = ", t->name);
	subst(&q, key, pfx, NULL);
	dipr_buf_adds(&q, "), ");
	col_list(&q, t->cols, pfx);
	dipr_buf_addf(&q, " FROM %s", t->name);
	dipr_buf_add(&q, "", 1);
	dipr_dbst *st = q.p ? prep(v, (const char *)q.p) : NULL;
	while (st && !v->full && (rr = db_step(st)) == SQLITE_ROW) {
		char kb[80];
		const char *rk = key_text(st, 0, kb, sizeof kb);
		mac_of_row(v, t->name, st, 2, nc, mac);
		if (db_column_type(st, 1) == SQLITE_NULL)
			problem(v, "table %s: row %s has no seal (added outside dipr)", t->name, rk ? rk : "?");
		else if (db_column_bytes(st, 1) != DIPR_HASH_LEN ||
			 CRYPTO_memcmp(db_column_blob(st, 1), mac, DIPR_HASH_LEN) != 0)
			problem(v, "table %s: row %s was changed outside dipr (its MAC does not match)", t->name,
				rk ? rk : "?");
		v->r->rows_sealed++;
	}
	if (st && !v->full)
		step_err(v, rr, t->name);
	db_finalize(st);
	/* seals without their row, and the table's sum */
	dipr_buf_reset(&q);
	dipr_buf_addf(&q, "SELECT k, mac, NOT EXISTS(SELECT 1 FROM %s WHERE ", t->name);
	if (pg) {
		subst(&q, t->pg_where, pfx, "seal.k");
		dipr_buf_adds(&q, ")");
	} else {
		key_expr(&q, t->key, pfx);
		dipr_buf_adds(&q, " = seal.k)");
	}
	dipr_buf_addf(&q, " FROM seal WHERE tbl = '%s'", t->name);
	dipr_buf_add(&q, "", 1);
	st = q.p ? prep(v, (const char *)q.p) : NULL;
	while (st && !v->full && (rr = db_step(st)) == SQLITE_ROW) {
		const uint8_t *m = db_column_blob(st, 1);
		if (db_column_int(st, 2))
		{
			char kb[80];
			problem(v, "table %s: row %s was deleted outside dipr", t->name, key_text(st, 0, kb, sizeof kb));
		}
		for (int i = 0; m && db_column_bytes(st, 1) == DIPR_HASH_LEN && i < DIPR_HASH_LEN; i++)
			x[i] ^= m[i];
		n++;
	}
	db_finalize(st);
	dipr_buf_free(&q);
	if (v->full)
		return;
	st = prep(v, "SELECT tbl, n, x, mac FROM seal_sum WHERE tbl = ?1");
	if (!st)
		return;
	db_bind_text(st, 1, t->name, -1);
	if (db_step(st) != SQLITE_ROW) {
		problem(v, "table seal_sum: the row of table %s is missing", t->name);
	} else {
		mac_of_row(v, "#sum", st, 0, 3, mac);
		if (db_column_bytes(st, 3) != DIPR_HASH_LEN ||
		    CRYPTO_memcmp(db_column_blob(st, 3), mac, DIPR_HASH_LEN) != 0)
			problem(v, "table seal_sum: the row of table %s was changed outside dipr", t->name);
		else if (db_column_int64(st, 1) != n || db_column_bytes(st, 2) != DIPR_HASH_LEN ||
			 memcmp(db_column_blob(st, 2), x, DIPR_HASH_LEN) != 0)
			problem(v, "table %s: rows were deleted (or seals changed) outside dipr: the row MACs are not the "
				"sealed set (%lld sealed, %lld present)", t->name, (long long)db_column_int64(st, 1),
				(long long)n);
	}
	db_finalize(st);
}

/* Evidence batch seals: ranges [k_i, k_i+1) .. [k_last, tree size). */
static void check_evidence_seals(vctx *v)
{
	/* PostgreSQL: k is text; in numeric order, -1 for one that is no
	 * number (reported below as a batch that does not match) */
	dipr_dbst *ks = db_is_pg(v->db)
				? prep(v, "SELECT CASE WHEN k ~ '^[0-9]{1,18}$' THEN k::bigint ELSE -1 END AS n, mac FROM seal"
					  " WHERE tbl = '#evidence' ORDER BY n")
				: prep(v, "SELECT k, mac FROM seal WHERE tbl = '#evidence' ORDER BY k");
	dipr_dbst *agg = NULL;
	int64_t *k = NULL;
	uint8_t (*m)[DIPR_HASH_LEN] = NULL;
	size_t n = 0, cap = 0;
	if (!ks)
		return;
	while (db_step(ks) == SQLITE_ROW) {
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
		k[n] = db_column_int64(ks, 0);
		if (db_column_bytes(ks, 1) == DIPR_HASH_LEN)
			memcpy(m[n], db_column_blob(ks, 1), DIPR_HASH_LEN);
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
	int r = db_step(agg);
	for (size_t i = 0; i < n && !v->full; i++) {
		uint64_t lo = (uint64_t)k[i], hi = i + 1 < n ? (uint64_t)k[i + 1] : v->r->tree_size;
		uint8_t x[DIPR_HASH_LEN] = {0}, rm[DIPR_HASH_LEN], want[DIPR_HASH_LEN];
		while (r == SQLITE_ROW && (uint64_t)db_column_int64(agg, 0) < hi) {
			if ((uint64_t)db_column_int64(agg, 0) >= lo) {
				mac_of_row(v, "#evidence-row", agg, 0, 3, rm);
				for (int j = 0; j < DIPR_HASH_LEN; j++)
					x[j] ^= rm[j];
			}
			r = db_step(agg);
		}
		/* dipr_seal('#evidence', lo, hi, x) */
		evidence_mac(v->key, lo, hi, x, want);
		if (CRYPTO_memcmp(want, m[i], DIPR_HASH_LEN) != 0)
			problem(v, "table evidence: rows %llu..%llu (one batch) were changed, added or deleted outside dipr "
				"(their seal does not match)", (unsigned long long)lo, (unsigned long long)(hi ? hi - 1 : 0));
		v->r->evidence_batches++;
	}
done:
	db_finalize(ks);
	db_finalize(agg);
	free(k);
	free(m);
}

static void check_trigger(vctx *v, dipr_dbst *st, const char *name)
{
	db_reset(st);
	db_bind_text(st, 1, name, -1);
	const char *sql = db_step(st) == SQLITE_ROW ? (const char *)db_column_text(st, 0) : NULL;
	if (!sql)
		problem(v, "schema: trigger %s is missing (dropped outside dipr: writes are no longer sealed)", name);
	else if (!is_ours_trigger(name, sql))
		problem(v, "schema: trigger %s was changed outside dipr", name);
}

static void check_triggers(vctx *v)
{
	char name[80];
	dipr_dbst *st = prep(v, "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1");
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
	db_finalize(st);
	char why[600];
	if (schema_untrusted(db_sqlite(v->db), why, sizeof why))
		problem(v, "schema: %s", why + strlen("seal: "));
	/* other triggers and views: not ours to judge, but say so */
	st = prep(v, "SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', 'view') AND name NOT LIKE 'seal\\_%' ESCAPE '\\'");
	while (st && db_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)db_column_text(st, 1);
		bool known = false;
		for (size_t i = 0; i < sizeof known_triggers / sizeof *known_triggers; i++)
			known = known || strcmp(nm, known_triggers[i]) == 0;
		if (!known)
			note(v, "schema: %s %s is not one dipr made", (const char *)db_column_text(st, 0), nm);
	}
	db_finalize(st);
}

static void check_unknown_tables(vctx *v)
{
	dipr_dbst *st = prep(v, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
	while (st && db_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)db_column_text(st, 0);
		bool known = false;
		for (size_t i = 0; i < NTABLES; i++)
			known = known || strcmp(nm, tables[i].name) == 0;
		for (size_t i = 0; i < sizeof log_tables / sizeof *log_tables; i++)
			known = known || strcmp(nm, log_tables[i]) == 0;
		if (!known)
			note(v, "table %s is not covered by these checks", nm);
	}
	db_finalize(st);
}

/* app.head names an event of the same application. */
static void check_app_heads(vctx *v)
{
	if (!has_table(v->db, "app") || !has_table(v->db, "event"))
		return;
	dipr_dbst *st = prep(v, "SELECT id, head FROM app WHERE head IS NOT NULL AND head >= 0 AND NOT EXISTS"
				   " (SELECT 1 FROM event WHERE event.idx = app.head AND event.app = app.id)");
	while (st && !v->full && db_step(st) == SQLITE_ROW)
		problem(v, "table app: row %lld: head %lld is not an event of this application",
			(long long)db_column_int64(st, 0), (long long)db_column_int64(st, 1));
	db_finalize(st);
}

/* PostgreSQL: the triggers the seals rest on exist, are enabled and run
 * our functions, whose text is ours; seal_dirty is empty (a row there was
 * committed with the check off).  The key never enters the database, so
 * unlike SQLite no other object can use it as an oracle: other triggers
 * are only noted. */
static void check_triggers_pg(vctx *v)
{
	dipr_buf body;
	bool seen[NTABLES] = {0}, seen_check = false;
	dipr_buf_init(&body, 1 << 20);
	if (pg_dirty_body(&body) || dipr_buf_add(&body, "", 1)) {
		problem(v, "out of memory");
		dipr_buf_free(&body);
		return;
	}
	dipr_dbst *st = prep(v, "SELECT t.tgname, r.relname, t.tgenabled::text, t.tgtype::int, t.tgdeferrable,"
				" t.tginitdeferred, p.proname, p.prosrc FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
				" JOIN pg_proc p ON p.oid = t.tgfoid WHERE r.relnamespace = current_schema()::regnamespace"
				" AND NOT t.tgisinternal ORDER BY r.relname, t.tgname");
	while (st && db_step(st) == SQLITE_ROW) {
		const char *tg = (const char *)db_column_text(st, 0), *rel = (const char *)db_column_text(st, 1),
			   *en = (const char *)db_column_text(st, 2), *fn = (const char *)db_column_text(st, 6),
			   *src = (const char *)db_column_text(st, 7);
		int type = db_column_int(st, 3);
		bool on = en && strcmp(en, "D") != 0;
		if (strncmp(tg, "seal_", 5) == 0 && strcmp(tg, "seal_dirty_no_truncate") != 0) {
			size_t i = 0;
			if (strcmp(tg, "seal_dirty_check") == 0 && strcmp(rel, "seal_dirty") == 0) {
				seen_check = true;
				if (!on)
					problem(v, "schema: trigger seal_dirty_check is disabled (writes outside dipr are no "
						"longer refused)");
				else if (!db_column_int(st, 4) || !db_column_int(st, 5) ||
					 strcmp(fn, "dipr_seal_dirty_check") != 0 || !src || strcmp(src, pg_check_body) != 0)
					problem(v, "schema: trigger seal_dirty_check was changed outside dipr");
				continue;
			}
			while (i < NTABLES && !(strcmp(tg + 5, tables[i].name) == 0 && strcmp(rel, tables[i].name) == 0))
				i++;
			if (i < NTABLES) {
				seen[i] = true;
				/* AFTER ROW INSERT OR DELETE OR UPDATE: 1|4|8|16 */
				if (!on)
					problem(v, "schema: trigger %s is disabled (writes are no longer sealed)", tg);
				else if (type != 29 || strcmp(fn, "dipr_seal_dirty") != 0 || !src ||
					 strcmp(src, (const char *)body.p) != 0)
					problem(v, "schema: trigger %s was changed outside dipr", tg);
				continue;
			}
		}
		bool known = strstr(tg, "_no_truncate") != NULL;
		for (size_t i = 0; i < sizeof known_triggers / sizeof *known_triggers; i++)
			known = known || strcmp(tg, known_triggers[i]) == 0;
		if (!known)
			note(v, "schema: trigger %s on %s is not one dipr made", tg, rel);
	}
	db_finalize(st);
	for (size_t i = 0; i < NTABLES; i++)
		if (!seen[i])
			problem(v, "schema: trigger seal_%s is missing (dropped outside dipr: writes are no longer sealed)",
				tables[i].name);
	if (!seen_check)
		problem(v, "schema: trigger seal_dirty_check is missing (dropped outside dipr: writes outside dipr are "
			"no longer refused)");
	dipr_buf_free(&body);
	st = prep(v, "SELECT tbl, k FROM seal_dirty ORDER BY seq LIMIT 5");
	while (st && !v->full && db_step(st) == SQLITE_ROW)
		problem(v, "table seal_dirty: a change to table %s row %s was committed without its seal (outside dipr, "
			"with the check off)", (const char *)db_column_text(st, 0), (const char *)db_column_text(st, 1));
	db_finalize(st);
}

static void check_unknown_tables_pg(vctx *v)
{
	dipr_dbst *st = prep(v, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
				" ORDER BY table_name");
	while (st && db_step(st) == SQLITE_ROW) {
		const char *nm = (const char *)db_column_text(st, 0);
		bool known = false;
		for (size_t i = 0; i < NTABLES; i++)
			known = known || strcmp(nm, tables[i].name) == 0;
		for (size_t i = 0; i < sizeof log_tables / sizeof *log_tables; i++)
			known = known || strcmp(nm, log_tables[i]) == 0;
		if (!known)
			note(v, "table %s is not covered by these checks", nm);
	}
	db_finalize(st);
}

static int verify_db(dipr_db *db, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
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
	dipr_dbst *st = prep(&v, "SELECT size FROM tree WHERE id = 1");
	if (!st || db_step(st) != SQLITE_ROW)
		problem(&v, "table tree: the size row is missing");
	else
		r->tree_size = (uint64_t)db_column_int64(st, 0);
	db_finalize(st);
	if (v.full)
		goto out;
	/* checkpoint */
	load_verifiers(&v, &vl);
	st = prep(&v, "SELECT size, note FROM checkpoint WHERE id = 1");
	if (st && db_step(st) == SQLITE_ROW) {
		size_t tl;
		const uint8_t *nb = db_column_blob(st, 1);
		size_t nn = (size_t)db_column_bytes(st, 1);
		r->cp_size = (uint64_t)db_column_int64(st, 0);
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
	db_finalize(st);
	vlist_free(&vl);
	if (v.full)
		goto out;
	check_tree(&v, &cp, cp_ok);
	if (v.full)
		goto out;
	check_app_heads(&v);
	/* seals */
	int kr = key_read(dir, v.key);
	bool pg = db_is_pg(db);
	/* PostgreSQL always has the tables: sealed once seal_sum has rows */
	bool tables_there = pg ? pg_sealed(db) : has_table(db, "seal");
	r->sealed = kr == 0;
	if (kr == 0 && !tables_there) {
		if (pg)
			problem(&v, "table seal_sum: empty although %s/%s exists (the seals were removed outside dipr?)",
				dir, DIPR_SEAL_KEY_FILE);
		else
			problem(&v, "table seal: missing although %s/%s exists (removed outside dipr?)", dir,
				DIPR_SEAL_KEY_FILE);
	} else if (kr == DIPR_ENOTFOUND && tables_there) {
		problem(&v, "%s/%s is missing: the sealed tables cannot be checked (copy the key from the data directory "
			"the database came from)", dir, DIPR_SEAL_KEY_FILE);
	} else if (kr != 0 && kr != DIPR_ENOTFOUND) {
		problem(&v, "%s", dipr_errdetail());
	} else if (kr == DIPR_ENOTFOUND) {
		note(&v, "rows outside the log are not sealed yet (%s is made at the first dipr serve)", DIPR_SEAL_KEY_FILE);
	} else {
		v.have_key = true;
		if (pg)
			check_triggers_pg(&v);
		else
			check_triggers(&v);
		for (size_t i = 0; i < NTABLES && !v.full; i++)
			if (has_table(db, tables[i].name))
				check_table_seals(&v, &tables[i]);
		if (!v.full)
			check_evidence_seals(&v);
		dipr_dbst *other = prep(&v, "SELECT DISTINCT tbl FROM seal");
		while (other && db_step(other) == SQLITE_ROW) {
			const char *tb = (const char *)db_column_text(other, 0);
			if (!tb) { /* NOT NULL in the schema: only a damaged file has it */
				problem(&v, "table seal: a seal row without a table name");
				continue;
			}
			bool known = strcmp(tb, "#evidence") == 0;
			for (size_t i = 0; i < NTABLES; i++)
				known = known || strcmp(tb, tables[i].name) == 0;
			if (!known)
				problem(&v, "table seal: seals of an unknown table %s", tb);
		}
		db_finalize(other);
	}
	OPENSSL_cleanse(v.key, sizeof v.key);
	if (pg)
		check_unknown_tables_pg(&v);
	else
		check_unknown_tables(&v);
out:
	return r->problems ? DIPR_EVERIFY : 0;
}

int dipr_verify_store(dipr_store *s, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
{
	/* One read transaction: every check sees the same snapshot. */
	int began = db_exec(s->db, db_is_pg(s->db) ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN") ==
		    SQLITE_OK;
	int rc = verify_db(s->db, dir, o, r);
	if (began)
		db_exec(s->db, "COMMIT");
	return rc;
}

int dipr_verify_path(const char *dbpath, const char *dir, const dipr_verify_opts *o, dipr_verify_result *r)
{
	dipr_db *db = NULL;
	bool pg = db_target_is_pg(dbpath);
	int rc;
	memset(r, 0, sizeof *r);
	if (!pg && access(dbpath, F_OK) != 0)
		return dipr__err(DIPR_ENOTFOUND, "%s: %s", dbpath, strerror(errno));
	if (db_open(&db, dbpath, 0) != SQLITE_OK || (!pg && db_exec(db, "PRAGMA query_only=1") != SQLITE_OK)) {
		char shown[1024];
		rc = dipr__err(DIPR_EVERIFY, "%s: cannot open the database: %s",
			       dipr_store_target_show(dbpath, shown, sizeof shown), db ? db_errmsg(db) : "?");
		if (o && o->report)
			fprintf(o->report, "%s: %s\n", o->prefix ? o->prefix : "verify", dipr_errdetail());
		r->problems = 1;
		db_close(db);
		return rc;
	}
	int began = db_exec(db, pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN") == SQLITE_OK;
	rc = verify_db(db, dir, o, r);
	if (began)
		db_exec(db, "COMMIT");
	db_close(db);
	return rc;
}

int dipr_verify_startup(dipr_store *s, const char *dir, dipr_verifier *const *vs, size_t nvs)
{
	dipr_verify_result r;
	dipr_verify_opts o = {.report = stderr, .prefix = "dipr serve: start-up check", .vs = vs, .nvs = nvs};
	bool installed = false;
	/* PostgreSQL: this directory's key seals this process's connections */
	if (db_is_pg(s->db)) {
		dipr_store_seal_dir(db_target(s->db), dir);
		int ar = pg_attach(s, dir);
		if (ar)
			return ar;
	}
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
