/* sqlite_int.h — private to the store (the .c files of store/): the connection
 * and its prepared statements, shared by sqlite.c (log) and the files that
 * keep the registry's and the accounts' tables beside it. */
#ifndef DIPR_SQLITE_INT_H
#define DIPR_SQLITE_INT_H

#include "store/db.h"
#include "store/store.h"

enum {
	ST_ENTRY_INS, ST_TILE_PUT, ST_TILE_GET, ST_SIZE_GET, ST_SIZE_PUT, ST_ENTRY_RANGE,
	ST_ENTRY_GET, ST_CP_GET, ST_EV_INS, ST_TOKEN_LOOKUP, ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_EV_ACCOUNT, ST_CP_UPDATE, ST_CP_INSERT, ST__N
};

#define DIPR__SQL_CACHE 128
#define DIPR__ROWS_MAX 64

struct dipr_store {
	dipr_db *db;
	dipr_dbst *st[ST__N];
	bool in_txn; /* a transaction opened by dipr_store_begin is open */
	/* Statements prepared on first use by dipr__sql, keyed by the
	 * address of their (static) text. */
	const char *sql_key[DIPR__SQL_CACHE];
	dipr_dbst *sql_stmt[DIPR__SQL_CACHE];
	/* PostgreSQL: INSERTs of k rows (entry, evidence) for k = 1..
	 * DIPR__ROWS_MAX, prepared on first use: one round trip per chunk of
	 * a batch instead of one per row. */
	dipr_dbst *rows_stmt[2][DIPR__ROWS_MAX + 1];
};

/* A DIPR_E* code for the connection's last error, with a detail naming what. */
int dipr__db_err(dipr_store *s, const char *what);
/* The fixed statement i, reset and unbound. */
dipr_dbst *dipr__stmt(dipr_store *s, int i);
/* A statement for static text sql (string literal: its address is the
 * cache key), prepared once per connection, reset and unbound; NULL with
 * the error detail set if it does not prepare. */
dipr_dbst *dipr__sql(dipr_store *s, const char *sql);
/* The same with a PostgreSQL text of its own (pg_sql, NULL: sql); the
 * cache key is still the address of sql. */
dipr_dbst *dipr__sql_pg(dipr_store *s, const char *sql, const char *pg_sql);
/* Steps st once, expecting SQLITE_DONE; resets it. */
int dipr__step_done(dipr_store *s, dipr_dbst *st, const char *what);

#endif
