/* registry.c — the registry's SQLite tables (store/registry.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "store/registry.h"
#include "store/sqlite_int.h"

static const char reg_schema[] =
	"CREATE TABLE IF NOT EXISTS app(id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES account(id),"
	" state TEXT NOT NULL, reg TEXT NOT NULL, doc TEXT NOT NULL, extra TEXT NOT NULL,"
	" regno TEXT UNIQUE, certno TEXT, applicant_id TEXT, closed_on TEXT, head INTEGER, next_due TEXT,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS app_state ON app(state);"
	"CREATE INDEX IF NOT EXISTS app_owner ON app(owner);"
	"CREATE INDEX IF NOT EXISTS app_due ON app(next_due) WHERE next_due IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS app_digest(digest TEXT NOT NULL, app INTEGER NOT NULL REFERENCES app(id),"
	" PRIMARY KEY(digest, app)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS event(idx INTEGER PRIMARY KEY, app INTEGER NOT NULL REFERENCES app(id),"
	" name TEXT NOT NULL, body TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS event_app ON event(app, idx);"
	"CREATE TABLE IF NOT EXISTS objection(id INTEGER PRIMARY KEY, app INTEGER NOT NULL REFERENCES app(id),"
	" state TEXT NOT NULL, data TEXT NOT NULL, key_hash BLOB NOT NULL, created INTEGER NOT NULL, decided INTEGER);"
	"CREATE INDEX IF NOT EXISTS objection_app ON objection(app);"
	"CREATE TABLE IF NOT EXISTS cert(certno TEXT PRIMARY KEY, regno TEXT NOT NULL, app INTEGER NOT NULL"
	" REFERENCES app(id), version INTEGER NOT NULL, idx INTEGER NOT NULL, file TEXT NOT NULL,"
	" status TEXT NOT NULL, created INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS cert_regno ON cert(regno);"
	"CREATE TABLE IF NOT EXISTS counter(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, account INTEGER,"
	" actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, target TEXT, ip TEXT,"
	" outcome TEXT NOT NULL, detail TEXT);"
	/* History is append-only, enforced by the database itself. */
	"CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS event_append_only_u BEFORE UPDATE ON event"
	" BEGIN SELECT RAISE(ABORT, 'event history is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS event_append_only_d BEFORE DELETE ON event"
	" BEGIN SELECT RAISE(ABORT, 'event history is append-only'); END;";

int dipr_store_reg_schema(dipr_store *s)
{
	if (sqlite3_exec(s->db, reg_schema, NULL, NULL, NULL) != SQLITE_OK)
		return dipr__db_err(s, "create registry tables");
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Columns whose text is JSON: parsed into the row object. */
static bool json_column(const char *name)
{
	static const char *const cols[] = {"reg", "doc", "extra", "data", "file", "body", "detail"};
	for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
		if (strcmp(name, cols[i]) == 0)
			return true;
	return false;
}

static json_t *row_object(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(st);
	for (int i = 0; o && i < n; i++) {
		const char *name = sqlite3_column_name(st, i);
		json_t *v;
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default: {
			const char *t = (const char *)sqlite3_column_text(st, i);
			size_t len = (size_t)sqlite3_column_bytes(st, i);
			v = NULL;
			if (json_column(name))
				v = json_loadb(t, len, JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_stringn(t, len);
		}
		}
		if (!v || json_object_set_new(o, name, v)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

/* Steps st to the end, collecting rows into an array (one: the first row
 * alone, DIPR_ENOTFOUND if none). */
static int collect(dipr_store *s, sqlite3_stmt *st, bool one, json_t **out, const char *what)
{
	json_t *a = one ? NULL : json_array();
	int r, rc = 0;
	*out = NULL;
	if (!one && !a)
		return DIPR_ENOMEM;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = row_object(st);
		if (!o) {
			rc = DIPR_ENOMEM;
			break;
		}
		if (one) {
			*out = o;
			break;
		}
		json_array_append_new(a, o);
	}
	if (!rc && r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dipr__db_err(s, what);
	sqlite3_reset(st);
	if (rc) {
		json_decref(one ? *out : a);
		*out = NULL;
		return rc;
	}
	if (one)
		return *out ? 0 : DIPR_ENOTFOUND;
	*out = a;
	return 0;
}

#define PREPARE(st, sql)                                                                                              \
	sqlite3_stmt *st = dipr__sql(s, sql);                                                                         \
	if (!st)                                                                                                      \
		return DIPR_EIO

/* ---- applications ---- */

int dipr_store_app_put(dipr_store *s, dipr_store_app *a)
{
	int64_t now = now_ms();
	sqlite3_stmt *st;
	if (a->id == 0) {
		st = dipr__sql(s, "INSERT INTO app(owner, state, reg, doc, extra, regno, certno, applicant_id, closed_on,"
				  " head, created, updated, next_due) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?13)");
	} else {
		st = dipr__sql(s, "UPDATE app SET owner = ?1, state = ?2, reg = ?3, doc = ?4, extra = ?5, regno = ?6,"
				  " certno = ?7, applicant_id = ?8, closed_on = ?9, head = ?10, updated = ?11, next_due = ?13 WHERE id = ?12");
	}
	if (!st)
		return DIPR_EIO;
	sqlite3_bind_int64(st, 1, a->owner);
	bind_text(st, 2, a->state);
	bind_text(st, 3, a->reg);
	bind_text(st, 4, a->doc);
	bind_text(st, 5, a->extra);
	bind_text(st, 6, a->regno);
	bind_text(st, 7, a->certno);
	bind_text(st, 8, a->applicant_id);
	bind_text(st, 9, a->closed_on);
	if (a->head >= 0)
		sqlite3_bind_int64(st, 10, a->head);
	sqlite3_bind_int64(st, 11, now);
	if (a->id)
		sqlite3_bind_int64(st, 12, a->id);
	bind_text(st, 13, a->next_due);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			return dipr__err(DIPR_ECONFLICT, "registration number %s is taken", a->regno ? a->regno : "");
		return dipr__db_err(s, "write application");
	}
	if (a->id == 0)
		a->id = sqlite3_last_insert_rowid(s->db);
	else if (sqlite3_changes(s->db) != 1)
		return dipr__err(DIPR_ENOTFOUND, "application %lld not found", (long long)a->id);
	return 0;
}

#define APP_COLS                                                                                                      \
	"a.id, a.owner, u.name AS owner_name, a.state, a.regno, a.certno, a.applicant_id, a.closed_on, a.head,"      \
	" a.created, a.updated"

int dipr_store_app_get(dipr_store *s, int64_t id, const char *regno, json_t **out)
{
	sqlite3_stmt *st;
	if (regno) {
		st = dipr__sql(s, "SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner"
				  " WHERE a.regno = ?1");
		if (st)
			sqlite3_bind_text(st, 1, regno, -1, SQLITE_STATIC);
	} else {
		st = dipr__sql(s, "SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner"
				  " WHERE a.id = ?1");
		if (st)
			sqlite3_bind_int64(st, 1, id);
	}
	if (!st)
		return DIPR_EIO;
	return collect(s, st, true, out, "read application");
}

int dipr_store_app_list(dipr_store *s, const dipr_store_app_filter *f, bool brief, json_t **out)
{
	/* One statement covers every filter: each condition is off when its
	 * parameter is NULL.  States match as ",state," inside ",list,". */
	static const char full[] =
		"SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner"
		" WHERE (?1 IS NULL OR a.owner = ?1) AND (?2 IS NULL OR instr(',' || ?2 || ',', ',' || a.state || ',') > 0)"
		" AND (?3 IS NULL OR instr(json_extract(a.doc, '$.data_name'), ?3) > 0"
		"  OR instr(json_extract(a.doc, '$.applicant.name'), ?3) > 0 OR instr(a.regno, ?3) > 0"
		"  OR instr(a.certno, ?3) > 0) AND (?4 = 0 OR a.regno IS NOT NULL)"
		" ORDER BY a.id DESC LIMIT ?5 OFFSET ?6";
	static const char brief_sql[] =
		"SELECT " APP_COLS ", json_extract(a.doc, '$.data_name') AS data_name,"
		" json_extract(a.doc, '$.applicant.name') AS holder_name FROM app a JOIN account u ON u.id = a.owner"
		" WHERE (?1 IS NULL OR a.owner = ?1) AND (?2 IS NULL OR instr(',' || ?2 || ',', ',' || a.state || ',') > 0)"
		" AND (?3 IS NULL OR instr(json_extract(a.doc, '$.data_name'), ?3) > 0"
		"  OR instr(json_extract(a.doc, '$.applicant.name'), ?3) > 0 OR instr(a.regno, ?3) > 0"
		"  OR instr(a.certno, ?3) > 0) AND (?4 = 0 OR a.regno IS NOT NULL)"
		" ORDER BY a.id DESC LIMIT ?5 OFFSET ?6";
	sqlite3_stmt *st = dipr__sql(s, brief ? brief_sql : full);
	if (!st)
		return DIPR_EIO;
	if (f->owner > 0)
		sqlite3_bind_int64(st, 1, f->owner);
	bind_text(st, 2, f->states);
	bind_text(st, 3, f->q && *f->q ? f->q : NULL);
	sqlite3_bind_int(st, 4, f->registered_only);
	sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int64(st, 6, f->offset > 0 ? f->offset : 0);
	return collect(s, st, false, out, "list applications");
}

int dipr_store_app_active(dipr_store *s, const char *today, int64_t **ids, size_t *n)
{
	PREPARE(st, "SELECT id FROM app WHERE next_due IS NOT NULL AND next_due <= ?1 ORDER BY id");
	sqlite3_bind_text(st, 1, today, -1, SQLITE_STATIC);
	size_t cap = 0;
	int r;
	*ids = NULL;
	*n = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *v = realloc(*ids, cap * sizeof *v);
			if (!v) {
				sqlite3_reset(st);
				return DIPR_ENOMEM;
			}
			*ids = v;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : dipr__db_err(s, "list active applications");
}

int dipr_store_app_digest_add(dipr_store *s, int64_t app, const char *digest)
{
	PREPARE(st, "INSERT OR IGNORE INTO app_digest(digest, app) VALUES(?1, ?2)");
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, app);
	return dipr__step_done(s, st, "record evidence digest");
}

int dipr_store_app_repeat(dipr_store *s, const char *digest, int64_t owner, const char *applicant_id,
			  const char *since, int64_t *app, char closed_on[11])
{
	PREPARE(st, "SELECT a.id, a.closed_on FROM app_digest d JOIN app a ON a.id = d.app"
		    " WHERE d.digest = ?1 AND a.state = 'withdrawn' AND a.closed_on >= ?4"
		    " AND (a.owner = ?2 OR a.applicant_id = ?3) ORDER BY a.closed_on DESC LIMIT 1");
	sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, owner);
	bind_text(st, 3, applicant_id);
	sqlite3_bind_text(st, 4, since, -1, SQLITE_STATIC);
	int r = sqlite3_step(st), rc = DIPR_ENOTFOUND;
	if (r == SQLITE_ROW) {
		*app = sqlite3_column_int64(st, 0);
		snprintf(closed_on, 11, "%s", (const char *)sqlite3_column_text(st, 1));
		rc = 0;
	} else if (r != SQLITE_DONE) {
		rc = dipr__db_err(s, "repeat-filing check");
	}
	sqlite3_reset(st);
	return rc;
}

/* ---- events ---- */

int dipr_store_event_add(dipr_store *s, uint64_t idx, int64_t app, const char *name, const char *body)
{
	PREPARE(st, "INSERT INTO event(idx, app, name, body) VALUES(?1, ?2, ?3, ?4)");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
	sqlite3_bind_int64(st, 2, app);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, body, -1, SQLITE_STATIC);
	return dipr__step_done(s, st, "record event");
}

int dipr_store_event_list(dipr_store *s, int64_t app, json_t **out)
{
	PREPARE(st, "SELECT idx, app, name, body FROM event WHERE app = ?1 ORDER BY idx");
	sqlite3_bind_int64(st, 1, app);
	return collect(s, st, false, out, "read events");
}

/* ---- objections ---- */

int dipr_store_objection_add(dipr_store *s, int64_t app, const char *data, const uint8_t key_hash[32], int64_t *id)
{
	PREPARE(st, "INSERT INTO objection(app, state, data, key_hash, created) VALUES(?1, 'open', ?2, ?3, ?4)");
	sqlite3_bind_int64(st, 1, app);
	sqlite3_bind_text(st, 2, data, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, key_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	int rc = dipr__step_done(s, st, "record objection");
	if (!rc)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int dipr_store_objection_decide(dipr_store *s, int64_t id, const char *state, const char *data)
{
	PREPARE(st, "UPDATE objection SET state = ?2, data = ?3, decided = ?4 WHERE id = ?1 AND state = 'open'");
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	int rc = dipr__step_done(s, st, "decide objection");
	if (!rc && sqlite3_changes(s->db) != 1)
		rc = dipr__err(DIPR_ECONFLICT, "objection %lld is not open", (long long)id);
	return rc;
}

int dipr_store_objection_get(dipr_store *s, int64_t id, json_t **out)
{
	PREPARE(st, "SELECT id, app, state, data, created, decided FROM objection WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	return collect(s, st, true, out, "read objection");
}

int dipr_store_objection_key_check(dipr_store *s, int64_t id, const uint8_t key_hash[32])
{
	PREPARE(st, "SELECT key_hash FROM objection WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st), rc = DIPR_EVERIFY;
	if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32 &&
	    CRYPTO_memcmp(sqlite3_column_blob(st, 0), key_hash, 32) == 0)
		rc = 0;
	else if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dipr__db_err(s, "read objection");
	sqlite3_reset(st);
	return rc;
}

int dipr_store_objection_list(dipr_store *s, int64_t app, const char *state, json_t **out)
{
	PREPARE(st, "SELECT id, app, state, data, created, decided FROM objection"
		    " WHERE (?1 IS NULL OR app = ?1) AND (?2 IS NULL OR state = ?2) ORDER BY id");
	if (app > 0)
		sqlite3_bind_int64(st, 1, app);
	bind_text(st, 2, state);
	return collect(s, st, false, out, "list objections");
}

/* ---- certificates ---- */

int dipr_store_cert_add(dipr_store *s, const char *certno, const char *regno, int64_t app, int version, uint64_t idx,
			const char *file)
{
	PREPARE(st, "INSERT INTO cert(certno, regno, app, version, idx, file, status, created)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'current', ?7)");
	sqlite3_bind_text(st, 1, certno, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, regno, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, app);
	sqlite3_bind_int(st, 4, version);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)idx);
	sqlite3_bind_text(st, 6, file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now_ms());
	return dipr__step_done(s, st, "record certificate");
}

int dipr_store_cert_status(dipr_store *s, const char *certno, const char *status)
{
	PREPARE(st, "UPDATE cert SET status = ?2 WHERE certno = ?1");
	sqlite3_bind_text(st, 1, certno, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	return dipr__step_done(s, st, "update certificate");
}

int dipr_store_cert_get(dipr_store *s, const char *certno, json_t **out)
{
	PREPARE(st, "SELECT certno, regno, app, version, idx, file, status, created FROM cert WHERE certno = ?1");
	sqlite3_bind_text(st, 1, certno, -1, SQLITE_STATIC);
	return collect(s, st, true, out, "read certificate");
}

int dipr_store_cert_list(dipr_store *s, const char *regno, json_t **out)
{
	PREPARE(st, "SELECT certno, regno, app, version, idx, status, created FROM cert WHERE regno = ?1 ORDER BY version");
	sqlite3_bind_text(st, 1, regno, -1, SQLITE_STATIC);
	return collect(s, st, false, out, "list certificates");
}

/* ---- counters ---- */

int dipr_store_counter_next(dipr_store *s, const char *name, uint64_t *value)
{
	PREPARE(st, "INSERT INTO counter(name, value) VALUES(?1, 1)"
		    " ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st), rc = 0;
	if (r == SQLITE_ROW)
		*value = (uint64_t)sqlite3_column_int64(st, 0);
	else
		rc = dipr__db_err(s, "counter");
	sqlite3_reset(st);
	return rc;
}

/* ---- audit ---- */

int dipr_store_audit_add(dipr_store *s, const dipr_store_audit *a, int64_t time_ms)
{
	PREPARE(st, "INSERT INTO audit(time, account, actor, role, action, target, ip, outcome, detail)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	sqlite3_bind_int64(st, 1, time_ms);
	if (a->account > 0)
		sqlite3_bind_int64(st, 2, a->account);
	bind_text(st, 3, a->actor ? a->actor : "");
	bind_text(st, 4, a->role ? a->role : "public");
	bind_text(st, 5, a->action);
	bind_text(st, 6, a->target);
	bind_text(st, 7, a->ip);
	bind_text(st, 8, a->outcome);
	bind_text(st, 9, a->detail);
	return dipr__step_done(s, st, "append audit record");
}

int dipr_store_audit_list(dipr_store *s, int64_t before, int64_t limit, json_t **out)
{
	PREPARE(st, "SELECT id, time, account, actor, role, action, target, ip, outcome, detail FROM audit"
		    " WHERE (?1 = 0 OR id < ?1) ORDER BY id DESC LIMIT ?2");
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, limit > 0 && limit <= 1000 ? limit : 100);
	return collect(s, st, false, out, "read audit trail");
}

int dipr_store_account_by_id(dipr_store *s, int64_t id, dipr_account *a)
{
	PREPARE(st, "SELECT id, name, role FROM account WHERE id = ?1");
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st), rc = DIPR_ENOTFOUND;
	if (r == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		snprintf(a->name, sizeof a->name, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(a->role, sizeof a->role, "%s", (const char *)sqlite3_column_text(st, 2));
		rc = 0;
	} else if (r != SQLITE_DONE) {
		rc = dipr__db_err(s, "read account");
	}
	sqlite3_reset(st);
	return rc;
}
