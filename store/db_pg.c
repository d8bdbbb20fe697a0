/* db_pg.c — the PostgreSQL backend of store/db.h, on libpq (store/db_pg.h).
 * docs/POSTGRES.md §1.1-§1.2.
 *
 * Round trips: a statement costs one PQprepare the first time it is stepped
 * on a connection and one PQexecPrepared per execution; its whole result is
 * buffered by that call.  Transaction control goes through PQexec.
 *
 * Results come in binary format (resultFormat 1): bytea is the raw bytes,
 * integers are big-endian, and every value is NUL-terminated by libpq, so
 * text and blobs are handed out without copies.  Parameters go as text,
 * except blobs, which go binary (no escaping of 0 bytes). */
#ifdef DIPR_HAVE_PG

#include <inttypes.h>
#include <math.h> /* NAN, INFINITY: macros only, no libm */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libpq-fe.h>

#include "store/db_pg.h"

/* Built-in type OIDs (catalog/pg_type_d.h, fixed since PostgreSQL 7). */
enum {
	OID_BOOL = 16,
	OID_BYTEA = 17,
	OID_NAME = 19,
	OID_INT8 = 20,
	OID_INT2 = 21,
	OID_INT4 = 23,
	OID_TEXT = 25,
	OID_OID = 26,
	OID_JSON = 114,
	OID_FLOAT4 = 700,
	OID_FLOAT8 = 701,
	OID_UNKNOWN = 705,
	OID_BPCHAR = 1042,
	OID_VARCHAR = 1043,
	OID_NUMERIC = 1700,
	OID_JSONB = 3802,
};

#define SP_NAME_MAX 64   /* savepoint names we track (the store's are short) */
#define DEALLOC_BATCH 32 /* finalized prepared statements dropped in one go */
#define PARAM_MAX 32766  /* as SQLITE_MAX_VARIABLE_NUMBER */

struct dbpg {
	PGconn *pg;
	int ext;   /* last result, extended code */
	char *msg; /* last error message (malloc); NULL after success */
	int changes;
	uint64_t nstmt; /* names server-side statements: unique per connection */
	/* The savepoint whose SAVEPOINT opened the transaction (SQLite
	 * semantics, see db_pg.h), "" if none; depth counts savepoints of
	 * that name now open, so a nested one of the same name releases as a
	 * savepoint. */
	char outer[SP_NAME_MAX];
	int outer_depth;
	/* "DEALLOCATE a;DEALLOCATE b;..." for finalized statements, sent when
	 * the connection is idle: inside a transaction a failure would abort
	 * the caller's work. */
	char *dealloc;
	size_t dealloc_len, dealloc_cap;
	int dealloc_n;
	/* The commit hook (dbpg_set_commit_hook): called before COMMIT of a
	 * transaction that wrote one of tables; dirty says it did. */
	dbpg_commit_fn hook;
	void *hook_arg;
	const char *const *hook_tables;
	size_t hook_ntables;
	bool dirty, in_hook;
};

struct param {
	char *v; /* NULL: SQL NULL / unbound */
	int len;
	Oid type;
	int fmt; /* 0 text, 1 binary */
};

enum { ST_READY, ST_RUNNING, ST_HALT };

struct dbpg_st {
	struct dbpg *c;
	char *sql; /* with $N */
	bool ctl;  /* transaction control: run through dbpg_exec */
	int nparam;
	struct param *p;
	const char **vals; /* scratch for PQexecPrepared, nparam each */
	int *lens, *fmts;
	Oid *types;
	char name[32];
	bool prepared;
	PGresult *res;  /* the current execution's result */
	PGresult *desc; /* PQdescribePrepared, for metadata before a step */
	int row;
	int state;
	char (*num)[40]; /* per column: decimal text of a number */
	int nnum;
	int writes; /* writes a hooked table: -1 not yet known, 0, 1 */
};

/* ---- errors ---- */

static int set_ok(struct dbpg *c)
{
	c->ext = SQLITE_OK;
	free(c->msg);
	c->msg = NULL;
	return SQLITE_OK;
}

/* Keeps msg[0..n) without trailing white space. */
static int set_err_n(struct dbpg *c, int ext, const char *msg, size_t n)
{
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	free(c->msg);
	c->msg = malloc(n + 1);
	if (c->msg) {
		memcpy(c->msg, msg, n);
		c->msg[n] = 0;
	}
	c->ext = ext;
	return ext;
}

int dbpg_set_error(struct dbpg *c, int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return set_err_n(c, code, buf, strlen(buf));
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* SQLSTATE -> SQLite extended code (docs/POSTGRES.md §1.1). */
static int map_sqlstate(const char *s, const char *constraint)
{
	if (!s || strlen(s) != 5)
		return SQLITE_ERROR;
	if (!strcmp(s, "23505")) {
		/* SQLite says PRIMARYKEY for a duplicate key (accounts.c tells a
		 * stored session token by it); PostgreSQL's default name for the
		 * key's constraint is <table>_pkey. */
		size_t n = constraint ? strlen(constraint) : 0;
		return n > 5 && !strcmp(constraint + n - 5, "_pkey") ? SQLITE_CONSTRAINT_PRIMARYKEY
								      : SQLITE_CONSTRAINT_UNIQUE;
	}
	if (!strcmp(s, "23503"))
		return SQLITE_CONSTRAINT_FOREIGNKEY;
	if (!strcmp(s, "23502"))
		return SQLITE_CONSTRAINT_NOTNULL;
	if (!strcmp(s, "23514"))
		return SQLITE_CONSTRAINT_CHECK;
	if (starts(s, "23"))
		return SQLITE_CONSTRAINT;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03"))
		return SQLITE_BUSY;
	if (!strcmp(s, "57014"))
		return SQLITE_INTERRUPT;
	/* connection exceptions; the server shutting down (57P01-57P03) */
	if (starts(s, "08") || starts(s, "57P0"))
		return SQLITE_IOERR;
	if (starts(s, "53"))
		return SQLITE_FULL;
	if (!strcmp(s, "P0001"))
		return SQLITE_CONSTRAINT_TRIGGER;
	return SQLITE_ERROR;
}

/* Records the error of r (NULL: libpq's own, e.g. a lost connection) and
 * clears r.  Returns the code. */
static int result_err(struct dbpg *c, PGresult *r)
{
	int ext;
	const char *msg;
	if (r && PQresultStatus(r) == PGRES_FATAL_ERROR && PQresultErrorField(r, PG_DIAG_SQLSTATE)) {
		ext = map_sqlstate(PQresultErrorField(r, PG_DIAG_SQLSTATE),
				   PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME));
		msg = PQresultErrorMessage(r);
	} else {
		/* No SQLSTATE: produced by libpq, not the server. */
		ext = PQstatus(c->pg) == CONNECTION_BAD ? SQLITE_IOERR : r ? SQLITE_ERROR : SQLITE_NOMEM;
		msg = r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c->pg);
		if (r && !*msg && PQresultStatus(r) != PGRES_FATAL_ERROR)
			msg = "unexpected result (COPY or pipeline) from PostgreSQL";
	}
	if (PQstatus(c->pg) == CONNECTION_BAD)
		ext = SQLITE_IOERR;
	if (!msg || !*msg)
		msg = "unknown PostgreSQL error";
	set_err_n(c, ext, msg, strlen(msg));
	PQclear(r);
	return ext;
}

static void set_changes(struct dbpg *c, PGresult *r)
{
	const char *t = PQcmdStatus(r);
	if (starts(t, "INSERT ") || starts(t, "UPDATE ") || starts(t, "DELETE ") || starts(t, "MERGE "))
		c->changes = atoi(PQcmdTuples(r));
}

/* ---- SQL text: lexing just enough to find statements and placeholders ---- */

static bool ident_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
	       ch == '$' || (unsigned char)ch >= 0x80;
}

/* If p starts a string literal, quoted identifier, comment or dollar-quoted
 * body, returns the end of it (the end of the text if unterminated);
 * otherwise NULL.  start is the beginning of the text (to look behind). */
static const char *skip_quoted(const char *start, const char *p)
{
	if (*p == '\'' || *p == '"') {
		char q = *p;
		/* E'...' strings take backslash escapes */
		bool esc = q == '\'' && p > start && (p[-1] == 'E' || p[-1] == 'e') &&
			   (p - 1 == start || !ident_char((unsigned char)p[-2]));
		for (p++; *p; p++) {
			if (esc && *p == '\\' && p[1])
				p++;
			else if (*p == q) {
				if (p[1] != q)
					return p + 1;
				p++; /* doubled quote */
			}
		}
		return p;
	}
	if (p[0] == '-' && p[1] == '-') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	if (p[0] == '/' && p[1] == '*') {
		int depth = 0; /* PostgreSQL nests block comments */
		while (*p) {
			if (p[0] == '/' && p[1] == '*')
				depth++, p += 2;
			else if (p[0] == '*' && p[1] == '/') {
				p += 2;
				if (--depth == 0)
					return p;
			} else
				p++;
		}
		return p;
	}
	if (*p == '$' && (p == start || !ident_char((unsigned char)p[-1]))) {
		/* $tag$ ... $tag$; "$1" is a parameter, not a tag */
		const char *t = p + 1;
		if (*t >= '0' && *t <= '9')
			return NULL;
		while (*t && *t != '$' && ident_char((unsigned char)*t))
			t++;
		if (*t != '$')
			return NULL;
		size_t taglen = (size_t)(t - p) + 1;
		for (const char *e = t + 1; *e; e++)
			if (*e == '$' && strncmp(e, p, taglen) == 0)
				return e + taglen;
		return p + strlen(p);
	}
	return NULL;
}

/* The next statement of a script: *s, *n (without the ';'), or false at
 * the end.  Leading blanks and comments are skipped; empty statements too. */
static bool next_stmt(const char *start, const char **pos, const char **s, size_t *n)
{
	const char *p = *pos;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';')
			p++;
		if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
			p = skip_quoted(start, p);
		else
			break;
	}
	if (!*p)
		return false;
	const char *b = p;
	while (*p && *p != ';') {
		const char *q = skip_quoted(start, p);
		p = q ? q : p + 1;
	}
	size_t len = (size_t)(p - b);
	while (len > 0 && (b[len - 1] == ' ' || b[len - 1] == '\t' || b[len - 1] == '\n' || b[len - 1] == '\r'))
		len--;
	*s = b;
	*n = len;
	*pos = *p ? p + 1 : p;
	return true;
}

enum { CTL_NONE, CTL_BEGIN, CTL_COMMIT, CTL_ROLLBACK, CTL_SAVEPOINT, CTL_RELEASE, CTL_ROLLBACK_TO };

/* Reads a word of s[0..n) at *i (after blanks) into w; false if none. */
static bool word(const char *s, size_t n, size_t *i, char *w, size_t cap)
{
	size_t k = 0;
	while (*i < n && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r'))
		(*i)++;
	if (*i < n && s[*i] == '"') { /* a quoted name, kept with its quotes */
		w[k++] = s[(*i)++];
		while (*i < n && k + 2 < cap && s[*i] != '"')
			w[k++] = s[(*i)++];
		if (*i < n && s[*i] == '"')
			w[k++] = s[(*i)++];
	} else {
		while (*i < n && k + 1 < cap && ident_char((unsigned char)s[*i]))
			w[k++] = s[(*i)++];
	}
	w[k] = 0;
	return k > 0;
}

/* Classifies one statement; name gets the savepoint name.  *begin_plain:
 * BEGIN with SQLite's IMMEDIATE/DEFERRED/EXCLUSIVE, to be sent as BEGIN. */
static int classify(const char *s, size_t n, char name[SP_NAME_MAX], bool *begin_plain)
{
	char w[SP_NAME_MAX];
	size_t i = 0;
	name[0] = 0;
	if (begin_plain)
		*begin_plain = false;
	if (!word(s, n, &i, w, sizeof w))
		return CTL_NONE;
	if (!strcasecmp(w, "BEGIN")) {
		if (word(s, n, &i, w, sizeof w) && begin_plain &&
		    (!strcasecmp(w, "IMMEDIATE") || !strcasecmp(w, "DEFERRED") || !strcasecmp(w, "EXCLUSIVE")))
			*begin_plain = true;
		return CTL_BEGIN;
	}
	if (!strcasecmp(w, "COMMIT") || !strcasecmp(w, "END"))
		return CTL_COMMIT;
	if (!strcasecmp(w, "SAVEPOINT"))
		return word(s, n, &i, name, SP_NAME_MAX) ? CTL_SAVEPOINT : CTL_NONE;
	if (!strcasecmp(w, "RELEASE")) {
		if (!word(s, n, &i, name, SP_NAME_MAX))
			return CTL_NONE;
		if (!strcasecmp(name, "SAVEPOINT") && !word(s, n, &i, name, SP_NAME_MAX))
			return CTL_NONE;
		return CTL_RELEASE;
	}
	if (!strcasecmp(w, "ROLLBACK")) {
		if (!word(s, n, &i, w, sizeof w))
			return CTL_ROLLBACK;
		if ((!strcasecmp(w, "WORK") || !strcasecmp(w, "TRANSACTION")) && !word(s, n, &i, w, sizeof w))
			return CTL_ROLLBACK;
		if (strcasecmp(w, "TO") != 0)
			return CTL_ROLLBACK; /* ROLLBACK AND [NO] CHAIN */
		if (!word(s, n, &i, name, SP_NAME_MAX))
			return CTL_NONE;
		if (!strcasecmp(name, "SAVEPOINT") && !word(s, n, &i, name, SP_NAME_MAX))
			return CTL_NONE;
		return CTL_ROLLBACK_TO;
	}
	return CTL_NONE;
}

/* SQLite compares savepoint names without case. */
static bool same_name(const char *a, const char *b)
{
	return a[0] && strcasecmp(a, b) == 0;
}

/* ---- the commit hook ---- */

/* w names one of the hook's tables (quotes and case ignored). */
static bool hooked_name(struct dbpg *c, const char *w)
{
	char n[SP_NAME_MAX];
	size_t k = strlen(w);
	if (k >= 2 && w[0] == '"' && w[k - 1] == '"')
		snprintf(n, sizeof n, "%.*s", (int)(k - 2), w + 1);
	else
		snprintf(n, sizeof n, "%s", w);
	for (size_t i = 0; i < c->hook_ntables; i++)
		if (!strcasecmp(n, c->hook_tables[i]))
			return true;
	return false;
}

/* The target of INSERT INTO / UPDATE [ONLY] / DELETE FROM [ONLY] at *i,
 * schema-qualified or not: its last part is in w. */
static bool target_name(const char *s, size_t n, size_t *i, char *w, size_t cap)
{
	if (!word(s, n, i, w, cap))
		return false;
	if (!strcasecmp(w, "ONLY") && !word(s, n, i, w, cap))
		return false;
	while (*i < n && s[*i] == '.') {
		(*i)++;
		if (!word(s, n, i, w, cap))
			return false;
	}
	return true;
}

/* Whether statement s[0..n) may write one of the hook's tables.  A plain
 * INSERT, UPDATE or DELETE by its target; SELECT, VALUES, SET, SHOW never;
 * anything else (WITH, MERGE, COPY, DDL) when it names such a table
 * anywhere.  A wrong "no" costs nothing worse than a refused COMMIT: the
 * database's own deferred check (store/verify.c) catches every unsealed
 * write. */
static bool writes_hooked(struct dbpg *c, const char *s, size_t n)
{
	char w[SP_NAME_MAX];
	size_t i = 0;
	if (!c->hook || !word(s, n, &i, w, sizeof w))
		return false;
	if (!strcasecmp(w, "SELECT") || !strcasecmp(w, "VALUES") || !strcasecmp(w, "SET") || !strcasecmp(w, "SHOW"))
		return false;
	if (!strcasecmp(w, "INSERT") || !strcasecmp(w, "DELETE")) {
		if (!word(s, n, &i, w, sizeof w)) /* INTO / FROM */
			return false;
		return target_name(s, n, &i, w, sizeof w) && hooked_name(c, w);
	}
	if (!strcasecmp(w, "UPDATE"))
		return target_name(s, n, &i, w, sizeof w) && hooked_name(c, w);
	for (;;) {
		while (i < n && !ident_char((unsigned char)s[i]) && s[i] != '"')
			i++;
		if (i >= n)
			return false;
		if (!word(s, n, &i, w, sizeof w))
			i++;
		else if (hooked_name(c, w))
			return true;
	}
}

/* The same for a script: any of its statements. */
static bool script_writes_hooked(struct dbpg *c, const char *script)
{
	const char *pos = script, *s;
	size_t n;
	while (c->hook && next_stmt(script, &pos, &s, &n))
		if (writes_hooked(c, s, n))
			return true;
	return false;
}

/* ROLLBACK keeping the error recorded on c (the reason for it). */
static void rollback_keep(struct dbpg *c)
{
	PQclear(PQexec(c->pg, "ROLLBACK"));
	c->dirty = false;
	c->outer[0] = 0;
	c->outer_depth = 0;
}

/* Before COMMIT: the hook, when this transaction wrote a hooked table.  On
 * failure the transaction is rolled back and the hook's error kept. */
static int precommit(struct dbpg *c)
{
	if (!c->hook || !c->dirty || c->in_hook || PQtransactionStatus(c->pg) != PQTRANS_INTRANS)
		return SQLITE_OK;
	c->in_hook = true;
	int rc = c->hook(c->hook_arg);
	c->in_hook = false;
	if (rc != SQLITE_OK) {
		if (c->ext == SQLITE_OK)
			dbpg_set_error(c, rc, "commit hook failed");
		rollback_keep(c);
		return rc;
	}
	c->dirty = false;
	return SQLITE_OK;
}

void dbpg_set_commit_hook(struct dbpg *c, dbpg_commit_fn fn, void *arg, const char *const *tables, size_t n)
{
	c->hook = fn;
	c->hook_arg = arg;
	c->hook_tables = tables;
	c->hook_ntables = fn ? n : 0;
	c->dirty = false;
}

/* ---- running statements without parameters ---- */

/* PQexec of sql; SQLITE_OK, or the error recorded.  *tag (may be NULL)
 * gets the command tag's first word. */
static int run(struct dbpg *c, const char *sql, char tag[16])
{
	PGresult *r = PQexec(c->pg, sql);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && s != PGRES_EMPTY_QUERY)
		return result_err(c, r);
	if (tag) {
		snprintf(tag, 16, "%s", PQcmdStatus(r));
		tag[strcspn(tag, " ")] = 0;
	}
	set_changes(c, r);
	PQclear(r);
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		c->dirty = false;
	return set_ok(c);
}

/* COMMIT; an aborted transaction "commits" as a rollback, which must not
 * pass for success. */
static int commit(struct dbpg *c, const char *sql)
{
	char tag[16];
	int rc = precommit(c);
	if (rc)
		return rc;
	rc = run(c, sql, tag);
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		c->dirty = false;
	if (rc == SQLITE_OK && !strcmp(tag, "ROLLBACK"))
		return dbpg_set_error(c, SQLITE_ABORT,
				      "COMMIT: the transaction was rolled back (an earlier statement in it failed)");
	return rc;
}

/* Around a statement that writes a hooked table: inside a transaction it
 * marks the transaction for the hook; outside one (autocommit) it gets a
 * transaction of its own, BEGIN .. statement .. hook .. COMMIT, so that a
 * single write is handled like every other (no write path can forget the
 * hook).  write_end takes the statement's result code. */
static int write_begin(struct dbpg *c, bool *wrapped)
{
	*wrapped = false;
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
		int rc = run(c, "BEGIN", NULL);
		if (rc)
			return rc;
		*wrapped = true;
	}
	c->dirty = true;
	return SQLITE_OK;
}

static int write_end(struct dbpg *c, bool wrapped, int rc)
{
	if (!wrapped)
		return rc;
	if (rc != SQLITE_OK) {
		rollback_keep(c);
		return rc;
	}
	int changes = c->changes; /* the statement's, not the hook's */
	if ((rc = commit(c, "COMMIT")))
		return rc;
	c->changes = changes;
	return SQLITE_OK;
}

static void forget_outer(struct dbpg *c)
{
	c->outer[0] = 0;
	c->outer_depth = 0;
}

/* Runs s[0..n) of kind k; next is the following statement's kind and name
 * (for "ROLLBACK TO x; RELEASE x"), *skip_next set when it was consumed. */
static int run_ctl(struct dbpg *c, const char *s, size_t n, int k, const char *name, bool begin_plain, int next,
		   const char *next_name, bool *skip_next)
{
	char *one = NULL;
	int rc;
	*skip_next = false;
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		forget_outer(c);
	switch (k) {
	case CTL_SAVEPOINT:
		if (PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
			/* SQLite: a SAVEPOINT outside a transaction starts one.  The
			 * real savepoint is made too, so ROLLBACK TO it alone works
			 * (and keeps the transaction) as in SQLite. */
			if ((rc = run(c, "BEGIN", NULL)))
				return rc;
			snprintf(c->outer, sizeof c->outer, "%s", name);
			c->outer_depth = 1;
		} else if (same_name(c->outer, name))
			c->outer_depth++;
		break;
	case CTL_RELEASE:
		if (same_name(c->outer, name)) {
			if (c->outer_depth > 1) {
				c->outer_depth--;
				break;
			}
			forget_outer(c);
			return commit(c, "COMMIT");
		}
		break;
	case CTL_ROLLBACK_TO:
		if (same_name(c->outer, name) && c->outer_depth == 1 && next == CTL_RELEASE &&
		    same_name(next_name, name)) {
			*skip_next = true;
			forget_outer(c);
			return run(c, "ROLLBACK", NULL);
		}
		break;
	case CTL_BEGIN:
		if (begin_plain)
			return run(c, "BEGIN", NULL);
		break;
	case CTL_COMMIT:
		forget_outer(c);
		if (!(one = strndup(s, n)))
			return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
		rc = commit(c, one);
		free(one);
		return rc;
	case CTL_ROLLBACK:
		forget_outer(c);
		break;
	default:
		break;
	}
	if (!(one = strndup(s, n)))
		return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
	bool wrapped = false;
	if (k == CTL_NONE && !c->in_hook && writes_hooked(c, s, n) && (rc = write_begin(c, &wrapped))) {
		free(one);
		return rc;
	}
	rc = write_end(c, wrapped, run(c, one, NULL));
	free(one);
	return rc;
}

int dbpg_exec(struct dbpg *c, const char *script)
{
	const char *pos = script, *s;
	size_t n;
	char name[SP_NAME_MAX];
	bool any = false, plain;
	/* Fast path: no transaction control at all, send it whole. */
	while (next_stmt(script, &pos, &s, &n))
		if (classify(s, n, name, &plain) != CTL_NONE) {
			any = true;
			break;
		}
	if (!any) {
		bool wrapped = false;
		int rc;
		if (!c->in_hook && script_writes_hooked(c, script) && (rc = write_begin(c, &wrapped)))
			return rc;
		return write_end(c, wrapped, run(c, script, NULL));
	}
	pos = script;
	bool have = next_stmt(script, &pos, &s, &n);
	while (have) {
		const char *s2 = NULL;
		size_t n2 = 0;
		char name2[SP_NAME_MAX] = "";
		int k = classify(s, n, name, &plain), k2 = CTL_NONE;
		bool have2 = next_stmt(script, &pos, &s2, &n2), skip = false;
		if (have2)
			k2 = classify(s2, n2, name2, NULL);
		int rc = run_ctl(c, s, n, k, name, plain, k2, name2, &skip);
		if (rc)
			return rc;
		if (skip)
			have2 = next_stmt(script, &pos, &s2, &n2);
		have = have2;
		s = s2;
		n = n2;
	}
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		forget_outer(c);
	return set_ok(c);
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message; /* NOTICEs such as "relation already exists, skipping" */
}

int dbpg_open(struct dbpg **out, const char *conninfo)
{
	struct dbpg *c = calloc(1, sizeof *c);
	PGresult *r = NULL;
	*out = c;
	if (!c)
		return SQLITE_NOMEM;
	c->pg = PQconnectdb(conninfo);
	if (!c->pg)
		return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *m = PQerrorMessage(c->pg);
		return set_err_n(c, SQLITE_CANTOPEN, m, strlen(m));
	}
	PQsetNoticeProcessor(c->pg, quiet, NULL);
	if (PQsetClientEncoding(c->pg, "UTF8") != 0) {
		const char *m = PQerrorMessage(c->pg);
		return set_err_n(c, SQLITE_ERROR, m, strlen(m));
	}
	/* lock_timeout: the counterpart of busy_timeout 5000 (§1.2); 55P03
	 * maps to SQLITE_BUSY as SQLite's does. */
	int rc = run(c, "SET TIME ZONE 'UTC'; SET lock_timeout = '5s'", NULL);
	if (rc)
		return rc;
	/* Durability: COMMIT must return after the WAL reached the disk, or
	 * "nothing acknowledged is lost" is false.  `local` would do for one
	 * node, but then a synchronous standby is silently not waited for. */
	r = PQexec(c->pg, "SELECT current_setting('fsync'), current_setting('synchronous_commit')");
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return result_err(c, r);
	const char *fs = PQgetvalue(r, 0, 0), *sc = PQgetvalue(r, 0, 1);
	if (strcmp(fs, "on") != 0)
		rc = dbpg_set_error(c, SQLITE_ERROR,
				    "PostgreSQL runs with fsync=%s: a committed batch could be lost on a crash "
				    "(dipr needs fsync=on)",
				    fs);
	else if (strcmp(sc, "on") && strcmp(sc, "remote_write") && strcmp(sc, "remote_apply"))
		rc = dbpg_set_error(c, SQLITE_ERROR,
				    "PostgreSQL runs with synchronous_commit=%s: COMMIT would return before the WAL "
				    "is flushed (dipr needs on, remote_write or remote_apply)",
				    sc);
	else
		rc = set_ok(c);
	PQclear(r);
	return rc;
}

void dbpg_close(struct dbpg *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg); /* the server drops prepared statements with the session */
	free(c->msg);
	free(c->dealloc);
	free(c);
}

struct pg_conn *dbpg_conn(struct dbpg *c)
{
	return c->pg;
}

int dbpg_changes(struct dbpg *c)
{
	return c->changes;
}

int dbpg_errcode(struct dbpg *c)
{
	return c->ext & 0xff;
}

int dbpg_extended_errcode(struct dbpg *c)
{
	return c->ext;
}

const char *dbpg_errmsg(struct dbpg *c)
{
	return c->msg ? c->msg : c->ext == SQLITE_OK ? "not an error" : "out of memory";
}

bool dbpg_in_txn(struct dbpg *c)
{
	return PQtransactionStatus(c->pg) != PQTRANS_IDLE;
}

/* Sends the queued DEALLOCATEs when nothing can be hurt by their failure. */
static void dealloc_flush(struct dbpg *c)
{
	if (c->dealloc_n == 0 || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return;
	PQclear(PQexec(c->pg, c->dealloc)); /* a failure only leaks on the server */
	c->dealloc_len = 0;
	c->dealloc_n = 0;
}

static void dealloc_queue(struct dbpg *c, const char *name)
{
	size_t need = c->dealloc_len + strlen(name) + 16;
	if (need > c->dealloc_cap) {
		size_t cap = need * 2;
		char *p = realloc(c->dealloc, cap);
		if (!p)
			return; /* leaks the server-side statement until disconnect */
		c->dealloc = p;
		c->dealloc_cap = cap;
	}
	c->dealloc_len += (size_t)snprintf(c->dealloc + c->dealloc_len, c->dealloc_cap - c->dealloc_len,
					   "DEALLOCATE %s;", name);
	c->dealloc_n++;
}

/* ---- statements ---- */

/* ?N -> $N outside quotes and comments; *nparam = the largest N (also of a
 * $N already in the text). */
static int rewrite(struct dbpg *c, const char *sql, char **out, int *nparam)
{
	size_t n = strlen(sql);
	char *o = malloc(n + 1), *w = o;
	int max = 0;
	if (!o)
		return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
	for (const char *p = sql; *p;) {
		const char *q = skip_quoted(sql, p);
		if (q) {
			memcpy(w, p, (size_t)(q - p));
			w += q - p;
			p = q;
			continue;
		}
		if ((*p == '?' || *p == '$') && !(p > sql && ident_char((unsigned char)p[-1]) && *p == '$')) {
			const char *d = p + 1;
			long v = 0;
			while (*d >= '0' && *d <= '9' && v <= PARAM_MAX)
				v = v * 10 + (*d++ - '0');
			if (*p == '?' && d == p + 1) {
				free(o);
				return dbpg_set_error(c, SQLITE_ERROR, "SQL: '?' without a number (write ?N): %.60s", sql);
			}
			if (d > p + 1) {
				if (v < 1 || v > PARAM_MAX) {
					free(o);
					return dbpg_set_error(c, SQLITE_RANGE, "SQL: parameter %.*s out of range", (int)(d - p),
							      p);
				}
				if (v > max)
					max = (int)v;
				*w++ = '$';
				memcpy(w, p + 1, (size_t)(d - p - 1));
				w += d - p - 1;
				p = d;
				continue;
			}
		}
		*w++ = *p++;
	}
	*w = 0;
	*out = o;
	*nparam = max;
	return SQLITE_OK;
}

int dbpg_prepare(struct dbpg *c, const char *sql, struct dbpg_st **out)
{
	struct dbpg_st *st = calloc(1, sizeof *st);
	char name[SP_NAME_MAX];
	int rc;
	*out = NULL;
	if (!st)
		return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
	st->c = c;
	st->row = -1;
	st->writes = -1;
	if ((rc = rewrite(c, sql, &st->sql, &st->nparam))) {
		free(st);
		return rc;
	}
	const char *pos = st->sql, *s;
	size_t n;
	st->ctl = next_stmt(st->sql, &pos, &s, &n) && classify(s, n, name, NULL) != CTL_NONE;
	if (st->ctl && st->nparam) {
		dbpg_finalize(st);
		return dbpg_set_error(c, SQLITE_ERROR, "SQL: parameters in transaction control: %.60s", sql);
	}
	if (st->nparam) {
		size_t k = (size_t)st->nparam;
		st->p = calloc(k, sizeof *st->p);
		st->vals = calloc(k, sizeof *st->vals);
		st->lens = calloc(k, sizeof *st->lens);
		st->fmts = calloc(k, sizeof *st->fmts);
		st->types = calloc(k, sizeof *st->types);
		if (!st->p || !st->vals || !st->lens || !st->fmts || !st->types) {
			dbpg_finalize(st);
			return dbpg_set_error(c, SQLITE_NOMEM, "out of memory");
		}
	}
	snprintf(st->name, sizeof st->name, "dipr_%" PRIu64, ++c->nstmt);
	*out = st;
	return set_ok(c);
}

static void clear_result(struct dbpg_st *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->state = ST_READY;
}

void dbpg_reset(struct dbpg_st *st)
{
	if (st)
		clear_result(st);
}

void dbpg_clear_bindings(struct dbpg_st *st)
{
	for (int i = 0; st && st->p && i < st->nparam; i++) {
		free(st->p[i].v);
		st->p[i] = (struct param){0};
	}
}

void dbpg_finalize(struct dbpg_st *st)
{
	if (!st)
		return;
	clear_result(st);
	PQclear(st->desc);
	dbpg_clear_bindings(st);
	if (st->prepared)
		dealloc_queue(st->c, st->name);
	free(st->p);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->num);
	free(st->sql);
	free(st);
}

/* Copies v[0..n) (always allocated, NUL-terminated: libpq takes a NULL
 * value for SQL NULL, so an empty string or blob needs a pointer). */
static int bind(struct dbpg_st *st, int i, const void *v, int n, Oid type, int fmt)
{
	if (i < 1 || i > st->nparam)
		return dbpg_set_error(st->c, SQLITE_RANGE, "bind: no parameter ?%d (the statement has %d)", i,
				      st->nparam);
	if (st->state != ST_READY)
		return dbpg_set_error(st->c, SQLITE_MISUSE, "bind: statement stepped and not reset");
	if (n < 0)
		return dbpg_set_error(st->c, SQLITE_MISUSE, "bind: negative length");
	char *copy = malloc((size_t)n + 1);
	if (!copy)
		return dbpg_set_error(st->c, SQLITE_NOMEM, "out of memory");
	if (n)
		memcpy(copy, v, (size_t)n);
	copy[n] = 0;
	free(st->p[i - 1].v);
	st->p[i - 1] = (struct param){copy, n, type, fmt};
	return SQLITE_OK;
}

int dbpg_bind_int64(struct dbpg_st *st, int i, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%" PRId64, v);
	return bind(st, i, b, n, OID_INT8, 0);
}

int dbpg_bind_int(struct dbpg_st *st, int i, int v)
{
	return dbpg_bind_int64(st, i, v);
}

int dbpg_bind_text(struct dbpg_st *st, int i, const char *v, int n)
{
	if (!v)
		return dbpg_bind_null(st, i);
	if (n < 0) {
		size_t len = strlen(v);
		if (len > 0x7fffffff)
			return dbpg_set_error(st->c, SQLITE_TOOBIG, "bind: text too long");
		n = (int)len;
	}
	return bind(st, i, v, n, OID_TEXT, 0);
}

int dbpg_bind_blob(struct dbpg_st *st, int i, const void *v, int n)
{
	if (!v && n > 0)
		return dbpg_set_error(st->c, SQLITE_MISUSE, "bind: NULL blob of length %d", n);
	return bind(st, i, v, n, OID_BYTEA, 1);
}

int dbpg_bind_null(struct dbpg_st *st, int i)
{
	if (i < 1 || i > st->nparam)
		return dbpg_set_error(st->c, SQLITE_RANGE, "bind: no parameter ?%d (the statement has %d)", i,
				      st->nparam);
	if (st->state != ST_READY)
		return dbpg_set_error(st->c, SQLITE_MISUSE, "bind: statement stepped and not reset");
	free(st->p[i - 1].v);
	st->p[i - 1] = (struct param){0};
	return SQLITE_OK;
}

/* The server-side prepare, with the types of the bindings made so far. */
static int ensure_prepared(struct dbpg_st *st)
{
	if (st->prepared)
		return SQLITE_OK;
	for (int i = 0; i < st->nparam; i++)
		st->types[i] = st->p[i].v ? st->p[i].type : 0;
	PGresult *r = PQprepare(st->c->pg, st->name, st->sql, st->nparam, st->types);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
		return result_err(st->c, r);
	PQclear(r);
	st->prepared = true;
	return SQLITE_OK;
}

/* Per-column number buffers, sized to the result. */
static int ensure_num(struct dbpg_st *st, int ncols)
{
	if (ncols <= st->nnum)
		return SQLITE_OK;
	void *p = realloc(st->num, (size_t)ncols * sizeof *st->num);
	if (!p)
		return dbpg_set_error(st->c, SQLITE_NOMEM, "out of memory");
	st->num = p;
	st->nnum = ncols;
	return SQLITE_OK;
}

int dbpg_step(struct dbpg_st *st)
{
	struct dbpg *c = st->c;
	int rc;
	if (st->state == ST_RUNNING) {
		if (++st->row < PQntuples(st->res))
			return SQLITE_ROW;
		st->state = ST_HALT;
		return SQLITE_DONE;
	}
	if (st->state == ST_HALT)
		clear_result(st); /* SQLite's automatic reset */
	st->state = ST_HALT;     /* until it succeeds */
	if (st->ctl)
		return (rc = dbpg_exec(c, st->sql)) ? rc : SQLITE_DONE;
	if (c->dealloc_n >= DEALLOC_BATCH)
		dealloc_flush(c);
	if (st->writes < 0 && c->hook)
		st->writes = writes_hooked(c, st->sql, strlen(st->sql));
	bool wrapped = false;
	if (st->writes == 1 && !c->in_hook && (rc = write_begin(c, &wrapped)))
		return rc;
	if ((rc = ensure_prepared(st)))
		return write_end(c, wrapped, rc);
	for (int i = 0; i < st->nparam; i++) {
		st->vals[i] = st->p[i].v;
		st->lens[i] = st->p[i].len;
		st->fmts[i] = st->p[i].fmt;
	}
	PGresult *r = PQexecPrepared(c->pg, st->name, st->nparam, st->vals, st->lens, st->fmts, 1);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK && s != PGRES_EMPTY_QUERY)
		return write_end(c, wrapped, result_err(c, r));
	if ((rc = ensure_num(st, PQnfields(r)))) {
		PQclear(r);
		return write_end(c, wrapped, rc);
	}
	set_changes(c, r);
	set_ok(c);
	if (wrapped && (rc = write_end(c, true, SQLITE_OK))) {
		PQclear(r);
		return rc;
	}
	if (PQtransactionStatus(c->pg) == PQTRANS_IDLE)
		c->dirty = false;
	st->res = r;
	st->row = 0;
	if (s == PGRES_TUPLES_OK && PQntuples(r) > 0) {
		st->state = ST_RUNNING;
		return SQLITE_ROW;
	}
	return SQLITE_DONE;
}

/* ---- columns ---- */

/* The result to read metadata from: the current one, or a description. */
static PGresult *meta(struct dbpg_st *st)
{
	if (st->res)
		return st->res;
	if (st->desc || st->ctl)
		return st->desc;
	if (ensure_prepared(st))
		return NULL;
	PGresult *r = PQdescribePrepared(st->c->pg, st->name);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		result_err(st->c, r);
		return NULL;
	}
	st->desc = r;
	return r;
}

int dbpg_column_count(struct dbpg_st *st)
{
	PGresult *r = meta(st);
	return r ? PQnfields(r) : 0;
}

const char *dbpg_column_name(struct dbpg_st *st, int i)
{
	PGresult *r = meta(st);
	return r && i >= 0 && i < PQnfields(r) ? PQfname(r, i) : NULL;
}

/* The value of column i on the current row, or NULL (no row, no such
 * column, SQL NULL). */
static const unsigned char *val(struct dbpg_st *st, int i, int *len, Oid *type)
{
	if (st->state != ST_RUNNING || i < 0 || i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i))
		return NULL;
	*len = PQgetlength(st->res, st->row, i);
	*type = PQftype(st->res, i);
	return (const unsigned char *)PQgetvalue(st->res, st->row, i);
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int k = 0; k < n; k++)
		v = v << 8 | p[k];
	return v;
}

static int kind(Oid t)
{
	switch (t) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return SQLITE_INTEGER;
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		return SQLITE_FLOAT;
	case OID_TEXT:
	case OID_VARCHAR:
	case OID_BPCHAR:
	case OID_NAME:
	case OID_JSON:
	case OID_JSONB:
	case OID_UNKNOWN:
		return SQLITE_TEXT;
	default:
		return SQLITE_BLOB; /* bytea, and binary forms we do not decode */
	}
}

int dbpg_column_type(struct dbpg_st *st, int i)
{
	int len;
	Oid t;
	return val(st, i, &len, &t) ? kind(t) : SQLITE_NULL;
}

/* Binary numeric (src/backend/utils/adt/numeric.c numeric_send): int16
 * ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits base-10000
 * digits, the first worth 10000^weight. */
static bool numeric_parts(const unsigned char *v, int len, int *nd, int *weight, unsigned *sign,
			  const unsigned char **dig)
{
	if (len < 8)
		return false;
	*nd = (int16_t)be(v, 2);
	*weight = (int16_t)be(v + 2, 2);
	*sign = (unsigned)be(v + 4, 2);
	*dig = v + 8;
	return *nd >= 0 && len >= 8 + 2 * *nd;
}

static double numeric_double(const unsigned char *v, int len)
{
	int nd, w;
	unsigned sign;
	const unsigned char *d;
	if (!numeric_parts(v, len, &nd, &w, &sign, &d))
		return 0;
	if (sign == 0xC000)
		return NAN;
	if (sign == 0xD000 || sign == 0xF000)
		return sign == 0xD000 ? INFINITY : -INFINITY;
	double x = 0;
	for (int k = 0; k < nd; k++)
		x = x * 10000 + (double)be(d + 2 * k, 2);
	for (int e = w - (nd - 1); e > 0; e--)
		x *= 10000;
	for (int e = w - (nd - 1); e < 0; e++)
		x /= 10000;
	return sign == 0x4000 ? -x : x;
}

/* The integer part, exactly; *exact false if it has a fraction or does not
 * fit (then the value saturates, as SQLite's real-to-integer does). */
static int64_t numeric_int(const unsigned char *v, int len, bool *exact)
{
	int nd, w;
	unsigned sign;
	const unsigned char *d;
	uint64_t x = 0;
	*exact = true;
	if (!numeric_parts(v, len, &nd, &w, &sign, &d) || (sign != 0 && sign != 0x4000)) {
		*exact = false;
		return 0;
	}
	for (int k = 0; k < nd; k++) {
		if (w - k < 0) { /* fraction */
			if (be(d + 2 * k, 2))
				*exact = false;
			continue;
		}
		if (__builtin_mul_overflow(x, 10000, &x) || __builtin_add_overflow(x, be(d + 2 * k, 2), &x))
			goto overflow;
	}
	for (int e = w - (nd - 1); e > 0 && nd > 0; e--)
		if (__builtin_mul_overflow(x, 10000, &x))
			goto overflow;
	if (sign == 0x4000) {
		if (x > (uint64_t)INT64_MAX + 1)
			goto overflow;
		return x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x;
	}
	if (x > (uint64_t)INT64_MAX)
		goto overflow;
	return (int64_t)x;
overflow:
	*exact = false;
	return sign == 0x4000 ? INT64_MIN : INT64_MAX;
}

static double to_double(const unsigned char *v, int len, Oid t)
{
	switch (t) {
	case OID_FLOAT4: {
		uint32_t b = (uint32_t)be(v, 4);
		float f;
		memcpy(&f, &b, 4);
		return f;
	}
	case OID_FLOAT8: {
		uint64_t b = be(v, 8);
		double f;
		memcpy(&f, &b, 8);
		return f;
	}
	case OID_NUMERIC:
		return numeric_double(v, len);
	default:
		return strtod((const char *)v + (t == OID_JSONB), NULL);
	}
}

int64_t dbpg_column_int64(struct dbpg_st *st, int i)
{
	int len;
	Oid t;
	const unsigned char *v = val(st, i, &len, &t);
	bool exact;
	if (!v)
		return 0;
	switch (t) {
	case OID_BOOL:
		return len >= 1 && v[0] != 0;
	case OID_INT2:
		return len == 2 ? (int16_t)be(v, 2) : 0;
	case OID_INT4:
		return len == 4 ? (int32_t)be(v, 4) : 0;
	case OID_OID:
		return len == 4 ? (int64_t)be(v, 4) : 0;
	case OID_INT8:
		return len == 8 ? (int64_t)be(v, 8) : 0;
	case OID_NUMERIC:
		return numeric_int(v, len, &exact);
	case OID_FLOAT4:
	case OID_FLOAT8: {
		double d = to_double(v, len, t);
		return d != d ? 0 : d >= 9223372036854775807.0 ? INT64_MAX : d <= -9223372036854775808.0 ? INT64_MIN
												: (int64_t)d;
	}
	default:
		return strtoll((const char *)v + (t == OID_JSONB), NULL, 10);
	}
}

int dbpg_column_int(struct dbpg_st *st, int i)
{
	return (int)dbpg_column_int64(st, i);
}

double dbpg_column_double(struct dbpg_st *st, int i)
{
	int len;
	Oid t;
	const unsigned char *v = val(st, i, &len, &t);
	if (!v)
		return 0;
	if (kind(t) == SQLITE_INTEGER)
		return (double)dbpg_column_int64(st, i);
	return to_double(v, len, t);
}

/* The value as text: the bytes themselves for text and blobs, else decimal
 * text in the column's buffer.  *n gets the length. */
static const unsigned char *as_text(struct dbpg_st *st, int i, int *n)
{
	int len;
	Oid t;
	const unsigned char *v = val(st, i, &len, &t);
	bool exact = false;
	if (!v) {
		*n = 0;
		return NULL;
	}
	switch (kind(t)) {
	case SQLITE_INTEGER:
		*n = snprintf(st->num[i], sizeof st->num[i], "%" PRId64, dbpg_column_int64(st, i));
		return (const unsigned char *)st->num[i];
	case SQLITE_FLOAT:
		if (t == OID_NUMERIC) {
			int64_t x = numeric_int(v, len, &exact);
			if (exact) {
				*n = snprintf(st->num[i], sizeof st->num[i], "%" PRId64, x);
				return (const unsigned char *)st->num[i];
			}
		}
		*n = snprintf(st->num[i], sizeof st->num[i], "%.15g", to_double(v, len, t));
		return (const unsigned char *)st->num[i];
	default:
		if (t == OID_JSONB && len >= 1) { /* a version byte, then the text */
			*n = len - 1;
			return v + 1;
		}
		*n = len;
		return v;
	}
}

const unsigned char *dbpg_column_text(struct dbpg_st *st, int i)
{
	int n;
	return as_text(st, i, &n);
}

const void *dbpg_column_blob(struct dbpg_st *st, int i)
{
	int n;
	return as_text(st, i, &n);
}

int dbpg_column_bytes(struct dbpg_st *st, int i)
{
	int n;
	as_text(st, i, &n);
	return n;
}

#else
typedef int dipr_no_pg_driver; /* ISO C: a translation unit is not empty */
#endif
