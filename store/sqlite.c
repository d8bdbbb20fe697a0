/* sqlite.c — the embedded store: one SQLite database in WAL mode.
 *
 * Durability: journal_mode=WAL with synchronous=FULL, so COMMIT returns
 * only after the WAL is fsynced; one batch of entries is one transaction,
 * hence one fsync (DESIGN.md "Durability and the write path").
 *
 * Tiles are stored one row per (level, index), holding the widest version
 * written so far: a partial tile is a prefix of every wider version of the
 * same tile, so narrower partials are served as prefixes.  Entries are one
 * row each so that single entries and bundles are both cheap to read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"
#include "store/sqlite_int.h"
#include "store/node.h"
#include "store/verify.h"



static const char *const sql_text[ST__N] = {
	[ST_ENTRY_INS] = "INSERT INTO entry(idx, data) VALUES(?1, ?2)",
	[ST_TILE_PUT] = "INSERT INTO tile(level, idx, data) VALUES(?1, ?2, ?3) "
			"ON CONFLICT(level, idx) DO UPDATE SET data = excluded.data "
			"WHERE length(excluded.data) > length(tile.data)",
	[ST_TILE_GET] = "SELECT data FROM tile WHERE level = ?1 AND idx = ?2",
	[ST_SIZE_GET] = "SELECT size FROM tree WHERE id = 1",
	[ST_SIZE_PUT] = "UPDATE tree SET size = ?2 WHERE id = 1 AND size = ?1",
	[ST_ENTRY_RANGE] = "SELECT idx, data FROM entry WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
	[ST_ENTRY_GET] = "SELECT data FROM entry WHERE idx = ?1",
	[ST_CP_GET] = "SELECT size, note FROM checkpoint WHERE id = 1",
	[ST_EV_INS] = "INSERT INTO evidence(idx, account, meta) VALUES(?1, ?2, ?3)",
	[ST_TOKEN_LOOKUP] = "SELECT a.id, a.name, a.role FROM token t JOIN account a ON a.id = t.account "
			    "WHERE t.hash = ?1 AND t.revoked IS NULL",
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_EV_ACCOUNT] = "SELECT account FROM evidence WHERE idx = ?1",
	[ST_CP_UPDATE] = "UPDATE checkpoint SET size = ?1, note = ?2 WHERE id = 1 AND note = ?3 AND size <= ?1",
	[ST_CP_INSERT] = "INSERT INTO checkpoint(id, size, note) VALUES(1, ?1, ?2) ON CONFLICT(id) DO NOTHING",
};

/* PostgreSQL texts where they differ (NULL: the same).  BEGIN: row locks
 * come with the statements, there is no IMMEDIATE. */
static const char *const sql_pg_text[ST__N] = {
	[ST_BEGIN] = "BEGIN",
};



static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tree(id INTEGER PRIMARY KEY CHECK(id = 1), size INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO tree(id, size) VALUES(1, 0);"
	"CREATE TABLE IF NOT EXISTS entry(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tile(level INTEGER NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL,"
	" PRIMARY KEY(level, idx)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK(id = 1), size INTEGER NOT NULL,"
	" note BLOB NOT NULL);"
	"CREATE TABLE IF NOT EXISTS evidence(idx INTEGER PRIMARY KEY, account INTEGER NOT NULL, meta BLOB);"
	"CREATE TABLE IF NOT EXISTS account(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" role TEXT NOT NULL CHECK(role IN ('applicant','examiner','admin')), created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS token(hash BLOB PRIMARY KEY, account INTEGER NOT NULL REFERENCES account(id),"
	" created INTEGER NOT NULL, revoked INTEGER) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS password(account INTEGER PRIMARY KEY REFERENCES account(id),"
	" hash TEXT NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS session(hash BLOB PRIMARY KEY CHECK(length(hash) = 32),"
	" account INTEGER NOT NULL REFERENCES account(id), csrf BLOB NOT NULL CHECK(length(csrf) = 32),"
	" created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS session_account ON session(account);"
	"CREATE INDEX IF NOT EXISTS session_expires ON session(expires_ms);";

int dipr__db_err(dipr_store *s, const char *what)
{
	int code = db_errcode(s->db);
	int rc = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? DIPR_ECONFLICT
	       : (code == SQLITE_NOMEM) ? DIPR_ENOMEM : DIPR_EIO;
	return dipr__err(rc, "database: %s: %s", what, db_errmsg(s->db));
}

dipr_dbst *dipr__stmt(dipr_store *s, int i)
{
	dipr_dbst *st = s->st[i];
	db_reset(st);
	db_clear_bindings(st);
	return st;
}

/* The connection's PRAGMA synchronous (2 = FULL), or -1 (always on
 * PostgreSQL: durability there is the server's synchronous_commit). */
static int sync_level(dipr_store *s)
{
	dipr_dbst *st = NULL;
	int v = -1;
	if (db_is_pg(s->db))
		return -1;
	if (db_prepare(s->db, "PRAGMA synchronous", NULL, false, &st) == SQLITE_OK && db_step(st) == SQLITE_ROW)
		v = db_column_int(st, 0);
	db_finalize(st);
	return v;
}

int dipr_store_sync_level(dipr_store *s) { return sync_level(s); }

dipr_dbst *dipr__sql_pg(dipr_store *s, const char *sql, const char *pg_sql)
{
	/* Open addressing on the text's address; the set of statements is
	 * fixed at compile time and far below the table size. */
	size_t h = ((uintptr_t)sql >> 3) % DIPR__SQL_CACHE;
	for (size_t i = 0; i < DIPR__SQL_CACHE; i++, h = (h + 1) % DIPR__SQL_CACHE) {
		if (s->sql_key[h] == sql) {
			db_reset(s->sql_stmt[h]);
			db_clear_bindings(s->sql_stmt[h]);
			return s->sql_stmt[h];
		}
		if (!s->sql_key[h]) {
			if (db_prepare(s->db, sql, pg_sql, true, &s->sql_stmt[h]) != SQLITE_OK) {
				dipr__db_err(s, "prepare");
				s->sql_stmt[h] = NULL;
				return NULL;
			}
			s->sql_key[h] = sql;
			return s->sql_stmt[h];
		}
	}
	dipr__err(DIPR_ENOMEM, "database: statement cache full");
	return NULL;
}

dipr_dbst *dipr__sql(dipr_store *s, const char *sql) { return dipr__sql_pg(s, sql, NULL); }

/* SQLite: the PRAGMAs, the schema of a new file and the seal functions. */
static int open_sqlite(dipr_store *s, const char *path, int create)
{
	int rc;
	/* WAL: readers never block the sequencer; synchronous=FULL: COMMIT
	 * fsyncs the WAL, so a committed batch survives power loss. */
	if (db_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			   "PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384;") != SQLITE_OK)
		return dipr__db_err(s, "configure");
	if (create && db_exec(s->db, schema) != SQLITE_OK)
		return dipr__db_err(s, "create schema");
	/* The functions the seal triggers call (store/verify.c). */
	if ((rc = dipr__seal_attach(s, path)))
		return rc;
	return 0;
}

/* PostgreSQL: the schema is its own (store/schema_pg.c); seals through
 * the driver's commit hook (store/verify.c, docs/POSTGRES.md §1.3). */
static int open_pg(dipr_store *s, const char *target, int create)
{
#ifdef DIPR_HAVE_PG
	if (dipr__pg_schema(s->db, create) != SQLITE_OK)
		return dipr__db_err(s, create ? "create schema" : "check schema (is this a dipr database?)");
	return dipr__seal_attach(s, target);
#else
	(void)target;
	(void)create;
	return dipr__err(DIPR_EINVAL, "database: this dipr was built without PostgreSQL support");
#endif
}

int dipr_store_open(dipr_store **out, const char *path, int create)
{
	dipr_store *s = calloc(1, sizeof *s);
	int rc = DIPR_EIO;
	if (!s)
		return DIPR_ENOMEM;
	if (db_open(&s->db, path, create) != SQLITE_OK) {
		char shown[1024];
		rc = dipr__err(DIPR_EIO, "%s: cannot open database: %s", dipr_store_target_show(path, shown, sizeof shown),
			       s->db ? db_errmsg(s->db) : "out of memory");
		goto fail;
	}
	if ((rc = db_is_pg(s->db) ? open_pg(s, path, create) : open_sqlite(s, path, create)))
		goto fail;
	for (int i = 0; i < ST__N; i++) {
		if (db_prepare(s->db, sql_text[i], sql_pg_text[i], true, &s->st[i]) != SQLITE_OK) {
			rc = dipr__db_err(s, create ? "prepare" : "prepare (is this a dipr data directory?)");
			goto fail;
		}
	}
	/* Durability rests on this: refuse to run if it did not take. */
	if (!db_is_pg(s->db) && sync_level(s) != 2) {
		rc = dipr__err(DIPR_EIO, "%s: SQLite did not accept synchronous=FULL", path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	dipr_store_close(s);
	return rc;
}

void dipr_store_close(dipr_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST__N; i++)
		db_finalize(s->st[i]);
	for (int w = 0; w < 2; w++)
		for (int k = 0; k <= DIPR__ROWS_MAX; k++)
			db_finalize(s->rows_stmt[w][k]);
	for (int i = 0; i < DIPR__SQL_CACHE; i++)
		db_finalize(s->sql_stmt[i]);
	db_close(s->db);
	free(s);
}

int dipr_store_meta_set(dipr_store *s, const char *key, const char *value)
{
	dipr_dbst *st = NULL;
	int rc = 0;
	if (db_prepare(s->db, "INSERT INTO meta(k, v) VALUES(?1, ?2) ON CONFLICT(k) DO UPDATE SET v = excluded.v", NULL,
		       false, &st) != SQLITE_OK)
		return dipr__db_err(s, "meta");
	db_bind_text(st, 1, key, -1);
	db_bind_text(st, 2, value, -1);
	if (db_step(st) != SQLITE_DONE)
		rc = dipr__db_err(s, "meta");
	db_finalize(st);
	return rc;
}

int dipr_store_meta_get(dipr_store *s, const char *key, char *out, size_t cap)
{
	dipr_dbst *st = NULL;
	int rc = DIPR_ENOTFOUND;
	if (db_prepare(s->db, "SELECT v FROM meta WHERE k = ?1", NULL, false, &st) != SQLITE_OK)
		return dipr__db_err(s, "meta");
	db_bind_text(st, 1, key, -1);
	int r = db_step(st);
	if (r == SQLITE_ROW) {
		const char *v = (const char *)db_column_text(st, 0);
		size_t n = (size_t)db_column_bytes(st, 0);
		if (n + 1 > cap) {
			rc = dipr__err(DIPR_ERANGE, "meta %s too long", key);
		} else {
			memcpy(out, v, n);
			out[n] = 0;
			rc = 0;
		}
	} else if (r != SQLITE_DONE) {
		rc = dipr__db_err(s, "meta");
	}
	db_finalize(st);
	return rc;
}

int dipr_store_tree_size(dipr_store *s, uint64_t *size)
{
	dipr_dbst *st = dipr__stmt(s, ST_SIZE_GET);
	if (db_step(st) != SQLITE_ROW)
		return dipr__db_err(s, "read tree size");
	*size = (uint64_t)db_column_int64(st, 0);
	db_reset(st);
	return 0;
}

int dipr__step_done(dipr_store *s, dipr_dbst *st, const char *what)
{
	int r = db_step(st);
	db_reset(st);
	return r == SQLITE_DONE ? 0 : dipr__db_err(s, what);
}

int dipr_store_begin(dipr_store *s)
{
	int rc = dipr__step_done(s, dipr__stmt(s, ST_BEGIN), "begin");
	s->in_txn = rc == 0;
	return rc;
}

static int exec_sql(dipr_store *s, const char *sql, const char *what)
{
	return db_exec(s->db, sql) == SQLITE_OK ? 0 : dipr__db_err(s, what);
}

int dipr_store_savepoint(dipr_store *s) { return exec_sql(s, "SAVEPOINT job", "savepoint"); }
int dipr_store_release(dipr_store *s) { return exec_sql(s, "RELEASE job", "release savepoint"); }

int dipr_store_rollback_to(dipr_store *s)
{
	return exec_sql(s, "ROLLBACK TO job; RELEASE job", "rollback to savepoint");
}

void dipr_store_rollback(dipr_store *s)
{
	s->in_txn = false;
	if (db_in_txn(s->db))
		dipr__step_done(s, dipr__stmt(s, ST_ROLLBACK), "rollback");
}

/* PostgreSQL: the INSERT of k rows into entry (which 0) or evidence (1). */
static dipr_dbst *rows_stmt(dipr_store *s, int which, size_t k)
{
	if (s->rows_stmt[which][k]) {
		db_reset(s->rows_stmt[which][k]);
		db_clear_bindings(s->rows_stmt[which][k]);
		return s->rows_stmt[which][k];
	}
	int cols = which ? 3 : 2, p = 1;
	dipr_buf b;
	dipr_buf_init(&b, 65536);
	dipr_buf_adds(&b, which ? "INSERT INTO evidence(idx, account, meta) VALUES" : "INSERT INTO entry(idx, data) VALUES");
	for (size_t r = 0; r < k; r++) {
		dipr_buf_adds(&b, r ? ", (" : " (");
		for (int c = 0; c < cols; c++)
			dipr_buf_addf(&b, "%s?%d", c ? ", " : "", p++);
		dipr_buf_adds(&b, ")");
	}
	if (dipr_buf_add(&b, "", 1) ||
	    db_prepare(s->db, (const char *)b.p, NULL, true, &s->rows_stmt[which][k]) != SQLITE_OK) {
		dipr__db_err(s, "prepare");
		s->rows_stmt[which][k] = NULL;
	}
	dipr_buf_free(&b);
	return s->rows_stmt[which][k];
}

/* PostgreSQL: the batch's entries and evidence rows in chunks of
 * DIPR__ROWS_MAX rows per statement (each row one statement costs a round
 * trip per row: 64 for a batch of 32 evidence entries). */
static int append_rows_pg(dipr_store *s, uint64_t first, const dipr_bytes *entries, size_t n,
			  const dipr_store_evidence *ev, size_t nev)
{
	int rc;
	for (size_t i = 0; i < n; i += DIPR__ROWS_MAX) {
		size_t k = n - i < DIPR__ROWS_MAX ? n - i : DIPR__ROWS_MAX;
		dipr_dbst *st = rows_stmt(s, 0, k);
		if (!st)
			return DIPR_EIO;
		for (size_t r = 0; r < k; r++) {
			db_bind_int64(st, (int)(2 * r + 1), (int64_t)(first + i + r));
			db_bind_blob(st, (int)(2 * r + 2), entries[i + r].p, (int)entries[i + r].n);
		}
		if ((rc = dipr__step_done(s, st, "insert entries")))
			return rc;
	}
	for (size_t i = 0; i < nev; i += DIPR__ROWS_MAX) {
		size_t k = nev - i < DIPR__ROWS_MAX ? nev - i : DIPR__ROWS_MAX;
		dipr_dbst *st = rows_stmt(s, 1, k);
		if (!st)
			return DIPR_EIO;
		for (size_t r = 0; r < k; r++) {
			const dipr_store_evidence *e = &ev[i + r];
			db_bind_int64(st, (int)(3 * r + 1), (int64_t)e->index);
			db_bind_int64(st, (int)(3 * r + 2), e->account);
			if (e->meta)
				db_bind_blob(st, (int)(3 * r + 3), e->meta, (int)e->meta_len);
			else
				db_bind_null(st, (int)(3 * r + 3));
		}
		if ((rc = dipr__step_done(s, st, "insert evidence")))
			return rc;
	}
	return 0;
}

int dipr_store_append(dipr_store *s, uint64_t first, const dipr_bytes *entries, size_t n,
		      const dipr_store_tile *tiles, size_t ntiles, const dipr_store_evidence *ev, size_t nev)
{
	int rc;
	dipr_dbst *st;
	bool pg = db_is_pg(s->db);
	if (!s->in_txn && (rc = dipr__step_done(s, dipr__stmt(s, ST_BEGIN), "begin")))
		return rc;
	s->in_txn = false;
	if (pg && (rc = append_rows_pg(s, first, entries, n, ev, nev)))
		goto fail;
	for (size_t i = 0; !pg && i < n; i++) {
		st = dipr__stmt(s, ST_ENTRY_INS);
		db_bind_int64(st, 1, (int64_t)(first + i));
		db_bind_blob(st, 2, entries[i].p, (int)entries[i].n);
		if ((rc = dipr__step_done(s, st, "insert entry")))
			goto fail;
	}
	for (size_t i = 0; i < ntiles; i++) {
		st = dipr__stmt(s, ST_TILE_PUT);
		db_bind_int(st, 1, tiles[i].id.level);
		db_bind_int64(st, 2, (int64_t)tiles[i].id.index);
		db_bind_blob(st, 3, tiles[i].data, (int)(tiles[i].id.width * DIPR_HASH_LEN));
		if ((rc = dipr__step_done(s, st, "write tile")))
			goto fail;
	}
	for (size_t i = 0; !pg && i < nev; i++) {
		st = dipr__stmt(s, ST_EV_INS);
		db_bind_int64(st, 1, (int64_t)ev[i].index);
		db_bind_int64(st, 2, ev[i].account);
		if (ev[i].meta)
			db_bind_blob(st, 3, ev[i].meta, (int)ev[i].meta_len);
		if ((rc = dipr__step_done(s, st, "insert evidence")))
			goto fail;
	}
	st = dipr__stmt(s, ST_SIZE_PUT);
	db_bind_int64(st, 1, (int64_t)first);
	db_bind_int64(st, 2, (int64_t)(first + n));
	if ((rc = dipr__step_done(s, st, "update tree size")))
		goto fail;
	if (db_changes(s->db) != 1) {
		rc = dipr__err(DIPR_ECONFLICT, "database: tree size is not %llu", (unsigned long long)first);
		goto fail;
	}
	/* PostgreSQL: the evidence batch seal (SQLite's trigger does it) */
	if ((rc = dipr__seal_batch(s, first, first + n, ev, nev)))
		goto fail;
	if ((rc = dipr__step_done(s, dipr__stmt(s, ST_COMMIT), "commit")))
		goto fail;
	return 0;
fail:
	/* After a failed COMMIT SQLite may have rolled back already. */
	if (db_in_txn(s->db))
		dipr__step_done(s, dipr__stmt(s, ST_ROLLBACK), "rollback");
	return rc;
}

int dipr_store_tile_read(dipr_store *s, int level, uint64_t index, uint8_t *out, unsigned *width)
{
	dipr_dbst *st = dipr__stmt(s, ST_TILE_GET);
	db_bind_int(st, 1, level);
	db_bind_int64(st, 2, (int64_t)index);
	int r = db_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		int n = db_column_bytes(st, 0);
		if (n <= 0 || n % DIPR_HASH_LEN || n > DIPR_TILE_WIDTH * DIPR_HASH_LEN) {
			rc = dipr__err(DIPR_EIO, "database: tile %d/%llu has %d bytes", level,
				       (unsigned long long)index, n);
		} else {
			memcpy(out, db_column_blob(st, 0), (size_t)n);
			*width = (unsigned)(n / DIPR_HASH_LEN);
		}
	} else {
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "read tile");
	}
	db_reset(st);
	return rc;
}

int dipr_store_entries_bundle(dipr_store *s, uint64_t first, size_t n, dipr_buf *out)
{
	dipr_dbst *st = dipr__stmt(s, ST_ENTRY_RANGE);
	uint64_t want = first;
	int rc = 0, r;
	db_bind_int64(st, 1, (int64_t)first);
	db_bind_int64(st, 2, (int64_t)(first + n));
	while ((r = db_step(st)) == SQLITE_ROW) {
		int len = db_column_bytes(st, 1);
		uint8_t hdr[2];
		if ((uint64_t)db_column_int64(st, 0) != want || len > 65535) {
			rc = dipr__err(DIPR_EIO, "database: entry %llu missing or too long", (unsigned long long)want);
			break;
		}
		dipr__put_u16be(hdr, (uint16_t)len);
		if ((rc = dipr_buf_add(out, hdr, 2)) || (rc = dipr_buf_add(out, db_column_blob(st, 1), (size_t)len)))
			break;
		want++;
	}
	if (!rc && r != SQLITE_DONE && r != SQLITE_ROW)
		rc = dipr__db_err(s, "read entries");
	if (!rc && want != first + n)
		rc = DIPR_ENOTFOUND;
	db_reset(st);
	return rc;
}

int dipr_store_entry(dipr_store *s, uint64_t index, dipr_buf *out)
{
	dipr_dbst *st = dipr__stmt(s, ST_ENTRY_GET);
	db_bind_int64(st, 1, (int64_t)index);
	int r = db_step(st), rc;
	if (r == SQLITE_ROW)
		rc = dipr_buf_add(out, db_column_blob(st, 0), (size_t)db_column_bytes(st, 0));
	else
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "read entry");
	db_reset(st);
	return rc;
}

int dipr_store_checkpoint_get(dipr_store *s, dipr_buf *note, uint64_t *size)
{
	dipr_dbst *st = dipr__stmt(s, ST_CP_GET);
	int r = db_step(st), rc;
	if (r == SQLITE_ROW) {
		*size = (uint64_t)db_column_int64(st, 0);
		rc = dipr_buf_add(note, db_column_blob(st, 1), (size_t)db_column_bytes(st, 1));
	} else {
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "read checkpoint");
	}
	db_reset(st);
	return rc;
}

int dipr_store_checkpoint_cas(dipr_store *s, const uint8_t *old_note, size_t old_len, uint64_t new_size,
			      const uint8_t *note, size_t len, bool durable)
{
	dipr_dbst *st;
	int rc = 0;
	bool pg = db_is_pg(s->db);
	/* In WAL mode synchronous=NORMAL still writes the commit to the WAL
	 * in order, it only skips the fsync; switching is free (no I/O).
	 * Never a prepared statement: SQLite applies this pragma while
	 * *preparing* it, so a prepared copy would act once, at open.
	 * PostgreSQL's counterpart is synchronous_commit = off for this one
	 * transaction (SET LOCAL ends with it): the commit record still enters
	 * the WAL in order, and the next synchronous commit flushes it. */
	if (!durable && !pg && db_exec(s->db, "PRAGMA synchronous=NORMAL") != SQLITE_OK)
		return dipr__db_err(s, "synchronous");
	if (!durable && pg && db_exec(s->db, "BEGIN; SET LOCAL synchronous_commit = off") != SQLITE_OK) {
		rc = dipr__db_err(s, "synchronous");
		if (db_in_txn(s->db))
			db_exec(s->db, "ROLLBACK");
		return rc;
	}
	st = dipr__stmt(s, old_note ? ST_CP_UPDATE : ST_CP_INSERT);
	db_bind_int64(st, 1, (int64_t)new_size);
	db_bind_blob(st, 2, note, (int)len);
	if (old_note)
		db_bind_blob(st, 3, old_note, (int)old_len);
	if (db_step(st) != SQLITE_DONE)
		rc = dipr__db_err(s, "store checkpoint");
	else if (db_changes(s->db) != 1)
		rc = dipr__err(DIPR_ECONFLICT, "checkpoint changed underneath (another sequencer?)");
	db_reset(st);
	if (!durable && !pg && db_exec(s->db, "PRAGMA synchronous=FULL") != SQLITE_OK && !rc)
		rc = dipr__db_err(s, "synchronous");
	if (!durable && pg) {
		if (rc)
			db_exec(s->db, "ROLLBACK");
		else if (db_exec(s->db, "COMMIT") != SQLITE_OK)
			rc = dipr__db_err(s, "commit checkpoint");
	}
	return rc;
}

int dipr_store_account_add(dipr_store *s, const char *name, const char *role, int64_t *id)
{
	dipr_dbst *st = NULL;
	int rc = 0;
	int64_t new_id = 0;
	if (db_prepare(s->db, "INSERT INTO account(name, role, created) VALUES(?1, ?2, ?3) RETURNING id", NULL, false,
		       &st) != SQLITE_OK)
		return dipr__db_err(s, "account");
	db_bind_text(st, 1, name, -1);
	db_bind_text(st, 2, role, -1);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	int r = db_step(st);
	if (r == SQLITE_ROW) { /* the new id; the next step ends the statement */
		new_id = db_column_int64(st, 0);
		r = db_step(st);
	}
	if (r == SQLITE_CONSTRAINT || db_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
		rc = dipr__err(DIPR_ECONFLICT, "account \"%s\" already exists", name);
	else if (r != SQLITE_DONE)
		rc = dipr__db_err(s, "add account");
	else if (id)
		*id = new_id;
	db_finalize(st);
	return rc;
}

static void account_row(dipr_dbst *st, dipr_account *a)
{
	a->id = db_column_int64(st, 0);
	snprintf(a->name, sizeof a->name, "%s", (const char *)db_column_text(st, 1));
	snprintf(a->role, sizeof a->role, "%s", (const char *)db_column_text(st, 2));
}

int dipr_store_account_get(dipr_store *s, const char *name, dipr_account *a)
{
	dipr_dbst *st = NULL;
	int rc;
	if (db_prepare(s->db, "SELECT id, name, role FROM account WHERE name = ?1", NULL, false, &st) != SQLITE_OK)
		return dipr__db_err(s, "account");
	db_bind_text(st, 1, name, -1);
	int r = db_step(st);
	if (r == SQLITE_ROW) {
		account_row(st, a);
		rc = 0;
	} else {
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "read account");
	}
	db_finalize(st);
	return rc;
}

int dipr_store_token_add(dipr_store *s, int64_t account, const uint8_t hash[32])
{
	dipr_dbst *st = NULL;
	int rc = 0;
	if (db_prepare(s->db, "INSERT INTO token(hash, account, created) VALUES(?1, ?2, ?3)", NULL, false, &st) !=
	    SQLITE_OK)
		return dipr__db_err(s, "token");
	db_bind_blob(st, 1, hash, 32);
	db_bind_int64(st, 2, account);
	db_bind_int64(st, 3, (int64_t)time(NULL));
	if (db_step(st) != SQLITE_DONE)
		rc = dipr__db_err(s, "add token");
	db_finalize(st);
	return rc;
}

int dipr_store_token_lookup(dipr_store *s, const uint8_t hash[32], dipr_account *a)
{
	dipr_dbst *st = dipr__stmt(s, ST_TOKEN_LOOKUP);
	db_bind_blob(st, 1, hash, 32);
	int r = db_step(st), rc = 0;
	if (r == SQLITE_ROW)
		account_row(st, a);
	else
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "token lookup");
	db_reset(st);
	return rc;
}

int dipr_store_evidence_account(dipr_store *s, uint64_t index, int64_t *account)
{
	dipr_dbst *st = dipr__stmt(s, ST_EV_ACCOUNT);
	db_bind_int64(st, 1, (int64_t)index);
	int r = db_step(st), rc = 0;
	if (r == SQLITE_ROW)
		*account = db_column_int64(st, 0);
	else
		rc = r == SQLITE_DONE ? DIPR_ENOTFOUND : dipr__db_err(s, "evidence");
	db_reset(st);
	return rc;
}
