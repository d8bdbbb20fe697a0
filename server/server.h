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

/* listen is "ADDR:PORT" (IPv4; PORT 0 picks a free one). */
typedef struct dipr_registry dipr_registry;
/* reg may be NULL: then only the log's endpoints are served. */
int dipr_server_start(dipr_server **out, dipr_log *log, dipr_registry *reg, const char *listen, unsigned threads);
/* The bound port. */
unsigned dipr_server_port(dipr_server *s);
void dipr_server_stop(dipr_server *s);

#endif
