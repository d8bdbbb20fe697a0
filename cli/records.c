/* records.c — the record-tree commands: hash/attest --records, dipr sample,
 * and the dataset secret kept beside the receipt. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "cli/cli.h"
#include "cli/records.h"
#include "dipr/merkle.h"
#include "dipr/note.h"
#include "dipr/sample.h"
#include "log/log.h"

/* ---- the dataset secret: 32 random bytes, hex, in a 0600 file ---- */

int cli_secret_path(const char *receipt, char *out, size_t cap)
{
	size_t n = strlen(receipt), sfx = strlen(".tlog-proof");
	if (n > sfx && strcmp(receipt + n - sfx, ".tlog-proof") == 0)
		n -= sfx;
	int w = snprintf(out, cap, "%.*s.secret", (int)n, receipt);
	return w < 0 || (size_t)w >= cap ? cli_fail(2, "%s: path too long", receipt) : 0;
}

int cli_secret_load(const char *path, uint8_t secret[DIPR_SECRET_LEN], bool create, bool *created)
{
	struct stat st;
	*created = false;
	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !create)
			return cli_fail(2, "%s: cannot read the dataset secret: %s", path, strerror(errno));
		char hex[2 * DIPR_SECRET_LEN + 2];
		if (dipr_random(secret, DIPR_SECRET_LEN))
			return cli_fail(2, "%s: no randomness", path);
		dipr_hex_encode(secret, DIPR_SECRET_LEN, hex);
		hex[2 * DIPR_SECRET_LEN] = '\n';
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		int rc = 0;
		if (fd < 0 || write(fd, hex, sizeof hex - 1) != (ssize_t)(sizeof hex - 1) || fsync(fd) != 0)
			rc = cli_fail(2, "%s: cannot write the dataset secret: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		OPENSSL_cleanse(hex, sizeof hex);
		*created = rc == 0;
		return rc;
	}
	if (st.st_mode & 077)
		return cli_fail(2, "%s: the dataset secret must not be readable by others (mode %03o, expected 600)", path,
				(unsigned)(st.st_mode & 0777));
	dipr_buf b;
	dipr_buf_init(&b, 256);
	int rc = dipr_read_file(path, 256, &b);
	while (!rc && b.n && (b.p[b.n - 1] == '\n' || b.p[b.n - 1] == '\r'))
		b.n--;
	if (rc || dipr_hex_decode((const char *)b.p, b.n, secret, DIPR_SECRET_LEN))
		rc = cli_fail(2, "%s: expected a dataset secret (%d hex characters)", path, 2 * DIPR_SECRET_LEN);
	if (b.p)
		OPENSSL_cleanse(b.p, b.cap);
	dipr_buf_free(&b);
	return rc;
}

/* ---- one pass: digests + record tree ---- */

typedef struct {
	dipr_rectree *t;
	dipr_rec_fn on_record;
	void *ctx;
} both_ctx;

/* Record callback that feeds the tree and then the caller (dipr sample). */
static int records_both(void *vctx, uint64_t index, const uint8_t *rec, size_t n)
{
	both_ctx *b = vctx;
	int rc = dipr_rectree_add(b->t, rec, n);
	return rc ? rc : b->on_record(b->ctx, index, rec, n);
}

static int add_record(void *ctx, uint64_t index, const uint8_t *rec, size_t n)
{
	return dipr_rectree_add(ctx, rec, n);
}

int cli_records_scan(const char *path, const dipr_hash_alg *algs, int nalg, dipr_rec_format fmt,
		     const uint8_t secret[DIPR_SECRET_LEN], uint8_t digests[][DIPR_HASH_LEN], uint64_t *size,
		     dipr_records_commitment *rc_out, dipr_rectree_node_fn on_node, dipr_rec_fn on_record, void *ctx)
{
	dipr_rectree *t = NULL;
	dipr_rec_splitter *sp = NULL;
	int rc;
	/* The record tree uses the evidence's (first) algorithm. */
	if (dipr_rectree_new(&t, algs[0], secret, DIPR_SECRET_LEN) || dipr_rec_splitter_new(&sp, fmt)) {
		dipr_rectree_free(t);
		return cli_fail(2, "%s: out of memory", path);
	}
	both_ctx b = {t, on_record, ctx};
	if (on_node)
		dipr_rectree_on_node(t, on_node, ctx);
	rc = cli_scan_file(path, algs, nalg, digests, size, sp,
			   on_record ? records_both : add_record, on_record ? (void *)&b : (void *)t);
	if (!rc) {
		rc_out->alg = algs[0];
		rc_out->count = dipr_rectree_count(t);
		dipr_rectree_root(t, rc_out->root);
		snprintf(rc_out->format, sizeof rc_out->format, "%s", dipr_rec_format_name(fmt));
	}
	dipr_rec_splitter_free(sp);
	dipr_rectree_free(t);
	return rc;
}

void cli_records_print(const dipr_records_commitment *c, const char *path)
{
	char hex[65];
	dipr_hex_encode(c->root, DIPR_HASH_LEN, hex);
	printf("records:%s:%s:%llu:%s  %s\n", c->format, dipr_hash_name(c->alg), (unsigned long long)c->count, hex, path);
}

json_t *cli_records_json(const dipr_records_commitment *c)
{
	char hex[65];
	dipr_hex_encode(c->root, DIPR_HASH_LEN, hex);
	return json_pack("{s:s,s:s,s:I,s:s}", "alg", dipr_hash_name(c->alg), "root", hex, "count",
			 (json_int_t)c->count, "format", c->format);
}

/* ---- dipr sample ---- */

typedef struct {
	/* node ids the proofs need, sorted, and their hashes once seen */
	dipr_node_id *ids;
	uint8_t (*hashes)[DIPR_HASH_LEN];
	bool *have;
	size_t n, cap;
	bool recording;
	/* wanted rows, sorted, and their bytes */
	uint64_t *rows;
	dipr_buf *bytes;
	size_t nrows;
} sample_ctx;

static int id_cmp(const void *a, const void *b)
{
	const dipr_node_id *x = a, *y = b;
	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int capture_read(void *vctx, const dipr_node_id *ids, size_t n, uint8_t (*out)[DIPR_HASH_LEN])
{
	sample_ctx *c = vctx;
	for (size_t i = 0; i < n; i++) {
		if (c->recording) {
			if (c->n == c->cap) {
				size_t cap = c->cap ? 2 * c->cap : 256;
				dipr_node_id *v = realloc(c->ids, cap * sizeof *v);
				if (!v)
					return DIPR_ENOMEM;
				c->ids = v;
				c->cap = cap;
			}
			c->ids[c->n++] = ids[i];
			memset(out[i], 0, DIPR_HASH_LEN);
			continue;
		}
		dipr_node_id *hit = bsearch(&ids[i], c->ids, c->n, sizeof *c->ids, id_cmp);
		if (!hit || !c->have[hit - c->ids])
			return dipr__err(DIPR_EIO, "sample: node %u/%llu was not seen in the file", ids[i].level,
					 (unsigned long long)ids[i].index);
		memcpy(out[i], c->hashes[hit - c->ids], DIPR_HASH_LEN);
	}
	return 0;
}

static void capture_node(void *vctx, dipr_node_id id, const uint8_t h[DIPR_HASH_LEN])
{
	sample_ctx *c = vctx;
	dipr_node_id *hit = bsearch(&id, c->ids, c->n, sizeof *c->ids, id_cmp);
	if (hit) {
		memcpy(c->hashes[hit - c->ids], h, DIPR_HASH_LEN);
		c->have[hit - c->ids] = true;
	}
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* After the prover has been run with c->recording set: sort and dedupe the
 * node ids it asked for, and make room for their hashes. */
static int capture_plan(sample_ctx *c)
{
	c->recording = false;
	qsort(c->ids, c->n, sizeof *c->ids, id_cmp);
	size_t m = 0;
	for (size_t i = 0; i < c->n; i++)
		if (!m || id_cmp(&c->ids[i], &c->ids[m - 1]))
			c->ids[m++] = c->ids[i];
	c->n = m;
	c->hashes = calloc(c->n ? c->n : 1, DIPR_HASH_LEN);
	c->have = calloc(c->n ? c->n : 1, sizeof *c->have);
	return c->hashes && c->have ? 0 : DIPR_ENOMEM;
}

static int capture_record(void *vctx, uint64_t index, const uint8_t *rec, size_t n)
{
	sample_ctx *c = vctx;
	uint64_t *hit = bsearch(&index, c->rows, c->nrows, sizeof *c->rows, u64_cmp);
	return hit ? dipr_buf_add(&c->bytes[hit - c->rows], rec, n) : 0;
}

int cmd_sample(int argc, char **argv)
{
	const char *receipt = NULL, *rows = NULL, *outp = NULL, *secretp = NULL, *pos[1];
	int npos, rc = 0;
	sample_ctx c = {0};
	dipr_sample s = {0};
	dipr_tlog_proof p = {0};
	dipr_records_commitment want, got;
	dipr_buf rb, out;
	uint8_t secret[DIPR_SECRET_LEN];
	char spath[4200];
	bool created;
	cli_opt o[] = {{"--receipt", 1, &receipt}, {"--rows", 1, &rows}, {"-o", 1, &outp}, {"--secret", 1, &secretp}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (npos != 1 || !receipt || !rows || !outp)
		return cli_fail(2, "usage: dipr sample FILE --receipt R --rows 1,5,9 -o OUT.sample.json [--secret S]");
	dipr_buf_init(&rb, DIPR_TLOG_PROOF_MAX);
	dipr_buf_init(&out, DIPR_SAMPLE_MAX);
	if (dipr_read_file(receipt, DIPR_TLOG_PROOF_MAX, &rb) || dipr_tlog_proof_parse(rb.p, rb.n, &p) || !p.has_extra) {
		rc = cli_fail(2, "--receipt %s: not a receipt: %s", receipt, dipr_errdetail());
		goto done;
	}
	if (dipr_records_from_entry(p.extra, p.extra_len, &want)) {
		rc = cli_fail(2, "--receipt %s: %s (attest with --records)", receipt, dipr_errdetail());
		goto done;
	}
	dipr_rec_format fmt;
	if (dipr_rec_format_parse(want.format, strlen(want.format), &fmt)) {
		rc = cli_fail(2, "--receipt %s: unknown record format %s", receipt, want.format);
		goto done;
	}
	/* rows: "1,5,9", each below the record count; sorted, unique */
	for (const char *q = rows; *q;) {
		const char *comma = strchr(q, ',');
		size_t len = comma ? (size_t)(comma - q) : strlen(q);
		uint64_t r;
		if (dipr_parse_u64(q, len, UINT64_MAX, &r) || r >= want.count) {
			rc = cli_fail(2, "--rows \"%.*s\": expected record numbers from 0 to %llu", (int)len, q,
				      (unsigned long long)(want.count ? want.count - 1 : 0));
			goto done;
		}
		if (c.nrows >= DIPR_SAMPLE_MAX_RECORDS) {
			rc = cli_fail(2, "--rows: at most %d records", DIPR_SAMPLE_MAX_RECORDS);
			goto done;
		}
		uint64_t *v = realloc(c.rows, (c.nrows + 1) * sizeof *v);
		if (!v) {
			rc = 2;
			goto done;
		}
		c.rows = v;
		c.rows[c.nrows++] = r;
		q += len + (comma ? 1 : 0);
	}
	if (!c.nrows) {
		rc = cli_fail(2, "--rows: expected at least one record number");
		goto done;
	}
	qsort(c.rows, c.nrows, sizeof *c.rows, u64_cmp);
	size_t u = 1;
	for (size_t i = 1; i < c.nrows; i++)
		if (c.rows[i] != c.rows[u - 1])
			c.rows[u++] = c.rows[i];
	c.nrows = u;
	/* Which tree nodes the proofs need: ask the prover, record the ids. */
	dipr_hash_reader rd = {capture_read, &c};
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen;
	c.recording = true;
	for (size_t i = 0; i < c.nrows; i++)
		if (dipr_merkle_prove_inclusion(want.alg, c.rows[i], want.count, &rd, proof, &plen)) {
			rc = cli_fail(2, "sample: %s", dipr_errdetail());
			goto done;
		}
	c.bytes = calloc(c.nrows, sizeof *c.bytes);
	if (capture_plan(&c) || !c.bytes) {
		rc = cli_fail(2, "sample: out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.nrows; i++)
		dipr_buf_init(&c.bytes[i], DIPR_RECORD_BYTES_MAX);
	if (secretp)
		snprintf(spath, sizeof spath, "%s", secretp);
	else if ((rc = cli_secret_path(receipt, spath, sizeof spath)))
		goto done;
	if ((rc = cli_secret_load(spath, secret, false, &created)))
		goto done;
	/* One pass over the file: the record tree again, keeping the nodes
	 * and records the sample needs (constant memory otherwise). */
	uint8_t dg[2][DIPR_HASH_LEN];
	uint64_t size;
	dipr_hash_alg algs[1] = {want.alg};
	if ((rc = cli_records_scan(pos[0], algs, 1, fmt, secret, dg, &size, &got, capture_node, capture_record, &c)))
		goto done;
	if (got.count != want.count || memcmp(got.root, want.root, DIPR_HASH_LEN) != 0) {
		rc = cli_fail(2, "%s: its record tree (%llu records) differs from the receipt's (%llu records): "
			      "the file changed since it was attested, or the secret %s is not the one used", pos[0],
			      (unsigned long long)got.count, (unsigned long long)want.count, spath);
		goto done;
	}
	dipr_rectree *t = NULL;
	if (dipr_rectree_new(&t, want.alg, secret, DIPR_SECRET_LEN)) {
		rc = 2;
		goto done;
	}
	s.receipt = rb.p;
	s.receipt_len = rb.n;
	s.recs = calloc(c.nrows, sizeof *s.recs);
	s.nrecs = c.nrows;
	for (size_t i = 0; s.recs && i < c.nrows; i++) {
		dipr_sample_record *r = &s.recs[i];
		r->index = c.rows[i];
		r->bytes = c.bytes[i].p ? c.bytes[i].p : (uint8_t *)"";
		r->n = c.bytes[i].n;
		dipr_rectree_salt(t, r->index, r->salt);
		if (dipr_merkle_prove_inclusion(want.alg, r->index, want.count, &rd, r->proof, &r->proof_len)) {
			rc = cli_fail(2, "sample: %s", dipr_errdetail());
			break;
		}
	}
	dipr_rectree_free(t);
	OPENSSL_cleanse(secret, sizeof secret);
	if (!s.recs)
		rc = cli_fail(2, "sample: out of memory");
	if (!rc && (dipr_sample_check_records(&s, &want) || dipr_sample_encode(&s, &out)))
		rc = cli_fail(2, "sample: %s", dipr_errdetail());
	if (!rc && (rc = cli_write_file_atomic(outp, out.p, out.n, 0644)) == 0)
		printf("%s: %zu record(s) of %llu disclosed with proofs, %s\n", pos[0], c.nrows,
		       (unsigned long long)want.count, outp);
	/* the bytes belong to c.bytes, the receipt to rb */
	free(s.recs);
	s.recs = NULL;
	s.receipt = NULL;
done:
	if (c.bytes)
		for (size_t i = 0; i < c.nrows; i++)
			dipr_buf_free(&c.bytes[i]);
	free(c.bytes);
	free(c.ids);
	free(c.hashes);
	free(c.have);
	free(c.rows);
	dipr_tlog_proof_free(&p);
	dipr_buf_free(&rb);
	dipr_buf_free(&out);
	return rc;
}

/* ---- dipr extend: the new version of a dataset only appended records ---- */

int cmd_extend(int argc, char **argv)
{
	const char *oldr = NULL, *newr = NULL, *outp = NULL, *secretp = NULL, *pos[1];
	int npos, rc = 0;
	dipr_buf ob, nb, out;
	dipr_tlog_proof po = {0}, pn = {0};
	dipr_records_commitment ro, rn, got;
	dipr_extension e = {0};
	sample_ctx c = {0};
	uint8_t secret[DIPR_SECRET_LEN];
	char spath[4200];
	bool created;
	cli_opt o[] = {{"--old", 1, &oldr}, {"--new", 1, &newr}, {"-o", 1, &outp}, {"--secret", 1, &secretp}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (npos != 1 || !oldr || !newr || !outp)
		return cli_fail(2, "usage: dipr extend NEW_FILE --old OLD.tlog-proof --new NEW.tlog-proof -o OUT.extension.json [--secret S]");
	dipr_buf_init(&ob, DIPR_TLOG_PROOF_MAX);
	dipr_buf_init(&nb, DIPR_TLOG_PROOF_MAX);
	dipr_buf_init(&out, 4 * DIPR_TLOG_PROOF_MAX);
	if (dipr_read_file(oldr, DIPR_TLOG_PROOF_MAX, &ob) || dipr_tlog_proof_parse(ob.p, ob.n, &po) || !po.has_extra ||
	    dipr_records_from_entry(po.extra, po.extra_len, &ro)) {
		rc = cli_fail(2, "--old %s: expected the receipt of a dataset attested with --records: %s", oldr, dipr_errdetail());
		goto done;
	}
	if (dipr_read_file(newr, DIPR_TLOG_PROOF_MAX, &nb) || dipr_tlog_proof_parse(nb.p, nb.n, &pn) || !pn.has_extra ||
	    dipr_records_from_entry(pn.extra, pn.extra_len, &rn)) {
		rc = cli_fail(2, "--new %s: expected the receipt of a dataset attested with --records: %s", newr, dipr_errdetail());
		goto done;
	}
	dipr_rec_format fmt;
	if (ro.alg != rn.alg || strcmp(ro.format, rn.format) || dipr_rec_format_parse(rn.format, strlen(rn.format), &fmt)) {
		rc = cli_fail(2, "--old, --new: the two record trees use different hashes or formats");
		goto done;
	}
	if (ro.count == 0 || ro.count > rn.count) {
		rc = cli_fail(2, "--old has %llu records, --new %llu: the old must be a non-empty prefix",
			      (unsigned long long)ro.count, (unsigned long long)rn.count);
		goto done;
	}
	dipr_hash_reader rd = {capture_read, &c};
	c.recording = true;
	if (dipr_merkle_prove_consistency(rn.alg, ro.count, rn.count, &rd, e.proof, &e.proof_len)) {
		rc = cli_fail(2, "extend: %s", dipr_errdetail());
		goto done;
	}
	if (capture_plan(&c)) {
		rc = cli_fail(2, "extend: out of memory");
		goto done;
	}
	if (secretp)
		snprintf(spath, sizeof spath, "%s", secretp);
	else if ((rc = cli_secret_path(newr, spath, sizeof spath)))
		goto done;
	if ((rc = cli_secret_load(spath, secret, false, &created)))
		goto done;
	uint8_t dg[1][DIPR_HASH_LEN];
	uint64_t size;
	dipr_hash_alg algs[1] = {rn.alg};
	rc = cli_records_scan(pos[0], algs, 1, fmt, secret, dg, &size, &got, capture_node, NULL, &c);
	OPENSSL_cleanse(secret, sizeof secret);
	if (rc)
		goto done;
	if (got.count != rn.count || memcmp(got.root, rn.root, DIPR_HASH_LEN) != 0) {
		rc = cli_fail(2, "%s: its record tree differs from the --new receipt's (changed file, or not secret %s)", pos[0], spath);
		goto done;
	}
	if (dipr_merkle_prove_consistency(rn.alg, ro.count, rn.count, &rd, e.proof, &e.proof_len)) {
		rc = cli_fail(2, "extend: %s", dipr_errdetail());
		goto done;
	}
	e.old_receipt = ob.p;
	e.old_len = ob.n;
	e.new_receipt = nb.p;
	e.new_len = nb.n;
	if (dipr_extension_check(&e, &ro, &rn)) {
		/* the old records were changed, or salted with another secret */
		rc = cli_fail(2, "%s: %s (was the new version attested with the old version's --secret?)", pos[0], dipr_errdetail());
	} else if (dipr_extension_encode(&e, &out)) {
		rc = cli_fail(2, "extend: %s", dipr_errdetail());
	} else if ((rc = cli_write_file_atomic(outp, out.p, out.n, 0644)) == 0) {
		printf("%s: its first %llu records are the attested old version's; proof in %s\n", pos[0],
		       (unsigned long long)ro.count, outp);
	}
	e.old_receipt = e.new_receipt = NULL;
done:
	free(c.ids);
	free(c.hashes);
	free(c.have);
	dipr_tlog_proof_free(&po);
	dipr_tlog_proof_free(&pn);
	dipr_buf_free(&ob);
	dipr_buf_free(&nb);
	dipr_buf_free(&out);
	return rc;
}
