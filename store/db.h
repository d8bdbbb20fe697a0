/* db.h — private to store/: the one SQL driver the store is written against,
 * with two backends behind it: SQLite (the embedded default) and PostgreSQL
 * (libpq, for several nodes).  docs/POSTGRES.md §2.
 *
 * The interface is SQLite's own shape, so the store reads the same on both:
 * statements are stepped (SQLITE_ROW, SQLITE_DONE), results and errors use
 * SQLite's result codes (the PostgreSQL backend maps SQLSTATEs onto them:
 * 23505 -> SQLITE_CONSTRAINT_UNIQUE, 23503 -> SQLITE_CONSTRAINT_FOREIGNKEY,
 * 40001/40P01/55P03 -> SQLITE_BUSY, class 08 -> SQLITE_IOERR, ...) and
 * column types are SQLITE_INTEGER/TEXT/BLOB/NULL.
 *
 * SQL text is written once, with ?N placeholders (numbered, no gaps); the
 * PostgreSQL backend rewrites ?N to $N when it prepares.  Where a statement
 * needs a PostgreSQL text of its own, db_prepare takes it as pg_sql.
 *
 * Bound values are borrowed until the statement is stepped (the SQLite
 * backend binds them SQLITE_STATIC; the PostgreSQL backend copies).
 * Column values are valid until the next step/reset/finalize. */
#ifndef DIPR_STORE_DB_H
#define DIPR_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h> /* result codes and column type constants only */

typedef struct dipr_db dipr_db;
typedef struct dipr_dbst dipr_dbst;

/* A target is a path to an SQLite file, or a PostgreSQL conninfo
 * ("postgres://..." / "postgresql://..."). */
bool db_target_is_pg(const char *target);

/* Opens a connection. SQLite: flags as for sqlite3_open_v2 semantics
 * reduced to `create`; WAL/synchronous are set by the caller with db_exec.
 * Returns SQLITE_OK or an error code; *out is set even on error (for
 * db_errmsg) unless out of memory, and must be closed. */
int db_open(dipr_db **out, const char *target, int create);
void db_close(dipr_db *d);
bool db_is_pg(const dipr_db *d);
/* The SQLite handle (NULL on PostgreSQL): for SQLite-only features (seal
 * functions, online backup, pragmas). */
sqlite3 *db_sqlite(dipr_db *d);
/* The libpq connection (a PGconn *; NULL on SQLite). */
void *db_pgconn(dipr_db *d);

/* Runs a script of one or more statements without results. */
int db_exec(dipr_db *d, const char *sql);
/* Prepares sql (pg_sql instead on PostgreSQL when not NULL). persistent:
 * kept for the connection's life (a hint). */
int db_prepare(dipr_db *d, const char *sql, const char *pg_sql, bool persistent, dipr_dbst **out);
void db_finalize(dipr_dbst *st);
void db_reset(dipr_dbst *st);
void db_clear_bindings(dipr_dbst *st);

int db_bind_int64(dipr_dbst *st, int i, int64_t v);
int db_bind_int(dipr_dbst *st, int i, int v);
/* n < 0: NUL-terminated. */
int db_bind_text(dipr_dbst *st, int i, const char *v, int n);
int db_bind_blob(dipr_dbst *st, int i, const void *v, int n);
int db_bind_null(dipr_dbst *st, int i);

/* SQLITE_ROW, SQLITE_DONE, or an error code (details in db_errmsg). */
int db_step(dipr_dbst *st);

int db_column_count(dipr_dbst *st);
const char *db_column_name(dipr_dbst *st, int i);
/* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB or SQLITE_NULL. */
int db_column_type(dipr_dbst *st, int i);
int64_t db_column_int64(dipr_dbst *st, int i);
int db_column_int(dipr_dbst *st, int i);
double db_column_double(dipr_dbst *st, int i);
/* NUL-terminated; NULL for SQL NULL. */
const unsigned char *db_column_text(dipr_dbst *st, int i);
const void *db_column_blob(dipr_dbst *st, int i);
int db_column_bytes(dipr_dbst *st, int i);

/* Rows changed by the connection's last INSERT/UPDATE/DELETE. */
int db_changes(dipr_db *d);
/* The last error on the connection. */
int db_errcode(dipr_db *d);
int db_extended_errcode(dipr_db *d);
const char *db_errmsg(dipr_db *d);
/* A transaction is open (SQLite: !sqlite3_get_autocommit). */
bool db_in_txn(dipr_db *d);

/* The connection's target as given to db_open (path or conninfo). */
const char *db_target(dipr_db *d);

/* PostgreSQL: a hook called before the COMMIT of every transaction that
 * wrote one of tables[0..n) (store/db_pg.h dbpg_set_commit_hook: also the
 * transaction of its own that such a statement gets outside one).  fn runs
 * statements on d; it returns SQLITE_OK, or an error code (with
 * db_set_error, or a failed statement's message) and the transaction is
 * rolled back.  The connection owns arg from here: free_arg(arg) is called
 * when the hook is replaced and at db_close (before the connection goes,
 * so it may finalize statements).  SQLite: nothing is hooked, arg is freed
 * at once.  tables must outlive the hook. */
typedef int (*db_commit_fn)(dipr_db *d, void *arg);
void db_set_commit_hook(dipr_db *d, db_commit_fn fn, void *arg, void (*free_arg)(void *),
			const char *const *tables, size_t n);
/* The hook's arg (NULL if none). */
void *db_commit_hook_arg(dipr_db *d);
/* Records an error of the caller's own on d (PostgreSQL; SQLite keeps its
 * own message); returns code. */
int db_set_error(dipr_db *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The PostgreSQL schema (dbpg_schema in store/schema_pg.c; only with
 * DIPR_HAVE_PG): made when create, else checked.  dipr_store_open calls it
 * on a PostgreSQL target instead of SQLite's schema and PRAGMAs.
 * SQLITE_OK or an error code (details in db_errmsg). */
int dipr__pg_schema(dipr_db *d, int create);

#endif
