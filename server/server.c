/* server.c — routing, authentication, the evidence endpoint and the read
 * path.  Every error answer is JSON {"error":{"code","message"}} with a
 * fitting status; no request changes anything unless it is answered 200. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "internal.h"
#include "jcs.h"
#include "server/server_int.h"
#include "server/forward.h"
#include "store/node.h"
#include "server/evidence.h"
#include "log/witness.h"



/* One store connection per server thread (SQLite connections are not
 * shared between threads; WAL lets them all read while one writes).  A
 * pthread key rather than _Thread_local, so that the connection is closed
 * when MHD_stop_daemon joins the worker. */
static pthread_key_t store_key;
static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void store_key_free(void *p) { dipr_store_close(p); }
static void store_key_init(void) { pthread_key_create(&store_key, store_key_free); }

dipr_store *srv_thread_store(dipr_server *s)
{
	pthread_once(&store_once, store_key_init);
	dipr_store *st = pthread_getspecific(store_key);
	if (st && dipr_store_broken(st)) { /* PostgreSQL restarted or ended the session */
		dipr_store_close(st);
		pthread_setspecific(store_key, NULL);
		st = NULL;
	}
	if (!st) {
		if (dipr_store_open(&st, s->dbpath, 0) != 0)
			return NULL;
		pthread_setspecific(store_key, st);
	}
	return st;
}



/* The portal's pages may load only this server's own scripts, styles and
 * data (no inline script); every other answer (JSON, tiles, text) is data
 * that no browser should render or run: default-src 'none'. */
#define PORTAL_CSP                                                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self';"    \
	" font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define DATA_CSP "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

void srv_add_security_headers(struct MHD_Response *r, bool portal)
{
	MHD_add_response_header(r, "Content-Security-Policy", portal ? PORTAL_CSP : DATA_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
}

enum MHD_Result srv_send_resp(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *type,
			      const void *body, size_t n, const char *cache)
{
	return srv_send_resp_retry(s, c, status, type, body, n, cache, status == 503 ? 1 : 0);
}

enum MHD_Result srv_send_resp_retry(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *type,
				    const void *body, size_t n, const char *cache, unsigned retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	srv_add_security_headers(r, false);
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	if (cache)
		MHD_add_response_header(r, "Cache-Control", cache);
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"dipr\"");
	if (retry_after) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (status / 100 < 6)
		atomic_fetch_add(&s->status_count[status / 100], 1);
	return ret;
}

enum MHD_Result srv_send_json(dipr_server *s, struct MHD_Connection *c, unsigned status, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text)
		return MHD_NO;
	enum MHD_Result r = srv_send_resp(s, c, status, "application/json", text, strlen(text), "no-store");
	free(text);
	return r;
}

enum MHD_Result srv_send_error(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *code,
				  const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *v = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", msg);
	return srv_send_json(s, c, status, v);
}

enum MHD_Result srv_send_limited(dipr_server *s, struct MHD_Connection *c, unsigned retry_after, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_t *v = json_pack("{s:{s:s,s:s,s:i}}", "error", "code", "rate_limited", "message", msg, "retry_after",
			      (int)retry_after);
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		return MHD_NO;
	atomic_fetch_add(&s->rate_limited, 1);
	enum MHD_Result r =
		srv_send_resp_retry(s, c, 429, "application/json", text, strlen(text), "no-store", retry_after);
	free(text);
	return r;
}

/* ---- client address and rate limits ---- */

void srv_client_ip(dipr_server *s, struct MHD_Connection *c, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = 0;
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return;
	const struct in_addr *peer = &((const struct sockaddr_in *)ci->client_addr)->sin_addr;
	inet_ntop(AF_INET, peer, out, (socklen_t)cap);
	/* X-Forwarded-For is anyone's claim; only the proxy we were told to
	 * trust gets to name the client, and only the element it appended. */
	if (s->trust_proxy && peer->s_addr == s->proxy.s_addr) {
		const char *xff = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
		char real[INET6_ADDRSTRLEN];
		if (xff && dipr__forwarded_for(xff, real, sizeof real) == 0)
			snprintf(out, cap, "%s", real);
	}
}

int srv_rate_write(dipr_server *s, struct MHD_Connection *c, int64_t account, const char *ip, enum MHD_Result *ret)
{
	char key[80];
	unsigned wait = 0;
	if (!s->rl_write)
		return 0;
	if (account > 0)
		snprintf(key, sizeof key, "a:%lld", (long long)account);
	else
		snprintf(key, sizeof key, "ip:%s", ip);
	if (dipr__rl_take(s->rl_write, key, strlen(key), dipr__rl_now(), &wait) == 0)
		return 0;
	*ret = srv_send_limited(s, c, wait, "%s: more than %g writes per second; retry after %u s (dipr serve --rate)",
				account > 0 ? "this account" : "this address", s->opts_rate, wait);
	return -1;
}

/* ---- authentication ---- */

/* 0 and *a filled when the request carries a valid bearer token; otherwise
 * an answer has been queued and *ret set. */
int srv_authenticate(dipr_server *s, struct MHD_Connection *c, const char *role, dipr_account *a,
			enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"), *tok;
	size_t tlen;
	if (dipr__bearer_parse(h, &tok, &tlen)) {
		*ret = srv_send_error(s, c, 401, "unauthenticated", "%s (create a token with dipr token create)",
				      dipr_errdetail());
		return -1;
	}
	uint8_t hash[DIPR_HASH_LEN];
	dipr_store *st = srv_thread_store(s);
	if (!st) {
		*ret = srv_send_error(s, c, 503, "unavailable", "database unavailable");
		return -1;
	}
	/* Tokens are stored as SHA-256: the lookup compares hashes, so its
	 * timing says nothing about the token's bytes. */
	dipr_hash(DIPR_HASH_SHA256, tok, tlen, hash);
	int rc = dipr_store_token_lookup(st, hash, a);
	if (rc == DIPR_ENOTFOUND) {
		*ret = srv_send_error(s, c, 401, "unauthenticated", "Authorization: unknown or revoked token");
		return -1;
	}
	if (rc) {
		*ret = srv_send_error(s, c, 503, "unavailable", "database unavailable");
		return -1;
	}
	if (strcmp(a->role, role) != 0) {
		*ret = srv_send_error(s, c, 403, "forbidden", "this request needs the %s role; the token's account \"%s\" is %s",
				  role, a->name, a->role);
		return -1;
	}
	return 0;
}

/* ---- evidence ---- */

static void evidence_done(dipr_log_req *lr)
{
	request *rq = lr->ctx;
	/* Runs on the sequencer thread: hand the answer back to MHD. */
	MHD_resume_connection(rq->conn);
}

static enum MHD_Result evidence_post(dipr_server *s, struct MHD_Connection *c, request *rq)
{
	enum MHD_Result ret;
	json_t *in = NULL;
	char msg[600];
	if (!rq->authed && srv_authenticate(s, c, "applicant", &rq->account, &ret))
		return ret;
	if (rq->too_large)
		return srv_send_error(s, c, 413, "too_large", "body: larger than %d bytes", DIPR_BODY_MAX);
	if (dipr__json_parse(rq->body.p, rq->body.n, 8, "body", &in))
		return srv_send_error(s, c, 400, "bad_request", "%s", dipr_errdetail());
	json_t *e = dipr__evidence_build(in, &rq->lr.meta, &rq->lr.meta_len, msg, sizeof msg);
	json_decref(in);
	if (!e)
		return srv_send_error(s, c, 400, "bad_request", "%s", msg);
	/* Entry size limit (16 KiB, time included) checked before queueing. */
	dipr_buf tmp;
	dipr_buf_init(&tmp, DIPR_ENTRY_MAX - 32);
	int rc = dipr__jcs_encode(e, &tmp);
	dipr_buf_free(&tmp);
	if (rc) {
		json_decref(e);
		free(rq->lr.meta);
		rq->lr.meta = NULL;
		return srv_send_error(s, c, 413, "too_large", "entry: larger than %d bytes", DIPR_ENTRY_MAX);
	}
	rq->lr.entry = e;
	rq->lr.account = rq->account.id;
	rq->lr.done = evidence_done;
	rq->lr.ctx = rq;
	rq->conn = c;
	rq->state = RQ_WAITING;
	/* Suspend before submitting: the sequencer may answer at once. */
	MHD_suspend_connection(c);
	rc = dipr_log_submit(s->log, &rq->lr);
	if (rc) {
		MHD_resume_connection(c);
		rq->state = RQ_ANSWERED;
		dipr_log_req_clear(&rq->lr);
		if (rc == DIPR_EFULL)
			return srv_send_error(s, c, 503, "overloaded", "the log's queue is full; retry shortly");
		return srv_send_error(s, c, 503, "unavailable", "the log cannot accept entries now (%s)", dipr_strerror(rc));
	}
	return MHD_YES;
}

static enum MHD_Result evidence_answer(dipr_server *s, struct MHD_Connection *c, request *rq)
{
	rq->state = RQ_ANSWERED;
	if (rq->lr.rc == DIPR_ERANGE)
		return srv_send_error(s, c, 413, "too_large", "entry: larger than %d bytes", DIPR_ENTRY_MAX);
	if (rq->lr.rc == DIPR_EQUORUM) {
		/* Durable, but no checkpoint covering it got the witnesses'
		 * quorum in time: no receipt rather than one without them. */
		char why[1200] = "";
		if (dipr_log_witnesses(s->log))
			dipr_witnesses_ok(dipr_log_witnesses(s->log), why, sizeof why);
		return srv_send_error(s, c, 503, "witness_quorum",
				      "entry %llu is logged durably, but no receipt: %s (its receipt will be at "
				      "/api/v1/evidence/%llu once a checkpoint gets the quorum)",
				      (unsigned long long)rq->lr.index, why[0] ? why : "witness quorum not met",
				      (unsigned long long)rq->lr.index);
	}
	if (rq->lr.rc)
		return srv_send_error(s, c, 503, "unavailable", "not logged: %s", dipr_strerror(rq->lr.rc));
	dipr_store *st = srv_thread_store(s);
	dipr_buf out;
	dipr_buf_init(&out, DIPR_TLOG_PROOF_MAX);
	int rc = st ? dipr_log_receipt(s->log, st, rq->lr.index, rq->lr.entry_bytes, rq->lr.entry_len, rq->lr.cp, &out)
		    : DIPR_EIO;
	enum MHD_Result r;
	if (rc) /* logged and durable, only the receipt failed: say so */
		r = srv_send_error(s, c, 500, "receipt_failed", "entry %llu is logged; fetch its receipt from /api/v1/evidence/%llu (%s)",
			       (unsigned long long)rq->lr.index, (unsigned long long)rq->lr.index, dipr_strerror(rc));
	else {
		atomic_fetch_add(&s->evidence_ok, 1);
		r = srv_send_resp(s, c, 200, "text/plain; charset=utf-8", out.p, out.n, "no-store");
	}
	dipr_buf_free(&out);
	return r;
}

/* ---- read path ---- */

static int query_u64(struct MHD_Connection *c, const char *name, bool required, uint64_t *out, char *msg, size_t cap)
{
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	int rc = dipr__query_u64(v, DIPR_MERKLE_MAX_SIZE, out);
	if (rc == 1) {
		if (required)
			snprintf(msg, cap, "query parameter %s: missing (expected a decimal number)", name);
		return required ? -1 : 1;
	}
	if (rc) {
		snprintf(msg, cap, "query parameter %s: expected a decimal number 0..2^63-1 without sign or leading zeros",
			 name);
		return -1;
	}
	return 0;
}

static enum MHD_Result get_tile(dipr_server *s, struct MHD_Connection *c, const char *path)
{
	dipr_tile_id t;
	dipr_cp *cp = dipr_log_checkpoint(s->log);
	uint64_t size = cp->size;
	dipr_cp_release(cp);
	int prc = dipr_tile_path_parse(path, strlen(path), &t);
	if (prc == DIPR_ERANGE) /* well-formed, but no tree of 2^63 leaves has it */
		return srv_send_error(s, c, 404, "not_found", "%s", dipr_errdetail());
	if (prc)
		return srv_send_error(s, c, 400, "bad_tile_path", "%s", dipr_errdetail());
	/* Serve only what the published checkpoint covers: the count of
	 * hashes (or entries) at that tile's level in the published tree. */
	uint64_t have = t.level < 0 ? size : (t.level * 8 < 64 ? size >> (8 * t.level) : 0);
	uint64_t start = t.index * DIPR_TILE_WIDTH;
	if (t.index > (UINT64_MAX / DIPR_TILE_WIDTH) || have < start + t.width)
		return srv_send_error(s, c, 404, "not_found", "tile not in the tree of the current checkpoint (size %llu)",
				  (unsigned long long)size);
	dipr_store *st = srv_thread_store(s);
	if (!st)
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	const char *cache = "public, max-age=31536000, immutable";
	if (t.level < 0) {
		dipr_buf b;
		dipr_buf_init(&b, 256 * (DIPR_ENTRY_MAX + 2));
		int rc = dipr_store_entries_bundle(st, start, t.width, &b);
		enum MHD_Result r = rc ? srv_send_error(s, c, 500, "storage", "cannot read entries")
				       : srv_send_resp(s, c, 200, "application/octet-stream", b.p, b.n, cache);
		dipr_buf_free(&b);
		return r;
	}
	uint8_t *data = malloc(DIPR_TILE_WIDTH * DIPR_HASH_LEN);
	unsigned width = 0;
	if (!data)
		return MHD_NO;
	/* The right-edge tile of the published checkpoint is in memory. */
	dipr_cp *cp2 = dipr_log_checkpoint(s->log);
	int rc = 0;
	if (dipr_cp_tile(cp2, t.level, t.index, t.width, data))
		width = t.width;
	else
		rc = dipr_log_tile(s->log, st, t.level, t.index, data, &width);
	dipr_cp_release(cp2);
	enum MHD_Result r;
	if (rc || width < t.width)
		r = srv_send_error(s, c, 500, "storage", "tile %d/%llu missing from storage", t.level, (unsigned long long)t.index);
	else
		r = srv_send_resp(s, c, 200, "application/octet-stream", data, (size_t)t.width * DIPR_HASH_LEN, cache);
	free(data);
	return r;
}

static json_t *b64_array(const uint8_t (*h)[DIPR_HASH_LEN], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		dipr_buf b;
		dipr_buf_init(&b, 64);
		dipr_b64_encode(h[i], DIPR_HASH_LEN, &b);
		json_array_append_new(a, json_string((const char *)b.p));
		dipr_buf_free(&b);
	}
	return a;
}

static enum MHD_Result get_proof(dipr_server *s, struct MHD_Connection *c, bool inclusion)
{
	char msg[256];
	uint64_t a = 0, b = 0;
	uint8_t proof[DIPR_MERKLE_MAX_PROOF][DIPR_HASH_LEN];
	size_t plen = 0;
	dipr_hash_reader r;
	dipr_cp *cp = dipr_log_checkpoint(s->log);
	json_t *out;
	int q1 = query_u64(c, inclusion ? "index" : "from", true, &a, msg, sizeof msg), q2 = 0, rc;
	if (q1 == 0)
		q2 = query_u64(c, inclusion ? "size" : "to", false, &b, msg, sizeof msg);
	if (q1 < 0 || q2 < 0) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 400, "bad_request", "%s", msg);
	}
	if (q2 == 1)
		b = cp->size;
	if (b > cp->size || (inclusion ? a >= b : (a == 0 || a > b))) {
		unsigned long long sz = cp->size;
		dipr_cp_release(cp);
		if (inclusion)
			return srv_send_error(s, c, 400, "bad_request",
					  "index must be below size, and size at most the checkpoint size %llu", sz);
		return srv_send_error(s, c, 400, "bad_request", "need 0 < from <= to <= checkpoint size %llu", sz);
	}
	dipr_store *st = srv_thread_store(s);
	if (!st) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	}
	dipr_log_reader(s->log, st, &r);
	rc = inclusion ? dipr_merkle_prove_inclusion(dipr_log_tree_alg(s->log), a, b, &r, proof, &plen)
		       : dipr_merkle_prove_consistency(dipr_log_tree_alg(s->log), a, b, &r, proof, &plen);
	if (rc) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 500, "storage", "cannot compute the proof: %s", dipr_strerror(rc));
	}
	out = inclusion ? json_pack("{s:I,s:I}", "index", (json_int_t)a, "size", (json_int_t)b)
			: json_pack("{s:I,s:I}", "from", (json_int_t)a, "to", (json_int_t)b);
	json_object_set_new(out, "proof", b64_array((const uint8_t(*)[DIPR_HASH_LEN])proof, plen));
	if (b == cp->size)
		json_object_set_new(out, "checkpoint", json_stringn((const char *)cp->note, cp->len));
	dipr_cp_release(cp);
	return srv_send_json(s, c, 200, out);
}

static enum MHD_Result get_evidence(dipr_server *s, struct MHD_Connection *c, const char *idx)
{
	uint64_t index;
	dipr_cp *cp = dipr_log_checkpoint(s->log);
	dipr_store *st = srv_thread_store(s);
	dipr_buf e, rec;
	enum MHD_Result r;
	if (dipr_parse_u64(idx, strnlen(idx, 21), DIPR_MERKLE_MAX_SIZE, &index)) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 400, "bad_request", "evidence index: expected a decimal number");
	}
	if (index >= cp->size) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 404, "not_found", "no entry %llu in the log", (unsigned long long)index);
	}
	if (!st) {
		dipr_cp_release(cp);
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	}
	dipr_buf_init(&e, DIPR_ENTRY_MAX);
	dipr_buf_init(&rec, DIPR_TLOG_PROOF_MAX);
	int rc = dipr_store_entry(st, index, &e);
	if (!rc)
		rc = dipr_log_receipt(s->log, st, index, e.p, e.n, cp, &rec);
	if (rc) {
		r = srv_send_error(s, c, 500, "storage", "cannot read entry %llu", (unsigned long long)index);
	} else {
		json_error_t err;
		json_t *entry = json_loadb((const char *)e.p, e.n, 0, &err);
		json_t *out = json_pack("{s:I,s:o,s:s%}", "index", (json_int_t)index, "entry", entry ? entry : json_null(),
					"receipt", (const char *)rec.p, rec.n);
		r = srv_send_json(s, c, 200, out);
	}
	dipr_buf_free(&e);
	dipr_buf_free(&rec);
	dipr_cp_release(cp);
	return r;
}

static enum MHD_Result get_metrics(dipr_server *s, struct MHD_Connection *c)
{
	dipr_log_stats *st = dipr_log_get_stats(s->log);
	dipr_cp *cp = dipr_log_checkpoint(s->log);
	dipr_buf b;
	dipr_buf_init(&b, 65536);
	dipr_buf_addf(&b,
		      "# HELP dipr_tree_size Entries in the latest signed checkpoint.\n# TYPE dipr_tree_size gauge\n"
		      "dipr_tree_size %llu\n"
		      "# HELP dipr_healthy 1 while the sequencer can write and sign.\n# TYPE dipr_healthy gauge\n"
		      "dipr_healthy %d\n"
		      "# TYPE dipr_log_entries_total counter\ndipr_log_entries_total %llu\n"
		      "# TYPE dipr_log_batches_total counter\ndipr_log_batches_total %llu\n"
		      "# HELP dipr_log_commit_seconds_total Time in durable commits (fsync included).\n"
		      "# TYPE dipr_log_commit_seconds_total counter\ndipr_log_commit_seconds_total %.6f\n"
		      "# TYPE dipr_log_sign_seconds_total counter\ndipr_log_sign_seconds_total %.6f\n"
		      "# TYPE dipr_log_queue_depth gauge\ndipr_log_queue_depth %llu\n"
		      "# TYPE dipr_log_rejected_full_total counter\ndipr_log_rejected_full_total %llu\n"
		      "# TYPE dipr_log_write_failures_total counter\ndipr_log_write_failures_total %llu\n"
		      "# HELP dipr_sequencer 1 on the node that sequences (always 1 on SQLite).\n# TYPE dipr_sequencer gauge\n"
		      "dipr_sequencer %d\n"
		      "# HELP dipr_http_rate_limited_total Requests answered 429 (write and login limits).\n"
		      "# TYPE dipr_http_rate_limited_total counter\ndipr_http_rate_limited_total %llu\n",
		      (unsigned long long)cp->size, dipr_log_healthy(s->log) ? 1 : 0,
		      (unsigned long long)atomic_load(&st->entries), (unsigned long long)atomic_load(&st->batches),
		      atomic_load(&st->commit_ns) / 1e9, atomic_load(&st->sign_ns) / 1e9,
		      (unsigned long long)atomic_load(&st->queue_depth), (unsigned long long)atomic_load(&st->rejected_full),
		      (unsigned long long)atomic_load(&st->failures), dipr_log_is_sequencer(s->log) ? 1 : 0,
		      (unsigned long long)atomic_load(&s->rate_limited));
	dipr_buf_adds(&b, "# TYPE dipr_http_responses_total counter\n");
	for (int i = 1; i < 6; i++)
		dipr_buf_addf(&b, "dipr_http_responses_total{class=\"%dxx\"} %llu\n", i,
			      (unsigned long long)atomic_load(&s->status_count[i]));
	if (dipr_log_witnesses(s->log))
		dipr_witnesses_metrics(dipr_log_witnesses(s->log), &b);
	dipr_cp_release(cp);
	enum MHD_Result r = srv_send_resp(s, c, 200, "text/plain; version=0.0.4", b.p, b.n, "no-store");
	dipr_buf_free(&b);
	return r;
}

static enum MHD_Result query_len(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *n = cls;
	*n += strlen(key) + 2 + (value ? strlen(value) : 0);
	return MHD_YES;
}

static enum MHD_Result route(dipr_server *s, struct MHD_Connection *c, const char *url, const char *method,
			     request *rq)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0, post = strcmp(method, "POST") == 0;
	size_t qlen = 0;
	if (strlen(url) > DIPR_PATH_MAX)
		return srv_send_error(s, c, 414, "uri_too_long", "path: longer than %d bytes", DIPR_PATH_MAX);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, query_len, &qlen);
	if (qlen > DIPR_QUERY_MAX)
		return srv_send_error(s, c, 414, "uri_too_long", "query string: longer than %d bytes", DIPR_QUERY_MAX);
	if (s->reg) {
		bool handled = false;
		enum MHD_Result r = dipr__api_route(s, c, url, method, rq, &handled);
		if (handled)
			return r;
	}
	if (strcmp(url, "/api/v1/evidence") == 0) {
		if (!post)
			return srv_send_error(s, c, 405, "method_not_allowed", "/api/v1/evidence takes POST");
		return evidence_post(s, c, rq);
	}
	if (!get)
		return srv_send_error(s, c, 405, "method_not_allowed", "%s takes GET", url);
	if (strcmp(url, "/checkpoint") == 0) {
		dipr_cp *cp = dipr_log_checkpoint(s->log);
		enum MHD_Result r = srv_send_resp(s, c, 200, "text/plain; charset=utf-8", cp->note, cp->len, "max-age=2");
		dipr_cp_release(cp);
		return r;
	}
	if (strncmp(url, "/tile/", 6) == 0)
		return get_tile(s, c, url + 1);
	if (strcmp(url, "/log.json") == 0) {
		json_t *vk = json_array();
		const char *p = dipr_log_vkeys(s->log);
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			json_array_append_new(vk, json_stringn(p, n));
			p += n + (nl ? 1 : 0);
		}
		return srv_send_json(s, c, 200,
				 json_pack("{s:s,s:s,s:o,s:s}", "origin", dipr_log_origin(s->log), "tree_hash",
					   dipr_hash_name(dipr_log_tree_alg(s->log)), "vkeys", vk, "version", DIPR_VERSION));
	}
	if (strcmp(url, "/healthz") == 0) {
		dipr_cp *cp = dipr_log_checkpoint(s->log);
		bool ok = dipr_log_healthy(s->log);
		json_t *v = json_pack("{s:s,s:I}", "status", ok ? "ok" : "unhealthy", "tree_size", (json_int_t)cp->size);
		if (dipr_log_is_multinode(s->log))
			json_object_set_new(v, "role", json_string(dipr_log_is_sequencer(s->log) ? "sequencer" : "follower"));
		dipr_witnesses *w = dipr_log_witnesses(s->log);
		if (w) { /* no quorum: no checkpoint can be published */
			if (ok && !dipr_witnesses_ok(w, NULL, 0)) {
				ok = false;
				json_object_set_new(v, "status", json_string("witness_quorum_not_met"));
			}
			json_object_set_new(v, "witnesses", dipr_witnesses_status(w));
		}
		dipr_cp_release(cp);
		return srv_send_json(s, c, ok ? 200 : 503, v);
	}
	if (strcmp(url, "/metrics") == 0)
		return get_metrics(s, c);
	if (strcmp(url, "/api/v1/proof/inclusion") == 0)
		return get_proof(s, c, true);
	if (strcmp(url, "/api/v1/proof/consistency") == 0)
		return get_proof(s, c, false);
	if (strncmp(url, "/api/v1/evidence/", 17) == 0)
		return get_evidence(s, c, url + 17);
	if (strncmp(url, "/api/", 5) != 0 && strncmp(url, "/tile/", 6) != 0) {
		bool handled = false;
		enum MHD_Result r = dipr__static_serve(s, c, url, &handled);
		if (handled)
			return r;
	}
	return srv_send_error(s, c, 404, "not_found", "no such resource: %.200s", url);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	dipr_server *s = cls;
	request *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		dipr_buf_init(&rq->body, dipr__api_body_max(url));
		rq->srv = s;
		rq->state = RQ_BODY;
		*con_cls = rq;
		/* Refuse before reading the body: an unauthenticated or declared-
		 * oversized upload is never read (curl's Expect: 100-continue
		 * then never even sends it). */
		if (strcmp(method, "POST") == 0 && strcmp(url, "/api/v1/evidence") == 0) {
			const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
			uint64_t len;
			enum MHD_Result ret;
			if (srv_authenticate(s, c, "applicant", &rq->account, &ret)) {
				rq->state = RQ_ANSWERED;
				return ret;
			}
			rq->authed = true;
			/* Before the body: a limited client's upload is never read. */
			if (srv_rate_write(s, c, rq->account.id, "", &ret)) {
				rq->state = RQ_ANSWERED;
				return ret;
			}
			if (cl && (dipr__content_length(cl, &len) || len > DIPR_BODY_MAX)) {
				rq->state = RQ_ANSWERED;
				return srv_send_error(s, c, 413, "too_large", "body: larger than %d bytes", DIPR_BODY_MAX);
			}
		}
		return MHD_YES;
	}
	if (rq->state == RQ_WAITING)
		return rq->fwd ? dipr__fwd_answer(s, c, rq)
		       : rq->op ? dipr__api_answer(s, c, rq) : evidence_answer(s, c, rq);
	if (rq->state == RQ_ANSWERED)
		return MHD_YES;
	if (*upload_size) {
		/* Keep reading (and dropping) an oversized body so the client
		 * gets the 413 rather than a reset connection. */
		if (!rq->too_large && dipr_buf_add(&rq->body, upload, *upload_size))
			rq->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	rq->state = RQ_ANSWERED;
	if (!rq->too_large && dipr__fwd_wanted(s, c, method))
		return dipr__fwd_submit(s, c, url, method, rq);
	return route(s, c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	request *rq = *con_cls;
	if (!rq)
		return;
	/* A suspended request is only completed after it was resumed, so
	 * the sequencer is done with rq->lr here. */
	dipr_log_req_clear(&rq->lr);
	if (rq->op) {
		dipr_reg_op_clear(rq->op);
		free(rq->op);
	}
	dipr__fwd_free(rq->fwd);
	dipr_buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

static void srv_free(dipr_server *s)
{
	dipr__rl_free(s->rl_write);
	dipr__rl_free(s->rl_login_name);
	dipr__rl_free(s->rl_login_ip);
	free(s);
}

int dipr_server_start(dipr_server **out, dipr_log *log, dipr_registry *reg, const char *listen,
		      const dipr_server_opts *opts)
{
	static const dipr_server_opts defaults = {0};
	if (!opts)
		opts = &defaults;
	unsigned threads = opts->threads ? opts->threads : 2;
	unsigned max_conns = opts->max_conns ? opts->max_conns : DIPR_CONNS_MAX;
	unsigned per_ip = opts->max_conns_per_ip ? opts->max_conns_per_ip : opts->trust_proxy ? 0 : DIPR_CONNS_PER_IP;
	struct in_addr proxy;
	if (opts->trust_proxy && inet_pton(AF_INET, opts->trust_proxy, &proxy) != 1)
		return dipr__err(DIPR_EINVAL, "--trust-proxy \"%s\": expected the proxy's IPv4 address", opts->trust_proxy);
	if (!(opts->rate >= 0) || opts->rate > 1e9)
		return dipr__err(DIPR_EINVAL, "--rate: expected 0 (unlimited) or writes per second");
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(listen, ':');
	uint64_t port;
	if (!colon || (size_t)(colon - listen) >= sizeof host ||
	    dipr_parse_u64(colon + 1, strlen(colon + 1), 65535, &port))
		return dipr__err(DIPR_EINVAL, "--listen \"%s\": expected ADDR:PORT, e.g. 127.0.0.1:8080", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return dipr__err(DIPR_EINVAL, "--listen \"%s\": expected an IPv4 address before the port", listen);
	dipr_server *s = calloc(1, sizeof *s);
	if (!s)
		return DIPR_ENOMEM;
	s->log = log;
	s->reg = reg;
	s->trust_proxy = opts->trust_proxy != NULL;
	if (s->trust_proxy)
		s->proxy = proxy;
	s->opts_rate = opts->rate;
	/* 16384 keys each: ~400 KB, whatever the number of accounts or
	 * addresses (ratelimit.h evicts). */
	int rc = 0;
	if (opts->rate > 0)
		rc = dipr__rl_new(&s->rl_write, opts->rate, opts->rate * 2 < 1 ? 1 : opts->rate * 2, 16384);
	if (!rc)
		rc = dipr__rl_new(&s->rl_login_name, DIPR_LOGIN_PER_NAME / 60.0, DIPR_LOGIN_PER_NAME, 16384);
	if (!rc)
		rc = dipr__rl_new(&s->rl_login_ip, DIPR_LOGIN_PER_IP / 60.0, DIPR_LOGIN_PER_IP, 16384);
	if (rc) {
		srv_free(s);
		return rc;
	}
	snprintf(s->dbpath, sizeof s->dbpath, "%s", dipr_log_target(log));
	/* Several nodes: this one may have to hand writes to the sequencer. */
	if (dipr_log_is_multinode(log) && (rc = dipr__fwd_start(&s->fwd, s, 8))) {
		srv_free(s);
		return rc;
	}
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
					MHD_USE_ERROR_LOG,
				0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, max_conns,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
				MHD_OPTION_CONNECTION_TIMEOUT, 60, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
				MHD_OPTION_END);
	if (!s->d) {
		dipr__fwd_stop(s->fwd);
		srv_free(s);
		return dipr__err(DIPR_EIO, "cannot listen on %s (address in use?)", listen);
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : (unsigned)port;
	*out = s;
	return 0;
}

unsigned dipr_server_port(dipr_server *s) { return s->port; }

void dipr_server_stop(dipr_server *s)
{
	if (!s)
		return;
	dipr__fwd_stop(s->fwd); /* answers what it holds first */
	MHD_stop_daemon(s->d);
	srv_free(s);
}
