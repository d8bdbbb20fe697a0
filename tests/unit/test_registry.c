/* test_registry.c — the registration workflow state machine
 * (include/dipr/registry.h).
 *
 * The holiday file is a small one of our own: the 2025 National Day week
 * (10-01..10-08 off) with an adjusted working Sunday (09-28) and an
 * adjusted working Saturday (10-11).  Expected deadlines were computed
 * independently with a day-by-day Python model of the same counting rules
 * while writing this test. */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dipr/calendar.h"
#include "dipr/registry.h"
#include "internal.h"

static const char holidays[] =
	"# test calendar: National Day week 2025\n"
	"2025-09-28 work  # Sunday, adjusted working day\n"
	"2025-10-01 off\n2025-10-02 off\n2025-10-03 off\n2025-10-04 off\n"
	"2025-10-05 off\n2025-10-06 off\n2025-10-07 off\n2025-10-08 off\n"
	"2025-10-11 work  # Saturday, adjusted working day\n";

#define OWNER 7
#define OTHER 8

static dipr_calendar *cal;
static dipr_reg_config cfg;

static const dipr_reg_actor applicant = {DIPR_REG_ROLE_APPLICANT, OWNER};
static const dipr_reg_actor stranger = {DIPR_REG_ROLE_APPLICANT, OTHER};
static const dipr_reg_actor examiner = {DIPR_REG_ROLE_EXAMINER, 100};
static const dipr_reg_actor public_ = {DIPR_REG_ROLE_PUBLIC, 0};
static const dipr_reg_actor sys = {DIPR_REG_ROLE_SYSTEM, 0};
static const dipr_reg_args reasons = {.reasons = "incomplete data source description"};

static int setup(void **st)
{
	(void)st;
	if (dipr_calendar_parse(holidays, sizeof holidays - 1, "test.txt", &cal) != 0)
		fail_msg("%s", dipr_errdetail());
	dipr_reg_config_default(&cfg);
	cfg.calendar = cal;
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	dipr_calendar_free(cal);
	cal = NULL;
	return 0;
}

static dipr_date day(const char *s)
{
	dipr_date d;
	if (dipr_date_parse(s, strlen(s), &d) != 0)
		fail_msg("%s: %s", s, dipr_errdetail());
	return d;
}

static void assert_day(dipr_date d, const char *want)
{
	char s[DIPR_DATE_STRLEN];
	assert_int_equal(dipr_date_format(d, s), 0);
	assert_string_equal(s, want);
}

static void assert_detail_has(const char *needle)
{
	if (!strstr(dipr_errdetail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", dipr_errdetail(), needle);
}

/* Applies and expects success with exactly the given log entries. */
static void ok(dipr_reg *r, const dipr_reg_actor *who, dipr_reg_event ev, const dipr_reg_args *args,
	       const char *today, dipr_reg_state want, size_t n_log, dipr_reg_log l0, dipr_reg_log l1)
{
	dipr_reg_result res;
	int rc = dipr_reg_apply(r, &cfg, who, ev, args, day(today), &res);
	if (rc != 0)
		fail_msg("%s on %s: %s (%s)", dipr_reg_event_name(ev), today, dipr_errdetail(),
			 dipr_reg_refusal_name(res.refusal));
	assert_int_equal(res.refusal, DIPR_REG_OK);
	if (r->state != want)
		fail_msg("%s: state %s, want %s", dipr_reg_event_name(ev), dipr_reg_state_name(r->state),
			 dipr_reg_state_name(want));
	assert_int_equal(res.n_log, n_log);
	if (n_log > 0)
		assert_string_equal(dipr_reg_log_name(res.log[0]), dipr_reg_log_name(l0));
	if (n_log > 1)
		assert_string_equal(dipr_reg_log_name(res.log[1]), dipr_reg_log_name(l1));
}

/* Applies and expects a refusal that leaves the record as it was. */
static void no(dipr_reg *r, const dipr_reg_actor *who, dipr_reg_event ev, const dipr_reg_args *args,
	       const char *today, dipr_reg_refusal why)
{
	dipr_reg before;
	memcpy(&before, r, sizeof before);
	dipr_reg_result res;
	int rc = dipr_reg_apply(r, &cfg, who, ev, args, day(today), &res);
	if (rc == 0)
		fail_msg("%s on %s in %s accepted", dipr_reg_event_name(ev), today, dipr_reg_state_name(r->state));
	assert_int_equal(rc, DIPR_EINVAL);
	if (res.refusal != why)
		fail_msg("%s: refusal %s, want %s (%s)", dipr_reg_event_name(ev), dipr_reg_refusal_name(res.refusal),
			 dipr_reg_refusal_name(why), dipr_errdetail());
	assert_memory_equal(&before, r, sizeof before);
	assert_int_equal(res.n_log, 0);
}

static dipr_reg_result tick(dipr_reg *r, const char *today)
{
	dipr_reg_result res;
	if (dipr_reg_tick(r, &cfg, day(today), &res) != 0)
		fail_msg("tick %s: %s", today, dipr_errdetail());
	return res;
}

#define L(x) DIPR_REG_LOG_##x
#define S(x) DIPR_REG_##x
#define E(x) DIPR_REG_##x

/* Submitted Fri 2025-09-26, accepted Mon 2025-09-29: notice to 10-17. */
static dipr_reg in_notice(void)
{
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	ok(&r, &examiner, E(ACCEPT), NULL, "2025-09-29", S(NOTICE), 1, L(ACCEPTED), 0);
	return r;
}

static dipr_reg registered(void)
{
	dipr_reg r = in_notice();
	dipr_reg_result res = tick(&r, "2025-10-20");
	assert_int_equal(res.n_log, 1);
	assert_int_equal(r.state, S(REGISTERED));
	return r;
}

/* --- transitions, one by one --- */

static void test_draft_save_and_submit_sets_review_due_across_holiday(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SAVE_DRAFT), NULL, "2025-09-25", S(DRAFT), 0, 0, 0);
	dipr_reg_args a = {.has_agreement_end = true, .agreement_end = day("2030-01-01")};
	ok(&r, &applicant, E(SUBMIT), &a, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	assert_true(r.has_agreement_end);
	assert_day(r.agreement_end, "2030-01-01");
	assert_day(r.submitted_on, "2025-09-26");
	/* 15 working days after Fri 09-26: Sun 09-28 works, 10-01..08 off,
	 * Sat 10-11 works. */
	assert_day(r.review_due, "2025-10-23");

	/* Review due passes: flagged, not moved; no log entry; idempotent. */
	dipr_reg_result res = tick(&r, "2025-10-23");
	assert_false(res.changed);
	assert_false(r.overdue);
	res = tick(&r, "2025-10-24");
	assert_true(res.changed);
	assert_int_equal(res.n_log, 0);
	assert_true(r.overdue);
	assert_int_equal(r.state, S(SUBMITTED));
	res = tick(&r, "2025-10-25");
	assert_false(res.changed);
	/* Acting clears the flag. */
	ok(&r, &examiner, E(ACCEPT), NULL, "2025-10-27", S(NOTICE), 1, L(ACCEPTED), 0);
	assert_false(r.overdue);
}

static void test_submit_on_plain_calendar(void **st)
{
	(void)st;
	dipr_reg_config c2 = cfg;
	c2.calendar = NULL;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	dipr_reg_result res;
	assert_int_equal(dipr_reg_apply(&r, &c2, &applicant, E(SUBMIT), NULL, day("2025-09-26"), &res), 0);
	assert_day(r.review_due, "2025-10-17");
	assert_int_equal(dipr_reg_apply(&r, &c2, &examiner, E(ACCEPT), NULL, day("2025-09-29"), &res), 0);
	assert_day(r.notice_end, "2025-10-10");
	/* NULL config means the defaults with plain weeks. */
	dipr_reg_init(&r, OWNER);
	assert_int_equal(dipr_reg_apply(&r, NULL, &applicant, E(SUBMIT), NULL, day("2025-09-26"), &res), 0);
	assert_day(r.review_due, "2025-10-17");
}

static void test_notice_end_then_tick_registers_on_notice_end(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	assert_day(r.notice_start, "2025-09-29");
	assert_day(r.notice_end, "2025-10-17"); /* 10 working days incl. 09-29 and Sat 10-11 */
	dipr_reg_result res = tick(&r, "2025-10-17");
	assert_false(res.changed);
	assert_int_equal(r.state, S(NOTICE));
	res = tick(&r, "2025-10-18"); /* Saturday: the clock still moves */
	assert_true(res.changed);
	assert_int_equal(res.n_log, 1);
	assert_int_equal(res.log[0], L(REGISTERED));
	assert_int_equal(r.state, S(REGISTERED));
	assert_day(r.registered_on, "2025-10-17");
	assert_day(r.valid_until, "2028-10-17");
	assert_int_equal(r.version, 1);
	assert_string_equal(dipr_reg_status(&r), "valid");
}

static void test_notice_started_on_a_holiday_or_weekend(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	dipr_reg r2 = r;
	ok(&r, &examiner, E(ACCEPT), NULL, "2025-10-04", S(NOTICE), 1, L(ACCEPTED), 0);
	assert_day(r.notice_end, "2025-10-21");
	ok(&r2, &examiner, E(ACCEPT), NULL, "2025-09-28", S(NOTICE), 1, L(ACCEPTED), 0);
	assert_day(r2.notice_end, "2025-10-16");
}

static void test_long_idle_notice_registers_then_expires_in_one_tick(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	dipr_reg_result res = tick(&r, "2028-10-18");
	assert_int_equal(res.n_log, 2);
	assert_int_equal(res.log[0], L(REGISTERED));
	assert_int_equal(res.log[1], L(EXPIRY));
	assert_int_equal(r.state, S(EXPIRED));
	assert_day(r.registered_on, "2025-10-17");
}

static void test_correction_answered_restarts_review(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	ok(&r, &examiner, E(REQUEST_CORRECTION), &reasons, "2025-09-30", S(CORRECTION_REQUESTED), 1,
	   L(CORRECTION), 0);
	assert_day(r.correction_due, "2025-10-30"); /* 30 calendar days */
	ok(&r, &applicant, E(ANSWER_CORRECTION), NULL, "2025-10-09", S(SUBMITTED), 1, L(CORRECTION_ANSWERED), 0);
	assert_day(r.review_due, "2025-10-29");
	assert_day(r.submitted_on, "2025-09-26");
	ok(&r, &examiner, E(REFUSE), &reasons, "2025-10-10", S(REFUSED), 1, L(REFUSED), 0);
}

static void test_correction_deadline_missed_withdraws(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	ok(&r, &examiner, E(REQUEST_CORRECTION), &reasons, "2025-09-30", S(CORRECTION_REQUESTED), 1,
	   L(CORRECTION), 0);
	/* The last day still counts. */
	dipr_reg on_time = r;
	ok(&on_time, &applicant, E(ANSWER_CORRECTION), NULL, "2025-10-30", S(SUBMITTED), 1,
	   L(CORRECTION_ANSWERED), 0);
	/* A day late without a tick in between: deadline. */
	no(&r, &applicant, E(ANSWER_CORRECTION), NULL, "2025-10-31", DIPR_REG_DEADLINE);
	assert_detail_has("correction deadline 2025-10-30 has passed");
	dipr_reg_result res = tick(&r, "2025-10-30");
	assert_false(res.changed);
	res = tick(&r, "2025-11-01");
	assert_true(res.changed);
	assert_int_equal(res.n_log, 1);
	assert_int_equal(res.log[0], L(WITHDRAWN));
	assert_int_equal(r.state, S(WITHDRAWN));
	no(&r, &applicant, E(ANSWER_CORRECTION), NULL, "2025-11-01", DIPR_REG_WRONG_STATE);
}

static void test_correction_deadline_in_working_days(void **st)
{
	(void)st;
	dipr_reg_config c2 = cfg;
	c2.correction_in_working_days = true;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	dipr_reg_result res;
	assert_int_equal(dipr_reg_apply(&r, &c2, &applicant, E(SUBMIT), NULL, day("2025-09-26"), &res), 0);
	assert_int_equal(
		dipr_reg_apply(&r, &c2, &examiner, E(REQUEST_CORRECTION), &reasons, day("2025-09-30"), &res), 0);
	assert_day(r.correction_due, "2025-11-18");
}

static void test_objection_suspends_and_dismissal_resumes_notice(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	dipr_reg_args obj = {.reasons = "the data belongs to us"};
	ok(&r, &public_, E(OBJECT), &obj, "2025-10-09", S(SUSPENDED), 1, L(OBJECTION), 0);
	assert_int_equal(r.open_objections, 1);
	assert_day(r.objection_due, "2025-12-08");
	/* A second objection, by another applicant (anyone may object). */
	ok(&r, &stranger, E(OBJECT), &obj, "2025-10-10", S(SUSPENDED), 1, L(OBJECTION), 0);
	assert_int_equal(r.open_objections, 2);
	assert_day(r.objection_due, "2025-12-08");
	ok(&r, &examiner, E(DISMISS_OBJECTION), NULL, "2025-10-13", S(SUSPENDED), 1, L(OBJECTION_DISMISSED), 0);
	assert_int_equal(r.open_objections, 1);
	ok(&r, &examiner, E(DISMISS_OBJECTION), NULL, "2025-10-14", S(NOTICE), 1, L(OBJECTION_DISMISSED), 0);
	assert_int_equal(r.open_objections, 0);
	dipr_reg_result res = tick(&r, "2025-10-20");
	assert_int_equal(res.log[0], L(REGISTERED));
	assert_day(r.registered_on, "2025-10-17");
}

static void test_notice_ending_while_suspended_then_dismissal_registers(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	ok(&r, &public_, E(OBJECT), &reasons, "2025-10-17", S(SUSPENDED), 1, L(OBJECTION), 0);
	assert_day(r.objection_due, "2025-12-16");
	/* The notice ends, but an open objection holds registration. */
	dipr_reg_result res = tick(&r, "2025-10-20");
	assert_false(res.changed);
	assert_int_equal(r.state, S(SUSPENDED));
	/* No more objections once the notice is over. */
	no(&r, &public_, E(OBJECT), &reasons, "2025-10-20", DIPR_REG_DEADLINE);
	assert_detail_has("2025-09-29..2025-10-17");
	ok(&r, &examiner, E(DISMISS_OBJECTION), NULL, "2025-10-21", S(REGISTERED), 2, L(OBJECTION_DISMISSED),
	   L(REGISTERED));
	assert_day(r.registered_on, "2025-10-21");
	assert_day(r.valid_until, "2028-10-21");
}

static void test_objection_decision_overdue_flag(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	ok(&r, &public_, E(OBJECT), &reasons, "2025-10-16", S(SUSPENDED), 1, L(OBJECTION), 0);
	assert_day(r.objection_due, "2025-12-15");
	dipr_reg_result res = tick(&r, "2025-12-15");
	assert_false(r.overdue);
	res = tick(&r, "2025-12-16");
	assert_true(res.changed);
	assert_int_equal(res.n_log, 0);
	assert_true(r.overdue);
	assert_int_equal(r.state, S(SUSPENDED));
	ok(&r, &examiner, E(UPHOLD_OBJECTION), NULL, "2025-12-17", S(REFUSED), 1, L(OBJECTION_UPHELD), 0);
	assert_false(r.overdue);
	assert_int_equal(r.open_objections, 0);
}

static void test_objection_rules(void **st)
{
	(void)st;
	dipr_reg r = in_notice();
	no(&r, &public_, E(OBJECT), NULL, "2025-10-09", DIPR_REG_BAD_INPUT);
	assert_detail_has("reasons");
	dipr_reg_args empty = {.reasons = ""};
	no(&r, &public_, E(OBJECT), &empty, "2025-10-09", DIPR_REG_BAD_INPUT);
	no(&r, &public_, E(OBJECT), &reasons, "2025-10-18", DIPR_REG_DEADLINE);
	no(&r, &public_, E(OBJECT), &reasons, "2025-09-28", DIPR_REG_DEADLINE);
	no(&r, &sys, E(OBJECT), &reasons, "2025-10-09", DIPR_REG_FORBIDDEN);
	ok(&r, &examiner, E(OBJECT), &reasons, "2025-10-17", S(SUSPENDED), 1, L(OBJECTION), 0);
	ok(&r, &examiner, E(UPHOLD_OBJECTION), NULL, "2025-10-20", S(REFUSED), 1, L(OBJECTION_UPHELD), 0);
}

static void test_withdraw_from_every_open_state(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(WITHDRAW), NULL, "2025-09-25", S(WITHDRAWN), 1, L(WITHDRAWN), 0);

	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	dipr_reg c = r;
	ok(&c, &applicant, E(WITHDRAW), NULL, "2025-09-29", S(WITHDRAWN), 1, L(WITHDRAWN), 0);
	ok(&r, &examiner, E(REQUEST_CORRECTION), &reasons, "2025-09-30", S(CORRECTION_REQUESTED), 1,
	   L(CORRECTION), 0);
	ok(&r, &applicant, E(WITHDRAW), NULL, "2025-10-09", S(WITHDRAWN), 1, L(WITHDRAWN), 0);

	r = in_notice();
	c = r;
	ok(&c, &applicant, E(WITHDRAW), NULL, "2025-10-09", S(WITHDRAWN), 1, L(WITHDRAWN), 0);
	ok(&r, &public_, E(OBJECT), &reasons, "2025-10-09", S(SUSPENDED), 1, L(OBJECTION), 0);
	ok(&r, &applicant, E(WITHDRAW), NULL, "2025-10-10", S(WITHDRAWN), 1, L(WITHDRAWN), 0);
	assert_int_equal(r.open_objections, 0);
	no(&r, &applicant, E(WITHDRAW), NULL, "2025-10-10", DIPR_REG_WRONG_STATE);
}

static void test_refuse_and_correction_require_reasons(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	no(&r, &examiner, E(REFUSE), NULL, "2025-09-29", DIPR_REG_BAD_INPUT);
	assert_detail_has("refuse: reasons: required");
	no(&r, &examiner, E(REQUEST_CORRECTION), NULL, "2025-09-29", DIPR_REG_BAD_INPUT);
	ok(&r, &examiner, E(REFUSE), &reasons, "2025-09-29", S(REFUSED), 1, L(REFUSED), 0);
}

static void test_change_license_pledge_release(void **st)
{
	(void)st;
	dipr_reg r = registered();
	ok(&r, &applicant, E(REQUEST_CHANGE), NULL, "2025-11-03", S(REGISTERED), 1, L(CHANGE), 0);
	assert_int_equal(r.version, 2);
	ok(&r, &applicant, E(ADD_LICENSE), NULL, "2025-11-04", S(REGISTERED), 1, L(LICENSE), 0);
	assert_int_equal(r.licenses, 1);
	ok(&r, &applicant, E(PLEDGE), NULL, "2025-11-05", S(REGISTERED), 1, L(PLEDGE), 0);
	assert_true(r.pledged);
	assert_string_equal(dipr_reg_status(&r), "pledged");
	/* Pledged: change and license still fine. */
	ok(&r, &applicant, E(REQUEST_CHANGE), NULL, "2025-11-06", S(REGISTERED), 1, L(CHANGE), 0);
	ok(&r, &applicant, E(ADD_LICENSE), NULL, "2025-11-06", S(REGISTERED), 1, L(LICENSE), 0);
	ok(&r, &applicant, E(RELEASE_PLEDGE), NULL, "2025-11-07", S(REGISTERED), 1, L(PLEDGE_RELEASE), 0);
	assert_false(r.pledged);
	no(&r, &applicant, E(RELEASE_PLEDGE), NULL, "2025-11-07", DIPR_REG_WRONG_STATE);
	assert_detail_has("not pledged");
}

static void test_pledge_blocks_transfer_and_cancel_until_release(void **st)
{
	(void)st;
	dipr_reg r = registered();
	dipr_reg_args to = {.new_owner = 42};
	ok(&r, &applicant, E(PLEDGE), NULL, "2025-11-05", S(REGISTERED), 1, L(PLEDGE), 0);
	no(&r, &applicant, E(REQUEST_TRANSFER), &to, "2025-11-06", DIPR_REG_PLEDGED);
	assert_detail_has("pledged");
	no(&r, &applicant, E(CANCEL), NULL, "2025-11-06", DIPR_REG_PLEDGED);
	no(&r, &applicant, E(PLEDGE), NULL, "2025-11-06", DIPR_REG_PLEDGED);
	ok(&r, &applicant, E(RELEASE_PLEDGE), NULL, "2025-11-07", S(REGISTERED), 1, L(PLEDGE_RELEASE), 0);
	dipr_reg c = r;
	ok(&c, &applicant, E(CANCEL), NULL, "2025-11-10", S(CANCELLED), 1, L(CANCELLATION), 0);
	assert_string_equal(dipr_reg_status(&c), "cancelled");
	ok(&r, &applicant, E(REQUEST_TRANSFER), &to, "2025-11-10", S(SUPERSEDED), 1, L(TRANSFER), 0);
}

static void test_transfer_supersedes_with_successor(void **st)
{
	(void)st;
	dipr_reg r = registered();
	ok(&r, &applicant, E(ADD_LICENSE), NULL, "2025-11-04", S(REGISTERED), 1, L(LICENSE), 0);
	dipr_reg_args to = {.new_owner = OWNER};
	no(&r, &applicant, E(REQUEST_TRANSFER), &to, "2025-11-05", DIPR_REG_BAD_INPUT);
	assert_detail_has("new_owner");
	to.new_owner = 0;
	no(&r, &applicant, E(REQUEST_TRANSFER), &to, "2025-11-05", DIPR_REG_BAD_INPUT);
	to.new_owner = 42;
	dipr_reg_result res;
	assert_int_equal(dipr_reg_apply(&r, &cfg, &applicant, E(REQUEST_TRANSFER), &to, day("2025-11-05"), &res), 0);
	assert_int_equal(r.state, S(SUPERSEDED));
	assert_string_equal(dipr_reg_status(&r), "superseded");
	assert_true(res.has_successor);
	dipr_reg *s = &res.successor;
	assert_int_equal(s->state, S(REGISTERED));
	assert_int_equal(s->owner, 42);
	assert_int_equal(s->version, 2);
	assert_int_equal(s->licenses, 1);
	assert_false(s->pledged);
	assert_day(s->registered_on, "2025-10-17");
	assert_day(s->valid_until, "2028-10-17");
	/* The old holder no longer acts; the new one does. */
	no(&r, &applicant, E(REQUEST_CHANGE), NULL, "2025-11-06", DIPR_REG_WRONG_STATE);
	no(s, &applicant, E(REQUEST_CHANGE), NULL, "2025-11-06", DIPR_REG_FORBIDDEN);
	dipr_reg_actor holder = {DIPR_REG_ROLE_APPLICANT, 42};
	ok(s, &holder, E(REQUEST_CHANGE), NULL, "2025-11-06", S(REGISTERED), 1, L(CHANGE), 0);
	assert_int_equal(s->version, 3);
}

static void test_renewal_window_edges(void **st)
{
	(void)st;
	dipr_reg r = registered(); /* valid until 2028-10-17: window opens 2028-07-17 */
	no(&r, &applicant, E(RENEW), NULL, "2028-07-16", DIPR_REG_TOO_EARLY);
	assert_detail_has("opens on 2028-07-17");
	dipr_reg last = r;
	ok(&r, &applicant, E(RENEW), NULL, "2028-07-17", S(REGISTERED), 1, L(RENEWAL), 0);
	assert_day(r.valid_until, "2031-10-17");
	/* The last valid day is still in the window; the day after is not. */
	ok(&last, &applicant, E(RENEW), NULL, "2028-10-17", S(REGISTERED), 1, L(RENEWAL), 0);
	last = registered();
	no(&last, &applicant, E(RENEW), NULL, "2028-10-18", DIPR_REG_DEADLINE);
	/* Pledged registrations renew too. */
	ok(&last, &applicant, E(PLEDGE), NULL, "2028-08-01", S(REGISTERED), 1, L(PLEDGE), 0);
	ok(&last, &applicant, E(RENEW), NULL, "2028-08-01", S(REGISTERED), 1, L(RENEWAL), 0);
}

static void test_validity_capped_by_agreement_end(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	dipr_reg_args a = {.has_agreement_end = true, .agreement_end = day("2027-06-30")};
	ok(&r, &applicant, E(SAVE_DRAFT), &a, "2025-09-25", S(DRAFT), 0, 0, 0);
	ok(&r, &applicant, E(SUBMIT), NULL, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	ok(&r, &examiner, E(ACCEPT), NULL, "2025-09-29", S(NOTICE), 1, L(ACCEPTED), 0);
	tick(&r, "2025-10-18");
	assert_int_equal(r.state, S(REGISTERED));
	assert_day(r.valid_until, "2027-06-30");
	/* Renewal cannot pass the agreement end... */
	no(&r, &applicant, E(RENEW), NULL, "2027-05-01", DIPR_REG_BAD_INPUT);
	assert_detail_has("agreement_end 2027-06-30");
	/* ...unless the agreement is renewed, and then it caps again. */
	a.agreement_end = day("2029-12-31");
	ok(&r, &applicant, E(RENEW), &a, "2027-05-01", S(REGISTERED), 1, L(RENEWAL), 0);
	assert_day(r.valid_until, "2029-12-31");

	/* A later agreement end does not extend the 3 years. */
	dipr_reg_init(&r, OWNER);
	a.agreement_end = day("2040-01-01");
	ok(&r, &applicant, E(SUBMIT), &a, "2025-09-26", S(SUBMITTED), 1, L(SUBMITTED), 0);
	ok(&r, &examiner, E(ACCEPT), NULL, "2025-09-29", S(NOTICE), 1, L(ACCEPTED), 0);
	tick(&r, "2025-10-18");
	assert_day(r.valid_until, "2028-10-17");
}

static void test_expiry_via_tick(void **st)
{
	(void)st;
	dipr_reg r = registered();
	dipr_reg_result res = tick(&r, "2028-10-17");
	assert_false(res.changed);
	assert_int_equal(r.state, S(REGISTERED));
	/* Holder actions after valid_until but before the tick: deadline. */
	no(&r, &applicant, E(ADD_LICENSE), NULL, "2028-10-18", DIPR_REG_DEADLINE);
	assert_detail_has("expired after 2028-10-17");
	res = tick(&r, "2028-10-18");
	assert_int_equal(res.n_log, 1);
	assert_int_equal(res.log[0], L(EXPIRY));
	assert_int_equal(r.state, S(EXPIRED));
	assert_string_equal(dipr_reg_status(&r), "expired");
	res = tick(&r, "2030-01-01");
	assert_false(res.changed);
	no(&r, &applicant, E(RENEW), NULL, "2028-10-18", DIPR_REG_WRONG_STATE);
}

static void test_revoke_requires_reasons(void **st)
{
	(void)st;
	dipr_reg r = registered();
	no(&r, &examiner, E(REVOKE), NULL, "2025-11-03", DIPR_REG_BAD_INPUT);
	assert_detail_has("revoke: reasons: required");
	no(&r, &applicant, E(REVOKE), &reasons, "2025-11-03", DIPR_REG_FORBIDDEN);
	ok(&r, &applicant, E(PLEDGE), NULL, "2025-11-03", S(REGISTERED), 1, L(PLEDGE), 0);
	ok(&r, &examiner, E(REVOKE), &reasons, "2025-11-04", S(REVOKED), 1, L(REVOCATION), 0);
	assert_string_equal(dipr_reg_status(&r), "revoked");
}

static void test_applicant_acting_on_another_record_is_forbidden(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	no(&r, &stranger, E(SAVE_DRAFT), NULL, "2025-09-25", DIPR_REG_FORBIDDEN);
	no(&r, &stranger, E(SUBMIT), NULL, "2025-09-25", DIPR_REG_FORBIDDEN);
	assert_detail_has("applicant 8 does not own this record (owner 7)");
	/* Forbidden comes before wrong state. */
	r = registered();
	no(&r, &stranger, E(SUBMIT), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
	no(&r, &stranger, E(CANCEL), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
	no(&r, &examiner, E(CANCEL), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
	no(&r, &public_, E(PLEDGE), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
	no(&r, &applicant, E(TICK), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
	no(&r, &applicant, E(ACCEPT), NULL, "2025-11-03", DIPR_REG_FORBIDDEN);
}

static void test_bad_input_and_config(void **st)
{
	(void)st;
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	no(&r, &applicant, (dipr_reg_event)99, NULL, "2025-09-25", DIPR_REG_BAD_INPUT);
	assert_detail_has("event 99");
	dipr_reg_actor odd = {(dipr_reg_role)9, OWNER};
	no(&r, &odd, E(SUBMIT), NULL, "2025-09-25", DIPR_REG_BAD_INPUT);
	dipr_reg_args a = {.has_agreement_end = true, .agreement_end = {-30000}};
	no(&r, &applicant, E(SUBMIT), &a, "2025-09-25", DIPR_REG_BAD_INPUT);
	assert_detail_has("agreement_end");

	dipr_reg_result res;
	dipr_reg before = r;
	assert_int_equal(dipr_reg_apply(&r, &cfg, &applicant, E(SUBMIT), NULL, (dipr_date){-30000}, &res),
			 DIPR_EINVAL);
	assert_int_equal(res.refusal, DIPR_REG_BAD_INPUT);
	assert_detail_has("today");

	dipr_reg_config c2 = cfg;
	c2.notice_working_days = 0;
	assert_int_equal(dipr_reg_config_check(&c2), DIPR_EINVAL);
	assert_detail_has("notice_working_days is 0, expected 1..100000");
	assert_int_equal(dipr_reg_apply(&r, &c2, &applicant, E(SUBMIT), NULL, day("2025-09-26"), &res),
			 DIPR_EINVAL);
	assert_int_equal(res.refusal, DIPR_REG_BAD_INPUT);
	c2 = cfg;
	c2.validity_years = 101;
	assert_int_equal(dipr_reg_config_check(&c2), DIPR_EINVAL);
	assert_detail_has("validity_years");
	assert_int_equal(dipr_reg_config_check(&cfg), 0);
	assert_memory_equal(&before, &r, sizeof r);

	/* A deadline past 9999-12-31 is a range error, record untouched. */
	dipr_reg_init(&r, OWNER);
	before = r;
	assert_int_equal(dipr_reg_apply(&r, &cfg, &applicant, E(SUBMIT), NULL, day("9999-12-30"), &res),
			 DIPR_ERANGE);
	assert_int_equal(res.refusal, DIPR_REG_BAD_INPUT);
	assert_memory_equal(&before, &r, sizeof r);
}

static void test_names_are_distinct(void **st)
{
	(void)st;
	const char *seen[64];
	size_t n = 0;
	for (int i = 0; i < DIPR_REG_NSTATES; i++)
		seen[n++] = dipr_reg_state_name((dipr_reg_state)i);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(seen[i], "?");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	n = 0;
	for (int i = 0; i < DIPR_REG_NEVENTS; i++)
		seen[n++] = dipr_reg_event_name((dipr_reg_event)i);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(seen[i], "?");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	n = 0;
	for (int i = 0; i <= DIPR_REG_LOG_EXPIRY; i++)
		seen[n++] = dipr_reg_log_name((dipr_reg_log)i);
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(seen[i], "?");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(dipr_reg_state_name((dipr_reg_state)99), "?");
	assert_string_equal(dipr_reg_role_name(DIPR_REG_ROLE_PUBLIC), "public");
	assert_string_equal(dipr_reg_refusal_name(DIPR_REG_FORBIDDEN), "forbidden");
	assert_string_equal(dipr_reg_refusal_name(DIPR_REG_TOO_EARLY), "too_early");
	assert_string_equal(dipr_reg_log_name(L(PLEDGE_RELEASE)), "pledge_release");
}

/* --- every (state x event x role) --- */

/* A 13th fixture: REGISTERED with the pledged flag. */
#define FIX_PLEDGED DIPR_REG_NSTATES
#define NFIX (DIPR_REG_NSTATES + 1)
#define TODAY "2025-10-13"

/* A record in each state, built field by field (not through the machine
 * under test) so that no deadline bites on TODAY: review, correction,
 * notice and objection deadlines lie ahead and the registration is inside
 * its renewal window. */
static dipr_reg fixture(int f)
{
	dipr_reg r;
	dipr_reg_init(&r, OWNER);
	r.state = f == FIX_PLEDGED ? S(REGISTERED) : (dipr_reg_state)f;
	r.submitted_on = day("2025-09-26");
	r.review_due = day("2025-11-03");
	r.correction_due = day("2025-10-23");
	r.notice_start = day("2025-10-09");
	r.notice_end = day("2025-10-20");
	r.objection_due = day("2025-12-08");
	r.registered_on = day("2022-11-12");
	r.valid_until = day("2025-11-12");
	r.version = 1;
	r.open_objections = f == S(SUSPENDED) ? 1 : 0;
	r.pledged = f == FIX_PLEDGED;
	return r;
}

/* The specification, written again independently of lib/registry.c's
 * table: who may send each event, and in which fixtures. */
static bool role_may(dipr_reg_event ev, dipr_reg_role role)
{
	switch (ev) {
	case E(SAVE_DRAFT): case E(SUBMIT): case E(ANSWER_CORRECTION): case E(WITHDRAW):
	case E(REQUEST_CHANGE): case E(REQUEST_TRANSFER): case E(ADD_LICENSE): case E(PLEDGE):
	case E(RELEASE_PLEDGE): case E(RENEW): case E(CANCEL):
		return role == DIPR_REG_ROLE_APPLICANT;
	case E(ACCEPT): case E(REQUEST_CORRECTION): case E(REFUSE): case E(UPHOLD_OBJECTION):
	case E(DISMISS_OBJECTION): case E(REVOKE):
		return role == DIPR_REG_ROLE_EXAMINER;
	case E(OBJECT):
		return role != DIPR_REG_ROLE_SYSTEM;
	case E(TICK):
		return role == DIPR_REG_ROLE_SYSTEM;
	}
	return false;
}

/* Expected outcome in fixture f for an allowed role: the refusal, or OK
 * with *next the state after it. */
static dipr_reg_refusal expect(dipr_reg_event ev, int f, dipr_reg_state *next)
{
	bool reg = f == S(REGISTERED) || f == FIX_PLEDGED;
	bool pledged = f == FIX_PLEDGED;
	dipr_reg_state cur = reg ? S(REGISTERED) : (dipr_reg_state)f;
	*next = cur;
	switch (ev) {
	case E(SAVE_DRAFT):
		return f == S(DRAFT) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(SUBMIT):
		*next = S(SUBMITTED);
		return f == S(DRAFT) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(ANSWER_CORRECTION):
		*next = S(SUBMITTED);
		return f == S(CORRECTION_REQUESTED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(WITHDRAW):
		*next = S(WITHDRAWN);
		return f == S(DRAFT) || f == S(SUBMITTED) || f == S(CORRECTION_REQUESTED) || f == S(NOTICE) ||
				       f == S(SUSPENDED)
			       ? DIPR_REG_OK
			       : DIPR_REG_WRONG_STATE;
	case E(REQUEST_CHANGE): case E(ADD_LICENSE): case E(RENEW):
		return reg ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(PLEDGE):
		return !reg ? DIPR_REG_WRONG_STATE : pledged ? DIPR_REG_PLEDGED : DIPR_REG_OK;
	case E(RELEASE_PLEDGE):
		return pledged ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(REQUEST_TRANSFER):
		*next = S(SUPERSEDED);
		return !reg ? DIPR_REG_WRONG_STATE : pledged ? DIPR_REG_PLEDGED : DIPR_REG_OK;
	case E(CANCEL):
		*next = S(CANCELLED);
		return !reg ? DIPR_REG_WRONG_STATE : pledged ? DIPR_REG_PLEDGED : DIPR_REG_OK;
	case E(ACCEPT):
		*next = S(NOTICE);
		return f == S(SUBMITTED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(REQUEST_CORRECTION):
		*next = S(CORRECTION_REQUESTED);
		return f == S(SUBMITTED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(REFUSE):
		*next = S(REFUSED);
		return f == S(SUBMITTED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(UPHOLD_OBJECTION):
		*next = S(REFUSED);
		return f == S(SUSPENDED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(DISMISS_OBJECTION):
		*next = S(NOTICE);
		return f == S(SUSPENDED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(REVOKE):
		*next = S(REVOKED);
		return reg ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(OBJECT):
		*next = S(SUSPENDED);
		return f == S(NOTICE) || f == S(SUSPENDED) ? DIPR_REG_OK : DIPR_REG_WRONG_STATE;
	case E(TICK):
		return DIPR_REG_OK;
	}
	return DIPR_REG_BAD_INPUT;
}

static void test_every_state_event_role_combination(void **st)
{
	(void)st;
	const dipr_reg_args args = {
		.reasons = "reasons given",
		.new_owner = 42,
	};
	const dipr_reg_actor actors[] = {applicant, examiner, public_, sys, stranger};
	size_t allowed = 0, refused = 0;
	int by_reason[8] = {0};
	for (int f = 0; f < NFIX; f++) {
		for (int ev = 0; ev < DIPR_REG_NEVENTS; ev++) {
			for (size_t a = 0; a < sizeof actors / sizeof *actors; a++) {
				const dipr_reg_actor *who = &actors[a];
				dipr_reg r = fixture(f), before;
				memcpy(&before, &r, sizeof r);
				dipr_reg_state next;
				dipr_reg_refusal want;
				if (!role_may((dipr_reg_event)ev, who->role))
					want = DIPR_REG_FORBIDDEN;
				else if (who->id == OTHER && ev != E(OBJECT))
					want = DIPR_REG_FORBIDDEN;
				else
					want = expect((dipr_reg_event)ev, f, &next);
				dipr_reg_result res;
				int rc = dipr_reg_apply(&r, &cfg, who, (dipr_reg_event)ev, &args, day(TODAY), &res);
				if (res.refusal != want || (rc == 0) != (want == DIPR_REG_OK))
					fail_msg("fixture %d (%s%s) %s by %s %llu: got %s rc %d, want %s (%s)", f,
						 dipr_reg_state_name(before.state), before.pledged ? "+pledged" : "",
						 dipr_reg_event_name((dipr_reg_event)ev), dipr_reg_role_name(who->role),
						 (unsigned long long)who->id, dipr_reg_refusal_name(res.refusal), rc,
						 dipr_reg_refusal_name(want), dipr_errdetail());
				by_reason[want]++;
				if (want != DIPR_REG_OK) {
					refused++;
					assert_int_equal(rc, DIPR_EINVAL);
					assert_memory_equal(&before, &r, sizeof r);
					assert_int_equal(res.n_log, 0);
					assert_true(dipr_errdetail()[0] != 0);
					continue;
				}
				allowed++;
				if (r.state != next)
					fail_msg("fixture %d %s: state %s, want %s", f,
						 dipr_reg_event_name((dipr_reg_event)ev), dipr_reg_state_name(r.state),
						 dipr_reg_state_name(next));
				/* Every accepted event but save_draft and a quiet
				 * tick names a log entry. */
				if (ev != E(SAVE_DRAFT) && ev != E(TICK))
					assert_int_equal(res.n_log, 1);
				else
					assert_int_equal(res.n_log, 0);
				assert_int_equal(res.has_successor, ev == E(REQUEST_TRANSFER));
			}
		}
	}
	/* 13 fixtures x 19 events x 5 actors. */
	assert_int_equal(allowed + refused, 13 * 19 * 5);
	print_message("combinations: %zu allowed, %zu refused (forbidden %d, wrong state %d, pledged %d)\n",
		      allowed, refused, by_reason[DIPR_REG_FORBIDDEN], by_reason[DIPR_REG_WRONG_STATE],
		      by_reason[DIPR_REG_PLEDGED]);
	/* Applicant owner: 11 events; examiner 6; object 3 roles; tick 1. */
	assert_true(by_reason[DIPR_REG_PLEDGED] == 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft_save_and_submit_sets_review_due_across_holiday),
		cmocka_unit_test(test_submit_on_plain_calendar),
		cmocka_unit_test(test_notice_end_then_tick_registers_on_notice_end),
		cmocka_unit_test(test_notice_started_on_a_holiday_or_weekend),
		cmocka_unit_test(test_long_idle_notice_registers_then_expires_in_one_tick),
		cmocka_unit_test(test_correction_answered_restarts_review),
		cmocka_unit_test(test_correction_deadline_missed_withdraws),
		cmocka_unit_test(test_correction_deadline_in_working_days),
		cmocka_unit_test(test_objection_suspends_and_dismissal_resumes_notice),
		cmocka_unit_test(test_notice_ending_while_suspended_then_dismissal_registers),
		cmocka_unit_test(test_objection_decision_overdue_flag),
		cmocka_unit_test(test_objection_rules),
		cmocka_unit_test(test_withdraw_from_every_open_state),
		cmocka_unit_test(test_refuse_and_correction_require_reasons),
		cmocka_unit_test(test_change_license_pledge_release),
		cmocka_unit_test(test_pledge_blocks_transfer_and_cancel_until_release),
		cmocka_unit_test(test_transfer_supersedes_with_successor),
		cmocka_unit_test(test_renewal_window_edges),
		cmocka_unit_test(test_validity_capped_by_agreement_end),
		cmocka_unit_test(test_expiry_via_tick),
		cmocka_unit_test(test_revoke_requires_reasons),
		cmocka_unit_test(test_applicant_acting_on_another_record_is_forbidden),
		cmocka_unit_test(test_bad_input_and_config),
		cmocka_unit_test(test_names_are_distinct),
		cmocka_unit_test(test_every_state_event_role_combination),
	};
	return cmocka_run_group_tests_name("registry", tests, setup, teardown);
}
