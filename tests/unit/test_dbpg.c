/* test_dbpg.c — the PostgreSQL driver (store/db_pg.c) and schema
 * (store/schema_pg.c) against a real server: DIPR_TEST_DB names a database
 * (scripts/pgtest.sh start); each run works in a fresh schema of its own and
 * drops it.  Without DIPR_TEST_DB the test is skipped.  The schema is
 * compared with the one the SQLite store really creates. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include <libpq-fe.h>
#include "store/db_pg.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/verify.h"

static char base[1024];    /* DIPR_TEST_DB */
static char schema[64];    /* this run's schema */
static char conninfo[1200]; /* base selecting schema */

/* base selecting schema <schema><suffix>, with extra server options
 * (already %-encoded for a URL). */
static void conninfo_in(char *out, size_t cap, const char *suffix, const char *opts)
{
	if (strstr(base, "://"))
		snprintf(out, cap, "%s%coptions=-csearch_path%%3D%s%s%s", base, strchr(base, '?') ? '&' : '?', schema,
			 suffix, opts);
	else
		snprintf(out, cap, "%s options='-csearch_path=%s%s%s'", base, schema, suffix, opts);
}

static void conninfo_with(char *out, size_t cap, const char *opts)
{
	conninfo_in(out, cap, "", opts);
}

/* A connection to the fresh schema <schema><suffix> (dropped by teardown). */
static struct dbpg *conn_in(const char *suffix)
{
	char sql[200], ci[1400];
	struct dbpg *c;
	int rc = dbpg_open(&c, base);
	if (rc != SQLITE_OK)
		fail_msg("open %s: %s", base, dbpg_errmsg(c));
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s%s CASCADE; CREATE SCHEMA %s%s", schema, suffix, schema,
		 suffix);
	if (dbpg_exec(c, sql) != SQLITE_OK)
		fail_msg("%s: %s", sql, dbpg_errmsg(c));
	dbpg_close(c);
	conninfo_in(ci, sizeof ci, suffix, "");
	if (dbpg_open(&c, ci) != SQLITE_OK)
		fail_msg("open %s: %s", ci, dbpg_errmsg(c));
	return c;
}

static struct dbpg *conn(void)
{
	struct dbpg *c;
	int rc = dbpg_open(&c, conninfo);
	if (rc != SQLITE_OK)
		fail_msg("open %s: %s", conninfo, c ? dbpg_errmsg(c) : "out of memory");
	return c;
}

static void exec_ok(struct dbpg *c, const char *sql)
{
	int rc = dbpg_exec(c, sql);
	if (rc != SQLITE_OK)
		fail_msg("%s: %d %s", sql, rc, dbpg_errmsg(c));
}

static struct dbpg_st *prep(struct dbpg *c, const char *sql)
{
	struct dbpg_st *st;
	int rc = dbpg_prepare(c, sql, &st);
	if (rc != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, dbpg_errmsg(c));
	return st;
}

/* The single integer a query returns. */
static int64_t one_int(struct dbpg *c, const char *sql)
{
	struct dbpg_st *st = prep(c, sql);
	int rc = dbpg_step(st);
	if (rc != SQLITE_ROW)
		fail_msg("%s: %d %s", sql, rc, dbpg_errmsg(c));
	int64_t v = dbpg_column_int64(st, 0);
	assert_int_equal(dbpg_step(st), SQLITE_DONE);
	dbpg_finalize(st);
	return v;
}

static int setup(void **state)
{
	(void)state;
	struct dbpg *c;
	char sql[256];
	snprintf(schema, sizeof schema, "t_dbpg_%ld", (long)getpid());
	if (dbpg_open(&c, base) != SQLITE_OK) {
		fprintf(stderr, "open %s: %s\n", base, c ? dbpg_errmsg(c) : "out of memory");
		dbpg_close(c);
		return -1;
	}
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
	int rc = dbpg_exec(c, sql);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, dbpg_errmsg(c));
	dbpg_close(c);
	conninfo_with(conninfo, sizeof conninfo, "");
	return rc == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	struct dbpg *c;
	char sql[256];
	if (dbpg_open(&c, base) == SQLITE_OK) {
		snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s, %s_cmp, %s_empty CASCADE", schema, schema, schema);
		dbpg_exec(c, sql);
	}
	dbpg_close(c);
	return 0;
}

static void test_open_sets_utc_and_refuses_undurable_commits(void **st)
{
	(void)st;
	char ci[1400];
	struct dbpg *c = conn();
	assert_non_null(dbpg_conn(c));
	assert_int_equal(PQstatus((PGconn *)dbpg_conn(c)), CONNECTION_OK);
	assert_false(dbpg_in_txn(c));
	assert_int_equal(dbpg_errcode(c), SQLITE_OK);
	struct dbpg_st *q = prep(c, "SELECT current_setting('TimeZone'), current_setting('client_encoding'),"
				    " current_setting('lock_timeout')");
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_string_equal((const char *)dbpg_column_text(q, 0), "UTC");
	assert_string_equal((const char *)dbpg_column_text(q, 1), "UTF8");
	assert_string_equal((const char *)dbpg_column_text(q, 2), "5s");
	dbpg_finalize(q);
	dbpg_close(c);

	/* synchronous_commit=off would acknowledge batches a crash can lose */
	conninfo_with(ci, sizeof ci, strstr(base, "://") ? "%20-csynchronous_commit%3Doff" : " -csynchronous_commit=off");
	assert_int_equal(dbpg_open(&c, ci), SQLITE_ERROR);
	assert_non_null(strstr(dbpg_errmsg(c), "synchronous_commit=off"));
	dbpg_close(c);
	conninfo_with(ci, sizeof ci, strstr(base, "://") ? "%20-csynchronous_commit%3Dlocal" : " -csynchronous_commit=local");
	assert_int_equal(dbpg_open(&c, ci), SQLITE_ERROR);
	dbpg_close(c);
	conninfo_with(ci, sizeof ci,
		      strstr(base, "://") ? "%20-csynchronous_commit%3Dremote_apply" : " -csynchronous_commit=remote_apply");
	assert_int_equal(dbpg_open(&c, ci), SQLITE_OK);
	dbpg_close(c);

	/* nothing listens on port 1 */
	assert_int_equal(dbpg_open(&c, "postgresql://dipr@127.0.0.1:1/dipr_test?connect_timeout=5"), SQLITE_CANTOPEN);
	assert_true(strlen(dbpg_errmsg(c)) > 0);
	assert_int_not_equal(dbpg_errmsg(c)[strlen(dbpg_errmsg(c)) - 1], '\n');
	dbpg_close(c);
}

/* ?N becomes $N, but not inside literals, quoted names or comments. */
static void test_placeholders_rewritten_outside_literals(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	struct dbpg_st *q = prep(c, "SELECT '?1 isn''t ?', \"a?b\".x, ?2, ?1 -- ?3 is a comment\n"
				    " FROM (SELECT 5 AS x) AS \"a?b\" /* ?4 */ WHERE E'\\'?5' <> ''");
	assert_int_equal(dbpg_bind_text(q, 1, "one", -1), SQLITE_OK);
	assert_int_equal(dbpg_bind_int(q, 2, 7), SQLITE_OK);
	assert_int_equal(dbpg_bind_int(q, 3, 7), SQLITE_RANGE); /* only ?1, ?2 */
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_count(q), 4);
	assert_string_equal((const char *)dbpg_column_text(q, 0), "?1 isn't ?");
	assert_string_equal(dbpg_column_name(q, 1), "x");
	assert_int_equal(dbpg_column_int64(q, 1), 5);
	assert_int_equal(dbpg_column_type(q, 2), SQLITE_INTEGER);
	assert_int_equal(dbpg_column_int64(q, 2), 7);
	assert_int_equal(dbpg_column_type(q, 3), SQLITE_TEXT);
	assert_string_equal((const char *)dbpg_column_text(q, 3), "one");
	assert_int_equal(dbpg_step(q), SQLITE_DONE);
	dbpg_finalize(q);

	/* A parameter the text does not use is fine once bound (SQLite's gaps). */
	q = prep(c, "SELECT ?1::text || ?3::text");
	assert_int_equal(dbpg_bind_text(q, 1, "a", -1), SQLITE_OK);
	assert_int_equal(dbpg_bind_int64(q, 2, 9), SQLITE_OK);
	assert_int_equal(dbpg_bind_text(q, 3, "c", 1), SQLITE_OK);
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_string_equal((const char *)dbpg_column_text(q, 0), "ac");
	dbpg_finalize(q);

	/* a bare ? cannot be numbered */
	assert_int_equal(dbpg_prepare(c, "SELECT ?", &q), SQLITE_ERROR);
	assert_null(q);
	assert_non_null(strstr(dbpg_errmsg(c), "?N"));
	dbpg_close(c);
}

static const uint8_t bin[] = {0, 1, 0, 255, 0, 0, 0x7f, 0x80};

static void test_values_round_trip(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	exec_ok(c, "CREATE TABLE rt(k BIGINT PRIMARY KEY, i BIGINT, t TEXT, b BYTEA, n BIGINT, e BYTEA, s TEXT)");
	struct dbpg_st *ins = prep(c, "INSERT INTO rt(k, i, t, b, n, e, s) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	const int64_t ints[] = {INT64_MIN, -1, 0, 1, INT64_MAX, 1234567890123LL};
	for (int k = 0; k < 6; k++) {
		char text[32];
		snprintf(text, sizeof text, "t%d ü \"'?", k);
		assert_int_equal(dbpg_bind_int(ins, 1, k), SQLITE_OK);
		assert_int_equal(dbpg_bind_int64(ins, 2, ints[k]), SQLITE_OK);
		assert_int_equal(dbpg_bind_text(ins, 3, text, -1), SQLITE_OK);
		assert_int_equal(dbpg_bind_blob(ins, 4, bin, (int)sizeof bin - k), SQLITE_OK);
		assert_int_equal(dbpg_bind_null(ins, 5), SQLITE_OK);
		assert_int_equal(dbpg_bind_blob(ins, 6, NULL, 0), SQLITE_OK); /* empty, not NULL */
		assert_int_equal(dbpg_bind_text(ins, 7, "", 0), SQLITE_OK);
		assert_int_equal(dbpg_step(ins), SQLITE_DONE);
		assert_int_equal(dbpg_changes(c), 1);
		dbpg_reset(ins);
	}
	dbpg_finalize(ins);

	struct dbpg_st *q = prep(c, "SELECT k, i, t, b, n, e, s, i IS NULL, n IS NULL, e IS NULL FROM rt ORDER BY k");
	for (int k = 0; k < 6; k++) {
		char text[32], dec[32];
		snprintf(text, sizeof text, "t%d ü \"'?", k);
		snprintf(dec, sizeof dec, "%lld", (long long)ints[k]);
		assert_int_equal(dbpg_step(q), SQLITE_ROW);
		assert_int_equal(dbpg_column_int(q, 0), k);
		assert_int_equal(dbpg_column_type(q, 1), SQLITE_INTEGER);
		assert_true(dbpg_column_int64(q, 1) == ints[k]);
		assert_string_equal((const char *)dbpg_column_text(q, 1), dec);
		assert_int_equal(dbpg_column_bytes(q, 1), (int)strlen(dec));
		assert_int_equal(dbpg_column_type(q, 2), SQLITE_TEXT);
		assert_string_equal((const char *)dbpg_column_text(q, 2), text);
		assert_int_equal(dbpg_column_bytes(q, 2), (int)strlen(text));
		assert_int_equal(dbpg_column_type(q, 3), SQLITE_BLOB);
		assert_int_equal(dbpg_column_bytes(q, 3), (int)sizeof bin - k);
		assert_memory_equal(dbpg_column_blob(q, 3), bin, sizeof bin - (size_t)k);
		assert_int_equal(dbpg_column_type(q, 4), SQLITE_NULL);
		assert_null(dbpg_column_text(q, 4));
		assert_null(dbpg_column_blob(q, 4));
		assert_int_equal(dbpg_column_bytes(q, 4), 0);
		assert_int_equal(dbpg_column_int64(q, 4), 0);
		assert_int_equal(dbpg_column_type(q, 5), SQLITE_BLOB);
		assert_int_equal(dbpg_column_bytes(q, 5), 0);
		assert_int_equal(dbpg_column_type(q, 6), SQLITE_TEXT);
		assert_string_equal((const char *)dbpg_column_text(q, 6), "");
		/* bool is an integer, as in SQLite */
		assert_int_equal(dbpg_column_type(q, 7), SQLITE_INTEGER);
		assert_int_equal(dbpg_column_int(q, 7), 0);
		assert_int_equal(dbpg_column_int(q, 8), 1);
		assert_string_equal((const char *)dbpg_column_text(q, 8), "1");
		assert_int_equal(dbpg_column_int(q, 9), 0);
	}
	assert_int_equal(dbpg_step(q), SQLITE_DONE);
	/* no row: values read as NULL */
	assert_int_equal(dbpg_column_type(q, 1), SQLITE_NULL);
	assert_int_equal(dbpg_column_int64(q, 1), 0);
	dbpg_finalize(q);

	/* numbers of other types */
	q = prep(c, "SELECT sum(i) FILTER (WHERE k >= 1), count(*)::int4, 1.5::float8, 2.5::numeric, 12::int2,"
		    " 123456789012345678901234::numeric, -0.25::float4, NOT EXISTS(SELECT 1 FROM rt WHERE k = 99),"
		    " '{\"a\": 1}'::jsonb, '{\"a\":1}'::json, sum(i) FILTER (WHERE k < 2) FROM rt");
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_type(q, 0), SQLITE_FLOAT); /* numeric */
	/* -1 + 0 + 1 + INT64_MAX + 1234567890123 overflows int64: saturates */
	assert_true(dbpg_column_int64(q, 0) == INT64_MAX);
	assert_int_equal(dbpg_column_type(q, 1), SQLITE_INTEGER);
	assert_int_equal(dbpg_column_int(q, 1), 6);
	assert_true(dbpg_column_double(q, 2) == 1.5);
	assert_string_equal((const char *)dbpg_column_text(q, 2), "1.5");
	assert_int_equal(dbpg_column_type(q, 3), SQLITE_FLOAT);
	assert_true(dbpg_column_double(q, 3) == 2.5);
	assert_int_equal(dbpg_column_int64(q, 3), 2);
	assert_string_equal((const char *)dbpg_column_text(q, 3), "2.5");
	assert_int_equal(dbpg_column_int64(q, 4), 12);
	assert_true(dbpg_column_double(q, 5) > 1.2345e23 && dbpg_column_double(q, 5) < 1.2346e23);
	assert_true(dbpg_column_double(q, 6) == -0.25);
	assert_int_equal(dbpg_column_int(q, 7), 1);
	assert_int_equal(dbpg_column_type(q, 8), SQLITE_TEXT);
	assert_string_equal((const char *)dbpg_column_text(q, 8), "{\"a\": 1}");
	assert_int_equal(dbpg_column_bytes(q, 8), 8);
	assert_string_equal((const char *)dbpg_column_text(q, 9), "{\"a\":1}");
	/* INT64_MIN + -1: below the range */
	assert_true(dbpg_column_int64(q, 10) == INT64_MIN);
	dbpg_finalize(q);

	/* exact integer sums, as the store's counts and sizes */
	q = prep(c, "SELECT sum(k), sum(i) FILTER (WHERE k = 0), -sum(k) * 100000000 FROM rt");
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_int64(q, 0), 15);
	assert_string_equal((const char *)dbpg_column_text(q, 0), "15");
	assert_true(dbpg_column_int64(q, 1) == INT64_MIN);
	assert_string_equal((const char *)dbpg_column_text(q, 1), "-9223372036854775808");
	assert_true(dbpg_column_int64(q, 2) == -1500000000LL);
	dbpg_finalize(q);
	dbpg_close(c);
}

static void test_returning_and_changes(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	exec_ok(c, "CREATE TABLE ret(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v TEXT);"
		   "INSERT INTO ret(v) VALUES('a');INSERT INTO ret(v) VALUES('b')");
	assert_int_equal(dbpg_changes(c), 1);
	struct dbpg_st *ins = prep(c, "INSERT INTO ret(v) VALUES(?1) RETURNING id, v");
	assert_int_equal(dbpg_bind_text(ins, 1, "c", -1), SQLITE_OK);
	assert_int_equal(dbpg_step(ins), SQLITE_ROW);
	assert_int_equal(dbpg_column_int64(ins, 0), 3);
	assert_string_equal((const char *)dbpg_column_text(ins, 1), "c");
	assert_int_equal(dbpg_changes(c), 1);
	assert_int_equal(dbpg_step(ins), SQLITE_DONE);
	dbpg_finalize(ins);

	struct dbpg_st *up = prep(c, "UPDATE ret SET v = v || ?1 WHERE id >= ?2");
	assert_int_equal(dbpg_bind_text(up, 1, "!", -1), SQLITE_OK);
	assert_int_equal(dbpg_bind_int64(up, 2, 1), SQLITE_OK);
	assert_int_equal(dbpg_step(up), SQLITE_DONE);
	assert_int_equal(dbpg_changes(c), 3);
	/* a SELECT leaves changes alone, as in SQLite */
	assert_int_equal(one_int(c, "SELECT count(*) FROM ret WHERE v LIKE '%!'"), 3);
	assert_int_equal(dbpg_changes(c), 3);
	dbpg_reset(up);
	assert_int_equal(dbpg_bind_int64(up, 2, 100), SQLITE_OK);
	assert_int_equal(dbpg_step(up), SQLITE_DONE);
	assert_int_equal(dbpg_changes(c), 0);
	dbpg_finalize(up);
	exec_ok(c, "DELETE FROM ret WHERE id <= 2");
	assert_int_equal(dbpg_changes(c), 2);
	dbpg_close(c);
}

/* Steps sql with no parameters and expects the error ext. */
static void expect_err(struct dbpg *c, const char *sql, int ext)
{
	struct dbpg_st *q = prep(c, sql);
	int rc = dbpg_step(q);
	if (rc != ext)
		fail_msg("%s: got %d (%s), want %d", sql, rc, dbpg_errmsg(c), ext);
	assert_int_equal(dbpg_extended_errcode(c), ext);
	assert_int_equal(dbpg_errcode(c), ext & 0xff);
	const char *m = dbpg_errmsg(c);
	assert_true(strlen(m) > 0);
	assert_int_not_equal(m[strlen(m) - 1], '\n');
	/* stepping again runs it again: the same error */
	assert_int_equal(dbpg_step(q), ext);
	dbpg_finalize(q);
}

static void test_constraint_errors_map_to_sqlite_codes(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	assert_int_equal(dbpg_schema(c, 1), SQLITE_OK);
	exec_ok(c, "INSERT INTO account(name, role, created) VALUES('alice', 'admin', 1)");
	expect_err(c, "INSERT INTO account(name, role, created) VALUES('alice', 'admin', 2)", SQLITE_CONSTRAINT_UNIQUE);
	assert_non_null(strstr(dbpg_errmsg(c), "duplicate key"));
	expect_err(c, "INSERT INTO account(name, role, created) VALUES('bob', 'king', 2)", SQLITE_CONSTRAINT_CHECK);
	expect_err(c, "INSERT INTO account(name, role, created) VALUES('bob', 'admin', NULL)",
		   SQLITE_CONSTRAINT_NOTNULL);
	expect_err(c, "INSERT INTO token(hash, account, created) VALUES('\\x01', 999, 1)", SQLITE_CONSTRAINT_FOREIGNKEY);
	/* a duplicate primary key is PRIMARYKEY, as SQLite says (accounts.c) */
	exec_ok(c, "INSERT INTO token(hash, account, created) VALUES('\\x01', 1, 1)");
	expect_err(c, "INSERT INTO token(hash, account, created) VALUES('\\x01', 1, 2)", SQLITE_CONSTRAINT_PRIMARYKEY);
	expect_err(c, "INSERT INTO session VALUES('\\x00', 1, '\\x00', 1, 1)", SQLITE_CONSTRAINT_CHECK);
	expect_err(c, "SELECT * FROM no_such_table", SQLITE_ERROR);
	expect_err(c, "SELECT 1/0", SQLITE_ERROR);
	/* an error in dbpg_exec */
	assert_int_equal(dbpg_exec(c, "INSERT INTO account(name, role, created) VALUES('alice', 'admin', 3)"),
			 SQLITE_CONSTRAINT_UNIQUE);
	assert_int_equal(dbpg_errcode(c), SQLITE_CONSTRAINT);
	/* success clears the error */
	assert_int_equal(one_int(c, "SELECT 1"), 1);
	assert_int_equal(dbpg_errcode(c), SQLITE_OK);
	assert_string_equal(dbpg_errmsg(c), "not an error");
	dbpg_close(c);
}

/* the rows of tbl another connection sees (committed) */
static int64_t rows_seen(struct dbpg *other, const char *tbl)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tbl);
	return one_int(other, sql);
}

static void insert_sp(struct dbpg *c, int v)
{
	struct dbpg_st *q = prep(c, "INSERT INTO sp(v) VALUES(?1)");
	assert_int_equal(dbpg_bind_int(q, 1, v), SQLITE_OK);
	int rc = dbpg_step(q);
	if (rc != SQLITE_DONE)
		fail_msg("insert %d: %s", v, dbpg_errmsg(c));
	dbpg_finalize(q);
}

/* SQLite's SAVEPOINT outside a transaction, on PostgreSQL. */
static void test_savepoint_outside_transaction(void **st)
{
	(void)st;
	struct dbpg *c = conn(), *o = conn();
	exec_ok(c, "CREATE TABLE sp(v BIGINT PRIMARY KEY)");

	/* RELEASE of the savepoint that opened the transaction commits */
	exec_ok(c, "SAVEPOINT job");
	assert_true(dbpg_in_txn(c));
	insert_sp(c, 1);
	assert_int_equal(rows_seen(o, "sp"), 0);
	exec_ok(c, "RELEASE job");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(rows_seen(o, "sp"), 1);

	/* ROLLBACK TO + RELEASE of it rolls back */
	exec_ok(c, "SAVEPOINT job");
	insert_sp(c, 2);
	exec_ok(c, "ROLLBACK TO job; RELEASE job");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(rows_seen(c, "sp"), 1);

	/* after a failed statement: refused until the rollback, then usable */
	exec_ok(c, "SAVEPOINT dipr_password");
	insert_sp(c, 3);
	struct dbpg_st *q = prep(c, "INSERT INTO sp(v) VALUES(1)");
	assert_int_equal(dbpg_step(q), SQLITE_CONSTRAINT_PRIMARYKEY);
	dbpg_finalize(q);
	assert_true(dbpg_in_txn(c));
	q = prep(c, "SELECT 1");
	assert_int_equal(dbpg_step(q), SQLITE_ERROR); /* 25P02: transaction aborted */
	dbpg_finalize(q);
	exec_ok(c, "ROLLBACK TO dipr_password; RELEASE dipr_password");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(rows_seen(c, "sp"), 1);

	/* the same through prepared statements, "RELEASE SAVEPOINT" spelling */
	struct dbpg_st *sp = prep(c, "SAVEPOINT dipr_password"), *rel = prep(c, "RELEASE SAVEPOINT dipr_password");
	assert_int_equal(dbpg_step(sp), SQLITE_DONE);
	assert_true(dbpg_in_txn(c));
	insert_sp(c, 4);
	assert_int_equal(dbpg_column_count(sp), 0);
	assert_int_equal(dbpg_step(rel), SQLITE_DONE);
	assert_false(dbpg_in_txn(c));
	assert_int_equal(rows_seen(o, "sp"), 2);
	dbpg_reset(sp);
	dbpg_reset(rel);
	assert_int_equal(dbpg_step(sp), SQLITE_DONE); /* and again */
	insert_sp(c, 5);
	assert_int_equal(dbpg_step(rel), SQLITE_DONE);
	assert_int_equal(rows_seen(o, "sp"), 3);
	dbpg_finalize(sp);
	dbpg_finalize(rel);

	/* ROLLBACK TO alone keeps the transaction, as in SQLite */
	exec_ok(c, "SAVEPOINT job");
	insert_sp(c, 6);
	exec_ok(c, "ROLLBACK TO job");
	assert_true(dbpg_in_txn(c));
	insert_sp(c, 7);
	exec_ok(c, "RELEASE job");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(one_int(o, "SELECT count(*) FROM sp WHERE v IN (6, 7)"), 1);

	/* nested: inside BEGIN a savepoint is only a savepoint */
	exec_ok(c, "BEGIN IMMEDIATE");
	assert_true(dbpg_in_txn(c));
	exec_ok(c, "SAVEPOINT job");
	insert_sp(c, 8);
	exec_ok(c, "RELEASE job");
	assert_true(dbpg_in_txn(c));
	assert_int_equal(one_int(o, "SELECT count(*) FROM sp WHERE v = 8"), 0);
	exec_ok(c, "COMMIT");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(one_int(o, "SELECT count(*) FROM sp WHERE v = 8"), 1);

	/* the same name nested in itself: the inner RELEASE does not commit */
	exec_ok(c, "SAVEPOINT job");
	exec_ok(c, "SAVEPOINT job");
	insert_sp(c, 9);
	exec_ok(c, "RELEASE job");
	assert_true(dbpg_in_txn(c));
	exec_ok(c, "RELEASE job");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(one_int(o, "SELECT count(*) FROM sp WHERE v = 9"), 1);

	/* a COMMIT that PostgreSQL turns into a rollback is not a success */
	exec_ok(c, "BEGIN");
	insert_sp(c, 10);
	q = prep(c, "INSERT INTO sp(v) VALUES(1)");
	assert_int_equal(dbpg_step(q), SQLITE_CONSTRAINT_PRIMARYKEY);
	dbpg_finalize(q);
	assert_int_equal(dbpg_exec(c, "COMMIT"), SQLITE_ABORT);
	assert_false(dbpg_in_txn(c));
	exec_ok(c, "SAVEPOINT job");
	q = prep(c, "INSERT INTO sp(v) VALUES(1)");
	assert_int_equal(dbpg_step(q), SQLITE_CONSTRAINT_PRIMARYKEY);
	dbpg_finalize(q);
	assert_int_equal(dbpg_exec(c, "RELEASE job"), SQLITE_ABORT);
	assert_false(dbpg_in_txn(c));
	assert_int_equal(one_int(o, "SELECT count(*) FROM sp WHERE v = 10"), 0);

	/* ROLLBACK ends what SAVEPOINT began */
	exec_ok(c, "SAVEPOINT job");
	insert_sp(c, 11);
	exec_ok(c, "ROLLBACK");
	assert_false(dbpg_in_txn(c));
	exec_ok(c, "SAVEPOINT job; RELEASE job");
	assert_false(dbpg_in_txn(c));
	assert_int_equal(rows_seen(o, "sp"), 6);
	dbpg_close(o);
	dbpg_close(c);
}

static void test_reset_rebind_and_reexecute(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	struct dbpg_st *q = prep(c, "SELECT ?1 + 1 AS n");
	/* metadata before the first step (described on the server) */
	assert_int_equal(dbpg_bind_int(q, 1, 1), SQLITE_OK);
	assert_int_equal(dbpg_column_count(q), 1);
	assert_string_equal(dbpg_column_name(q, 0), "n");
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_int(q, 0), 2);
	/* binding a stepped statement needs a reset first, as in SQLite */
	assert_int_equal(dbpg_bind_int(q, 1, 5), SQLITE_MISUSE);
	assert_int_equal(dbpg_step(q), SQLITE_DONE);
	assert_int_equal(dbpg_step(q), SQLITE_ROW); /* stepped after DONE: runs again */
	assert_int_equal(dbpg_column_int(q, 0), 2);
	dbpg_reset(q);
	assert_int_equal(dbpg_bind_int64(q, 1, 41), SQLITE_OK);
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_int(q, 0), 42);
	dbpg_reset(q);
	assert_int_equal(dbpg_step(q), SQLITE_ROW); /* bindings kept */
	assert_int_equal(dbpg_column_int(q, 0), 42);
	dbpg_reset(q);
	dbpg_clear_bindings(q);
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_type(q, 0), SQLITE_NULL);
	dbpg_reset(q);
	/* prepared as int8: a text of digits is still accepted */
	assert_int_equal(dbpg_bind_text(q, 1, "9", -1), SQLITE_OK);
	assert_int_equal(dbpg_step(q), SQLITE_ROW);
	assert_int_equal(dbpg_column_int(q, 0), 10);
	dbpg_finalize(q);
	assert_int_equal(dbpg_bind_int(q = prep(c, "SELECT 1"), 1, 1), SQLITE_RANGE);
	dbpg_finalize(q);

	/* two statements interleaved on one connection: results are buffered */
	exec_ok(c, "CREATE TABLE il(v BIGINT); INSERT INTO il SELECT generate_series(1, 5)");
	struct dbpg_st *a = prep(c, "SELECT v FROM il ORDER BY v"), *b = prep(c, "SELECT v * 10 FROM il WHERE v = ?1");
	int64_t sum = 0;
	while (dbpg_step(a) == SQLITE_ROW) {
		dbpg_reset(b);
		assert_int_equal(dbpg_bind_int64(b, 1, dbpg_column_int64(a, 0)), SQLITE_OK);
		assert_int_equal(dbpg_step(b), SQLITE_ROW);
		sum += dbpg_column_int64(b, 0);
	}
	assert_int_equal(sum, 150);
	dbpg_finalize(a);
	dbpg_finalize(b);

	/* finalized statements are deallocated on the server, in batches */
	for (int k = 0; k < 100; k++) {
		q = prep(c, "SELECT ?1");
		assert_int_equal(dbpg_bind_int(q, 1, k), SQLITE_OK);
		assert_int_equal(dbpg_step(q), SQLITE_ROW);
		dbpg_finalize(q);
	}
	assert_true(one_int(c, "SELECT count(*) FROM pg_prepared_statements") <= 40);
	dbpg_close(c);
}

static void test_schema_twice_and_append_only(void **st)
{
	(void)st;
	struct dbpg *c = conn();
	assert_int_equal(dbpg_schema(c, 1), SQLITE_OK);
	assert_int_equal(dbpg_schema(c, 1), SQLITE_OK);
	assert_int_equal(dbpg_schema(c, 0), SQLITE_OK);
	assert_false(dbpg_in_txn(c));
	assert_int_equal(one_int(c, "SELECT count(*) FROM tree WHERE id = 1 AND size = 0 AND epoch = 0"), 1);
	/* inside a caller's transaction it joins that transaction */
	exec_ok(c, "BEGIN");
	assert_int_equal(dbpg_schema(c, 1), SQLITE_OK);
	assert_true(dbpg_in_txn(c));
	exec_ok(c, "COMMIT");

	/* identities take explicit ids (dipr migrate) and assign others */
	exec_ok(c, "INSERT INTO account(id, name, role, created) VALUES(7, 'mig', 'admin', 1)");
	exec_ok(c, "INSERT INTO account(name, role, created) VALUES('new', 'applicant', 1)");
	exec_ok(c, "INSERT INTO app(owner, state, reg, doc, extra, created, updated) VALUES(7, 's', '{}', '{}', '{}', 1, 1)");
	exec_ok(c, "INSERT INTO event(idx, app, name, body) VALUES(0, 1, 'filed', '{}')");
	exec_ok(c, "INSERT INTO audit(time, actor, role, action, outcome) VALUES(1, 'a', 'admin', 'x', 'ok')");
	assert_int_equal(one_int(c, "SELECT id FROM audit"), 1);

	const char *refused[] = {"UPDATE audit SET actor = 'b'", "DELETE FROM audit", "UPDATE event SET name = 'x'",
				 "DELETE FROM event"};
	for (size_t k = 0; k < sizeof refused / sizeof *refused; k++) {
		expect_err(c, refused[k], SQLITE_CONSTRAINT_TRIGGER);
		assert_non_null(strstr(dbpg_errmsg(c), "append-only"));
	}
	expect_err(c, "TRUNCATE audit", SQLITE_CONSTRAINT_TRIGGER);
	expect_err(c, "TRUNCATE meta", SQLITE_CONSTRAINT_TRIGGER);
	assert_int_equal(one_int(c, "SELECT count(*) FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
				    " WHERE r.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
				    " AND t.tgname LIKE '%_no_truncate'"),
			 20);
	/* inserts still work */
	exec_ok(c, "INSERT INTO audit(time, actor, role, action, outcome) VALUES(2, 'a', 'admin', 'y', 'ok')");
	dbpg_close(c);

	/* create == 0 on a schema without dipr's tables */
	char ci[1400];
	conninfo_in(ci, sizeof ci, "_empty", "");
	assert_int_equal(dbpg_open(&c, ci), SQLITE_OK);
	assert_int_equal(dbpg_schema(c, 0), SQLITE_ERROR);
	assert_non_null(strstr(dbpg_errmsg(c), "no schema selected"));
	char sql[200];
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s_empty", schema);
	exec_ok(c, sql);
	assert_int_equal(dbpg_schema(c, 0), SQLITE_ERROR);
	assert_non_null(strstr(dbpg_errmsg(c), "not a dipr database"));
	snprintf(sql, sizeof sql, "DROP SCHEMA %s_empty", schema);
	exec_ok(c, sql);
	dbpg_close(c);
}

/* ---- the schema against SQLite's ---- */

typedef struct {
	char s[256][96]; /* "table.column class" or "index name", sorted */
	int n;
} strset;

static int cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void add(strset *z, const char *fmt, const char *a, const char *b, const char *c)
{
	assert_true(z->n < 256);
	snprintf(z->s[z->n++], sizeof z->s[0], fmt, a, b, c);
}

/* SQLite declared type -> class, by SQLite's affinity rules (§3.1 of its
 * datatype page) narrowed to what dipr writes. */
static const char *lite_class(const char *decl)
{
	if (!*decl)
		return "any";
	if (strstr(decl, "INT"))
		return "int";
	if (strstr(decl, "TEXT") || strstr(decl, "CHAR"))
		return "text";
	if (strstr(decl, "BLOB"))
		return "blob";
	return decl;
}

static const char *pg_class(const char *t)
{
	if (!strcmp(t, "bigint") || !strcmp(t, "integer") || !strcmp(t, "smallint"))
		return "int";
	if (!strcmp(t, "text") || !strcmp(t, "character varying"))
		return "text";
	if (!strcmp(t, "bytea"))
		return "blob";
	return t;
}

static void lite_schema(strset *cols, strset *idx, strset *trig)
{
	char dir[] = "/tmp/dipr-dbpg-XXXXXX", path[128], keys[128];
	dipr_store *s;
	sqlite3 *d;
	sqlite3_stmt *q;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/dipr.db", dir);
	snprintf(keys, sizeof keys, "%s/keys", dir);
	assert_int_equal(mkdir(keys, 0700), 0);
	assert_int_equal(dipr_store_open(&s, path, 1), 0);
	assert_int_equal(dipr_store_reg_schema(s), 0);
	assert_int_equal(dipr_seal_install(s, dir, NULL), 0); /* seal, seal_sum */
	dipr_store_close(s);

	assert_int_equal(sqlite3_open(path, &d), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d,
					    "SELECT m.name, p.name, upper(p.type) FROM sqlite_schema m,"
					    " pragma_table_info(m.name) p WHERE m.type = 'table'"
					    " AND m.name NOT LIKE 'sqlite_%'",
					    -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW)
		add(cols, "%s.%s %s", (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1),
		    lite_class((const char *)sqlite3_column_text(q, 2)));
	sqlite3_finalize(q);
	/* explicit indexes (sql NOT NULL; keys' automatic ones have none) */
	assert_int_equal(sqlite3_prepare_v2(d, "SELECT tbl_name, name, type FROM sqlite_schema"
					    " WHERE type IN ('index', 'trigger') AND sql IS NOT NULL",
					    -1, &q, NULL),
			 SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 1);
		if (!strcmp((const char *)sqlite3_column_text(q, 2), "index"))
			add(idx, "%s.%s%s", (const char *)sqlite3_column_text(q, 0), name, "");
		else if (strncmp(name, "seal_", 5) != 0) /* seals: not on PostgreSQL yet (§1.3) */
			add(trig, "%s.%s%s", (const char *)sqlite3_column_text(q, 0), name, "");
	}
	sqlite3_finalize(q);
	sqlite3_close(d);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void pg_schema_of(struct dbpg *c, strset *cols, strset *idx, strset *trig)
{
	struct dbpg_st *q = prep(c, "SELECT table_name, column_name, data_type FROM information_schema.columns"
				    " WHERE table_schema = current_schema()");
	while (dbpg_step(q) == SQLITE_ROW)
		add(cols, "%s.%s %s", (const char *)dbpg_column_text(q, 0), (const char *)dbpg_column_text(q, 1),
		    pg_class((const char *)dbpg_column_text(q, 2)));
	dbpg_finalize(q);
	/* indexes that are not a key's or UNIQUE constraint's */
	q = prep(c, "SELECT tablename, indexname FROM pg_indexes i WHERE schemaname = current_schema()"
		    " AND NOT EXISTS(SELECT 1 FROM pg_constraint k WHERE k.conindid ="
		    " (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)");
	while (dbpg_step(q) == SQLITE_ROW)
		add(idx, "%s.%s%s", (const char *)dbpg_column_text(q, 0), (const char *)dbpg_column_text(q, 1), "");
	dbpg_finalize(q);
	q = prep(c, "SELECT r.relname, t.tgname FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid"
		    " WHERE r.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
		    " AND t.tgname NOT LIKE '%\\_no\\_truncate'");
	while (dbpg_step(q) == SQLITE_ROW)
		add(trig, "%s.%s%s", (const char *)dbpg_column_text(q, 0), (const char *)dbpg_column_text(q, 1), "");
	dbpg_finalize(q);
}

/* Every difference from SQLite's schema is one of these, on purpose
 * (store/schema_pg.c says why). */
static const char *const pg_only[] = {
	"tree.epoch int",	  "sequencer.id int",	 "sequencer.epoch int",
	"sequencer.node text",	  "sequencer.url text",	 "sequencer.since int",
};

/* The number of differences, each printed. */
static int differences(strset *lite, strset *pg, const char *what)
{
	qsort(lite->s, (size_t)lite->n, sizeof lite->s[0], cmp);
	qsort(pg->s, (size_t)pg->n, sizeof pg->s[0], cmp);
	int i = 0, j = 0, bad = 0;
	while (i < lite->n || j < pg->n) {
		int d = i == lite->n ? 1 : j == pg->n ? -1 : strcmp(lite->s[i], pg->s[j]);
		if (d < 0) {
			fprintf(stderr, "%s: SQLite has %s, PostgreSQL not\n", what, lite->s[i++]);
			bad++;
		} else if (d > 0) {
			fprintf(stderr, "%s: PostgreSQL has %s, SQLite not\n", what, pg->s[j++]);
			bad++;
		} else
			i++, j++;
	}
	return bad;
}

static void test_schema_matches_sqlite(void **st)
{
	(void)st;
	static strset lc, li, lt, pc, pi, pt;
	lite_schema(&lc, &li, &lt);
	assert_true(lc.n > 80); /* the whole schema, not an empty file */
	struct dbpg *c = conn_in("_cmp"); /* holds nothing but dipr's tables */
	assert_int_equal(dbpg_schema(c, 1), SQLITE_OK);
	pg_schema_of(c, &pc, &pi, &pt);
	dbpg_close(c);
	/* the intended differences */
	for (int k = 0; k < lc.n; k++)
		if (!strcmp(lc.s[k], "seal.k any")) /* untyped in SQLite, TEXT here */
			snprintf(lc.s[k], sizeof lc.s[k], "seal.k text");
	for (size_t k = 0; k < sizeof pg_only / sizeof *pg_only; k++)
		add(&lc, "%s%s%s", pg_only[k], "", "");
	int bad = differences(&lc, &pc, "columns");
	bad += differences(&li, &pi, "indexes");
	bad += differences(&lt, &pt, "triggers");
	assert_int_equal(bad, 0);
	assert_int_equal(pi.n, 8); /* session 2, app 3, event, objection, cert */
	assert_int_equal(pt.n, 4);
}

int main(void)
{
	const char *db = getenv("DIPR_TEST_DB");
	if (!db || !*db) {
		printf("skipped: postgres (DIPR_TEST_DB unset)\n");
		return 0;
	}
	snprintf(base, sizeof base, "%s", db);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_sets_utc_and_refuses_undurable_commits),
		cmocka_unit_test(test_placeholders_rewritten_outside_literals),
		cmocka_unit_test(test_values_round_trip),
		cmocka_unit_test(test_returning_and_changes),
		cmocka_unit_test(test_constraint_errors_map_to_sqlite_codes),
		cmocka_unit_test(test_savepoint_outside_transaction),
		cmocka_unit_test(test_reset_rebind_and_reexecute),
		cmocka_unit_test(test_schema_twice_and_append_only),
		cmocka_unit_test(test_schema_matches_sqlite),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
