/* fuzz_witness.c — the witness's parsers and decision (C2SP tlog-witness
 * add-checkpoint bodies, 409 size bodies, 200 cosignature answers, witness
 * vkeys, cosignature lines in notes) from outside bytes. */
#include <stdlib.h>
#include <string.h>
#include "dipr/note.h"
#include "dipr/witness.h"

/* The log key of golang.org/x/mod/sumdb/note's tests, so that seeds can
 * carry valid signatures; a fixed witness key for the answers. */
static const char log_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char wit_vkey[] = "witness.example/fuzz+13735f4b+BGS1MV9oPfqx+aB3QSc2UAgWds8KrpZCNZYVnsVFzg1E";
static const char cp_text[] = "PeterNeumann\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dipr_verifier *key;
	static dipr_cosig_verifier *wv;
	if (!key && (dipr_verifier_from_vkey(&key, log_vkey, strlen(log_vkey)) ||
		     dipr_cosig_verifier_from_vkey(&wv, wit_vkey, strlen(wit_vkey))))
		abort();
	dipr_witness_log log = {"PeterNeumann", &key, 1, DIPR_HASH_SHA256};
	dipr_witness_req req;
	dipr_witness_verdict v;
	if (dipr_witness_open(data, size, &log, 1, &req, &v) != 0)
		abort();
	if (v.status && v.status != 400 && v.status != 403 && v.status != 404)
		abort();
	if (dipr_witness_req_parse(data, size, &req) == 0) {
		size_t tl;
		dipr_checkpoint cp;
		if (req.proof_len > DIPR_WITNESS_MAX_PROOF || req.note + req.note_len != data + size)
			abort();
		/* format -> parse gives the same request back */
		dipr_buf b;
		dipr_witness_req r2;
		dipr_buf_init(&b, DIPR_WITNESS_REQ_MAX);
		if (dipr_witness_req_format(req.old_size, (const uint8_t(*)[DIPR_HASH_LEN])req.proof, req.proof_len, req.note,
					    req.note_len, &b) ||
		    dipr_witness_req_parse(b.p, b.n, &r2) || r2.old_size != req.old_size || r2.proof_len != req.proof_len ||
		    memcmp(r2.proof, req.proof, req.proof_len * DIPR_HASH_LEN) || r2.note_len != req.note_len)
			abort();
		dipr_buf_free(&b);
		/* the decision against three stored states, signature or not */
		if (dipr_note_parse(req.note, req.note_len, &tl) == 0 && dipr_checkpoint_parse(req.note, tl, &cp) == 0 &&
		    strcmp(cp.origin, "PeterNeumann") == 0) {
			dipr_witness_state st[3] = {{false, 0, {0}}, {true, req.old_size, {0}}, {true, cp.size, {0}}};
			memcpy(st[2].root, cp.root, DIPR_HASH_LEN);
			for (int i = 0; i < 3; i++) {
				v.cp = cp;
				v.log = 0;
				dipr_witness_decide(&req, &log, &st[i], &v);
				if (v.status != 200 && v.status != 400 && v.status != 409 && v.status != 422)
					abort();
			}
		}
	}
	uint64_t sz;
	if (dipr_witness_size_parse(data, size, &sz) == 0 && (size < 2 || data[size - 1] != '\n'))
		abort();
	dipr_buf out;
	dipr_buf_init(&out, DIPR_WITNESS_RESP_MAX);
	dipr_witness_resp_take(data, size, wv, (const uint8_t *)cp_text, sizeof cp_text - 1, &out, &sz);
	dipr_buf_free(&out);
	dipr_cosig_verify(data, size, wv, NULL);
	dipr_cosig_verifier *x = NULL;
	if (dipr_cosig_verifier_from_vkey(&x, (const char *)data, size) == 0)
		dipr_cosig_verify(data, size, x, NULL);
	dipr_cosig_verifier_free(x);
	return 0;
}
