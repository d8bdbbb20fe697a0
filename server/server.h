/* server.h — dipr's HTTP server: the tlog-tiles read path, the evidence
 * API, health and metrics.  libmicrohttpd with an internal epoll thread
 * pool; a submission suspends its connection until the sequencer answers,
 * so waiting clients hold no thread. */
#ifndef DIPR_SERVER_H
#define DIPR_SERVER_H

#include "log/log.h"

#define DIPR_BODY_MAX 65536      /* request body */
#define DIPR_META_MAX 8192       /* canonical evidence metadata */

typedef struct dipr_server dipr_server;

/* Limits of one server (docs/SECURITY.md explains the defaults).  Zero
 * members take the default. */
typedef struct {
	unsigned threads;          /* HTTP worker threads; default 2 */
	unsigned max_conns;        /* open connections in all; default 4096 */
	unsigned max_conns_per_ip; /* open connections from one address; default
				      DIPR_CONNS_PER_IP, none when trust_proxy is set
				      (every connection then comes from the proxy) */
	double rate;               /* authenticated API writes per second per
				      account (unauthenticated writes: per client
				      address), burst 2x; 0 = unlimited */
	const char *trust_proxy;   /* IPv4 address of a reverse proxy whose
				      X-Forwarded-For names the client; NULL = none */
} dipr_server_opts;

#define DIPR_CONNS_MAX 4096
#define DIPR_CONNS_PER_IP 256
/* Login attempts: per account name and per client address, refilled
 * over a minute; a successful login resets its name's count. */
#define DIPR_LOGIN_PER_NAME 5
#define DIPR_LOGIN_PER_IP 20

/* listen is "ADDR:PORT" (IPv4; PORT 0 picks a free one). */
typedef struct dipr_registry dipr_registry;
/* reg may be NULL: then only the log's endpoints are served.  opts may be
 * NULL (every default). */
int dipr_server_start(dipr_server **out, dipr_log *log, dipr_registry *reg, const char *listen,
		      const dipr_server_opts *opts);
/* The bound port. */
unsigned dipr_server_port(dipr_server *s);
void dipr_server_stop(dipr_server *s);

#endif
