/* db.c — the store's SQL driver (store/db.h): each call goes to SQLite or,
 * for a PostgreSQL target, to the libpq backend in store/db_pg.c (built
 * when DIPR_HAVE_PG is defined).  docs/POSTGRES.md §2.
 *
 * The SQLite side is a thin forward to the sqlite3_* call of the same name:
 * the store's behaviour on SQLite is exactly what it was before the driver
 * existed (binds SQLITE_STATIC, the same open flags and busy timeout). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#ifdef DIPR_HAVE_PG
#include "store/db_pg.h"
#endif

struct dbpg;
struct dbpg_st;

struct dipr_db {
	sqlite3 *lite;   /* SQLite target */
	struct dbpg *pg; /* PostgreSQL target (NULL if its open failed) */
	bool is_pg;      /* the target is a PostgreSQL conninfo */
	const char *err; /* static message when there is no handle to ask */
	char *target;    /* as given to db_open */
	db_commit_fn hook;
	void *hook_arg;
	void (*hook_free)(void *);
};

struct dipr_dbst {
	dipr_db *db;
	sqlite3_stmt *lite;
	struct dbpg_st *pg;
};

bool db_target_is_pg(const char *target)
{
	return target && (strncmp(target, "postgres://", 11) == 0 || strncmp(target, "postgresql://", 13) == 0);
}

int db_open(dipr_db **out, const char *target, int create)
{
	dipr_db *d = calloc(1, sizeof *d);
	*out = d;
	if (!d)
		return SQLITE_NOMEM;
	if (!(d->target = strdup(target ? target : ""))) {
		d->err = "out of memory";
		return SQLITE_NOMEM;
	}
	if (db_target_is_pg(target)) {
		d->is_pg = true;
#ifdef DIPR_HAVE_PG
		(void)create; /* the schema decides (dipr__pg_schema) */
		return dbpg_open(&d->pg, target);
#else
		d->err = "this dipr was built without PostgreSQL support (libpq)";
		return SQLITE_CANTOPEN;
#endif
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	int rc = sqlite3_open_v2(target, &d->lite, flags, NULL);
	if (rc != SQLITE_OK) {
		if (!d->lite)
			d->err = "out of memory";
		return rc;
	}
	sqlite3_busy_timeout(d->lite, 5000);
	return SQLITE_OK;
}

void db_close(dipr_db *d)
{
	if (!d)
		return;
	db_set_commit_hook(d, NULL, NULL, NULL, NULL, 0);
#ifdef DIPR_HAVE_PG
	if (d->pg)
		dbpg_close(d->pg);
#endif
	sqlite3_close(d->lite);
	free(d->target);
	free(d);
}

const char *db_target(dipr_db *d) { return d->target ? d->target : ""; }

#ifdef DIPR_HAVE_PG
static int hook_call(void *p)
{
	dipr_db *d = p;
	return d->hook ? d->hook(d, d->hook_arg) : SQLITE_OK;
}
#endif

void db_set_commit_hook(dipr_db *d, db_commit_fn fn, void *arg, void (*free_arg)(void *),
			const char *const *tables, size_t n)
{
#ifdef DIPR_HAVE_PG
	if (d->pg)
		dbpg_set_commit_hook(d->pg, NULL, NULL, NULL, 0);
#endif
	if (d->hook_free && d->hook_arg)
		d->hook_free(d->hook_arg);
	d->hook = NULL;
	d->hook_arg = NULL;
	d->hook_free = NULL;
	if (!d->is_pg || !fn) {
		if (free_arg && arg)
			free_arg(arg);
		return;
	}
	d->hook = fn;
	d->hook_arg = arg;
	d->hook_free = free_arg;
#ifdef DIPR_HAVE_PG
	if (d->pg)
		dbpg_set_commit_hook(d->pg, hook_call, d, tables, n);
#else
	(void)tables;
	(void)n;
#endif
}

void *db_commit_hook_arg(dipr_db *d) { return d->hook_arg; }

int db_set_error(dipr_db *d, int code, const char *fmt, ...)
{
#ifdef DIPR_HAVE_PG
	if (d->pg) {
		char buf[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(buf, sizeof buf, fmt, ap);
		va_end(ap);
		return dbpg_set_error(d->pg, code, "%s", buf);
	}
#else
	(void)d;
	(void)fmt;
#endif
	return code;
}

bool db_is_pg(const dipr_db *d) { return d->is_pg; }

sqlite3 *db_sqlite(dipr_db *d) { return d->lite; }

void *db_pgconn(dipr_db *d)
{
#ifdef DIPR_HAVE_PG
	if (d->pg)
		return dbpg_conn(d->pg);
#endif
	(void)d;
	return NULL;
}

/* On PostgreSQL without a connection (open failed, or no libpq), every
 * call fails with this code and db_errmsg says why. */
#define NOPG SQLITE_CANTOPEN

int db_exec(dipr_db *d, const char *sql)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_exec(d->pg, sql);
#endif
		return NOPG;
	}
	return sqlite3_exec(d->lite, sql, NULL, NULL, NULL);
}

int db_prepare(dipr_db *d, const char *sql, const char *pg_sql, bool persistent, dipr_dbst **out)
{
	dipr_dbst *st;
	int rc;
	*out = NULL;
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		struct dbpg_st *p = NULL;
		if (!d->pg)
			return NOPG;
		if ((rc = dbpg_prepare(d->pg, pg_sql ? pg_sql : sql, &p)) != SQLITE_OK)
			return rc;
		if (!(st = calloc(1, sizeof *st))) {
			dbpg_finalize(p);
			return SQLITE_NOMEM;
		}
		st->db = d;
		st->pg = p;
		*out = st;
		return SQLITE_OK;
#else
		return NOPG;
#endif
	}
	sqlite3_stmt *l = NULL;
	rc = persistent ? sqlite3_prepare_v3(d->lite, sql, -1, SQLITE_PREPARE_PERSISTENT, &l, NULL)
			: sqlite3_prepare_v2(d->lite, sql, -1, &l, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(l);
		return rc;
	}
	if (!(st = calloc(1, sizeof *st))) {
		sqlite3_finalize(l);
		return SQLITE_NOMEM;
	}
	st->db = d;
	st->lite = l;
	*out = st;
	return SQLITE_OK;
}

/* Dispatch for statement calls: the PostgreSQL branch exists only when
 * the backend is built (without it no PostgreSQL statement exists). */
#ifdef DIPR_HAVE_PG
#define PG(st, call)                                                                                                  \
	do {                                                                                                          \
		if ((st)->pg)                                                                                         \
			return call;                                                                                  \
	} while (0)
#define PG_VOID(st, call)                                                                                             \
	do {                                                                                                          \
		if ((st)->pg) {                                                                                       \
			call;                                                                                         \
			return;                                                                                       \
		}                                                                                                     \
	} while (0)
#else
#define PG(st, call) ((void)0)
#define PG_VOID(st, call) ((void)0)
#endif

void db_finalize(dipr_dbst *st)
{
	if (!st)
		return;
#ifdef DIPR_HAVE_PG
	if (st->pg)
		dbpg_finalize(st->pg);
#endif
	sqlite3_finalize(st->lite);
	free(st);
}

void db_reset(dipr_dbst *st)
{
	PG_VOID(st, dbpg_reset(st->pg));
	sqlite3_reset(st->lite);
}

void db_clear_bindings(dipr_dbst *st)
{
	PG_VOID(st, dbpg_clear_bindings(st->pg));
	sqlite3_clear_bindings(st->lite);
}

int db_bind_int64(dipr_dbst *st, int i, int64_t v)
{
	PG(st, dbpg_bind_int64(st->pg, i, v));
	return sqlite3_bind_int64(st->lite, i, (sqlite3_int64)v);
}

int db_bind_int(dipr_dbst *st, int i, int v)
{
	PG(st, dbpg_bind_int(st->pg, i, v));
	return sqlite3_bind_int(st->lite, i, v);
}

int db_bind_text(dipr_dbst *st, int i, const char *v, int n)
{
	PG(st, dbpg_bind_text(st->pg, i, v, n));
	return sqlite3_bind_text(st->lite, i, v, n < 0 ? -1 : n, SQLITE_STATIC);
}

int db_bind_blob(dipr_dbst *st, int i, const void *v, int n)
{
	PG(st, dbpg_bind_blob(st->pg, i, v, n));
	return sqlite3_bind_blob(st->lite, i, v, n, SQLITE_STATIC);
}

int db_bind_null(dipr_dbst *st, int i)
{
	PG(st, dbpg_bind_null(st->pg, i));
	return sqlite3_bind_null(st->lite, i);
}

int db_step(dipr_dbst *st)
{
	PG(st, dbpg_step(st->pg));
	return sqlite3_step(st->lite);
}

int db_column_count(dipr_dbst *st)
{
	PG(st, dbpg_column_count(st->pg));
	return sqlite3_column_count(st->lite);
}

const char *db_column_name(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_name(st->pg, i));
	return sqlite3_column_name(st->lite, i);
}

int db_column_type(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_type(st->pg, i));
	return sqlite3_column_type(st->lite, i);
}

int64_t db_column_int64(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_int64(st->pg, i));
	return (int64_t)sqlite3_column_int64(st->lite, i);
}

int db_column_int(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_int(st->pg, i));
	return sqlite3_column_int(st->lite, i);
}

double db_column_double(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_double(st->pg, i));
	return sqlite3_column_double(st->lite, i);
}

const unsigned char *db_column_text(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_text(st->pg, i));
	return sqlite3_column_text(st->lite, i);
}

const void *db_column_blob(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_blob(st->pg, i));
	return sqlite3_column_blob(st->lite, i);
}

int db_column_bytes(dipr_dbst *st, int i)
{
	PG(st, dbpg_column_bytes(st->pg, i));
	return sqlite3_column_bytes(st->lite, i);
}

int db_changes(dipr_db *d)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_changes(d->pg);
#endif
		return 0;
	}
	return sqlite3_changes(d->lite);
}

int db_errcode(dipr_db *d)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_errcode(d->pg);
#endif
		return NOPG;
	}
	return d->lite ? sqlite3_errcode(d->lite) : SQLITE_NOMEM;
}

int db_extended_errcode(dipr_db *d)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_extended_errcode(d->pg);
#endif
		return NOPG;
	}
	return d->lite ? sqlite3_extended_errcode(d->lite) : SQLITE_NOMEM;
}

const char *db_errmsg(dipr_db *d)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_errmsg(d->pg);
#endif
		return d->err ? d->err : "no PostgreSQL connection";
	}
	return d->lite ? sqlite3_errmsg(d->lite) : d->err ? d->err : "out of memory";
}

#ifdef DIPR_HAVE_PG
int dipr__pg_schema(dipr_db *d, int create)
{
	if (!d->is_pg || !d->pg)
		return SQLITE_MISUSE;
	return dbpg_schema(d->pg, create);
}
#endif

bool db_in_txn(dipr_db *d)
{
	if (d->is_pg) {
#ifdef DIPR_HAVE_PG
		if (d->pg)
			return dbpg_in_txn(d->pg);
#endif
		return false;
	}
	return !sqlite3_get_autocommit(d->lite);
}
