/* registry.c — the registration workflow state machine (registry.h,
 * DOMAIN.md "The chain" and "Lifecycle after registration").
 *
 * Every transition works on a copy of the record and commits it only when
 * every check passed, so a refusal leaves the caller's record untouched. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dipr/registry.h"
#include "internal.h"

void dipr_reg_config_default(dipr_reg_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->review_working_days = 15;
	cfg->notice_working_days = 10;
	cfg->correction_days = 30;
	cfg->correction_in_working_days = false;
	cfg->objection_decision_days = 60;
	cfg->validity_years = 3;
	cfg->renewal_window_months = 3;
	cfg->calendar = NULL;
}

static int check_range(const char *field, int32_t v, int32_t max)
{
	if (v < 1 || v > max)
		return dipr__err(DIPR_EINVAL, "registry config: %s is %d, expected 1..%d", field, (int)v, (int)max);
	return 0;
}

int dipr_reg_config_check(const dipr_reg_config *cfg)
{
	int rc;
	if ((rc = check_range("review_working_days", cfg->review_working_days, DIPR_CALENDAR_MAX_N)) ||
	    (rc = check_range("notice_working_days", cfg->notice_working_days, DIPR_CALENDAR_MAX_N)) ||
	    (rc = check_range("correction_days", cfg->correction_days, DIPR_CALENDAR_MAX_N)) ||
	    (rc = check_range("objection_decision_days", cfg->objection_decision_days, DIPR_CALENDAR_MAX_N)) ||
	    (rc = check_range("validity_years", cfg->validity_years, 100)) ||
	    (rc = check_range("renewal_window_months", cfg->renewal_window_months, 1200)))
		return rc;
	return 0;
}

void dipr_reg_init(dipr_reg *r, uint64_t owner)
{
	memset(r, 0, sizeof *r);
	r->state = DIPR_REG_DRAFT;
	r->owner = owner;
}

const char *dipr_reg_state_name(dipr_reg_state s)
{
	switch (s) {
	case DIPR_REG_DRAFT: return "draft";
	case DIPR_REG_SUBMITTED: return "submitted";
	case DIPR_REG_CORRECTION_REQUESTED: return "correction_requested";
	case DIPR_REG_WITHDRAWN: return "withdrawn";
	case DIPR_REG_REFUSED: return "refused";
	case DIPR_REG_NOTICE: return "notice";
	case DIPR_REG_SUSPENDED: return "suspended";
	case DIPR_REG_REGISTERED: return "registered";
	case DIPR_REG_SUPERSEDED: return "superseded";
	case DIPR_REG_CANCELLED: return "cancelled";
	case DIPR_REG_REVOKED: return "revoked";
	case DIPR_REG_EXPIRED: return "expired";
	}
	return "?";
}

const char *dipr_reg_event_name(dipr_reg_event e)
{
	switch (e) {
	case DIPR_REG_SAVE_DRAFT: return "save_draft";
	case DIPR_REG_SUBMIT: return "submit";
	case DIPR_REG_ANSWER_CORRECTION: return "answer_correction";
	case DIPR_REG_WITHDRAW: return "withdraw";
	case DIPR_REG_REQUEST_CHANGE: return "request_change";
	case DIPR_REG_REQUEST_TRANSFER: return "request_transfer";
	case DIPR_REG_ADD_LICENSE: return "add_license";
	case DIPR_REG_PLEDGE: return "pledge";
	case DIPR_REG_RELEASE_PLEDGE: return "release_pledge";
	case DIPR_REG_RENEW: return "renew";
	case DIPR_REG_CANCEL: return "cancel";
	case DIPR_REG_ACCEPT: return "accept";
	case DIPR_REG_REQUEST_CORRECTION: return "request_correction";
	case DIPR_REG_REFUSE: return "refuse";
	case DIPR_REG_UPHOLD_OBJECTION: return "uphold_objection";
	case DIPR_REG_DISMISS_OBJECTION: return "dismiss_objection";
	case DIPR_REG_REVOKE: return "revoke";
	case DIPR_REG_OBJECT: return "object";
	case DIPR_REG_TICK: return "tick";
	}
	return "?";
}

const char *dipr_reg_role_name(dipr_reg_role r)
{
	switch (r) {
	case DIPR_REG_ROLE_APPLICANT: return "applicant";
	case DIPR_REG_ROLE_EXAMINER: return "examiner";
	case DIPR_REG_ROLE_PUBLIC: return "public";
	case DIPR_REG_ROLE_SYSTEM: return "system";
	}
	return "?";
}

const char *dipr_reg_refusal_name(dipr_reg_refusal f)
{
	switch (f) {
	case DIPR_REG_OK: return "ok";
	case DIPR_REG_FORBIDDEN: return "forbidden";
	case DIPR_REG_WRONG_STATE: return "wrong_state";
	case DIPR_REG_DEADLINE: return "deadline";
	case DIPR_REG_TOO_EARLY: return "too_early";
	case DIPR_REG_PLEDGED: return "pledged";
	case DIPR_REG_BAD_INPUT: return "bad_input";
	}
	return "?";
}

const char *dipr_reg_log_name(dipr_reg_log l)
{
	switch (l) {
	case DIPR_REG_LOG_NONE: return "none";
	case DIPR_REG_LOG_SUBMITTED: return "submitted";
	case DIPR_REG_LOG_CORRECTION: return "correction";
	case DIPR_REG_LOG_CORRECTION_ANSWERED: return "correction_answered";
	case DIPR_REG_LOG_ACCEPTED: return "accepted";
	case DIPR_REG_LOG_REFUSED: return "refused";
	case DIPR_REG_LOG_WITHDRAWN: return "withdrawn";
	case DIPR_REG_LOG_OBJECTION: return "objection";
	case DIPR_REG_LOG_OBJECTION_UPHELD: return "objection_upheld";
	case DIPR_REG_LOG_OBJECTION_DISMISSED: return "objection_dismissed";
	case DIPR_REG_LOG_REGISTERED: return "registered";
	case DIPR_REG_LOG_CHANGE: return "change";
	case DIPR_REG_LOG_TRANSFER: return "transfer";
	case DIPR_REG_LOG_LICENSE: return "license";
	case DIPR_REG_LOG_PLEDGE: return "pledge";
	case DIPR_REG_LOG_PLEDGE_RELEASE: return "pledge_release";
	case DIPR_REG_LOG_RENEWAL: return "renewal";
	case DIPR_REG_LOG_CANCELLATION: return "cancellation";
	case DIPR_REG_LOG_REVOCATION: return "revocation";
	case DIPR_REG_LOG_EXPIRY: return "expiry";
	}
	return "?";
}

const char *dipr_reg_status(const dipr_reg *r)
{
	if (r->state == DIPR_REG_REGISTERED)
		return r->pledged ? "pledged" : "valid";
	return dipr_reg_state_name(r->state);
}

/* --- the rules --- */

#define ROLE(x) (1u << DIPR_REG_ROLE_##x)
#define ST(x) (1u << DIPR_REG_##x)

/* Which roles may send each event and in which states it is allowed: the
 * whole transition table of registry.h in one place.  Transfer, cancel
 * and the pledge rules are refined in apply(). */
static const struct {
	unsigned roles;
	unsigned states;
} rules[DIPR_REG_NEVENTS] = {
	[DIPR_REG_SAVE_DRAFT] = {ROLE(APPLICANT), ST(DRAFT)},
	[DIPR_REG_SUBMIT] = {ROLE(APPLICANT), ST(DRAFT)},
	[DIPR_REG_ANSWER_CORRECTION] = {ROLE(APPLICANT), ST(CORRECTION_REQUESTED)},
	[DIPR_REG_WITHDRAW] = {ROLE(APPLICANT),
			       ST(DRAFT) | ST(SUBMITTED) | ST(CORRECTION_REQUESTED) | ST(NOTICE) | ST(SUSPENDED)},
	[DIPR_REG_REQUEST_CHANGE] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_REQUEST_TRANSFER] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_ADD_LICENSE] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_PLEDGE] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_RELEASE_PLEDGE] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_RENEW] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_CANCEL] = {ROLE(APPLICANT), ST(REGISTERED)},
	[DIPR_REG_ACCEPT] = {ROLE(EXAMINER), ST(SUBMITTED)},
	[DIPR_REG_REQUEST_CORRECTION] = {ROLE(EXAMINER), ST(SUBMITTED)},
	[DIPR_REG_REFUSE] = {ROLE(EXAMINER), ST(SUBMITTED)},
	[DIPR_REG_UPHOLD_OBJECTION] = {ROLE(EXAMINER), ST(SUSPENDED)},
	[DIPR_REG_DISMISS_OBJECTION] = {ROLE(EXAMINER), ST(SUSPENDED)},
	[DIPR_REG_REVOKE] = {ROLE(EXAMINER), ST(REGISTERED)},
	[DIPR_REG_OBJECT] = {ROLE(APPLICANT) | ROLE(EXAMINER) | ROLE(PUBLIC), ST(NOTICE) | ST(SUSPENDED)},
	[DIPR_REG_TICK] = {ROLE(SYSTEM), (1u << DIPR_REG_NSTATES) - 1},
};

static void result_clear(dipr_reg_result *out)
{
	memset(out, 0, sizeof *out);
}

static int refuse(dipr_reg_result *out, dipr_reg_refusal why, int code, const char *fmt, ...) DIPR__PRINTF(4, 5);

static int refuse(dipr_reg_result *out, dipr_reg_refusal why, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	result_clear(out);
	out->refusal = why;
	return dipr__err(code, "registry: %s", msg);
}

static void add_log(dipr_reg_result *out, dipr_reg_log l)
{
	/* At most DIPR_REG_MAX_LOG entries per call by construction. */
	if (out->n_log < DIPR_REG_MAX_LOG)
		out->log[out->n_log++] = l;
}

static bool has_text(const char *s)
{
	return s && s[0];
}

static dipr_date min_date(dipr_date a, dipr_date b)
{
	return a.days <= b.days ? a : b;
}

static int fmt_date(dipr_date d, char s[DIPR_DATE_STRLEN])
{
	if (dipr_date_format(d, s) != 0)
		memcpy(s, "(invalid)", 10);
	return 0;
}

/* valid_until for a registration announced on day: min(day + validity,
 * agreement end). */
static int validity_from(const dipr_reg_config *cfg, const dipr_reg *r, dipr_date day, dipr_date *out)
{
	dipr_date v;
	int rc = dipr_date_add_years(day, cfg->validity_years, &v);
	if (rc)
		return rc;
	if (r->has_agreement_end)
		v = min_date(v, r->agreement_end);
	*out = v;
	return 0;
}

static int do_register(const dipr_reg_config *cfg, dipr_reg *r, dipr_date day, dipr_reg_result *out)
{
	int rc = validity_from(cfg, r, day, &r->valid_until);
	if (rc)
		return rc;
	r->state = DIPR_REG_REGISTERED;
	r->registered_on = day;
	r->version = 1;
	r->overdue = false;
	r->open_objections = 0;
	add_log(out, DIPR_REG_LOG_REGISTERED);
	return 0;
}

/* One step of time passing; *progress tells whether anything changed.
 * Called until nothing changes, so that a long-idle record goes through
 * every state it would have (notice → registered → expired). */
static int tick_step(const dipr_reg_config *cfg, dipr_reg *r, dipr_date today, dipr_reg_result *out, bool *progress)
{
	*progress = false;
	switch (r->state) {
	case DIPR_REG_SUBMITTED:
		if (!r->overdue && today.days > r->review_due.days) {
			r->overdue = true;
			*progress = true;
		}
		break;
	case DIPR_REG_CORRECTION_REQUESTED:
		if (today.days > r->correction_due.days) {
			r->state = DIPR_REG_WITHDRAWN;
			r->overdue = false;
			add_log(out, DIPR_REG_LOG_WITHDRAWN);
			*progress = true;
		}
		break;
	case DIPR_REG_NOTICE:
		if (today.days > r->notice_end.days) {
			int rc = do_register(cfg, r, r->notice_end, out);
			if (rc)
				return rc;
			*progress = true;
		}
		break;
	case DIPR_REG_SUSPENDED:
		if (!r->overdue && today.days > r->objection_due.days) {
			r->overdue = true;
			*progress = true;
		}
		break;
	case DIPR_REG_REGISTERED:
		if (today.days > r->valid_until.days) {
			r->state = DIPR_REG_EXPIRED;
			add_log(out, DIPR_REG_LOG_EXPIRY);
			*progress = true;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int tick(const dipr_reg_config *cfg, dipr_reg *r, dipr_date today, dipr_reg_result *out)
{
	/* Each step moves forward through a finite chain, so a handful of
	 * rounds always suffices; the bound guards against a broken rule. */
	for (int i = 0; i < 4; i++) {
		bool progress;
		int rc = tick_step(cfg, r, today, out, &progress);
		if (rc)
			return rc;
		if (!progress)
			break;
		out->changed = true;
	}
	return 0;
}

static int apply(dipr_reg *r, const dipr_reg_config *cfg, const dipr_reg_actor *who, dipr_reg_event ev,
		 const dipr_reg_args *args, dipr_date today, dipr_reg_result *out)
{
	static const dipr_reg_args none;
	char d1[DIPR_DATE_STRLEN], d2[DIPR_DATE_STRLEN];
	const char *en = dipr_reg_event_name(ev);
	int rc;

	if (!args)
		args = &none;
	if ((unsigned)ev >= DIPR_REG_NEVENTS)
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "event %d: unknown", (int)ev);
	if ((unsigned)who->role >= DIPR_REG_NROLES)
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "role %d: unknown", (int)who->role);
	if ((unsigned)r->state >= DIPR_REG_NSTATES)
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "record state %d: unknown", (int)r->state);
	if (!dipr_date_valid(today))
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "today: not a date in 1900..9999");

	/* 1. role, then ownership */
	if (!(rules[ev].roles & (1u << who->role)))
		return refuse(out, DIPR_REG_FORBIDDEN, DIPR_EINVAL, "%s: not allowed for role %s", en,
			      dipr_reg_role_name(who->role));
	if (who->role == DIPR_REG_ROLE_APPLICANT && rules[ev].roles == ROLE(APPLICANT) && who->id != r->owner)
		return refuse(out, DIPR_REG_FORBIDDEN, DIPR_EINVAL,
			      "%s: applicant %llu does not own this record (owner %llu)", en,
			      (unsigned long long)who->id, (unsigned long long)r->owner);
	/* 2. state */
	if (!(rules[ev].states & (1u << r->state)))
		return refuse(out, DIPR_REG_WRONG_STATE, DIPR_EINVAL, "%s: not allowed in state %s", en,
			      dipr_reg_state_name(r->state));
	/* 3. arguments */
	if ((ev == DIPR_REG_REFUSE || ev == DIPR_REG_REVOKE || ev == DIPR_REG_REQUEST_CORRECTION ||
	     ev == DIPR_REG_OBJECT) &&
	    !has_text(args->reasons))
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "%s: reasons: required, got none", en);
	if (ev == DIPR_REG_REQUEST_TRANSFER && (args->new_owner == 0 || args->new_owner == r->owner))
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL,
			      "%s: new_owner: expected an account other than the holder, got %llu", en,
			      (unsigned long long)args->new_owner);
	if (args->has_agreement_end && !dipr_date_valid(args->agreement_end))
		return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL, "%s: agreement_end: not a date in 1900..9999",
			      en);
	/* 4. time */
	if (ev == DIPR_REG_ANSWER_CORRECTION && today.days > r->correction_due.days)
		return refuse(out, DIPR_REG_DEADLINE, DIPR_EINVAL, "%s: correction deadline %s has passed", en,
			      (fmt_date(r->correction_due, d1), d1));
	if (ev == DIPR_REG_OBJECT && (today.days > r->notice_end.days || today.days < r->notice_start.days))
		return refuse(out, DIPR_REG_DEADLINE, DIPR_EINVAL, "%s: only during the notice %s..%s", en,
			      (fmt_date(r->notice_start, d1), d1), (fmt_date(r->notice_end, d2), d2));
	if (r->state == DIPR_REG_REGISTERED && who->role == DIPR_REG_ROLE_APPLICANT &&
	    today.days > r->valid_until.days)
		return refuse(out, DIPR_REG_DEADLINE, DIPR_EINVAL, "%s: the registration expired after %s", en,
			      (fmt_date(r->valid_until, d1), d1));
	if (ev == DIPR_REG_RENEW) {
		dipr_date open;
		if ((rc = dipr_date_add_months(r->valid_until, -(int64_t)cfg->renewal_window_months, &open)))
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: renewal window: date out of range", en);
		if (today.days < open.days)
			return refuse(out, DIPR_REG_TOO_EARLY, DIPR_EINVAL,
				      "%s: the renewal window opens on %s (valid until %s)", en, (fmt_date(open, d1), d1),
				      (fmt_date(r->valid_until, d2), d2));
	}
	/* 5. pledge */
	if ((ev == DIPR_REG_REQUEST_TRANSFER || ev == DIPR_REG_CANCEL || ev == DIPR_REG_PLEDGE) && r->pledged)
		return refuse(out, DIPR_REG_PLEDGED, DIPR_EINVAL, "%s: the registration is pledged; release it first",
			      en);
	if (ev == DIPR_REG_RELEASE_PLEDGE && !r->pledged)
		return refuse(out, DIPR_REG_WRONG_STATE, DIPR_EINVAL, "%s: the registration is not pledged", en);

	/* Every check passed: make the transition on a copy. */
	dipr_reg n = *r;
	result_clear(out);
	if (args->has_agreement_end && (ev == DIPR_REG_SAVE_DRAFT || ev == DIPR_REG_SUBMIT ||
					ev == DIPR_REG_ANSWER_CORRECTION || ev == DIPR_REG_RENEW)) {
		n.has_agreement_end = true;
		n.agreement_end = args->agreement_end;
	}
	switch (ev) {
	case DIPR_REG_SAVE_DRAFT:
		break;
	case DIPR_REG_SUBMIT:
	case DIPR_REG_ANSWER_CORRECTION:
		if ((rc = dipr_calendar_add_working_days(cfg->calendar, today, cfg->review_working_days,
							 &n.review_due)))
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: review_due: date out of range", en);
		if (ev == DIPR_REG_SUBMIT)
			n.submitted_on = today;
		n.state = DIPR_REG_SUBMITTED;
		n.overdue = false;
		add_log(out, ev == DIPR_REG_SUBMIT ? DIPR_REG_LOG_SUBMITTED : DIPR_REG_LOG_CORRECTION_ANSWERED);
		break;
	case DIPR_REG_WITHDRAW:
		n.state = DIPR_REG_WITHDRAWN;
		n.overdue = false;
		n.open_objections = 0;
		add_log(out, DIPR_REG_LOG_WITHDRAWN);
		break;
	case DIPR_REG_REQUEST_CHANGE:
		n.version++;
		add_log(out, DIPR_REG_LOG_CHANGE);
		break;
	case DIPR_REG_REQUEST_TRANSFER:
		out->has_successor = true;
		out->successor = n;
		out->successor.owner = args->new_owner;
		out->successor.version = n.version + 1;
		out->successor.pledged = false;
		n.state = DIPR_REG_SUPERSEDED;
		add_log(out, DIPR_REG_LOG_TRANSFER);
		break;
	case DIPR_REG_ADD_LICENSE:
		n.licenses++;
		add_log(out, DIPR_REG_LOG_LICENSE);
		break;
	case DIPR_REG_PLEDGE:
		n.pledged = true;
		add_log(out, DIPR_REG_LOG_PLEDGE);
		break;
	case DIPR_REG_RELEASE_PLEDGE:
		n.pledged = false;
		add_log(out, DIPR_REG_LOG_PLEDGE_RELEASE);
		break;
	case DIPR_REG_RENEW: {
		dipr_date v;
		if ((rc = dipr_date_add_years(n.valid_until, cfg->validity_years, &v)))
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: valid_until: date out of range", en);
		if (n.has_agreement_end)
			v = min_date(v, n.agreement_end);
		if (v.days <= n.valid_until.days)
			return refuse(out, DIPR_REG_BAD_INPUT, DIPR_EINVAL,
				      "%s: agreement_end %s: expected after the current valid_until %s", en,
				      (fmt_date(n.agreement_end, d1), d1), (fmt_date(n.valid_until, d2), d2));
		n.valid_until = v;
		add_log(out, DIPR_REG_LOG_RENEWAL);
		break;
	}
	case DIPR_REG_CANCEL:
		n.state = DIPR_REG_CANCELLED;
		add_log(out, DIPR_REG_LOG_CANCELLATION);
		break;
	case DIPR_REG_ACCEPT:
		if ((rc = dipr_calendar_notice_end(cfg->calendar, today, cfg->notice_working_days, &n.notice_end)))
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: notice_end: date out of range", en);
		n.notice_start = today;
		n.state = DIPR_REG_NOTICE;
		n.overdue = false;
		add_log(out, DIPR_REG_LOG_ACCEPTED);
		break;
	case DIPR_REG_REQUEST_CORRECTION:
		if (cfg->correction_in_working_days)
			rc = dipr_calendar_add_working_days(cfg->calendar, today, cfg->correction_days,
							    &n.correction_due);
		else
			rc = dipr_date_add_days(today, cfg->correction_days, &n.correction_due);
		if (rc)
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: correction_due: date out of range", en);
		n.state = DIPR_REG_CORRECTION_REQUESTED;
		n.overdue = false;
		add_log(out, DIPR_REG_LOG_CORRECTION);
		break;
	case DIPR_REG_REFUSE:
		n.state = DIPR_REG_REFUSED;
		n.overdue = false;
		add_log(out, DIPR_REG_LOG_REFUSED);
		break;
	case DIPR_REG_UPHOLD_OBJECTION:
		n.state = DIPR_REG_REFUSED;
		n.overdue = false;
		n.open_objections = 0;
		add_log(out, DIPR_REG_LOG_OBJECTION_UPHELD);
		break;
	case DIPR_REG_DISMISS_OBJECTION:
		add_log(out, DIPR_REG_LOG_OBJECTION_DISMISSED);
		if (n.open_objections > 1) {
			n.open_objections--;
			break;
		}
		n.open_objections = 0;
		n.overdue = false;
		if (today.days > n.notice_end.days) {
			/* The notice ran out while suspended: registration is
			 * announced now, the day the last objection fell. */
			if ((rc = do_register(cfg, &n, today, out)))
				return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: valid_until: date out of range", en);
		} else {
			n.state = DIPR_REG_NOTICE;
		}
		break;
	case DIPR_REG_REVOKE:
		n.state = DIPR_REG_REVOKED;
		add_log(out, DIPR_REG_LOG_REVOCATION);
		break;
	case DIPR_REG_OBJECT:
		if (n.state == DIPR_REG_NOTICE) {
			if ((rc = dipr_date_add_days(today, cfg->objection_decision_days, &n.objection_due)))
				return refuse(out, DIPR_REG_BAD_INPUT, rc, "%s: objection_due: date out of range", en);
			n.state = DIPR_REG_SUSPENDED;
			n.open_objections = 0;
			n.overdue = false;
		}
		n.open_objections++;
		add_log(out, DIPR_REG_LOG_OBJECTION);
		break;
	case DIPR_REG_TICK:
		if ((rc = tick(cfg, &n, today, out)))
			return refuse(out, DIPR_REG_BAD_INPUT, rc, "tick: date out of range");
		*r = n;
		return 0;
	}
	out->changed = true;
	*r = n;
	return 0;
}

int dipr_reg_apply(dipr_reg *r, const dipr_reg_config *cfg, const dipr_reg_actor *who, dipr_reg_event ev,
		   const dipr_reg_args *args, dipr_date today, dipr_reg_result *out)
{
	dipr_reg_config def;
	int rc;
	if (!cfg) {
		dipr_reg_config_default(&def);
		cfg = &def;
	} else if ((rc = dipr_reg_config_check(cfg))) {
		result_clear(out);
		out->refusal = DIPR_REG_BAD_INPUT;
		return rc;
	}
	return apply(r, cfg, who, ev, args, today, out);
}

int dipr_reg_tick(dipr_reg *r, const dipr_reg_config *cfg, dipr_date today, dipr_reg_result *out)
{
	dipr_reg_actor sys = {DIPR_REG_ROLE_SYSTEM, 0};
	return dipr_reg_apply(r, cfg, &sys, DIPR_REG_TICK, NULL, today, out);
}
