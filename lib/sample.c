/* sample.c — the sample-proof file: strict parse, encode, and the record
 * part of verification (the receipt part is dipr_tlog_proof_verify). */
#include <stdlib.h>

#include "internal.h"
#include "jcs.h"
#include "dipr/merkle.h"
#include "dipr/sample.h"

void dipr_sample_free(dipr_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrecs; i++)
		free(s->recs[i].bytes);
	free(s->recs);
	free(s->receipt);
	memset(s, 0, sizeof *s);
}

static bool hexlower(const char *v, size_t want)
{
	if (!v || strlen(v) != want)
		return false;
	for (size_t i = 0; i < want; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return false;
	return true;
}

/* Decodes a base64 JSON string into a new buffer. */
static int b64_member(json_t *v, size_t max, uint8_t **out, size_t *n, const char *what)
{
	const char *s = json_string_value(v);
	if (!s)
		return dipr__err(DIPR_EINVAL, "sample: %s: expected a base64 string", what);
	size_t len = strlen(s), cap = len / 4 * 3 + 1;
	if (cap > max + 3)
		return dipr__err(DIPR_ERANGE, "sample: %s: longer than %zu bytes", what, max);
	*out = malloc(cap);
	if (!*out)
		return DIPR_ENOMEM;
	if (dipr_b64_decode(s, len, *out, cap, n)) {
		free(*out);
		*out = NULL;
		return dipr__err(DIPR_EINVAL, "sample: %s: invalid base64", what);
	}
	return 0;
}

/* A JSON array of at most max base64 32-byte hashes into proof[]. */
static int proof_array(json_t *pr, size_t max, uint8_t (*proof)[DIPR_HASH_LEN], size_t *len, const char *what)
{
	if (!json_is_array(pr) || json_array_size(pr) > max)
		return dipr__err(DIPR_EINVAL, "%s: expected at most %zu base64 hashes", what, max);
	for (size_t j = 0; j < json_array_size(pr); j++) {
		const char *h = json_string_value(json_array_get(pr, j));
		size_t hn = 0;
		if (!h || dipr_b64_decode(h, strlen(h), proof[j], DIPR_HASH_LEN, &hn) || hn != DIPR_HASH_LEN)
			return dipr__err(DIPR_EINVAL, "%s[%zu]: expected base64 of 32 bytes", what, j);
	}
	*len = json_array_size(pr);
	return 0;
}

int dipr_sample_parse(const uint8_t *in, size_t n, dipr_sample *out)
{
	json_t *v = NULL, *arr;
	const char *k;
	json_t *x;
	int rc;
	memset(out, 0, sizeof *out);
	if (n > DIPR_SAMPLE_MAX)
		return dipr__err(DIPR_ERANGE, "sample: file larger than %u bytes", DIPR_SAMPLE_MAX);
	if ((rc = dipr__json_parse(in, n, 5, "sample", &v)))
		return rc;
	if (!json_is_object(v)) {
		rc = dipr__err(DIPR_EINVAL, "sample: expected a JSON object");
		goto fail;
	}
	json_object_foreach(v, k, x) {
		if (strcmp(k, "v") && strcmp(k, "type") && strcmp(k, "receipt") && strcmp(k, "samples")) {
			rc = dipr__err(DIPR_EINVAL, "sample: unknown member \"%.40s\"", k);
			goto fail;
		}
	}
	if (json_integer_value(json_object_get(v, "v")) != 1 || !json_is_integer(json_object_get(v, "v"))) {
		rc = dipr__err(DIPR_EINVAL, "sample: v: expected 1");
		goto fail;
	}
	const char *type = json_string_value(json_object_get(v, "type"));
	if (!type || strcmp(type, "sample") != 0) {
		rc = dipr__err(DIPR_EINVAL, "sample: type: expected \"sample\"");
		goto fail;
	}
	const char *rcpt = json_string_value(json_object_get(v, "receipt"));
	if (!rcpt || strlen(rcpt) > DIPR_TLOG_PROOF_MAX) {
		rc = dipr__err(DIPR_EINVAL, "sample: receipt: expected the tlog-proof text");
		goto fail;
	}
	out->receipt_len = strlen(rcpt);
	out->receipt = malloc(out->receipt_len + 1);
	if (!out->receipt) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	memcpy(out->receipt, rcpt, out->receipt_len + 1);
	arr = json_object_get(v, "samples");
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > DIPR_SAMPLE_MAX_RECORDS) {
		rc = dipr__err(DIPR_EINVAL, "sample: samples: expected 1 to %d records", DIPR_SAMPLE_MAX_RECORDS);
		goto fail;
	}
	out->recs = calloc(json_array_size(arr), sizeof *out->recs);
	if (!out->recs) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *r = json_array_get(arr, i), *pr;
		dipr_sample_record *s = &out->recs[i];
		char what[64];
		out->nrecs = i + 1;
		snprintf(what, sizeof what, "samples[%zu]", i);
		if (!json_is_object(r) || json_object_size(r) != 4) {
			rc = dipr__err(DIPR_EINVAL, "sample: %s: expected {index, bytes, salt, proof}", what);
			goto fail;
		}
		json_t *ix = json_object_get(r, "index");
		if (!json_is_integer(ix) || json_integer_value(ix) < 0) {
			rc = dipr__err(DIPR_EINVAL, "sample: %s.index: expected a non-negative integer", what);
			goto fail;
		}
		s->index = (uint64_t)json_integer_value(ix);
		if (i && s->index <= out->recs[i - 1].index) {
			rc = dipr__err(DIPR_EINVAL, "sample: %s.index: records must be in increasing index order", what);
			goto fail;
		}
		if ((rc = b64_member(json_object_get(r, "bytes"), DIPR_RECORD_BYTES_MAX, &s->bytes, &s->n, "bytes")))
			goto fail;
		const char *salt = json_string_value(json_object_get(r, "salt"));
		if (!hexlower(salt, 2 * DIPR_SALT_LEN)) {
			rc = dipr__err(DIPR_EINVAL, "sample: %s.salt: expected %d lowercase hex characters", what,
				       2 * DIPR_SALT_LEN);
			goto fail;
		}
		dipr_hex_decode(salt, 2 * DIPR_SALT_LEN, s->salt, DIPR_SALT_LEN);
		pr = json_object_get(r, "proof");
		char pwhat[80];
		snprintf(pwhat, sizeof pwhat, "sample: %s.proof", what);
		if ((rc = proof_array(pr, 63, s->proof, &s->proof_len, pwhat)))
			goto fail;
	}
	json_decref(v);
	return 0;
fail:
	json_decref(v);
	dipr_sample_free(out);
	return rc;
}

int dipr_sample_encode(const dipr_sample *s, dipr_buf *out)
{
	json_t *arr = json_array(), *v;
	int rc = 0;
	char salt[2 * DIPR_SALT_LEN + 1];
	for (size_t i = 0; i < s->nrecs && !rc; i++) {
		const dipr_sample_record *r = &s->recs[i];
		dipr_buf b;
		json_t *pr = json_array();
		dipr_buf_init(&b, (size_t)DIPR_SAMPLE_MAX);
		rc = dipr_b64_encode(r->bytes, r->n, &b);
		for (size_t j = 0; j < r->proof_len && !rc; j++) {
			dipr_buf h;
			dipr_buf_init(&h, 64);
			rc = dipr_b64_encode(r->proof[j], DIPR_HASH_LEN, &h);
			if (!rc)
				json_array_append_new(pr, json_string((const char *)h.p));
			dipr_buf_free(&h);
		}
		dipr_hex_encode(r->salt, DIPR_SALT_LEN, salt);
		if (!rc)
			json_array_append_new(arr, json_pack("{s:I,s:s,s:s,s:o}", "index", (json_int_t)r->index, "bytes",
							     b.p ? (const char *)b.p : "", "salt", salt, "proof", pr));
		else
			json_decref(pr);
		dipr_buf_free(&b);
	}
	v = json_pack("{s:i,s:s,s:s%,s:o}", "v", 1, "type", "sample", "receipt", (const char *)s->receipt,
		      s->receipt_len, "samples", arr);
	if (!rc) {
		/* canonical, so a sample file hashes the same wherever it is made */
		rc = v ? dipr__jcs_encode(v, out) : DIPR_ENOMEM;
		if (!rc)
			rc = dipr_buf_add(out, "\n", 1);
	}
	json_decref(v);
	return rc;
}

int dipr_records_from_entry(const uint8_t *entry, size_t n, dipr_records_commitment *rc)
{
	json_t *v = NULL, *r;
	int ret = 0;
	if (dipr__json_parse(entry, n, 16, "entry", &v))
		return dipr__err(DIPR_EINVAL, "receipt: the entry is not JSON");
	r = json_object_get(v, "records");
	if (!r) {
		json_decref(v);
		return dipr__err(DIPR_ENOTFOUND, "receipt: the evidence entry has no records commitment");
	}
	const char *alg = json_string_value(json_object_get(r, "alg")), *root = json_string_value(json_object_get(r, "root")),
		   *fmt = json_string_value(json_object_get(r, "format"));
	json_t *count = json_object_get(r, "count");
	if (!alg || dipr_hash_parse(alg, strlen(alg), &rc->alg) || !hexlower(root, 64) || !json_is_integer(count) ||
	    json_integer_value(count) < 0 || !fmt || strlen(fmt) >= sizeof rc->format) {
		ret = dipr__err(DIPR_EINVAL, "receipt: entry.records: expected {alg, root, count, format}");
	} else {
		dipr_hex_decode(root, 64, rc->root, DIPR_HASH_LEN);
		rc->count = (uint64_t)json_integer_value(count);
		snprintf(rc->format, sizeof rc->format, "%s", fmt);
	}
	json_decref(v);
	return ret;
}

int dipr_sample_check_records(const dipr_sample *s, const dipr_records_commitment *rc)
{
	for (size_t i = 0; i < s->nrecs; i++) {
		const dipr_sample_record *r = &s->recs[i];
		uint8_t leaf[DIPR_HASH_LEN];
		dipr_rectree_leaf(rc->alg, r->salt, r->bytes, r->n, leaf);
		if (dipr_merkle_verify_inclusion(rc->alg, r->index, rc->count, leaf,
						 (const uint8_t(*)[DIPR_HASH_LEN])r->proof, r->proof_len, rc->root))
			return dipr__err(DIPR_EVERIFY, "sample record %llu (samples[%zu]) is not in the attested record tree",
					 (unsigned long long)r->index, i);
	}
	return 0;
}

/* ---- extension proofs ---- */

void dipr_extension_free(dipr_extension *e)
{
	if (!e)
		return;
	free(e->old_receipt);
	free(e->new_receipt);
	memset(e, 0, sizeof *e);
}

static int copy_receipt(json_t *v, const char *name, uint8_t **out, size_t *n)
{
	const char *r = json_string_value(json_object_get(v, name));
	if (!r || strlen(r) > DIPR_TLOG_PROOF_MAX)
		return dipr__err(DIPR_EINVAL, "extension: %s: expected the tlog-proof text", name);
	*n = strlen(r);
	*out = malloc(*n + 1);
	if (!*out)
		return DIPR_ENOMEM;
	memcpy(*out, r, *n + 1);
	return 0;
}

int dipr_extension_parse(const uint8_t *in, size_t n, dipr_extension *out)
{
	json_t *v = NULL, *pr, *x;
	const char *k;
	int rc;
	memset(out, 0, sizeof *out);
	if (n > 4 * DIPR_TLOG_PROOF_MAX)
		return dipr__err(DIPR_ERANGE, "extension: file too large");
	if ((rc = dipr__json_parse(in, n, 3, "extension", &v)))
		return rc;
	if (!json_is_object(v)) {
		rc = dipr__err(DIPR_EINVAL, "extension: expected a JSON object");
		goto fail;
	}
	json_object_foreach(v, k, x) {
		if (strcmp(k, "v") && strcmp(k, "type") && strcmp(k, "old") && strcmp(k, "new") && strcmp(k, "proof")) {
			rc = dipr__err(DIPR_EINVAL, "extension: unknown member \"%.40s\"", k);
			goto fail;
		}
	}
	const char *type = json_string_value(json_object_get(v, "type"));
	if (!json_is_integer(json_object_get(v, "v")) || json_integer_value(json_object_get(v, "v")) != 1 || !type ||
	    strcmp(type, "extension") != 0) {
		rc = dipr__err(DIPR_EINVAL, "extension: expected v 1 and type \"extension\"");
		goto fail;
	}
	if ((rc = copy_receipt(v, "old", &out->old_receipt, &out->old_len)) ||
	    (rc = copy_receipt(v, "new", &out->new_receipt, &out->new_len)))
		goto fail;
	pr = json_object_get(v, "proof");
	if ((rc = proof_array(pr, DIPR_MERKLE_MAX_PROOF, out->proof, &out->proof_len, "extension: proof")))
		goto fail;
	json_decref(v);
	return 0;
fail:
	json_decref(v);
	dipr_extension_free(out);
	return rc;
}

int dipr_extension_encode(const dipr_extension *e, dipr_buf *out)
{
	json_t *pr = json_array();
	int rc = 0;
	for (size_t j = 0; j < e->proof_len && !rc; j++) {
		dipr_buf h;
		dipr_buf_init(&h, 64);
		rc = dipr_b64_encode(e->proof[j], DIPR_HASH_LEN, &h);
		if (!rc)
			json_array_append_new(pr, json_string((const char *)h.p));
		dipr_buf_free(&h);
	}
	json_t *v = json_pack("{s:i,s:s,s:s%,s:s%,s:o}", "v", 1, "type", "extension", "old",
			      (const char *)e->old_receipt, e->old_len, "new", (const char *)e->new_receipt, e->new_len,
			      "proof", pr);
	if (!rc)
		rc = v ? dipr__jcs_encode(v, out) : DIPR_ENOMEM;
	if (!rc)
		rc = dipr_buf_add(out, "\n", 1);
	json_decref(v);
	return rc;
}

int dipr_extension_check(const dipr_extension *e, const dipr_records_commitment *o, const dipr_records_commitment *n)
{
	if (o->alg != n->alg || strcmp(o->format, n->format) != 0)
		return dipr__err(DIPR_EVERIFY, "extension: the two record trees use different hashes or formats");
	if (o->count == 0 || o->count > n->count)
		return dipr__err(DIPR_EVERIFY, "extension: the old dataset (%llu records) is not a prefix of the new (%llu)",
				 (unsigned long long)o->count, (unsigned long long)n->count);
	if (dipr_merkle_verify_consistency(o->alg, o->count, n->count, o->root, n->root,
					   (const uint8_t(*)[DIPR_HASH_LEN])e->proof, e->proof_len))
		return dipr__err(DIPR_EVERIFY, "extension: the first %llu records of the new dataset are not the old ones",
				 (unsigned long long)o->count);
	return 0;
}
