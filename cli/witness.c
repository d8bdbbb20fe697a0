/* witness.c — dipr witness init|serve: a C2SP tlog-witness.
 *
 * The witness directory W holds
 *   witness.key   the cosigning key (0600; skey, see dipr/witness.h)
 *   witness.vkey  its vkey (public)
 *   logs/<id>     per log, the last checkpoint it cosigned, verbatim as the
 *                 log signed it; <id> is hex SHA-256(origin)[:16].  Replaced
 *                 atomically (temp file, fsync, rename, fsync of logs/).
 *   evidence/     requests it refused as a fork (same size, other root; or
 *                 a consistency proof that fails), signed by the log: proof
 *                 of misbehaviour to hand to whoever must act on it.
 *   lock          flock()ed while a witness serves W: two processes on one
 *                 directory could each cosign one side of a fork.
 *
 * add-checkpoint holds one mutex from reading the stored size to storing the
 * new checkpoint, so check-and-store is atomic (tlog-witness's race of two
 * requests rolling the size back cannot happen).  Witnesses see a request
 * per log per batch at most, so one lock for all logs costs nothing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "cli/cli.h"
#include "dipr/witness.h"
#include "log/log.h"

#define MAX_LOGS 64
#define MAX_KEYS 8
#define EVIDENCE_MAX 1000 /* fork evidence files written per run */

typedef struct {
	char origin[DIPR_KEY_NAME_MAX + 1];
	char file[4200];
	dipr_verifier *keys[MAX_KEYS];
	size_t nkeys;
	dipr_hash_alg alg;
	dipr_witness_state st;
	uint64_t cosigned_at; /* unix seconds of the last cosignature, 0 none */
	unsigned long long cosigned, refused, forks;
	char last_refusal[400];
} wlog;

typedef struct {
	char dir[4096];
	dipr_cosigner *key;
	char *vkey;
	wlog logs[MAX_LOGS];
	dipr_witness_log view[MAX_LOGS]; /* what dipr_witness_open looks at */
	size_t nlogs;
	pthread_mutex_t mu; /* logs[].st and counters; check-and-store */
	struct MHD_Daemon *d;
	atomic_ullong status_count[6];
	unsigned evidence_written;
} witness;

typedef struct {
	dipr_buf body;
	bool too_large;
} wreq;

/* ---- files ---- */

static int write_atomic(const char *path, const void *data, size_t n, unsigned mode)
{
	char tmp[4300], dir[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: cannot create: %s", tmp, strerror(errno));
	if (write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return dipr__err(DIPR_EIO, "%s: write failed: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return dipr__err(DIPR_EIO, "%s: rename failed: %s", path, strerror(e));
	}
	/* The rename is durable only once the directory is. */
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		int e = errno;
		if (dfd >= 0)
			close(dfd);
		return dipr__err(DIPR_EIO, "%s: fsync of the directory failed: %s", dir, strerror(e));
	}
	close(dfd);
	return 0;
}

static void log_file(const char *dir, const char *origin, char *out, size_t cap)
{
	uint8_t h[DIPR_HASH_LEN];
	char hex[33];
	dipr_hash(DIPR_HASH_SHA256, origin, strlen(origin), h);
	dipr_hex_encode(h, 16, hex);
	snprintf(out, cap, "%s/logs/%s", dir, hex);
}

/* Loads logs/<id> of lg: the checkpoint it last cosigned.  A file that
 * does not parse, or names another origin, stops the witness: guessing
 * would risk cosigning a fork. */
static int load_state(wlog *lg)
{
	dipr_buf b;
	size_t tl;
	dipr_checkpoint c;
	dipr_buf_init(&b, DIPR_NOTE_MAX);
	int rc = dipr_read_file(lg->file, DIPR_NOTE_MAX, &b);
	if (rc == DIPR_EIO && access(lg->file, F_OK) != 0 && errno == ENOENT) {
		dipr_buf_free(&b);
		lg->st.has = false; /* never cosigned for this log */
		return 0;
	}
	if (!rc && (dipr_note_parse(b.p, b.n, &tl) || dipr_checkpoint_parse(b.p, tl, &c)))
		rc = dipr__err(DIPR_EINVAL, "%s: not a checkpoint: %s", lg->file, dipr_errdetail());
	if (!rc && strcmp(c.origin, lg->origin) != 0)
		rc = dipr__err(DIPR_EINVAL, "%s: holds a checkpoint of %s, not %s", lg->file, c.origin, lg->origin);
	if (!rc) {
		lg->st.has = true;
		lg->st.size = c.size;
		memcpy(lg->st.root, c.root, DIPR_HASH_LEN);
		struct stat st;
		if (stat(lg->file, &st) == 0)
			lg->cosigned_at = (uint64_t)st.st_mtime;
	}
	dipr_buf_free(&b);
	return rc;
}

static void keep_evidence(witness *w, const wlog *lg, const uint8_t *body, size_t n, const dipr_witness_verdict *v)
{
	char path[4300], base[40];
	struct timespec ts;
	if (w->evidence_written >= EVIDENCE_MAX)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(base, sizeof base, "%s", strrchr(lg->file, '/') + 1);
	snprintf(path, sizeof path, "%s/evidence/%s-%lld%03ld-%d.req", w->dir, base, (long long)ts.tv_sec,
		 ts.tv_nsec / 1000000, v->status);
	if (write_atomic(path, body, n, 0644) == 0) {
		w->evidence_written++;
		fprintf(stderr, "dipr witness: evidence of %s kept in %s\n", lg->origin, path);
	}
}

/* ---- HTTP ---- */

static enum MHD_Result send_text(witness *w, struct MHD_Connection *c, unsigned status, const char *type,
				 const void *body, size_t n)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	if (status / 100 < 6)
		atomic_fetch_add(&w->status_count[status / 100], 1);
	return ret;
}

static enum MHD_Result send_reason(witness *w, struct MHD_Connection *c, unsigned status, const char *reason)
{
	char line[512];
	int n = snprintf(line, sizeof line, "%s\n", reason);
	return send_text(w, c, status, "text/plain; charset=utf-8", line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static enum MHD_Result add_checkpoint(witness *w, struct MHD_Connection *c, wreq *rq)
{
	dipr_witness_req req;
	dipr_witness_verdict v;
	char msg[600];
	if (rq->too_large)
		return send_reason(w, c, 400, "add-checkpoint: body larger than a checkpoint and a 63-hash proof");
	if (dipr_witness_open(rq->body.p, rq->body.n, w->view, w->nlogs, &req, &v))
		return send_reason(w, c, 500, "out of memory");
	if (v.status) {
		if (v.log >= 0) { /* a known log whose signature failed: worth a line */
			pthread_mutex_lock(&w->mu);
			w->logs[v.log].refused++;
			snprintf(w->logs[v.log].last_refusal, sizeof w->logs[v.log].last_refusal, "%d %s", v.status, v.reason);
			pthread_mutex_unlock(&w->mu);
			fprintf(stderr, "dipr witness: refused %s size %llu: %d %s\n", v.cp.origin,
				(unsigned long long)v.cp.size, v.status, v.reason);
		}
		return send_reason(w, c, (unsigned)v.status, v.reason);
	}
	wlog *lg = &w->logs[v.log];
	dipr_buf out;
	dipr_buf_init(&out, 4096);
	enum MHD_Result ret;
	pthread_mutex_lock(&w->mu);
	dipr_witness_decide(&req, &w->view[v.log], &lg->st, &v);
	if (v.status == 200) {
		/* Store first (tlog-witness: persist before answering), then
		 * sign; a failed store cosigns nothing. */
		uint64_t now = (uint64_t)time(NULL);
		int rc = write_atomic(lg->file, req.note, req.note_len, 0644);
		if (!rc)
			rc = dipr_cosig_sign(w->key, req.note, v.text_len, now, &out);
		if (rc) {
			pthread_mutex_unlock(&w->mu);
			fprintf(stderr, "dipr witness: %s size %llu: cannot store or sign: %s\n", lg->origin,
				(unsigned long long)v.cp.size, dipr_errdetail());
			dipr_buf_free(&out);
			return send_reason(w, c, 500, "the witness cannot store its state; nothing was cosigned");
		}
		lg->st.has = true;
		lg->st.size = v.cp.size;
		memcpy(lg->st.root, v.cp.root, DIPR_HASH_LEN);
		lg->cosigned_at = now;
		lg->cosigned++;
		pthread_mutex_unlock(&w->mu);
		ret = send_text(w, c, 200, "text/plain; charset=utf-8", out.p, out.n);
		dipr_buf_free(&out);
		return ret;
	}
	lg->refused++;
	lg->forks += v.fork;
	snprintf(lg->last_refusal, sizeof lg->last_refusal, "%d %s", v.status, v.reason);
	if (v.fork)
		keep_evidence(w, lg, rq->body.p, rq->body.n, &v);
	pthread_mutex_unlock(&w->mu);
	dipr_buf_free(&out);
	/* A behind client (409 without a fork) is routine; a fork is not. */
	if (v.fork || v.status != 409)
		fprintf(stderr, "dipr witness: %s %s size %llu: %d %s\n", v.fork ? "FORK REFUSED:" : "refused",
			lg->origin, (unsigned long long)v.cp.size, v.status, v.reason);
	if (v.status == 409) {
		/* tlog-witness: the body is the stored size and a newline. */
		int n = snprintf(msg, sizeof msg, "%llu\n", (unsigned long long)v.size_for_409);
		return send_text(w, c, 409, "text/x.tlog.size", msg, (size_t)n);
	}
	return send_reason(w, c, (unsigned)v.status, v.reason);
}

static enum MHD_Result healthz(witness *w, struct MHD_Connection *c)
{
	json_t *logs = json_array();
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nlogs; i++) {
		wlog *lg = &w->logs[i];
		json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "origin", lg->origin, "tree_hash", dipr_hash_name(lg->alg),
				      "size", (json_int_t)lg->st.size, "cosigned_at", (json_int_t)lg->cosigned_at, "refusals",
				      (json_int_t)lg->refused, "forks_refused", (json_int_t)lg->forks);
		if (lg->last_refusal[0])
			json_object_set_new(o, "last_refusal", json_string(lg->last_refusal));
		json_array_append_new(logs, o);
	}
	pthread_mutex_unlock(&w->mu);
	json_t *v = json_pack("{s:s,s:s,s:s,s:o}", "status", "ok", "name", dipr_cosigner_name(w->key), "vkey", w->vkey,
			      "logs", logs);
	char *text = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!text)
		return MHD_NO;
	enum MHD_Result r = send_text(w, c, 200, "application/json", text, strlen(text));
	free(text);
	return r;
}

/* Prometheus label value: backslash, quote and newline escaped. */
static void label(dipr_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			dipr_buf_add(b, "\\", 1);
		dipr_buf_add(b, s, 1);
	}
}

static enum MHD_Result metrics(witness *w, struct MHD_Connection *c)
{
	dipr_buf b;
	dipr_buf_init(&b, 1 << 20);
	dipr_buf_adds(&b, "# HELP dipr_witness_log_size Size of the last checkpoint cosigned, per log.\n"
			  "# TYPE dipr_witness_log_size gauge\n");
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nlogs; i++) {
		dipr_buf_adds(&b, "dipr_witness_log_size{origin=\"");
		label(&b, w->logs[i].origin);
		dipr_buf_addf(&b, "\"} %llu\n", (unsigned long long)w->logs[i].st.size);
	}
	const char *names[] = {"cosigned", "refused", "forks_refused"};
	for (int k = 0; k < 3; k++) {
		dipr_buf_addf(&b, "# TYPE dipr_witness_%s_total counter\n", names[k]);
		for (size_t i = 0; i < w->nlogs; i++) {
			unsigned long long v = k == 0 ? w->logs[i].cosigned : k == 1 ? w->logs[i].refused : w->logs[i].forks;
			dipr_buf_addf(&b, "dipr_witness_%s_total{origin=\"", names[k]);
			label(&b, w->logs[i].origin);
			dipr_buf_addf(&b, "\"} %llu\n", v);
		}
	}
	pthread_mutex_unlock(&w->mu);
	dipr_buf_adds(&b, "# TYPE dipr_witness_http_responses_total counter\n");
	for (int i = 1; i < 6; i++)
		dipr_buf_addf(&b, "dipr_witness_http_responses_total{class=\"%dxx\"} %llu\n", i,
			      (unsigned long long)atomic_load(&w->status_count[i]));
	enum MHD_Result r = send_text(w, c, 200, "text/plain; version=0.0.4", b.p, b.n);
	dipr_buf_free(&b);
	return r;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	witness *w = cls;
	wreq *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		dipr_buf_init(&rq->body, DIPR_WITNESS_REQ_MAX);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_large && dipr_buf_add(&rq->body, upload, *upload_size))
			rq->too_large = true;
		*upload_size = 0;
		return MHD_YES;
	}
	bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	if (strcmp(url, "/add-checkpoint") == 0)
		return post ? add_checkpoint(w, c, rq) : send_reason(w, c, 405, "/add-checkpoint takes POST");
	if (strcmp(url, "/healthz") == 0 && get)
		return healthz(w, c);
	if (strcmp(url, "/metrics") == 0 && get)
		return metrics(w, c);
	if (strcmp(url, "/") == 0 && get) {
		char line[700];
		int n = snprintf(line, sizeof line, "dipr witness %s (C2SP tlog-witness: POST /add-checkpoint)\n%s\n",
				 dipr_cosigner_name(w->key), w->vkey);
		return send_text(w, c, 200, "text/plain; charset=utf-8", line, (size_t)n);
	}
	return send_reason(w, c, 404, "not found: the witness serves POST /add-checkpoint, GET /healthz, GET /metrics");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	wreq *rq = *con_cls;
	if (!rq)
		return;
	dipr_buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- commands ---- */

static int witness_init(int argc, char **argv)
{
	const char *dir = NULL, *name = NULL, *pos[1];
	int npos;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--name", 1, &name}, {0}};
	char path[4200], *sk = NULL, *vk = NULL;
	dipr_cosigner *s = NULL;
	int rc = 2;
	cli_cmd = "dipr witness init";
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!dir || !name)
		return cli_fail(2, "usage: dipr witness init --dir W --name NAME (NAME: the witness's key name, e.g. "
				   "witness.example.org/w1)");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cli_fail(2, "--dir %s: cannot create: %s", dir, strerror(errno));
	snprintf(path, sizeof path, "%s/witness.key", dir);
	if (access(path, F_OK) == 0)
		return cli_fail(2, "--dir %s: already a witness directory (witness.key exists)", dir);
	if (dipr_cosigner_generate(&s, name))
		return cli_fail(2, "--name: %s", dipr_errdetail());
	if (dipr_cosigner_skey(s, &sk) || dipr_cosigner_vkey(s, &vk)) {
		cli_fail(2, "witness key: %s", dipr_errdetail());
		goto done;
	}
	char sub[4200];
	snprintf(sub, sizeof sub, "%s/logs", dir);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
		cli_fail(2, "%s: cannot create: %s", sub, strerror(errno));
		goto done;
	}
	snprintf(sub, sizeof sub, "%s/evidence", dir);
	if (mkdir(sub, 0700) != 0 && errno != EEXIST) {
		cli_fail(2, "%s: cannot create: %s", sub, strerror(errno));
		goto done;
	}
	/* O_EXCL: never overwrite a key; the line, then fsync. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(sk);
	if (fd < 0 || write(fd, sk, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		cli_fail(2, "%s: cannot write: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		goto done;
	}
	close(fd);
	snprintf(path, sizeof path, "%s/witness.vkey", dir);
	char line[600];
	snprintf(line, sizeof line, "%s\n", vk);
	if (write_atomic(path, line, strlen(line), 0644)) {
		cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	printf("%s\n", vk);
	rc = 0;
done:
	if (sk) {
		OPENSSL_cleanse(sk, strlen(sk));
		free(sk);
	}
	free(vk);
	dipr_cosigner_free(s);
	return rc;
}

typedef struct {
	witness *w;
	dipr_hash_alg alg;
	const char *opt;
} log_keys_ctx;

static int add_log_key(void *ctx, const char *key, size_t n)
{
	log_keys_ctx *c = ctx;
	witness *w = c->w;
	const char *opt = c->opt;
	dipr_verifier *v = NULL;
	int rc = 0;
	if (dipr_verifier_from_vkey(&v, key, n))
		return cli_fail(2, "%s \"%.*s\": %s (the log's vkeys: dipr keys --dir D, or /log.json)", opt,
				(int)(n > 80 ? 80 : n), key, dipr_errdetail());
	/* tlog-witness: a log is identified by its origin, which is its
	 * keys' name. */
	size_t k = 0;
	while (k < w->nlogs && strcmp(w->logs[k].origin, dipr_verifier_name(v)) != 0)
		k++;
	if (k == w->nlogs) {
		if (k == MAX_LOGS) {
			dipr_verifier_free(v);
			return cli_fail(2, "%s: at most %d logs", opt, MAX_LOGS);
		}
		snprintf(w->logs[k].origin, sizeof w->logs[k].origin, "%s", dipr_verifier_name(v));
		w->logs[k].alg = c->alg;
		w->nlogs++;
	}
	wlog *lg = &w->logs[k];
	if (lg->alg != c->alg)
		rc = cli_fail(2, "%s: log %s given with both --log and --log-sm3", opt, lg->origin);
	else if (lg->nkeys == MAX_KEYS)
		rc = cli_fail(2, "%s: at most %d keys per log", opt, MAX_KEYS);
	if (rc) {
		dipr_verifier_free(v);
		return rc;
	}
	lg->keys[lg->nkeys++] = v;
	return 0;
}

/* Adds the vkey arg (or a file of vkeys) to the logs, grouped by name. */
static int add_log_keys(witness *w, const char *arg, dipr_hash_alg alg, const char *opt)
{
	log_keys_ctx c = {w, alg, opt};
	return cli_key_lines(opt, arg, add_log_key, &c);
}

static int witness_serve(int argc, char **argv)
{
	const char *dir = NULL, *listen = "127.0.0.1:8081", *threads = "2", *logs[CLI_MULTI_MAX],
		   *logs_sm3[CLI_MULTI_MAX], *pos[1];
	int nlogs = 0, nlogs_sm3 = 0, npos, rc = 2, lockfd = -1;
	cli_opt o[] = {{"--dir", 1, &dir},
		       {"--listen", 1, &listen},
		       {"--threads", 1, &threads},
		       {"--log", 1, NULL, logs, &nlogs},
		       {"--log-sm3", 1, NULL, logs_sm3, &nlogs_sm3},
		       {0}};
	witness *w = NULL;
	dipr_buf kb;
	char path[4200];
	uint64_t nthreads, port;
	cli_cmd = "dipr witness serve";
	dipr_buf_init(&kb, 4096);
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!dir || nlogs + nlogs_sm3 == 0)
		return cli_fail(2, "usage: dipr witness serve --dir W [--listen ADDR:PORT] --log VKEY... [--log-sm3 VKEY...] "
				   "(VKEY: a log's vkey or a file of them; --log-sm3 for logs with SM3 trees)");
	if (dipr_parse_u64(threads, strlen(threads), 64, &nthreads) || nthreads == 0)
		return cli_fail(2, "--threads: expected 1..64");
	const char *colon = strrchr(listen, ':');
	struct sockaddr_in sa;
	char host[64];
	memset(&sa, 0, sizeof sa);
	if (!colon || (size_t)(colon - listen) >= sizeof host || dipr_parse_u64(colon + 1, strlen(colon + 1), 65535, &port))
		return cli_fail(2, "--listen \"%s\": expected ADDR:PORT, e.g. 127.0.0.1:8081", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return cli_fail(2, "--listen \"%s\": expected an IPv4 address before the port", listen);
	w = calloc(1, sizeof *w);
	if (!w)
		return cli_fail(2, "out of memory");
	pthread_mutex_init(&w->mu, NULL);
	snprintf(w->dir, sizeof w->dir, "%s", dir);
	for (int i = 0; i < nlogs; i++)
		if (add_log_keys(w, logs[i], DIPR_HASH_SHA256, "--log"))
			goto done;
	for (int i = 0; i < nlogs_sm3; i++)
		if (add_log_keys(w, logs_sm3[i], DIPR_HASH_SM3, "--log-sm3"))
			goto done;
	snprintf(path, sizeof path, "%s/witness.key", dir);
	if (access(path, F_OK) != 0) {
		cli_fail(2, "--dir %s: not a witness directory (run dipr witness init --dir %s --name NAME)", dir, dir);
		goto done;
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		cli_fail(2, "%s: key file must not be readable by others (mode %03o, expected 600)", path,
			 (unsigned)(st.st_mode & 0777));
		goto done;
	}
	if (dipr_read_file(path, 4096, &kb)) {
		cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	while (kb.n && (kb.p[kb.n - 1] == '\n' || kb.p[kb.n - 1] == '\r'))
		kb.n--;
	if (dipr_cosigner_from_skey(&w->key, (const char *)kb.p, kb.n) || dipr_cosigner_vkey(w->key, &w->vkey)) {
		cli_fail(2, "%s: %s", path, dipr_errdetail());
		goto done;
	}
	snprintf(path, sizeof path, "%s/lock", dir);
	lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		cli_fail(2, "--dir %s: %s", dir, lockfd < 0 ? strerror(errno) : "another dipr witness serves this directory");
		goto done;
	}
	for (size_t i = 0; i < w->nlogs; i++) {
		wlog *lg = &w->logs[i];
		log_file(dir, lg->origin, lg->file, sizeof lg->file);
		if (load_state(lg)) {
			cli_fail(2, "refusing to serve: %s", dipr_errdetail());
			goto done;
		}
		w->view[i].origin = lg->origin;
		w->view[i].keys = lg->keys;
		w->view[i].nkeys = lg->nkeys;
		w->view[i].alg = lg->alg;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler,
				w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
				(unsigned)nthreads, MHD_OPTION_CONNECTION_TIMEOUT, 30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
				(size_t)131072, MHD_OPTION_NOTIFY_COMPLETED, completed, w, MHD_OPTION_END);
	if (!w->d) {
		cli_fail(2, "cannot listen on %s (address in use?)", listen);
		goto done;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	printf("dipr witness %s\nvkey: %s\n", dipr_cosigner_name(w->key), w->vkey);
	for (size_t i = 0; i < w->nlogs; i++)
		printf("log %s (%zu key%s, %s tree): cosigned up to size %llu\n", w->logs[i].origin, w->logs[i].nkeys,
		       w->logs[i].nkeys == 1 ? "" : "s", dipr_hash_name(w->logs[i].alg),
		       (unsigned long long)w->logs[i].st.size);
	printf("serving http://%s:%u/\n", host, info ? info->port : (unsigned)port);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "dipr witness: signal %d, stopping\n", sig);
	MHD_stop_daemon(w->d);
	rc = 0;
done:
	if (kb.p)
		OPENSSL_cleanse(kb.p, kb.cap);
	dipr_buf_free(&kb);
	if (lockfd >= 0)
		close(lockfd);
	if (w) {
		for (size_t i = 0; i < w->nlogs; i++)
			for (size_t k = 0; k < w->logs[i].nkeys; k++)
				dipr_verifier_free(w->logs[i].keys[k]);
		dipr_cosigner_free(w->key);
		free(w->vkey);
		pthread_mutex_destroy(&w->mu);
		free(w);
	}
	return rc;
}

int cmd_witness(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "init") == 0)
		return witness_init(argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "serve") == 0)
		return witness_serve(argc - 1, argv + 1);
	return cli_fail(2, "usage: dipr witness init --dir W --name NAME | dipr witness serve --dir W --listen ADDR:PORT "
			   "--log VKEY... [--log-sm3 VKEY...]");
}
