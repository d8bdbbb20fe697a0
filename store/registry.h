/* registry.h — the registry's tables beside the log (the "durable" level
 * of trust, Sunlight's terms): applications and registrations, their event
 * history, objections, certificates, number counters and the audit trail.
 *
 * Rows are read back as JSON objects (jansson), one member per column, the
 * JSON-text columns (reg, doc, extra, data, file, body, detail) parsed, so
 * that a second backend can return the same shape.  Writes are made by the
 * sequencer's jobs (log/log.h) inside the batch transaction: one writer,
 * so numbering is serial.  Readers (server threads) see committed state
 * only (WAL snapshots).
 *
 * The audit and event tables are append-only: triggers refuse UPDATE and
 * DELETE, so not even a bug in dipr can rewrite history there.
 */
#ifndef DIPR_STORE_REGISTRY_H
#define DIPR_STORE_REGISTRY_H

#include <jansson.h>
#include "store/store.h"

/* Creates the tables if missing (idempotent; dipr_log_open calls it). */
int dipr_store_reg_schema(dipr_store *s);

/* An application row to write.  id 0: insert (id is set); otherwise
 * update the row with that id.  Strings may be NULL for SQL NULL (reg, doc,
 * extra and state are required). */
typedef struct {
	int64_t id;
	int64_t owner;
	const char *state;
	const char *reg;   /* JSON of the dipr_reg record */
	const char *doc;   /* the application document */
	const char *extra; /* JSON: licences, pledge, reasons, ... */
	const char *regno, *certno;
	const char *applicant_id; /* credit code or identity number, for the repeat-filing rule */
	const char *closed_on;    /* YYYY-MM-DD: withdrawn or refused on */
	int64_t head;             /* log index of the latest event; -1: none yet */
	const char *next_due;     /* YYYY-MM-DD: first day letting time pass changes it; NULL: never */
} dipr_store_app;

int dipr_store_app_put(dipr_store *s, dipr_store_app *a);

/* One application by id (regno NULL) or by registration number (id 0):
 * {id, owner, owner_name, state, reg, doc, extra, regno, certno,
 * applicant_id, closed_on, head, created, updated}.  DIPR_ENOTFOUND. */
int dipr_store_app_get(dipr_store *s, int64_t id, const char *regno, json_t **out);

typedef struct {
	int64_t owner;        /* > 0: only this account's */
	const char *states;   /* NULL: any; else comma-separated state names */
	const char *q;        /* NULL: any; else substring of data name, holder, regno or certno */
	bool registered_only; /* only rows with a registration number */
	int64_t limit, offset;
} dipr_store_app_filter;

/* Matching applications, newest first, as an array of the objects above
 * (without doc/reg/extra when brief). */
int dipr_store_app_list(dipr_store *s, const dipr_store_app_filter *f, bool brief, json_t **out);

/* Ids of applications whose next_due is on or before today (YYYY-MM-DD):
 * the only ones the ticker needs to load, so that a tick costs what
 * changes, not what is stored. */
int dipr_store_app_active(dipr_store *s, const char *today, int64_t **ids, size_t *n);

/* Evidence digests of an application, for the repeat-filing rule. */
int dipr_store_app_digest_add(dipr_store *s, int64_t app, const char *digest);
/* The most recent application withdrawn on or after `since` (YYYY-MM-DD)
 * that cites `digest` and was filed by owner or by applicant_id: *app and
 * its closed_on.  DIPR_ENOTFOUND if none. */
int dipr_store_app_repeat(dipr_store *s, const char *digest, int64_t owner, const char *applicant_id,
			  const char *since, int64_t *app, char closed_on[11]);

/* Events: one row per `registration` log entry, keyed by its log index. */
int dipr_store_event_add(dipr_store *s, uint64_t idx, int64_t app, const char *name, const char *body);
/* [{idx, app, name, body}] in log order. */
int dipr_store_event_list(dipr_store *s, int64_t app, json_t **out);

/* Objections.  data is JSON (reasons, attachments, contact, decision). */
int dipr_store_objection_add(dipr_store *s, int64_t app, const char *data, const uint8_t key_hash[32], int64_t *id);
int dipr_store_objection_decide(dipr_store *s, int64_t id, const char *state, const char *data);
/* {id, app, state, data, created, decided}; key_hash is not returned. */
int dipr_store_objection_get(dipr_store *s, int64_t id, json_t **out);
/* 0 when key_hash matches the objection's key (constant-time compare). */
int dipr_store_objection_key_check(dipr_store *s, int64_t id, const uint8_t key_hash[32]);
/* app > 0: that application's; states NULL: any. */
int dipr_store_objection_list(dipr_store *s, int64_t app, const char *state, json_t **out);

/* Certificates: the file without its tlog_proof (added when served). */
int dipr_store_cert_add(dipr_store *s, const char *certno, const char *regno, int64_t app, int version, uint64_t idx,
			const char *file);
int dipr_store_cert_status(dipr_store *s, const char *certno, const char *status);
/* {certno, regno, app, version, idx, file, status, created}. */
int dipr_store_cert_get(dipr_store *s, const char *certno, json_t **out);
int dipr_store_cert_list(dipr_store *s, const char *regno, json_t **out);

/* *value = the counter's next value (1 for a new counter), stored. */
int dipr_store_counter_next(dipr_store *s, const char *name, uint64_t *value);

/* Audit trail: append-only. */
typedef struct {
	int64_t account; /* 0: none (public) */
	const char *actor, *role, *action, *target, *ip, *outcome, *detail;
} dipr_store_audit;
int dipr_store_audit_add(dipr_store *s, const dipr_store_audit *a, int64_t time_ms);
/* Newest first, at most limit rows before id `before` (0: from the newest). */
int dipr_store_audit_list(dipr_store *s, int64_t before, int64_t limit, json_t **out);

int dipr_store_account_by_id(dipr_store *s, int64_t id, dipr_account *a);

#endif
