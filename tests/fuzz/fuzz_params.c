/* fuzz_params.c — what the server parses from request URLs and headers
 * (server/params.h), every parser on the same bytes as a C string, the way
 * libmicrohttpd hands them over (cut at the first NUL):
 *  - API paths split into 1..3 non-empty segments without '/' that join
 *    back to the path (one trailing '/' allowed);
 *  - ids, query numbers and Content-Length re-format to the same digits;
 *  - a certificate key re-formats to the same bytes;
 *  - a bearer token points inside the header, within the limit;
 *  - X-Forwarded-For's answer is a canonical address: parsing it again
 *    gives itself;
 *  - accepted query text is valid UTF-8 within the limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "server/params.h"

static void check_path(const char *s, size_t n)
{
	dipr_api_path p;
	char back[DIPR_PATH_MAX + 16];
	if (dipr__api_path_parse(s, n, &p) != 0)
		return;
	if (p.n < 1 || p.n > 3)
		abort();
	const char *seg[3] = {p.res, p.key, p.sub};
	int w = snprintf(back, sizeof back, "/api/v1/");
	for (int i = 0; i < p.n; i++) {
		size_t l = strlen(seg[i]);
		if (l == 0 || l >= DIPR_SEG_MAX || strchr(seg[i], '/'))
			abort();
		w += snprintf(back + w, sizeof back - (size_t)w, "%s%s", i ? "/" : "", seg[i]);
	}
	if (!((size_t)w == n && memcmp(back, s, n) == 0) &&
	    !((size_t)w + 1 == n && memcmp(back, s, (size_t)w) == 0 && s[w] == '/'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[64];
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	size_t n = strlen(s); /* what a C-string header or URL would carry */

	check_path(s, n);
	check_path(s, size); /* and the raw bytes, NULs included */

	int64_t id;
	if (dipr__id_parse(s, n, &id) == 0) {
		snprintf(out, sizeof out, "%lld", (long long)id);
		if (id < 1 || strcmp(out, s) != 0)
			abort();
	}
	uint64_t v = 7;
	int rc = dipr__query_u64(s, 1000, &v);
	if (rc == 0) {
		snprintf(out, sizeof out, "%llu", (unsigned long long)v);
		if (v > 1000 || strcmp(out, s) != 0)
			abort();
	}
	if (dipr__query_u64(NULL, 1000, &v) != 1)
		abort();
	if (dipr__content_length(s, &v) == 0) {
		snprintf(out, sizeof out, "%llu", (unsigned long long)v);
		if (strcmp(out, s) != 0)
			abort();
	}
	if (dipr__query_text(s, DIPR_TEXT_PARAM_MAX) == 0 &&
	    (n > DIPR_TEXT_PARAM_MAX || !dipr__utf8_valid((const uint8_t *)s, n)))
		abort();

	char certno[18];
	bool pdf;
	if (dipr__cert_key_parse(s, n, certno, &pdf) == 0) {
		snprintf(out, sizeof out, "%s%s", certno, pdf ? ".pdf" : "");
		if (strcmp(out, s) != 0)
			abort();
	}

	const char *tok;
	size_t tlen;
	if (dipr__bearer_parse(s, &tok, &tlen) == 0 &&
	    (tok != s + 7 || tlen == 0 || tlen > DIPR_TOKEN_MAX || tok + tlen != s + n))
		abort();

	char ip[64], ip2[64];
	if (dipr__forwarded_for(s, ip, sizeof ip) == 0) {
		if (dipr__forwarded_for(ip, ip2, sizeof ip2) != 0 || strcmp(ip, ip2) != 0)
			abort();
	}
	(void)dipr__page_route(s);
	free(s);
	return 0;
}
