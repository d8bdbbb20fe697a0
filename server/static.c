/* static.c — the portal (web/, embedded at build time): files by path,
 * and index.html for the portal's page routes (/, /r/REGNO, /verify, ...),
 * which the page's script renders.  A strict Content-Security-Policy: only
 * this server's own scripts, styles and connections, no inline script. */
#include <string.h>

#include "server/server_int.h"
#include "server/static.h"

#define PORTAL_CSP                                                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self';"    \
	" font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* The portal's page routes (web/app.js): anything else is a 404, not a page. */
static bool page_route(const char *url)
{
	static const char *const exact[] = {"/search", "/notices", "/objection", "/log", "/verify",
					    "/login", "/apply", "/apply/new", "/review", NULL};
	static const char *const prefix[] = {"/r/", "/notice/", "/apply/", "/review/", NULL};
	for (int i = 0; exact[i]; i++)
		if (strcmp(url, exact[i]) == 0)
			return true;
	for (int i = 0; prefix[i]; i++) {
		size_t n = strlen(prefix[i]);
		if (strncmp(url, prefix[i], n) == 0 && url[n] && !strchr(url + n, '/') && strlen(url) < 64)
			return true;
	}
	return false;
}

static const dipr_asset *find(const char *path)
{
	for (const dipr_asset *a = dipr_assets; a->path; a++)
		if (strcmp(a->path, path) == 0)
			return a;
	return NULL;
}

enum MHD_Result dipr__static_serve(dipr_server *s, struct MHD_Connection *c, const char *url, bool *handled)
{
	const dipr_asset *a = NULL;
	*handled = false;
	if (strstr(url, ".."))
		return MHD_NO;
	const char *last = strrchr(url, '/');
	if (strcmp(url, "/") == 0)
		a = find("/index.html");
	else if ((a = find(url)) == NULL && last && !strchr(last, '.') && page_route(url))
		a = find("/index.html"); /* a page route: the script renders it */
	if (!a)
		return MHD_NO;
	*handled = true;
	struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", a->type);
	MHD_add_response_header(r, "Content-Security-Policy", PORTAL_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->status_count[2], 1);
	return ret;
}
