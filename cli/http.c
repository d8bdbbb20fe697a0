/* http.c — a thin libcurl wrapper for the dipr command. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "cli/http.h"

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	dipr_buf *b = ud;
	return dipr_buf_add(b, p, size * nmemb) ? 0 : size * nmemb;
}

int cli_url(char *out, size_t cap, const char *base, const char *path)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	int n = snprintf(out, cap, "%.*s/%s", (int)bl, base, path[0] == '/' ? path + 1 : path);
	return n < 0 || (size_t)n >= cap ? dipr__err(DIPR_ERANGE, "URL too long") : 0;
}

int cli_http(const char *method, const char *url, const char *token, const void *body, size_t n,
	     const char *content_type, long *status, dipr_buf *resp)
{
	static int inited;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	/* A registry behind a private CA (a test system, an internal
	 * deployment): DIPR_CACERT names the CA certificates to trust instead
	 * of the system's. */
	const char *ca = getenv("DIPR_CACERT");
	if (ca && *ca && access(ca, R_OK) != 0)
		return dipr__err(DIPR_EINVAL, "DIPR_CACERT=%s: cannot read it: %s", ca, strerror(errno));
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[400], ctype[128];
	int rc = 0;
	if (!c)
		return DIPR_ENOMEM;
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "dipr/" DIPR_VERSION);
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (body) {
		snprintf(ctype, sizeof ctype, "Content-Type: %s", content_type ? content_type : "application/json");
		h = curl_slist_append(h, ctype);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
	}
	if (h)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode cr = curl_easy_perform(c);
	if (cr != CURLE_OK)
		rc = dipr__err(DIPR_EIO, "%s: %s", url, curl_easy_strerror(cr));
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}
