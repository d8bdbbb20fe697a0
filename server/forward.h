/* forward.h — several nodes on one PostgreSQL database: a node that is not
 * the sequencer hands every write request to the one that is, over HTTP,
 * and relays its answer (docs/POSTGRES.md §3).  A write is acknowledged
 * only after the sequencer answered it, so "nothing acknowledged is lost"
 * holds across nodes; if the sequencer dies mid-request the client gets
 * 503 sequencer_changed (not acknowledged) and may retry. */
#ifndef DIPR_SERVER_FORWARD_H
#define DIPR_SERVER_FORWARD_H

#include <stdbool.h>
#include "server/server_int.h"

typedef struct dipr_forwarder dipr_forwarder; /* struct tag used in server_int.h */
typedef struct fwd_job fwd_job;

/* Worker threads with their own HTTP client and store connection. */
int dipr__fwd_start(dipr_forwarder **out, dipr_server *s, unsigned workers);
void dipr__fwd_stop(dipr_forwarder *f);

/* Whether this request must go to the sequencer (this node is not it, the
 * method writes, and the request was not forwarded to us already). */
bool dipr__fwd_wanted(dipr_server *s, struct MHD_Connection *c, const char *method);
/* Suspends the connection and queues the request; its answer comes back
 * through dipr__fwd_answer when the connection resumes. */
enum MHD_Result dipr__fwd_submit(dipr_server *s, struct MHD_Connection *c, const char *url, const char *method,
				 request *rq);
enum MHD_Result dipr__fwd_answer(dipr_server *s, struct MHD_Connection *c, request *rq);
void dipr__fwd_free(fwd_job *j);

#endif
