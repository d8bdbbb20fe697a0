/* tlogproof.c — C2SP tlog-proof@v1: an offline-verifiable receipt that an
 * entry is in the log (DESIGN.md "Receipts").
 *
 *   c2sp.org/tlog-proof@v1
 *   extra <base64>            (optional; for dipr, the entry bytes)
 *   index <N>
 *   <base64 hash>             (zero or more: the RFC 6962 inclusion proof)
 *
 *   <checkpoint signed note, verbatim>
 *
 * The parser is strict (one spelling per proof) and bounded: the whole
 * proof by DIPR_TLOG_PROOF_MAX, the extra by DIPR_TLOG_PROOF_EXTRA_MAX, the
 * proof by DIPR_TLOG_PROOF_MAX_HASHES lines.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "dipr/merkle.h"
#include "dipr/note.h"

/* Re-records the current detail with a prefix.  The detail lives in the
 * buffer dipr__err writes to, so it is copied first. */
static int wrap_err(int rc, const char *prefix)
{
	char d[400];
	snprintf(d, sizeof d, "%s", dipr_errdetail());
	return dipr__err(rc, "%s%s", prefix, d);
}

int dipr_tlog_proof_encode(const uint8_t *extra, size_t extra_len, bool has_extra,
			   uint64_t index, const uint8_t (*proof)[DIPR_HASH_LEN],
			   size_t proof_len, const uint8_t *note, size_t note_len, dipr_buf *out)
{
	size_t start = out->n, text_len;
	dipr_checkpoint cp;
	int rc;

	if (has_extra && extra_len > DIPR_TLOG_PROOF_EXTRA_MAX)
		return dipr__err(DIPR_EINVAL, "tlog-proof: extra longer than %d bytes",
				 DIPR_TLOG_PROOF_EXTRA_MAX);
	if (proof_len > DIPR_TLOG_PROOF_MAX_HASHES)
		return dipr__err(DIPR_EINVAL, "tlog-proof: more than %d proof hashes",
				 DIPR_TLOG_PROOF_MAX_HASHES);
	if (index >= DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_EINVAL, "tlog-proof: index above 2^63-2");
	/* Refuse to write a receipt that no strict reader would accept. */
	if ((rc = dipr_note_parse(note, note_len, &text_len)) ||
	    (rc = dipr_checkpoint_parse(note, text_len, &cp)))
		return wrap_err(rc, "tlog-proof: checkpoint: ");
	if ((rc = dipr_buf_adds(out, DIPR_TLOG_PROOF_HEADER "\n")))
		goto fail;
	if (has_extra && ((rc = dipr_buf_adds(out, "extra ")) ||
			  (rc = dipr_b64_encode(extra, extra_len, out)) ||
			  (rc = dipr_buf_add(out, "\n", 1))))
		goto fail;
	if ((rc = dipr_buf_addf(out, "index %llu\n", (unsigned long long)index)))
		goto fail;
	for (size_t i = 0; i < proof_len; i++)
		if ((rc = dipr_b64_encode(proof[i], DIPR_HASH_LEN, out)) ||
		    (rc = dipr_buf_add(out, "\n", 1)))
			goto fail;
	if ((rc = dipr_buf_add(out, "\n", 1)) || (rc = dipr_buf_add(out, note, note_len)))
		goto fail;
	return 0;
fail:
	out->n = start;
	if (out->p)
		out->p[start] = 0;
	return rc;
}

/* The line starting at *pos, without its '\n'; false if there is no '\n'. */
static bool next_line(const uint8_t *in, size_t n, size_t *pos, const char **line, size_t *len)
{
	if (*pos >= n)
		return false;
	const uint8_t *nl = memchr(in + *pos, '\n', n - *pos);
	if (!nl)
		return false;
	*line = (const char *)in + *pos;
	*len = (size_t)(nl - (in + *pos));
	*pos += *len + 1;
	return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

int dipr_tlog_proof_parse(const uint8_t *in, size_t n, dipr_tlog_proof *out)
{
	dipr_tlog_proof p;
	size_t pos = 0, len, lineno = 1, text_len;
	const char *line;
	dipr_checkpoint cp;
	int rc = DIPR_EINVAL;

	memset(&p, 0, sizeof p);
	memset(out, 0, sizeof *out);
	if (n > DIPR_TLOG_PROOF_MAX)
		return dipr__err(DIPR_EINVAL, "tlog-proof: %zu bytes, more than the limit of %d", n,
				 (int)DIPR_TLOG_PROOF_MAX);
	/* tlog-proof §Format: the first line is exactly the header. */
	if (!next_line(in, n, &pos, &line, &len) || len != strlen(DIPR_TLOG_PROOF_HEADER) ||
	    memcmp(line, DIPR_TLOG_PROOF_HEADER, len))
		return dipr__err(DIPR_EINVAL, "tlog-proof: line 1: expected \"%s\"",
				 DIPR_TLOG_PROOF_HEADER);
	if (!next_line(in, n, &pos, &line, &len))
		return dipr__err(DIPR_EINVAL, "tlog-proof: line 2: expected \"extra\" or \"index\"");
	lineno++;
	/* Optional "extra <base64>"; the data is opaque and unauthenticated
	 * until the leaf hash computed from it is proven. */
	if (has_prefix(line, len, "extra ")) {
		const char *b64 = line + 6;
		size_t b64_len = len - 6;
		p.has_extra = true;
		if (b64_len > 4 * (DIPR_TLOG_PROOF_EXTRA_MAX / 3 + 1)) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line 2: extra longer than %d bytes",
				       DIPR_TLOG_PROOF_EXTRA_MAX);
			goto fail;
		}
		/* +1 so that an empty extra still gets a non-NULL pointer. */
		p.extra = malloc(b64_len / 4 * 3 + 1);
		if (!p.extra) {
			rc = DIPR_ENOMEM;
			goto fail;
		}
		size_t cap = b64_len / 4 * 3;
		if (cap > DIPR_TLOG_PROOF_EXTRA_MAX)
			cap = DIPR_TLOG_PROOF_EXTRA_MAX;
		if (dipr_b64_decode(b64, b64_len, p.extra, cap, &p.extra_len)) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line 2: extra is not canonical base64 "
				       "of at most %d bytes", DIPR_TLOG_PROOF_EXTRA_MAX);
			goto fail;
		}
		if (!next_line(in, n, &pos, &line, &len)) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line 3: expected \"index <N>\"");
			goto fail;
		}
		lineno++;
	}
	/* "index <N>": decimal, no leading zeros.  The index of a leaf in a
	 * tree of at most 2^63-1 leaves. */
	if (!has_prefix(line, len, "index ") ||
	    dipr_parse_u64(line + 6, len - 6, DIPR_MERKLE_MAX_SIZE - 1, &p.index)) {
		rc = dipr__err(DIPR_EINVAL, "tlog-proof: line %zu: expected \"index <N>\" (decimal, "
			       "no leading zeros, below 2^63-1)", lineno);
		goto fail;
	}
	/* Proof hashes up to the empty line.  A checkpoint line arriving here
	 * means the empty line is missing. */
	for (;;) {
		lineno++;
		if (!next_line(in, n, &pos, &line, &len)) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line %zu: missing empty line before "
				       "the checkpoint", lineno);
			goto fail;
		}
		if (len == 0)
			break;
		if (p.proof_len == DIPR_TLOG_PROOF_MAX_HASHES) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line %zu: more than %d proof hashes",
				       lineno, DIPR_TLOG_PROOF_MAX_HASHES);
			goto fail;
		}
		size_t got;
		if (dipr_b64_decode(line, len, p.proof + DIPR_HASH_LEN * p.proof_len, DIPR_HASH_LEN,
				    &got) || got != DIPR_HASH_LEN) {
			rc = dipr__err(DIPR_EINVAL, "tlog-proof: line %zu: expected a proof hash "
				       "(canonical base64 of %d bytes) or an empty line", lineno,
				       DIPR_HASH_LEN);
			goto fail;
		}
		p.proof_len++;
	}
	/* The rest is the checkpoint, verbatim (tlog-checkpoint). */
	if ((rc = dipr_note_parse(in + pos, n - pos, &text_len)) ||
	    (rc = dipr_checkpoint_parse(in + pos, text_len, &cp))) {
		rc = wrap_err(rc, "tlog-proof: checkpoint: ");
		goto fail;
	}
	p.note_len = n - pos;
	p.note = malloc(p.note_len);
	if (!p.note) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	memcpy(p.note, in + pos, p.note_len);
	*out = p;
	return 0;
fail:
	dipr_tlog_proof_free(&p);
	return rc;
}

void dipr_tlog_proof_free(dipr_tlog_proof *p)
{
	if (!p)
		return;
	free(p->extra);
	free(p->note);
	p->extra = p->note = NULL;
	p->extra_len = p->note_len = 0;
	p->has_extra = false;
}

int dipr_tlog_proof_verify_leaf(const dipr_tlog_proof *p, dipr_hash_alg tree_alg,
				const uint8_t leaf[DIPR_HASH_LEN], dipr_verifier *const *vs,
				size_t nv, const char *origin, dipr_checkpoint *cp)
{
	dipr_checkpoint c;
	size_t text_len;
	int rc;

	if (!dipr_hash_name(tree_alg))
		return dipr__err(DIPR_EINVAL, "tlog-proof: unknown tree hash %d", (int)tree_alg);
	if (p->proof_len > DIPR_TLOG_PROOF_MAX_HASHES)
		return dipr__err(DIPR_EINVAL, "tlog-proof: more than %d proof hashes",
				 DIPR_TLOG_PROOF_MAX_HASHES);
	/* Order matters for what a failure means, not for safety: nothing
	 * from the checkpoint is used before its signatures are checked. */
	if ((rc = dipr_note_verify(p->note, p->note_len, vs, nv, &text_len)))
		return wrap_err(rc, "tlog-proof: checkpoint: ");
	if ((rc = dipr_checkpoint_parse(p->note, text_len, &c)))
		return wrap_err(rc, "tlog-proof: ");
	if (origin && strcmp(c.origin, origin) != 0)
		return dipr__err(DIPR_EVERIFY, "tlog-proof: checkpoint origin \"%.64s\" is not the "
				 "expected \"%.64s\"", c.origin, origin);
	if (p->index >= c.size)
		return dipr__err(DIPR_EVERIFY, "tlog-proof: index %llu is not below the checkpoint "
				 "size %llu", (unsigned long long)p->index,
				 (unsigned long long)c.size);
	/* RFC 9162 §2.1.3.2 against the signed root. */
	if (dipr_merkle_verify_inclusion(tree_alg, p->index, c.size, leaf,
					 (const uint8_t (*)[DIPR_HASH_LEN])p->proof, p->proof_len,
					 c.root))
		return wrap_err(DIPR_EVERIFY, "tlog-proof: ");
	if (cp)
		*cp = c;
	return 0;
}

int dipr_tlog_proof_verify(const dipr_tlog_proof *p, dipr_hash_alg tree_alg,
			   dipr_verifier *const *vs, size_t nv, const char *origin,
			   dipr_checkpoint *cp)
{
	uint8_t leaf[DIPR_HASH_LEN];
	if (!p->has_extra)
		return dipr__err(DIPR_EINVAL, "tlog-proof: no extra line, so no entry to hash");
	if (!dipr_hash_name(tree_alg))
		return dipr__err(DIPR_EINVAL, "tlog-proof: unknown tree hash %d", (int)tree_alg);
	/* RFC 6962 §2.1: leaf hash = H(0x00 || entry). */
	dipr_merkle_leaf_hash(tree_alg, p->extra, p->extra_len, leaf);
	return dipr_tlog_proof_verify_leaf(p, tree_alg, leaf, vs, nv, origin, cp);
}
