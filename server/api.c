/* api.c — the registry's HTTP API (/api/v1/applications, registrations,
 * notices, objections, certificates, login, audit, admin).  Every route
 * checks its role here before anything else; the state machine checks
 * again (role, ownership, state) inside the job.  Writes are registry
 * jobs: the connection is suspended until the job's batch is durable. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/crypto.h>

#include "cli/render.h"
#include "dipr/ident.h"
#include "dipr/password.h"
#include "internal.h"
#include "jcs.h"
#include "server/server_int.h"
#include "store/registry.h"

#define APP_BODY_MAX (1u << 20) /* application documents carry receipts and a sample */
#define SESSION_TTL_MS (8LL * 3600 * 1000)
#define COOKIE "dipr_session"

size_t dipr__api_body_max(const char *url)
{
	return strncmp(url, "/api/v1/applications", 20) == 0 ? APP_BODY_MAX : DIPR_BODY_MAX;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who is asking: a bearer token, a session cookie (with its CSRF header on
 * writes), or nobody (public).  -1 with an answer queued if credentials
 * were given but are not valid. */
static int api_auth(dipr_server *s, struct MHD_Connection *c, bool write, dipr_reg_actor_info *who,
		    enum MHD_Result *ret)
{
	dipr_account a;
	dipr_store *st = srv_thread_store(s);
	memset(who, 0, sizeof *who);
	snprintf(who->role, sizeof who->role, "public");
	srv_client_ip(s, c, who->ip, sizeof who->ip);
	if (!st) {
		*ret = srv_send_error(s, c, 503, "unavailable", "database unavailable");
		return -1;
	}
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
	uint8_t hash[DIPR_HASH_LEN];
	if (h) {
		const char *tok;
		size_t tlen;
		if (dipr__bearer_parse(h, &tok, &tlen)) {
			*ret = srv_send_error(s, c, 401, "unauthenticated", "%s", dipr_errdetail());
			return -1;
		}
		dipr_hash(DIPR_HASH_SHA256, tok, tlen, hash);
		int rc = dipr_store_token_lookup(st, hash, &a);
		if (rc) {
			*ret = rc == DIPR_ENOTFOUND
				       ? srv_send_error(s, c, 401, "unauthenticated", "Authorization: unknown or revoked token")
				       : srv_send_error(s, c, 503, "unavailable", "database unavailable");
			return -1;
		}
	} else if (cookie) {
		uint8_t csrf[DIPR_HASH_LEN], got[DIPR_HASH_LEN];
		if (strlen(cookie) > 128) {
			*ret = srv_send_error(s, c, 401, "unauthenticated", "session: malformed cookie");
			return -1;
		}
		dipr_hash(DIPR_HASH_SHA256, cookie, strlen(cookie), hash);
		int rc = dipr_store_session_lookup(st, hash, now_ms(), &a, csrf);
		if (rc) {
			*ret = rc == DIPR_ENOTFOUND ? srv_send_error(s, c, 401, "unauthenticated", "session: expired or logged out; log in again")
						    : srv_send_error(s, c, 503, "unavailable", "database unavailable");
			return -1;
		}
		if (write) { /* a cookie alone never authorises a write (CSRF) */
			const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
			if (t && strlen(t) <= 128)
				dipr_hash(DIPR_HASH_SHA256, t, strlen(t), got);
			if (!t || strlen(t) > 128 || CRYPTO_memcmp(got, csrf, sizeof got) != 0) {
				*ret = srv_send_error(s, c, 403, "csrf", "X-CSRF-Token: missing or wrong (it is returned by POST /api/v1/login)");
				return -1;
			}
		}
	} else {
		return 0;
	}
	who->id = a.id;
	snprintf(who->name, sizeof who->name, "%s", a.name);
	snprintf(who->role, sizeof who->role, "%s", a.role);
	return 0;
}

static bool role_is(const dipr_reg_actor_info *who, const char *role) { return strcmp(who->role, role) == 0; }

static enum MHD_Result need_role(dipr_server *s, struct MHD_Connection *c, const dipr_reg_actor_info *who,
				 const char *role)
{
	if (role_is(who, "public"))
		return srv_send_error(s, c, 401, "unauthenticated",
				      "this request needs an account with the %s role (Authorization: Bearer, or log in)", role);
	return srv_send_error(s, c, 403, "forbidden", "this request needs the %s role; account \"%s\" is %s", role,
			      who->name, who->role);
}

static int parse_body(dipr_server *s, struct MHD_Connection *c, request *rq, bool required, json_t **out,
		      enum MHD_Result *ret)
{
	*out = NULL;
	if (rq->too_large) {
		*ret = srv_send_error(s, c, 413, "too_large", "body: larger than %zu bytes", rq->body.max);
		return -1;
	}
	if (rq->body.n == 0) {
		if (required) {
			*ret = srv_send_error(s, c, 400, "bad_request", "body: required, a JSON object");
			return -1;
		}
		return 0;
	}
	if (dipr__json_parse(rq->body.p, rq->body.n, 16, "body", out)) {
		*ret = srv_send_error(s, c, 400, "bad_request", "%s", dipr_errdetail());
		return -1;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		*ret = srv_send_error(s, c, 400, "bad_request", "body: expected a JSON object");
		return -1;
	}
	return 0;
}

static void op_done(dipr_reg_op *op)
{
	request *rq = op->ctx;
	MHD_resume_connection(rq->conn);
}

/* Runs op (taken): prechecks here, then the job; the answer is sent when
 * it is durable.  A precheck refusal is audited the same way. */
static enum MHD_Result run_op(dipr_server *s, struct MHD_Connection *c, request *rq, dipr_reg_op *op, const char *method,
			      const char *url)
{
	dipr_store *st = srv_thread_store(s);
	snprintf(op->action, sizeof op->action, "%s %.50s", method, url);
	if (!st) {
		dipr_reg_op_clear(op);
		free(op);
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	}
	if (dipr_registry_precheck(s->reg, st, op))
		op->kind = DIPR_OP_AUDIT;
	op->done = op_done;
	op->ctx = rq;
	rq->op = op;
	rq->conn = c;
	rq->state = RQ_WAITING;
	MHD_suspend_connection(c);
	int rc = dipr_registry_submit(s->reg, op);
	if (rc) {
		MHD_resume_connection(c);
		rq->state = RQ_ANSWERED;
		if (rc == DIPR_EFULL)
			return srv_send_error(s, c, 503, "overloaded", "the log's queue is full; retry shortly");
		return srv_send_error(s, c, 503, "unavailable", "the log cannot accept entries now (%s)", dipr_strerror(rc));
	}
	return MHD_YES;
}

enum MHD_Result dipr__api_answer(dipr_server *s, struct MHD_Connection *c, request *rq)
{
	dipr_reg_op *op = rq->op;
	rq->state = RQ_ANSWERED;
	if (op->rc == DIPR_EQUORUM && op->answer && op->status >= 200 && op->status < 300) {
		/* The job's writes and entries are committed; only the
		 * witnesses' cosignatures of a checkpoint covering them are
		 * missing (log/log.c).  Saying "not done" would invite a
		 * repeat, which is not idempotent (a second application, a
		 * second objection): say what was done, and that it is not
		 * witnessed yet. */
		json_t *e = json_pack("{s:{s:s,s:s},s:o}", "error", "code", "witness_quorum", "message",
				      "done and durable, but no checkpoint covering it has the witnesses' quorum yet: "
				      "do not repeat it; its log entries appear once one has",
				      "result", op->answer);
		op->answer = NULL;
		return e ? srv_send_json(s, c, 503, e) : srv_send_error(s, c, 500, "internal", "out of memory");
	}
	/* A refusal wrote nothing the quorum would cover: it is the answer. */
	if (op->rc && !(op->rc == DIPR_EQUORUM && op->answer && op->status >= 400))
		return srv_send_error(s, c, 503, "unavailable", "not done: %s", dipr_strerror(op->rc));
	json_t *a = op->answer;
	op->answer = NULL;
	return srv_send_json(s, c, op->status ? op->status : 500, a ? a : json_object());
}

static dipr_reg_op *new_op(dipr_op_kind kind, const dipr_reg_actor_info *who, json_t *body)
{
	dipr_reg_op *op = calloc(1, sizeof *op);
	if (!op) {
		json_decref(body);
		return NULL;
	}
	op->kind = kind;
	op->actor = *who;
	op->body = body;
	return op;
}

/* A path segment: a decimal id (params.c). */
static bool seg_id(const char *p, size_t n, int64_t *out) { return dipr__id_parse(p, n, out) == 0; }

typedef struct {
	const char *name;
	dipr_reg_event ev;
	const char *role;
} action;

static const action app_actions[] = {
	{"submit", DIPR_REG_SUBMIT, "applicant"},
	{"withdraw", DIPR_REG_WITHDRAW, "applicant"},
	{"correction", DIPR_REG_ANSWER_CORRECTION, "applicant"},
	{"accept", DIPR_REG_ACCEPT, "examiner"},
	{"request-correction", DIPR_REG_REQUEST_CORRECTION, "examiner"},
	{"refuse", DIPR_REG_REFUSE, "examiner"},
	{NULL, 0, NULL},
};

static const action reg_actions[] = {
	{"change", DIPR_REG_REQUEST_CHANGE, "applicant"},
	{"transfer", DIPR_REG_REQUEST_TRANSFER, "applicant"},
	{"license", DIPR_REG_ADD_LICENSE, "applicant"},
	{"pledge", DIPR_REG_PLEDGE, "applicant"},
	{"release-pledge", DIPR_REG_RELEASE_PLEDGE, "applicant"},
	{"renew", DIPR_REG_RENEW, "applicant"},
	{"cancel", DIPR_REG_CANCEL, "applicant"},
	{"revoke", DIPR_REG_REVOKE, "examiner"},
	{NULL, 0, NULL},
};

static const action *find_action(const action *t, const char *name)
{
	for (; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* POST .../{id or regno}/ACTION: an event on an application (app) or a
 * registration (regno), after the action's role check. */
static enum MHD_Result event_action(dipr_server *s, struct MHD_Connection *c, request *rq, const action *table,
				    const char *sub, const dipr_reg_actor_info *who, int64_t app, const char *regno,
				    const char *method, const char *url)
{
	enum MHD_Result ret;
	json_t *body;
	const action *a = find_action(table, sub);
	if (!a)
		return srv_send_error(s, c, 404, "not_found", "no such action: %.40s", sub);
	if (strcmp(method, "POST") != 0)
		return srv_send_error(s, c, 405, "method_not_allowed", "%s takes POST", url);
	if (!role_is(who, a->role))
		return need_role(s, c, who, a->role);
	if (parse_body(s, c, rq, false, &body, &ret))
		return ret;
	dipr_reg_op *op = new_op(DIPR_OP_EVENT, who, body ? body : json_object());
	if (!op)
		return MHD_NO;
	op->event = a->ev;
	op->app = app;
	if (regno)
		snprintf(op->regno, sizeof op->regno, "%.16s", regno);
	return run_op(s, c, rq, op, method, url);
}

static enum MHD_Result login(dipr_server *s, struct MHD_Connection *c, request *rq)
{
	enum MHD_Result ret;
	json_t *b;
	dipr_store *st = srv_thread_store(s);
	if (parse_body(s, c, rq, true, &b, &ret))
		return ret;
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *pw = json_string_value(json_object_get(b, "password"));
	if (!name || !pw || json_object_size(b) != 2 || strlen(name) > 127 ||
	    json_string_length(json_object_get(b, "password")) > DIPR_PASSWORD_MAX) {
		json_decref(b);
		return srv_send_error(s, c, 400, "bad_request", "body: expected {\"name\": text, \"password\": text}");
	}
	/* Attempts are limited per account name (guessing one account's
	 * password) and per client address (trying many accounts).  Every
	 * attempt takes a token before the password is checked, so parallel
	 * guesses cannot slip through together; while limited even the right
	 * password is refused, or the limit would be an oracle. */
	char ip[INET6_ADDRSTRLEN], nkey[140], ikey[60];
	unsigned wait = 0;
	uint64_t now = dipr__rl_now();
	srv_client_ip(s, c, ip, sizeof ip);
	snprintf(nkey, sizeof nkey, "n:%s", name);
	snprintf(ikey, sizeof ikey, "ip:%s", ip);
	if (dipr__rl_take(s->rl_login_name, nkey, strlen(nkey), now, &wait)) {
		json_decref(b);
		return srv_send_limited(s, c, wait, "login: too many attempts for this account (%d per minute); retry after %u s",
					DIPR_LOGIN_PER_NAME, wait);
	}
	if (dipr__rl_take(s->rl_login_ip, ikey, strlen(ikey), now, &wait)) {
		json_decref(b);
		return srv_send_limited(s, c, wait, "login: too many attempts from this address (%d per minute); retry after %u s",
					DIPR_LOGIN_PER_IP, wait);
	}
	dipr_account a;
	char stored[DIPR_PASSWORD_HASH_MAX];
	int rc = st ? dipr_store_password_get(st, name, &a, stored, sizeof stored) : DIPR_EIO;
	/* Same work whether or not the account exists: no name oracle by timing. */
	if (rc == DIPR_ENOTFOUND) {
		char dummy[DIPR_PASSWORD_HASH_MAX];
		dipr_password_hash("not a password at all", 21, dummy);
	}
	bool ok = rc == 0 && dipr_password_verify(pw, json_string_length(json_object_get(b, "password")), stored) == 0;
	dipr_reg_actor_info who;
	memset(&who, 0, sizeof who);
	snprintf(who.role, sizeof who.role, "public");
	snprintf(who.name, sizeof who.name, "%s", name);
	snprintf(who.ip, sizeof who.ip, "%s", ip);
	json_decref(b);
	if (rc && rc != DIPR_ENOTFOUND)
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	if (!ok) {
		/* audited: a refused login is an action too */
		dipr_reg_op *op = new_op(DIPR_OP_AUDIT, &who, NULL);
		if (!op)
			return MHD_NO;
		op->status = 401;
		op->answer = dipr_registry_error("unauthenticated", "name or password: not accepted");
		return run_op(s, c, rq, op, "POST", "/api/v1/login");
	}
	/* A success forgets the name's failures and gives the address its
	 * attempt back: a user who mistyped is not left near the limit.  The
	 * address keeps its other failures, so logging into one's own account
	 * does not reset a guessing run against others. */
	dipr__rl_reset(s->rl_login_name, nkey, strlen(nkey));
	dipr__rl_refund(s->rl_login_ip, ikey, strlen(ikey), dipr__rl_now());
	uint8_t tok[32], csrf[32], th[DIPR_HASH_LEN], ch[DIPR_HASH_LEN];
	char toks[65], csrfs[65], cookie[200];
	if (dipr_random(tok, sizeof tok) || dipr_random(csrf, sizeof csrf))
		return srv_send_error(s, c, 503, "unavailable", "no randomness");
	dipr_hex_encode(tok, sizeof tok, toks);
	dipr_hex_encode(csrf, sizeof csrf, csrfs);
	dipr_hash(DIPR_HASH_SHA256, toks, 64, th);
	dipr_hash(DIPR_HASH_SHA256, csrfs, 64, ch);
	if (dipr_store_session_add(st, a.id, th, ch, now_ms() + SESSION_TTL_MS))
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");
	snprintf(cookie, sizeof cookie, COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", toks,
		 SESSION_TTL_MS / 1000);
	json_t *v = json_pack("{s:s,s:s,s:s}", "account", a.name, "role", a.role, "csrf", csrfs);
	char *text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	srv_add_security_headers(r, false);
	MHD_add_response_header(r, "Set-Cookie", cookie);
	enum MHD_Result res = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->status_count[2], 1);
	OPENSSL_cleanse(tok, sizeof tok);
	OPENSSL_cleanse(toks, sizeof toks);
	return res;
}

static enum MHD_Result logout(dipr_server *s, struct MHD_Connection *c)
{
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, COOKIE);
	dipr_store *st = srv_thread_store(s);
	if (cookie && st && strlen(cookie) <= 128) {
		uint8_t h[DIPR_HASH_LEN];
		dipr_hash(DIPR_HASH_SHA256, cookie, strlen(cookie), h);
		dipr_store_session_delete(st, h);
	}
	const char *body = "{\"ok\":true}";
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	srv_add_security_headers(r, false);
	MHD_add_response_header(r, "Set-Cookie", COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	enum MHD_Result res = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	atomic_fetch_add(&s->status_count[2], 1);
	return res;
}

static enum MHD_Result answer(dipr_server *s, struct MHD_Connection *c, unsigned status, json_t *v)
{
	return srv_send_json(s, c, status, v);
}

static const char *query(struct MHD_Connection *c, const char *k)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

enum MHD_Result dipr__api_route(dipr_server *s, struct MHD_Connection *c, const char *url, const char *method,
				request *rq, bool *handled)
{
	static const char *const prefixes[] = {"applications", "registrations", "notices", "objections", "certificates",
					       "login", "logout", "me", "audit", "admin", NULL};
	dipr_api_path path;
	int prc = dipr__api_path_parse(url, strlen(url), &path);
	size_t k;
	for (k = 0; prefixes[k] && strcmp(prefixes[k], path.res) != 0; k++)
		;
	if (!prefixes[k])
		return MHD_NO;
	*handled = true;
	if (prc)
		return srv_send_error(s, c, 404, "not_found", "no such resource: %.200s (%s)", url, dipr_errdetail());
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0, post = strcmp(method, "POST") == 0,
	     put = strcmp(method, "PUT") == 0;
	const char *r0 = prefixes[k];
	char *key = path.key, *sub = path.sub;
	int n = path.n;

	enum MHD_Result ret;
	dipr_reg_actor_info who;
	json_t *out = NULL, *body = NULL;
	unsigned st;
	dipr_store *store = srv_thread_store(s);
	if (!store)
		return srv_send_error(s, c, 503, "unavailable", "database unavailable");

	if (strcmp(r0, "login") == 0 && n == 1) {
		if (!post)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes POST", url);
		return login(s, c, rq);
	}
	if (strcmp(r0, "logout") == 0 && n == 1) {
		if (!post)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes POST", url);
		return logout(s, c);
	}
	if (api_auth(s, c, !get, &who, &ret))
		return ret;
	/* Every write past this point is limited per account (or per address
	 * for anonymous objections): dipr serve --rate. */
	if (!get && srv_rate_write(s, c, who.id, who.ip, &ret))
		return ret;
	if (strcmp(r0, "me") == 0 && n == 1) {
		if (!get)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes GET", url);
		return answer(s, c, 200, json_pack("{s:s,s:s}", "account", who.name, "role", who.role));
	}

	/* ---- applications ---- */
	if (strcmp(r0, "applications") == 0) {
		int64_t id = 0;
		if (n >= 2 && !seg_id(key, strlen(key), &id))
			return srv_send_error(s, c, 404, "not_found", "application %.40s: expected a number", key);
		if (n == 1 && get) {
			if (!role_is(&who, "applicant") && !role_is(&who, "examiner"))
				return need_role(s, c, &who, "applicant or examiner");
			const char *q = query(c, "q"), *states = query(c, "state");
			if (dipr__query_text(q, DIPR_TEXT_PARAM_MAX) || dipr__query_text(states, DIPR_TEXT_PARAM_MAX))
				return srv_send_error(s, c, 400, "bad_request", "query parameters q, state: at most %d bytes of UTF-8",
						      DIPR_TEXT_PARAM_MAX);
			st = dipr_registry_read_apps(s->reg, store, &who, states, q, &out);
			return answer(s, c, st, out);
		}
		if (n == 1 && post) {
			if (!role_is(&who, "applicant"))
				return need_role(s, c, &who, "applicant");
			if (parse_body(s, c, rq, true, &body, &ret))
				return ret;
			dipr_reg_op *op = new_op(DIPR_OP_CREATE, &who, body);
			return op ? run_op(s, c, rq, op, method, url) : MHD_NO;
		}
		if (n == 2 && get) {
			if (!role_is(&who, "applicant") && !role_is(&who, "examiner"))
				return need_role(s, c, &who, "applicant or examiner");
			st = dipr_registry_read_app(s->reg, store, &who, id, &out);
			return answer(s, c, st, out);
		}
		if (n == 2 && put) {
			if (!role_is(&who, "applicant"))
				return need_role(s, c, &who, "applicant");
			if (parse_body(s, c, rq, true, &body, &ret))
				return ret;
			dipr_reg_op *op = new_op(DIPR_OP_EVENT, &who, body);
			if (!op)
				return MHD_NO;
			op->event = DIPR_REG_SAVE_DRAFT;
			op->app = id;
			return run_op(s, c, rq, op, method, url);
		}
		if (n == 3)
			return event_action(s, c, rq, app_actions, sub, &who, id, NULL, method, url);
		return srv_send_error(s, c, 405, "method_not_allowed", "%s does not take %s", url, method);
	}

	/* ---- public notices ---- */
	if (strcmp(r0, "notices") == 0 && n == 1) {
		if (!get)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes GET", url);
		st = dipr_registry_read_notices(s->reg, store, &out);
		return answer(s, c, st, out);
	}

	/* ---- objections ---- */
	if (strcmp(r0, "objections") == 0) {
		int64_t id = 0;
		if (n >= 2 && !seg_id(key, strlen(key), &id))
			return srv_send_error(s, c, 404, "not_found", "objection %.40s: expected a number", key);
		if (n == 1 && post) { /* anyone, with or without an account */
			if (parse_body(s, c, rq, true, &body, &ret))
				return ret;
			json_t *app = json_object_get(body, "application");
			if (!json_is_integer(app) || json_integer_value(app) < 1) {
				json_decref(body);
				return srv_send_error(s, c, 400, "bad_request", "body.application: required, the application number under notice");
			}
			dipr_reg_op *op = new_op(DIPR_OP_OBJECT, &who, body);
			if (!op)
				return MHD_NO;
			op->app = json_integer_value(app);
			return run_op(s, c, rq, op, method, url);
		}
		if (n == 1 && get) {
			if (!role_is(&who, "examiner"))
				return need_role(s, c, &who, "examiner");
			const char *state = query(c, "state");
			if (dipr__query_text(state, 20))
				return srv_send_error(s, c, 400, "bad_request", "query parameter state: at most 20 bytes of UTF-8");
			st = dipr_registry_read_objections(s->reg, store, state, &out);
			return answer(s, c, st, out);
		}
		if (n == 2 && get) {
			st = dipr_registry_read_objection(s->reg, store, &who, id, query(c, "key"), &out);
			return answer(s, c, st, out);
		}
		if (n == 3 && (strcmp(sub, "uphold") == 0 || strcmp(sub, "dismiss") == 0)) {
			if (!post)
				return srv_send_error(s, c, 405, "method_not_allowed", "%s takes POST", url);
			if (!role_is(&who, "examiner"))
				return need_role(s, c, &who, "examiner");
			if (parse_body(s, c, rq, true, &body, &ret))
				return ret;
			dipr_reg_op *op = new_op(DIPR_OP_DECIDE, &who, body);
			if (!op)
				return MHD_NO;
			op->objection = id;
			op->uphold = strcmp(sub, "uphold") == 0;
			return run_op(s, c, rq, op, method, url);
		}
		return srv_send_error(s, c, n == 3 ? 404 : 405, n == 3 ? "not_found" : "method_not_allowed", "%s: no such action or method %s", url, method);
	}

	/* ---- registrations (public record) ---- */
	if (strcmp(r0, "registrations") == 0) {
		if (n >= 2 && dipr_regno_parse(key, strlen(key), NULL))
			return srv_send_error(s, c, 404, "not_found", "registration %.40s: %s", key, dipr_errdetail());
		if (n == 1 && get) {
			const char *q = query(c, "q");
			if (dipr__query_text(q, DIPR_TEXT_PARAM_MAX))
				return srv_send_error(s, c, 400, "bad_request", "query parameter q: at most %d bytes of UTF-8",
						      DIPR_TEXT_PARAM_MAX);
			st = dipr_registry_search(s->reg, store, q, &out);
			return answer(s, c, st, out);
		}
		if (n == 2 && get) {
			st = dipr_registry_read_record(s->reg, store, key, &out);
			return answer(s, c, st, out);
		}
		if (n == 3)
			return event_action(s, c, rq, reg_actions, sub, &who, 0, key, method, url);
		return srv_send_error(s, c, 405, "method_not_allowed", "%s does not take %s", url, method);
	}

	/* ---- certificates ---- */
	if (strcmp(r0, "certificates") == 0 && n == 2) {
		if (!get)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes GET", url);
		/* CERTNO.pdf: the printable page (cli/render.c) */
		bool pdf;
		char certno[DIPR_CERTNO_LEN + 1];
		if (dipr__cert_key_parse(key, strlen(key), certno, &pdf))
			return srv_send_error(s, c, 404, "not_found", "certificate %.40s: %s", key, dipr_errdetail());
		key = certno;
		char *text = NULL;
		st = dipr_registry_read_cert(s->reg, store, key, &text, &out);
		if (st != 200)
			return answer(s, c, st, out);
		if (pdf) {
			size_t nv;
			dipr_verifier *const *vs = dipr_log_verifiers(s->log, &nv);
			dipr_buf b;
			dipr_buf_init(&b, 16u << 20);
			int rc = dipr_cert_render_pdf((const uint8_t *)text, strlen(text), vs, nv, &b);
			free(text);
			enum MHD_Result r = rc ? srv_send_error(s, c, 500, "render_failed", "certificate %s: cannot render the PDF", key)
					       : srv_send_resp(s, c, 200, "application/pdf", b.p, b.n, "no-store");
			dipr_buf_free(&b);
			return r;
		}
		enum MHD_Result r = srv_send_resp(s, c, 200, "application/json", text, strlen(text), "no-store");
		free(text);
		return r;
	}

	/* ---- audit trail and administration ---- */
	if (strcmp(r0, "audit") == 0 && n == 1) {
		if (!get)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes GET", url);
		if (!role_is(&who, "admin"))
			return need_role(s, c, &who, "admin");
		uint64_t before = 0, limit = 100;
		const char *b = query(c, "before"), *l = query(c, "limit");
		if (dipr__query_u64(b, (uint64_t)INT64_MAX, &before) < 0 || dipr__query_u64(l, 1000, &limit) < 0 || limit == 0)
			return srv_send_error(s, c, 400, "bad_request", "query parameters before (a number), limit (1..1000)");
		if (dipr_store_audit_list(store, (int64_t)before, (int64_t)limit, &out))
			return srv_send_error(s, c, 503, "unavailable", "database unavailable");
		return answer(s, c, 200, json_pack("{s:o}", "audit", out));
	}
	if (strcmp(r0, "admin") == 0 && n == 2 && (strcmp(key, "clock") == 0 || strcmp(key, "tick") == 0)) {
		if (get && strcmp(key, "clock") == 0) {
			char d[DIPR_DATE_STRLEN];
			dipr_date_format(dipr_registry_today(s->reg), d);
			return answer(s, c, 200, json_pack("{s:s,s:b}", "today", d, "test_clock",
							  dipr_registry_has_test_clock(s->reg)));
		}
		if (!post)
			return srv_send_error(s, c, 405, "method_not_allowed", "%s takes %s", url,
					      strcmp(key, "clock") == 0 ? "GET or POST" : "POST");
		if (!role_is(&who, "admin"))
			return need_role(s, c, &who, "admin");
		if (strcmp(key, "clock") == 0) {
			if (!dipr_registry_has_test_clock(s->reg))
				return srv_send_error(s, c, 403, "forbidden",
						      "this data directory has no test clock (only dipr init --test-clock makes one)");
			if (parse_body(s, c, rq, true, &body, &ret))
				return ret;
			const char *t = json_string_value(json_object_get(body, "today"));
			dipr_date d;
			if (!t || json_object_size(body) != 1 || dipr_date_parse(t, strlen(t), &d)) {
				json_decref(body);
				return srv_send_error(s, c, 400, "bad_request", "body: expected {\"today\": \"YYYY-MM-DD\"}");
			}
			json_decref(body);
			/* Blocks this thread until every record is ticked. */
			if (dipr_registry_set_today(s->reg, d))
				return srv_send_error(s, c, 503, "unavailable", "%s", dipr_errdetail());
			char ds[DIPR_DATE_STRLEN];
			dipr_date_format(dipr_registry_today(s->reg), ds);
			return answer(s, c, 200, json_pack("{s:s,s:b}", "today", ds, "test_clock", true));
		}
		dipr_reg_op *op = new_op(DIPR_OP_TICK_ALL, &who, NULL);
		return op ? run_op(s, c, rq, op, method, url) : MHD_NO;
	}
	return srv_send_error(s, c, 404, "not_found", "no such resource: %.200s", url);
}
