/* evidence.c — what an evidence submission may contain, checked field by
 * field before anything reaches the log. */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "jcs.h"
#include "dipr/note.h"
#include "server/evidence.h"
#include "server/server.h"


static bool is_hex64(const char *v)
{
	if (!v || strlen(v) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return false;
	return true;
}

json_t *dipr__evidence_build(json_t *in, uint8_t **meta_out, size_t *meta_len, char *msg, size_t cap)
{
	const char *k;
	json_t *v, *e = NULL, *digests = NULL;
	dipr_buf canon;
	dipr_buf_init(&canon, DIPR_META_MAX);
	*meta_out = NULL;
#define BAD(...) do { snprintf(msg, cap, __VA_ARGS__); goto fail; } while (0)
	if (!json_is_object(in))
		BAD("body: expected a JSON object");
	json_object_foreach(in, k, v) {
		if (strcmp(k, "digests") && strcmp(k, "size") && strcmp(k, "records") && strcmp(k, "meta") &&
		    strcmp(k, "holder") && strcmp(k, "holder_sig"))
			BAD("body: unknown member \"%.64s\" (expected digests, size, records, meta, holder, holder_sig)", k);
	}
	digests = json_object_get(in, "digests");
	if (!json_is_object(digests) || json_object_size(digests) == 0)
		BAD("digests: expected an object like {\"sm3\":\"<64 hex>\"}");
	json_object_foreach(digests, k, v) {
		if (strcmp(k, "sm3") && strcmp(k, "sha256"))
			BAD("digests: unknown algorithm \"%.32s\" (expected sm3 or sha256)", k);
		if (!is_hex64(json_string_value(v)))
			BAD("digests.%s: expected 64 lowercase hex characters", k);
	}
	v = json_object_get(in, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		BAD("size: expected the file size in bytes, a non-negative integer");
	e = json_pack("{s:i,s:s,s:O,s:O}", "v", 1, "type", "evidence", "digests", digests, "size", v);
	if (!e)
		BAD("out of memory");
	if ((v = json_object_get(in, "records"))) {
		json_t *alg = json_object_get(v, "alg"), *root = json_object_get(v, "root"),
		       *count = json_object_get(v, "count"), *fmt = json_object_get(v, "format");
		const char *f = json_string_value(fmt), *a = json_string_value(alg);
		if (!json_is_object(v) || json_object_size(v) != 4)
			BAD("records: expected {\"alg\",\"root\",\"count\",\"format\"}");
		if (!a || (strcmp(a, "sm3") && strcmp(a, "sha256")))
			BAD("records.alg: expected sm3 or sha256");
		if (!is_hex64(json_string_value(root)))
			BAD("records.root: expected 64 lowercase hex characters");
		if (!json_is_integer(count) || json_integer_value(count) < 0)
			BAD("records.count: expected a non-negative integer");
		if (!f || (strcmp(f, "lines") && strcmp(f, "csv") && strcmp(f, "jsonl")))
			BAD("records.format: expected lines, csv or jsonl");
		json_object_set(e, "records", v);
	}
	if ((v = json_object_get(in, "meta"))) {
		/* The metadata stays in the database; the log gets a salted hash,
		 * so that guessable metadata (a data name) cannot be confirmed
		 * from the public log: meta_hash = SM3(salt16 || JCS(meta)). */
		uint8_t salt[16], h[DIPR_HASH_LEN];
		char hex[2 * DIPR_HASH_LEN + 1];
		if (!json_is_object(v))
			BAD("meta: expected a JSON object");
		if (dipr__jcs_encode(v, &canon))
			BAD("meta: %s (at most %d bytes of canonical JSON)", dipr_errdetail(), DIPR_META_MAX);
		if (dipr_random(salt, sizeof salt) || dipr_hash3(DIPR_HASH_SM3, salt, 16, canon.p, canon.n, NULL, 0, h))
			BAD("internal error hashing meta");
		dipr_hex_encode(h, DIPR_HASH_LEN, hex);
		json_object_set_new(e, "meta_hash", json_string(hex));
		/* Stored row: {"meta":...,"salt":"<hex>"} so the holder can later
		 * disclose both and anyone can recompute meta_hash. */
		dipr_hex_encode(salt, 16, hex);
		json_t *row = json_pack("{s:O,s:s}", "meta", v, "salt", hex);
		dipr_buf_reset(&canon);
		canon.max = DIPR_META_MAX + 128;
		if (!row || dipr__jcs_encode(row, &canon)) {
			json_decref(row);
			BAD("meta: too large");
		}
		json_decref(row);
		*meta_out = dipr_buf_detach(&canon, meta_len);
	}
	json_t *holder = json_object_get(in, "holder"), *hsig = json_object_get(in, "holder_sig");
	if (holder || hsig) {
		dipr_verifier *vf = NULL;
		dipr_buf line;
		uint8_t sig[128];
		size_t siglen = 0;
		const char *hs = json_string_value(holder), *ss = json_string_value(hsig);
		if (!hs || !ss)
			BAD("holder, holder_sig: both are needed, as strings (a vkey and a base64 signature)");
		if (dipr_verifier_from_vkey(&vf, hs, strlen(hs)))
			BAD("holder: not a valid vkey: %s", dipr_errdetail());
		if (dipr_b64_decode(ss, strlen(ss), sig, sizeof sig, &siglen)) {
			dipr_verifier_free(vf);
			BAD("holder_sig: expected base64: %s", dipr_errdetail());
		}
		/* The holder signs the "digest line": the canonical JSON of digests. */
		dipr_buf_init(&line, 4096);
		int rc = dipr__jcs_encode(digests, &line);
		if (!rc)
			rc = dipr_verifier_verify_raw(vf, line.p, line.n, sig, siglen);
		dipr_buf_free(&line);
		dipr_verifier_free(vf);
		if (rc)
			BAD("holder_sig: does not verify with holder's key over the canonical JSON of digests");
		json_object_set(e, "holder", holder);
		json_object_set(e, "holder_sig", hsig);
	}
#undef BAD
	dipr_buf_free(&canon);
	return e;
fail:
	dipr_buf_free(&canon);
	free(*meta_out);
	*meta_out = NULL;
	json_decref(e);
	return NULL;
}

