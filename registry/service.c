/* service.c — the registration workflow as sequencer jobs (service.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dipr/cert.h"
#include "dipr/hash.h"
#include "dipr/ident.h"
#include "dipr/sample.h"
#include "internal.h"
#include "jcs.h"
#include "registry/application.h"
#include "registry/service.h"

#define CHINA_UTC_OFFSET (8 * 3600)
#define TEXT_MAX 5000 /* reasons, licence scope, ... (characters are checked as bytes here) */

struct dipr_registry {
	dipr_log *log;
	dipr_reg_config cfg;
	dipr_calendar *calendar;
	int body_code;
	int repeat_months;
	char issuer[256];
	char public_url[256];
	bool public_url_set;
	bool test_clock;
	pthread_mutex_t mu;
	int64_t clock_offset_s; /* test clock: added to the real time */
	/* ticker */
	pthread_t thread;
	bool running, stopping;
	unsigned period_s;
	pthread_cond_t cv;
};

json_t *dipr_registry_error(const char *code, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
}

/* Sets op's answer to an error; returns 1 (the job's "refused"). */
static int refuse(dipr_reg_op *op, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(dipr_reg_op *op, unsigned status, const char *code, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_decref(op->answer);
	op->status = status;
	op->answer = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	return 1;
}

/* ---- configuration and clock ---- */

static int cfg_int(json_t *cfg, const char *name, int32_t *out, int64_t max)
{
	json_t *v = json_object_get(cfg, name);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max)
		return dipr__err(DIPR_EINVAL, "registry.json: %s: expected an integer 1..%lld", name, (long long)max);
	*out = (int32_t)json_integer_value(v);
	return 0;
}

static int cfg_str(json_t *cfg, const char *name, char *out, size_t cap)
{
	json_t *v = json_object_get(cfg, name);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap)
		return dipr__err(DIPR_EINVAL, "registry.json: %s: expected a string of 1..%zu bytes", name, cap - 1);
	snprintf(out, cap, "%s", json_string_value(v));
	return 0;
}

static int load_config(dipr_registry *r, const char *dir)
{
	char path[4200];
	dipr_buf b;
	int rc = 0;
	json_t *cfg = NULL;
	dipr_buf_init(&b, 1 << 20);
	snprintf(path, sizeof path, "%s/registry.json", dir);
	if (access(path, F_OK) == 0) {
		if ((rc = dipr_read_file(path, 1 << 20, &b)))
			goto out;
		if ((rc = dipr__json_parse(b.p, b.n, 4, "registry.json", &cfg)))
			goto out;
		static const char *const known[] = {"review_working_days", "notice_working_days", "correction_days",
						    "correction_in_working_days", "objection_decision_days",
						    "validity_years", "renewal_window_months", "repeat_filing_months",
						    "body_code", "issuer", "public_url"};
		const char *k;
		json_t *v;
		json_object_foreach(cfg, k, v) {
			size_t i;
			for (i = 0; i < sizeof known / sizeof *known && strcmp(k, known[i]); i++)
				;
			if (i == sizeof known / sizeof *known) {
				rc = dipr__err(DIPR_EINVAL, "registry.json: %s: unknown setting", k);
				goto out;
			}
		}
		int32_t body = r->body_code, rep = r->repeat_months;
		if ((rc = cfg_int(cfg, "review_working_days", &r->cfg.review_working_days, DIPR_CALENDAR_MAX_N)) ||
		    (rc = cfg_int(cfg, "notice_working_days", &r->cfg.notice_working_days, DIPR_CALENDAR_MAX_N)) ||
		    (rc = cfg_int(cfg, "correction_days", &r->cfg.correction_days, DIPR_CALENDAR_MAX_N)) ||
		    (rc = cfg_int(cfg, "objection_decision_days", &r->cfg.objection_decision_days, DIPR_CALENDAR_MAX_N)) ||
		    (rc = cfg_int(cfg, "validity_years", &r->cfg.validity_years, 100)) ||
		    (rc = cfg_int(cfg, "renewal_window_months", &r->cfg.renewal_window_months, 1200)) ||
		    (rc = cfg_int(cfg, "repeat_filing_months", &rep, 1200)) ||
		    (rc = cfg_int(cfg, "body_code", &body, 9999)) ||
		    (rc = cfg_str(cfg, "issuer", r->issuer, sizeof r->issuer)) ||
		    (rc = cfg_str(cfg, "public_url", r->public_url, sizeof r->public_url)))
			goto out;
		if (json_object_get(cfg, "public_url"))
			r->public_url_set = true;
		r->body_code = body;
		r->repeat_months = rep;
		json_t *w = json_object_get(cfg, "correction_in_working_days");
		if (w && !json_is_boolean(w)) {
			rc = dipr__err(DIPR_EINVAL, "registry.json: correction_in_working_days: expected true or false");
			goto out;
		}
		r->cfg.correction_in_working_days = json_is_true(w);
	}
	dipr_buf_reset(&b);
	snprintf(path, sizeof path, "%s/calendar.txt", dir);
	if (access(path, F_OK) == 0) {
		if ((rc = dipr_read_file(path, 1 << 20, &b)) ||
		    (rc = dipr_calendar_parse((const char *)b.p, b.n, "calendar.txt", &r->calendar)))
			goto out;
		r->cfg.calendar = r->calendar;
	}
	if (strncmp(r->public_url, "http://", 7) != 0 && strncmp(r->public_url, "https://", 8) != 0)
		rc = dipr__err(DIPR_EINVAL, "registry.json: public_url: expected http:// or https://");
	else
		rc = dipr_reg_config_check(&r->cfg);
out:
	json_decref(cfg);
	dipr_buf_free(&b);
	return rc;
}

int dipr_registry_open(dipr_registry **out, dipr_log *log, const char *public_url_default)
{
	dipr_registry *r = calloc(1, sizeof *r);
	char v[16];
	int rc;
	if (!r)
		return DIPR_ENOMEM;
	r->log = log;
	dipr_reg_config_default(&r->cfg);
	r->body_code = DIPR_CERTNO_BODY_DEFAULT;
	r->repeat_months = 3;
	snprintf(r->issuer, sizeof r->issuer, "%s", "dipr registration body");
	snprintf(r->public_url, sizeof r->public_url, "%s", public_url_default ? public_url_default : "http://127.0.0.1:8080");
	r->public_url_set = public_url_default != NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if ((rc = load_config(r, dipr_log_dir(log)))) {
		dipr_registry_close(r);
		return rc;
	}
	/* The test clock is a property of the data directory, fixed at init. */
	dipr_store *s = NULL;
	if (dipr_store_open(&s, dipr_log_target(log), 0) == 0) {
		char off[32];
		if (dipr_store_meta_get(s, "test_clock", v, sizeof v) == 0 && strcmp(v, "1") == 0)
			r->test_clock = true;
		/* the moved date survives restarts (offset from the real clock) */
		if (r->test_clock && dipr_store_meta_get(s, "test_clock_offset", off, sizeof off) == 0)
			r->clock_offset_s = strtoll(off, NULL, 10);
		dipr_store_close(s);
	}
	*out = r;
	return 0;
}

void dipr_registry_default_public_url(dipr_registry *r, const char *url)
{
	if (!r->public_url_set)
		snprintf(r->public_url, sizeof r->public_url, "%s", url);
}

dipr_date dipr_registry_today(dipr_registry *r)
{
	dipr_date d = {0};
	pthread_mutex_lock(&r->mu);
	int64_t t = (int64_t)time(NULL) + r->clock_offset_s;
	pthread_mutex_unlock(&r->mu);
	dipr_date_from_unix(t, CHINA_UTC_OFFSET, &d);
	return d;
}

bool dipr_registry_has_test_clock(dipr_registry *r) { return r->test_clock; }
const dipr_reg_config *dipr_registry_config(dipr_registry *r) { return &r->cfg; }
dipr_log *dipr_registry_log(dipr_registry *r) { return r->log; }

static int tick_all(dipr_registry *r)
{
	dipr_reg_op op = {.kind = DIPR_OP_TICK_ALL};
	snprintf(op.actor.role, sizeof op.actor.role, "system");
	snprintf(op.actor.name, sizeof op.actor.name, "ticker");
	snprintf(op.action, sizeof op.action, "tick");
	int rc = dipr_registry_run(r, &op);
	dipr_reg_op_clear(&op);
	return rc;
}

int dipr_registry_set_today(dipr_registry *r, dipr_date d)
{
	if (!r->test_clock)
		return dipr__err(DIPR_EINVAL, "this data directory has no test clock (dipr init --test-clock)");
	dipr_date now;
	if (dipr_date_from_unix((int64_t)time(NULL), CHINA_UTC_OFFSET, &now))
		return DIPR_ERANGE;
	int64_t off = (int64_t)(d.days - now.days) * 86400;
	char offs[32];
	dipr_store *s = NULL;
	int rc;
	snprintf(offs, sizeof offs, "%lld", (long long)off);
	if ((rc = dipr_store_open(&s, dipr_log_target(r->log), 0)) || (rc = dipr_store_meta_set(s, "test_clock_offset", offs))) {
		dipr_store_close(s);
		return rc;
	}
	dipr_store_close(s);
	pthread_mutex_lock(&r->mu);
	r->clock_offset_s = off;
	pthread_mutex_unlock(&r->mu);
	return tick_all(r);
}

static void *ticker_main(void *arg)
{
	dipr_registry *r = arg;
	pthread_mutex_lock(&r->mu);
	while (!r->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += r->period_s;
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		if (r->stopping)
			break;
		pthread_mutex_unlock(&r->mu);
		/* Several nodes: deadlines are the sequencer's work. */
		if (dipr_log_is_sequencer(r->log))
			tick_all(r);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int dipr_registry_start(dipr_registry *r, unsigned period_s)
{
	r->period_s = period_s ? period_s : 60;
	if (pthread_create(&r->thread, NULL, ticker_main, r))
		return dipr__err(DIPR_ENOMEM, "cannot start the registry ticker");
	r->running = true;
	return tick_all(r) == DIPR_ESTOPPED ? DIPR_ESTOPPED : 0;
}

void dipr_registry_close(dipr_registry *r)
{
	if (!r)
		return;
	if (r->running) {
		pthread_mutex_lock(&r->mu);
		r->stopping = true;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
	}
	dipr_calendar_free(r->calendar);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

void dipr_reg_op_clear(dipr_reg_op *op)
{
	json_decref(op->body);
	json_decref(op->checked);
	json_decref(op->answer);
	op->body = op->checked = op->answer = NULL;
	dipr_log_req_clear(&op->lr);
}

/* ---- the record as JSON ---- */

static json_t *date_json(dipr_date d)
{
	char s[DIPR_DATE_STRLEN];
	if (dipr_date_format(d, s))
		return json_null();
	return json_string(s);
}

static json_t *reg_json(const dipr_reg *g)
{
	return json_pack("{s:s,s:I,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:b,s:b,s:i,s:i}", "state",
			 dipr_reg_state_name(g->state), "owner", (json_int_t)g->owner, "version", (int)g->version,
			 "submitted_on", date_json(g->submitted_on), "review_due", date_json(g->review_due),
			 "correction_due", date_json(g->correction_due), "notice_start", date_json(g->notice_start),
			 "notice_end", date_json(g->notice_end), "objection_due", date_json(g->objection_due),
			 "registered_on", date_json(g->registered_on), "valid_until", date_json(g->valid_until),
			 "agreement_end", date_json(g->agreement_end), "has_agreement_end", g->has_agreement_end,
			 "pledged", g->pledged, "overdue", g->overdue, "open_objections", (int)g->open_objections,
			 "licenses", (int)g->licenses);
}

static int state_from_name(const char *s, dipr_reg_state *out)
{
	for (int i = 0; i < DIPR_REG_NSTATES; i++)
		if (s && strcmp(s, dipr_reg_state_name((dipr_reg_state)i)) == 0) {
			*out = (dipr_reg_state)i;
			return 0;
		}
	return DIPR_EINVAL;
}

static void json_date(json_t *o, const char *k, dipr_date *d)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (s)
		dipr_date_parse(s, strlen(s), d);
}

int dipr_registry_reg_from_json(json_t *o, dipr_reg *g)
{
	dipr_reg_init(g, 0);
	if (!json_is_object(o) || state_from_name(json_string_value(json_object_get(o, "state")), &g->state))
		return dipr__err(DIPR_EIO, "database: application record is damaged");
	g->owner = (uint64_t)json_integer_value(json_object_get(o, "owner"));
	g->version = (uint32_t)json_integer_value(json_object_get(o, "version"));
	json_date(o, "submitted_on", &g->submitted_on);
	json_date(o, "review_due", &g->review_due);
	json_date(o, "correction_due", &g->correction_due);
	json_date(o, "notice_start", &g->notice_start);
	json_date(o, "notice_end", &g->notice_end);
	json_date(o, "objection_due", &g->objection_due);
	json_date(o, "registered_on", &g->registered_on);
	json_date(o, "valid_until", &g->valid_until);
	json_date(o, "agreement_end", &g->agreement_end);
	g->has_agreement_end = json_is_true(json_object_get(o, "has_agreement_end"));
	g->pledged = json_is_true(json_object_get(o, "pledged"));
	g->overdue = json_is_true(json_object_get(o, "overdue"));
	g->open_objections = (uint32_t)json_integer_value(json_object_get(o, "open_objections"));
	g->licenses = (uint32_t)json_integer_value(json_object_get(o, "licenses"));
	return 0;
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

/* ---- one application inside a job ---- */

typedef struct {
	dipr_reg_op *op;
	dipr_log_job *j;
	dipr_store *s;
	dipr_registry *r;
	dipr_date today;
	/* the row */
	int64_t id, owner;
	dipr_reg g;
	json_t *doc, *extra;
	char regno[17], certno[18], applicant_id[80], closed_on[11];
	int64_t head;
	bool changed;
	json_t *logged; /* [{index, event}] for the answer */
} app_ctx;

static void app_ctx_free(app_ctx *a)
{
	json_decref(a->doc);
	json_decref(a->extra);
	json_decref(a->logged);
}

static void copy_str(json_t *row, const char *k, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(row, k));
	snprintf(out, cap, "%s", v ? v : "");
}

/* Loads by id or regno.  1 (answered 404) if there is none. */
static int app_load(app_ctx *a, int64_t id, const char *regno)
{
	json_t *row = NULL;
	int rc = dipr_store_app_get(a->s, id, regno && *regno ? regno : NULL, &row);
	if (rc == DIPR_ENOTFOUND) {
		if (regno && *regno)
			return refuse(a->op, 404, "not_found", "registration %s: no such registration", regno);
		return refuse(a->op, 404, "not_found", "application %lld: no such application", (long long)id);
	}
	if (rc)
		return rc;
	a->id = json_integer_value(json_object_get(row, "id"));
	a->owner = json_integer_value(json_object_get(row, "owner"));
	rc = dipr_registry_reg_from_json(json_object_get(row, "reg"), &a->g);
	a->doc = json_incref(json_object_get(row, "doc"));
	a->extra = json_incref(json_object_get(row, "extra"));
	if (!json_is_object(a->extra)) {
		json_decref(a->extra);
		a->extra = json_object();
	}
	copy_str(row, "regno", a->regno, sizeof a->regno);
	copy_str(row, "certno", a->certno, sizeof a->certno);
	copy_str(row, "applicant_id", a->applicant_id, sizeof a->applicant_id);
	copy_str(row, "closed_on", a->closed_on, sizeof a->closed_on);
	json_t *h = json_object_get(row, "head");
	a->head = json_is_integer(h) ? json_integer_value(h) : -1;
	json_decref(row);
	return rc;
}

/* The first day on which dipr_reg_tick would change g (registry.h: a
 * deadline passes the day after it), or false when none can. */
static bool next_due(const dipr_reg *g, char out[DIPR_DATE_STRLEN])
{
	dipr_date d;
	switch (g->state) {
	case DIPR_REG_SUBMITTED:
		d = g->review_due;
		if (g->overdue)
			return false;
		break;
	case DIPR_REG_CORRECTION_REQUESTED:
		d = g->correction_due;
		break;
	case DIPR_REG_NOTICE:
		d = g->notice_end;
		break;
	case DIPR_REG_SUSPENDED:
		d = g->objection_due;
		if (g->overdue)
			return false;
		break;
	case DIPR_REG_REGISTERED:
		d = g->valid_until;
		break;
	default:
		return false;
	}
	return dipr_date_add_days(d, 1, &d) == 0 && dipr_date_format(d, out) == 0;
}

static int app_save(app_ctx *a)
{
	char due[DIPR_DATE_STRLEN];
	bool has_due = next_due(&a->g, due);
	json_t *gj = reg_json(&a->g);
	char *regs = dump(gj), *docs = dump(a->doc), *extras = dump(a->extra);
	json_decref(gj);
	int rc = DIPR_ENOMEM;
	if (regs && docs && extras) {
		dipr_store_app row = {a->id,
				      a->owner,
				      dipr_reg_state_name(a->g.state),
				      regs,
				      docs,
				      extras,
				      a->regno[0] ? a->regno : NULL,
				      a->certno[0] ? a->certno : NULL,
				      a->applicant_id[0] ? a->applicant_id : NULL,
				      a->closed_on[0] ? a->closed_on : NULL,
				      a->head,
				      has_due ? due : NULL};
		rc = dipr_store_app_put(a->s, &row);
		a->id = row.id;
	}
	free(regs);
	free(docs);
	free(extras);
	return rc;
}

/* Appends a `registration` entry for event name, with the full record as
 * its body (kept in the event table; its SM3 goes in the entry). */
static int log_event(app_ctx *a, const char *name, const json_t *args)
{
	uint8_t salt[16], h[DIPR_HASH_LEN];
	char salthex[33], hhex[65];
	dipr_buf body;
	uint64_t idx;
	int rc;
	if ((rc = dipr_random(salt, sizeof salt)))
		return rc;
	dipr_hex_encode(salt, sizeof salt, salthex);
	json_t *b = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:O,s:{s:s,s:s,s:I}}", "salt", salthex, "event", name, "app",
			      (json_int_t)a->id, "date", date_json(a->today), "reg", reg_json(&a->g), "doc",
			      json_deep_copy(a->doc), "extra", json_deep_copy(a->extra), "args",
			      args ? (json_t *)args : json_null(), "actor", "role", a->op->actor.role, "name",
			      a->op->actor.name, "id", (json_int_t)a->op->actor.id);
	if (!b)
		return DIPR_ENOMEM;
	if (a->regno[0])
		json_object_set_new(b, "regno", json_string(a->regno));
	dipr_buf_init(&body, 4u << 20);
	if ((rc = dipr__jcs_encode(b, &body))) {
		json_decref(b);
		dipr_buf_free(&body);
		return rc;
	}
	json_decref(b);
	dipr_hash(DIPR_HASH_SM3, body.p, body.n, h);
	dipr_hex_encode(h, sizeof h, hhex);
	json_t *e = json_pack("{s:i,s:s,s:s,s:I,s:s}", "v", 1, "type", "registration", "event", name, "app",
			      (json_int_t)a->id, "body_hash", hhex);
	if (a->regno[0])
		json_object_set_new(e, "regno", json_string(a->regno));
	if (a->head >= 0)
		json_object_set_new(e, "prev", json_integer(a->head));
	rc = dipr_log_job_append(a->j, e, &idx);
	json_decref(e);
	if (!rc)
		rc = dipr_store_event_add(a->s, idx, a->id, name, (const char *)body.p);
	dipr_buf_free(&body);
	if (rc)
		return rc;
	a->head = (int64_t)idx;
	a->changed = true;
	if (!a->logged)
		a->logged = json_array();
	json_array_append_new(a->logged, json_pack("{s:I,s:s}", "index", (json_int_t)idx, "event", name));
	return 0;
}

/* ---- numbers and certificates ---- */

static int hexfield(json_t *digests, const char *alg, uint8_t out[DIPR_HASH_LEN])
{
	const char *h = json_string_value(json_object_get(digests, alg));
	return h && strlen(h) == 64 && dipr_hex_decode(h, 64, out, DIPR_HASH_LEN) == 0;
}

/* The registration number, issued once, at registration: application year
 * (of first submission), source and applicant codes, serial per year. */
static int assign_regno(app_ctx *a)
{
	char key[32];
	uint64_t seq;
	dipr_regno rn = {0};
	int rc;
	if (a->regno[0])
		return 0;
	if (dipr_date_to_ymd(a->g.submitted_on, &rn.year, NULL, NULL))
		return DIPR_EINVAL;
	snprintf(key, sizeof key, "regno:%04d", rn.year);
	if ((rc = dipr_store_counter_next(a->s, key, &seq)))
		return rc;
	if (seq > DIPR_REGNO_SEQ_MAX)
		return refuse(a->op, 503, "numbers_exhausted", "registration numbers of %d are exhausted", rn.year);
	rn.source = dipr_app_source_code(a->doc);
	rn.applicant = dipr_app_applicant_code(a->doc);
	rn.seq = (uint32_t)seq;
	return dipr_regno_format(&rn, a->regno);
}

/* Issues a certificate for the
 * record as it now stands: numbers from serial counters inside this job,
 * body, signatures, `certificate` entry, row; the previous certificate of
 * the registration becomes superseded.  1 if a number range is exhausted
 * (refused), < 0 on storage errors. */
static int issue_certificate(app_ctx *a)
{
	dipr_registry *r = a->r;
	dipr_cert c;
	char key[32];
	uint64_t seq, idx;
	int y, m, rc;
	memset(&c, 0, sizeof c);
	dipr_certno cn = {0};
	dipr_date_to_ymd(a->today, &y, &m, NULL);
	cn.year = y;
	cn.month = m;
	cn.body = r->body_code;
	snprintf(key, sizeof key, "certno:%04d", r->body_code);
	if ((rc = dipr_store_counter_next(a->s, key, &seq)))
		return rc;
	if (seq > DIPR_CERTNO_SERIAL_MAX)
		return refuse(a->op, 503, "numbers_exhausted", "certificate serials of body %04d are exhausted", r->body_code);
	cn.serial = (uint32_t)seq;
	char certno[DIPR_CERTNO_LEN + 1];
	if ((rc = dipr_certno_format(&cn, certno)))
		return rc;

	dipr_cert_body *b = &c.body;
	json_t *ap = json_object_get(a->doc, "applicant"), *src = json_object_get(a->doc, "source"),
	       *sc = json_object_get(a->doc, "scale");
	snprintf(b->certno, sizeof b->certno, "%s", certno);
	snprintf(b->regno, sizeof b->regno, "%s", a->regno);
	snprintf(b->data_name, sizeof b->data_name, "%s", json_string_value(json_object_get(a->doc, "data_name")));
	snprintf(b->holder_name, sizeof b->holder_name, "%s", json_string_value(json_object_get(ap, "name")));
	snprintf(b->holder_id, sizeof b->holder_id, "%s", json_string_value(json_object_get(ap, "id")));
	snprintf(b->industry, sizeof b->industry, "%s", json_string_value(json_object_get(a->doc, "industry")));
	snprintf(b->source_type, sizeof b->source_type, "%s", json_string_value(json_object_get(src, "type")));
	snprintf(b->scenario, sizeof b->scenario, "%s", json_string_value(json_object_get(a->doc, "scenario")));
	b->scale_records = (uint64_t)json_integer_value(json_object_get(sc, "records"));
	b->scale_bytes = (uint64_t)json_integer_value(json_object_get(sc, "bytes"));
	dipr_date_format(a->g.registered_on, b->registered);
	dipr_date_format(a->g.valid_until, b->valid_until);
	snprintf(b->issuer, sizeof b->issuer, "%s", r->issuer);
	snprintf(b->record_url, sizeof b->record_url, "%s/r/%s", r->public_url, a->regno);
	json_t *ev = json_object_get(a->extra, "evidence"), *it;
	size_t i;
	json_array_foreach(ev, i, it) {
		if (b->nevidence == DIPR_CERT_MAX_EVIDENCE)
			break;
		dipr_cert_evidence *e = &b->evidence[b->nevidence++];
		json_t *d = json_object_get(it, "digests");
		e->index = (uint64_t)json_integer_value(json_object_get(it, "index"));
		e->has_sm3 = hexfield(d, "sm3", e->sm3);
		e->has_sha256 = hexfield(d, "sha256", e->sha256);
	}
	size_t ns;
	dipr_signer *const *signers = dipr_log_signers(a->r->log, &ns);
	if ((rc = dipr_cert_body_check(b)))
		return refuse(a->op, 400, "bad_request", "certificate: %s", dipr_errdetail());
	if ((rc = dipr_cert_sign(&c, signers, ns)))
		return rc;
	/* the `certificate` entry */
	dipr_buf eb;
	json_t *entry = NULL;
	dipr_buf_init(&eb, DIPR_ENTRY_MAX);
	if (!(rc = dipr_cert_entry(b, &eb)))
		rc = dipr__json_parse(eb.p, eb.n, 4, "certificate entry", &entry);
	dipr_buf_free(&eb);
	if (!rc)
		rc = dipr_log_job_append(a->j, entry, &idx);
	json_decref(entry);
	if (rc)
		return rc;
	/* the file without its tlog_proof, which is added when served */
	dipr_buf bb;
	dipr_buf_init(&bb, DIPR_CERT_MAX);
	json_t *body = NULL, *sigs = json_array(), *file = NULL;
	if (!(rc = dipr_cert_body_encode(b, &bb)))
		rc = dipr__json_parse(bb.p, bb.n, 8, "certificate", &body);
	dipr_buf_free(&bb);
	for (i = 0; !rc && i < c.nsigs; i++)
		json_array_append_new(sigs, json_string(c.sigs[i]));
	if (!rc)
		file = json_pack("{s:o,s:o}", "certificate", body, "signatures", sigs);
	else {
		json_decref(body);
		json_decref(sigs);
	}
	char *text = file ? dump(file) : NULL;
	json_decref(file);
	if (!rc && !text)
		rc = DIPR_ENOMEM;
	int version = (int)json_array_size(json_object_get(a->extra, "certificates")) + 1;
	if (!rc && a->certno[0])
		rc = dipr_store_cert_status(a->s, a->certno, "superseded");
	if (!rc)
		rc = dipr_store_cert_add(a->s, certno, a->regno, a->id, version, idx, text);
	free(text);
	dipr_cert_free(&c);
	if (rc)
		return rc;
	snprintf(a->certno, sizeof a->certno, "%s", certno);
	json_t *list = json_object_get(a->extra, "certificates");
	if (!list) {
		list = json_array();
		json_object_set_new(a->extra, "certificates", list);
	}
	json_array_append_new(list, json_pack("{s:s,s:i,s:I}", "certno", certno, "version", version, "index", (json_int_t)idx));
	if (!a->logged)
		a->logged = json_array();
	json_array_append_new(a->logged,
			      json_pack("{s:I,s:s,s:s}", "index", (json_int_t)idx, "event", "certificate", "certno", certno));
	return 0;
}

/* Side effects of one lifecycle entry, then the entry itself. */
static int record_log(app_ctx *a, dipr_reg_log what, const json_t *args)
{
	char d[DIPR_DATE_STRLEN];
	int rc;
	dipr_date_format(a->today, d);
	switch (what) {
	case DIPR_REG_LOG_WITHDRAWN:
	case DIPR_REG_LOG_REFUSED:
	case DIPR_REG_LOG_OBJECTION_UPHELD:
		snprintf(a->closed_on, sizeof a->closed_on, "%s", d);
		break;
	default:
		break;
	}
	if (what == DIPR_REG_LOG_REGISTERED && (rc = assign_regno(a)))
		return rc;
	if ((rc = log_event(a, dipr_reg_log_name(what), args)))
		return rc;
	switch (what) {
	case DIPR_REG_LOG_REGISTERED:
	case DIPR_REG_LOG_CHANGE:
	case DIPR_REG_LOG_TRANSFER:
	case DIPR_REG_LOG_RENEWAL:
		return issue_certificate(a);
	case DIPR_REG_LOG_CANCELLATION:
		return dipr_store_cert_status(a->s, a->certno, "cancelled");
	case DIPR_REG_LOG_REVOCATION:
		return dipr_store_cert_status(a->s, a->certno, "revoked");
	case DIPR_REG_LOG_EXPIRY:
		return dipr_store_cert_status(a->s, a->certno, "expired");
	default:
		return 0;
	}
}

static int apply_result(app_ctx *a, const dipr_reg_result *res, const json_t *args)
{
	int rc;
	if (res->changed)
		a->changed = true;
	for (size_t i = 0; i < res->n_log; i++)
		if ((rc = record_log(a, res->log[i], args)))
			return rc;
	return 0;
}

static int tick(app_ctx *a)
{
	dipr_reg_result res;
	memset(&res, 0, sizeof res);
	if (dipr_reg_tick(&a->g, &a->r->cfg, a->today, &res))
		return 0; /* a date out of range: nothing to do today */
	return apply_result(a, &res, NULL);
}

/* ---- argument helpers ---- */

/* A required text argument: 1..max bytes, no control characters except
 * \n, \t.  NULL with the op answered 400 otherwise. */
static const char *arg_text(dipr_reg_op *op, const char *name, size_t max, bool required, int *refused)
{
	json_t *v = json_object_get(op->body, name);
	if (!v) {
		if (required)
			*refused = refuse(op, 400, "bad_request", "body.%s: required (text of 1..%zu bytes)", name, max);
		return NULL;
	}
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;
	if (!s || n == 0 || n > max) {
		*refused = refuse(op, 400, "bad_request", "body.%s: expected text of 1..%zu bytes", name, max);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
			*refused = refuse(op, 400, "bad_request", "body.%s: control character at byte %zu", name, i);
			return NULL;
		}
	}
	return s;
}

static int arg_date(dipr_reg_op *op, const char *name, bool required, dipr_date *out, bool *has)
{
	json_t *v = json_object_get(op->body, name);
	*has = false;
	if (!v)
		return required ? refuse(op, 400, "bad_request", "body.%s: required (YYYY-MM-DD)", name) : 0;
	const char *s = json_string_value(v);
	if (!s || dipr_date_parse(s, json_string_length(v), out))
		return refuse(op, 400, "bad_request", "body.%s: expected a date YYYY-MM-DD", name);
	*has = true;
	return 0;
}

/* Only the listed members may appear in the body. */
static int body_members(dipr_reg_op *op, const char *const *allowed)
{
	const char *k;
	json_t *v;
	if (op->body && !json_is_object(op->body))
		return refuse(op, 400, "bad_request", "body: expected a JSON object");
	json_object_foreach(op->body, k, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i])
			return refuse(op, 400, "bad_request", "body.%s: unknown member", k);
	}
	return 0;
}

static dipr_reg_role actor_role(const dipr_reg_actor_info *who)
{
	if (strcmp(who->role, "applicant") == 0)
		return DIPR_REG_ROLE_APPLICANT;
	if (strcmp(who->role, "examiner") == 0)
		return DIPR_REG_ROLE_EXAMINER;
	if (strcmp(who->role, "system") == 0)
		return DIPR_REG_ROLE_SYSTEM;
	return DIPR_REG_ROLE_PUBLIC; /* admins act on records as the public does */
}

static unsigned refusal_status(dipr_reg_refusal f)
{
	switch (f) {
	case DIPR_REG_FORBIDDEN:
		return 403;
	case DIPR_REG_BAD_INPUT:
		return 400;
	default:
		return 409;
	}
}

static const char *refusal_code(dipr_reg_refusal f)
{
	switch (f) {
	case DIPR_REG_FORBIDDEN:
		return "forbidden";
	case DIPR_REG_WRONG_STATE:
		return "wrong_state";
	case DIPR_REG_DEADLINE:
		return "deadline_passed";
	case DIPR_REG_TOO_EARLY:
		return "too_early";
	case DIPR_REG_PLEDGED:
		return "pledged";
	default:
		return "bad_request";
	}
}

/* ---- the jobs ---- */

static int op_create(app_ctx *a)
{
	dipr_reg_init(&a->g, (uint64_t)a->op->actor.id);
	a->owner = a->op->actor.id;
	a->doc = json_incref(a->op->body);
	a->extra = json_object();
	a->head = -1;
	int rc = app_save(a);
	if (rc)
		return rc;
	a->op->status = 201;
	a->op->answer = json_pack("{s:I,s:s}", "id", (json_int_t)a->id, "state", "draft");
	return 0;
}

/* The names of events as URLs and CLI verbs use them. */
static const char *event_args_allowed(dipr_reg_event ev, const char *const **out)
{
	static const char *const none[] = {NULL};
	static const char *const reasons[] = {"reasons", NULL};
	static const char *const doc[] = {"application", NULL};
	static const char *const change[] = {"change", NULL};
	static const char *const transfer[] = {"to", "holder", NULL};
	static const char *const license[] = {"licensee", "scope", "start", "end", "exclusive", NULL};
	static const char *const pledge[] = {"pledgee", "amount", "currency", "end", NULL};
	static const char *const renew[] = {"agreement_end", NULL};
	switch (ev) {
	case DIPR_REG_SAVE_DRAFT:
	case DIPR_REG_ANSWER_CORRECTION:
		*out = doc;
		break;
	case DIPR_REG_REQUEST_CHANGE:
		*out = change;
		break;
	case DIPR_REG_REQUEST_TRANSFER:
		*out = transfer;
		break;
	case DIPR_REG_ADD_LICENSE:
		*out = license;
		break;
	case DIPR_REG_PLEDGE:
		*out = pledge;
		break;
	case DIPR_REG_RENEW:
		*out = renew;
		break;
	case DIPR_REG_REQUEST_CORRECTION:
	case DIPR_REG_REFUSE:
	case DIPR_REG_REVOKE:
	case DIPR_REG_ACCEPT:
	case DIPR_REG_CANCEL:
	case DIPR_REG_WITHDRAW:
	case DIPR_REG_RELEASE_PLEDGE:
		*out = ev == DIPR_REG_REQUEST_CORRECTION || ev == DIPR_REG_REFUSE || ev == DIPR_REG_REVOKE ? reasons : none;
		break;
	default:
		*out = none;
	}
	return NULL;
}

/* Checks an event's own arguments and fills the state machine's. */
static int event_args(app_ctx *a, dipr_reg_event ev, dipr_reg_args *args)
{
	dipr_reg_op *op = a->op;
	const char *const *allowed;
	int refused = 0, rc;
	bool has;
	event_args_allowed(ev, &allowed);
	if ((rc = body_members(op, allowed)))
		return rc;
	switch (ev) {
	case DIPR_REG_REQUEST_CORRECTION:
	case DIPR_REG_REFUSE:
	case DIPR_REG_REVOKE:
		args->reasons = arg_text(op, "reasons", TEXT_MAX, true, &refused);
		return refused;
	case DIPR_REG_RENEW:
		if ((rc = arg_date(op, "agreement_end", false, &args->agreement_end, &has)))
			return rc;
		args->has_agreement_end = has;
		return 0;
	case DIPR_REG_ADD_LICENSE: {
		dipr_date s, e;
		bool hs, he;
		json_t *ex = json_object_get(op->body, "exclusive");
		if (!arg_text(op, "licensee", 200, true, &refused) || !arg_text(op, "scope", TEXT_MAX, true, &refused))
			return refused;
		if ((rc = arg_date(op, "start", true, &s, &hs)) || (rc = arg_date(op, "end", true, &e, &he)))
			return rc;
		if (e.days < s.days)
			return refuse(op, 400, "bad_request", "body.end: expected on or after body.start");
		if (ex && !json_is_boolean(ex))
			return refuse(op, 400, "bad_request", "body.exclusive: expected true or false");
		return 0;
	}
	case DIPR_REG_PLEDGE: {
		dipr_date e;
		bool he;
		json_t *amt = json_object_get(op->body, "amount");
		if (!arg_text(op, "pledgee", 200, true, &refused))
			return refused;
		if (!json_is_integer(amt) || json_integer_value(amt) < 1)
			return refuse(op, 400, "bad_request", "body.amount: required, a positive integer (in yuan)");
		if (json_object_get(op->body, "currency") && !arg_text(op, "currency", 8, true, &refused))
			return refused;
		return arg_date(op, "end", true, &e, &he);
	}
	case DIPR_REG_REQUEST_TRANSFER: {
		const char *to = arg_text(op, "to", 127, true, &refused);
		dipr_account acc;
		if (!to)
			return refused;
		rc = dipr_store_account_get(a->s, to, &acc);
		if (rc == DIPR_ENOTFOUND || (!rc && strcmp(acc.role, "applicant") != 0))
			return refuse(op, 400, "bad_request", "body.to: \"%s\" is not an applicant account", to);
		if (rc)
			return rc;
		args->new_owner = (uint64_t)acc.id;
		json_t *h = json_object_get(op->body, "holder");
		if (!json_is_object(h))
			return refuse(op, 400, "bad_request",
				      "body.holder: required, the new holder {name, type, id, contact}");
		/* validated as the applicant member of a full document */
		json_t *doc = json_deep_copy(a->doc);
		char msg[600];
		json_object_set(doc, "applicant", h);
		rc = dipr_app_validate(doc, DIPR_APP_SUBMIT, a->today, msg, sizeof msg);
		json_decref(doc);
		if (rc)
			return refuse(op, 400, "bad_request", "body.holder: %s", msg);
		return 0;
	}
	default:
		return 0;
	}
}

/* Event-specific changes to the record once the state machine agreed. */
static int event_effects(app_ctx *a, dipr_reg_event ev, const dipr_reg_result *res)
{
	dipr_reg_op *op = a->op;
	char d[DIPR_DATE_STRLEN];
	dipr_date_format(a->today, d);
	switch (ev) {
	case DIPR_REG_SAVE_DRAFT:
		json_decref(a->doc);
		a->doc = json_incref(json_object_get(op->body, "application"));
		break;
	case DIPR_REG_SUBMIT:
	case DIPR_REG_ANSWER_CORRECTION: {
		if (ev == DIPR_REG_ANSWER_CORRECTION) {
			json_decref(a->doc);
			a->doc = json_incref(json_object_get(op->body, "application"));
		}
		json_t *ev_list = json_object_get(op->checked, "evidence"), *it;
		size_t i;
		json_object_set(a->extra, "evidence", ev_list);
		json_object_del(a->extra, "correction");
		copy_str(json_object_get(a->doc, "applicant"), "id", a->applicant_id, sizeof a->applicant_id);
		json_array_foreach(ev_list, i, it) {
			const char *k;
			json_t *h;
			int rc;
			json_object_foreach(json_object_get(it, "digests"), k, h)
				if ((rc = dipr_store_app_digest_add(a->s, a->id, json_string_value(h))))
					return rc;
		}
		break;
	}
	case DIPR_REG_REQUEST_CORRECTION:
	case DIPR_REG_REFUSE:
	case DIPR_REG_REVOKE: {
		const char *k = ev == DIPR_REG_REQUEST_CORRECTION ? "correction" : ev == DIPR_REG_REFUSE ? "refusal" : "revocation";
		json_t *o = json_pack("{s:O,s:s}", "reasons", json_object_get(op->body, "reasons"), "date", d);
		if (ev == DIPR_REG_REQUEST_CORRECTION)
			json_object_set_new(o, "due", date_json(a->g.correction_due));
		json_object_set_new(a->extra, k, o);
		break;
	}
	case DIPR_REG_REQUEST_CHANGE: {
		char msg[600];
		json_t *n = dipr_app_apply_change(a->doc, json_object_get(op->body, "change"), a->today, msg, sizeof msg);
		if (!n)
			return refuse(op, 400, "bad_request", "body.%s", msg);
		json_decref(a->doc);
		a->doc = n;
		break;
	}
	case DIPR_REG_REQUEST_TRANSFER:
		a->g = res->successor; /* the successor version is the record now */
		a->owner = (int64_t)res->successor.owner;
		json_object_set(a->doc, "applicant", json_object_get(op->body, "holder"));
		copy_str(json_object_get(a->doc, "applicant"), "id", a->applicant_id, sizeof a->applicant_id);
		break;
	case DIPR_REG_ADD_LICENSE: {
		json_t *l = json_object_get(a->extra, "licenses");
		if (!l) {
			l = json_array();
			json_object_set_new(a->extra, "licenses", l);
		}
		json_t *o = json_deep_copy(op->body);
		json_object_set_new(o, "recorded", json_string(d));
		json_array_append_new(l, o);
		break;
	}
	case DIPR_REG_PLEDGE: {
		json_t *o = json_deep_copy(op->body);
		json_object_set_new(o, "since", json_string(d));
		json_object_set_new(a->extra, "pledge", o);
		break;
	}
	case DIPR_REG_RELEASE_PLEDGE: {
		json_t *p = json_object_get(a->extra, "pledge"), *h = json_object_get(a->extra, "pledges_released");
		if (!h) {
			h = json_array();
			json_object_set_new(a->extra, "pledges_released", h);
		}
		if (p) {
			json_t *o = json_deep_copy(p);
			json_object_set_new(o, "released", json_string(d));
			json_array_append_new(h, o);
		}
		json_object_del(a->extra, "pledge");
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Repeat filing (DOMAIN.md step 3): the same evidence digest and applicant
 * within repeat_months of a withdrawal. */
static int repeat_check(app_ctx *a)
{
	dipr_date since;
	char sinces[DIPR_DATE_STRLEN], closed[11];
	json_t *it;
	size_t i;
	if (dipr_date_add_months(a->today, -a->r->repeat_months, &since))
		return 0;
	dipr_date_format(since, sinces);
	const char *aid = json_string_value(json_object_get(json_object_get(a->doc, "applicant"), "id"));
	json_array_foreach(json_object_get(a->op->checked, "evidence"), i, it) {
		const char *k;
		json_t *h;
		json_object_foreach(json_object_get(it, "digests"), k, h) {
			int64_t prev;
			int rc = dipr_store_app_repeat(a->s, json_string_value(h), a->owner, aid, sinces, &prev, closed);
			if (rc == DIPR_ENOTFOUND)
				continue;
			if (rc)
				return rc;
			if (prev == a->id)
				continue;
			dipr_date c, until;
			dipr_date_parse(closed, 10, &c);
			dipr_date_add_months(c, a->r->repeat_months, &until);
			char us[DIPR_DATE_STRLEN];
			dipr_date_format(until, us);
			return refuse(a->op, 409, "repeat_filing",
				      "application.evidence[%zu]: the same dataset (%s %.16s...) was in application %lld, "
				      "withdrawn on %s; it can be filed again after %s",
				      i, k, json_string_value(h), (long long)prev, closed, us);
		}
	}
	return 0;
}

static json_t *app_summary(app_ctx *a)
{
	json_t *o = json_pack("{s:I,s:s,s:o}", "id", (json_int_t)a->id, "state", dipr_reg_state_name(a->g.state),
			      "record", reg_json(&a->g));
	if (a->regno[0])
		json_object_set_new(o, "regno", json_string(a->regno));
	if (a->certno[0])
		json_object_set_new(o, "certno", json_string(a->certno));
	json_object_set_new(o, "logged", a->logged ? json_incref(a->logged) : json_array());
	return o;
}

static int op_event(app_ctx *a)
{
	dipr_reg_op *op = a->op;
	dipr_reg_args args;
	dipr_reg_result res;
	dipr_reg_actor who = {actor_role(&op->actor), (uint64_t)op->actor.id};
	int rc;
	memset(&args, 0, sizeof args);
	memset(&res, 0, sizeof res);
	if ((rc = app_load(a, op->app, op->regno)))
		return rc;
	/* An applicant learns nothing about others' applications. */
	if (strcmp(op->actor.role, "applicant") == 0 && a->owner != op->actor.id && op->event != DIPR_REG_OBJECT)
		return op->regno[0] ? refuse(op, 403, "forbidden", "registration %s is not held by account \"%s\"",
					     op->regno, op->actor.name)
				    : refuse(op, 404, "not_found", "application %lld: no such application", (long long)op->app);
	if ((rc = tick(a)) < 0)
		return rc;
	if ((rc = event_args(a, op->event, &args)))
		return rc;
	if (op->event == DIPR_REG_SUBMIT || op->event == DIPR_REG_ANSWER_CORRECTION) {
		/* the document that was checked must be the one submitted */
		json_t *checked_doc = json_object_get(op->checked, "doc");
		json_t *doc = op->event == DIPR_REG_SUBMIT ? a->doc : json_object_get(op->body, "application");
		if (!checked_doc || !json_equal(checked_doc, doc))
			return refuse(op, 409, "conflict", "application %lld changed while it was being checked; submit again",
				      (long long)a->id);
		if (dipr_app_agreement_end(doc, &args.agreement_end))
			args.has_agreement_end = true;
		if (op->event == DIPR_REG_SUBMIT && a->g.state == DIPR_REG_DRAFT && (rc = repeat_check(a)))
			return rc;
	}
	if (op->event == DIPR_REG_SAVE_DRAFT && !json_is_object(json_object_get(op->body, "application")))
		return refuse(op, 400, "bad_request", "body.application: required, the application document");
	rc = dipr_reg_apply(&a->g, &a->r->cfg, &who, op->event, &args, a->today, &res);
	if (rc)
	{
		char what[64];
		if (a->regno[0])
			snprintf(what, sizeof what, "registration %s", a->regno);
		else
			snprintf(what, sizeof what, "application %lld", (long long)a->id);
		return refuse(op, refusal_status(res.refusal), refusal_code(res.refusal), "%s: %s", what, dipr_errdetail());
	}
	if ((rc = event_effects(a, op->event, &res)))
		return rc;
	if ((rc = apply_result(a, &res, op->body)))
		return rc;
	if ((rc = app_save(a)))
		return rc;
	op->status = 200;
	op->answer = app_summary(a);
	return 0;
}

static int op_object(app_ctx *a)
{
	dipr_reg_op *op = a->op;
	static const char *const allowed[] = {"application", "reasons", "attachments", "contact", NULL};
	int refused = 0, rc;
	dipr_reg_args args;
	dipr_reg_result res;
	dipr_reg_actor who = {DIPR_REG_ROLE_PUBLIC, 0};
	memset(&args, 0, sizeof args);
	memset(&res, 0, sizeof res);
	if ((rc = body_members(op, allowed)))
		return rc;
	if (!(args.reasons = arg_text(op, "reasons", TEXT_MAX, true, &refused)))
		return refused;
	if (json_object_get(op->body, "contact") && !arg_text(op, "contact", 500, true, &refused))
		return refused;
	json_t *att = json_object_get(op->body, "attachments"), *it;
	size_t i;
	if (att && (!json_is_array(att) || json_array_size(att) > 16))
		return refuse(op, 400, "bad_request", "body.attachments: expected an array of at most 16 {name, sha256|sm3}");
	json_array_foreach(att, i, it) {
		const char *k;
		json_t *v;
		if (!json_is_object(it) || json_object_size(it) == 0)
			return refuse(op, 400, "bad_request", "body.attachments[%zu]: expected an object", i);
		json_object_foreach(it, k, v) {
			const char *s = json_string_value(v);
			bool hash = strcmp(k, "sha256") == 0 || strcmp(k, "sm3") == 0;
			uint8_t tmp[DIPR_HASH_LEN];
			if (!s || (hash && (json_string_length(v) != 64 || dipr_hex_decode(s, 64, tmp, sizeof tmp))) ||
			    (!hash && strcmp(k, "name") != 0) || (!hash && json_string_length(v) > 200))
				return refuse(op, 400, "bad_request",
					      "body.attachments[%zu].%s: expected name (text) or sha256/sm3 (64 hex digits)", i, k);
		}
	}
	if ((rc = app_load(a, op->app, NULL)))
		return rc;
	if ((rc = tick(a)) < 0)
		return rc;
	rc = dipr_reg_apply(&a->g, &a->r->cfg, &who, DIPR_REG_OBJECT, &args, a->today, &res);
	if (rc)
		return refuse(op, refusal_status(res.refusal), refusal_code(res.refusal), "application %lld: %s",
			      (long long)a->id, dipr_errdetail());
	/* the objector's key lets them read the decision without an account */
	uint8_t key[16], kh[DIPR_HASH_LEN];
	char keyhex[33];
	int64_t oid;
	if ((rc = dipr_random(key, sizeof key)))
		return rc;
	dipr_hex_encode(key, sizeof key, keyhex);
	dipr_hash(DIPR_HASH_SHA256, keyhex, 32, kh);
	json_t *data = json_deep_copy(op->body);
	json_object_del(data, "application");
	if (op->actor.id)
		json_object_set_new(data, "objector", json_string(op->actor.name));
	char *text = dump(data);
	json_decref(data);
	rc = text ? dipr_store_objection_add(a->s, a->id, text, kh, &oid) : DIPR_ENOMEM;
	free(text);
	if (rc)
		return rc;
	json_t *logged_args = json_deep_copy(op->body); /* the contact stays in the objection row */
	json_object_del(logged_args, "contact");
	rc = apply_result(a, &res, logged_args);
	json_decref(logged_args);
	if (rc || (rc = app_save(a)))
		return rc;
	op->status = 201;
	op->answer = json_pack("{s:I,s:I,s:s,s:s}", "objection", (json_int_t)oid, "application", (json_int_t)a->id, "key",
			       keyhex, "state", dipr_reg_state_name(a->g.state));
	return 0;
}

static int op_decide(app_ctx *a)
{
	dipr_reg_op *op = a->op;
	json_t *o = NULL;
	int rc = dipr_store_objection_get(a->s, op->objection, &o);
	if (rc == DIPR_ENOTFOUND)
		return refuse(op, 404, "not_found", "objection %lld: no such objection", (long long)op->objection);
	if (rc)
		return rc;
	const char *state = json_string_value(json_object_get(o, "state"));
	int64_t app = json_integer_value(json_object_get(o, "app"));
	if (strcmp(state, "open") != 0) {
		rc = refuse(op, 409, "wrong_state", "objection %lld is already %s", (long long)op->objection, state);
		json_decref(o);
		return rc;
	}
	op->app = app;
	op->event = op->uphold ? DIPR_REG_UPHOLD_OBJECTION : DIPR_REG_DISMISS_OBJECTION;
	json_t *reasons = json_object_get(op->body, "reasons");
	if (!json_is_string(reasons) || json_string_length(reasons) == 0 || json_string_length(reasons) > TEXT_MAX ||
	    json_object_size(op->body) != 1) {
		json_decref(o);
		return refuse(op, 400, "bad_request", "body.reasons: required, text of 1..%d bytes (and nothing else)", TEXT_MAX);
	}
	/* the event itself takes no arguments beyond the decision's reasons */
	json_t *body = op->body;
	op->body = json_object();
	rc = op_event(a);
	json_decref(op->body);
	op->body = body;
	if (rc) {
		json_decref(o);
		return rc;
	}
	json_t *data = json_deep_copy(json_object_get(o, "data"));
	char d[DIPR_DATE_STRLEN];
	dipr_date_format(a->today, d);
	json_object_set_new(data, "decision",
			    json_pack("{s:s,s:O,s:s,s:s}", "outcome", op->uphold ? "upheld" : "dismissed", "reasons", reasons,
				      "date", d, "examiner", op->actor.name));
	char *text = dump(data);
	json_decref(data);
	json_decref(o);
	rc = text ? dipr_store_objection_decide(a->s, op->objection, op->uphold ? "upheld" : "dismissed", text)
		  : DIPR_ENOMEM;
	free(text);
	if (rc)
		return rc;
	if (op->uphold) { /* the application is refused: other open objections are moot */
		json_t *rest = NULL;
		size_t i;
		json_t *it;
		if ((rc = dipr_store_objection_list(a->s, app, "open", &rest)))
			return rc;
		json_array_foreach(rest, i, it) {
			json_t *dd = json_deep_copy(json_object_get(it, "data"));
			json_object_set_new(dd, "decision", json_pack("{s:s,s:s}", "outcome", "moot", "date", d));
			char *t = dump(dd);
			json_decref(dd);
			rc = t ? dipr_store_objection_decide(a->s, json_integer_value(json_object_get(it, "id")), "moot", t)
			       : DIPR_ENOMEM;
			free(t);
			if (rc)
				break;
		}
		json_decref(rest);
		if (rc)
			return rc;
	}
	json_object_set_new(op->answer, "objection", json_integer(op->objection));
	json_object_set_new(op->answer, "decision", json_string(op->uphold ? "upheld" : "dismissed"));
	return 0;
}

static int op_tick_all(dipr_registry *r, dipr_reg_op *op, dipr_log_job *j)
{
	int64_t *ids = NULL;
	size_t n = 0, changed = 0;
	char today[DIPR_DATE_STRLEN];
	dipr_date_format(dipr_registry_today(r), today);
	int rc = dipr_store_app_active(j->store, today, &ids, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		app_ctx a = {op, j, j->store, r, dipr_registry_today(r)};
		if (!(rc = app_load(&a, ids[i], NULL)) && !(rc = tick(&a)) && a.changed) {
			rc = app_save(&a);
			changed++;
		}
		app_ctx_free(&a);
	}
	free(ids);
	if (rc > 0)
		rc = 0; /* a record gone missing between list and load: next time */
	op->status = 200;
	op->answer = json_pack("{s:I,s:I}", "checked", (json_int_t)n, "changed", (json_int_t)changed);
	return rc;
}

static int audit(dipr_reg_op *op, dipr_store *s, int64_t time_ms, const char *target)
{
	const char *outcome = op->status < 300 ? "ok" : "refused";
	char *detail = NULL;
	if (op->status >= 300)
		detail = dump(json_object_get(op->answer, "error"));
	else if (op->answer)
		detail = dump(json_object_get(op->answer, "logged"));
	dipr_store_audit row = {op->actor.id,  op->actor.name, op->actor.role, op->action, target,
				op->actor.ip,  outcome,        detail};
	int rc = dipr_store_audit_add(s, &row, time_ms);
	free(detail);
	return rc;
}

/* Several nodes share one test clock: the sequencer (which may have
 * taken over since the date was moved on another node) reads the offset
 * the last move stored before it dates a job. */
static void clock_sync(dipr_registry *r, dipr_store *s)
{
	char off[32];
	if (!r->test_clock || !dipr_log_is_multinode(r->log) ||
	    dipr_store_meta_get(s, "test_clock_offset", off, sizeof off) != 0)
		return;
	pthread_mutex_lock(&r->mu);
	r->clock_offset_s = strtoll(off, NULL, 10);
	pthread_mutex_unlock(&r->mu);
}

static int job(dipr_log_req *lr, dipr_log_job *j)
{
	dipr_reg_op *op = lr->job_ctx;
	dipr_registry *r = op->reg;
	clock_sync(r, j->store);
	app_ctx a = {op, j, j->store, r, dipr_registry_today(r)};
	char target[64] = "";
	int rc;
	if (op->kind == DIPR_OP_AUDIT)
		return audit(op, j->store, j->time_ms, op->regno[0] ? op->regno : NULL);
	if ((rc = dipr_store_savepoint(j->store)))
		return rc;
	switch (op->kind) {
	case DIPR_OP_CREATE:
		rc = op_create(&a);
		break;
	case DIPR_OP_EVENT:
		rc = op_event(&a);
		break;
	case DIPR_OP_OBJECT:
		rc = op_object(&a);
		break;
	case DIPR_OP_DECIDE:
		rc = op_decide(&a);
		break;
	case DIPR_OP_TICK_ALL:
		rc = op_tick_all(r, op, j);
		break;
	default:
		rc = refuse(op, 400, "bad_request", "unknown operation");
	}
	if (a.id)
		snprintf(target, sizeof target, "application %lld%s%s", (long long)a.id, a.regno[0] ? " " : "", a.regno);
	app_ctx_free(&a);
	if (rc == 0) {
		if ((rc = dipr_store_release(j->store)))
			return rc;
	} else {
		/* Refused (or a storage error): undo this job's writes and
		 * entries; the refusal itself is audited. */
		dipr_log_job_discard(j);
		int rb = dipr_store_rollback_to(j->store);
		if (rc < 0) {
			json_decref(op->answer);
			op->answer = NULL;
			return rc;
		}
		if (rb)
			return rb;
	}
	if (op->kind == DIPR_OP_TICK_ALL)
		return 0; /* the ticker's own changes are in the event history */
	return audit(op, j->store, j->time_ms, target[0] ? target : NULL);
}

static void job_done(dipr_log_req *lr)
{
	dipr_reg_op *op = lr->job_ctx;
	op->rc = lr->rc;
	if (op->done)
		op->done(op);
}

int dipr_registry_submit(dipr_registry *r, dipr_reg_op *op)
{
	op->reg = r;
	op->lr.job = job;
	op->lr.job_ctx = op;
	op->lr.done = job_done;
	op->lr.ctx = op;
	return dipr_log_submit(r->log, &op->lr);
}

int dipr_registry_run(dipr_registry *r, dipr_reg_op *op)
{
	/* the log's own waiter; job_done is not needed without a callback */
	op->reg = r;
	op->lr.job = job;
	op->lr.job_ctx = op;
	op->done = NULL;
	int rc = dipr_log_submit_wait(r->log, &op->lr);
	op->rc = op->lr.rc;
	return rc;
}

/* ---- prechecks: reads and CPU on the caller's thread ---- */

/* Re-verifies every evidence receipt against this log and its owner, and
 * the sample proof against the cited evidence.  op->checked gets
 * {"doc": doc, "evidence": [{index, digests}]}. */
static int check_document(dipr_registry *r, dipr_store *s, dipr_reg_op *op, const json_t *doc, int64_t owner)
{
	char msg[600];
	size_t nv, i;
	json_t *it, *evs = json_array();
	dipr_verifier *const *vs = dipr_log_verifiers(r->log, &nv);
	if (dipr_app_validate(doc, DIPR_APP_SUBMIT, dipr_registry_today(r), msg, sizeof msg)) {
		json_decref(evs);
		return refuse(op, 400, "invalid_application", "%s", msg);
	}
	json_array_foreach(json_object_get(doc, "evidence"), i, it) {
		dipr_tlog_proof p;
		int64_t acc;
		const char *text = json_string_value(it);
		memset(&p, 0, sizeof p);
		if (dipr_tlog_proof_parse((const uint8_t *)text, json_string_length(it), &p) || !p.has_extra) {
			dipr_tlog_proof_free(&p);
			json_decref(evs);
			return refuse(op, 400, "invalid_application", "application.evidence[%zu]: not a receipt (%s)", i,
				      dipr_errdetail());
		}
		int vr = dipr_tlog_proof_verify(&p, dipr_log_tree_alg(r->log), vs, nv, dipr_log_origin(r->log), NULL);
		dipr_buf e;
		dipr_buf_init(&e, DIPR_ENTRY_MAX);
		int er = vr ? 0 : dipr_store_entry(s, p.index, &e);
		bool same = !vr && !er && e.n == p.extra_len && memcmp(e.p, p.extra, e.n) == 0;
		dipr_buf_free(&e);
		if (vr || !same) {
			json_decref(evs);
			unsigned long long ix = p.index;
			dipr_tlog_proof_free(&p);
			return refuse(op, 400, "invalid_application",
				      "application.evidence[%zu]: receipt for entry %llu does not verify against this log (%s)", i,
				      ix, vr ? dipr_errdetail() : "entry differs");
		}
		int ar = dipr_store_evidence_account(s, p.index, &acc);
		json_t *entry = json_loadb((const char *)p.extra, p.extra_len, 0, NULL);
		const char *type = json_string_value(json_object_get(entry, "type"));
		if (ar || acc != owner || !type || strcmp(type, "evidence") != 0) {
			unsigned long long ix = p.index;
			json_decref(entry);
			json_decref(evs);
			dipr_tlog_proof_free(&p);
			return refuse(op, 400, "invalid_application",
				      "application.evidence[%zu]: entry %llu is not evidence attested by this applicant's account", i,
				      ix);
		}
		json_array_append_new(evs, json_pack("{s:I,s:O}", "index", (json_int_t)p.index, "digests",
						     json_object_get(entry, "digests")));
		json_decref(entry);
		dipr_tlog_proof_free(&p);
	}
	json_t *smp = json_object_get(doc, "sample");
	if (smp) {
		dipr_sample sp;
		dipr_tlog_proof p;
		dipr_records_commitment rcm;
		char *text = dump(smp);
		memset(&sp, 0, sizeof sp);
		memset(&p, 0, sizeof p);
		int bad = !text || dipr_sample_parse((const uint8_t *)text, strlen(text), &sp);
		free(text);
		const char *why = bad ? "malformed sample proof" : NULL;
		if (!bad && (dipr_tlog_proof_parse(sp.receipt, sp.receipt_len, &p) ||
			     dipr_tlog_proof_verify(&p, dipr_log_tree_alg(r->log), vs, nv, dipr_log_origin(r->log), NULL))) {
			bad = 1;
			why = "its receipt does not verify against this log";
		}
		if (!bad) {
			bool cited = false;
			json_array_foreach(evs, i, it)
				cited |= (uint64_t)json_integer_value(json_object_get(it, "index")) == p.index;
			if (!cited) {
				bad = 1;
				snprintf(msg, sizeof msg, "it is for evidence entry %llu, which this application does not cite",
					 (unsigned long long)p.index);
				why = msg;
			}
		}
		if (!bad && (dipr_records_from_entry(p.extra, p.extra_len, &rcm) || dipr_sample_check_records(&sp, &rcm))) {
			bad = 1;
			snprintf(msg, sizeof msg, "its records do not verify (%s)", dipr_errdetail());
			why = msg;
		}
		dipr_sample_free(&sp);
		dipr_tlog_proof_free(&p);
		if (bad) {
			json_decref(evs);
			return refuse(op, 400, "invalid_application", "application.sample: %s", why);
		}
	}
	json_decref(op->checked);
	op->checked = json_pack("{s:O,s:o}", "doc", doc, "evidence", evs);
	return 0;
}

int dipr_registry_precheck(dipr_registry *r, dipr_store *s, dipr_reg_op *op)
{
	char msg[600];
	dipr_date today = dipr_registry_today(r);
	if (op->body && !json_is_object(op->body))
		return refuse(op, 400, "bad_request", "body: expected a JSON object");
	if (op->kind == DIPR_OP_CREATE) {
		if (!op->body)
			return refuse(op, 400, "bad_request", "body: required, the application document");
		if (dipr_app_validate(op->body, DIPR_APP_DRAFT, today, msg, sizeof msg))
			return refuse(op, 400, "invalid_application", "%s", msg);
		return 0;
	}
	if (op->kind != DIPR_OP_EVENT)
		return 0;
	if (op->event == DIPR_REG_SAVE_DRAFT) {
		json_t *d = json_object_get(op->body, "application");
		if (!json_is_object(d))
			return refuse(op, 400, "bad_request", "body.application: required, the application document");
		if (dipr_app_validate(d, DIPR_APP_DRAFT, today, msg, sizeof msg))
			return refuse(op, 400, "invalid_application", "%s", msg);
		return 0;
	}
	if (op->event != DIPR_REG_SUBMIT && op->event != DIPR_REG_ANSWER_CORRECTION)
		return 0;
	/* The stored document (submit) or the corrected one; its owner. */
	json_t *row = NULL;
	int rc = dipr_store_app_get(s, op->app, NULL, &row);
	if (rc == DIPR_ENOTFOUND)
		return refuse(op, 404, "not_found", "application %lld: no such application", (long long)op->app);
	if (rc)
		return refuse(op, 503, "unavailable", "database unavailable");
	int64_t owner = json_integer_value(json_object_get(row, "owner"));
	if (owner != op->actor.id) {
		json_decref(row);
		return refuse(op, 404, "not_found", "application %lld: no such application", (long long)op->app);
	}
	if (op->event == DIPR_REG_SUBMIT && op->body && json_object_size(op->body)) {
		json_decref(row);
		return refuse(op, 400, "bad_request", "body: submit takes no body (save the draft first)");
	}
	const json_t *doc = op->event == DIPR_REG_SUBMIT ? json_object_get(row, "doc") : json_object_get(op->body, "application");
	if (!json_is_object(doc))
		rc = refuse(op, 400, "bad_request", "body.application: required, the corrected application document");
	else
		rc = check_document(r, s, op, doc, owner);
	json_decref(row);
	return rc;
}
