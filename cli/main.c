/* main.c — the dipr command (DESIGN.md "Command line").
 * Exit status: 0 ok/verified, 1 verification failed, 2 usage or input
 * error.  Errors are one line on stderr naming the input, the field and
 * what was expected. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "jcs.h"
#include "cli/cli.h"
#include "cli/backup.h"
#include "cli/http.h"
#include "cli/records.h"
#include "cli/render.h"
#include "log/log.h"
#include "log/witness.h"
#include "server/server.h"
#include "store/node.h"
#include "registry/service.h"

const char *cli_cmd = "dipr";

int cli_fail(int status, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* ---- option parsing: --name VALUE or --name=VALUE; repeatable ---- */

int cli_parse(int argc, char **argv, cli_opt *opts, const char **pos, int *npos, int maxpos)
{
	*npos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (*npos >= maxpos)
				return cli_fail(2, "unexpected argument \"%s\"", a);
			pos[(*npos)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++) {
				if (*npos >= maxpos)
					return cli_fail(2, "unexpected argument \"%s\"", argv[i]);
				pos[(*npos)++] = argv[i];
			}
			break;
		}
		const char *eq = strchr(a, '=');
		size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
		cli_opt *o = opts;
		for (; o->name; o++)
			if (strlen(o->name) == nlen && strncmp(o->name, a, nlen) == 0)
				break;
		if (!o->name)
			return cli_fail(2, "unknown option %.*s (see dipr help)", (int)nlen, a);
		if (!o->has_arg) {
			if (eq)
				return cli_fail(2, "option %s takes no value", o->name);
			*o->flag = 1;
			continue;
		}
		const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!v)
			return cli_fail(2, "option %s needs a value", o->name);
		if (o->nvals) {
			if (*o->nvals >= CLI_MULTI_MAX)
				return cli_fail(2, "option %s given too often", o->name);
			o->vals[(*o->nvals)++] = v;
		} else {
			*o->val = v;
		}
	}
	return 0;
}

/* ---- init / keys / user / token ---- */

static int cmd_init(int argc, char **argv)
{
	const char *dir = "data", *origin = NULL, *th = "sha256", *db = NULL, *pos[1];
	int npos, test_clock = 0;
	cli_opt o[] = {{"--dir", 1, &dir},
		       {"--origin", 1, &origin},
		       {"--tree-hash", 1, &th},
		       {"--db", 1, &db},
		       {"--test-clock", 0, NULL, NULL, NULL, &test_clock},
		       {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	dipr_hash_alg alg;
	if (dipr_hash_parse(th, strlen(th), &alg))
		return cli_fail(2, "--tree-hash: %s", dipr_errdetail());
	if (db && strncmp(db, "sqlite:", 7) == 0)
		db = NULL; /* the default: dir/dipr.db */
	if (db && !dipr_store_target_is_pg(db))
		return cli_fail(2, "--db %s: expected postgres://... or postgresql://... (or sqlite: for dir/dipr.db)", db);
	char def_origin[300];
	if (!origin) {
		char host[256] = "localhost";
		gethostname(host, sizeof host - 1);
		snprintf(def_origin, sizeof def_origin, "%s/dipr", host);
		origin = def_origin;
	}
	char *vkeys = NULL;
	int rc = dipr_log_init_db(dir, origin, alg, db, &vkeys);
	if (rc)
		return cli_fail(2, "%s", dipr_errdetail()[0] ? dipr_errdetail() : dipr_strerror(rc));
	if (test_clock) {
		/* A property of this directory for good: production directories
		 * are made without it and can never move their clock. */
		char path[4200];
		dipr_store *st = NULL;
		if ((rc = dipr_store_target(dir, path, sizeof path)) || (rc = dipr_store_open(&st, path, 0)) || (rc = dipr_store_meta_set(st, "test_clock", "1"))) {
			dipr_store_close(st);
			free(vkeys);
			return cli_fail(2, "%s: %s", dir, dipr_errdetail());
		}
		dipr_store_close(st);
		printf("TEST CLOCK: admins of this directory can move its date (for tests only)\n");
	}
	printf("created %s for log %s (tree hash %s)\nvkeys:\n%s", dir, origin, th, vkeys);
	free(vkeys);
	return 0;
}

static int open_store(const char *dir, dipr_store **s)
{
	char path[4200];
	if (dipr_store_target(dir, path, sizeof path))
		return cli_fail(2, "%s", dipr_errdetail());
	if (dipr_store_open(s, path, 0))
		return cli_fail(2, "--dir %s: %s", dir, dipr_errdetail()); /* detail names the database, password hidden */
	return 0;
}

static int cmd_keys(int argc, char **argv)
{
	const char *dir = "data", *pos[1];
	int npos;
	cli_opt o[] = {{"--dir", 1, &dir}, {0}};
	dipr_store *s;
	char v[1024];
	if (cli_parse(argc, argv, o, pos, &npos, 0) || open_store(dir, &s))
		return 2;
	const char *keys[] = {"vkey_ed25519", "vkey_sm2"};
	for (int i = 0; i < 2; i++) {
		if (dipr_store_meta_get(s, keys[i], v, sizeof v)) {
			dipr_store_close(s);
			return cli_fail(2, "%s: no %s recorded", dir, keys[i]);
		}
		printf("%s\n", v);
	}
	dipr_store_close(s);
	return 0;
}

/* Reads one line from stdin as a password into buf (cap bytes, not NUL-
 * terminated), stripping "\n" or "\r\n"; *n is its length.  read(2) a byte
 * at a time, not stdio: no copy is left behind in a FILE buffer, and the
 * rest of stdin stays unread.  Prints the error itself. */
static int read_password(char *buf, size_t cap, size_t *n)
{
	size_t k = 0;
	bool any = false;
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cli_fail(2, "password: cannot read stdin: %s", strerror(errno));
		if (r == 0)
			break;
		any = true;
		if (c == '\n')
			break;
		if (k == cap) {
			OPENSSL_cleanse(buf, cap);
			return cli_fail(2, "password: at most %d characters", DIPR_PASSWORD_MAX);
		}
		buf[k++] = c;
	}
	if (!any)
		return cli_fail(2, "password: expected one line on stdin");
	if (k && buf[k - 1] == '\r')
		k--;
	*n = k;
	return 0;
}

/* The password line from stdin, hashed into hash.  Prints the error itself. */
static int read_password_hash(char hash[DIPR_PASSWORD_HASH_MAX])
{
	char pw[DIPR_PASSWORD_MAX + 1]; /* + the '\r' of a CRLF line */
	size_t n = 0;
	int rc = read_password(pw, sizeof pw, &n);
	if (!rc && dipr_password_hash(pw, n, hash))
		rc = cli_fail(2, "%s", dipr_errdetail());
	OPENSSL_cleanse(pw, sizeof pw);
	return rc;
}

static int cmd_user(int argc, char **argv)
{
	const char *dir = "data", *role = NULL, *pos[2];
	int npos, pw_stdin = 0, rc;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--role", 1, &role}, {"--password-stdin", 0, NULL, NULL, NULL, &pw_stdin}, {0}};
	dipr_store *s;
	dipr_account a;
	char hash[DIPR_PASSWORD_HASH_MAX];
	if (cli_parse(argc, argv, o, pos, &npos, 2))
		return 2;
	bool add = npos == 2 && strcmp(pos[0], "add") == 0, passwd = npos == 2 && strcmp(pos[0], "passwd") == 0;
	if (!add && !passwd)
		return cli_fail(2, "usage: dipr user add NAME --role applicant|examiner|admin [--dir D] [--password-stdin]"
				   " | dipr user passwd NAME [--dir D] (password on stdin)");
	cli_cmd = add ? "dipr user add" : "dipr user passwd";
	if (passwd) {
		if (role)
			return cli_fail(2, "--role: only for dipr user add");
		if (open_store(dir, &s))
			return 2;
		if (dipr_store_account_get(s, pos[1], &a)) {
			dipr_store_close(s);
			return cli_fail(2, "user %s: no such account (dipr user add)", pos[1]);
		}
		if (read_password_hash(hash)) {
			dipr_store_close(s);
			return 2;
		}
		rc = dipr_store_password_set(s, a.id, hash);
		dipr_store_close(s);
		OPENSSL_cleanse(hash, sizeof hash);
		if (rc)
			return cli_fail(2, "%s", dipr_errdetail());
		printf("password set for %s\n", pos[1]);
		return 0;
	}
	if (!role || (strcmp(role, "applicant") && strcmp(role, "examiner") && strcmp(role, "admin")))
		return cli_fail(2, "--role: expected applicant, examiner or admin");
	size_t n = strlen(pos[1]);
	if (n == 0 || n > 64 || !dipr__utf8_valid((const uint8_t *)pos[1], n) || strpbrk(pos[1], " \t\r\n"))
		return cli_fail(2, "user name \"%s\": expected 1-64 characters of UTF-8 without spaces", pos[1]);
	/* The password is checked before anything is written, and the
	 * account and its password commit together (one savepoint). */
	if (pw_stdin && read_password_hash(hash))
		return 2;
	if (open_store(dir, &s))
		return 2;
	int64_t id;
	if (!(rc = dipr_store_savepoint(s))) {
		if (!(rc = dipr_store_account_add(s, pos[1], role, &id)) && pw_stdin)
			rc = dipr_store_password_set(s, id, hash);
		if (rc)
			dipr_store_rollback_to(s);
		else
			rc = dipr_store_release(s);
	}
	dipr_store_close(s);
	OPENSSL_cleanse(hash, sizeof hash);
	if (rc)
		return cli_fail(2, "%s", dipr_errdetail());
	printf("added %s (%s%s)\n", pos[1], role, pw_stdin ? ", with a password" : "");
	return 0;
}

static int cmd_token(int argc, char **argv)
{
	const char *dir = "data", *user = NULL, *pos[1];
	int npos;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--user", 1, &user}, {0}};
	dipr_store *s;
	dipr_account a;
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (npos != 1 || strcmp(pos[0], "create") != 0 || !user)
		return cli_fail(2, "usage: dipr token create --user NAME [--dir D]");
	if (open_store(dir, &s))
		return 2;
	if (dipr_store_account_get(s, user, &a)) {
		dipr_store_close(s);
		return cli_fail(2, "--user %s: no such account (dipr user add)", user);
	}
	/* 256 random bits; stored as SHA-256 only, so the database never
	 * holds a usable token. (A slow KDF adds nothing at this entropy.) */
	uint8_t raw[32], hash[32];
	char tok[5 + 65];
	memcpy(tok, "dipr_", 5);
	if (dipr_random(raw, sizeof raw)) {
		dipr_store_close(s);
		return cli_fail(2, "token: no randomness");
	}
	dipr_hex_encode(raw, sizeof raw, tok + 5);
	dipr_hash(DIPR_HASH_SHA256, tok, strlen(tok), hash);
	int rc = dipr_store_token_add(s, a.id, hash);
	dipr_store_close(s);
	OPENSSL_cleanse(raw, sizeof raw);
	if (rc)
		return cli_fail(2, "token create: %s", dipr_errdetail());
	printf("%s\n", tok);
	OPENSSL_cleanse(tok, sizeof tok);
	return 0;
}

/* The holder's own key for attest --key: written 0600, vkey printed. */
static int cmd_keygen(int argc, char **argv)
{
	const char *type = "ed25519", *outp = NULL, *pos[1];
	int npos;
	cli_opt o[] = {{"--type", 1, &type}, {"-o", 1, &outp}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (npos != 1 || !outp)
		return cli_fail(2, "usage: dipr keygen NAME [--type ed25519|sm2] -o FILE");
	int t = strcmp(type, "ed25519") == 0 ? DIPR_KEY_ED25519 : strcmp(type, "sm2") == 0 ? DIPR_KEY_SM2 : 0;
	if (!t)
		return cli_fail(2, "--type: expected ed25519 or sm2");
	dipr_signer *sg = NULL;
	char *sk = NULL, *vk = NULL;
	if (dipr_signer_generate(&sg, pos[0], t))
		return cli_fail(2, "key name \"%s\": %s", pos[0], dipr_errdetail());
	int rc = 0, fd = -1;
	if (dipr_signer_skey(sg, &sk) || dipr_signer_vkey(sg, &vk)) {
		rc = cli_fail(2, "keygen: %s", dipr_errdetail());
		goto done;
	}
	fd = open(outp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cli_fail(2, "-o %s: cannot create (it must not exist yet): %s", outp, strerror(errno));
		goto done;
	}
	size_t n = strlen(sk);
	if (write(fd, sk, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		rc = cli_fail(2, "-o %s: write failed: %s", outp, strerror(errno));
		unlink(outp);
		goto done;
	}
	printf("%s\n", vk);
done:
	if (fd >= 0)
		close(fd);
	if (sk) {
		OPENSSL_cleanse(sk, strlen(sk));
		free(sk);
	}
	free(vk);
	dipr_signer_free(sg);
	return rc;
}

/* ---- serve ---- */

static int cmd_serve(int argc, char **argv)
{
	const char *dir = "data", *listen = "127.0.0.1:8080", *db = NULL, *threads = "2", *qmax = NULL,
		   *public_url = NULL, *tick = "60", *rate = "0", *trust_proxy = NULL, *max_conns = NULL,
		   *max_conns_ip = NULL, *wquorum = NULL, *wtimeout = NULL, *wwait = NULL, *witnesses[CLI_MULTI_MAX],
		   *node_url = NULL, *node = NULL, *pos[1];
	int nwitnesses = 0;
	int npos;
	uint64_t queue_max = DIPR_LOG_QUEUE_MAX, tick_s, rate_n, conns_n = 0, conns_ip_n = 0;
	cli_opt o[] = {{"--dir", 1, &dir},	   {"--listen", 1, &listen},	     {"--db", 1, &db},
		       {"--threads", 1, &threads}, {"--queue-max", 1, &qmax},	     {"--public-url", 1, &public_url},
		       {"--tick", 1, &tick},	   {"--rate", 1, &rate},	     {"--trust-proxy", 1, &trust_proxy},
		       {"--max-conns", 1, &max_conns}, {"--max-conns-per-ip", 1, &max_conns_ip},
		       {"--witness", 1, NULL, witnesses, &nwitnesses}, {"--witness-quorum", 1, &wquorum},
		       {"--witness-timeout", 1, &wtimeout}, {"--witness-wait", 1, &wwait},
		       {"--node-url", 1, &node_url}, {"--node", 1, &node}, {0}};
	dipr_log *log = NULL;
	dipr_registry *reg = NULL;
	dipr_server *srv = NULL;
	uint64_t nthreads;
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (db && !dipr_store_target_is_pg(db))
		return cli_fail(2, "--db %s: expected postgres://... or postgresql://... (this node's way to the "
			       "database made by dipr init --db; without --db the directory's own)", db);
	if (node_url && strncmp(node_url, "http://", 7) != 0 && strncmp(node_url, "https://", 8) != 0)
		return cli_fail(2, "--node-url: expected http://HOST:PORT (how the other nodes reach this one)");
	if (dipr_parse_u64(threads, strlen(threads), 64, &nthreads) || nthreads == 0)
		return cli_fail(2, "--threads: expected 1..64");
	if (qmax && (dipr_parse_u64(qmax, strlen(qmax), 10000000, &queue_max) || queue_max == 0))
		return cli_fail(2, "--queue-max: expected 1..10000000 waiting submissions");
	if (dipr_parse_u64(tick, strlen(tick), 86400, &tick_s) || tick_s == 0)
		return cli_fail(2, "--tick: expected 1..86400 seconds between deadline checks");
	if (public_url && strncmp(public_url, "http://", 7) != 0 && strncmp(public_url, "https://", 8) != 0)
		return cli_fail(2, "--public-url: expected http://... or https://...");
	if (dipr_parse_u64(rate, strlen(rate), 1000000, &rate_n))
		return cli_fail(2, "--rate: expected 0 (unlimited) or 1..1000000 API writes per second per account");
	if (max_conns && (dipr_parse_u64(max_conns, strlen(max_conns), 100000, &conns_n) || conns_n == 0))
		return cli_fail(2, "--max-conns: expected 1..100000 open connections");
	if (max_conns_ip && (dipr_parse_u64(max_conns_ip, strlen(max_conns_ip), 100000, &conns_ip_n) || conns_ip_n == 0))
		return cli_fail(2, "--max-conns-per-ip: expected 1..100000 open connections from one address");
	dipr_server_opts sopts = {.threads = (unsigned)nthreads, .max_conns = (unsigned)conns_n,
				  .max_conns_per_ip = (unsigned)conns_ip_n, .rate = (double)rate_n,
				  .trust_proxy = trust_proxy};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit: only sigwait sees them */
	signal(SIGPIPE, SIG_IGN);
	int rc = dipr_log_open_db(&log, dir, db);
	if (rc == DIPR_EFORK)
		return cli_fail(2, "%s: refusing to serve: %s", dir, dipr_errdetail());
	if (rc)
		return cli_fail(2, "%s: %s", dir, dipr_errdetail()[0] ? dipr_errdetail() : dipr_strerror(rc));
	dipr_log_set_queue_max(log, (size_t)queue_max);
	if (nwitnesses || wquorum || wtimeout || wwait) {
		/* DESIGN.md "Witnesses": publish only checkpoints with K
		 * cosignatures (K = every witness unless --witness-quorum). */
		uint64_t k = (uint64_t)nwitnesses, tmo = DIPR_WITNESS_TIMEOUT_MS, wait = 10000;
		dipr_witnesses *ws = NULL;
		if (!nwitnesses)
			rc = cli_fail(2, "--witness-quorum/-timeout/-wait: give the witnesses with --witness VKEY@URL");
		else if (wquorum && (dipr_parse_u64(wquorum, strlen(wquorum), (uint64_t)nwitnesses, &k) || k == 0))
			rc = cli_fail(2, "--witness-quorum %s: expected 1..%d (the number of --witness)", wquorum, nwitnesses);
		else if (wtimeout && (dipr_parse_u64(wtimeout, strlen(wtimeout), 600000, &tmo) || tmo == 0))
			rc = cli_fail(2, "--witness-timeout %s: expected 1..600000 milliseconds per cosigning round", wtimeout);
		else if (wwait && dipr_parse_u64(wwait, strlen(wwait), 3600000, &wait))
			rc = cli_fail(2, "--witness-wait %s: expected 0..3600000 milliseconds a submission waits for the quorum",
				      wwait);
		else if (dipr_witnesses_new(&ws, witnesses, (size_t)nwitnesses, (unsigned)k, (unsigned)tmo) ||
			 dipr_log_witnesses_take(log, ws, (unsigned)wait))
			rc = cli_fail(2, "%s", dipr_errdetail());
		if (rc) {
			dipr_log_close(log);
			return 2;
		}
	}
	if ((rc = dipr_registry_open(&reg, log, public_url))) {
		cli_fail(2, "%s: %s", dir, dipr_errdetail());
		dipr_log_close(log);
		return 2;
	}
	/* The server first: its port names this node to the others, and the
	 * sequencer records it when it takes over. */
	if ((rc = dipr_server_start(&srv, log, reg, listen, &sopts))) {
		cli_fail(2, "serve: %s", dipr_errdetail());
		dipr_registry_close(reg);
		dipr_log_close(log);
		return 2;
	}
	char host[64], url[128], name[200];
	snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
	snprintf(url, sizeof url, "http://%s:%u", host, dipr_server_port(srv));
	if (!node) {
		char hn[128] = "localhost";
		gethostname(hn, sizeof hn - 1);
		snprintf(name, sizeof name, "%s:%u", hn, dipr_server_port(srv));
		node = name;
	}
	if (dipr_log_is_multinode(log) && !node_url && !strcmp(host, "0.0.0.0")) {
		cli_fail(2, "serve: --listen 0.0.0.0: give --node-url http://THIS-HOST:%u so the other nodes can reach this one",
			 dipr_server_port(srv));
		dipr_server_stop(srv);
		dipr_registry_close(reg);
		dipr_log_close(log);
		return 2;
	}
	dipr_log_set_node(log, node, node_url ? node_url : url);
	if ((rc = dipr_log_start(log))) {
		cli_fail(2, "serve: %s", dipr_errdetail());
		dipr_server_stop(srv);
		dipr_registry_close(reg);
		dipr_log_close(log);
		return 2;
	}
	dipr_registry_default_public_url(reg, url);
	if ((rc = dipr_registry_start(reg, (unsigned)tick_s))) {
		cli_fail(2, "serve: %s", dipr_errdetail());
		dipr_log_stop(log);
		dipr_server_stop(srv);
		dipr_registry_close(reg);
		dipr_log_close(log);
		return 2;
	}
	if (dipr_registry_has_test_clock(reg))
		fprintf(stderr, "dipr: WARNING: %s has a test clock: admins can move its date\n", dir);
	dipr_cp *cp = dipr_log_checkpoint(log);
	printf("dipr %s: log %s (%s tree, %llu entries)\nvkeys:\n%sserving http://%s:%u/\n", DIPR_VERSION,
	       dipr_log_origin(log), dipr_hash_name(dipr_log_tree_alg(log)), (unsigned long long)cp->size,
	       dipr_log_vkeys(log), host, dipr_server_port(srv));
	if (dipr_log_is_multinode(log))
		printf("node %s (%s) on PostgreSQL: one node sequences at a time, the others forward writes to it\n",
		       node, node_url ? node_url : url);
	dipr_cp_release(cp);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "dipr: signal %d, finishing queued submissions\n", sig);
	dipr_registry_close(reg);  /* stops the ticker (its job, if any, completes) */
	dipr_log_stop(log);        /* answers every waiter */
	dipr_server_stop(srv);     /* then the HTTP threads */
	dipr_log_close(log);
	return 0;
}

/* ---- hash ---- */

int cli_parse_algs(const char *s, dipr_hash_alg *algs, int *n)
{
	*n = 0;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		dipr_hash_alg a;
		if (dipr_hash_parse(s, len, &a) || *n >= 2 || (*n == 1 && algs[0] == a))
			return cli_fail(2, "--alg \"%s\": expected sm3, sha256 or sm3,sha256", s);
		algs[(*n)++] = a;
		s += len + (comma ? 1 : 0);
	}
	return *n ? 0 : cli_fail(2, "--alg: expected sm3, sha256 or sm3,sha256");
}

static int cmd_hash(int argc, char **argv)
{
	const char *alg = "sm3", *records = NULL, *secretp = NULL, *pos[CLI_MULTI_MAX];
	int npos, nalg;
	dipr_hash_alg algs[2];
	dipr_rec_format fmt = 0;
	uint8_t secret[DIPR_SECRET_LEN];
	cli_opt o[] = {{"--alg", 1, &alg}, {"--records", 1, &records}, {"--secret", 1, &secretp}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, CLI_MULTI_MAX) || cli_parse_algs(alg, algs, &nalg))
		return 2;
	if (npos == 0)
		return cli_fail(2, "usage: dipr hash FILE... [--alg sm3|sha256|sm3,sha256] [--records lines|csv|jsonl --secret S] (- for stdin)");
	if (records) {
		bool created;
		if (dipr_rec_format_parse(records, strlen(records), &fmt))
			return cli_fail(2, "--records \"%s\": expected lines, csv or jsonl", records);
		/* Salted leaves need the dataset secret; a new one is made (0600)
		 * when the file does not exist yet. */
		if (!secretp)
			return cli_fail(2, "--records: needs --secret FILE (created if missing), the dataset secret that salts each record");
		if (cli_secret_load(secretp, secret, true, &created))
			return 2;
		if (created)
			fprintf(stderr, "dipr hash: new dataset secret in %s\n", secretp);
	}
	int status = 0;
	for (int i = 0; i < npos; i++) {
		uint8_t d[2][DIPR_HASH_LEN];
		uint64_t size;
		dipr_records_commitment rcm;
		if (records ? cli_records_scan(pos[i], algs, nalg, fmt, secret, d, &size, &rcm, NULL, NULL, NULL)
			    : cli_hash_file(pos[i], algs, nalg, d, &size)) {
			status = 2;
			continue;
		}
		for (int k = 0; k < nalg; k++) {
			char hex[65];
			dipr_hex_encode(d[k], DIPR_HASH_LEN, hex);
			/* sha256sum's layout; with two algorithms each line is tagged. */
			if (nalg > 1)
				printf("%s:", dipr_hash_name(algs[k]));
			printf("%s  %s\n", hex, pos[i]);
		}
		if (records)
			cli_records_print(&rcm, pos[i]);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	return status;
}

/* ---- tlog verify-inclusion / verify-consistency ---- */

static int decode_hash(const char *what, const char *b64, uint8_t out[DIPR_HASH_LEN])
{
	size_t n;
	if (dipr_b64_decode(b64, strlen(b64), out, DIPR_HASH_LEN, &n) || n != DIPR_HASH_LEN)
		return cli_fail(2, "%s: expected base64 of 32 bytes", what);
	return 0;
}

static int cmd_tlog(int argc, char **argv)
{
	const char *index = NULL, *size = NULL, *leaf = NULL, *root = NULL, *size1 = NULL, *size2 = NULL,
		   *root1 = NULL, *root2 = NULL, *th = "sha256", *proofs[CLI_MULTI_MAX], *pos[1];
	int nproof = 0, npos;
	cli_opt o[] = {{"--index", 1, &index},   {"--size", 1, &size},     {"--leaf-hash", 1, &leaf},
		       {"--root", 1, &root},     {"--size1", 1, &size1},   {"--size2", 1, &size2},
		       {"--root1", 1, &root1},   {"--root2", 1, &root2},   {"--tree-hash", 1, &th},
		       {"--proof", 1, NULL, proofs, &nproof}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	dipr_hash_alg alg;
	if (dipr_hash_parse(th, strlen(th), &alg))
		return cli_fail(2, "--tree-hash: expected sha256 or sm3");
	if (nproof > DIPR_MERKLE_MAX_PROOF)
		return cli_fail(2, "--proof: at most %d hashes", DIPR_MERKLE_MAX_PROOF);
	uint8_t proof[CLI_MULTI_MAX][DIPR_HASH_LEN];
	for (int i = 0; i < nproof; i++)
		if (decode_hash("--proof", proofs[i], proof[i]))
			return 2;
	uint64_t a, b;
	uint8_t h1[DIPR_HASH_LEN], h2[DIPR_HASH_LEN];
	if (npos == 1 && strcmp(pos[0], "verify-inclusion") == 0) {
		if (!index || !size || !leaf || !root)
			return cli_fail(2, "usage: dipr tlog verify-inclusion --index N --size N --leaf-hash B64 --root B64 [--proof B64]...");
		if (dipr_parse_u64(index, strlen(index), UINT64_MAX, &a) || dipr_parse_u64(size, strlen(size), UINT64_MAX, &b))
			return cli_fail(2, "--index, --size: expected decimal numbers");
		if (decode_hash("--leaf-hash", leaf, h1) || decode_hash("--root", root, h2))
			return 2;
		if (dipr_merkle_verify_inclusion(alg, a, b, h1, (const uint8_t(*)[DIPR_HASH_LEN])proof, (size_t)nproof, h2))
			return cli_fail(1, "inclusion proof does not verify: leaf %s is not at index %s of the tree of size %s with that root",
					leaf, index, size);
		printf("inclusion verified: index %s in tree of size %s\n", index, size);
		return 0;
	}
	if (npos == 1 && strcmp(pos[0], "verify-consistency") == 0) {
		if (!size1 || !size2 || !root1 || !root2)
			return cli_fail(2, "usage: dipr tlog verify-consistency --size1 N --size2 N --root1 B64 --root2 B64 [--proof B64]...");
		if (dipr_parse_u64(size1, strlen(size1), UINT64_MAX, &a) || dipr_parse_u64(size2, strlen(size2), UINT64_MAX, &b))
			return cli_fail(2, "--size1, --size2: expected decimal numbers");
		if (a == 0)
			return cli_fail(1, "consistency proof does not verify: size1 is 0; every tree extends the empty tree, there is nothing to prove");
		if (a == b) {
			/* RFC 9162 §2.1.4.2 step 1: equal sizes need an empty proof
			 * and equal roots, compared as bytes whatever their length
			 * (one transparency-dev vector has 12-byte roots). */
			uint8_t r1[64], r2[64];
			size_t n1, n2;
			if (dipr_b64_decode(root1, strlen(root1), r1, sizeof r1, &n1) ||
			    dipr_b64_decode(root2, strlen(root2), r2, sizeof r2, &n2))
				return cli_fail(2, "--root1, --root2: expected base64 of at most 64 bytes");
			if (nproof != 0 || n1 != n2 || memcmp(r1, r2, n1) != 0)
				return cli_fail(1, "consistency proof does not verify: equal sizes need an empty proof and equal roots");
			printf("consistency verified: size %s is a prefix of size %s\n", size1, size2);
			return 0;
		}
		if (decode_hash("--root1", root1, h1) || decode_hash("--root2", root2, h2))
			return 2;
		if (dipr_merkle_verify_consistency(alg, a, b, h1, h2, (const uint8_t(*)[DIPR_HASH_LEN])proof, (size_t)nproof))
			return cli_fail(1, "consistency proof does not verify: the tree of size %s is not a prefix of the tree of size %s with those roots",
					size1, size2);
		printf("consistency verified: size %s is a prefix of size %s\n", size1, size2);
		return 0;
	}
	return cli_fail(2, "usage: dipr tlog verify-inclusion|verify-consistency ...");
}

static void usage(FILE *f)
{
	fputs("usage: dipr COMMAND [options]\n"
	      "  init    [--dir D] [--origin O] [--tree-hash sha256|sm3] [--db postgresql://...]  create a data dir and keys\n"
	      "  serve   [--dir D] [--listen ADDR:PORT] [--threads N] [--queue-max N]  run the server\n"
	      "          [--rate N] [--trust-proxy ADDR] [--max-conns N] [--max-conns-per-ip N]  limits (docs/SECURITY.md)\n"
	      "          [--witness VKEY@URL]... [--witness-quorum K] [--witness-timeout MS] [--witness-wait MS]\n"
	      "          [--node NAME] [--node-url URL] [--db postgresql://...]  one of several nodes (docs/POSTGRES.md)\n"
	      "                                                   publish only checkpoints K witnesses cosigned (docs/WITNESS.md)\n"
	      "  keys    [--dir D]                                            print the vkeys\n"
	      "  keygen  NAME [--type ed25519|sm2] -o FILE                    a holder key for attest --key\n"
	      "  hash    FILE... [--alg sm3|sha256|sm3,sha256] [--records FMT --secret S]  digests, like sha256sum\n"
	      "  attest  FILE... --server URL [--token T] [--alg A] [--records FMT] [--key K] [-o OUT]\n"
	      "  verify  R.tlog-proof|X.sample.json|X.extension.json|CERT.json [--file F] [--vkey K]... [--server URL]\n"
	      "  sample  FILE --receipt R --rows 1,5,9 -o OUT.sample.json [--secret S]\n"
	      "  extend  NEW_FILE --old R1 --new R2 -o OUT.extension.json [--secret S]  the dataset only grew\n"
	      "  tlog    verify-inclusion|verify-consistency ...               low-level proof checks\n"
	      "  audit   --dir D | --server URL [--vkey K]...                 recompute the tree, check signatures\n"
	      "  backup  --dir D --out FILE [--method api|vacuum]             online snapshot of the database (no keys)\n"
	      "  restore --from FILE --dir D (--expect-checkpoint CP | --accept-rollback)  check a backup, then restore it\n"
	      "  migrate --dir D --to postgresql://...                        move an SQLite deployment into PostgreSQL\n"
	      "  audit   --follow URL [--vkey K]... [--interval S] [--stale-after S] [--witness-vkey W]... [--witness-quorum K]\n"
	      "                                                               monitor: ALARM on a fork, rollback or stale log\n"
	      "  witness init --dir W --name NAME | serve --dir W [--listen ADDR:PORT] --log VKEY... [--log-sm3 VKEY...]\n"
	      "  user    add NAME --role applicant|examiner|admin [--dir D] [--password-stdin]\n"
	      "  user    passwd NAME [--dir D]                                set a portal password, read from stdin\n"
	      "  token   create --user NAME [--dir D]\n"
	      "  apply   FILE.json [--submit] | save|correct ID FILE.json | submit|withdraw|show ID | list\n"
	      "  review  list|objections | show|accept ID | correct|refuse ID --reasons T | uphold|dismiss OBJ --reasons T\n"
	      "          | revoke REGNO --reasons T                          the examiner's side\n"
	      "  object  APPLICATION --reasons T [--contact C] [--attach FILE]...  a public objection\n"
	      "  cert    get CERTNO|REGNO -o FILE | status|change|transfer|license|pledge|release|renew|cancel REGNO ...\n"
	      "  admin   clock [DATE] | tick | audit [--limit N]\n"
	      "          (apply, review, object, cert, admin: --server URL [--token T]; dipr VERB help for details)\n"
	      "exit status: 0 ok, 1 verification failed, 2 usage or input error\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *c = argv[1];
	static char cmdname[64];
	snprintf(cmdname, sizeof cmdname, "dipr %s", c);
	cli_cmd = cmdname;
	argc -= 2;
	argv += 2;
	if (!strcmp(c, "init")) return cmd_init(argc, argv);
	if (!strcmp(c, "serve")) return cmd_serve(argc, argv);
	if (!strcmp(c, "keys")) return cmd_keys(argc, argv);
	if (!strcmp(c, "keygen")) return cmd_keygen(argc, argv);
	if (!strcmp(c, "user")) return cmd_user(argc, argv);
	if (!strcmp(c, "token")) return cmd_token(argc, argv);
	if (!strcmp(c, "hash")) return cmd_hash(argc, argv);
	if (!strcmp(c, "tlog")) return cmd_tlog(argc, argv);
	if (!strcmp(c, "attest")) return cmd_attest(argc, argv);
	if (!strcmp(c, "verify")) return cmd_verify(argc, argv);
	if (!strcmp(c, "sample")) return cmd_sample(argc, argv);
	if (!strcmp(c, "extend")) return cmd_extend(argc, argv);
	if (!strcmp(c, "audit")) return cmd_audit(argc, argv);
	if (!strcmp(c, "backup")) return cmd_backup(argc, argv);
	if (!strcmp(c, "restore")) return cmd_restore(argc, argv);
	if (!strcmp(c, "migrate")) return cmd_migrate(argc, argv);
	if (!strcmp(c, "apply")) return cmd_workflow(c, argc, argv);
	if (!strcmp(c, "review")) return cmd_workflow(c, argc, argv);
	if (!strcmp(c, "object")) return cmd_workflow(c, argc, argv);
	if (!strcmp(c, "cert")) return cmd_workflow(c, argc, argv);
	if (!strcmp(c, "admin")) return cmd_workflow(c, argc, argv);
	if (!strcmp(c, "witness")) return cmd_witness(argc, argv);
	if (!strcmp(c, "render")) return cmd_cert_render(argc, argv);
	if (!strcmp(c, "help") || !strcmp(c, "--help") || !strcmp(c, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(c, "--version") || !strcmp(c, "version")) {
		printf("dipr %s\n", DIPR_VERSION);
		return 0;
	}
	cli_cmd = "dipr";
	cli_fail(2, "unknown command \"%s\"", c);
	usage(stderr);
	return 2;
}
