/* jcs.c — RFC 8785 JSON Canonicalization Scheme, restricted to the JSON
 * dipr writes into its log: objects, arrays, strings, integers, true,
 * false, null.  Integers are printed in plain decimal, which is what
 * RFC 8785 §3.2.2.3 (ECMAScript Number serialisation) gives for any
 * integer of magnitude below 2^53. */
#include <stdlib.h>

#include "internal.h"
#include "jcs.h"

static int put_string(dipr_buf *o, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	int rc = dipr_buf_add(o, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[6];
		if (c == '"') esc = "\\\"";
		else if (c == '\\') esc = "\\\\";
		else if (c < 0x20) {
			switch (c) {
			case '\b': esc = "\\b"; break;
			case '\t': esc = "\\t"; break;
			case '\n': esc = "\\n"; break;
			case '\f': esc = "\\f"; break;
			case '\r': esc = "\\r"; break;
			default:
				u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
				u[4] = hx[c >> 4]; u[5] = hx[c & 15];
				rc = dipr_buf_add(o, s + i - run, run);
				if (!rc)
					rc = dipr_buf_add(o, u, 6);
				run = 0;
				continue;
			}
		}
		if (esc) {
			rc = dipr_buf_add(o, s + i - run, run);
			if (!rc)
				rc = dipr_buf_adds(o, esc);
			run = 0;
		} else {
			run++;
		}
	}
	if (!rc)
		rc = dipr_buf_add(o, s + n - run, run);
	return rc ? rc : dipr_buf_add(o, "\"", 1);
}

/* Decodes the next UTF-8 code point (input already validated) and returns
 * its UTF-16 code units for comparison (RFC 8785 §3.2.3 sorts by UTF-16). */
static size_t utf16_units(const unsigned char *s, size_t n, size_t *i, uint16_t u[2])
{
	uint32_t cp;
	unsigned char c = s[*i];
	if (c < 0x80) { cp = c; *i += 1; }
	else if ((c & 0xe0) == 0xc0 && *i + 1 < n) { cp = (uint32_t)(c & 0x1f) << 6 | (s[*i + 1] & 0x3f); *i += 2; }
	else if ((c & 0xf0) == 0xe0 && *i + 2 < n) { cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[*i + 1] & 0x3f) << 6 | (s[*i + 2] & 0x3f); *i += 3; }
	else if (*i + 3 < n) { cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[*i + 1] & 0x3f) << 12 | (uint32_t)(s[*i + 2] & 0x3f) << 6 | (s[*i + 3] & 0x3f); *i += 4; }
	else { cp = c; *i += 1; }
	if (cp >= 0x10000) {
		cp -= 0x10000;
		u[0] = (uint16_t)(0xd800 | (cp >> 10));
		u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		return 2;
	}
	u[0] = (uint16_t)cp;
	return 1;
}

static int key_cmp(const void *a, const void *b)
{
	const unsigned char *x = *(const unsigned char *const *)a, *y = *(const unsigned char *const *)b;
	size_t xn = strlen((const char *)x), yn = strlen((const char *)y), i = 0, j = 0;
	while (i < xn && j < yn) {
		uint16_t ux[2], uy[2];
		size_t kx = utf16_units(x, xn, &i, ux), ky = utf16_units(y, yn, &j, uy);
		for (size_t k = 0; k < kx && k < ky; k++)
			if (ux[k] != uy[k])
				return ux[k] < uy[k] ? -1 : 1;
		if (kx != ky)
			return kx < ky ? -1 : 1; /* unreachable for distinct BMP/astral starts */
	}
	return (i < xn) - (j < yn);
}

static int encode(const json_t *v, dipr_buf *o, int depth)
{
	if (depth > DIPR_JSON_MAX_DEPTH)
		return dipr__err(DIPR_ERANGE, "JSON nested deeper than %d", DIPR_JSON_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_NULL: return dipr_buf_adds(o, "null");
	case JSON_TRUE: return dipr_buf_adds(o, "true");
	case JSON_FALSE: return dipr_buf_adds(o, "false");
	case JSON_REAL:
		return dipr__err(DIPR_EINVAL, "JSON: only integers are allowed, found a fraction");
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i > DIPR_JSON_MAX_INT || i < -DIPR_JSON_MAX_INT)
			return dipr__err(DIPR_ERANGE, "JSON: integer %lld outside +-(2^53-1)", (long long)i);
		return dipr_buf_addf(o, "%lld", (long long)i);
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (!dipr__utf8_valid((const uint8_t *)s, n) || memchr(s, 0, n))
			return dipr__err(DIPR_EINVAL, "JSON: string is not valid UTF-8");
		return put_string(o, s, n);
	}
	case JSON_ARRAY: {
		int rc = dipr_buf_add(o, "[", 1);
		for (size_t i = 0; i < json_array_size(v) && !rc; i++) {
			if (i)
				rc = dipr_buf_add(o, ",", 1);
			if (!rc)
				rc = encode(json_array_get(v, i), o, depth + 1);
		}
		return rc ? rc : dipr_buf_add(o, "]", 1);
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), k = 0;
		const char **keys = n ? malloc(n * sizeof *keys) : NULL;
		const char *key;
		json_t *val;
		int rc = 0;
		if (n && !keys)
			return DIPR_ENOMEM;
		json_object_foreach((json_t *)v, key, val) keys[k++] = key;
		if (n > 1) /* qsort(NULL, 0, ...) is undefined (found by fuzz_json) */
			qsort(keys, n, sizeof *keys, key_cmp);
		rc = dipr_buf_add(o, "{", 1);
		for (size_t i = 0; i < n && !rc; i++) {
			if (i)
				rc = dipr_buf_add(o, ",", 1);
			if (!rc && !dipr__utf8_valid((const uint8_t *)keys[i], strlen(keys[i])))
				rc = dipr__err(DIPR_EINVAL, "JSON: key is not valid UTF-8");
			if (!rc)
				rc = put_string(o, keys[i], strlen(keys[i]));
			if (!rc)
				rc = dipr_buf_add(o, ":", 1);
			if (!rc)
				rc = encode(json_object_get(v, keys[i]), o, depth + 1);
		}
		free(keys);
		return rc ? rc : dipr_buf_add(o, "}", 1);
	}
	}
	return DIPR_EINVAL;
}

int dipr__jcs_encode(const json_t *v, dipr_buf *out)
{
	return encode(v, out, 0);
}

static int check(const json_t *v, size_t depth, size_t max_depth, const char *what)
{
	if (depth > max_depth)
		return dipr__err(DIPR_ERANGE, "%s: JSON nested deeper than %zu levels", what, max_depth);
	switch (json_typeof(v)) {
	case JSON_REAL:
		return dipr__err(DIPR_EINVAL, "%s: numbers must be integers", what);
	case JSON_INTEGER:
		if (json_integer_value(v) > DIPR_JSON_MAX_INT || json_integer_value(v) < -DIPR_JSON_MAX_INT)
			return dipr__err(DIPR_ERANGE, "%s: integer outside +-(2^53-1)", what);
		return 0;
	case JSON_STRING:
		if (memchr(json_string_value(v), 0, json_string_length(v)))
			return dipr__err(DIPR_EINVAL, "%s: string contains U+0000", what);
		return 0;
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++) {
			int rc = check(json_array_get(v, i), depth + 1, max_depth, what);
			if (rc)
				return rc;
		}
		return 0;
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			/* JSON_ALLOW_NUL lets "\u0000" into keys too; keys are C
			 * strings everywhere after this, so refuse them here. */
			if (json_object_iter_key_len(json_object_key_to_iter(k)) != strlen(k))
				return dipr__err(DIPR_EINVAL, "%s: object key contains U+0000", what);
			int rc = check(x, depth + 1, max_depth, what);
			if (rc)
				return rc;
		}
		return 0;
	}
	default:
		return 0;
	}
}

int dipr__json_parse(const uint8_t *in, size_t n, size_t max_depth, const char *what, json_t **out)
{
	json_error_t err;
	/* Jansson checks UTF-8 itself and, with JSON_REJECT_DUPLICATES, keys. */
	json_t *v = json_loadb((const char *)in, n,
			       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v)
		return dipr__err(DIPR_EINVAL, "%s: invalid JSON at byte %d: %s", what, err.position, err.text);
	int rc = check(v, 0, max_depth, what);
	if (rc) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return 0;
}
