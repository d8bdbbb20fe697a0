/* ratelimit.h — token-bucket rate limits keyed by short strings (an
 * account id, a client address, an account name), in a fixed-size table:
 * memory is bounded whatever the number of keys; when a set of the table
 * is full the entry carrying the least information is evicted: the bucket
 * holding the most tokens (a full one says nothing; a nearly empty one is
 * a client being limited and must survive a flood of new keys), then the
 * one touched longest ago.
 *
 * Keys are hashed with SipHash-2-4 under a random per-table key, so an
 * outsider cannot aim many keys at one set to evict someone else's entry.
 * Thread-safe: one mutex per table, held for a few hundred nanoseconds. */
#ifndef DIPR_SERVER_RATELIMIT_H
#define DIPR_SERVER_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct dipr_ratelimit dipr_ratelimit;

/* A table of about `slots` keys (rounded up to a multiple of 8); each key
 * may spend `burst` tokens at once, refilled at `rate` tokens per second.
 * 0 or DIPR_EINVAL (rate or burst not > 0) / DIPR_ENOMEM / DIPR_ECRYPTO. */
int dipr__rl_new(dipr_ratelimit **out, double rate, double burst, size_t slots);
void dipr__rl_free(dipr_ratelimit *rl); /* NULL: no-op */

/* Takes one token from key's bucket at now_ns (CLOCK_MONOTONIC).  0 if
 * there was one; otherwise nothing is taken, 1 is returned and
 * *retry_after is the whole seconds (>= 1) until a token is there. */
int dipr__rl_take(dipr_ratelimit *rl, const void *key, size_t n, uint64_t now_ns, unsigned *retry_after);

/* Gives one token back (not above burst): an attempt that turned out to
 * be legitimate. */
void dipr__rl_refund(dipr_ratelimit *rl, const void *key, size_t n, uint64_t now_ns);

/* Forgets key: its next take starts from a full bucket. */
void dipr__rl_reset(dipr_ratelimit *rl, const void *key, size_t n);

/* Now on CLOCK_MONOTONIC, in nanoseconds. */
uint64_t dipr__rl_now(void);

#endif
