/* service.h — the registration workflow on top of the log (DOMAIN.md,
 * DESIGN.md "Log entries": registration and certificate).
 *
 * Every write is an operation (dipr_reg_op) that runs as a job on the
 * sequencer thread (log/log.h), inside the same transaction and fsync as
 * the `registration` and `certificate` entries it appends: the record,
 * its log entries, numbers and audit row become durable together or not
 * at all, and the answer is given only after that.  Jobs run one at a
 * time, so registration and certificate numbers are serial: unique and
 * gapless, however many requests arrive at once.
 *
 * Each job: loads the record, lets time pass (dipr_reg_tick), applies the
 * event (dipr_reg_apply), then for each lifecycle entry the state machine
 * names appends {"v":1,"type":"registration","event","app","regno"?,
 * "body_hash","prev"?} where body_hash is the lowercase hex SM3 of the
 * canonical JSON of the full record kept in the database (event table;
 * it holds a random salt so that guesses cannot be confirmed) and prev is
 * the index of the record's previous entry.  At registration (and each
 * change, transfer or renewal) it issues a certificate: numbers, body,
 * Ed25519 + SM2 signatures by the log's keys, a `certificate` entry.
 *
 * Extension of DESIGN.md: entries before registration have no regno yet;
 * they carry "app" (the application number) instead, and every entry
 * carries "app", which links the chain across the registration.
 *
 * Reads (dipr_registry_read_*) run on the caller's thread with its own
 * store and see committed state only.
 */
#ifndef DIPR_REGISTRY_SERVICE_H
#define DIPR_REGISTRY_SERVICE_H

#include <jansson.h>
#include "dipr/registry.h"
#include "log/log.h"
#include "store/registry.h"

typedef struct dipr_registry dipr_registry;

/* Opens the registry of a log: configuration from DIR/registry.json (all
 * members optional, defaults as DOMAIN.md: review_working_days,
 * notice_working_days, correction_days, objection_decision_days,
 * validity_years, renewal_window_months, repeat_filing_months, body_code,
 * issuer, public_url), the calendar from DIR/calendar.txt if present, and
 * the test clock if the data directory was made with `dipr init
 * --test-clock` (meta test_clock = 1; production directories never have
 * it, and it cannot be turned on later).  public_url_default is used when
 * the file names none (e.g. "http://127.0.0.1:8080"). */
int dipr_registry_open(dipr_registry **out, dipr_log *log, const char *public_url_default);
/* Sets the public URL unless registry.json or dipr_registry_open named
 * one (serve calls it once it knows its port). */
void dipr_registry_default_public_url(dipr_registry *r, const char *url);
/* Starts the ticker thread: lets time pass for every open record each
 * period_s seconds. */
int dipr_registry_start(dipr_registry *r, unsigned period_s);
void dipr_registry_close(dipr_registry *r);

/* "Today" in China (UTC+8), moved by the test clock if enabled. */
dipr_date dipr_registry_today(dipr_registry *r);
bool dipr_registry_has_test_clock(dipr_registry *r);
/* Test clock only (DIPR_EINVAL otherwise): from now on today is d (it
 * advances with real time from there).  Runs a tick of every record
 * before returning. */
int dipr_registry_set_today(dipr_registry *r, dipr_date d);
const dipr_reg_config *dipr_registry_config(dipr_registry *r);
dipr_log *dipr_registry_log(dipr_registry *r);
/* The stored form of a dipr_reg (the app row's reg column). */
int dipr_registry_reg_from_json(json_t *o, dipr_reg *g);

typedef enum {
	DIPR_OP_CREATE,   /* applicant: new draft from body */
	DIPR_OP_EVENT,    /* an event on application `app` or registration `regno` */
	DIPR_OP_OBJECT,   /* anyone: objection to application `app` */
	DIPR_OP_DECIDE,   /* examiner: uphold (uphold = true) or dismiss objection `objection` */
	DIPR_OP_TICK_ALL, /* system: let time pass for every open record */
	DIPR_OP_AUDIT,    /* only an audit row (a refusal found before the job) */
} dipr_op_kind;

/* Who acts.  id 0 and role "public" for no account. */
typedef struct {
	int64_t id;
	char name[128];
	char role[16]; /* applicant, examiner, admin, public, system */
	char ip[64];
} dipr_reg_actor_info;

typedef struct dipr_reg_op {
	/* in */
	dipr_op_kind kind;
	dipr_reg_event event; /* DIPR_OP_EVENT */
	int64_t app;
	char regno[17];
	int64_t objection;
	bool uphold;
	dipr_reg_actor_info actor;
	char action[64]; /* for the audit trail, e.g. "POST /api/v1/applications/7/submit" */
	json_t *body;    /* owned: the request body (document or arguments); may be NULL */
	/* set by dipr_registry_precheck */
	json_t *checked; /* owned */
	/* out: the answer (status + JSON), always set when done runs with rc 0 */
	unsigned status;
	json_t *answer;  /* owned */
	int rc;          /* < 0: not done (sequencer stopped, queue full) */
	/* completion */
	void (*done)(struct dipr_reg_op *op); /* on the sequencer thread */
	void *ctx;
	/* internal */
	dipr_registry *reg;
	dipr_log_req lr;
} dipr_reg_op;

/* Frees what op owns (not op itself). */
void dipr_reg_op_clear(dipr_reg_op *op);

/* Checks that need reads and CPU (document validation, evidence receipts
 * re-verified against this log and owned by the applicant, the sample
 * proof), on the caller's thread before dipr_registry_submit.  0 if the
 * operation may go on; otherwise 1 with op->status/answer set (4xx). */
int dipr_registry_precheck(dipr_registry *r, dipr_store *s, dipr_reg_op *op);

/* Queues op as a job.  0: done(op) will run once it is durable (or was
 * refused); DIPR_EFULL / DIPR_ESTOPPED: not queued, done never runs. */
int dipr_registry_submit(dipr_registry *r, dipr_reg_op *op);
/* Submits and waits (CLI, tests, the ticker). */
int dipr_registry_run(dipr_registry *r, dipr_reg_op *op);

/* ---- reads: each returns the HTTP status and sets *out to the JSON answer ---- */

/* One application with every field (owner, examiners). */
unsigned dipr_registry_read_app(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who, int64_t id,
				json_t **out);
/* Applications: an applicant's own, or all for examiners; states filter. */
unsigned dipr_registry_read_apps(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who,
				 const char *states, const char *q, json_t **out);
/* Current public notices (public fields only). */
unsigned dipr_registry_read_notices(dipr_registry *r, dipr_store *s, json_t **out);
/* The public record of a registration, its event history with a
 * tlog-proof for every entry (all to the same checkpoint), licences,
 * pledge and certificates. */
unsigned dipr_registry_read_record(dipr_registry *r, dipr_store *s, const char *regno, json_t **out);
/* Public search over registrations. */
unsigned dipr_registry_search(dipr_registry *r, dipr_store *s, const char *q, json_t **out);
/* A certificate file with the tlog-proof of its entry (to the current
 * checkpoint), as text. */
unsigned dipr_registry_read_cert(dipr_registry *r, dipr_store *s, const char *certno, char **text, json_t **err);
/* One objection: examiners, the owner of the application, or anyone with
 * its key (key NULL: none). */
unsigned dipr_registry_read_objection(dipr_registry *r, dipr_store *s, const dipr_reg_actor_info *who, int64_t id,
				      const char *key, json_t **out);
unsigned dipr_registry_read_objections(dipr_registry *r, dipr_store *s, const char *state, json_t **out);

/* {"error":{"code","message"}} */
json_t *dipr_registry_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
