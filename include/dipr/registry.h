/* registry.h — the registration workflow as a pure state machine
 * (DOMAIN.md "The chain" steps 2-6 and "Lifecycle after registration").
 *
 * Pure: no storage, no clock, no I/O.  The caller loads a dipr_reg record,
 * passes who is acting, the event, "today" (a dipr_date it chose, +8 h for
 * China) and the configuration; on success the record is updated in place
 * and the result names the `registration` log entries to append (chained
 * by `prev`); the caller persists both.  One call per request: a server
 * maps each endpoint to one dipr_reg_apply, and a timer (or each read) to
 * dipr_reg_tick.  The record holds no pointers, so it may be copied,
 * compared and stored as plain fields.
 *
 * States and transitions (role in brackets; A applicant who owns the
 * record, E examiner, P anyone: applicant, examiner or public, S system):
 *
 *                save_draft[A]
 *                   +--+
 *                   v  |
 *                  DRAFT
 *                    | submit[A]
 *                    v
 *     +---------> SUBMITTED ---refuse[E]---> REFUSED <-------------------+
 *     |             |     |                                              |
 *     | answer_     |     | accept[E]                    uphold_objection[E]
 *     | correction  |     v                                              |
 *     | [A]         |   NOTICE ---object[P]---> SUSPENDED ---------------+
 *     |  request_   |     ^  |                   |  |  ^
 *     |  correction |     |  |                   |  +--+ object[P] (count + 1)
 *     |  [E]        v     +--|--dismiss_objection[E] (last open one,
 *     +--- CORRECTION_       |                    notice still running)
 *          REQUESTED         |                   |
 *            |               | tick: notice_end  | dismiss_objection[E]
 *            | tick:         | passed            | (last open one,
 *            | correction_   |                   |  notice over)
 *            | due passed    v                   |
 *            v           REGISTERED <------------+
 *        WITHDRAWN <-- withdraw[A] from DRAFT, SUBMITTED,
 *                      CORRECTION_REQUESTED, NOTICE, SUSPENDED
 *
 *   REGISTERED (flag: pledged)
 *     request_change[A], add_license[A], pledge[A], release_pledge[A],
 *     renew[A]                              -> REGISTERED
 *     request_transfer[A] (not pledged)     -> SUPERSEDED (+ successor record)
 *     cancel[A] (not pledged)               -> CANCELLED
 *     revoke[E] (reasons)                   -> REVOKED
 *     tick: valid_until passed              -> EXPIRED
 *
 * WITHDRAWN, REFUSED, SUPERSEDED, CANCELLED, REVOKED and EXPIRED are final:
 * only tick is accepted there (and does nothing).
 *
 * Pledged is a flag of REGISTERED, not a state: a pledged registration
 * still accepts change, license, renewal and revocation, and expires; it
 * refuses transfer and cancellation (DIPR_REG_PLEDGED) until
 * release_pledge.  One pledge at a time: pledging a pledged registration
 * is refused with DIPR_REG_PLEDGED.
 *
 * Superseded.  A certificate version is one dipr_reg.  request_change
 * keeps the record and increments its version (new certificate version,
 * same holder).  request_transfer ends the old record in SUPERSEDED and
 * returns a successor record in result.successor: REGISTERED, owner =
 * args.new_owner, version + 1, same registered_on / valid_until /
 * agreement_end / licenses, not pledged.  The caller stores the successor
 * as the current version and links the two (same registration number).
 *
 * Dates (all inclusive, all in the caller's calendar day):
 *   review_due     = review_working_days working days after submission (or
 *                    after the answer to a correction).  Passing it only
 *                    sets the overdue flag (tick); the state stays.
 *   correction_due = correction_days calendar days after the request (or
 *                    working days if cfg.correction_in_working_days).  The
 *                    answer is accepted on correction_due; tick on any
 *                    later day withdraws the application.
 *   notice_start   = the acceptance day; notice_end = the last day of a
 *                    notice of notice_working_days working days starting
 *                    then (dipr_calendar_notice_end).  Objections are
 *                    accepted from notice_start to notice_end inclusive.
 *                    The notice clock keeps running while suspended.
 *   objection_due  = objection_decision_days calendar days after the first
 *                    objection of a suspension; kept until the last open
 *                    objection is decided (so overdue errs early, never
 *                    late).  Passing it sets the overdue flag (tick).
 *   registered_on  = notice_end when tick registers after a clean notice;
 *                    the dismissal day when the last objection is dismissed
 *                    after notice_end (registration cannot be announced
 *                    while suspended).
 *   valid_until    = min(registered_on + validity_years years,
 *                    agreement_end) — the last valid day.  Tick on any
 *                    later day expires the registration.  A registration
 *                    whose agreement_end is before the registration day
 *                    is registered with valid_until = agreement_end and
 *                    expires at the next tick.
 *   renewal window = [valid_until - renewal_window_months months,
 *                    valid_until]; renew sets valid_until = min(valid_until
 *                    + validity_years years, agreement_end) and is refused
 *                    (DIPR_REG_BAD_INPUT) when that extends nothing.
 *
 * Checks, in this order (the first failing one is the refusal):
 *   1. the role may send the event at all, and an applicant acts only on
 *      its own record (actor.id == owner)       -> DIPR_REG_FORBIDDEN
 *   2. the event is allowed in the state        -> DIPR_REG_WRONG_STATE
 *   3. required arguments (reasons, new owner)  -> DIPR_REG_BAD_INPUT
 *   4. time: a deadline passed (correction answered late, objection after
 *      the notice, any holder action after valid_until)
 *                                               -> DIPR_REG_DEADLINE
 *      too early (renewal before its window)    -> DIPR_REG_TOO_EARLY
 *   5. pledge rules                             -> DIPR_REG_PLEDGED
 * dipr_reg_apply does not tick first: a caller should tick before applying
 * so that the record's state reflects today (a late answer to a correction
 * is then WRONG_STATE in WITHDRAWN rather than DEADLINE).
 *
 * Log entries.  Every accepted event except save_draft and tick names 1 or
 * 2 lifecycle entries (dipr_reg_log_name: "submitted", "accepted",
 * "correction", ...) for the caller to append in order.  save_draft logs
 * nothing: drafts are not public and not yet part of the record's history.
 * tick logs one entry per state change it makes (up to 2: "registered"
 * then "expiry" when a long-idle record is ticked); overdue flags change
 * without a log entry (they are examiners' queue markers, not facts).
 *
 * Thread safety: no globals except the error detail (thread-local).
 */
#ifndef DIPR_REGISTRY_H
#define DIPR_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "dipr/calendar.h"

typedef enum {
	DIPR_REG_DRAFT = 0,
	DIPR_REG_SUBMITTED,            /* under formal review */
	DIPR_REG_CORRECTION_REQUESTED, /* 补正: waiting for the applicant until correction_due */
	DIPR_REG_WITHDRAWN,            /* by the applicant, or correction deadline missed */
	DIPR_REG_REFUSED,              /* 不予登记 (also an upheld objection) */
	DIPR_REG_NOTICE,               /* 公示 until notice_end */
	DIPR_REG_SUSPENDED,            /* notice with open objections */
	DIPR_REG_REGISTERED,           /* active; see the pledged flag */
	DIPR_REG_SUPERSEDED,           /* transferred: a successor version replaces it */
	DIPR_REG_CANCELLED,            /* 注销 by the holder */
	DIPR_REG_REVOKED,              /* 撤销 by an examiner */
	DIPR_REG_EXPIRED,
} dipr_reg_state;
#define DIPR_REG_NSTATES 12

typedef enum {
	/* applicant (owner only) */
	DIPR_REG_SAVE_DRAFT = 0,
	DIPR_REG_SUBMIT,
	DIPR_REG_ANSWER_CORRECTION,
	DIPR_REG_WITHDRAW,
	DIPR_REG_REQUEST_CHANGE,
	DIPR_REG_REQUEST_TRANSFER, /* args.new_owner */
	DIPR_REG_ADD_LICENSE,
	DIPR_REG_PLEDGE,
	DIPR_REG_RELEASE_PLEDGE,
	DIPR_REG_RENEW, /* args.agreement_end optional: a renewed agreement */
	DIPR_REG_CANCEL,
	/* examiner */
	DIPR_REG_ACCEPT,
	DIPR_REG_REQUEST_CORRECTION, /* args.reasons: what to correct */
	DIPR_REG_REFUSE,             /* args.reasons */
	DIPR_REG_UPHOLD_OBJECTION,
	DIPR_REG_DISMISS_OBJECTION,
	DIPR_REG_REVOKE, /* args.reasons */
	/* applicant, examiner or public */
	DIPR_REG_OBJECT, /* args.reasons */
	/* system */
	DIPR_REG_TICK,
} dipr_reg_event;
#define DIPR_REG_NEVENTS 19

typedef enum {
	DIPR_REG_ROLE_APPLICANT = 0,
	DIPR_REG_ROLE_EXAMINER,
	DIPR_REG_ROLE_PUBLIC, /* no account; id ignored */
	DIPR_REG_ROLE_SYSTEM, /* the server's own timer */
} dipr_reg_role;
#define DIPR_REG_NROLES 4

typedef enum {
	DIPR_REG_OK = 0,
	DIPR_REG_FORBIDDEN,   /* this role may not send this event, or not on this record */
	DIPR_REG_WRONG_STATE, /* not allowed in the record's state */
	DIPR_REG_DEADLINE,    /* a deadline or the validity has passed */
	DIPR_REG_TOO_EARLY,   /* renewal before its window opens */
	DIPR_REG_PLEDGED,     /* pledged: release first (or already pledged) */
	DIPR_REG_BAD_INPUT,   /* missing reasons or owner, bad config or date, unknown enum */
} dipr_reg_refusal;

/* Lifecycle log entry names (DOMAIN.md "Lifecycle"). */
typedef enum {
	DIPR_REG_LOG_NONE = 0,
	DIPR_REG_LOG_SUBMITTED,
	DIPR_REG_LOG_CORRECTION,          /* correction requested */
	DIPR_REG_LOG_CORRECTION_ANSWERED, /* resubmitted after a correction */
	DIPR_REG_LOG_ACCEPTED,            /* notice begins */
	DIPR_REG_LOG_REFUSED,
	DIPR_REG_LOG_WITHDRAWN,
	DIPR_REG_LOG_OBJECTION,
	DIPR_REG_LOG_OBJECTION_UPHELD,
	DIPR_REG_LOG_OBJECTION_DISMISSED,
	DIPR_REG_LOG_REGISTERED,
	DIPR_REG_LOG_CHANGE,
	DIPR_REG_LOG_TRANSFER,
	DIPR_REG_LOG_LICENSE,
	DIPR_REG_LOG_PLEDGE,
	DIPR_REG_LOG_PLEDGE_RELEASE,
	DIPR_REG_LOG_RENEWAL,
	DIPR_REG_LOG_CANCELLATION,
	DIPR_REG_LOG_REVOCATION,
	DIPR_REG_LOG_EXPIRY,
} dipr_reg_log;
#define DIPR_REG_MAX_LOG 2

/* Configuration: every number of DOMAIN.md.  The calendar is borrowed and
 * must outlive every call that uses the config; NULL means plain Monday to
 * Friday. */
typedef struct {
	int32_t review_working_days;     /* formal review: 15 */
	int32_t notice_working_days;     /* notice: 10 */
	int32_t correction_days;         /* correction deadline: 30 */
	bool correction_in_working_days; /* false: calendar days */
	int32_t objection_decision_days; /* calendar days: 60 */
	int32_t validity_years;          /* 3 */
	int32_t renewal_window_months;   /* 3 */
	const dipr_calendar *calendar;
} dipr_reg_config;

/* A registration record (an application before REGISTERED).  Dates are
 * meaningful only once set by the transition that defines them (see the
 * list above); the others are left as they were. */
typedef struct {
	dipr_reg_state state;
	uint64_t owner;   /* applicant / holder account id */
	uint32_t version; /* certificate version: 0 until registered, then 1, +1 per change or transfer */
	dipr_date submitted_on; /* first submission */
	dipr_date review_due;
	dipr_date correction_due;
	dipr_date notice_start;
	dipr_date notice_end;
	dipr_date objection_due;
	dipr_date registered_on;
	dipr_date valid_until;
	dipr_date agreement_end; /* only if has_agreement_end: acquired/authorised data */
	bool has_agreement_end;
	bool pledged;
	bool overdue; /* review or objection decision late: highlight for examiners */
	uint32_t open_objections;
	uint32_t licenses; /* number of licences recorded */
} dipr_reg;

typedef struct {
	dipr_reg_role role;
	uint64_t id; /* account id; ignored for public and system */
} dipr_reg_actor;

/* Event arguments; NULL means all absent.  Borrowed for the call only. */
typedef struct {
	const char *reasons;     /* refuse, revoke, request_correction, object: non-empty */
	uint64_t new_owner;      /* request_transfer: non-zero, not the current owner */
	bool has_agreement_end;  /* save_draft, submit, answer_correction, renew: */
	dipr_date agreement_end; /*   set or replace the agreement end date */
} dipr_reg_args;

typedef struct {
	dipr_reg_refusal refusal;      /* DIPR_REG_OK on success */
	size_t n_log;                  /* entries to append, in order */
	dipr_reg_log log[DIPR_REG_MAX_LOG];
	bool changed;                  /* the record changed: persist it */
	bool has_successor;            /* request_transfer: store successor */
	dipr_reg successor;
} dipr_reg_result;

/* Fills cfg with DOMAIN.md's defaults and no calendar. */
void dipr_reg_config_default(dipr_reg_config *cfg);

/* Checks cfg's numbers (each in 1..DIPR_CALENDAR_MAX_N; years <= 100,
 * months <= 1200).  DIPR_EINVAL with a detail naming the field. */
int dipr_reg_config_check(const dipr_reg_config *cfg);

/* A new DRAFT owned by owner: every date 1970-01-01, every flag off. */
void dipr_reg_init(dipr_reg *r, uint64_t owner);

/* Applies one event.  r: in/out, the record; cfg: the configuration
 * (NULL: defaults); who: the actor; args: may be NULL; today: the day the
 * request is handled; out: required, always filled.
 * Returns 0 when accepted: *r updated, out->log names the entries to
 * append.  DIPR_EINVAL when refused: *r unchanged, out->refusal says why,
 * dipr_errdetail() names the state, event, role or field and what was
 * expected.  DIPR_ERANGE (refusal BAD_INPUT) if a computed date would
 * leave 1900..9999.  The TICK event is dipr_reg_tick for role SYSTEM. */
int dipr_reg_apply(dipr_reg *r, const dipr_reg_config *cfg, const dipr_reg_actor *who, dipr_reg_event ev,
		   const dipr_reg_args *args, dipr_date today, dipr_reg_result *out);

/* Lets time pass up to today: registers after a clean notice, withdraws
 * after a missed correction deadline, expires after valid_until, sets the
 * overdue flag for a late review or objection decision.  Accepted in every
 * state (a no-op in final states); out->changed says whether to persist.
 * Idempotent: ticking twice with the same today changes nothing more. */
int dipr_reg_tick(dipr_reg *r, const dipr_reg_config *cfg, dipr_date today, dipr_reg_result *out);

/* Names for logs, APIs and messages ("correction_requested", "submit",
 * "applicant", "forbidden", "pledge_release"); "?" for an unknown value. */
const char *dipr_reg_state_name(dipr_reg_state s);
const char *dipr_reg_event_name(dipr_reg_event e);
const char *dipr_reg_role_name(dipr_reg_role r);
const char *dipr_reg_refusal_name(dipr_reg_refusal f);
const char *dipr_reg_log_name(dipr_reg_log l);

/* Public status of a record as `dipr verify` reports it: "valid",
 * "pledged", "superseded", "cancelled", "revoked", "expired", or the state
 * name before registration ("notice", ...). */
const char *dipr_reg_status(const dipr_reg *r);

#endif
