/* params.h — the small parsers for what the server takes from a request's
 * URL and headers: API path segments, decimal numbers in paths and query
 * strings, certificate keys, bearer tokens, X-Forwarded-For, Content-Length
 * and the portal's page routes.  Pure functions over borrowed C strings:
 * no libmicrohttpd, no I/O, so tests/fuzz/fuzz_params.c can drive each with
 * arbitrary bytes.  Every one bounds its input before looking at it and
 * returns 0 or a negative DIPR_E* code with dipr_errdetail() naming the
 * part and what was expected.  Thread-safe (no shared state). */
#ifndef DIPR_SERVER_PARAMS_H
#define DIPR_SERVER_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIPR_PATH_MAX 1024   /* a request path (without the query) */
#define DIPR_QUERY_MAX 4096  /* all query arguments together, names and values */
#define DIPR_TEXT_PARAM_MAX 200 /* a free-text query parameter (q, state) */
#define DIPR_SEG_MAX 40      /* one API path segment, NUL included */
#define DIPR_TOKEN_MAX 256   /* a bearer token */

/* "/api/v1/RES[/KEY[/SUB]][/]": res, key, sub are NUL-terminated copies;
 * n is the number of segments (1..3). */
typedef struct {
	char res[DIPR_SEG_MAX];
	char key[DIPR_SEG_MAX];
	char sub[DIPR_SEG_MAX];
	int n;
} dipr_api_path;

/* Splits path (n bytes, need not be NUL-terminated) under "/api/v1/".
 * On return out->res holds the first segment whenever the path is under
 * /api/v1/ and that segment fits (else ""), even if the rest is malformed,
 * so the caller can tell "not one of my routes" from "my route, bad path".
 * 0: 1..3 non-empty segments, each < DIPR_SEG_MAX bytes, one optional
 * trailing '/'.  DIPR_EINVAL otherwise. */
int dipr__api_path_parse(const char *path, size_t n, dipr_api_path *out);

/* A record id in a path segment: decimal, 1..INT64_MAX, no sign, no
 * leading zeros.  DIPR_EINVAL / DIPR_ERANGE. */
int dipr__id_parse(const char *s, size_t n, int64_t *out);

/* A query parameter's decimal value: v NULL means absent (returns 1,
 * *out untouched).  0 with *out <= max; DIPR_EINVAL (not a plain decimal:
 * sign, leading zero, other bytes, empty, > 20 digits), DIPR_ERANGE
 * (above max). */
int dipr__query_u64(const char *v, uint64_t max, uint64_t *out);

/* A free-text query parameter: NULL (absent) or at most max bytes of
 * valid UTF-8.  0 or DIPR_EINVAL / DIPR_ERANGE. */
int dipr__query_text(const char *v, size_t max);

/* The key of /api/v1/certificates/KEY: a certificate number, or one
 * followed by ".pdf" (*pdf set).  certno receives the number. */
int dipr__cert_key_parse(const char *key, size_t n, char certno[18], bool *pdf);

/* "Bearer <token>" (RFC 6750 §2.1): the token is 1..DIPR_TOKEN_MAX bytes
 * of b64token characters.  *tok points into h (borrowed, lives as long
 * as h).  DIPR_EINVAL otherwise. */
int dipr__bearer_parse(const char *h, const char **tok, size_t *tok_len);

/* The client address a trusted reverse proxy put in X-Forwarded-For: the
 * LAST element (the one the nearest proxy appended; earlier ones are the
 * client's own claims), an IPv4 or IPv6 literal, written to out in
 * canonical form (inet_ntop).  cap must be >= 46.  DIPR_EINVAL if the
 * header is longer than 1024 bytes or its last element is not an address. */
int dipr__forwarded_for(const char *xff, char *out, size_t cap);

/* A Content-Length header: decimal, no sign.  DIPR_EINVAL / DIPR_ERANGE. */
int dipr__content_length(const char *v, uint64_t *out);

/* True if url (a NUL-terminated path) is one of the portal's page routes
 * (web/app.js renders them from index.html): /search, /r/REGNO, ... */
bool dipr__page_route(const char *url);

#endif
