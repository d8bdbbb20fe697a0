/* server_int.h — shared by the server's files: the server, one request,
 * and the answer helpers (every error is JSON {"error":{code,message}}). */
#ifndef DIPR_SERVER_INT_H
#define DIPR_SERVER_INT_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include "server/params.h"
#include "server/ratelimit.h"
#include "registry/service.h"
#include "server/server.h"

struct dipr_server {
	dipr_log *log;
	dipr_registry *reg;
	struct MHD_Daemon *d;
	char dbpath[4200];
	unsigned port;
	atomic_ullong status_count[6]; /* 1xx..5xx by first digit */
	atomic_ullong evidence_ok;
	atomic_ullong rate_limited; /* 429 answers (writes and logins) */
	dipr_ratelimit *rl_write;   /* NULL: writes unlimited */
	dipr_ratelimit *rl_login_name, *rl_login_ip;
	double opts_rate;
	bool trust_proxy;
	struct in_addr proxy; /* valid if trust_proxy */
	struct dipr_forwarder *fwd; /* several nodes: writes to the sequencer */
};

enum { RQ_NEW, RQ_BODY, RQ_WAITING, RQ_ANSWERED };

typedef struct {
	int state;
	dipr_buf body;
	bool too_large, authed;
	dipr_account account;
	dipr_log_req lr;
	dipr_reg_op *op; /* a registry operation, owned */
	struct fwd_job *fwd; /* a write handed to the sequencer, owned */
	struct MHD_Connection *conn;
	dipr_server *srv;
} request;

enum MHD_Result srv_send_resp(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *type,
			      const void *body, size_t n, const char *cache);
/* Sends v (taken) as JSON. */
enum MHD_Result srv_send_json(dipr_server *s, struct MHD_Connection *c, unsigned status, json_t *v);
enum MHD_Result srv_send_error(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *code,
			       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Like srv_send_resp; retry_after (seconds, 0: none) adds Retry-After. */
enum MHD_Result srv_send_resp_retry(dipr_server *s, struct MHD_Connection *c, unsigned status, const char *type,
				    const void *body, size_t n, const char *cache, unsigned retry_after);
/* The security headers every answer carries (docs/SECURITY.md); portal
 * pages get the portal's CSP, everything else default-src 'none'. */
void srv_add_security_headers(struct MHD_Response *r, bool portal);
/* 429 {"error":{"code":"rate_limited",...}} with Retry-After. */
enum MHD_Result srv_send_limited(dipr_server *s, struct MHD_Connection *c, unsigned retry_after, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The client's address (IPv4/IPv6 text, "" if unknown): the peer, or, when
 * the peer is the trusted proxy (--trust-proxy), the last element of its
 * X-Forwarded-For.  cap >= 46. */
void srv_client_ip(dipr_server *s, struct MHD_Connection *c, char *out, size_t cap);
/* The write rate limit: account > 0 keys by account, else by client
 * address ip.  0 if allowed; else a 429 is queued in *ret and -1 returned. */
int srv_rate_write(dipr_server *s, struct MHD_Connection *c, int64_t account, const char *ip, enum MHD_Result *ret);
/* This thread's store connection; NULL if it cannot be opened. */
dipr_store *srv_thread_store(dipr_server *s);
/* Bearer-token authentication demanding role; on failure an answer has
 * been queued in *ret and -1 returned. */
int srv_authenticate(dipr_server *s, struct MHD_Connection *c, const char *role, dipr_account *a,
		     enum MHD_Result *ret);

/* The registry API (server/api.c): handles url if it is one of its
 * routes (*handled = true). */
enum MHD_Result dipr__api_route(dipr_server *s, struct MHD_Connection *c, const char *url, const char *method,
				request *rq, bool *handled);
/* Sends the answer of a finished registry operation. */
enum MHD_Result dipr__api_answer(dipr_server *s, struct MHD_Connection *c, request *rq);
/* The portal's files and page routes (server/static.c). */
enum MHD_Result dipr__static_serve(dipr_server *s, struct MHD_Connection *c, const char *url, bool *handled);
/* Largest body a route accepts. */
size_t dipr__api_body_max(const char *url);

#endif
