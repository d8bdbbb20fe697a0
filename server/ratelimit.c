/* ratelimit.c — token buckets in a set-associative table (ratelimit.h).
 *
 * Layout: nsets sets of WAYS entries; a key's 64-bit SipHash picks the set
 * and is stored as the entry's tag.  Two keys with the same 64-bit tag
 * would share a bucket; under a random hash key that is a 2^-64 event per
 * pair, not something an outsider can arrange.
 *
 * Each bucket is kept as one integer, its "theoretical arrival time" (the
 * generic cell rate algorithm, ITU-T I.371): a token is spent every
 * interval T = 1/rate; a request at now is allowed while
 * max(tat, now) + T - now <= burst * T, and then tat = max(tat, now) + T.
 * That is a token bucket of `burst` tokens refilled at `rate`, in integer
 * nanoseconds: no float drift (12 s of refill at 5/min is exactly one
 * token), and an idle bucket needs no update. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "server/ratelimit.h"

#define WAYS 8

typedef struct {
	uint64_t tag; /* 0: free */
	uint64_t tat; /* ns: the bucket is full from this time on */
} entry;

struct dipr_ratelimit {
	pthread_mutex_t mu;
	uint64_t interval; /* ns per token */
	uint64_t burst;    /* tokens */
	size_t nsets;
	uint64_t k0, k1; /* SipHash key */
	entry *e;
};

/* ---- SipHash-2-4 (Aumasson & Bernstein, 2012), 64-bit output ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static uint64_t le64(const uint8_t *p, size_t n)
{
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

static uint64_t siphash(uint64_t k0, uint64_t k1, const uint8_t *m, size_t n)
{
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
			 k1 ^ 0x7465646279746573ULL};
	size_t full = n & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t mi = le64(m + i, 8);
		v[3] ^= mi;
		sip_round(v);
		sip_round(v);
		v[0] ^= mi;
	}
	uint64_t b = ((uint64_t)n << 56) | le64(m + full, n - full);
	v[3] ^= b;
	sip_round(v);
	sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t dipr__rl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int dipr__rl_new(dipr_ratelimit **out, double rate, double burst, size_t slots)
{
	uint8_t key[16];
	if (!(rate > 0) || !(rate <= 1e9) || !(burst >= 1) || !(burst <= 1e9) || slots == 0)
		return dipr__err(DIPR_EINVAL, "rate limit: expected 0 < rate <= 1e9 per second and 1 <= burst <= 1e9");
	if (dipr_random(key, sizeof key))
		return dipr__err(DIPR_ECRYPTO, "rate limit: no randomness for the hash key");
	dipr_ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return DIPR_ENOMEM;
	rl->nsets = (slots + WAYS - 1) / WAYS;
	rl->e = calloc(rl->nsets * WAYS, sizeof *rl->e);
	if (!rl->e) {
		free(rl);
		return DIPR_ENOMEM;
	}
	/* rate >= 1e-9/s keeps the interval below 2^60 ns; burst * interval
	 * is capped the same way in the checks below */
	double iv = 1e9 / rate + 0.5;
	rl->interval = iv > 1e18 ? (uint64_t)1e18 : (uint64_t)iv;
	if (rl->interval == 0)
		rl->interval = 1;
	rl->burst = (uint64_t)burst;
	if ((double)rl->burst * (double)rl->interval > 4e18) { /* tat must not overflow */
		free(rl->e);
		free(rl);
		return dipr__err(DIPR_EINVAL, "rate limit: burst / rate above 4e9 seconds");
	}
	rl->k0 = le64(key, 8);
	rl->k1 = le64(key + 8, 8);
	pthread_mutex_init(&rl->mu, NULL);
	*out = rl;
	return 0;
}

void dipr__rl_free(dipr_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->e);
	free(rl);
}

/* Tokens e would hold at now (for choosing a victim only). */
static double level(const dipr_ratelimit *rl, const entry *e, uint64_t now)
{
	if (e->tat <= now)
		return (double)rl->burst;
	return (double)rl->burst - (double)(e->tat - now) / (double)rl->interval;
}

/* The key's entry, created with a full bucket if missing.  In a full set
 * the victim is the bucket holding the most tokens (a full one carries no
 * state at all; a nearly empty one is a client being limited, which a
 * flood of new keys must not wash out), the one that fills first among
 * equals.  Called with mu held. */
static entry *lookup(dipr_ratelimit *rl, const void *key, size_t n, uint64_t now, bool create)
{
	uint64_t tag = siphash(rl->k0, rl->k1, key, n);
	if (tag == 0)
		tag = 1;
	entry *set = rl->e + (tag % rl->nsets) * WAYS, *victim = NULL;
	for (int i = 0; i < WAYS; i++)
		if (set[i].tag == tag)
			return &set[i];
	if (!create)
		return NULL;
	double best = -1e300;
	for (int i = 0; i < WAYS; i++) {
		if (set[i].tag == 0) {
			victim = &set[i];
			break;
		}
		double l = level(rl, &set[i], now);
		if (l > best || (l == best && set[i].tat < victim->tat)) {
			best = l;
			victim = &set[i];
		}
	}
	victim->tag = tag;
	victim->tat = now; /* full */
	return victim;
}

int dipr__rl_take(dipr_ratelimit *rl, const void *key, size_t n, uint64_t now_ns, unsigned *retry_after)
{
	int limited = 0;
	pthread_mutex_lock(&rl->mu);
	entry *e = lookup(rl, key, n, now_ns, true);
	uint64_t start = e->tat > now_ns ? e->tat : now_ns;
	/* allowed while start + T - now <= burst * T, i.e. the debt after this
	 * request (start - now + T) fits in the bucket */
	uint64_t debt = start - now_ns + rl->interval;
	double cap = (double)rl->burst * (double)rl->interval;
	if ((double)debt <= cap) {
		e->tat = start + rl->interval;
	} else {
		double wait_ns = (double)debt - cap; /* until the debt fits */
		double s = wait_ns / 1e9;
		unsigned w = s >= 86400.0 * 365 ? 86400u * 365 : (unsigned)s;
		if ((double)w < s)
			w++;
		*retry_after = w < 1 ? 1 : w;
		limited = 1;
	}
	pthread_mutex_unlock(&rl->mu);
	return limited;
}

void dipr__rl_refund(dipr_ratelimit *rl, const void *key, size_t n, uint64_t now_ns)
{
	pthread_mutex_lock(&rl->mu);
	entry *e = lookup(rl, key, n, now_ns, false);
	if (e)
		e->tat = e->tat > now_ns + rl->interval ? e->tat - rl->interval : now_ns;
	pthread_mutex_unlock(&rl->mu);
}

void dipr__rl_reset(dipr_ratelimit *rl, const void *key, size_t n)
{
	pthread_mutex_lock(&rl->mu);
	entry *e = lookup(rl, key, n, 0, false);
	if (e)
		memset(e, 0, sizeof *e);
	pthread_mutex_unlock(&rl->mu);
}
