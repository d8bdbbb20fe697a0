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
	/* PostgreSQL: dipr_store_open made or checked every table already
	 * (dipr__pg_schema); this DDL is SQLite's. */
	if (db_is_pg(s->db))
		return 0;
	if (db_exec(s->db, reg_schema) != SQLITE_OK)
		return dipr__db_err(s, "create registry tables");
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void bind_text(dipr_dbst *st, int i, const char *v)
{
	if (v)
		db_bind_text(st, i, v, -1);
	else
		db_bind_null(st, i);
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

static json_t *row_object(dipr_dbst *st)
{
	json_t *o = json_object();
	int n = db_column_count(st);
	for (int i = 0; o && i < n; i++) {
		const char *name = db_column_name(st, i);
		json_t *v;
		switch (db_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(db_column_int64(st, i));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default: {
			const char *t = (const char *)db_column_text(st, i);
			size_t len = (size_t)db_column_bytes(st, i);
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
static int collect(dipr_store *s, dipr_dbst *st, bool one, json_t **out, const char *what)
{
	json_t *a = one ? NULL : json_array();
	int r, rc = 0;
	*out = NULL;
	if (!one && !a)
		return DIPR_ENOMEM;
	while ((r = db_step(st)) == SQLITE_ROW) {
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
	db_reset(st);
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
	dipr_dbst *st = dipr__sql(s, sql);                                                                            \
	if (!st)                                                                                                      \
		return DIPR_EIO

/* ---- applications ---- */

int dipr_store_app_put(dipr_store *s, dipr_store_app *a)
{
	int64_t now = now_ms();
	dipr_dbst *st;
	int64_t new_id = 0;
	/* Parameters without gaps (PostgreSQL cannot type an unused one):
	 * ?12 next_due in both, ?13 the id of the UPDATE. */
	if (a->id == 0) {
		st = dipr__sql(s, "INSERT INTO app(owner, state, reg, doc, extra, regno, certno, applicant_id, closed_on,"
				  " head, created, updated, next_due) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)"
				  " RETURNING id");
	} else {
		st = dipr__sql(s, "UPDATE app SET owner = ?1, state = ?2, reg = ?3, doc = ?4, extra = ?5, regno = ?6,"
				  " certno = ?7, applicant_id = ?8, closed_on = ?9, head = ?10, updated = ?11, next_due = ?12 WHERE id = ?13");
	}
	if (!st)
		return DIPR_EIO;
	db_bind_int64(st, 1, a->owner);
	bind_text(st, 2, a->state);
	bind_text(st, 3, a->reg);
	bind_text(st, 4, a->doc);
	bind_text(st, 5, a->extra);
	bind_text(st, 6, a->regno);
	bind_text(st, 7, a->certno);
	bind_text(st, 8, a->applicant_id);
	bind_text(st, 9, a->closed_on);
	if (a->head >= 0)
		db_bind_int64(st, 10, a->head);
	db_bind_int64(st, 11, now);
	bind_text(st, 12, a->next_due);
	if (a->id)
		db_bind_int64(st, 13, a->id);
	int r = db_step(st);
	if (r == SQLITE_ROW && a->id == 0) { /* RETURNING id; the next step ends the INSERT */
		new_id = db_column_int64(st, 0);
		r = db_step(st);
	}
	db_reset(st);
	if (r != SQLITE_DONE) {
		if (db_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			return dipr__err(DIPR_ECONFLICT, "registration number %s is taken", a->regno ? a->regno : "");
		return dipr__db_err(s, "write application");
	}
	if (a->id == 0)
		a->id = new_id;
	else if (db_changes(s->db) != 1)
		return dipr__err(DIPR_ENOTFOUND, "application %lld not found", (long long)a->id);
	return 0;
}

#define APP_COLS                                                                                                      \
	"a.id, a.owner, u.name AS owner_name, a.state, a.regno, a.certno, a.applicant_id, a.closed_on, a.head,"      \
	" a.created, a.updated"

int dipr_store_app_get(dipr_store *s, int64_t id, const char *regno, json_t **out)
{
	dipr_dbst *st;
	if (regno) {
		st = dipr__sql(s, "SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner"
				  " WHERE a.regno = ?1");
		if (st)
			db_bind_text(st, 1, regno, -1);
	} else {
		st = dipr__sql(s, "SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner"
				  " WHERE a.id = ?1");
		if (st)
			db_bind_int64(st, 1, id);
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
	/* PostgreSQL: strpos() for instr(), ->> and #>> for json_extract()
	 * (doc is TEXT there too: seals cover its exact bytes); the casts type
	 * the parameters that may be NULL (the server cannot infer a type from
	 * "?N IS NULL" alone). */
#define PG_APP_WHERE                                                                                                  \
	" WHERE (?1::bigint IS NULL OR a.owner = ?1)"                                                                 \
	" AND (?2::text IS NULL OR strpos(',' || ?2::text || ',', ',' || a.state || ',') > 0)"                        \
	" AND (?3::text IS NULL OR strpos(a.doc::json ->> 'data_name', ?3) > 0"                                       \
	"  OR strpos(a.doc::json #>> '{applicant,name}', ?3) > 0 OR strpos(a.regno, ?3) > 0"                          \
	"  OR strpos(a.certno, ?3) > 0) AND (?4 = 0 OR a.regno IS NOT NULL)"                                          \
	" ORDER BY a.id DESC LIMIT ?5 OFFSET ?6"
	static const char full_pg[] =
		"SELECT " APP_COLS ", a.reg, a.doc, a.extra FROM app a JOIN account u ON u.id = a.owner" PG_APP_WHERE;
	static const char brief_pg[] =
		"SELECT " APP_COLS ", (a.doc::json ->> 'data_name') AS data_name,"
		" (a.doc::json #>> '{applicant,name}') AS holder_name FROM app a JOIN account u ON u.id = a.owner"
		PG_APP_WHERE;
#undef PG_APP_WHERE
	dipr_dbst *st = brief ? dipr__sql_pg(s, brief_sql, brief_pg) : dipr__sql_pg(s, full, full_pg);
	if (!st)
		return DIPR_EIO;
	if (f->owner > 0)
		db_bind_int64(st, 1, f->owner);
	bind_text(st, 2, f->states);
	bind_text(st, 3, f->q && *f->q ? f->q : NULL);
	db_bind_int(st, 4, f->registered_only);
	db_bind_int64(st, 5, f->limit > 0 ? f->limit : 100);
	db_bind_int64(st, 6, f->offset > 0 ? f->offset : 0);
	return collect(s, st, false, out, "list applications");
}

int dipr_store_app_active(dipr_store *s, const char *today, int64_t **ids, size_t *n)
{
	PREPARE(st, "SELECT id FROM app WHERE next_due IS NOT NULL AND next_due <= ?1 ORDER BY id");
	db_bind_text(st, 1, today, -1);
	size_t cap = 0;
	int r;
	*ids = NULL;
	*n = 0;
	while ((r = db_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *v = realloc(*ids, cap * sizeof *v);
			if (!v) {
				db_reset(st);
				return DIPR_ENOMEM;
			}
			*ids = v;
		}
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	db_reset(st);
	return r == SQLITE_DONE ? 0 : dipr__db_err(s, "list active applications");
}

int dipr_store_app_digest_add(dipr_store *s, int64_t app, const char *digest)
{
	PREPARE(st, "INSERT INTO app_digest(digest, app) VALUES(?1, ?2) ON CONFLICT DO NOTHING");
	db_bind_text(st, 1, digest, -1);
	db_bind_int64(st, 2, app);
	return dipr__step_done(s, st, "record evidence digest");
}

int dipr_store_app_repeat(dipr_store *s, const char *digest, int64_t owner, const char *applicant_id,
			  const char *since, int64_t *app, char closed_on[11])
{
	PREPARE(st, "SELECT a.id, a.closed_on FROM app_digest d JOIN app a ON a.id = d.app"
		    " WHERE d.digest = ?1 AND a.state = 'withdrawn' AND a.closed_on >= ?4"
		    " AND (a.owner = ?2 OR a.applicant_id = ?3) ORDER BY a.closed_on DESC LIMIT 1");
	db_bind_text(st, 1, digest, -1);
	db_bind_int64(st, 2, owner);
	bind_text(st, 3, applicant_id);
	db_bind_text(st, 4, since, -1);
	int r = db_step(st), rc = DIPR_ENOTFOUND;
	if (r == SQLITE_ROW) {
		*app = db_column_int64(st, 0);
		snprintf(closed_on, 11, "%s", (const char *)db_column_text(st, 1));
		rc = 0;
	} else if (r != SQLITE_DONE) {
		rc = dipr__db_err(s, "repeat-filing check");
	}
	db_reset(st);
	return rc;
}

/* ---- events ---- */

int dipr_store_event_add(dipr_store *s, uint64_t idx, int64_t app, const char *name, const char *body)
{
	PREPARE(st, "INSERT INTO event(idx, app, name, body) VALUES(?1, ?2, ?3, ?4)");
	db_bind_int64(st, 1, (int64_t)idx);
	db_bind_int64(st, 2, app);
	db_bind_text(st, 3, name, -1);
	db_bind_text(st, 4, body, -1);
	return dipr__step_done(s, st, "record event");
}

int dipr_store_event_list(dipr_store *s, int64_t app, json_t **out)
{
	PREPARE(st, "SELECT idx, app, name, body FROM event WHERE app = ?1 ORDER BY idx");
	db_bind_int64(st, 1, app);
	return collect(s, st, false, out, "read events");
}

/* ---- objections ---- */

int dipr_store_objection_add(dipr_store *s, int64_t app, const char *data, const uint8_t key_hash[32], int64_t *id)
{
	PREPARE(st, "INSERT INTO objection(app, state, data, key_hash, created) VALUES(?1, 'open', ?2, ?3, ?4)"
		    " RETURNING id");
	db_bind_int64(st, 1, app);
	db_bind_text(st, 2, data, -1);
	db_bind_blob(st, 3, key_hash, 32);
	db_bind_int64(st, 4, now_ms());
	int64_t new_id = 0;
	int r = db_step(st);
	if (r == SQLITE_ROW) { /* RETURNING id; the next step ends the INSERT */
		new_id = db_column_int64(st, 0);
		r = db_step(st);
	}
	db_reset(st);
	if (r != SQLITE_DONE)
		return dipr__db_err(s, "record objection");
	*id = new_id;
	return 0;
}

int dipr_store_objection_decide(dipr_store *s, int64_t id, const char *state, const char *data)
{
	PREPARE(st, "UPDATE objection SET state = ?2, data = ?3, decided = ?4 WHERE id = ?1 AND state = 'open'");
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state, -1);
	db_bind_text(st, 3, data, -1);
	db_bind_int64(st, 4, now_ms());
	int rc = dipr__step_done(s, st, "decide objection");
	if (!rc && db_changes(s->db) != 1)
		rc = dipr__err(DIPR_ECONFLICT, "objection %lld is not open", (long long)id);
	return rc;
}

int dipr_store_objection_get(dipr_store *s, int64_t id, json_t **out)
{
	PREPARE(st, "SELECT id, app, state, data, created, decided FROM objection WHERE id = ?1");
	db_bind_int64(st, 1, id);
	return collect(s, st, true, out, "read objection");
}

int dipr_store_objection_key_check(dipr_store *s, int64_t id, const uint8_t key_hash[32])
{
	PREPARE(st, "SELECT key_hash FROM objection WHERE id = ?1");
	db_bind_int64(st, 1, id);
	int r = db_step(st), rc = DIPR_EVERIFY;
	if (r == SQLITE_ROW && db_column_bytes(st, 0) == 32 &&
	    CRYPTO_memcmp(db_column_blob(st, 0), key_hash, 32) == 0)
		rc = 0;
	else if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = dipr__db_err(s, "read objection");
	db_reset(st);
	return rc;
}

int dipr_store_objection_list(dipr_store *s, int64_t app, const char *state, json_t **out)
{
	/* PostgreSQL cannot infer a type for a parameter left NULL from
	 * "?N IS NULL" alone: its text casts them. */
	static const char sql[] = "SELECT id, app, state, data, created, decided FROM objection"
				  " WHERE (?1 IS NULL OR app = ?1) AND (?2 IS NULL OR state = ?2) ORDER BY id";
	static const char pg_sql[] = "SELECT id, app, state, data, created, decided FROM objection"
				     " WHERE (?1::bigint IS NULL OR app = ?1) AND (?2::text IS NULL OR state = ?2) ORDER BY id";
	dipr_dbst *st = dipr__sql_pg(s, sql, pg_sql);
	if (!st)
		return DIPR_EIO;
	if (app > 0)
		db_bind_int64(st, 1, app);
	bind_text(st, 2, state);
	return collect(s, st, false, out, "list objections");
}

/* ---- certificates ---- */

int dipr_store_cert_add(dipr_store *s, const char *certno, const char *regno, int64_t app, int version, uint64_t idx,
			const char *file)
{
	PREPARE(st, "INSERT INTO cert(certno, regno, app, version, idx, file, status, created)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'current', ?7)");
	db_bind_text(st, 1, certno, -1);
	db_bind_text(st, 2, regno, -1);
	db_bind_int64(st, 3, app);
	db_bind_int(st, 4, version);
	db_bind_int64(st, 5, (int64_t)idx);
	db_bind_text(st, 6, file, -1);
	db_bind_int64(st, 7, now_ms());
	return dipr__step_done(s, st, "record certificate");
}

int dipr_store_cert_status(dipr_store *s, const char *certno, const char *status)
{
	PREPARE(st, "UPDATE cert SET status = ?2 WHERE certno = ?1");
	db_bind_text(st, 1, certno, -1);
	db_bind_text(st, 2, status, -1);
	return dipr__step_done(s, st, "update certificate");
}

int dipr_store_cert_get(dipr_store *s, const char *certno, json_t **out)
{
	PREPARE(st, "SELECT certno, regno, app, version, idx, file, status, created FROM cert WHERE certno = ?1");
	db_bind_text(st, 1, certno, -1);
	return collect(s, st, true, out, "read certificate");
}

int dipr_store_cert_list(dipr_store *s, const char *regno, json_t **out)
{
	PREPARE(st, "SELECT certno, regno, app, version, idx, status, created FROM cert WHERE regno = ?1 ORDER BY version");
	db_bind_text(st, 1, regno, -1);
	return collect(s, st, false, out, "list certificates");
}

/* ---- counters ---- */

int dipr_store_counter_next(dipr_store *s, const char *name, uint64_t *value)
{
	PREPARE(st, "INSERT INTO counter(name, value) VALUES(?1, 1)"
		    " ON CONFLICT(name) DO UPDATE SET value = counter.value + 1 RETURNING value");
	db_bind_text(st, 1, name, -1);
	int r = db_step(st), rc = 0;
	if (r == SQLITE_ROW)
		*value = (uint64_t)db_column_int64(st, 0);
	else
		rc = dipr__db_err(s, "counter");
	db_reset(st);
	return rc;
}

/* ---- audit ---- */

int dipr_store_audit_add(dipr_store *s, const dipr_store_audit *a, int64_t time_ms)
{
	PREPARE(st, "INSERT INTO audit(time, account, actor, role, action, target, ip, outcome, detail)"
		    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	db_bind_int64(st, 1, time_ms);
	if (a->account > 0)
		db_bind_int64(st, 2, a->account);
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
	db_bind_int64(st, 1, before);
	db_bind_int64(st, 2, limit > 0 && limit <= 1000 ? limit : 100);
	return collect(s, st, false, out, "read audit trail");
}

int dipr_store_account_by_id(dipr_store *s, int64_t id, dipr_account *a)
{
	PREPARE(st, "SELECT id, name, role FROM account WHERE id = ?1");
	db_bind_int64(st, 1, id);
	int r = db_step(st), rc = DIPR_ENOTFOUND;
	if (r == SQLITE_ROW) {
		a->id = db_column_int64(st, 0);
		snprintf(a->name, sizeof a->name, "%s", (const char *)db_column_text(st, 1));
		snprintf(a->role, sizeof a->role, "%s", (const char *)db_column_text(st, 2));
		rc = 0;
	} else if (r != SQLITE_DONE) {
		rc = dipr__db_err(s, "read account");
	}
	db_reset(st);
	return rc;
}
