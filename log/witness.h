/* witness.h — the log's side of C2SP tlog-witness: before a checkpoint is
 * published, ask every configured witness to cosign it (in parallel, with a
 * deadline), send a witness that is behind the consistency proof it needs,
 * and publish only if at least `quorum` of them cosigned (DESIGN.md
 * "Witnesses").  The cosignature lines follow the log's own signatures. */
#ifndef DIPR_LOG_WITNESS_H
#define DIPR_LOG_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/witness.h"

#define DIPR_WITNESSES_MAX 32
#define DIPR_WITNESS_TIMEOUT_MS 5000 /* default deadline of one cosigning round */
#define DIPR_WITNESS_GRACE_MS 200    /* how long the others may still answer once the quorum is met */

typedef struct dipr_witnesses dipr_witnesses;

/* specs[i] is "VKEY@URL": the witness's vkey (type 0x04) and its
 * submission prefix (http:// or https://; add-checkpoint is appended).
 * 1 <= quorum <= n <= DIPR_WITNESSES_MAX; timeout_ms > 0 bounds one call
 * of dipr_witnesses_cosign.  DIPR_EINVAL with a detail naming the spec. */
int dipr_witnesses_new(dipr_witnesses **out, const char *const *specs, size_t n, unsigned quorum,
		       unsigned timeout_ms);
void dipr_witnesses_free(dipr_witnesses *w); /* NULL is a no-op */
unsigned dipr_witnesses_quorum(const dipr_witnesses *w);
size_t dipr_witnesses_size(const dipr_witnesses *w);

/* Writes the RFC 6962 consistency proof from tree size old to size
 * (0 < old < size) of the log being cosigned into proof (room for
 * DIPR_MERKLE_MAX_PROOF hashes), *len its length. */
typedef int (*dipr_witness_prove_fn)(void *ctx, uint64_t old, uint64_t size, uint8_t (*proof)[DIPR_HASH_LEN],
				     size_t *len);

/* Asks every witness, in parallel, to cosign the signed checkpoint note
 * (len bytes).  Each is sent "old N" with N its last cosigned size as far
 * as we know (0 at first); one that answers 409 with another size gets the
 * proof from that size (prove) in a second round.  Once the quorum is met
 * the others get DIPR_WITNESS_GRACE_MS more; nothing waits past the
 * deadline.  0 when at least quorum witnesses cosigned: out (appended)
 * receives note followed by every valid cosignature line.  DIPR_EQUORUM
 * otherwise, with a detail naming the quorum and each failure.  Refusals
 * are logged on stderr and counted.  One caller at a time (the sequencer);
 * the read functions below may run concurrently. */
int dipr_witnesses_cosign(dipr_witnesses *w, const uint8_t *note, size_t len, dipr_witness_prove_fn prove, void *ctx,
			  dipr_buf *out);

/* Number of the configured witnesses with a valid cosignature in note. */
size_t dipr_witnesses_count(dipr_witnesses *w, const uint8_t *note, size_t len);

/* Whether the last dipr_witnesses_cosign met the quorum (true before the
 * first), and its error detail (copied into msg, "" if it succeeded). */
bool dipr_witnesses_ok(dipr_witnesses *w, char *msg, size_t cap);

/* Prometheus text (appended to out) and a JSON object for /healthz (new
 * reference): the quorum, the last outcome and, per witness, its size,
 * cosignatures, refusals, errors and last answer. */
void dipr_witnesses_metrics(dipr_witnesses *w, dipr_buf *out);
json_t *dipr_witnesses_status(dipr_witnesses *w);

#endif
