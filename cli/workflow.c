/* workflow.c — dipr apply / review / object / cert / admin: thin clients of
 * the registration API (docs/REGISTRY.md).  Every verb is one row of a
 * table (method, path, how the JSON body is built, which options it takes)
 * run by one request helper; only the verbs whose output is a line rather
 * than the server's JSON (apply FILE, object, cert get, cert status) have
 * a function of their own.
 *
 * Exit status: 0 on a 2xx answer; 2 for a usage error or a 4xx answer; 1
 * for a 5xx answer or no answer at all (connection, timeout, too large).
 * An error answer is one stderr line:
 *   dipr apply submit: <the server's message> (HTTP 409 wrong_state) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "internal.h"
#include "cli/cli.h"
#include "cli/http.h"
#include "cli/records.h"
#include "cli/render.h"
#include "log/log.h"

/* Answers and input files are capped: the largest legitimate answer is a
 * registration record with its history and proofs, far below this. */
#define WF_MAX (16u << 20)

/* ---- the options every verb may be given (each row says which it takes) ---- */

enum { O_STATE, O_REASONS, O_CONTACT, O_TO, O_HOLDER, O_LICENSEE, O_SCOPE, O_START, O_END, O_PLEDGEE,
       O_AMOUNT, O_AGREEMENT_END, O_LIMIT, O_OUT, O_NSTR };
static const char *const opt_names[O_NSTR] = {"--state",   "--reasons", "--contact", "--to",      "--holder",
					     "--licensee", "--scope",   "--start",   "--end",     "--pledgee",
					     "--amount",   "--agreement-end", "--limit", "-o"};

typedef struct {
	const char *server, *token;
	const char *opt[O_NSTR];
	int exclusive, submit;
	const char *attach[CLI_MULTI_MAX];
	int nattach;
	const char *pos[8]; /* pos[0] is the verb (or the first argument of a group without one) */
	int npos;
} wf_ctx;

struct wf_verb;
typedef int (*wf_run)(const struct wf_verb *v, wf_ctx *x);

/* One verb.  path and body refer to positional arguments as $N (pos[N],
 * URL-encoded in a path) and to options by name.  body is a list of
 * "KEY:SOURCE" items separated by spaces, KEY? if optional:
 *   $N string pos[N]      #N integer pos[N]      @N JSON of the file pos[N]
 *   --opt string option   #--opt integer option  @--opt JSON of the file
 *   !--flag true when the flag is given
 * An empty KEY (":@0") makes the source the whole body.  query names one
 * option sent as ?NAME=, with "=DEFAULT" if it has one.  extra lists the
 * options a run function reads itself. */
typedef struct wf_verb {
	const char *group, *verb; /* verb NULL: the group's verb without a name */
	int npos;                 /* positional arguments, the verb's name included */
	const char *method, *path, *body, *query, *extra;
	wf_run run;               /* NULL: one request, the answer printed as JSON */
	const char *usage;
} wf_verb;

static int run_apply_new(const wf_verb *v, wf_ctx *x);
static int run_object(const wf_verb *v, wf_ctx *x);
static int run_cert_get(const wf_verb *v, wf_ctx *x);
static int run_cert_status(const wf_verb *v, wf_ctx *x);

static const wf_verb verbs[] = {
	{"apply", NULL, 1, "POST", "applications", ":@0", NULL, "--submit", run_apply_new,
	 "FILE.json [--submit]              a draft from the application document"},
	{"apply", "save", 3, "PUT", "applications/$1", "application:@2", NULL, NULL, NULL, "save ID FILE.json"},
	{"apply", "submit", 2, "POST", "applications/$1/submit", NULL, NULL, NULL, NULL, "submit ID"},
	{"apply", "withdraw", 2, "POST", "applications/$1/withdraw", NULL, NULL, NULL, NULL, "withdraw ID"},
	{"apply", "correct", 3, "POST", "applications/$1/correction", "application:@2", NULL, NULL, NULL,
	 "correct ID FILE.json              answer a correction request"},
	{"apply", "show", 2, "GET", "applications/$1", NULL, NULL, NULL, NULL, "show ID"},
	{"apply", "list", 1, "GET", "applications", NULL, "state", NULL, NULL, "list [--state S[,S]]"},
	{"review", "list", 1, "GET", "applications", NULL, "state=submitted", NULL, NULL,
	 "list [--state S]                 the queue (default: submitted)"},
	{"review", "show", 2, "GET", "applications/$1", NULL, NULL, NULL, NULL, "show ID"},
	{"review", "accept", 2, "POST", "applications/$1/accept", NULL, NULL, NULL, NULL,
	 "accept ID                        start the public notice"},
	{"review", "correct", 2, "POST", "applications/$1/request-correction", "reasons:--reasons", NULL, NULL, NULL,
	 "correct ID --reasons TEXT        request a correction"},
	{"review", "refuse", 2, "POST", "applications/$1/refuse", "reasons:--reasons", NULL, NULL, NULL,
	 "refuse ID --reasons TEXT"},
	{"review", "uphold", 2, "POST", "objections/$1/uphold", "reasons:--reasons", NULL, NULL, NULL,
	 "uphold OBJECTION --reasons TEXT"},
	{"review", "dismiss", 2, "POST", "objections/$1/dismiss", "reasons:--reasons", NULL, NULL, NULL,
	 "dismiss OBJECTION --reasons TEXT"},
	{"review", "objections", 1, "GET", "objections", NULL, "state", NULL, NULL, "objections [--state open]"},
	{"review", "revoke", 2, "POST", "registrations/$1/revoke", "reasons:--reasons", NULL, NULL, NULL,
	 "revoke REGNO --reasons TEXT"},
	{"object", NULL, 1, "POST", "objections", "application:#0 reasons:--reasons contact?:--contact", NULL,
	 "--attach", run_object,
	 "APPLICATION --reasons TEXT [--contact C] [--attach FILE]...  (no account needed)"},
	{"cert", "get", 2, "GET", NULL, NULL, NULL, "-o", run_cert_get,
	 "get CERTNO|REGNO -o FILE           the certificate file (- for stdout)"},
	{"cert", "status", 2, "GET", "registrations/$1", NULL, NULL, NULL, run_cert_status, "status REGNO"},
	{"cert", "change", 3, "POST", "registrations/$1/change", "change:@2", NULL, NULL, NULL,
	 "change REGNO FILE.json             a change (变更): new certificate"},
	{"cert", "transfer", 2, "POST", "registrations/$1/transfer", "to:--to holder:@--holder", NULL, NULL, NULL,
	 "transfer REGNO --to ACCOUNT --holder FILE.json"},
	{"cert", "license", 2, "POST", "registrations/$1/license",
	 "licensee:--licensee scope:--scope start:--start end:--end exclusive?:!--exclusive", NULL, NULL, NULL,
	 "license REGNO --licensee L --scope S --start D --end D [--exclusive]"},
	{"cert", "pledge", 2, "POST", "registrations/$1/pledge", "pledgee:--pledgee amount:#--amount end:--end", NULL,
	 NULL, NULL, "pledge REGNO --pledgee P --amount YUAN --end D"},
	{"cert", "release", 2, "POST", "registrations/$1/release-pledge", NULL, NULL, NULL, NULL,
	 "release REGNO                      release the pledge"},
	{"cert", "renew", 2, "POST", "registrations/$1/renew", "agreement_end?:--agreement-end", NULL, NULL, NULL,
	 "renew REGNO [--agreement-end D]"},
	{"cert", "cancel", 2, "POST", "registrations/$1/cancel", NULL, NULL, NULL, NULL, "cancel REGNO"},
	/* only its usage line: dipr cert render is render.c's (cmd_cert_render) */
	{"cert", "render", -1, NULL, NULL, NULL, NULL, NULL, NULL, "render CERT.json (--pdf OUT.pdf | --html OUT.html) [--vkey K]..."},
	{"admin", "clock", 1, "GET", "admin/clock", NULL, NULL, NULL, NULL, "clock [DATE]                     read or set the test clock"},
	{"admin", "clock", 2, "POST", "admin/clock", "today:$1", NULL, NULL, NULL, NULL},
	{"admin", "tick", 1, "POST", "admin/tick", NULL, NULL, NULL, NULL, "tick                             let time pass now"},
	{"admin", "audit", 1, "GET", "audit", NULL, "limit", NULL, NULL, "audit [--limit N]"},
};
#define NVERBS (sizeof verbs / sizeof verbs[0])

/* The group's usage: on stdout for help (exit 0), else on stderr (2). */
static int usage(const char *group, bool help)
{
	FILE *f = help ? stdout : stderr;
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < NVERBS; i++)
		if (verbs[i].usage && strcmp(group, verbs[i].group) == 0)
			fprintf(f, "  dipr %s %s\n", verbs[i].group, verbs[i].usage);
	fprintf(f, "  every verb%s: [--server URL] [--token T] (or $DIPR_SERVER, $DIPR_TOKEN)\n",
		strcmp(group, "cert") == 0 ? " but render" : "");
	return help ? 0 : 2;
}

/* Whether the item list s names the option opt as a whole word. */
static bool names(const char *s, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = s ? strstr(s, opt) : NULL; p; p = strstr(p + 1, opt))
		if ((p == s || strchr(" :#@!", p[-1])) && (p[n] == 0 || p[n] == ' ' || p[n] == '='))
			return true;
	return false;
}

static bool takes(const wf_verb *v, const char *opt)
{
	const char *q = v->query;
	char qo[40];
	if (q) {
		snprintf(qo, sizeof qo, "--%.*s", (int)strcspn(q, "="), q);
		if (strcmp(qo, opt) == 0)
			return true;
	}
	return names(v->body, opt) || names(v->extra, opt);
}

static int opt_index(const char *name, size_t n)
{
	for (int i = 0; i < O_NSTR; i++)
		if (strlen(opt_names[i]) == n && strncmp(opt_names[i], name, n) == 0)
			return i;
	return -1;
}

/* ---- requests ---- */

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static int url_escape(dipr_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			     strchr("-._~", *p);
		if (plain ? dipr_buf_add(b, p, 1) : dipr_buf_add(b, e, 3))
			return DIPR_ERANGE;
	}
	return 0;
}

/* Performs one request to api/v1/PATH (query already in it) with body
 * (NULL: none).  On a 2xx answer returns 0, the bytes in raw and, when
 * they are JSON, the value in *out (else NULL).  Otherwise prints the
 * error line and returns the exit status. */
static int wf_request(wf_ctx *x, const char *method, const char *path, json_t *body, dipr_buf *raw, json_t **out)
{
	char url[4096], apipath[3072];
	long code = 0;
	*out = NULL;
	dipr_buf_init(raw, WF_MAX);
	snprintf(apipath, sizeof apipath, "api/v1/%s", path);
	if (strlen(path) > 3000 || cli_url(url, sizeof url, x->server, apipath))
		return cli_fail(2, "--server: URL too long");
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (body && !text)
		return cli_fail(1, "out of memory");
	int rc = cli_http(method, url, x->token, text, text ? strlen(text) : 0, "application/json", &code, raw);
	free(text);
	if (rc)
		return cli_fail(1, "%s", dipr_errdetail());
	json_error_t err;
	json_t *v = raw->n ? json_loadb((const char *)raw->p, raw->n, 0, &err) : NULL;
	if (code >= 200 && code < 300) {
		*out = v;
		return 0;
	}
	json_t *e = json_object_get(v, "error");
	const char *msg = json_string_value(json_object_get(e, "message")),
		   *ecode = json_string_value(json_object_get(e, "code"));
	rc = cli_fail(code >= 400 && code < 500 ? 2 : 1, "%s (HTTP %ld %s)", msg ? msg : "(no error message)", code,
		      ecode ? ecode : "-");
	json_decref(v);
	return rc;
}

/* Reads a JSON file (a document, a change, a holder).  Prints the error. */
static json_t *load_json(const char *path)
{
	dipr_buf b;
	json_error_t err;
	dipr_buf_init(&b, WF_MAX);
	if (dipr_read_file(path, WF_MAX, &b)) {
		cli_fail(2, "%s", dipr_errdetail());
		dipr_buf_free(&b);
		return NULL;
	}
	json_t *v = json_loadb((const char *)b.p, b.n, JSON_REJECT_DUPLICATES, &err);
	dipr_buf_free(&b);
	if (!v)
		cli_fail(2, "%s: line %d: %s", path, err.line, err.text);
	return v;
}

static int json_int_arg(const char *what, const char *s, json_t **out)
{
	uint64_t n;
	if (dipr_parse_u64(s, strlen(s), (1ull << 53) - 1, &n))
		return cli_fail(2, "%s \"%s\": expected a whole number", what, s);
	*out = json_integer((json_int_t)n);
	return 0;
}

/* Builds the body of v from its item list (see wf_verb).  *out NULL when
 * the verb sends none.  Prints the error. */
static int build_body(const wf_verb *v, wf_ctx *x, json_t **out)
{
	*out = NULL;
	if (!v->body)
		return 0;
	json_t *body = json_object();
	char item[64];
	for (const char *s = v->body; *s;) {
		size_t n = strcspn(s, " ");
		snprintf(item, sizeof item, "%.*s", (int)n, s);
		s += n + (s[n] == ' ');
		char *colon = strchr(item, ':'), *src = colon + 1;
		*colon = 0;
		bool optional = colon > item && colon[-1] == '?';
		if (optional)
			colon[-1] = 0;
		char kind = *src && strchr("$#@!", *src) ? *src++ : 's';
		const char *val = NULL, *what = src;
		int flag = 0;
		if (src[0] == '-') {
			if (strcmp(src, "--exclusive") == 0)
				flag = x->exclusive;
			else
				val = x->opt[opt_index(src, strlen(src))];
		} else {
			val = x->pos[src[0] - '0'];
			what = kind == '@' ? "FILE" : "argument";
		}
		json_t *jv = NULL;
		if (kind == '!') {
			jv = flag ? json_true() : NULL;
		} else if (!val) {
			if (!optional) {
				json_decref(body);
				return cli_fail(2, "%s: required (see dipr %s help)", what, v->group);
			}
		} else if (kind == '#') {
			if (json_int_arg(what, val, &jv)) {
				json_decref(body);
				return 2;
			}
		} else if (kind == '@') {
			if (!(jv = load_json(val))) {
				json_decref(body);
				return 2;
			}
		} else {
			jv = json_string(val);
			if (!jv) {
				json_decref(body);
				return cli_fail(2, "%s: expected UTF-8 text", what);
			}
		}
		if (!jv)
			continue;
		if (item[0] == 0) {
			json_decref(body);
			body = jv;
		} else {
			json_object_set_new(body, item, jv);
		}
	}
	*out = body;
	return 0;
}

/* The API path of v with $N replaced by the URL-encoded pos[N], and its
 * query.  Prints the error. */
static int build_path(const wf_verb *v, wf_ctx *x, dipr_buf *p)
{
	int rc = 0;
	for (const char *s = v->path; *s && !rc; s++) {
		if (*s == '$' && s[1] >= '0' && s[1] <= '9')
			rc = url_escape(p, x->pos[*++s - '0']);
		else
			rc = dipr_buf_add(p, s, 1);
	}
	if (v->query && !rc) {
		size_t n = strcspn(v->query, "=");
		char name[40];
		snprintf(name, sizeof name, "--%.*s", (int)n, v->query);
		const char *val = x->opt[opt_index(name, strlen(name))];
		if (!val && v->query[n] == '=')
			val = v->query + n + 1;
		if (val && *val)
			rc = dipr_buf_addf(p, "?%.*s=", (int)n, v->query) || url_escape(p, val);
	}
	return rc ? cli_fail(2, "arguments too long") : 0;
}

static void print_json(const json_t *v, const dipr_buf *raw)
{
	char *s = v ? json_dumps(v, JSON_INDENT(2)) : NULL;
	if (s)
		printf("%s\n", s);
	else if (raw->n)
		fwrite(raw->p, 1, raw->n, stdout);
	free(s);
}

/* The common run: one request, the answer printed. */
static int run_request(const wf_verb *v, wf_ctx *x, json_t **answer)
{
	json_t *body = NULL;
	dipr_buf path, raw;
	dipr_buf_init(&path, 4096);
	dipr_buf_init(&raw, WF_MAX);
	int rc = build_path(v, x, &path);
	if (!rc)
		rc = build_body(v, x, &body);
	if (!rc)
		rc = wf_request(x, v->method, (const char *)path.p, body, &raw, answer);
	json_decref(body);
	dipr_buf_free(&path);
	if (!rc && !*answer && v->run)
		rc = cli_fail(1, "the server's answer is not JSON");
	if (!rc && !v->run)
		print_json(*answer, &raw);
	dipr_buf_free(&raw);
	return rc;
}

/* ---- the verbs that print a line ---- */

/* dipr apply FILE.json [--submit]: "application ID STATE". */
static int run_apply_new(const wf_verb *v, wf_ctx *x)
{
	json_t *a = NULL, *b = NULL;
	int rc = run_request(v, x, &a);
	json_int_t id = json_integer_value(json_object_get(a, "id"));
	const char *state = json_string_value(json_object_get(a, "state"));
	if (!rc && (id <= 0 || !state))
		rc = cli_fail(1, "the server's answer has no application id and state");
	if (!rc && x->submit) {
		/* A refused submission leaves the draft; the error line says so. */
		static char name[96];
		char path[64];
		dipr_buf raw;
		snprintf(path, sizeof path, "applications/%lld/submit", (long long)id);
		snprintf(name, sizeof name, "dipr apply: application %lld saved as a draft, not submitted", (long long)id);
		cli_cmd = name;
		rc = wf_request(x, "POST", path, NULL, &raw, &b);
		dipr_buf_free(&raw);
		state = json_string_value(json_object_get(b, "state"));
		if (!rc && !state)
			rc = cli_fail(1, "the server's answer has no state");
	}
	if (!rc)
		printf("application %lld %s\n", (long long)id, state);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* dipr object APP --reasons T [--contact C] [--attach FILE]...: the
 * attachments are hashed here (SM3); only {name, sm3} is sent. */
static int run_object(const wf_verb *v, wf_ctx *x)
{
	json_t *a = NULL, *atts = json_array();
	int rc = 0;
	for (int i = 0; i < x->nattach && !rc; i++) {
		dipr_hash_alg alg = DIPR_HASH_SM3;
		uint8_t d[1][DIPR_HASH_LEN];
		uint64_t size;
		char hex[2 * DIPR_HASH_LEN + 1];
		const char *base = strrchr(x->attach[i], '/');
		base = base ? base + 1 : x->attach[i];
		if (cli_hash_file(x->attach[i], &alg, 1, d, &size)) {
			rc = 2;
			break;
		}
		dipr_hex_encode(d[0], DIPR_HASH_LEN, hex);
		json_t *name = json_string(base);
		if (!name) {
			rc = cli_fail(2, "--attach %s: the file name is not UTF-8", x->attach[i]);
			break;
		}
		json_array_append_new(atts, json_pack("{s:o,s:s}", "name", name, "sm3", hex));
	}
	if (rc) {
		json_decref(atts);
		return rc;
	}
	json_t *body = NULL;
	dipr_buf raw;
	if ((rc = build_body(v, x, &body))) {
		json_decref(atts);
		return rc;
	}
	if (json_array_size(atts))
		json_object_set(body, "attachments", atts);
	json_decref(atts);
	rc = wf_request(x, v->method, v->path, body, &raw, &a);
	json_decref(body);
	dipr_buf_free(&raw);
	json_int_t id = json_integer_value(json_object_get(a, "objection"));
	const char *key = json_string_value(json_object_get(a, "key"));
	if (!rc && (id <= 0 || !key))
		rc = cli_fail(1, "the server's answer has no objection id and key");
	if (!rc)
		printf("objection %lld key %s\n", (long long)id, key);
	json_decref(a);
	return rc;
}

/* dipr cert get CERTNO|REGNO -o FILE: the file byte for byte as served
 * (its signatures cover the canonical body, its proof the entry). */
static int run_cert_get(const wf_verb *v, wf_ctx *x)
{
	const char *id = x->pos[1], *outp = x->opt[O_OUT];
	char certno[64];
	dipr_buf path, raw;
	json_t *a = NULL;
	int rc;
	(void)v;
	if (!outp)
		return cli_fail(2, "-o FILE: required (- for stdout)");
	dipr_buf_init(&path, 512);
	dipr_buf_init(&raw, WF_MAX);
	if (strlen(id) == 17 && strspn(id, "0123456789") == 17) {
		snprintf(certno, sizeof certno, "%s", id);
	} else {
		/* a registration number: its current certificate */
		if (dipr_buf_adds(&path, "registrations/") || url_escape(&path, id)) {
			dipr_buf_free(&path);
			return cli_fail(2, "REGNO: too long");
		}
		rc = wf_request(x, "GET", (const char *)path.p, NULL, &raw, &a);
		dipr_buf_free(&raw);
		const char *c = json_string_value(json_object_get(a, "certno"));
		if (!rc && (!c || strlen(c) >= sizeof certno))
			rc = cli_fail(1, "registration %s: the record names no certificate", id);
		if (!rc)
			snprintf(certno, sizeof certno, "%s", c);
		json_decref(a);
		a = NULL;
		if (rc) {
			dipr_buf_free(&path);
			return rc;
		}
		dipr_buf_reset(&path);
	}
	if (dipr_buf_adds(&path, "certificates/") || url_escape(&path, certno))
		rc = cli_fail(2, "CERTNO: too long");
	else
		rc = wf_request(x, "GET", (const char *)path.p, NULL, &raw, &a);
	json_decref(a);
	dipr_buf_free(&path);
	if (!rc && strcmp(outp, "-") == 0)
		rc = fwrite(raw.p, 1, raw.n, stdout) == raw.n ? 0 : cli_fail(2, "stdout: write failed");
	else if (!rc && !(rc = cli_write_file_atomic(outp, raw.p, raw.n, 0644)))
		printf("%s\n", outp);
	dipr_buf_free(&raw);
	return rc;
}

/* dipr cert status REGNO: "REGNO STATUS certno C valid_until D [pledged to P]". */
static int run_cert_status(const wf_verb *v, wf_ctx *x)
{
	json_t *a = NULL;
	int rc = run_request(v, x, &a);
	const char *st = json_string_value(json_object_get(a, "status")),
		   *certno = json_string_value(json_object_get(a, "certno")),
		   *until = json_string_value(json_object_get(a, "valid_until")),
		   *pledgee = json_string_value(json_object_get(json_object_get(a, "pledge"), "pledgee"));
	if (!rc && !st)
		rc = cli_fail(1, "the server's answer has no status");
	if (!rc) {
		printf("%s %s certno %s valid_until %s", x->pos[1], st, certno ? certno : "-", until ? until : "-");
		if (json_is_true(json_object_get(a, "pledged")))
			printf(" pledged to %s", pledgee ? pledgee : "?");
		printf("\n");
	}
	json_decref(a);
	return rc;
}

/* ---- entry point: dipr apply|review|object|cert|admin ... ---- */

int cmd_workflow(const char *group, int argc, char **argv)
{
	static char name[96];
	wf_ctx x;
	memset(&x, 0, sizeof x);
	x.server = getenv("DIPR_SERVER");
	x.token = getenv("DIPR_TOKEN");
	cli_opt o[O_NSTR + 6];
	int n = 0;
	for (int i = 0; i < O_NSTR; i++)
		o[n++] = (cli_opt){opt_names[i], 1, &x.opt[i], NULL, NULL, NULL};
	o[n++] = (cli_opt){"--server", 1, &x.server, NULL, NULL, NULL};
	o[n++] = (cli_opt){"--token", 1, &x.token, NULL, NULL, NULL};
	o[n++] = (cli_opt){"--attach", 1, NULL, x.attach, &x.nattach, NULL};
	o[n++] = (cli_opt){"--exclusive", 0, NULL, NULL, NULL, &x.exclusive};
	o[n++] = (cli_opt){"--submit", 0, NULL, NULL, NULL, &x.submit};
	o[n] = (cli_opt){0};
	if (argc > 0 && strcmp(group, "cert") == 0 && strcmp(argv[0], "render") == 0) {
		snprintf(name, sizeof name, "dipr cert render");
		cli_cmd = name;
		return cmd_cert_render(argc, argv); /* offline, no server: it skips the verb */
	}
	if (argc > 0 && (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
		return usage(group, true);
	if (cli_parse(argc, argv, o, x.pos, &x.npos, 8))
		return usage(group, false);
	/* the verb named by pos[0] with its count of arguments, else the
	 * group's unnamed verb */
	const wf_verb *v = NULL;
	bool named = false;
	for (size_t i = 0; i < NVERBS && !v; i++) {
		if (strcmp(verbs[i].group, group) != 0)
			continue;
		if (verbs[i].verb && x.npos > 0 && strcmp(verbs[i].verb, x.pos[0]) == 0) {
			named = true;
			if (verbs[i].npos == x.npos)
				v = &verbs[i];
		}
	}
	for (size_t i = 0; i < NVERBS && !v && !named; i++)
		if (strcmp(verbs[i].group, group) == 0 && !verbs[i].verb && verbs[i].npos == x.npos)
			v = &verbs[i];
	if (!v) {
		if (x.npos)
			cli_fail(2, "\"%s\": unknown verb or wrong number of arguments", x.pos[0]);
		else
			cli_fail(2, "a verb is needed");
		return usage(group, false);
	}
	snprintf(name, sizeof name, "dipr %s%s%s", group, v->verb ? " " : "", v->verb ? v->verb : "");
	cli_cmd = name;
	for (int i = 0; i < O_NSTR; i++)
		if (x.opt[i] && !takes(v, opt_names[i]))
			return cli_fail(2, "%s: not an option of this verb", opt_names[i]);
	if ((x.exclusive && !takes(v, "--exclusive")) || (x.submit && !takes(v, "--submit")) ||
	    (x.nattach && !takes(v, "--attach")))
		return cli_fail(2, "%s: not an option of this verb",
				x.exclusive ? "--exclusive" : x.submit ? "--submit" : "--attach");
	if (!x.server)
		return cli_fail(2, "--server URL: required (or set DIPR_SERVER)");
	if (v->run)
		return v->run(v, &x);
	json_t *a = NULL;
	int rc = run_request(v, &x, &a);
	json_decref(a);
	return rc;
}
