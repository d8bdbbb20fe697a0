/* http.h — the CLI's HTTP client (libcurl; http and https). */
#ifndef DIPR_CLI_HTTP_H
#define DIPR_CLI_HTTP_H

#include "dipr/dipr.h"

/* Performs one request; resp receives the body (capped by resp->max).
 * *status is the HTTP status.  Errors (connection, timeout, body too
 * large) return DIPR_EIO with a detail. */
int cli_http(const char *method, const char *url, const char *token, const void *body, size_t n,
	     const char *content_type, long *status, dipr_buf *resp);

/* base + path, with exactly one '/' between them. */
int cli_url(char *out, size_t cap, const char *base, const char *path);

#endif
