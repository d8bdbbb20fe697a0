/* forward.c — writes on a follower go to the sequencer (forward.h). */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"
#include "server/forward.h"

#define FWD_HDR "X-Dipr-Forwarded"
#define FWD_TIMEOUT_MS 30000     /* one forwarded request, answer included */
#define FWD_TAKEOVER_MS 5000     /* how long a request waits for a sequencer */
#define FWD_BODY_MAX (4u << 20)  /* the sequencer's answer */
#define FWD_READ_WAIT_MS 1000    /* for this node to publish the answer's checkpoint */

struct fwd_job {
	request *rq;
	struct MHD_Connection *conn;
	char method[8];
	char *url; /* path and query, as the client sent them */
	struct curl_slist *hdrs;
	/* the answer */
	long status;
	char ctype[128], cache[128], retry[16];
	char *cookies[4];
	int ncookies;
	dipr_buf body;
	struct fwd_job *next;
};

struct dipr_forwarder {
	dipr_server *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	fwd_job *head, *tail;
	bool stopping;
	unsigned n;
	pthread_t th[16];
	char leader[512]; /* cached sequencer URL ("" unknown) */
};

void dipr__fwd_free(fwd_job *j)
{
	if (!j)
		return;
	free(j->url);
	curl_slist_free_all(j->hdrs);
	for (int i = 0; i < j->ncookies; i++)
		free(j->cookies[i]);
	dipr_buf_free(&j->body);
	free(j);
}

bool dipr__fwd_wanted(dipr_server *s, struct MHD_Connection *c, const char *method)
{
	if (!s->fwd || dipr_log_is_sequencer(s->log) || !strcmp(method, "GET") || !strcmp(method, "HEAD") ||
	    !strcmp(method, "OPTIONS"))
		return false;
	return true;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	fwd_job *j = ctx;
	return dipr_buf_add(&j->body, p, size * n) ? 0 : size * n;
}

/* Keeps the answer headers the client needs: its type, caching, cookies
 * (login/logout) and Retry-After. */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	fwd_job *j = ctx;
	size_t len = size * n, k;
	char line[1024];
	if (len >= sizeof line)
		return len;
	memcpy(line, p, len);
	line[len] = 0;
	line[strcspn(line, "\r\n")] = 0;
	char *colon = strchr(line, ':');
	if (!colon)
		return len;
	*colon = 0;
	const char *v = colon + 1;
	while (*v == ' ')
		v++;
	k = strlen(v);
	if (!strcasecmp(line, "Content-Type") && k < sizeof j->ctype)
		memcpy(j->ctype, v, k + 1);
	else if (!strcasecmp(line, "Cache-Control") && k < sizeof j->cache)
		memcpy(j->cache, v, k + 1);
	else if (!strcasecmp(line, "Retry-After") && k < sizeof j->retry)
		memcpy(j->retry, v, k + 1);
	else if (!strcasecmp(line, "Set-Cookie") && j->ncookies < 4)
		j->cookies[j->ncookies++] = strdup(v);
	return len;
}

/* The sequencer's URL, from the cache or the database. */
static int leader_url(dipr_forwarder *f, dipr_store *st, bool fresh, char *out, size_t cap)
{
	pthread_mutex_lock(&f->mu);
	if (!fresh && f->leader[0]) {
		snprintf(out, cap, "%s", f->leader);
		pthread_mutex_unlock(&f->mu);
		return 0;
	}
	pthread_mutex_unlock(&f->mu);
	int rc = st ? dipr_log_sequencer_url(f->s->log, st, out, cap) : DIPR_EIO;
	if (!rc) {
		pthread_mutex_lock(&f->mu);
		snprintf(f->leader, sizeof f->leader, "%s", out);
		pthread_mutex_unlock(&f->mu);
	}
	return rc;
}

static void run_job(dipr_forwarder *f, CURL *h, dipr_store **st, fwd_job *j)
{
	char base[512], full[1400];
	bool fresh = false;
	for (int waited = 0;; fresh = true) {
		if (!*st && dipr_store_open(st, f->s->dbpath, 0))
			*st = NULL;
		int rc = leader_url(f, *st, fresh, base, sizeof base);
		if (rc == 0 && !dipr_log_is_sequencer(f->s->log)) {
			snprintf(full, sizeof full, "%s%s", base, j->url);
			curl_easy_reset(h);
			curl_easy_setopt(h, CURLOPT_URL, full);
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, j->method);
			curl_easy_setopt(h, CURLOPT_HTTPHEADER, j->hdrs);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, j->rq->body.p ? (const char *)j->rq->body.p : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)j->rq->body.n);
			curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
			curl_easy_setopt(h, CURLOPT_WRITEDATA, j);
			curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
			curl_easy_setopt(h, CURLOPT_HEADERDATA, j);
			curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FWD_TIMEOUT_MS);
			curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
			curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
			CURLcode cr = curl_easy_perform(h);
			if (cr == CURLE_OK) {
				curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &j->status);
				/* Read your writes: the sequencer stored the checkpoint
				 * covering this write before it answered; publish it
				 * here before relaying the answer, so that the client's
				 * next read on this node (a consistency check against
				 * /checkpoint) sees it. */
				dipr_buf note;
				uint64_t size = 0;
				dipr_buf_init(&note, DIPR_NOTE_MAX);
				if (j->status / 100 == 2 && *st && dipr_store_checkpoint_get(*st, &note, &size) == 0)
					dipr_log_follow_wait(f->s->log, size, FWD_READ_WAIT_MS);
				dipr_buf_free(&note);
				return;
			}
			/* Not connected: the request was never sent, so it can go to
			 * the next sequencer.  Any later failure may have reached the
			 * sequencer: not acknowledged, and not repeated here. */
			if (cr != CURLE_COULDNT_CONNECT)
				break;
		}
		if (rc && rc != DIPR_ENOTFOUND && *st) { /* a broken session: a new one next time */
			dipr_store_close(*st);
			*st = NULL;
		}
		if (dipr_log_is_sequencer(f->s->log) || waited >= FWD_TAKEOVER_MS)
			break;
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
		waited += 100;
		j->body.n = 0;
	}
	j->status = 0; /* answered as 503 sequencer_changed */
}

static void *worker(void *arg)
{
	dipr_forwarder *f = arg;
	CURL *h = curl_easy_init();
	dipr_store *st = NULL;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		while (!f->head && !f->stopping)
			pthread_cond_wait(&f->cv, &f->mu);
		fwd_job *j = f->head;
		if (j) {
			f->head = j->next;
			if (!f->head)
				f->tail = NULL;
		}
		pthread_mutex_unlock(&f->mu);
		if (!j)
			break;
		if (h)
			run_job(f, h, &st, j);
		MHD_resume_connection(j->conn);
	}
	dipr_store_close(st);
	if (h)
		curl_easy_cleanup(h);
	return NULL;
}

int dipr__fwd_start(dipr_forwarder **out, dipr_server *s, unsigned workers)
{
	dipr_forwarder *f = calloc(1, sizeof *f);
	if (!f)
		return DIPR_ENOMEM;
	f->s = s;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (workers > sizeof f->th / sizeof *f->th)
		workers = sizeof f->th / sizeof *f->th;
	for (; f->n < workers; f->n++)
		if (pthread_create(&f->th[f->n], NULL, worker, f)) {
			dipr__fwd_stop(f);
			return dipr__err(DIPR_ENOMEM, "cannot start the forwarding threads");
		}
	*out = f;
	return 0;
}

void dipr__fwd_stop(dipr_forwarder *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stopping = true;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	for (unsigned i = 0; i < f->n; i++)
		pthread_join(f->th[i], NULL);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}

/* The headers the sequencer needs to act as if asked directly. */
static const char *const pass[] = {"Authorization", "Cookie", "Content-Type", "X-CSRF-Token", "Accept-Language",
				   "Accept", NULL};

struct qctx {
	dipr_buf *b;
	bool first;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct qctx *q = cls;
	char *k = curl_easy_escape(NULL, key, 0), *v = value ? curl_easy_escape(NULL, value, 0) : NULL;
	dipr_buf_addf(q->b, "%c%s%s%s", q->first ? '?' : '&', k ? k : "", v ? "=" : "", v ? v : "");
	curl_free(k);
	curl_free(v);
	q->first = false;
	return MHD_YES;
}

enum MHD_Result dipr__fwd_submit(dipr_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 request *rq)
{
	/* Forwarded to us, but we are not the sequencer either (its row is
	 * stale, or it just changed): no second hop. */
	if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, FWD_HDR))
		return srv_send_error(s, c, 503, "sequencer_changed",
				      "this node is not the sequencer (it may be changing); not acknowledged: retry");
	fwd_job *j = calloc(1, sizeof *j);
	dipr_buf u;
	char ip[64], h[600];
	if (!j)
		return MHD_NO;
	dipr_buf_init(&j->body, FWD_BODY_MAX);
	dipr_buf_init(&u, DIPR_PATH_MAX + DIPR_QUERY_MAX * 3 + 8);
	struct qctx q = {&u, true};
	dipr_buf_adds(&u, url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
	dipr_buf_add(&u, "", 1);
	j->url = (char *)u.p; /* owned now */
	snprintf(j->method, sizeof j->method, "%s", method);
	j->rq = rq;
	j->conn = c;
	for (int i = 0; pass[i]; i++) {
		const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, pass[i]);
		if (v && strlen(v) < 512) {
			snprintf(h, sizeof h, "%s: %s", pass[i], v);
			j->hdrs = curl_slist_append(j->hdrs, h);
		}
	}
	srv_client_ip(s, c, ip, sizeof ip);
	snprintf(h, sizeof h, FWD_HDR ": %s", ip[0] ? ip : "unknown");
	j->hdrs = curl_slist_append(j->hdrs, h);
	j->hdrs = curl_slist_append(j->hdrs, "Expect:");
	if (!j->url || !j->hdrs) {
		dipr__fwd_free(j);
		return srv_send_error(s, c, 500, "internal", "out of memory");
	}
	rq->fwd = j;
	rq->state = RQ_WAITING;
	MHD_suspend_connection(c);
	dipr_forwarder *f = s->fwd;
	pthread_mutex_lock(&f->mu);
	if (f->tail)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return MHD_YES;
}

enum MHD_Result dipr__fwd_answer(dipr_server *s, struct MHD_Connection *c, request *rq)
{
	fwd_job *j = rq->fwd;
	rq->state = RQ_ANSWERED;
	if (!j->status || j->status < 100 || j->status > 599)
		return srv_send_error(s, c, 503, "sequencer_changed",
				      "this node is not the sequencer and could not reach one (it may be changing); "
				      "the request was not acknowledged: retry it");
	struct MHD_Response *r = MHD_create_response_from_buffer(j->body.n, j->body.p, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", j->ctype[0] ? j->ctype : "application/octet-stream");
	srv_add_security_headers(r, false);
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	if (j->cache[0])
		MHD_add_response_header(r, "Cache-Control", j->cache);
	if (j->retry[0])
		MHD_add_response_header(r, "Retry-After", j->retry);
	for (int i = 0; i < j->ncookies; i++)
		if (j->cookies[i])
			MHD_add_response_header(r, "Set-Cookie", j->cookies[i]);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)j->status, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->status_count[j->status / 100], 1);
	return ret;
}
