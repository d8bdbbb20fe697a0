/* verify_bench.c — CPU cost of verifying one receipt, in process.
 *
 *   verify_bench RECEIPT.tlog-proof VKEYS-FILE [ITERATIONS]
 *
 * Per iteration: dipr_tlog_proof_parse + dipr_tlog_proof_verify with every
 * vkey of the file (the log's Ed25519 and SM2 keys, so both checkpoint
 * signatures are checked) + dipr_tlog_proof_free; the tree hash is SHA-256.
 * The vkeys are parsed once, outside the loop (a verifier keeps them).
 *
 * Baseline, measured in the same process: the two signature checks alone
 * (dipr_verifier_verify_raw over the same checkpoint text, with a fresh
 * Ed25519 and a fresh SM2 key), i.e. the irreducible public-key cost.
 *
 * Prints one line (CPU microseconds per call, CLOCK_PROCESS_CPUTIME_ID):
 *   "verify_us=V sigs_us=S ed25519_us=E sm2_us=M iterations=N" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/note.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20;
	char *p = malloc(cap + 1);
	*n = p ? fread(p, 1, cap, f) : 0;
	fclose(f);
	if (p)
		p[*n] = 0;
	return p;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "verify_bench: %s: %s (%s)\n", what, dipr_strerror(rc), dipr_errdetail());
	return 1;
}

/* CPU µs per call of raw verification of msg by a fresh key of type t. */
static int raw_cost(int type, const uint8_t *msg, size_t n, long iters, double *us)
{
	dipr_signer *s;
	dipr_verifier *v;
	char *vkey;
	uint8_t sig[80];
	size_t siglen;
	int rc;
	if ((rc = dipr_signer_generate(&s, "bench.test/log", type)) || (rc = dipr_signer_vkey(s, &vkey)) ||
	    (rc = dipr_verifier_from_vkey(&v, vkey, strlen(vkey))) ||
	    (rc = dipr_signer_sign_raw(s, msg, n, sig, &siglen)))
		return fail("raw key", rc);
	double t0 = cpu_now();
	for (long i = 0; i < iters; i++)
		if ((rc = dipr_verifier_verify_raw(v, msg, n, sig, siglen)))
			return fail("raw verify", rc);
	*us = (cpu_now() - t0) * 1e6 / iters;
	dipr_verifier_free(v);
	free(vkey);
	dipr_signer_free(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: verify_bench RECEIPT VKEYS [ITERATIONS]\n");
		return 2;
	}
	long iters = argc > 3 ? atol(argv[3]) : 2000;
	size_t rn, kn;
	char *rec = slurp(argv[1], &rn), *keys = slurp(argv[2], &kn);
	if (!rec || !keys) {
		fprintf(stderr, "verify_bench: cannot read %s or %s\n", argv[1], argv[2]);
		return 2;
	}
	dipr_verifier *vs[8];
	size_t nv = 0;
	for (char *line = strtok(keys, "\n"); line && nv < 8; line = strtok(NULL, "\n")) {
		int rc = dipr_verifier_from_vkey(&vs[nv], line, strlen(line));
		if (rc)
			return fail("vkey", rc);
		nv++;
	}
	int types = 0;
	for (size_t i = 0; i < nv; i++)
		types |= dipr_verifier_type(vs[i]) == DIPR_KEY_ED25519 ? 1 : dipr_verifier_type(vs[i]) == DIPR_KEY_SM2 ? 2 : 0;
	if (types != 3) {
		fprintf(stderr, "verify_bench: %s must hold an Ed25519 and an SM2 vkey\n", argv[2]);
		return 2;
	}
	const char *origin = dipr_verifier_name(vs[0]);
	dipr_tlog_proof p;
	dipr_checkpoint cp;
	int rc;

	/* warm up (and check that it verifies at all) */
	if ((rc = dipr_tlog_proof_parse((const uint8_t *)rec, rn, &p)))
		return fail("parse", rc);
	if ((rc = dipr_tlog_proof_verify(&p, DIPR_HASH_SHA256, vs, nv, origin, &cp)))
		return fail("verify", rc);
	size_t text_len;
	if ((rc = dipr_note_parse(p.note, p.note_len, &text_len)))
		return fail("note", rc);
	uint8_t *text = malloc(text_len);
	memcpy(text, p.note, text_len);
	dipr_tlog_proof_free(&p);

	double t0 = cpu_now();
	for (long i = 0; i < iters; i++) {
		if ((rc = dipr_tlog_proof_parse((const uint8_t *)rec, rn, &p)))
			return fail("parse", rc);
		if ((rc = dipr_tlog_proof_verify(&p, DIPR_HASH_SHA256, vs, nv, origin, &cp)))
			return fail("verify", rc);
		dipr_tlog_proof_free(&p);
	}
	double verify_us = (cpu_now() - t0) * 1e6 / iters;

	double ed_us, sm2_us;
	if (raw_cost(DIPR_KEY_ED25519, text, text_len, iters, &ed_us) ||
	    raw_cost(DIPR_KEY_SM2, text, text_len, iters, &sm2_us))
		return 1;
	printf("verify_us=%.2f sigs_us=%.2f ed25519_us=%.2f sm2_us=%.2f iterations=%ld\n", verify_us, ed_us + sm2_us,
	       ed_us, sm2_us, iters);
	for (size_t i = 0; i < nv; i++)
		dipr_verifier_free(vs[i]);
	free(text);
	free(rec);
	free(keys);
	return 0;
}
