/* pgtest.h — the unit tests' storage cases on both backends
 * (docs/POSTGRES.md §4.3).  A test binary runs its store cases once on
 * SQLite (a temporary file) and, when DIPR_TEST_DB names a PostgreSQL
 * database (make test-pg, scripts/pgtest.sh start), once more with each
 * case in a fresh schema of its own, dropped afterwards.  Without
 * DIPR_TEST_DB the PostgreSQL run prints "skipped: postgres" and passes. */
#ifndef DIPR_PGTEST_H
#define DIPR_PGTEST_H
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libpq-fe.h>
#include "testutil.h"

/* DIPR_TEST_DB, or NULL when unset or empty. */
static inline const char *pgtest_base(void)
{
	const char *b = getenv("DIPR_TEST_DB");
	return b && *b ? b : NULL;
}

static inline void pgtest_quiet_(void *arg, const char *msg)
{
	(void)arg, (void)msg; /* NOTICEs of DROP ... CASCADE */
}

static inline PGconn *pgtest_connect_(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", conninfo, PQerrorMessage(c));
	PQsetNoticeProcessor(c, pgtest_quiet_, NULL);
	return c;
}

/* Runs sql (one or more statements, no results kept) on conninfo;
 * fails the test on error. */
static inline void pgtest_exec(const char *conninfo, const char *sql)
{
	PGconn *c = pgtest_connect_(conninfo);
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* The same with one bytea parameter, $1. */
static inline void pgtest_exec_blob(const char *conninfo, const char *sql, const void *blob, int len)
{
	PGconn *c = pgtest_connect_(conninfo);
	const char *v[1] = {blob};
	int l[1] = {len}, f[1] = {1};
	PGresult *r = PQexecParams(c, sql, 1, NULL, v, l, f, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* Makes the fresh schema <prefix>_<pid>_<n> in DIPR_TEST_DB (dropping one
 * of that name first) and writes a conninfo selecting it to out; the name
 * goes to name (for pgtest_drop). */
static inline void pgtest_schema(const char *prefix, char *name, size_t name_cap, char *out, size_t cap)
{
	static unsigned n;
	const char *base = pgtest_base();
	char sql[300];
	assert_non_null(base);
	snprintf(name, name_cap, "%s_%ld_%u", prefix, (long)getpid(), n++);
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
	pgtest_exec(base, sql);
	if (strstr(base, "://"))
		snprintf(out, cap, "%s%coptions=-csearch_path%%3D%s", base, strchr(base, '?') ? '&' : '?', name);
	else
		snprintf(out, cap, "%s options='-csearch_path=%s'", base, name);
}

static inline void pgtest_drop(const char *name)
{
	char sql[200];
	if (!pgtest_base() || !name[0])
		return;
	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", name);
	pgtest_exec(pgtest_base(), sql);
}

/* Runs the group on SQLite, then (DIPR_TEST_DB set) again on PostgreSQL
 * with *on_pg true; nonzero if any case failed on either. */
static inline int pgtest_run_both(const char *name, const struct CMUnitTest *tests, size_t n,
				  CMFixtureFunction setup, CMFixtureFunction teardown, bool *on_pg)
{
	char gname[200];
	snprintf(gname, sizeof gname, "%s (sqlite)", name);
	*on_pg = false;
	int rc = _cmocka_run_group_tests(gname, tests, n, setup, teardown);
	if (!pgtest_base()) {
		printf("skipped: postgres (DIPR_TEST_DB unset): %s\n", name);
		return rc;
	}
	snprintf(gname, sizeof gname, "%s (postgresql)", name);
	*on_pg = true;
	rc |= _cmocka_run_group_tests(gname, tests, n, setup, teardown);
	*on_pg = false;
	return rc;
}
#define PGTEST_RUN_BOTH(name, tests, setup, teardown, on_pg) \
	pgtest_run_both(name, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown, on_pg)

#endif
