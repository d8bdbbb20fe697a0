/* db_pg.h — private to store/: the PostgreSQL (libpq) backend of store/db.h.
 * docs/POSTGRES.md §1-§2.
 *
 * The same functions as db.h with the prefix dbpg_, so db.c dispatches one to
 * one.  Everything follows SQLite's semantics and result codes; what differs
 * is said at each function.  Compiled when DIPR_HAVE_PG is defined (the
 * Makefile does so when libpq is among its packages).
 *
 * Thread safety: none inside a connection.  A struct dbpg and its statements
 * belong to one thread at a time (one connection per server thread, as with
 * SQLite); different connections are independent.
 *
 * Statements.  SQL arrives with ?N placeholders and is rewritten to $N at
 * prepare ('...' literals, "..." identifiers and comments are skipped; a bare
 * '?' is refused).  The server-side prepare happens on the first step, with
 * each parameter's type taken from its binding at that moment (int -> int8,
 * text -> text, blob -> bytea, NULL or unbound -> inferred by the server).
 * Later bindings of another kind are sent as they are, so a parameter first
 * bound as an integer keeps the type int8.  Unlike SQLite, PostgreSQL checks
 * types: bind integers with bind_int64/int (a text never fills a BIGINT
 * column), text for TEXT and blobs for BYTEA; where a function wants int4
 * (substr, left, ...) the PostgreSQL text needs a cast (?1::int).  A parameter number that the text
 * never uses is fine as long as it is bound before the first step.
 * Results are read in binary format: bytea needs no decoding; int2/int4/int8/
 * bool/oid are SQLITE_INTEGER, float4/float8/numeric SQLITE_FLOAT (numeric
 * with no fraction also reads exactly through column_int64, e.g. sum()),
 * text/varchar/name/json/jsonb SQLITE_TEXT, bytea SQLITE_BLOB, anything else
 * SQLITE_BLOB with the raw binary bytes.  The whole result is buffered by the
 * first step (no cursors yet: large scans come with DIPR_DB_SCAN, §1.2).
 *
 * Transactions.  SQLite allows SAVEPOINT outside a transaction (it then opens
 * one, and RELEASE of that savepoint commits); PostgreSQL does not.  dbpg_exec
 * and statements whose text is transaction control emulate SQLite: SAVEPOINT
 * while idle sends BEGIN first; RELEASE [SAVEPOINT] of that outermost name
 * sends COMMIT; "ROLLBACK TO x; RELEASE x" of it sends ROLLBACK (ROLLBACK TO
 * alone keeps the transaction open, as in SQLite).  BEGIN IMMEDIATE /
 * DEFERRED / EXCLUSIVE become BEGIN (row locks come with the statements).
 * A COMMIT (or emulated RELEASE) of a transaction that an earlier error
 * aborted is rolled back by PostgreSQL; it is reported as SQLITE_ABORT, never
 * as success.  After an error inside a transaction PostgreSQL refuses every
 * statement (SQLSTATE 25P02, reported as SQLITE_ERROR) until ROLLBACK or
 * ROLLBACK TO.
 *
 * Errors map PG_DIAG_SQLSTATE: 23505 SQLITE_CONSTRAINT_UNIQUE (but
 * _PRIMARYKEY when the constraint is a primary key, named <table>_pkey, as
 * SQLite says for a duplicate key), 23503 _FOREIGNKEY, 23502 _NOTNULL, 23514 _CHECK, other 23xxx SQLITE_CONSTRAINT,
 * 40001/40P01/55P03 SQLITE_BUSY, 57014 SQLITE_INTERRUPT, class 08 or a lost
 * connection SQLITE_IOERR, class 53 SQLITE_FULL, P0001 (RAISE EXCEPTION, the
 * append-only triggers) SQLITE_CONSTRAINT_TRIGGER, else SQLITE_ERROR. */
#ifndef DIPR_STORE_DB_PG_H
#define DIPR_STORE_DB_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h> /* result codes and column type constants only */

struct dbpg;
struct dbpg_st;
struct pg_conn; /* libpq's PGconn */

/* Connects with a libpq conninfo (URL or key=value).  Sets client_encoding
 * UTF8, TIME ZONE 'UTC' and lock_timeout 5s, and refuses a server on which a
 * COMMIT is not durable: fsync must be on and synchronous_commit one of on,
 * remote_write, remote_apply (the store's "nothing acknowledged is lost").
 * Returns SQLITE_OK; SQLITE_CANTOPEN when the connection fails; SQLITE_ERROR
 * when the durability settings are refused or a setting fails; SQLITE_NOMEM.
 * *out is set whenever it could be allocated, also on error (for
 * dbpg_errmsg), and must then be closed with dbpg_close. */
int dbpg_open(struct dbpg **out, const char *conninfo);
/* Closes the connection (an open transaction is rolled back by the server).
 * Statements must have been finalized before.  NULL is a no-op. */
void dbpg_close(struct dbpg *c);
/* The libpq connection, for PostgreSQL-only calls; owned by c. */
struct pg_conn *dbpg_conn(struct dbpg *c);

/* Runs a script of one or more statements, without parameters or results
 * (PQexec), with the transaction-control emulation above.  A script without
 * savepoint statements is sent whole (PostgreSQL runs it as one implicit
 * transaction when none is open); otherwise statement by statement.
 * SQLITE_OK or an error code. */
int dbpg_exec(struct dbpg *c, const char *script);

/* Prepares one statement (nothing is sent to the server yet).  Returns
 * SQLITE_OK and *out, or SQLITE_ERROR (bad placeholder) / SQLITE_NOMEM with
 * *out NULL.  sql must hold a single statement. */
int dbpg_prepare(struct dbpg *c, const char *sql, struct dbpg_st **out);
/* Frees the statement; its server-side prepared statement is deallocated
 * later, in a batch, when the connection is usable.  NULL is a no-op. */
void dbpg_finalize(struct dbpg_st *st);
/* Drops the result; the bindings stay. */
void dbpg_reset(struct dbpg_st *st);
/* Sets every parameter back to NULL (unbound). */
void dbpg_clear_bindings(struct dbpg_st *st);

/* i counts from 1.  The value is copied.  SQLITE_OK, SQLITE_RANGE (no such
 * parameter), SQLITE_MISUSE (stepped and not reset, as SQLite) or
 * SQLITE_NOMEM. */
int dbpg_bind_int64(struct dbpg_st *st, int i, int64_t v);
int dbpg_bind_int(struct dbpg_st *st, int i, int v);
/* n < 0: NUL-terminated. */
int dbpg_bind_text(struct dbpg_st *st, int i, const char *v, int n);
/* v may be NULL when n == 0 (an empty blob, not SQL NULL). */
int dbpg_bind_blob(struct dbpg_st *st, int i, const void *v, int n);
int dbpg_bind_null(struct dbpg_st *st, int i);

/* The first step prepares (once per statement) and executes; then each step
 * returns SQLITE_ROW for the next buffered row, and SQLITE_DONE at the end.
 * A statement without rows (INSERT/UPDATE/DELETE without RETURNING, DDL)
 * returns SQLITE_DONE at once and sets dbpg_changes.  Stepping after
 * SQLITE_DONE or an error starts over (SQLite's automatic reset).  Error
 * codes as at the top; details in dbpg_errmsg. */
int dbpg_step(struct dbpg_st *st);

/* Column metadata is available once the statement has been stepped (before
 * that, the first call describes it on the server, using the bindings made
 * so far).  Values are valid on a row only, until the next step, reset or
 * finalize; NULL/0 otherwise, as for SQL NULL.  Conversions follow SQLite:
 * column_text of an integer gives its decimal text, column_int64 of text
 * parses it. */
int dbpg_column_count(struct dbpg_st *st);
const char *dbpg_column_name(struct dbpg_st *st, int i);
int dbpg_column_type(struct dbpg_st *st, int i);
int64_t dbpg_column_int64(struct dbpg_st *st, int i);
int dbpg_column_int(struct dbpg_st *st, int i);
double dbpg_column_double(struct dbpg_st *st, int i);
const unsigned char *dbpg_column_text(struct dbpg_st *st, int i);
const void *dbpg_column_blob(struct dbpg_st *st, int i);
int dbpg_column_bytes(struct dbpg_st *st, int i);

/* Rows changed by the connection's last INSERT/UPDATE/DELETE (also with
 * RETURNING); other statements leave it alone, as in SQLite. */
int dbpg_changes(struct dbpg *c);
/* The last call's result on the connection: SQLITE_OK after success. */
int dbpg_errcode(struct dbpg *c);          /* primary code (ext & 0xff) */
int dbpg_extended_errcode(struct dbpg *c); /* e.g. SQLITE_CONSTRAINT_UNIQUE */
/* The server's message without its trailing newline ("not an error" after
 * success); valid until the next call on c. */
const char *dbpg_errmsg(struct dbpg *c);
/* A transaction block is open (also one aborted by an error). */
bool dbpg_in_txn(struct dbpg *c);

/* The commit hook (store/verify.c: seals, docs/POSTGRES.md §1.3).  fn is
 * called with arg before the COMMIT of every transaction that ran a
 * statement writing one of tables[0..n) (the names must outlive the hook):
 * an explicit COMMIT/END, the emulated RELEASE of an outermost savepoint,
 * and the transaction of its own that such a statement gets when it runs
 * outside one (autocommit: BEGIN, the statement, fn, COMMIT).  fn may run
 * statements on c (they are not hooked again).  When fn returns an error
 * code the transaction is rolled back and that code returned, with fn's
 * message (dbpg_set_error) or the failed statement's.  fn NULL: no hook. */
typedef int (*dbpg_commit_fn)(void *arg);
void dbpg_set_commit_hook(struct dbpg *c, dbpg_commit_fn fn, void *arg, const char *const *tables, size_t n);

/* For schema_pg.c: records an error of dipr's own on c; returns code. */
int dbpg_set_error(struct dbpg *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* store/schema_pg.c.  create != 0: creates every dipr table, index and
 * trigger if missing (CREATE ... IF NOT EXISTS, CREATE OR REPLACE FUNCTION,
 * DROP TRIGGER IF EXISTS + CREATE TRIGGER), in one transaction serialized by
 * an advisory lock per schema, so running it again or from two nodes at once
 * is harmless.  Inside a caller's transaction it runs in that transaction.
 * create == 0: only checks that the current schema holds dipr's tables
 * (SQLITE_ERROR naming the schema otherwise), as SQLite's open without
 * create.  Tables land in current_schema() (the conninfo's search_path).
 * Identity ids (account, app, objection, audit) are GENERATED BY DEFAULT, so
 * a migration inserts explicit ids and then calls setval.  SQLITE_OK or an
 * error code (dbpg_errmsg). */
int dbpg_schema(struct dbpg *c, int create);

#endif
