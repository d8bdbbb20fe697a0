/* migrate.c — copies an SQLite store into an empty PostgreSQL one, row by
 * row through the driver, in one PostgreSQL transaction (docs/POSTGRES.md
 * §4.1).  The copy is checked afterwards by the caller (cli/migrate.c):
 * dipr audit on the target, row counts, and the seals. */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "dipr/hash.h"
#include "store/migrate.h"
#include "store/sqlite_int.h"

/* Dependency order (foreign keys point backwards).  seal and seal_sum are
 * not copied: the target seals every copied row itself (same key), and the
 * caller compares the two stores' seals. */
static const char *const tables[] = {"meta", "account", "token", "password", "session", "tree", "entry", "tile",
				     "checkpoint", "evidence", "app", "app_digest", "event", "objection", "cert",
				     "counter", "audit", NULL};
/* Tables whose id PostgreSQL generates (identity): moved past the copied ids. */
static const char *const identities[] = {"account", "app", "objection", "audit", NULL};

const char *const *dipr_store_migrate_tables(void) { return tables; }

static int fail_on(dipr_store *s, const char *table, const char *what)
{
	return dipr__err(DIPR_EIO, "migrate: table %s: %s: %s", table, what, db_errmsg(s->db));
}

static int exec1(dipr_store *s, const char *sql, const char *table)
{
	return db_exec(s->db, sql) == SQLITE_OK ? 0 : fail_on(s, table, "prepare");
}

/* Copies every row of one table; *rows counts them. */
static int copy_table(dipr_store *src, dipr_store *dst, const char *t, uint64_t *rows)
{
	char sql[1200];
	dipr_dbst *in = NULL, *out = NULL;
	int rc = 0, r;
	dipr_buf ins;
	dipr_buf_init(&ins, 8192);
	snprintf(sql, sizeof sql, "SELECT * FROM %s", t);
	if (db_prepare(src->db, sql, NULL, false, &in) != SQLITE_OK) {
		rc = fail_on(src, t, "read");
		goto out;
	}
	int n = db_column_count(in);
	/* Column names come from the source file: only plain names go into
	 * the INSERT text (dipr's own are all [a-z_]). */
	for (int i = 0; i < n; i++) {
		const char *c = db_column_name(in, i);
		if (!c || !*c || strspn(c, "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen(c)) {
			rc = dipr__err(DIPR_EINVAL, "migrate: table %s: column name \"%.40s\" is not dipr's (expected "
				       "[a-z0-9_])", t, c ? c : "");
			goto out;
		}
	}
	dipr_buf_addf(&ins, "INSERT INTO %s(", t);
	for (int i = 0; i < n; i++)
		dipr_buf_addf(&ins, "%s%s", i ? ", " : "", db_column_name(in, i));
	dipr_buf_adds(&ins, ") VALUES(");
	for (int i = 0; i < n; i++)
		dipr_buf_addf(&ins, "%s?%d", i ? ", " : "", i + 1);
	if (dipr_buf_add(&ins, ")", 2)) {
		rc = DIPR_ENOMEM;
		goto out;
	}
	if (db_prepare(dst->db, (const char *)ins.p, NULL, false, &out) != SQLITE_OK) {
		rc = fail_on(dst, t, "prepare insert");
		goto out;
	}
	*rows = 0;
	while ((r = db_step(in)) == SQLITE_ROW) {
		db_reset(out);
		db_clear_bindings(out);
		for (int i = 0; i < n; i++) {
			switch (db_column_type(in, i)) {
			case SQLITE_NULL: db_bind_null(out, i + 1); break;
			case SQLITE_INTEGER: db_bind_int64(out, i + 1, db_column_int64(in, i)); break;
			case SQLITE_TEXT:
				db_bind_text(out, i + 1, (const char *)db_column_text(in, i), db_column_bytes(in, i));
				break;
			case SQLITE_BLOB: db_bind_blob(out, i + 1, db_column_blob(in, i), db_column_bytes(in, i)); break;
			default:
				rc = dipr__err(DIPR_EINVAL, "migrate: table %s column %s: a floating-point value (dipr "
					       "stores none)", t, db_column_name(in, i));
				goto out;
			}
		}
		if (db_step(out) != SQLITE_DONE) {
			rc = fail_on(dst, t, "insert");
			goto out;
		}
		(*rows)++;
	}
	if (r != SQLITE_DONE)
		rc = fail_on(src, t, "read");
out:
	db_finalize(in);
	db_finalize(out);
	dipr_buf_free(&ins);
	return rc;
}

static int copy_evidence_seals(dipr_store *src, dipr_store *dst, uint64_t *n)
{
	dipr_dbst *in = NULL, *out = NULL;
	int rc = 0, r;
	char k[32];
	*n = 0;
	if (db_prepare(src->db, "SELECT k, mac FROM seal WHERE tbl = '#evidence'", NULL, false, &in) != SQLITE_OK)
		return fail_on(src, "seal", "read");
	if (db_prepare(dst->db, "INSERT INTO seal(tbl, k, mac) VALUES('#evidence', ?1, ?2)", NULL, false, &out) !=
	    SQLITE_OK) {
		db_finalize(in);
		return fail_on(dst, "seal", "prepare insert");
	}
	while ((r = db_step(in)) == SQLITE_ROW) {
		snprintf(k, sizeof k, "%lld", (long long)db_column_int64(in, 0));
		db_reset(out);
		db_bind_text(out, 1, k, -1);
		db_bind_blob(out, 2, db_column_blob(in, 1), db_column_bytes(in, 1));
		if (db_step(out) != SQLITE_DONE) {
			rc = fail_on(dst, "seal", "insert");
			break;
		}
		(*n)++;
	}
	if (!rc && r != SQLITE_DONE)
		rc = fail_on(src, "seal", "read");
	db_finalize(in);
	db_finalize(out);
	return rc;
}

int dipr_store_seal_digest(dipr_store *s, uint8_t out[32], uint64_t *rows)
{
	dipr_dbst *q = NULL;
	int rc = 0, r;
	uint8_t acc[32] = {0}, h[32];
	*rows = 0;
	/* Order-independent: XOR of one hash per row, over the row's table,
	 * key as PostgreSQL spells it (integers in decimal, blobs in lower-case
	 * hex) and MAC; then the same over the per-table sums. */
	if (db_prepare(s->db, "SELECT tbl, k, mac FROM seal", NULL, false, &q) != SQLITE_OK)
		return fail_on(s, "seal", "read");
	while ((r = db_step(q)) == SQLITE_ROW) {
		dipr_buf b;
		char num[32];
		dipr_buf_init(&b, 1 << 20);
		dipr_buf_add(&b, db_column_text(q, 0), (size_t)db_column_bytes(q, 0) + 1);
		switch (db_column_type(q, 1)) {
		case SQLITE_INTEGER:
			snprintf(num, sizeof num, "%lld", (long long)db_column_int64(q, 1));
			dipr_buf_adds(&b, num);
			break;
		case SQLITE_BLOB: {
			const uint8_t *p = db_column_blob(q, 1);
			for (int i = 0; i < db_column_bytes(q, 1); i++) {
				snprintf(num, sizeof num, "%02x", p[i]);
				dipr_buf_adds(&b, num);
			}
			break;
		}
		default:
			dipr_buf_add(&b, db_column_text(q, 1), (size_t)db_column_bytes(q, 1));
		}
		dipr_buf_add(&b, "", 1);
		dipr_buf_add(&b, db_column_blob(q, 2), (size_t)db_column_bytes(q, 2));
		dipr_hash(DIPR_HASH_SHA256, b.p, b.n, h);
		dipr_buf_free(&b);
		for (int i = 0; i < 32; i++)
			acc[i] ^= h[i];
		(*rows)++;
	}
	if (r != SQLITE_DONE)
		rc = fail_on(s, "seal", "read");
	db_finalize(q);
	if (rc)
		return rc;
	if (db_prepare(s->db, "SELECT tbl, n, x, mac FROM seal_sum", NULL, false, &q) != SQLITE_OK)
		return fail_on(s, "seal_sum", "read");
	while ((r = db_step(q)) == SQLITE_ROW) {
		dipr_buf b;
		char num[32];
		dipr_buf_init(&b, 4096);
		dipr_buf_add(&b, db_column_text(q, 0), (size_t)db_column_bytes(q, 0) + 1);
		snprintf(num, sizeof num, "#%lld#", (long long)db_column_int64(q, 1));
		dipr_buf_adds(&b, num);
		dipr_buf_add(&b, db_column_blob(q, 2), (size_t)db_column_bytes(q, 2));
		dipr_buf_add(&b, db_column_blob(q, 3), (size_t)db_column_bytes(q, 3));
		dipr_hash(DIPR_HASH_SHA256, b.p, b.n, h);
		dipr_buf_free(&b);
		for (int i = 0; i < 32; i++)
			acc[i] ^= h[i];
	}
	if (r != SQLITE_DONE)
		rc = fail_on(s, "seal_sum", "read");
	db_finalize(q);
	memcpy(out, acc, 32);
	return rc;
}

int dipr_store_migrate(dipr_store *src, dipr_store *dst, dipr_migrate_stats *st)
{
	char sql[300];
	int rc;
	memset(st, 0, sizeof *st);
	if (db_is_pg(src->db) || !db_is_pg(dst->db))
		return dipr__err(DIPR_EINVAL, "migrate: copies an SQLite store into PostgreSQL");
	/* The target must be empty: no log, no account. */
	dipr_dbst *q = NULL;
	int64_t have = 0;
	if (db_prepare(dst->db, "SELECT (SELECT count(*) FROM meta) + (SELECT count(*) FROM entry) + "
				"(SELECT count(*) FROM account)", NULL, false, &q) != SQLITE_OK ||
	    db_step(q) != SQLITE_ROW) {
		db_finalize(q);
		return fail_on(dst, "meta", "read");
	}
	have = db_column_int64(q, 0);
	db_finalize(q);
	if (have)
		return dipr__err(DIPR_EINVAL, "migrate: the PostgreSQL schema already holds dipr data (%lld rows in "
			       "meta, entry, account); give an empty schema", (long long)have);
	/* One snapshot of the source, and no writer while it is copied. */
	if (db_exec(src->db, "BEGIN IMMEDIATE") != SQLITE_OK)
		return dipr__err(DIPR_ECONFLICT, "migrate: the SQLite database is busy (stop dipr serve first): %s",
				 db_errmsg(src->db));
	if (db_exec(dst->db, "BEGIN") != SQLITE_OK) {
		rc = fail_on(dst, "-", "begin");
		goto fail;
	}
	/* The schema made the one tree row; the source's replaces it. */
	if ((rc = exec1(dst, "DELETE FROM tree", "tree")))
		goto fail;
	for (int i = 0; tables[i]; i++) {
		uint64_t rows = 0;
		if ((rc = copy_table(src, dst, tables[i], &rows)))
			goto fail;
		st->rows[i] = rows;
		st->total += rows;
	}
	/* The evidence batch seals are made by the appends that wrote the
	 * batches, which the copy does not repeat: copy them (seal.k is text
	 * on PostgreSQL). */
	if ((rc = copy_evidence_seals(src, dst, &st->evidence_seals)))
		goto fail;
	for (int i = 0; identities[i]; i++) {
		snprintf(sql, sizeof sql,
			 "SELECT setval(pg_get_serial_sequence('%s', 'id'), coalesce(max(id), 0) + 1, false) FROM %s",
			 identities[i], identities[i]);
		if ((rc = exec1(dst, sql, identities[i])))
			goto fail;
	}
	if (db_exec(dst->db, "COMMIT") != SQLITE_OK) {
		rc = fail_on(dst, "-", "commit");
		goto fail;
	}
	db_exec(src->db, "ROLLBACK");
	return 0;
fail:
	if (db_in_txn(dst->db))
		db_exec(dst->db, "ROLLBACK");
	db_exec(src->db, "ROLLBACK");
	return rc;
}

int dipr_store_count(dipr_store *s, const char *table, uint64_t *n)
{
	char sql[200];
	dipr_dbst *q = NULL;
	int rc = 0;
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (db_prepare(s->db, sql, NULL, false, &q) != SQLITE_OK || db_step(q) != SQLITE_ROW)
		rc = fail_on(s, table, "count");
	else
		*n = (uint64_t)db_column_int64(q, 0);
	db_finalize(q);
	return rc;
}
