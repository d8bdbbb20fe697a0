/* fuzz_cert.c — certificate files: strict parse; what parses re-encodes
 * to a file that parses to the same certificate (same canonical body,
 * lines and proof) and encodes to the same bytes; verification against
 * fixed keys (those that signed the seeds) must not crash, and must
 * accept only what it accepted before re-encoding. */
#include <stdlib.h>
#include <string.h>
#include "dipr/cert.h"

/* Test keys, public on purpose: tests/unit/test_cert.c signs the seed
 * corpus with their private halves. */
static const char *const vkeys[] = {
	"registry.example.cn/dipr/fuzz+624fcca4+Afak26Z0TfktqA6cK0BQlKxOhnYNefLlqLnTH6CsR8bN",
	"registry.example.cn/dipr/fuzz+fbb75e94+/3NtMi1zbTMvMTIzNDU2NzgxMjM0NTY3OARyyhHuv0p02w5yx/UA8SRuQITHkT/"
	"AyBUhAkU6fzcyx6osRwzW411pQIDWLoObnfIQCt14awSX2ArmGEb7nh10",
};
static dipr_verifier *vs[2];

static void same(const dipr_cert *a, const dipr_cert *b)
{
	dipr_buf x, y;
	dipr_buf_init(&x, DIPR_CERT_MAX);
	dipr_buf_init(&y, DIPR_CERT_MAX);
	if (dipr_cert_body_encode(&a->body, &x) || dipr_cert_body_encode(&b->body, &y) || x.n != y.n ||
	    memcmp(x.p, y.p, x.n) || a->nsigs != b->nsigs || a->tlog_proof_len != b->tlog_proof_len ||
	    memcmp(a->tlog_proof, b->tlog_proof, a->tlog_proof_len))
		abort();
	for (size_t i = 0; i < a->nsigs; i++)
		if (strcmp(a->sigs[i], b->sigs[i]))
			abort();
	dipr_buf_free(&x);
	dipr_buf_free(&y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dipr_cert *c = calloc(2, sizeof *c);
	dipr_buf e1, e2;
	if (!c)
		return 0;
	if (!vs[0])
		for (int i = 0; i < 2; i++)
			if (dipr_verifier_from_vkey(&vs[i], vkeys[i], strlen(vkeys[i])))
				abort();
	if (dipr_cert_parse(data, size, &c[0]) != 0) {
		free(c);
		return 0;
	}
	dipr_buf_init(&e1, DIPR_CERT_MAX);
	dipr_buf_init(&e2, DIPR_CERT_MAX);
	if (dipr_cert_encode(&c[0], &e1) || dipr_cert_parse(e1.p, e1.n, &c[1]))
		abort();
	same(&c[0], &c[1]);
	if (dipr_cert_encode(&c[1], &e2) || e1.n != e2.n || memcmp(e1.p, e2.p, e1.n))
		abort();
	/* The signatures cover the canonical body, so the file's spelling
	 * cannot change the answer. */
	int r0 = dipr_cert_verify(&c[0], vs, 2, NULL, 0, NULL);
	int r1 = dipr_cert_verify(&c[1], vs, 2, NULL, 0, NULL);
	if (r0 != r1 || (r0 != 0 && r0 != DIPR_EVERIFY))
		abort();
	dipr_cert_verify(&c[0], vs, 1, "registry.example.cn/dipr/fuzz", DIPR_HASH_SM3, NULL);
	dipr_buf_reset(&e2);
	if (dipr_cert_entry(&c[0].body, &e2))
		abort();
	dipr_cert_free(&c[0]);
	dipr_cert_free(&c[1]);
	dipr_buf_free(&e1);
	dipr_buf_free(&e2);
	free(c);
	return 0;
}
