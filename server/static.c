/* static.c — the portal (web/, embedded at build time): files by path,
 * and index.html for the portal's page routes (/, /r/REGNO, /verify, ...),
 * which the page's script renders (params.c knows the routes).  A strict
 * Content-Security-Policy: only this server's own scripts, styles and
 * connections, no inline script (srv_add_security_headers). */
#include <string.h>

#include "server/server_int.h"
#include "server/static.h"

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
	else if ((a = find(url)) == NULL && last && !strchr(last, '.') && dipr__page_route(url))
		a = find("/index.html"); /* a page route: the script renders it */
	if (!a)
		return MHD_NO;
	*handled = true;
	struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", a->type);
	srv_add_security_headers(r, true); /* the portal's CSP: server.c */
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->status_count[2], 1);
	return ret;
}
