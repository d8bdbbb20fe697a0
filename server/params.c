/* params.c — parsers for request URLs and headers (see params.h).  Each
 * one checks the length first, then every byte; nothing here allocates. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "dipr/ident.h"
#include "server/params.h"

int dipr__api_path_parse(const char *path, size_t n, dipr_api_path *out)
{
	static const char prefix[] = "/api/v1/";
	const size_t plen = sizeof prefix - 1;
	char *dst[3] = {out->res, out->key, out->sub};
	memset(out, 0, sizeof *out);
	if (n > DIPR_PATH_MAX)
		return dipr__err(DIPR_EINVAL, "path: longer than %d bytes", DIPR_PATH_MAX);
	if (n < plen || memcmp(path, prefix, plen) != 0)
		return dipr__err(DIPR_EINVAL, "path: expected /api/v1/...");
	size_t i = plen;
	/* Segments end at '/' or the end; one '/' may end the path. */
	while (i < n) {
		const char *e = memchr(path + i, '/', n - i);
		size_t len = e ? (size_t)(e - (path + i)) : n - i;
		if (out->n == 3)
			return dipr__err(DIPR_EINVAL, "path: at most 3 segments after /api/v1/");
		if (len == 0)
			return dipr__err(DIPR_EINVAL, "path: empty segment");
		if (len >= DIPR_SEG_MAX)
			return dipr__err(DIPR_EINVAL, "path: segment %d longer than %d bytes", out->n + 1, DIPR_SEG_MAX - 1);
		if (memchr(path + i, 0, len))
			return dipr__err(DIPR_EINVAL, "path: NUL byte in segment %d", out->n + 1);
		memcpy(dst[out->n], path + i, len);
		dst[out->n][len] = 0;
		out->n++;
		i += len + (e ? 1 : 0);
	}
	if (out->n == 0)
		return dipr__err(DIPR_EINVAL, "path: expected a resource after /api/v1/");
	return 0;
}

int dipr__id_parse(const char *s, size_t n, int64_t *out)
{
	uint64_t v;
	int rc = dipr_parse_u64(s, n, (uint64_t)INT64_MAX, &v);
	if (rc)
		return rc;
	if (v == 0)
		return dipr__err(DIPR_EINVAL, "expected a number from 1");
	*out = (int64_t)v;
	return 0;
}

int dipr__query_u64(const char *v, uint64_t max, uint64_t *out)
{
	if (!v)
		return 1;
	/* strnlen: a value longer than any decimal is refused unread */
	return dipr_parse_u64(v, strnlen(v, 21), max, out);
}

int dipr__query_text(const char *v, size_t max)
{
	if (!v)
		return 0;
	size_t n = strnlen(v, max + 1);
	if (n > max)
		return dipr__err(DIPR_ERANGE, "at most %zu bytes", max);
	if (!dipr__utf8_valid((const uint8_t *)v, n))
		return dipr__err(DIPR_EINVAL, "expected UTF-8 text");
	return 0;
}

int dipr__cert_key_parse(const char *key, size_t n, char certno[18], bool *pdf)
{
	*pdf = false;
	if (n == DIPR_CERTNO_LEN + 4 && memcmp(key + DIPR_CERTNO_LEN, ".pdf", 4) == 0) {
		*pdf = true;
		n = DIPR_CERTNO_LEN;
	}
	if (n != DIPR_CERTNO_LEN)
		return dipr__err(DIPR_EINVAL, "expected a %d-digit certificate number, optionally with .pdf",
				 DIPR_CERTNO_LEN);
	int rc = dipr_certno_parse(key, n, NULL);
	if (rc)
		return rc;
	memcpy(certno, key, n);
	certno[n] = 0;
	return 0;
}

/* RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/" ) *"=" */
static bool b64token(const char *t, size_t n)
{
	size_t i = 0;
	for (; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
			break;
	}
	if (i == 0)
		return false;
	while (i < n && t[i] == '=')
		i++;
	return i == n;
}

int dipr__bearer_parse(const char *h, const char **tok, size_t *tok_len)
{
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return dipr__err(DIPR_EINVAL, "Authorization: expected \"Bearer <token>\"");
	size_t n = strnlen(h + 7, DIPR_TOKEN_MAX + 1);
	if (n == 0 || n > DIPR_TOKEN_MAX || !b64token(h + 7, n))
		return dipr__err(DIPR_EINVAL, "Authorization: expected \"Bearer <token>\" with a token of 1..%d "
				 "characters A-Z a-z 0-9 - . _ ~ + / =", DIPR_TOKEN_MAX);
	*tok = h + 7;
	*tok_len = n;
	return 0;
}

int dipr__forwarded_for(const char *xff, char *out, size_t cap)
{
	char addr[64];
	if (cap < INET6_ADDRSTRLEN)
		return dipr__err(DIPR_EINVAL, "X-Forwarded-For: output too small");
	size_t n = strnlen(xff, 1025);
	if (n > 1024)
		return dipr__err(DIPR_EINVAL, "X-Forwarded-For: longer than 1024 bytes");
	const char *last = xff;
	for (size_t i = 0; i < n; i++)
		if (xff[i] == ',')
			last = xff + i + 1;
	size_t len = n - (size_t)(last - xff);
	while (len && (*last == ' ' || *last == '\t'))
		last++, len--;
	while (len && (last[len - 1] == ' ' || last[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof addr)
		return dipr__err(DIPR_EINVAL, "X-Forwarded-For: expected an IP address as the last element");
	memcpy(addr, last, len);
	addr[len] = 0;
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		inet_ntop(AF_INET, &a4, out, (socklen_t)cap);
	else if (inet_pton(AF_INET6, addr, &a6) == 1)
		inet_ntop(AF_INET6, &a6, out, (socklen_t)cap);
	else
		return dipr__err(DIPR_EINVAL, "X-Forwarded-For: \"%.46s\" is not an IP address", addr);
	return 0;
}

int dipr__content_length(const char *v, uint64_t *out)
{
	return dipr_parse_u64(v, strnlen(v, 21), UINT64_MAX, out);
}

bool dipr__page_route(const char *url)
{
	static const char *const exact[] = {"/search", "/notices", "/objection", "/log", "/verify",
					    "/login", "/apply", "/apply/new", "/review", NULL};
	static const char *const prefix[] = {"/r/", "/notice/", "/apply/", "/review/", NULL};
	size_t n = strnlen(url, 64);
	if (n >= 64)
		return false;
	for (int i = 0; exact[i]; i++)
		if (strcmp(url, exact[i]) == 0)
			return true;
	for (int i = 0; prefix[i]; i++) {
		size_t k = strlen(prefix[i]);
		if (strncmp(url, prefix[i], k) == 0 && url[k] && !strchr(url + k, '/'))
			return true;
	}
	return false;
}
