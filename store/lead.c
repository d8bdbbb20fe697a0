/* lead.c — one sequencer at a time on PostgreSQL (docs/POSTGRES.md §3).
 *
 * The lock is a session advisory lock taken on the sequencer's own write
 * connection: when that session dies, PostgreSQL first rolls back its open
 * transaction and then frees the lock, so once another node holds it no
 * write of the old sequencer can still be in flight.  The driver never
 * reconnects a broken session behind the caller's back, so a sequencer
 * that lost its session cannot write again without taking the lock anew. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>

#include "internal.h"
#include "store/db.h"
#include "store/node.h"
#include "store/sqlite_int.h"

bool dipr_store_is_pg(dipr_store *s) { return db_is_pg(s->db); }

/* Runs sql with text parameters p[0..n) and, if it yields a row, copies
 * column 0 as text to out (may be NULL). 0, DIPR_ENOTFOUND (no row) or an
 * error. */
static int one(dipr_store *s, const char *sql, const char *const *p, int n, char *out, size_t cap, const char *what)
{
	dipr_dbst *st = NULL;
	if (db_prepare(s->db, sql, NULL, false, &st) != SQLITE_OK)
		return dipr__db_err(s, what);
	for (int i = 0; i < n; i++)
		db_bind_text(st, i + 1, p[i], -1);
	int r = db_step(st), rc = 0;
	if (r == SQLITE_ROW) {
		const unsigned char *v = db_column_text(st, 0);
		if (out)
			snprintf(out, cap, "%s", v ? (const char *)v : "");
	} else if (r == SQLITE_DONE) {
		rc = DIPR_ENOTFOUND;
	} else {
		rc = dipr__db_err(s, what);
	}
	db_finalize(st);
	return rc;
}

int dipr_store_lead_try(dipr_store *s, const char *origin, bool *got)
{
	char v[16] = "";
	*got = false;
	if (!db_is_pg(s->db)) {
		*got = true;
		return 0;
	}
	/* The key names this log in this schema, so that several logs (or
	 * test schemas) in one database do not share a lock. */
	const char *p[] = {origin};
	int rc = one(s,
		     "SELECT pg_try_advisory_lock(('x' || substr(md5('dipr-sequencer|' || current_schema() || '|' "
		     "|| ?1), 1, 16))::bit(64)::bigint)::int::text",
		     p, 1, v, sizeof v, "sequencer lock");
	if (rc)
		return rc;
	*got = strcmp(v, "1") == 0;
	return 0;
}

int dipr_store_lead_record(dipr_store *s, const char *node, const char *url, uint64_t *epoch)
{
	char v[32] = "", since[32];
	*epoch = 0;
	if (!db_is_pg(s->db))
		return 0;
	int rc;
	if (db_exec(s->db, "BEGIN") != SQLITE_OK)
		return dipr__db_err(s, "begin");
	/* The tree row's lock also waits for any write still holding it. */
	if ((rc = one(s, "UPDATE tree SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch::text", NULL, 0, v, sizeof v,
		      "sequencer epoch")))
		goto fail;
	snprintf(since, sizeof since, "%lld", (long long)time(NULL));
	const char *p[] = {v, node, url, since};
	rc = one(s,
		 "INSERT INTO sequencer(id, epoch, node, url, since) VALUES(1, ?1::bigint, ?2, ?3, ?4::bigint) "
		 "ON CONFLICT(id) DO UPDATE SET epoch = excluded.epoch, node = excluded.node, url = excluded.url, "
		 "since = excluded.since",
		 p, 4, NULL, 0, "sequencer row");
	if (rc && rc != DIPR_ENOTFOUND)
		goto fail;
	if (db_exec(s->db, "COMMIT") != SQLITE_OK) {
		rc = dipr__db_err(s, "commit");
		goto fail;
	}
	*epoch = strtoull(v, NULL, 10);
	return 0;
fail:
	if (db_in_txn(s->db))
		db_exec(s->db, "ROLLBACK");
	return rc;
}

int dipr_store_lead_get(dipr_store *s, char *url, size_t cap, uint64_t *epoch)
{
	char v[32] = "";
	*epoch = 0;
	if (!db_is_pg(s->db))
		return DIPR_ENOTFOUND;
	int rc = one(s, "SELECT epoch::text FROM sequencer WHERE id = 1", NULL, 0, v, sizeof v, "sequencer row");
	if (!rc)
		rc = one(s, "SELECT url FROM sequencer WHERE id = 1", NULL, 0, url, cap, "sequencer row");
	if (!rc)
		*epoch = strtoull(v, NULL, 10);
	return rc;
}

int dipr_store_lead_release(dipr_store *s)
{
	if (!db_is_pg(s->db))
		return 0;
	int rc = one(s, "SELECT pg_advisory_unlock_all()::text", NULL, 0, NULL, 0, "sequencer unlock");
	return rc == DIPR_ENOTFOUND ? 0 : rc;
}

int dipr_store_ping(dipr_store *s)
{
	if (!db_is_pg(s->db))
		return 0;
	return one(s, "SELECT 1::text", NULL, 0, NULL, 0, "ping");
}

bool dipr_store_broken(dipr_store *s)
{
	return db_is_pg(s->db) && PQstatus((PGconn *)db_pgconn(s->db)) != CONNECTION_OK;
}
