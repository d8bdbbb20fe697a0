/* test_ratelimit.c — server/ratelimit.c: token buckets per key, refill at
 * the rate, Retry-After, refund and reset, bounded memory under many keys,
 * and concurrent takes never grant more than the burst. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "server/ratelimit.h"
#include "dipr/dipr.h"

#define SEC 1000000000ULL

static void test_burst_then_limited_with_retry_after(void **state)
{
	dipr_ratelimit *rl;
	unsigned wait = 0;
	assert_int_equal(dipr__rl_new(&rl, 5 / 60.0, 5, 64), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dipr__rl_take(rl, "n:carol", 7, 100 * SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "n:carol", 7, 100 * SEC, &wait), 1);
	assert_int_equal(wait, 12); /* one token per 12 s */
	assert_int_equal(dipr__rl_take(rl, "n:carol", 7, 105 * SEC, &wait), 1);
	assert_int_equal(wait, 7);
	assert_int_equal(dipr__rl_take(rl, "n:carol", 7, 112 * SEC, &wait), 0); /* refilled one */
	assert_int_equal(dipr__rl_take(rl, "n:carol", 7, 112 * SEC, &wait), 1);
	/* other keys are untouched */
	assert_int_equal(dipr__rl_take(rl, "n:dave", 6, 112 * SEC, &wait), 0);
	dipr__rl_free(rl);
}

static void test_refill_stops_at_burst(void **state)
{
	dipr_ratelimit *rl;
	unsigned wait = 0;
	assert_int_equal(dipr__rl_new(&rl, 2, 4, 64), 0);
	assert_int_equal(dipr__rl_take(rl, "a:1", 3, 1 * SEC, &wait), 0);
	/* an hour idle gives 4 tokens, not 7200 */
	int got = 0;
	while (dipr__rl_take(rl, "a:1", 3, 3600 * SEC, &wait) == 0)
		got++;
	assert_int_equal(got, 4);
	assert_int_equal(wait, 1);
	/* a clock that goes backwards takes nothing extra */
	assert_int_equal(dipr__rl_take(rl, "a:1", 3, 10 * SEC, &wait), 1);
	dipr__rl_free(rl);
}

static void test_reset_and_refund(void **state)
{
	dipr_ratelimit *rl;
	unsigned wait = 0;
	assert_int_equal(dipr__rl_new(&rl, 1 / 60.0, 2, 64), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 1);
	dipr__rl_refund(rl, "k", 1, SEC);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 1);
	dipr__rl_reset(rl, "k", 1);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 1);
	/* refunds never exceed the burst; refunding an unknown key is a no-op */
	dipr__rl_refund(rl, "k", 1, SEC);
	dipr__rl_refund(rl, "k", 1, SEC);
	dipr__rl_refund(rl, "k", 1, SEC);
	dipr__rl_refund(rl, "never", 5, SEC);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "k", 1, SEC, &wait), 1);
	dipr__rl_free(rl);
	dipr__rl_free(NULL);
}

static void test_bad_parameters_are_refused(void **state)
{
	dipr_ratelimit *rl = NULL;
	assert_int_equal(dipr__rl_new(&rl, 0, 1, 8), DIPR_EINVAL);
	assert_int_equal(dipr__rl_new(&rl, 1, 0, 8), DIPR_EINVAL);
	assert_int_equal(dipr__rl_new(&rl, -1, 1, 8), DIPR_EINVAL);
	assert_int_equal(dipr__rl_new(&rl, 1, 1, 0), DIPR_EINVAL);
	assert_null(rl);
}

/* A flood of fresh keys (an attacker's addresses) stays within the table
 * and evicts full, idle buckets first: a key that is being limited keeps
 * its state while the table has idle entries to give up. */
static void test_many_keys_bounded_and_limited_key_survives(void **state)
{
	dipr_ratelimit *rl;
	unsigned wait = 0;
	char k[32];
	assert_int_equal(dipr__rl_new(&rl, 1 / 60.0, 5, 1024), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(dipr__rl_take(rl, "victim", 6, SEC, &wait), 0);
	assert_int_equal(dipr__rl_take(rl, "victim", 6, SEC, &wait), 1);
	/* 100000 other keys, each taking one token: never refused (each
	 * starts full), memory fixed at 1024 entries */
	for (int i = 0; i < 100000; i++) {
		snprintf(k, sizeof k, "ip:10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(dipr__rl_take(rl, k, strlen(k), 2 * SEC, &wait), 0);
	}
	/* all those buckets hold 4 of 5 tokens, the victim 0: it is never the
	 * one evicted while others are fuller */
	assert_int_equal(dipr__rl_take(rl, "victim", 6, 2 * SEC, &wait), 1);
	dipr__rl_free(rl);
}

typedef struct {
	dipr_ratelimit *rl;
	int granted;
} worker_arg;

static void *worker(void *p)
{
	worker_arg *a = p;
	unsigned wait;
	for (int i = 0; i < 1000; i++)
		if (dipr__rl_take(a->rl, "shared", 6, 50 * SEC, &wait) == 0)
			a->granted++;
	return NULL;
}

static void test_concurrent_takes_grant_exactly_the_burst(void **state)
{
	dipr_ratelimit *rl;
	pthread_t t[8];
	worker_arg a[8];
	assert_int_equal(dipr__rl_new(&rl, 0.001, 100, 64), 0);
	for (int i = 0; i < 8; i++) {
		a[i].rl = rl;
		a[i].granted = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker, &a[i]), 0);
	}
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += a[i].granted;
	}
	assert_int_equal(total, 100);
	dipr__rl_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_limited_with_retry_after),
		cmocka_unit_test(test_refill_stops_at_burst),
		cmocka_unit_test(test_reset_and_refund),
		cmocka_unit_test(test_bad_parameters_are_refused),
		cmocka_unit_test(test_many_keys_bounded_and_limited_key_survives),
		cmocka_unit_test(test_concurrent_takes_grant_exactly_the_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
