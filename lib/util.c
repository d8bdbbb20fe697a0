/* util.c — errors, buffers, codecs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "internal.h"

static _Thread_local char errdetail[512];

const char *dipr_strerror(int code)
{
	switch (code) {
	case DIPR_OK: return "ok";
	case DIPR_ENOMEM: return "out of memory";
	case DIPR_EINVAL: return "invalid input";
	case DIPR_EVERIFY: return "verification failed";
	case DIPR_ERANGE: return "limit exceeded";
	case DIPR_EIO: return "storage error";
	case DIPR_ECONFLICT: return "concurrent update";
	case DIPR_ENOTFOUND: return "not found";
	case DIPR_ECRYPTO: return "crypto library error";
	case DIPR_EFULL: return "queue full";
	case DIPR_EFORK: return "stored tree does not match stored checkpoint";
	case DIPR_ESTOPPED: return "sequencer stopped after a write failure";
	case DIPR_EQUORUM: return "witness quorum not met";
	case DIPR_ENOTLEADER: return "this node is not the sequencer";
	}
	return "unknown error";
}

const char *dipr_errdetail(void) { return errdetail; }

void dipr__clear_err(void) { errdetail[0] = 0; }

int dipr__err(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(errdetail, sizeof errdetail, fmt, ap);
	va_end(ap);
	return code;
}

void dipr_buf_init(dipr_buf *b, size_t max)
{
	b->p = NULL;
	b->n = b->cap = 0;
	b->max = max;
}

void dipr_buf_free(dipr_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void dipr_buf_reset(dipr_buf *b)
{
	b->n = 0;
	if (b->p)
		b->p[0] = 0;
}

static int buf_grow(dipr_buf *b, size_t add)
{
	if (add > b->max || b->n > b->max - add)
		return dipr__err(DIPR_ERANGE, "buffer limit of %zu bytes exceeded", b->max);
	size_t need = b->n + add + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		return DIPR_ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int dipr_buf_add(dipr_buf *b, const void *p, size_t n)
{
	int rc = buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

int dipr_buf_adds(dipr_buf *b, const char *s) { return dipr_buf_add(b, s, strlen(s)); }

int dipr_buf_addf(dipr_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int len = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (len < 0)
		return DIPR_EINVAL;
	if ((size_t)len < sizeof small)
		return dipr_buf_add(b, small, (size_t)len);
	int rc = buf_grow(b, (size_t)len);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->n, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)len;
	return 0;
}

uint8_t *dipr_buf_detach(dipr_buf *b, size_t *n)
{
	uint8_t *p = b->p;
	if (n)
		*n = b->n;
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int dipr_b64_encode(const uint8_t *in, size_t n, dipr_buf *out)
{
	if (n > (SIZE_MAX / 4) * 3 - 3)
		return DIPR_ERANGE;
	size_t olen = (n + 2) / 3 * 4;
	int rc = buf_grow(out, olen);
	if (rc)
		return rc;
	char *o = (char *)out->p + out->n;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = b64chars[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = '=';
		*o++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = '=';
	}
	out->n += olen;
	out->p[out->n] = 0;
	return 0;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

int dipr_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *n_out)
{
	if (n % 4)
		return dipr__err(DIPR_EINVAL, "base64: length %zu is not a multiple of 4", n);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)in[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)
				return dipr__err(DIPR_EINVAL, "base64: data after padding");
			v[k] = b64val(c);
			if (v[k] < 0)
				return dipr__err(DIPR_EINVAL, "base64: invalid character at offset %zu", i + k);
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		size_t take = 3 - (size_t)pad;
		/* Canonical encoding: the unused bits before padding must be zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return dipr__err(DIPR_EINVAL, "base64: non-canonical trailing bits");
		if (o + take > cap)
			return dipr__err(DIPR_ERANGE, "base64: decoded data longer than %zu bytes", cap);
		out[o++] = (uint8_t)(w >> 16);
		if (take > 1) out[o++] = (uint8_t)(w >> 8);
		if (take > 2) out[o++] = (uint8_t)w;
	}
	*n_out = o;
	return 0;
}

void dipr_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int dipr_hex_decode(const char *in, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return dipr__err(DIPR_EINVAL, "hex: expected %zu characters, got %zu", 2 * n, len);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval((unsigned char)in[2 * i]), lo = hexval((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return dipr__err(DIPR_EINVAL, "hex: invalid character near offset %zu", 2 * i);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int dipr_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len == 0 || len > 20)
		return dipr__err(DIPR_EINVAL, "expected a decimal number");
	if (s[0] == '0' && len > 1)
		return dipr__err(DIPR_EINVAL, "expected a decimal number without leading zeros");
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return dipr__err(DIPR_EINVAL, "expected a decimal number");
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return dipr__err(DIPR_ERANGE, "number too large");
		v = v * 10 + d;
	}
	if (v > max)
		return dipr__err(DIPR_ERANGE, "number %llu above the limit %llu",
				 (unsigned long long)v, (unsigned long long)max);
	*out = v;
	return 0;
}

int dipr_random(uint8_t *out, size_t n)
{
	while (n) {
		ssize_t r = getrandom(out, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return DIPR_EIO;
		}
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

int dipr__utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp;
		if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
		else return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}
