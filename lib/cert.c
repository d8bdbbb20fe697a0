/* cert.c — the registration certificate file (include/dipr/cert.h):
 * body rules, canonical encoding, signature lines, the certificate log
 * entry, strict parse and offline verification.  No I/O. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "jcs.h"
#include "dipr/cert.h"
#include "dipr/merkle.h"

/* U+2014 EM DASH and a space start a signature line (C2SP signed-note). */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4
/* A key ID and the longest raw signature dipr makes or accepts (note.c's
 * SIG_MAX); a longer line of an unknown key is still syntax-checked. */
#define SIG_RAW_MAX (4 + 80)
/* Base64 of the longest signature part a line of DIPR_CERT_SIGLINE_MAX
 * bytes can hold. */
#define SIG_B64_MAX_BYTES (DIPR_CERT_SIGLINE_MAX / 4 * 3)

#define HEX_LEN (2 * DIPR_HASH_LEN)

void dipr_cert_free(dipr_cert *c)
{
	if (!c)
		return;
	free(c->tlog_proof);
	memset(c, 0, sizeof *c);
}

/* ---- member rules ------------------------------------------------------ */

/* The kinds of string member, each with one rule and one message, shared
 * by the parser (JSON in) and dipr_cert_body_check (struct in) so that
 * both refuse the same things with the same words. */
enum kind { K_CERTNO, K_REGNO, K_TEXT, K_DATA_NAME, K_ID, K_DATE, K_URL };

typedef struct {
	const char *path; /* below "certificate." */
	const char *key;  /* JSON member name in its object */
	bool in_holder;   /* a member of "holder" */
	size_t off, cap;  /* where the NUL-terminated value lives in the body */
	enum kind kind;
} sfield;

#define SF(path, key, holder, member, kind) \
	{path, key, holder, offsetof(dipr_cert_body, member), sizeof(((dipr_cert_body *)0)->member), kind}

static const sfield sfields[] = {
	SF("certno", "certno", false, certno, K_CERTNO),
	SF("regno", "regno", false, regno, K_REGNO),
	SF("data_name", "data_name", false, data_name, K_DATA_NAME),
	SF("holder.name", "name", true, holder_name, K_TEXT),
	SF("holder.id", "id", true, holder_id, K_ID),
	SF("industry", "industry", false, industry, K_TEXT),
	SF("source_type", "source_type", false, source_type, K_TEXT),
	SF("scenario", "scenario", false, scenario, K_TEXT),
	SF("registered", "registered", false, registered, K_DATE),
	SF("valid_until", "valid_until", false, valid_until, K_DATE),
	SF("issuer", "issuer", false, issuer, K_TEXT),
	SF("record_url", "record_url", false, record_url, K_URL),
};
#define NSFIELDS (sizeof sfields / sizeof sfields[0])

static const char *expect(enum kind k)
{
	switch (k) {
	case K_CERTNO: return "a string of 17 digits";
	case K_REGNO: return "a string of 15 digits and a check character (0-9 or X)";
	case K_TEXT: return "non-empty UTF-8 text of at most 512 bytes without control characters";
	case K_DATA_NAME: return "non-empty UTF-8 text of at most 200 characters without control characters";
	case K_ID: return "1 to 64 printable ASCII characters without spaces";
	case K_DATE: return "a real date written YYYY-MM-DD";
	case K_URL: return "an http:// or https:// URL of at most 512 printable ASCII characters";
	}
	return "a string";
}

static int field_err(const sfield *f)
{
	return dipr__err(DIPR_EINVAL, "certificate: certificate.%s: expected %s", f->path, expect(f->kind));
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Text printed on the certificate: valid UTF-8 without C0, DEL or C1
 * controls (a newline or an escape sequence in a data name would change
 * what the PDF and HTML renderings show); *chars counts code points. */
static bool text_ok(const char *s, size_t n, size_t *chars)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t c = 0;
	if (n == 0 || !dipr__utf8_valid(p, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		/* C1 controls U+0080..U+009F are 0xc2 0x80..0x9f in UTF-8. */
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f)
			return false;
		if ((p[i] & 0xc0) != 0x80)
			c++;
	}
	*chars = c;
	return true;
}

/* "YYYY-MM-DD", a proleptic Gregorian date of years 0001..9999 (ISO 8601
 * calendar date, extended format).  Kept local on purpose: the working-day
 * calendar lives in registry/, and a certificate must parse without it. */
static bool date_ok(const char *s, size_t n)
{
	static const uint8_t mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != DIPR_CERT_DATE_LEN || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) ||
	    !all_digits(s + 5, 2) || !all_digits(s + 8, 2))
		return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static bool field_ok(enum kind k, const char *s, size_t n)
{
	size_t chars;
	switch (k) {
	case K_CERTNO:
		return n == DIPR_CERT_CERTNO_LEN && all_digits(s, n);
	case K_REGNO:
		/* year, source code, applicant type, sequence: digits; then
		 * the ISO 7064 MOD 11-2 check character (DOMAIN.md "Numbers"). */
		return n == DIPR_CERT_REGNO_LEN && all_digits(s, n - 1) &&
		       ((s[n - 1] >= '0' && s[n - 1] <= '9') || s[n - 1] == 'X');
	case K_TEXT:
		return n <= DIPR_CERT_TEXT_MAX && text_ok(s, n, &chars);
	case K_DATA_NAME:
		return n <= 4 * DIPR_CERT_DATA_NAME_MAX && text_ok(s, n, &chars) &&
		       chars <= DIPR_CERT_DATA_NAME_MAX;
	case K_ID:
		return n >= 1 && n <= DIPR_CERT_ID_MAX && printable_ascii(s, n);
	case K_DATE:
		return date_ok(s, n);
	case K_URL:
		if (n > DIPR_CERT_TEXT_MAX || !printable_ascii(s, n))
			return false;
		if (n > 8 && memcmp(s, "https://", 8) == 0)
			return true;
		return n > 7 && memcmp(s, "http://", 7) == 0;
	}
	return false;
}

static bool hexlower(const char *v, size_t n)
{
	if (n != HEX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
			return false;
	return true;
}

/* The rules that involve more than one member or are not strings. */
static int body_check_rest(const dipr_cert_body *b)
{
	if (b->scale_records > (uint64_t)DIPR_JSON_MAX_INT)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.scale.records: expected an integer "
				 "from 0 to 2^53-1");
	if (b->scale_bytes > (uint64_t)DIPR_JSON_MAX_INT)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.scale.bytes: expected an integer "
				 "from 0 to 2^53-1");
	/* ISO dates of equal length compare as strings. */
	if (strcmp(b->valid_until, b->registered) < 0)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.valid_until: expected a date not "
				 "before registered (%s)", b->registered);
	if (b->nevidence < 1 || b->nevidence > DIPR_CERT_MAX_EVIDENCE)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence: expected 1 to %d items",
				 DIPR_CERT_MAX_EVIDENCE);
	for (size_t i = 0; i < b->nevidence; i++) {
		const dipr_cert_evidence *e = &b->evidence[i];
		if (e->index > (uint64_t)DIPR_JSON_MAX_INT)
			return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].index: expected "
					 "an integer from 0 to 2^53-1", i);
		if (!e->has_sha256 && !e->has_sm3)
			return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].digests: "
					 "expected sm3 and/or sha256", i);
		/* O(n^2) over at most 64 items. */
		for (size_t j = 0; j < i; j++)
			if (b->evidence[j].index == e->index)
				return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].index: "
						 "log index %llu is listed twice", i,
						 (unsigned long long)e->index);
	}
	return 0;
}

int dipr_cert_body_check(const dipr_cert_body *b)
{
	for (size_t i = 0; i < NSFIELDS; i++) {
		const sfield *f = &sfields[i];
		const char *s = (const char *)b + f->off;
		/* The struct may come from anywhere: find the NUL first. */
		const char *end = memchr(s, 0, f->cap);
		if (!end || !field_ok(f->kind, s, (size_t)(end - s)))
			return field_err(f);
	}
	return body_check_rest(b);
}

/* ---- body <-> JSON ------------------------------------------------------ */

/* Exactly the members names[0..n): none missing, none other. */
static int members_exact(json_t *o, const char *path, const char *const *names, size_t n)
{
	const char *k;
	json_t *x;
	if (!json_is_object(o))
		return dipr__err(DIPR_EINVAL, "certificate: %s: expected a JSON object", path);
	json_object_foreach(o, k, x) {
		size_t i = 0;
		while (i < n && strcmp(k, names[i]) != 0)
			i++;
		if (i == n)
			return dipr__err(DIPR_EINVAL, "certificate: %s: unknown member \"%.40s\"", path, k);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(o, names[i]))
			return dipr__err(DIPR_EINVAL, "certificate: %s.%s: missing", path, names[i]);
	return 0;
}

/* A JSON integer in [0, 2^53-1] (the parser already bounds magnitudes). */
static int get_uint(json_t *o, const char *path, const char *key, uint64_t *out)
{
	json_t *x = json_object_get(o, key);
	if (!json_is_integer(x) || json_integer_value(x) < 0)
		return dipr__err(DIPR_EINVAL, "certificate: %s.%s: expected an integer from 0 to 2^53-1",
				 path, key);
	*out = (uint64_t)json_integer_value(x);
	return 0;
}

static int digests_from_json(json_t *d, size_t i, dipr_cert_evidence *e)
{
	const char *k;
	json_t *x;
	if (!json_is_object(d) || json_object_size(d) == 0)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].digests: expected "
				 "an object of sm3 and/or sha256", i);
	json_object_foreach(d, k, x) {
		bool sm3 = strcmp(k, "sm3") == 0;
		if (!sm3 && strcmp(k, "sha256") != 0)
			return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].digests: "
					 "unknown member \"%.40s\" (expected sm3 or sha256)", i, k);
		const char *h = json_string_value(x);
		if (!h || !hexlower(h, json_string_length(x)))
			return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence[%zu].digests.%s: "
					 "expected %d lowercase hex digits", i, k, HEX_LEN);
		dipr_hex_decode(h, HEX_LEN, sm3 ? e->sm3 : e->sha256, DIPR_HASH_LEN);
		if (sm3)
			e->has_sm3 = true;
		else
			e->has_sha256 = true;
	}
	return 0;
}

static int body_from_json(json_t *v, dipr_cert_body *b)
{
	static const char *const top[] = {"v", "certno", "regno", "data_name", "holder", "industry",
					  "source_type", "scenario", "scale", "registered",
					  "valid_until", "evidence", "issuer", "record_url"};
	static const char *const holder[] = {"name", "id"};
	static const char *const scale[] = {"records", "bytes"};
	static const char *const item[] = {"index", "digests"};
	json_t *x, *h, *ev;
	int rc;

	memset(b, 0, sizeof *b);
	if ((rc = members_exact(v, "certificate", top, sizeof top / sizeof top[0])))
		return rc;
	x = json_object_get(v, "v");
	if (!json_is_integer(x) || json_integer_value(x) != 1)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.v: expected 1");
	h = json_object_get(v, "holder");
	if ((rc = members_exact(h, "certificate.holder", holder, 2)))
		return rc;
	for (size_t i = 0; i < NSFIELDS; i++) {
		const sfield *f = &sfields[i];
		x = json_object_get(f->in_holder ? h : v, f->key);
		const char *s = json_string_value(x);
		size_t n = json_string_length(x);
		/* dipr__json_parse refused U+0000, so n is also strlen(s). */
		if (!s || n >= f->cap || !field_ok(f->kind, s, n))
			return field_err(f);
		memcpy((char *)b + f->off, s, n + 1);
	}
	x = json_object_get(v, "scale");
	if ((rc = members_exact(x, "certificate.scale", scale, 2)) ||
	    (rc = get_uint(x, "certificate.scale", "records", &b->scale_records)) ||
	    (rc = get_uint(x, "certificate.scale", "bytes", &b->scale_bytes)))
		return rc;
	ev = json_object_get(v, "evidence");
	if (!json_is_array(ev) || json_array_size(ev) < 1 || json_array_size(ev) > DIPR_CERT_MAX_EVIDENCE)
		return dipr__err(DIPR_EINVAL, "certificate: certificate.evidence: expected an array of 1 "
				 "to %d items", DIPR_CERT_MAX_EVIDENCE);
	for (size_t i = 0; i < json_array_size(ev); i++) {
		char path[48];
		x = json_array_get(ev, i);
		snprintf(path, sizeof path, "certificate.evidence[%zu]", i);
		if ((rc = members_exact(x, path, item, 2)) ||
		    (rc = get_uint(x, path, "index", &b->evidence[i].index)) ||
		    (rc = digests_from_json(json_object_get(x, "digests"), i, &b->evidence[i])))
			return rc;
		b->nevidence = i + 1;
	}
	return body_check_rest(b);
}

int dipr_cert_body_parse(const uint8_t *in, size_t n, dipr_cert_body *out)
{
	json_t *v = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if (n > DIPR_CERT_MAX)
		return dipr__err(DIPR_ERANGE, "certificate: body larger than %u bytes", DIPR_CERT_MAX);
	/* body 0, evidence 1, item 2, digests 3, hex 4 */
	if ((rc = dipr__json_parse(in, n, 4, "certificate body", &v)))
		return rc;
	rc = body_from_json(v, out);
	json_decref(v);
	return rc;
}

static json_t *body_json(const dipr_cert_body *b)
{
	json_t *ev = json_array();
	char hex[HEX_LEN + 1];
	if (!ev)
		return NULL;
	for (size_t i = 0; i < b->nevidence; i++) {
		const dipr_cert_evidence *e = &b->evidence[i];
		json_t *d = json_object();
		int bad = !d;
		if (!bad && e->has_sha256) {
			dipr_hex_encode(e->sha256, DIPR_HASH_LEN, hex);
			bad = json_object_set_new(d, "sha256", json_string(hex));
		}
		if (!bad && e->has_sm3) {
			dipr_hex_encode(e->sm3, DIPR_HASH_LEN, hex);
			bad = json_object_set_new(d, "sm3", json_string(hex));
		}
		/* "o" steals d, also when json_pack fails. */
		if (bad || json_array_append_new(ev, json_pack("{s:I,s:o}", "index", (json_int_t)e->index,
								"digests", d))) {
			if (bad)
				json_decref(d);
			json_decref(ev);
			return NULL;
		}
	}
	return json_pack("{s:i,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s,s:{s:I,s:I},s:s,s:s,s:o,s:s,s:s}",
			 "v", 1, "certno", b->certno, "regno", b->regno, "data_name", b->data_name,
			 "holder", "name", b->holder_name, "id", b->holder_id, "industry", b->industry,
			 "source_type", b->source_type, "scenario", b->scenario, "scale", "records",
			 (json_int_t)b->scale_records, "bytes", (json_int_t)b->scale_bytes, "registered",
			 b->registered, "valid_until", b->valid_until, "evidence", ev, "issuer", b->issuer,
			 "record_url", b->record_url);
}

/* Appends JCS(v), restoring out on failure; v is consumed. */
static int jcs_take(json_t *v, dipr_buf *out)
{
	size_t start = out->n;
	int rc = v ? dipr__jcs_encode(v, out) : DIPR_ENOMEM;
	json_decref(v);
	if (rc) {
		out->n = start;
		if (out->p)
			out->p[start] = 0;
	}
	return rc;
}

int dipr_cert_body_encode(const dipr_cert_body *b, dipr_buf *out)
{
	int rc = dipr_cert_body_check(b);
	return rc ? rc : jcs_take(body_json(b), out);
}

/* The body's canonical bytes in a fresh buffer. */
static int body_canon(const dipr_cert_body *b, dipr_buf *out)
{
	dipr_buf_init(out, DIPR_CERT_MAX);
	return dipr_cert_body_encode(b, out);
}

int dipr_cert_body_hashes(const dipr_cert_body *b, uint8_t sha256[DIPR_HASH_LEN],
			  uint8_t sm3[DIPR_HASH_LEN])
{
	dipr_buf c;
	int rc = body_canon(b, &c);
	if (!rc)
		rc = dipr_hash(DIPR_HASH_SHA256, c.p, c.n, sha256);
	if (!rc)
		rc = dipr_hash(DIPR_HASH_SM3, c.p, c.n, sm3);
	dipr_buf_free(&c);
	return rc;
}

/* ---- the log entry ------------------------------------------------------ */

static json_t *entry_json(const dipr_cert_body *b, const uint8_t *canon, size_t n, int *rc)
{
	uint8_t h1[DIPR_HASH_LEN], h2[DIPR_HASH_LEN];
	char x1[HEX_LEN + 1], x2[HEX_LEN + 1];
	if ((*rc = dipr_hash(DIPR_HASH_SHA256, canon, n, h1)) || (*rc = dipr_hash(DIPR_HASH_SM3, canon, n, h2)))
		return NULL;
	dipr_hex_encode(h1, DIPR_HASH_LEN, x1);
	dipr_hex_encode(h2, DIPR_HASH_LEN, x2);
	json_t *v = json_pack("{s:{s:s,s:s},s:s,s:s,s:s,s:i}", "cert_hash", "sha256", x1, "sm3", x2,
			      "certno", b->certno, "regno", b->regno, "type", "certificate", "v", 1);
	*rc = v ? 0 : DIPR_ENOMEM;
	return v;
}

int dipr_cert_entry(const dipr_cert_body *b, dipr_buf *out)
{
	dipr_buf c;
	int rc = body_canon(b, &c);
	json_t *v = rc ? NULL : entry_json(b, c.p, c.n, &rc);
	if (!rc)
		rc = jcs_take(v, out);
	dipr_buf_free(&c);
	return rc;
}

/* Strict check of a logged entry against the body's canonical bytes.
 * Everything is compared in full: a certificate entry names exactly one
 * body, and the log only ever writes canonical JSON, so an entry in any
 * other form was not written by a dipr log. */
static int entry_match(const dipr_cert_body *b, const uint8_t *canon, size_t cn, const uint8_t *entry,
		       size_t n, int64_t *time_ms)
{
	static const char *const names[] = {"cert_hash", "certno", "regno", "time", "type", "v"};
	json_t *v = NULL, *want = NULL, *x;
	dipr_buf re;
	const char *k;
	int rc;

	dipr_buf_init(&re, DIPR_CERT_MAX);
	if (dipr__json_parse(entry, n, 2, "log entry", &v) || !json_is_object(v)) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: expected a JSON object");
		goto fail;
	}
	const char *type = json_string_value(json_object_get(v, "type"));
	if (!type || strcmp(type, "certificate") != 0) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: type is \"%.32s\", not \"certificate\"",
			       type ? type : "");
		goto fail;
	}
	json_object_foreach(v, k, x) {
		size_t i = 0;
		while (i < sizeof names / sizeof names[0] && strcmp(k, names[i]) != 0)
			i++;
		if (i == sizeof names / sizeof names[0]) {
			rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: unknown member \"%.40s\"", k);
			goto fail;
		}
	}
	x = json_object_get(v, "time");
	if (!json_is_integer(x) || json_integer_value(x) < 0) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: time: expected an integer >= 0");
		goto fail;
	}
	if ((rc = dipr__jcs_encode(v, &re)))
		goto fail;
	if (re.n != n || memcmp(re.p, entry, n) != 0) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: not canonical JSON (RFC 8785)");
		goto fail;
	}
	/* Compare member by member against the entry the body calls for, so
	 * the detail says which one differs. */
	if (!(want = entry_json(b, canon, cn, &rc)))
		goto fail;
	if (!json_equal(json_object_get(v, "v"), json_object_get(want, "v"))) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: v: expected 1");
		goto fail;
	}
	static const char *const ids[] = {"certno", "regno"};
	for (size_t i = 0; i < 2; i++)
		if (!json_equal(json_object_get(v, ids[i]), json_object_get(want, ids[i]))) {
			const char *got = json_string_value(json_object_get(v, ids[i]));
			rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: %s \"%.32s\" is not the "
				       "certificate's %s", ids[i], got ? got : "", i == 0 ? b->certno : b->regno);
			goto fail;
		}
	json_t *ch = json_object_get(v, "cert_hash"), *wh = json_object_get(want, "cert_hash");
	if (!json_is_object(ch) || json_object_size(ch) != 2) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: cert_hash: expected {sha256, sm3}");
		goto fail;
	}
	static const char *const algs[] = {"sha256", "sm3"};
	for (size_t i = 0; i < 2; i++)
		if (!json_equal(json_object_get(ch, algs[i]), json_object_get(wh, algs[i]))) {
			rc = dipr__err(DIPR_EVERIFY, "certificate: log entry: cert_hash.%s is not the %s of "
				       "the certificate body", algs[i], i ? "SM3" : "SHA-256");
			goto fail;
		}
	if (time_ms)
		*time_ms = (int64_t)json_integer_value(json_object_get(v, "time"));
	rc = 0;
fail:
	json_decref(v);
	json_decref(want);
	dipr_buf_free(&re);
	return rc;
}

int dipr_cert_entry_match(const dipr_cert_body *b, const uint8_t *entry, size_t n, int64_t *time_ms)
{
	dipr_buf c;
	int rc = body_canon(b, &c);
	if (!rc)
		rc = entry_match(b, c.p, c.n, entry, n, time_ms);
	dipr_buf_free(&c);
	return rc;
}

/* ---- signature lines ---------------------------------------------------- */

typedef struct {
	const char *name;
	size_t name_len;
	uint32_t keyid;
	uint8_t sig[SIG_B64_MAX_BYTES]; /* key ID || signature */
	size_t siglen;
} sigline;

/* "— <name> <base64(keyid || sig)>" with no newline. */
static int parse_sigline(const char *s, size_t n, size_t i, sigline *out)
{
	if (n > DIPR_CERT_SIGLINE_MAX)
		return dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: longer than %d bytes", i,
				 DIPR_CERT_SIGLINE_MAX);
	if (n < SIG_PREFIX_LEN || memcmp(s, sig_prefix, SIG_PREFIX_LEN) != 0)
		return dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: expected an em dash (U+2014) "
				 "and a space first", i);
	const char *name = s + SIG_PREFIX_LEN;
	const char *sp = memchr(name, ' ', n - SIG_PREFIX_LEN);
	if (!sp || !dipr__key_name_valid((const uint8_t *)name, (size_t)(sp - name)))
		return dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: expected a key name and a "
				 "space after the em dash", i);
	const char *b64 = sp + 1;
	size_t b64_len = n - (size_t)(b64 - s);
	if (dipr_b64_decode(b64, b64_len, out->sig, sizeof out->sig, &out->siglen) || out->siglen < 5)
		return dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: expected canonical base64 of "
				 "a key ID and a signature", i);
	out->name = name;
	out->name_len = (size_t)(sp - name);
	out->keyid = dipr__get_u32be(out->sig);
	return 0;
}

/* The line i of c (a NUL-terminated array slot). */
static int cert_sigline(const dipr_cert *c, size_t i, sigline *out)
{
	const char *s = c->sigs[i];
	const char *end = memchr(s, 0, sizeof c->sigs[i]);
	if (!end)
		return dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: longer than %d bytes", i,
				 DIPR_CERT_SIGLINE_MAX);
	return parse_sigline(s, (size_t)(end - s), i, out);
}

int dipr_cert_sign(dipr_cert *c, dipr_signer *const *signers, size_t n)
{
	char lines[DIPR_CERT_MAX_SIGS][DIPR_CERT_SIGLINE_MAX + 1];
	dipr_buf body, line;
	int rc;

	if (n == 0 || !signers)
		return dipr__err(DIPR_EINVAL, "certificate: no signers");
	if (c->nsigs > DIPR_CERT_MAX_SIGS || n > DIPR_CERT_MAX_SIGS - c->nsigs)
		return dipr__err(DIPR_ERANGE, "certificate: more than %d signature lines", DIPR_CERT_MAX_SIGS);
	dipr_buf_init(&line, DIPR_CERT_SIGLINE_MAX);
	if ((rc = body_canon(&c->body, &body)))
		goto fail;
	/* Sign into a scratch array first so that c is unchanged on failure. */
	for (size_t i = 0; i < n; i++) {
		const dipr_signer *s = signers[i];
		uint8_t sig[SIG_RAW_MAX];
		size_t siglen;
		uint32_t id;
		if (!s) {
			rc = dipr__err(DIPR_EINVAL, "certificate: signer %zu is NULL", i);
			goto fail;
		}
		id = dipr_signer_keyid(s);
		sig[0] = (uint8_t)(id >> 24);
		sig[1] = (uint8_t)(id >> 16);
		sig[2] = (uint8_t)(id >> 8);
		sig[3] = (uint8_t)id;
		dipr_buf_reset(&line);
		if ((rc = dipr_signer_sign_raw(s, body.p, body.n, sig + 4, &siglen)) ||
		    (rc = dipr_buf_add(&line, sig_prefix, SIG_PREFIX_LEN)) ||
		    (rc = dipr_buf_adds(&line, dipr_signer_name(s))) || (rc = dipr_buf_add(&line, " ", 1)) ||
		    (rc = dipr_b64_encode(sig, 4 + siglen, &line)))
			goto fail;
		memcpy(lines[i], line.p, line.n + 1);
	}
	for (size_t i = 0; i < n; i++)
		memcpy(c->sigs[c->nsigs + i], lines[i], sizeof lines[i]);
	c->nsigs += n;
fail:
	dipr_buf_free(&body);
	dipr_buf_free(&line);
	return rc;
}

/* ---- the file ----------------------------------------------------------- */

/* Prefixes the detail of the failure just recorded (it would otherwise be
 * overwritten) and returns code. */
static int wrap_err(int code, const char *prefix)
{
	char d[400];
	snprintf(d, sizeof d, "%s", dipr_errdetail());
	return dipr__err(code, "%s%s", prefix, d);
}

/* The tlog_proof rule of the file: a well-formed tlog-proof that carries
 * the entry.  Signatures and inclusion are dipr_cert_verify's job. */
static int proof_ok(const uint8_t *proof, size_t n)
{
	dipr_tlog_proof p;
	int rc;
	if (n > DIPR_TLOG_PROOF_MAX)
		return dipr__err(DIPR_ERANGE, "certificate: tlog_proof: longer than %zu bytes",
				 (size_t)DIPR_TLOG_PROOF_MAX);
	if ((rc = dipr_tlog_proof_parse(proof, n, &p)))
		return rc == DIPR_ENOMEM ? rc : wrap_err(DIPR_EINVAL, "certificate: tlog_proof: ");
	bool extra = p.has_extra;
	dipr_tlog_proof_free(&p);
	if (!extra)
		return dipr__err(DIPR_EINVAL, "certificate: tlog_proof: no extra line (the certificate entry)");
	return 0;
}

int dipr_cert_set_tlog_proof(dipr_cert *c, const uint8_t *proof, size_t n)
{
	int rc = proof_ok(proof, n);
	if (rc)
		return rc;
	char *copy = malloc(n + 1);
	if (!copy)
		return DIPR_ENOMEM;
	memcpy(copy, proof, n);
	copy[n] = 0;
	free(c->tlog_proof);
	c->tlog_proof = copy;
	c->tlog_proof_len = n;
	return 0;
}

int dipr_cert_encode(const dipr_cert *c, dipr_buf *out)
{
	json_t *sigs = NULL;
	size_t start = out->n;
	int rc;

	if (c->nsigs < 1 || c->nsigs > DIPR_CERT_MAX_SIGS)
		return dipr__err(DIPR_EINVAL, "certificate: signatures: expected 1 to %d lines",
				 DIPR_CERT_MAX_SIGS);
	if (!c->tlog_proof)
		return dipr__err(DIPR_EINVAL, "certificate: tlog_proof: missing");
	/* The same checks as the parser, so that what is written reads back. */
	if ((rc = dipr_cert_body_check(&c->body)) ||
	    (rc = proof_ok((const uint8_t *)c->tlog_proof, c->tlog_proof_len)))
		goto fail;
	if (!(sigs = json_array())) {
		rc = DIPR_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < c->nsigs; i++) {
		sigline l;
		if ((rc = cert_sigline(c, i, &l)))
			goto fail;
		if (json_array_append_new(sigs, json_string(c->sigs[i]))) {
			rc = DIPR_ENOMEM;
			goto fail;
		}
	}
	json_t *v = json_pack("{s:o,s:o,s:s%}", "certificate", body_json(&c->body), "signatures", sigs,
			      "tlog_proof", c->tlog_proof, c->tlog_proof_len);
	sigs = NULL; /* stolen by json_pack, also on failure */
	if ((rc = jcs_take(v, out)) || (rc = dipr_buf_add(out, "\n", 1)))
		goto fail;
	if (out->n - start > DIPR_CERT_MAX) {
		rc = dipr__err(DIPR_ERANGE, "certificate: file longer than %u bytes", DIPR_CERT_MAX);
		goto fail;
	}
	return 0;
fail:
	json_decref(sigs);
	out->n = start;
	if (out->p)
		out->p[start] = 0;
	return rc;
}

int dipr_cert_parse(const uint8_t *in, size_t n, dipr_cert *out)
{
	static const char *const top[] = {"certificate", "signatures", "tlog_proof"};
	json_t *v = NULL, *sigs, *tp;
	int rc;

	memset(out, 0, sizeof *out);
	if (n > DIPR_CERT_MAX)
		return dipr__err(DIPR_ERANGE, "certificate: file larger than %u bytes", DIPR_CERT_MAX);
	/* file 0, body 1, evidence 2, item 3, digests 4, hex 5 */
	if ((rc = dipr__json_parse(in, n, 5, "certificate", &v)))
		return rc;
	if (!json_is_object(v)) {
		rc = dipr__err(DIPR_EINVAL, "certificate: expected a JSON object");
		goto fail;
	}
	if ((rc = members_exact(v, "file", top, 3)) || (rc = body_from_json(json_object_get(v, "certificate"), &out->body)))
		goto fail;
	sigs = json_object_get(v, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) < 1 || json_array_size(sigs) > DIPR_CERT_MAX_SIGS) {
		rc = dipr__err(DIPR_EINVAL, "certificate: signatures: expected an array of 1 to %d "
			       "signature lines", DIPR_CERT_MAX_SIGS);
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(sigs); i++) {
		json_t *x = json_array_get(sigs, i);
		const char *s = json_string_value(x);
		sigline l;
		if (!s) {
			rc = dipr__err(DIPR_EINVAL, "certificate: signatures[%zu]: expected a string", i);
			goto fail;
		}
		if ((rc = parse_sigline(s, json_string_length(x), i, &l)))
			goto fail;
		memcpy(out->sigs[i], s, json_string_length(x) + 1);
		out->nsigs = i + 1;
	}
	tp = json_object_get(v, "tlog_proof");
	if (!json_is_string(tp)) {
		rc = dipr__err(DIPR_EINVAL, "certificate: tlog_proof: expected the tlog-proof text");
		goto fail;
	}
	if ((rc = dipr_cert_set_tlog_proof(out, (const uint8_t *)json_string_value(tp), json_string_length(tp))))
		goto fail;
	json_decref(v);
	return 0;
fail:
	json_decref(v);
	dipr_cert_free(out);
	return rc;
}

/* ---- verification ------------------------------------------------------- */

/* Anything but "out of memory" or "the crypto library broke" is a failed
 * check: the caller learns valid or not, nothing in between. */
static int as_verify(int rc)
{
	return rc == DIPR_ENOMEM || rc == DIPR_ECRYPTO ? rc : DIPR_EVERIFY;
}

/* Check 1, with dipr_note_verify's strict rule. */
static int verify_sigs(const dipr_cert *c, const dipr_buf *body, dipr_verifier *const *vs, size_t nv)
{
	int rc;
	if (c->nsigs > DIPR_CERT_MAX_SIGS)
		return dipr__err(DIPR_EVERIFY, "certificate: signatures: more than %d lines", DIPR_CERT_MAX_SIGS);
	for (size_t i = 0; i < nv; i++) {
		const char *name = dipr_verifier_name(vs[i]);
		size_t name_len = strlen(name);
		uint32_t id = dipr_verifier_keyid(vs[i]);
		bool seen = false;
		for (size_t j = 0; j < c->nsigs; j++) {
			sigline l;
			if (cert_sigline(c, j, &l))
				return wrap_err(DIPR_EVERIFY, "");
			if (l.keyid != id || l.name_len != name_len || memcmp(l.name, name, name_len) != 0)
				continue;
			/* A trusted key's line that does not verify is tampering,
			 * even if another line of the same key is good. */
			if ((rc = dipr_verifier_verify_raw(vs[i], body->p, body->n, l.sig + 4, l.siglen - 4)))
				return rc == DIPR_EVERIFY ?
					dipr__err(DIPR_EVERIFY, "certificate: signatures[%zu] (key %.64s+%08x) does "
						  "not verify over the certificate body", j, name, (unsigned)id) : rc;
			seen = true;
		}
		if (!seen)
			return dipr__err(DIPR_EVERIFY, "certificate: signatures: no signature from key %.64s+%08x",
					 name, (unsigned)id);
	}
	return 0;
}

int dipr_cert_verify(const dipr_cert *c, dipr_verifier *const *vs, size_t nv, const char *origin,
		     int tree_alg, dipr_cert_verified *out)
{
	dipr_tlog_proof p = {0};
	dipr_checkpoint cp;
	dipr_hash_alg algs[2] = {DIPR_HASH_SHA256, DIPR_HASH_SM3}, used = DIPR_HASH_SHA256;
	size_t nalgs = 2;
	dipr_buf body;
	int64_t t = 0;
	int rc;

	dipr_buf_init(&body, DIPR_CERT_MAX);
	if (nv == 0 || !vs) {
		rc = dipr__err(DIPR_EINVAL, "certificate: no trusted keys to verify against");
		goto fail;
	}
	for (size_t i = 0; i < nv; i++)
		if (!vs[i]) {
			rc = dipr__err(DIPR_EINVAL, "certificate: trusted key %zu is NULL", i);
			goto fail;
		}
	if (tree_alg) {
		if (!dipr_hash_name((dipr_hash_alg)tree_alg)) {
			rc = dipr__err(DIPR_EINVAL, "certificate: unknown tree hash %d", tree_alg);
			goto fail;
		}
		algs[0] = (dipr_hash_alg)tree_alg;
		nalgs = 1;
	}
	if (!origin)
		origin = dipr_verifier_name(vs[0]); /* a log's key name is its origin */

	if ((rc = dipr_cert_body_encode(&c->body, &body))) {
		rc = rc == DIPR_ENOMEM ? rc : wrap_err(DIPR_EVERIFY, "certificate: invalid body: ");
		goto fail;
	}
	/* 1. signatures over the canonical body */
	if ((rc = verify_sigs(c, &body, vs, nv)))
		goto fail;
	/* 2. the tlog-proof: checkpoint signatures, origin, inclusion.  The
	 * proof does not name the tree hash, so unless told both are tried
	 * (an inclusion proof cannot verify under both). */
	if (!c->tlog_proof) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: tlog_proof: missing");
		goto fail;
	}
	if ((rc = dipr_tlog_proof_parse((const uint8_t *)c->tlog_proof, c->tlog_proof_len, &p))) {
		rc = rc == DIPR_ENOMEM ? rc : wrap_err(DIPR_EVERIFY, "certificate: tlog_proof: ");
		goto fail;
	}
	char first[400] = "";
	rc = DIPR_EVERIFY;
	for (size_t i = 0; i < nalgs && rc; i++) {
		used = algs[i];
		rc = dipr_tlog_proof_verify(&p, used, vs, nv, origin, &cp);
		if (rc == DIPR_ENOMEM || rc == DIPR_ECRYPTO)
			goto fail;
		if (rc && i == 0)
			snprintf(first, sizeof first, "%s", dipr_errdetail());
	}
	if (rc) {
		rc = dipr__err(DIPR_EVERIFY, "certificate: %s%s", first,
			       nalgs == 2 ? " (SHA-256 and SM3 tree hashes tried)" : "");
		goto fail;
	}
	/* 3. the logged entry is this body's certificate entry */
	if ((rc = entry_match(&c->body, body.p, body.n, p.extra, p.extra_len, &t))) {
		rc = as_verify(rc);
		goto fail;
	}
	if (out) {
		out->index = p.index;
		out->time = t;
		out->tree_alg = used;
		out->cp = cp;
	}
fail:
	dipr_tlog_proof_free(&p);
	dipr_buf_free(&body);
	return rc;
}
