/* witness.c — the log's witness client (see log/witness.h).
 *
 * One libcurl multi handle for the set's lifetime and one easy handle per
 * witness, so connections are kept alive between batches (tlog-witness:
 * clients SHOULD use keep-alive).  Requests of one round go out together;
 * a round ends when every transfer is done, or at the deadline, or
 * DIPR_WITNESS_GRACE_MS after the quorum was met: one slow or hung witness
 * then costs a batch at most the grace, not the whole timeout.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "dipr/merkle.h"
#include "dipr/note.h"
#include "log/witness.h"

enum { W_IDLE, W_SEND, W_FLIGHT, W_OK, W_FAIL };

typedef struct {
	char *url; /* <prefix>/add-checkpoint */
	char *vkey;
	dipr_cosig_verifier *v;
	CURL *h;
	struct curl_slist *hdrs;
	uint64_t known; /* its last cosigned size, as far as we know */
	/* one attempt */
	int state;
	uint64_t sent_old;
	dipr_buf req, resp, lines;
	char err[400];
	/* counters and last outcome, under set->mu */
	unsigned long long cosigned, refused, forks, errors;
	int last_status;      /* HTTP status, 0 for a transport error */
	double last_seconds;
	char last_err[400];
	uint64_t cosigned_size;
} wit;

struct dipr_witnesses {
	wit *w;
	size_t n;
	unsigned quorum, timeout_ms;
	CURLM *multi;
	pthread_mutex_t mu;
	bool ok;
	char last_err[1200];
	unsigned long long attempts, failures;
	double seconds;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	dipr_buf *b = ud;
	return dipr_buf_add(b, p, size * nmemb) ? 0 : size * nmemb;
}

int dipr_witnesses_new(dipr_witnesses **out, const char *const *specs, size_t n, unsigned quorum,
		       unsigned timeout_ms)
{
	if (n == 0 || n > DIPR_WITNESSES_MAX)
		return dipr__err(DIPR_EINVAL, "--witness: 1 to %d witnesses, got %zu", DIPR_WITNESSES_MAX, n);
	if (quorum == 0 || quorum > n)
		return dipr__err(DIPR_EINVAL, "--witness-quorum %u: expected 1 to %zu (the number of --witness)", quorum, n);
	if (timeout_ms == 0)
		return dipr__err(DIPR_EINVAL, "--witness-timeout: must be above 0");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	dipr_witnesses *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	s->quorum = quorum;
	s->timeout_ms = timeout_ms;
	s->ok = true;
	s->w = calloc(n, sizeof *s->w);
	s->multi = curl_multi_init();
	int rc = s->w && s->multi ? 0 : DIPR_ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		wit *w = &s->w[i];
		s->n++;
		const char *at = strchr(specs[i], '@');
		if (!at) {
			rc = dipr__err(DIPR_EINVAL, "--witness \"%.80s\": expected VKEY@URL (the witness's vkey, then its URL)",
				       specs[i]);
			break;
		}
		if ((rc = dipr_cosig_verifier_from_vkey(&w->v, specs[i], (size_t)(at - specs[i])))) {
			rc = dipr__err(rc, "--witness \"%.80s\": %s", specs[i], dipr_errdetail());
			break;
		}
		const char *url = at + 1;
		size_t ul = strlen(url);
		if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || ul > 2000 ||
		    strpbrk(url, " \t\r\n")) {
			rc = dipr__err(DIPR_EINVAL, "--witness \"%.80s\": URL must start with http:// or https://", specs[i]);
			break;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(dipr_cosig_verifier_name(s->w[k].v), dipr_cosig_verifier_name(w->v)) == 0)
				rc = dipr__err(DIPR_EINVAL, "--witness: witness %s is given twice",
					       dipr_cosig_verifier_name(w->v));
		if (rc)
			break;
		while (ul && url[ul - 1] == '/')
			ul--;
		w->url = malloc(ul + sizeof "/add-checkpoint");
		w->vkey = strndup(specs[i], (size_t)(at - specs[i]));
		w->h = curl_easy_init();
		w->hdrs = curl_slist_append(NULL, "Content-Type: text/plain; charset=utf-8");
		if (w->hdrs) /* no "Expect: 100-continue" round trip */
			w->hdrs = curl_slist_append(w->hdrs, "Expect:");
		if (!w->url || !w->vkey || !w->h || !w->hdrs) {
			rc = DIPR_ENOMEM;
			break;
		}
		memcpy(w->url, url, ul);
		memcpy(w->url + ul, "/add-checkpoint", sizeof "/add-checkpoint");
		dipr_buf_init(&w->req, DIPR_WITNESS_REQ_MAX);
		dipr_buf_init(&w->resp, DIPR_WITNESS_RESP_MAX);
		dipr_buf_init(&w->lines, DIPR_WITNESS_RESP_MAX);
		curl_easy_setopt(w->h, CURLOPT_URL, w->url);
		curl_easy_setopt(w->h, CURLOPT_POST, 1L);
		curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, w->hdrs);
		curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(w->h, CURLOPT_WRITEDATA, &w->resp);
		curl_easy_setopt(w->h, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(w->h, CURLOPT_USERAGENT, "dipr/" DIPR_VERSION);
		curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(w->h, CURLOPT_PRIVATE, w);
	}
	if (rc) {
		dipr_witnesses_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void dipr_witnesses_free(dipr_witnesses *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		wit *w = &s->w[i];
		if (w->h)
			curl_easy_cleanup(w->h);
		curl_slist_free_all(w->hdrs);
		dipr_cosig_verifier_free(w->v);
		free(w->url);
		free(w->vkey);
		dipr_buf_free(&w->req);
		dipr_buf_free(&w->resp);
		dipr_buf_free(&w->lines);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi);
	free(s->w);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

unsigned dipr_witnesses_quorum(const dipr_witnesses *s) { return s->quorum; }
size_t dipr_witnesses_size(const dipr_witnesses *s) { return s->n; }

/* First line of a witness's plain-text answer, printable, for messages. */
static void first_line(const dipr_buf *b, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < b->n && b->p[i] != '\n' && k + 1 < cap && k < 200; i++)
		out[k++] = b->p[i] >= 0x20 && b->p[i] < 0x7f ? (char)b->p[i] : '?';
	out[k] = 0;
}

static const char *wname(const wit *w) { return dipr_cosig_verifier_name(w->v); }

/* Builds and queues w's request: "old <known>", the proof known -> size. */
static int start(dipr_witnesses *s, wit *w, const uint8_t *note, size_t len, uint64_t size, dipr_witness_prove_fn prove,
		 void *ctx, uint64_t deadline)
{
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	int rc;
	if (w->known > size) {
		snprintf(w->err, sizeof w->err, "%s has cosigned size %llu, larger than this checkpoint's %llu: it saw "
			 "another (bigger) tree of this log, or the log lost entries", wname(w),
			 (unsigned long long)w->known, (unsigned long long)size);
		w->state = W_FAIL;
		return 0;
	}
	if (w->known > 0 && w->known < size && (rc = prove(ctx, w->known, size, proof, &plen)))
		return dipr__err(rc, "consistency proof %llu -> %llu for witness %s: %s", (unsigned long long)w->known,
				 (unsigned long long)size, wname(w), dipr_errdetail());
	if (plen > DIPR_WITNESS_MAX_PROOF)
		return dipr__err(DIPR_ERANGE, "consistency proof of %zu hashes, more than tlog-witness allows", plen);
	dipr_buf_reset(&w->req);
	dipr_buf_reset(&w->resp);
	if ((rc = dipr_witness_req_format(w->known, (const uint8_t(*)[DIPR_HASH_LEN])proof, plen, note, len, &w->req)))
		return rc;
	uint64_t now = mono_ms(), left = deadline > now ? deadline - now : 1;
	w->sent_old = w->known;
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, w->req.p);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE, (long)w->req.n);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(w->h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	if (curl_multi_add_handle(s->multi, w->h) != CURLM_OK)
		return dipr__err(DIPR_ENOMEM, "cannot start the request to witness %s", wname(w));
	w->state = W_FLIGHT;
	return 0;
}

/* Reads one finished transfer's answer. */
static void finish(dipr_witnesses *s, wit *w, CURLcode cr, const uint8_t *note, size_t len, size_t tl, uint64_t size)
{
	long status = 0;
	char line[256];
	curl_multi_remove_handle(s->multi, w->h);
	if (cr != CURLE_OK) {
		snprintf(w->err, sizeof w->err, "%s: %s", wname(w), curl_easy_strerror(cr));
		w->state = W_FAIL;
		pthread_mutex_lock(&s->mu);
		w->errors++;
		w->last_status = 0;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	w->state = W_FAIL;
	bool refused = false, fork = false;
	uint64_t known = w->known; /* set under the lock: metrics read it */
	if (status == 200) {
		uint64_t t;
		dipr_buf_reset(&w->lines);
		if (dipr_witness_resp_take(w->resp.p, w->resp.n, w->v, note, tl, &w->lines, &t) == 0) {
			w->state = W_OK;
			known = size;
		} else {
			snprintf(w->err, sizeof w->err, "%s: answer 200 without a valid cosignature: %s", wname(w),
				 dipr_errdetail());
		}
	} else if (status == 409) {
		uint64_t have;
		if (dipr_witness_size_parse(w->resp.p, w->resp.n, &have)) {
			snprintf(w->err, sizeof w->err, "%s: 409 with a malformed size: %s", wname(w), dipr_errdetail());
		} else if (have != w->sent_old) {
			/* It has cosigned another size than we thought: ask again
			 * from there, with the proof it needs. */
			known = have;
			w->state = W_SEND;
			snprintf(w->err, sizeof w->err, "%s: behind at size %llu, no time left to send it a proof", wname(w),
				 (unsigned long long)have);
		} else {
			refused = fork = true;
			snprintf(w->err, sizeof w->err, "%s refused checkpoint %llu: 409 Conflict: it cosigned another "
				 "checkpoint of size %llu (fork)", wname(w), (unsigned long long)size, (unsigned long long)have);
		}
	} else {
		first_line(&w->resp, line, sizeof line);
		refused = status == 403 || status == 404 || status == 422 || status == 400;
		fork = status == 422;
		snprintf(w->err, sizeof w->err, "%s refused checkpoint %llu: %ld%s%s", wname(w), (unsigned long long)size,
			 status, line[0] ? ": " : "", line);
	}
	pthread_mutex_lock(&s->mu);
	w->known = known;
	w->last_status = (int)status;
	if (refused) {
		w->refused++;
		w->forks += fork;
	} else if (w->state == W_FAIL) {
		w->errors++;
	}
	pthread_mutex_unlock(&s->mu);
	if (refused)
		fprintf(stderr, "dipr: WITNESS REFUSED: %s\n", w->err);
	(void)len;
}

int dipr_witnesses_cosign(dipr_witnesses *s, const uint8_t *note, size_t len, dipr_witness_prove_fn prove, void *ctx,
			  dipr_buf *out)
{
	size_t tl;
	dipr_checkpoint cp;
	uint64_t t0 = mono_ms(), deadline = t0 + s->timeout_ms;
	int rc = 0;
	if ((rc = dipr_note_parse(note, len, &tl)) || (rc = dipr_checkpoint_parse(note, tl, &cp)))
		return rc;
	for (size_t i = 0; i < s->n; i++) {
		s->w[i].state = W_SEND;
		s->w[i].err[0] = 0;
	}
	/* Round 1: everyone; round 2: those that were behind (409 with
	 * their size); a third round only if one raced with another log
	 * instance, which cannot happen with one sequencer. */
	for (int round = 0; round < 3 && !rc; round++) {
		size_t inflight = 0, nok = 0;
		for (size_t i = 0; i < s->n; i++)
			nok += s->w[i].state == W_OK;
		for (size_t i = 0; i < s->n && !rc; i++)
			if (s->w[i].state == W_SEND && mono_ms() < deadline) {
				if ((rc = start(s, &s->w[i], note, len, cp.size, prove, ctx, deadline)))
					break;
				inflight += s->w[i].state == W_FLIGHT;
			}
		uint64_t quorum_at = nok >= s->quorum ? mono_ms() : 0;
		while (inflight && !rc) {
			int running = 0, msgs;
			curl_multi_perform(s->multi, &running);
			CURLMsg *m;
			while ((m = curl_multi_info_read(s->multi, &msgs))) {
				if (m->msg != CURLMSG_DONE)
					continue;
				wit *w = NULL;
				curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&w);
				CURLcode cr = m->data.result;
				finish(s, w, cr, note, len, tl, cp.size);
				inflight--;
				if (w->state == W_OK && ++nok >= s->quorum && !quorum_at)
					quorum_at = mono_ms();
			}
			uint64_t now = mono_ms();
			bool give_up = now >= deadline || (quorum_at && now >= quorum_at + DIPR_WITNESS_GRACE_MS);
			if (give_up && inflight) {
				for (size_t i = 0; i < s->n; i++) {
					wit *w = &s->w[i];
					if (w->state != W_FLIGHT)
						continue;
					curl_multi_remove_handle(s->multi, w->h);
					w->state = W_FAIL;
					snprintf(w->err, sizeof w->err, "%s: no answer within %u ms", wname(w),
						 quorum_at ? DIPR_WITNESS_GRACE_MS : s->timeout_ms);
					pthread_mutex_lock(&s->mu);
					w->errors++;
					w->last_status = 0;
					pthread_mutex_unlock(&s->mu);
				}
				inflight = 0;
			}
			if (!inflight)
				break;
			uint64_t wait = deadline - now;
			if (quorum_at && quorum_at + DIPR_WITNESS_GRACE_MS - now < wait)
				wait = quorum_at + DIPR_WITNESS_GRACE_MS - now;
			curl_multi_poll(s->multi, NULL, 0, (int)(wait > 100 ? 100 : wait ? wait : 1), NULL);
		}
		bool again = false;
		for (size_t i = 0; i < s->n; i++)
			again |= s->w[i].state == W_SEND;
		if (!again)
			break;
	}
	/* Whatever is still marked to send ran out of time or rounds. */
	size_t nok = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->w[i].state == W_FLIGHT) /* only after an error above */
			curl_multi_remove_handle(s->multi, s->w[i].h);
		if (s->w[i].state == W_SEND || s->w[i].state == W_FLIGHT)
			s->w[i].state = W_FAIL;
		nok += s->w[i].state == W_OK;
	}
	double secs = (double)(mono_ms() - t0) / 1000.0;
	if (!rc && nok >= s->quorum) {
		size_t start_n = out->n;
		rc = dipr_buf_add(out, note, len);
		for (size_t i = 0; i < s->n && !rc; i++)
			if (s->w[i].state == W_OK)
				rc = dipr_buf_add(out, s->w[i].lines.p, s->w[i].lines.n);
		if (rc) {
			out->n = start_n;
			if (out->p)
				out->p[start_n] = 0;
		}
	}
	/* The detail: the quorum and every witness that did not cosign. */
	dipr_buf msg;
	dipr_buf_init(&msg, sizeof s->last_err - 1);
	if (!rc && nok < s->quorum) {
		dipr_buf_addf(&msg, "witness quorum not met for checkpoint %llu: %zu of %zu witnesses cosigned, %u needed",
			      (unsigned long long)cp.size, nok, s->n, s->quorum);
		for (size_t i = 0; i < s->n; i++)
			if (s->w[i].state != W_OK && dipr_buf_addf(&msg, "; %s", s->w[i].err[0] ? s->w[i].err : wname(&s->w[i])))
				break;
		rc = DIPR_EQUORUM;
	} else if (rc) {
		dipr_buf_addf(&msg, "witnesses: %s", dipr_errdetail());
	}
	pthread_mutex_lock(&s->mu);
	s->attempts++;
	s->seconds += secs;
	s->ok = rc == 0;
	snprintf(s->last_err, sizeof s->last_err, "%s", msg.p ? (const char *)msg.p : "");
	for (size_t i = 0; i < s->n; i++) {
		wit *w = &s->w[i];
		w->last_seconds = secs;
		if (w->state == W_OK) {
			w->cosigned++;
			w->cosigned_size = cp.size;
			w->last_err[0] = 0;
		} else {
			snprintf(w->last_err, sizeof w->last_err, "%s", w->err);
		}
	}
	if (rc)
		s->failures++;
	pthread_mutex_unlock(&s->mu);
	if (rc == DIPR_EQUORUM) {
		fprintf(stderr, "dipr: %s\n", (const char *)msg.p);
		rc = dipr__err(DIPR_EQUORUM, "%s", (const char *)msg.p);
	}
	dipr_buf_free(&msg);
	return rc;
}

size_t dipr_witnesses_count(dipr_witnesses *s, const uint8_t *note, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		k += dipr_cosig_verify(note, len, s->w[i].v, NULL) == 0;
	return k;
}

bool dipr_witnesses_ok(dipr_witnesses *s, char *msg, size_t cap)
{
	pthread_mutex_lock(&s->mu);
	bool ok = s->ok;
	if (msg && cap)
		snprintf(msg, cap, "%s", s->last_err);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static void label(dipr_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			dipr_buf_add(b, "\\", 1);
		dipr_buf_add(b, s, 1);
	}
}

void dipr_witnesses_metrics(dipr_witnesses *s, dipr_buf *b)
{
	static const char *const names[] = {"cosigned", "refused", "forks_refused", "errors"};
	pthread_mutex_lock(&s->mu);
	dipr_buf_addf(b,
		      "# HELP dipr_witness_quorum Cosignatures a checkpoint needs before it is published.\n"
		      "# TYPE dipr_witness_quorum gauge\ndipr_witness_quorum %u\n"
		      "# HELP dipr_witness_quorum_met 1 if the last cosigning round met the quorum.\n"
		      "# TYPE dipr_witness_quorum_met gauge\ndipr_witness_quorum_met %d\n"
		      "# TYPE dipr_witness_rounds_total counter\ndipr_witness_rounds_total %llu\n"
		      "# TYPE dipr_witness_rounds_failed_total counter\ndipr_witness_rounds_failed_total %llu\n"
		      "# HELP dipr_witness_seconds_total Time spent waiting for witnesses.\n"
		      "# TYPE dipr_witness_seconds_total counter\ndipr_witness_seconds_total %.6f\n",
		      s->quorum, s->ok ? 1 : 0, s->attempts, s->failures, s->seconds);
	for (int k = 0; k < 4; k++) {
		dipr_buf_addf(b, "# TYPE dipr_witness_%s_total counter\n", names[k]);
		for (size_t i = 0; i < s->n; i++) {
			const wit *w = &s->w[i];
			unsigned long long v = k == 0 ? w->cosigned : k == 1 ? w->refused : k == 2 ? w->forks : w->errors;
			dipr_buf_addf(b, "dipr_witness_%s_total{witness=\"", names[k]);
			label(b, wname(w));
			dipr_buf_addf(b, "\"} %llu\n", v);
		}
	}
	dipr_buf_adds(b, "# HELP dipr_witness_size Tree size the witness last cosigned, as the log knows it.\n"
			 "# TYPE dipr_witness_size gauge\n");
	for (size_t i = 0; i < s->n; i++) {
		dipr_buf_adds(b, "dipr_witness_size{witness=\"");
		label(b, wname(&s->w[i]));
		dipr_buf_addf(b, "\"} %llu\n", (unsigned long long)s->w[i].known);
	}
	pthread_mutex_unlock(&s->mu);
}

json_t *dipr_witnesses_status(dipr_witnesses *s)
{
	json_t *ws = json_array();
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++) {
		const wit *w = &s->w[i];
		json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:i}", "name", wname(w), "url", w->url, "size",
				      (json_int_t)w->known, "cosigned", (json_int_t)w->cosigned, "refused",
				      (json_int_t)w->refused, "forks_refused", (json_int_t)w->forks, "errors",
				      (json_int_t)w->errors, "last_status", w->last_status);
		if (o && w->last_err[0])
			json_object_set_new(o, "last_error", json_string(w->last_err));
		json_array_append_new(ws, o);
	}
	json_t *v = json_pack("{s:i,s:b,s:o}", "quorum", (int)s->quorum, "quorum_met", s->ok, "witnesses", ws);
	if (v && s->last_err[0])
		json_object_set_new(v, "last_error", json_string(s->last_err));
	pthread_mutex_unlock(&s->mu);
	return v;
}
