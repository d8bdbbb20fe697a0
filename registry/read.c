/* read.c — the registry's read side (service.h "reads"): what each role
 * may see, and the proofs that let anyone check a public record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dipr/cert.h"
#include "dipr/hash.h"
#include "internal.h"
#include "jcs.h"
#include "registry/application.h"
#include "registry/service.h"

static unsigned fail(json_t **out, unsigned status, const char *code, const char *msg)
{
	*out = dipr_registry_error(code, "%s", msg);
	return status;
}

#define DB_FAIL(out) fail(out, 503, "unavailable", "database unavailable")

static bool is_role(const dipr_reg_actor_info *who, const char *role) { return who && strcmp(who->role, role) == 0; }

/* Events of an application: [{index, event, body?}]: body (examiners
 * only: it holds earlier holders' and objectors' details) is the full
 * record whose SM3 (of its canonical JSON) is the entry's body_hash. */
static json_t *event_names(dipr_store *s, int64_t app, bool bodies)
{
	json_t *ev = NULL, *out = json_array(), *it;
	size_t i;
	if (dipr_store_event_list(s, app, &ev))
		return out;
	json_array_foreach(ev, i, it)
		json_array_append_new(out, json_pack("{s:O,s:O}", "index", json_object_get(it, "idx"), "event",
						     json_object_get(it, "name")));
	if (bodies) /* full records: earlier holders' and objectors' details too */
		json_array_foreach(ev, i, it)
			json_object_set(json_array_get(out, i), "body", json_object_get(it, "body"));
	json_decref(ev);
	return out;
}

unsigned dipr_registry_read_app(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who, int64_t id,
				json_t **out)
{
	json_t *row = NULL, *obj = NULL;
	int rc = dipr_store_app_get(s, id, NULL, &row);
	if (rc && rc != DIPR_ENOTFOUND)
		return DB_FAIL(out);
	int64_t owner = row ? json_integer_value(json_object_get(row, "owner")) : 0;
	/* Another applicant's application does not exist, as far as they know. */
	if (rc || !(is_role(who, "examiner") || (is_role(who, "applicant") && who->id == owner))) {
		json_decref(row);
		char msg[96];
		snprintf(msg, sizeof msg, "application %lld: no such application", (long long)id);
		return fail(out, 404, "not_found", msg);
	}
	dipr_store_objection_list(s, id, NULL, &obj);
	bool examiner = is_role(who, "examiner");
	if (!examiner) { /* objectors' contacts are for examiners */
		size_t i;
		json_t *it;
		json_array_foreach(obj, i, it)
			json_object_del(json_object_get(it, "data"), "contact");
	}
	json_t *extra = json_object_get(row, "extra");
	*out = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:o}", "id", json_object_get(row, "id"), "owner",
			 json_object_get(row, "owner_name"), "state", json_object_get(row, "state"), "record",
			 json_object_get(row, "reg"), "application", json_object_get(row, "doc"), "regno",
			 json_object_get(row, "regno"), "certno", json_object_get(row, "certno"), "created",
			 json_object_get(row, "created"), "updated", json_object_get(row, "updated"), "events",
			 event_names(s, id, examiner), "objections", obj ? obj : json_array());
	const char *k;
	json_t *v;
	json_object_foreach(extra, k, v)
		json_object_set(*out, k, v);
	json_decref(row);
	return 200;
}

unsigned dipr_registry_read_apps(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who,
				 const char *states, const char *q, json_t **out)
{
	dipr_store_app_filter f = {0};
	json_t *list = NULL;
	if (is_role(who, "applicant"))
		f.owner = who->id;
	else if (!is_role(who, "examiner"))
		return fail(out, 403, "forbidden", "listing applications needs the applicant or examiner role");
	f.states = states;
	f.q = q;
	f.limit = 500;
	if (dipr_store_app_list(s, &f, true, &list))
		return DB_FAIL(out);
	*out = json_pack("{s:o}", "applications", list);
	return 200;
}

unsigned dipr_registry_read_notices(dipr_registry *r, dipr_store *s, json_t **out)
{
	dipr_store_app_filter f = {0};
	json_t *rows = NULL, *list = json_array(), *it;
	size_t i;
	f.states = "notice,suspended";
	f.limit = 1000;
	if (dipr_store_app_list(s, &f, false, &rows)) {
		json_decref(list);
		return DB_FAIL(out);
	}
	json_array_foreach(rows, i, it) {
		json_t *reg = json_object_get(it, "reg");
		json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:O,s:O,s:o}", "application", json_object_get(it, "id"),
						      "state", json_object_get(it, "state"), "notice_start",
						      json_object_get(reg, "notice_start"), "notice_end",
						      json_object_get(reg, "notice_end"), "open_objections",
						      json_object_get(reg, "open_objections"), "public",
						      dipr_app_public_view(json_object_get(it, "doc"))));
	}
	json_decref(rows);
	*out = json_pack("{s:o}", "notices", list);
	return 200;
}

/* The entries of one application's history, each with a tlog-proof to
 * the same checkpoint. */
static json_t *history(dipr_registry *r, dipr_store *s, int64_t app, dipr_cp *cp)
{
	json_t *ev = NULL, *out = json_array(), *it;
	size_t i;
	dipr_log *log = dipr_registry_log(r);
	if (dipr_store_event_list(s, app, &ev)) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach(ev, i, it) {
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(it, "idx"));
		dipr_buf e, proof;
		if (idx >= cp->size)
			break; /* committed after this checkpoint was taken */
		dipr_buf_init(&e, DIPR_ENTRY_MAX);
		dipr_buf_init(&proof, DIPR_TLOG_PROOF_MAX);
		int rc = dipr_store_entry(s, idx, &e);
		if (!rc)
			rc = dipr_log_receipt(log, s, idx, e.p, e.n, cp, &proof);
		if (!rc) {
			json_t *entry = json_loadb((const char *)e.p, e.n, 0, NULL);
			json_array_append_new(out, json_pack("{s:I,s:O,s:o,s:s%}", "index", (json_int_t)idx, "event",
							     json_object_get(it, "name"), "entry", entry ? entry : json_null(),
							     "tlog_proof", (const char *)proof.p, proof.n));
		}
		dipr_buf_free(&e);
		dipr_buf_free(&proof);
		if (rc) {
			json_decref(ev);
			json_decref(out);
			return NULL;
		}
	}
	json_decref(ev);
	return out;
}

unsigned dipr_registry_read_record(dipr_registry *r, dipr_store *s, const char *regno, json_t **out)
{
	json_t *row = NULL, *certs = NULL;
	int rc = dipr_store_app_get(s, 0, regno, &row);
	if (rc == DIPR_ENOTFOUND) {
		char msg[96];
		snprintf(msg, sizeof msg, "registration %.20s: no such registration", regno);
		return fail(out, 404, "not_found", msg);
	}
	if (rc || dipr_store_cert_list(s, regno, &certs)) {
		json_decref(row);
		return DB_FAIL(out);
	}
	json_t *reg = json_object_get(row, "reg"), *extra = json_object_get(row, "extra");
	int64_t id = json_integer_value(json_object_get(row, "id"));
	dipr_cp *cp = dipr_log_checkpoint(dipr_registry_log(r));
	json_t *hist = history(r, s, id, cp);
	if (!hist) {
		dipr_cp_release(cp);
		json_decref(row);
		json_decref(certs);
		return DB_FAIL(out);
	}
	/* Public status: the state machine's reading of the stored record. */
	dipr_reg g;
	const char *status = json_string_value(json_object_get(reg, "state"));
	if (dipr_registry_reg_from_json(reg, &g) == 0)
		status = dipr_reg_status(&g);
	json_t *lic = json_array(), *it;
	size_t i;
	json_array_foreach(json_object_get(extra, "licenses"), i, it)
		json_array_append_new(lic, json_pack("{s:O,s:O,s:O,s:O}", "licensee", json_object_get(it, "licensee"),
						     "start", json_object_get(it, "start"), "end", json_object_get(it, "end"),
						     "recorded", json_object_get(it, "recorded")));
	json_t *pledge = json_object_get(extra, "pledge");
	json_t *pl = pledge ? json_pack("{s:O,s:O,s:O}", "pledgee", json_object_get(pledge, "pledgee"), "since",
					json_object_get(pledge, "since"), "end", json_object_get(pledge, "end"))
			    : json_null();
	json_t *cl = json_array();
	json_array_foreach(certs, i, it)
		json_array_append_new(cl, json_pack("{s:O,s:O,s:O,s:O}", "certno", json_object_get(it, "certno"), "version",
						    json_object_get(it, "version"), "status", json_object_get(it, "status"),
						    "index", json_object_get(it, "idx")));
	*out = json_pack("{s:s,s:O,s:s,s:O,s:O,s:O,s:O,s:b,s:o,s:o,s:o,s:o,s:o,s:s%}", "regno", regno, "application",
			 json_object_get(row, "id"), "status", status, "certno", json_object_get(row, "certno"),
			 "registered", json_object_get(reg, "registered_on"), "valid_until",
			 json_object_get(reg, "valid_until"), "version", json_object_get(reg, "version"), "pledged",
			 json_is_true(json_object_get(reg, "pledged")), "pledge", pl, "licenses", lic, "certificates", cl,
			 "public", dipr_app_public_view(json_object_get(row, "doc")), "history", hist, "checkpoint",
			 (const char *)cp->note, cp->len);
	dipr_cp_release(cp);
	json_decref(row);
	json_decref(certs);
	return 200;
}

unsigned dipr_registry_search(dipr_registry *r, dipr_store *s, const char *q, json_t **out)
{
	dipr_store_app_filter f = {0};
	json_t *rows = NULL, *list = json_array(), *it;
	size_t i;
	f.q = q;
	f.registered_only = true;
	f.limit = 200;
	if (q && strlen(q) > 200) {
		json_decref(list);
		return fail(out, 400, "bad_request", "query parameter q: at most 200 bytes");
	}
	if (dipr_store_app_list(s, &f, true, &rows)) {
		json_decref(list);
		return DB_FAIL(out);
	}
	json_array_foreach(rows, i, it)
		json_array_append_new(list, json_pack("{s:O,s:O,s:O,s:O,s:O}", "regno", json_object_get(it, "regno"), "certno",
						      json_object_get(it, "certno"), "data_name", json_object_get(it, "data_name"),
						      "holder", json_object_get(it, "holder_name"), "state",
						      json_object_get(it, "state")));
	json_decref(rows);
	*out = json_pack("{s:o}", "registrations", list);
	return 200;
}

unsigned dipr_registry_read_cert(dipr_registry *r, dipr_store *s, const char *certno, char **text, json_t **err)
{
	json_t *row = NULL;
	*text = NULL;
	int rc = dipr_store_cert_get(s, certno, &row);
	if (rc == DIPR_ENOTFOUND) {
		char msg[96];
		snprintf(msg, sizeof msg, "certificate %.20s: no such certificate", certno);
		return fail(err, 404, "not_found", msg);
	}
	if (rc)
		return DB_FAIL(err);
	uint64_t idx = (uint64_t)json_integer_value(json_object_get(row, "idx"));
	dipr_cp *cp = dipr_log_checkpoint(dipr_registry_log(r));
	dipr_buf e, proof, outb;
	dipr_buf_init(&e, DIPR_ENTRY_MAX);
	dipr_buf_init(&proof, DIPR_TLOG_PROOF_MAX);
	dipr_buf_init(&outb, DIPR_CERT_MAX);
	json_t *file = json_deep_copy(json_object_get(row, "file"));
	rc = idx < cp->size ? dipr_store_entry(s, idx, &e) : DIPR_ENOTFOUND;
	if (!rc)
		rc = dipr_log_receipt(dipr_registry_log(r), s, idx, e.p, e.n, cp, &proof);
	if (!rc && (!file || json_object_set_new(file, "tlog_proof", json_stringn((const char *)proof.p, proof.n))))
		rc = DIPR_ENOMEM;
	if (!rc && !(rc = dipr__jcs_encode(file, &outb)) && !(rc = dipr_buf_adds(&outb, "\n")))
		*text = (char *)dipr_buf_detach(&outb, NULL);
	json_decref(file);
	json_decref(row);
	dipr_cp_release(cp);
	dipr_buf_free(&e);
	dipr_buf_free(&proof);
	dipr_buf_free(&outb);
	return rc ? DB_FAIL(err) : 200;
}

unsigned dipr_registry_read_objection(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who, int64_t id,
				      const char *key, json_t **out)
{
	json_t *o = NULL, *app = NULL;
	char msg[96];
	snprintf(msg, sizeof msg, "objection %lld: no such objection (or no access to it)", (long long)id);
	int rc = dipr_store_objection_get(s, id, &o);
	if (rc == DIPR_ENOTFOUND)
		return fail(out, 404, "not_found", msg);
	if (rc)
		return DB_FAIL(out);
	bool examiner = is_role(who, "examiner"), objector = false, owner = false;
	if (key && strlen(key) == 32) {
		uint8_t kh[DIPR_HASH_LEN];
		dipr_hash(DIPR_HASH_SHA256, key, 32, kh);
		objector = dipr_store_objection_key_check(s, id, kh) == 0;
	}
	if (!examiner && !objector && is_role(who, "applicant") &&
	    dipr_store_app_get(s, json_integer_value(json_object_get(o, "app")), NULL, &app) == 0)
		owner = json_integer_value(json_object_get(app, "owner")) == who->id;
	json_decref(app);
	if (!examiner && !objector && !owner) {
		json_decref(o);
		return fail(out, 404, "not_found", msg);
	}
	if (owner) /* the objector's contact is for examiners (and the objector) */
		json_object_del(json_object_get(o, "data"), "contact");
	*out = o;
	return 200;
}

unsigned dipr_registry_read_objections(dipr_registry *r, dipr_store *s, const char *state, json_t **out)
{
	json_t *list = NULL;
	if (dipr_store_objection_list(s, 0, state, &list))
		return DB_FAIL(out);
	*out = json_pack("{s:o}", "objections", list);
	return 200;
}
