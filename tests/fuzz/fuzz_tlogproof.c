/* fuzz_tlogproof.c — C2SP tlog-proof parsing and verification. A parsed
 * proof must re-encode to something that parses to the same proof. */
#include <stdlib.h>
#include <string.h>
#include "dipr/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dipr_verifier *v[2];
	if (!v[0]) {
		const char *vk[2] = {"fuzz.test/log+7d7161d7+ARCE8HDZkIO741TN7aUmLvYgdnjuj8NfnT1+wEoOmxiy",
				     NULL};
		dipr_verifier_from_vkey(&v[0], vk[0], strlen(vk[0]));
	}
	dipr_tlog_proof p, q;
	memset(&p, 0, sizeof p);
	memset(&q, 0, sizeof q);
	if (dipr_tlog_proof_parse(data, size, &p) == 0) {
		dipr_buf b;
		dipr_checkpoint c;
		dipr_buf_init(&b, 1 << 20);
		if (dipr_tlog_proof_encode(p.extra, p.extra_len, p.has_extra, p.index,
					   (const uint8_t(*)[DIPR_HASH_LEN])p.proof, p.proof_len, p.note, p.note_len, &b) != 0)
			abort();
		if (dipr_tlog_proof_parse(b.p, b.n, &q) != 0 || q.index != p.index || q.proof_len != p.proof_len ||
		    q.extra_len != p.extra_len || q.note_len != p.note_len ||
		    memcmp(q.proof, p.proof, p.proof_len * DIPR_HASH_LEN) != 0)
			abort();
		if (v[0])
			dipr_tlog_proof_verify(&p, DIPR_HASH_SHA256, v, 1, NULL, &c);
		dipr_buf_free(&b);
	}
	dipr_tlog_proof_free(&p);
	dipr_tlog_proof_free(&q);
	return 0;
}
