/* accounts.c — passwords and portal sessions beside the accounts table
 * (durable store; nothing here touches the log).
 *
 * The tables are in sqlite.c's schema for new data directories; a
 * directory made before them gets them here, the first time one of these
 * statements fails to prepare (CREATE TABLE IF NOT EXISTS, so racing
 * connections are harmless).  A statement that prepared once stays in the
 * connection's cache, so the check costs nothing afterwards.
 *
 * Secrets never reach the database: passwords only as scrypt strings
 * (lib/password.c), session tokens and CSRF secrets only as SHA-256. */
#include <stdio.h>
#include <time.h>

#include "internal.h"
#include "store/sqlite_int.h"

/* Must stay identical to the same statements in sqlite.c's schema
 * (test_password checks that both produce the same tables). */
static const char accounts_schema[] =
	"CREATE TABLE IF NOT EXISTS password(account INTEGER PRIMARY KEY REFERENCES account(id),"
	" hash TEXT NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS session(hash BLOB PRIMARY KEY CHECK(length(hash) = 32),"
	" account INTEGER NOT NULL REFERENCES account(id), csrf BLOB NOT NULL CHECK(length(csrf) = 32),"
	" created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS session_account ON session(account);"
	"CREATE INDEX IF NOT EXISTS session_expires ON session(expires_ms);";

/* Creates the tables if missing. */
static int accounts_schema_create(dipr_store *s)
{
	/* PostgreSQL: every table is in its schema from the start, so a
	 * statement that does not prepare has another reason: report it. */
	if (db_is_pg(s->db))
		return dipr__db_err(s, "prepare");
	if (db_exec(s->db, accounts_schema) != SQLITE_OK)
		return dipr__db_err(s, "create password and session tables");
	return 0;
}

/* dipr__sql, creating the tables and retrying once if the statement does
 * not prepare (the usual reason: a data directory older than them). */
static int acc_sql(dipr_store *s, const char *sql, dipr_dbst **st)
{
	int rc;
	if ((*st = dipr__sql(s, sql)))
		return 0;
	if ((rc = accounts_schema_create(s)))
		return rc;
	if ((*st = dipr__sql(s, sql)))
		return 0;
	return dipr__db_err(s, "prepare");
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Columns id, name, role at 0..2 (as sqlite.c's account rows). */
static void account_cols(dipr_dbst *st, dipr_account *a)
{
	a->id = db_column_int64(st, 0);
	snprintf(a->name, sizeof a->name, "%s", (const char *)db_column_text(st, 1));
	snprintf(a->role, sizeof a->role, "%s", (const char *)db_column_text(st, 2));
}

/* A SAVEPOINT joins a transaction opened by dipr_store_begin or, outside
 * one, opens its own; RELEASE commits only in the second case. */
static const char sql_sp[] = "SAVEPOINT dipr_password";
static const char sql_sp_release[] = "RELEASE dipr_password";
static const char sql_sp_undo[] = "ROLLBACK TO dipr_password";

int dipr_store_password_set(dipr_store *s, int64_t account, const char *hash)
{
	static const char ins[] = "INSERT INTO password(account, hash, updated) VALUES(?1, ?2, ?3) "
				  "ON CONFLICT(account) DO UPDATE SET hash = excluded.hash, updated = excluded.updated";
	static const char end_sessions[] = "DELETE FROM session WHERE account = ?1";
	dipr_dbst *st;
	int rc, r;

	if (!hash || hash[0] != '$' || strnlen(hash, DIPR_PASSWORD_HASH_MAX) >= DIPR_PASSWORD_HASH_MAX)
		return dipr__err(DIPR_EINVAL, "password hash: expected a string from dipr_password_hash");
	/* Prepare everything first so that a missing table is created before
	 * the savepoint, not inside it. */
	if ((rc = acc_sql(s, ins, &st)) || (rc = acc_sql(s, end_sessions, &st)) || (rc = acc_sql(s, sql_sp, &st)))
		return rc;
	if ((rc = dipr__step_done(s, st, "savepoint")))
		return rc;
	if ((rc = acc_sql(s, ins, &st)))
		goto fail;
	db_bind_int64(st, 1, account);
	db_bind_text(st, 2, hash, -1);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	r = db_step(st);
	if (r != SQLITE_DONE) {
		rc = db_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY
			   ? dipr__err(DIPR_ENOTFOUND, "account %lld: no such account", (long long)account)
			   : dipr__db_err(s, "set password");
		db_reset(st);
		goto fail;
	}
	db_reset(st);
	if ((rc = acc_sql(s, end_sessions, &st)))
		goto fail;
	db_bind_int64(st, 1, account);
	if ((rc = dipr__step_done(s, st, "end sessions")))
		goto fail;
	if ((rc = acc_sql(s, sql_sp_release, &st)) || (rc = dipr__step_done(s, st, "commit password")))
		goto fail;
	return 0;
fail:
	/* ROLLBACK TO keeps the savepoint open; RELEASE then ends it (and
	 * the transaction it opened, now empty). */
	if (db_in_txn(s->db) && !acc_sql(s, sql_sp_undo, &st) && !dipr__step_done(s, st, "rollback") &&
	    !acc_sql(s, sql_sp_release, &st))
		dipr__step_done(s, st, "rollback");
	return rc;
}

int dipr_store_password_get(dipr_store *s, const char *name, dipr_account *a, char *hash, size_t cap)
{
	static const char sel[] = "SELECT a.id, a.name, a.role, p.hash FROM account a "
				  "JOIN password p ON p.account = a.id WHERE a.name = ?1";
	dipr_dbst *st;
	int rc, r;

	if ((rc = acc_sql(s, sel, &st)))
		return rc;
	db_bind_text(st, 1, name, -1);
	r = db_step(st);
	if (r == SQLITE_ROW) {
		const char *h = (const char *)db_column_text(st, 3);
		size_t n = (size_t)db_column_bytes(st, 3);
		if (!h || n + 1 > cap) {
			rc = dipr__err(DIPR_ERANGE, "password hash of \"%s\": longer than %zu bytes", name, cap);
		} else {
			account_cols(st, a);
			memcpy(hash, h, n);
			hash[n] = 0;
		}
	} else {
		rc = r == SQLITE_DONE ? dipr__err(DIPR_ENOTFOUND, "account \"%s\": no such account or no password", name)
				      : dipr__db_err(s, "read password");
	}
	db_reset(st);
	return rc;
}

int dipr_store_session_add(dipr_store *s, int64_t account, const uint8_t token_hash[32], const uint8_t csrf_hash[32],
			   int64_t expires_ms)
{
	static const char ins[] = "INSERT INTO session(hash, account, csrf, created_ms, expires_ms) "
				  "VALUES(?1, ?2, ?3, ?4, ?5)";
	dipr_dbst *st;
	int rc;

	if ((rc = acc_sql(s, ins, &st)))
		return rc;
	db_bind_blob(st, 1, token_hash, 32);
	db_bind_int64(st, 2, account);
	db_bind_blob(st, 3, csrf_hash, 32);
	db_bind_int64(st, 4, now_ms());
	db_bind_int64(st, 5, expires_ms);
	if (db_step(st) != SQLITE_DONE) {
		int x = db_extended_errcode(s->db);
		rc = x == SQLITE_CONSTRAINT_FOREIGNKEY ? dipr__err(DIPR_ENOTFOUND, "account %lld: no such account",
								     (long long)account)
		   : x == SQLITE_CONSTRAINT_PRIMARYKEY ? dipr__err(DIPR_ECONFLICT, "session: token already stored")
						      : dipr__db_err(s, "add session");
	}
	db_reset(st);
	return rc;
}

int dipr_store_session_lookup(dipr_store *s, const uint8_t token_hash[32], int64_t now, dipr_account *a,
			      uint8_t csrf_hash[32])
{
	static const char sel[] = "SELECT a.id, a.name, a.role, s.csrf FROM session s "
				  "JOIN account a ON a.id = s.account WHERE s.hash = ?1 AND s.expires_ms > ?2";
	dipr_dbst *st;
	int rc, r;

	if ((rc = acc_sql(s, sel, &st)))
		return rc;
	db_bind_blob(st, 1, token_hash, 32);
	db_bind_int64(st, 2, now);
	r = db_step(st);
	if (r == SQLITE_ROW) {
		if (db_column_bytes(st, 3) != 32) {
			rc = dipr__err(DIPR_EIO, "database: session csrf is not 32 bytes");
		} else {
			account_cols(st, a);
			memcpy(csrf_hash, db_column_blob(st, 3), 32);
		}
	} else {
		rc = r == SQLITE_DONE ? dipr__err(DIPR_ENOTFOUND, "session: unknown or expired")
				      : dipr__db_err(s, "session lookup");
	}
	db_reset(st);
	return rc;
}

int dipr_store_session_delete(dipr_store *s, const uint8_t token_hash[32])
{
	static const char del[] = "DELETE FROM session WHERE hash = ?1";
	dipr_dbst *st;
	int rc;

	if ((rc = acc_sql(s, del, &st)))
		return rc;
	db_bind_blob(st, 1, token_hash, 32);
	if ((rc = dipr__step_done(s, st, "delete session")))
		return rc;
	return db_changes(s->db) ? 0 : dipr__err(DIPR_ENOTFOUND, "session: unknown");
}

int dipr_store_session_purge(dipr_store *s, int64_t now)
{
	static const char del[] = "DELETE FROM session WHERE expires_ms <= ?1";
	dipr_dbst *st;
	int rc;

	if ((rc = acc_sql(s, del, &st)))
		return rc;
	db_bind_int64(st, 1, now);
	return dipr__step_done(s, st, "purge sessions");
}
