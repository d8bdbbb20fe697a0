/* application.c — the application document (DOMAIN.md "The chain" step
 * 2): one table describes every member, one walker checks a document
 * against it, and the few rules that tie members together (agreement_end
 * by source type, id by applicant type, the commitment) follow the walk.
 * See registry/application.h for the schema. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "dipr/ident.h"
#include "registry/application.h"

#define MAX_INT 9007199254740991LL /* 2^53 - 1: exact in every JSON reader */

enum kind {
	K_OBJ,        /* object with members sub */
	K_LINE,       /* single-line text: no control characters, trimmed */
	K_TEXT,       /* multi-line text: \n and \t allowed */
	K_EMAIL,      /* K_LINE with one '@' and no white space */
	K_ENUM,       /* one of names */
	K_INT,        /* integer min..max */
	K_BOOL,
	K_DATE,       /* "YYYY-MM-DD" */
	K_ID,         /* USCC or identity number by the sibling "type" */
	K_RECEIPTS,   /* array of min..max receipt strings */
	K_SAMPLE,     /* object of at most DIPR_APP_SAMPLE_MAX bytes */
	K_DISCLOSURE, /* markable name -> "public" | "confidential" */
};

struct field {
	const char *name;
	enum kind kind;
	bool required; /* in DIPR_APP_SUBMIT */
	long long min, max;
	const struct field *sub;  /* K_OBJ: members, ended by a NULL name */
	const char *const *names; /* K_ENUM: values, NULL-terminated */
};

static const char *const source_types[] = {"self", "contract", "authorised", "other", NULL};
static const char *const applicant_types[] = {"legal_person", "unincorporated", "natural_person", NULL};

static const struct field contact_fields[] = {
	{"person", K_LINE, true, 1, 100, NULL, NULL},
	{"phone", K_LINE, true, 1, 40, NULL, NULL},
	{"email", K_EMAIL, false, 1, 200, NULL, NULL},
	{"address", K_LINE, false, 1, 500, NULL, NULL},
	{NULL, 0, false, 0, 0, NULL, NULL},
};
static const struct field applicant_fields[] = {
	{"name", K_LINE, true, 1, 200, NULL, NULL},
	{"type", K_ENUM, true, 0, 0, NULL, applicant_types},
	{"id", K_ID, true, 0, 0, NULL, NULL}, /* after "type": K_ID reads it */
	{"contact", K_OBJ, true, 0, 0, contact_fields, NULL},
	{NULL, 0, false, 0, 0, NULL, NULL},
};
static const struct field source_fields[] = {
	{"type", K_ENUM, true, 0, 0, NULL, source_types},
	{"description", K_TEXT, true, 1, 2000, NULL, NULL},
	{"agreement_end", K_DATE, false, 0, 0, NULL, NULL}, /* required by type: check_source */
	{NULL, 0, false, 0, 0, NULL, NULL},
};
static const struct field scale_fields[] = {
	{"records", K_INT, true, 1, MAX_INT, NULL, NULL},
	{"bytes", K_INT, true, 1, MAX_INT, NULL, NULL},
	{NULL, 0, false, 0, 0, NULL, NULL},
};
static const struct field doc_fields[] = {
	{"data_name", K_LINE, true, 1, 200, NULL, NULL},
	{"industry", K_LINE, true, 1, 100, NULL, NULL},
	{"scenario", K_TEXT, true, 1, 2000, NULL, NULL},
	{"source", K_OBJ, true, 0, 0, source_fields, NULL},
	{"scale", K_OBJ, true, 0, 0, scale_fields, NULL},
	{"structure", K_LINE, true, 1, 100, NULL, NULL},
	{"update_frequency", K_LINE, true, 1, 100, NULL, NULL},
	{"processing_rules", K_TEXT, true, 1, 10000, NULL, NULL},
	{"evidence", K_RECEIPTS, true, 1, DIPR_APP_EVIDENCE_MAX, NULL, NULL},
	{"sample", K_SAMPLE, false, 0, 0, NULL, NULL},
	{"legality_commitment", K_BOOL, true, 0, 0, NULL, NULL}, /* true: check_commitment */
	{"applicant", K_OBJ, true, 0, 0, applicant_fields, NULL},
	{"disclosure", K_DISCLOSURE, false, 0, 0, NULL, NULL},
	{NULL, 0, false, 0, 0, NULL, NULL},
};

/* Disclosure: fixed fields first, then the markable ones with defaults. */
static const char *const fixed_public[] = {
	"data_name", "industry", "scenario", "scale", "source.type",
	"applicant.name", "applicant.type", "applicant.id", "evidence", NULL,
};
static const struct {
	const char *name;
	bool public_default;
} markable[] = {
	{"update_frequency", true},
	{"structure", false},
	{"processing_rules", false},
	{"source.description", false},
	{"source.agreement_end", false},
	{"sample", false},
};
#define N_MARKABLE (sizeof markable / sizeof *markable)

struct ctx {
	char *msg;
	size_t cap;
	dipr_app_mode mode;
	dipr_date today;
	const char *root; /* "application" or "change" */
};

/* Writes "<root>.<path>: <what>" and returns DIPR_EINVAL. */
static int bad(struct ctx *c, const char *path, const char *fmt, ...) DIPR__PRINTF(3, 4);
static int bad(struct ctx *c, const char *path, const char *fmt, ...)
{
	if (!c->msg || !c->cap)
		return DIPR_EINVAL;
	int n = snprintf(c->msg, c->cap, "%s%s%s: ", c->root, *path ? "." : "", path);
	if (n >= 0 && (size_t)n < c->cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->msg + n, c->cap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return DIPR_EINVAL;
}

/* path "." name into out; a member name from the input is cut at 64 bytes
 * (on a UTF-8 boundary) and its control bytes become '?', so that a
 * message stays one printable line. */
static void join(char *out, size_t cap, const char *path, const char *name, size_t len)
{
	char clean[65];
	size_t n = len < 64 ? len : 64;
	if (n < len)
		while (n > 0 && ((uint8_t)name[n] & 0xc0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)name[i];
		clean[i] = b < 0x20 || b == 0x7f ? '?' : name[i];
	}
	clean[n] = 0;
	snprintf(out, cap, "%s%s%s", path, *path ? "." : "", clean);
}

/* Code point at a valid UTF-8 sequence (dipr__utf8_valid ran first). */
static uint32_t utf8_at(const uint8_t *s)
{
	if (s[0] < 0x80)
		return s[0];
	if (s[0] < 0xe0)
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	if (s[0] < 0xf0)
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 | (uint32_t)(s[2] & 0x3f) << 6 |
	       (s[3] & 0x3f);
}

/* Unicode White_Space that is not a control character, and U+FEFF (a
 * stray byte order mark is invisible too).  U+3000 matters most: Chinese
 * input methods type it. */
static bool is_space(uint32_t cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int check_text(struct ctx *c, const struct field *f, const json_t *v, const char *path)
{
	if (!json_is_string(v))
		return bad(c, path, "expected a string of %lld..%lld characters, got %s", f->min, f->max,
			   type_name(v));
	const uint8_t *s = (const uint8_t *)json_string_value(v);
	size_t n = json_string_length(v), chars = 0, last = 0, ats = 0, spaces = 0;
	if (!dipr__utf8_valid(s, n))
		return bad(c, path, "not valid UTF-8");
	for (size_t i = 0; i < n; i++) {
		if ((s[i] & 0xc0) == 0x80)
			continue;
		uint32_t cp = utf8_at(s + i);
		chars++;
		last = i;
		ats += cp == '@';
		spaces += is_space(cp);
		if ((cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) && !(f->kind == K_TEXT && (cp == '\n' || cp == '\t')))
			return bad(c, path, "control character U+%04X at character %zu%s", (unsigned)cp, chars,
				   f->kind == K_TEXT ? " (only line feed and tab are allowed)" : "");
	}
	if (chars == 0)
		return bad(c, path, "empty; expected %lld..%lld characters", f->min, f->max);
	if ((long long)chars > f->max)
		return bad(c, path, "%zu characters, at most %lld allowed", chars, f->max);
	if (f->kind != K_TEXT && (is_space(utf8_at(s)) || is_space(utf8_at(s + last))))
		return bad(c, path, "leading or trailing white space");
	if (f->kind == K_EMAIL && (ats != 1 || s[0] == '@' || s[n - 1] == '@' || spaces))
		return bad(c, path, "expected an e-mail address like name@example.com (one '@', no spaces)");
	return 0;
}

static int check_enum(struct ctx *c, const struct field *f, const json_t *v, const char *path)
{
	const char *s = json_string_value(v);
	size_t i;
	for (i = 0; s && f->names[i]; i++)
		if (strlen(f->names[i]) == json_string_length(v) && !strcmp(s, f->names[i]))
			return 0;
	char list[160];
	int n = 0;
	for (i = 0; f->names[i] && n >= 0 && (size_t)n < sizeof list; i++)
		n += snprintf(list + n, sizeof list - (size_t)n, "%s\"%s\"", i == 0 ? "" : f->names[i + 1] ? ", " : " or ",
			      f->names[i]);
	return bad(c, path, "expected %s", list);
}

/* applicant.id by applicant.type (parent's "type", checked before). */
static int check_id(struct ctx *c, const json_t *parent, const json_t *v, const char *path)
{
	if (!json_is_string(v))
		return bad(c, path, "expected a unified social credit code or an identity number, got %s",
			   type_name(v));
	const char *t = json_string_value(json_object_get(parent, "type"));
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (t && !strcmp(t, "natural_person")) {
		if (dipr_ident_idno_parse(s, n, c->today, NULL))
			return bad(c, path, "%s", dipr_errdetail());
	} else if (t) {
		if (dipr_ident_uscc_validate(s, n))
			return bad(c, path, "%s", dipr_errdetail());
	} else if (dipr_ident_uscc_validate(s, n) && dipr_ident_idno_parse(s, n, c->today, NULL)) {
		return bad(c, path, "neither a unified social credit code nor an identity number");
	}
	return 0;
}

static int count_bytes(const char *buf, size_t n, void *data)
{
	size_t *total = data;
	(void)buf;
	*total += n;
	return *total > DIPR_APP_SAMPLE_MAX ? -1 : 0;
}

static int check_disclosure(struct ctx *c, const json_t *v, const char *path)
{
	char sub[160];
	if (!json_is_object(v))
		return bad(c, path, "expected an object mapping field names to \"public\" or \"confidential\", got %s",
			   type_name(v));
	for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
		const char *k = json_object_iter_key(it), *val = json_string_value(json_object_iter_value(it));
		size_t klen = json_object_iter_key_len(it), i;
		join(sub, sizeof sub, path, k, klen);
		for (i = 0; i < N_MARKABLE; i++)
			if (klen == strlen(markable[i].name) && !strcmp(k, markable[i].name))
				break;
		if (i == N_MARKABLE)
			return bad(c, sub, "unknown field (markable: update_frequency, structure, processing_rules, "
					   "source.description, source.agreement_end, sample)");
		if (!val || (strcmp(val, "public") && strcmp(val, "confidential")))
			return bad(c, sub, "expected \"public\" or \"confidential\"");
	}
	return 0;
}

static int walk(struct ctx *c, const json_t *obj, const struct field *fs, const char *path);

static int check(struct ctx *c, const struct field *f, const json_t *parent, const json_t *v, const char *path)
{
	dipr_date d;
	switch (f->kind) {
	case K_OBJ:
		if (!json_is_object(v))
			return bad(c, path, "expected an object, got %s", type_name(v));
		return walk(c, v, f->sub, path);
	case K_LINE: case K_TEXT: case K_EMAIL:
		return check_text(c, f, v, path);
	case K_ENUM:
		return check_enum(c, f, v, path);
	case K_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max)
			return bad(c, path, "expected an integer in %lld..%lld", f->min, f->max);
		return 0;
	case K_BOOL:
		return json_is_boolean(v) ? 0 : bad(c, path, "expected true or false, got %s", type_name(v));
	case K_DATE:
		if (!json_is_string(v) || dipr_date_parse(json_string_value(v), json_string_length(v), &d))
			return bad(c, path, "expected a date YYYY-MM-DD");
		return 0;
	case K_ID:
		return check_id(c, parent, v, path);
	case K_RECEIPTS: {
		char sub[192]; /* path (< 160) and "[i]" */
		size_t n = json_array_size(v);
		if (!json_is_array(v) || (long long)n < f->min || (long long)n > f->max)
			return bad(c, path, "expected an array of %lld..%lld receipts (strings)", f->min, f->max);
		for (size_t i = 0; i < n; i++) {
			const json_t *r = json_array_get(v, i);
			size_t len = json_string_length(r);
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			/* A receipt is C2SP tlog-proof text; the server verifies it.
			 * Here only its shape: a string without NUL (C consumers
			 * would cut it there). */
			if (!json_is_string(r) || len == 0 || len > DIPR_APP_RECEIPT_MAX ||
			    memchr(json_string_value(r), 0, len))
				return bad(c, sub, "expected a receipt of 1..%d bytes of text", DIPR_APP_RECEIPT_MAX);
		}
		return 0;
	}
	case K_SAMPLE: {
		size_t total = 0;
		if (!json_is_object(v))
			return bad(c, path, "expected a sample proof (an object), got %s", type_name(v));
		/* Counted, not built: the callback stops the dump at the cap. */
		if (json_dump_callback(v, count_bytes, &total, JSON_COMPACT) != 0)
			return bad(c, path, "more than %d bytes as JSON", DIPR_APP_SAMPLE_MAX);
		return 0;
	}
	case K_DISCLOSURE:
		return check_disclosure(c, v, path);
	}
	return bad(c, path, "internal error: unknown field kind");
}

/* Unknown members first (so a misspelt member is named as such rather
 * than as a missing one), then each known member in table order. */
static int walk(struct ctx *c, const json_t *obj, const struct field *fs, const char *path)
{
	char sub[160];
	for (void *it = json_object_iter((json_t *)obj); it; it = json_object_iter_next((json_t *)obj, it)) {
		const char *k = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		const struct field *f;
		for (f = fs; f->name; f++)
			if (klen == strlen(f->name) && !strcmp(k, f->name))
				break;
		if (!f->name) {
			join(sub, sizeof sub, path, k, klen);
			return bad(c, sub, "unknown member");
		}
	}
	for (const struct field *f = fs; f->name; f++) {
		const json_t *v = json_object_get(obj, f->name);
		join(sub, sizeof sub, path, f->name, strlen(f->name));
		if (!v) {
			if (f->required && c->mode == DIPR_APP_SUBMIT)
				return bad(c, sub, "required");
			continue;
		}
		int rc = check(c, f, obj, v, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/* The rules across members, after every member passed on its own. */
static int check_cross(struct ctx *c, const json_t *doc)
{
	const json_t *src = json_object_get(doc, "source");
	const char *t = json_string_value(json_object_get(src, "type"));
	bool has_end = json_object_get(src, "agreement_end") != NULL;
	if (t && !strcmp(t, "self") && has_end)
		return bad(c, "source.agreement_end", "not allowed when source.type is \"self\" (no agreement)");
	if (t && (!strcmp(t, "contract") || !strcmp(t, "authorised")) && !has_end && c->mode == DIPR_APP_SUBMIT)
		return bad(c, "source.agreement_end", "required when source.type is \"%s\"", t);
	if (c->mode == DIPR_APP_SUBMIT && !json_is_true(json_object_get(doc, "legality_commitment")))
		return bad(c, "legality_commitment", "must be true to submit (the applicant's commitment that "
						     "the data was obtained and is processed lawfully)");
	return 0;
}

static int validate(const json_t *doc, dipr_app_mode mode, dipr_date today, char *msg, size_t cap,
		    const char *root)
{
	struct ctx c = {msg, cap, mode, today, root};
	if (msg && cap)
		msg[0] = 0;
	if (!json_is_object(doc))
		return bad(&c, "", "expected a JSON object, got %s", doc ? type_name(doc) : "nothing");
	int rc = walk(&c, doc, doc_fields, "");
	return rc ? rc : check_cross(&c, doc);
}

int dipr_app_validate(const json_t *doc, dipr_app_mode mode, dipr_date today, char *msg, size_t cap)
{
	return validate(doc, mode, today, msg, cap, "application");
}

bool dipr_app_is_public(const json_t *doc, const char *field)
{
	if (!field)
		return false;
	for (size_t i = 0; fixed_public[i]; i++)
		if (!strcmp(field, fixed_public[i]))
			return true;
	for (size_t i = 0; i < N_MARKABLE; i++) {
		if (strcmp(field, markable[i].name))
			continue;
		const char *m = json_string_value(json_object_get(json_object_get(doc, "disclosure"), field));
		if (m && !strcmp(m, "public"))
			return true;
		if (m && !strcmp(m, "confidential"))
			return false;
		return markable[i].public_default;
	}
	return false;
}

/* dst[key] = a deep copy of src[key], if src has it.  -1 on ENOMEM. */
static int copy(json_t *dst, const json_t *src, const char *key)
{
	const json_t *v = json_object_get(src, key);
	return v ? json_object_set_new(dst, key, json_deep_copy(v)) : 0;
}

/* A natural person's number shows the region (1-6) and the last four
 * characters, hiding the birth date (7-14): 110105********123X.  Anything
 * not 18 characters (an invalid document) is hidden whole. */
static json_t *masked_id(const json_t *id)
{
	char m[DIPR_IDNO_LEN + 1];
	size_t n = json_string_length(id);
	memset(m, '*', DIPR_IDNO_LEN);
	m[DIPR_IDNO_LEN] = 0;
	if (n == DIPR_IDNO_LEN) {
		const char *s = json_string_value(id);
		memcpy(m, s, 6);
		memcpy(m + 14, s + 14, 4);
		if (m[17] == 'x')
			m[17] = 'X';
		for (size_t i = 0; i < DIPR_IDNO_LEN; i++)
			if ((uint8_t)m[i] < 0x20 || (uint8_t)m[i] >= 0x7f)
				m[i] = '*'; /* keep the result valid UTF-8 */
	}
	return json_string(m);
}

json_t *dipr_app_public_view(const json_t *doc)
{
	json_t *pv = json_object(), *src = NULL, *app = NULL;
	const json_t *dsrc = json_object_get(doc, "source"), *dapp = json_object_get(doc, "applicant"),
		     *ev = json_object_get(doc, "evidence");
	static const char *const top[] = {"data_name", "industry", "scenario", "scale"};
	static const char *const marked_top[] = {"update_frequency", "structure", "processing_rules", "sample"};
	if (!pv)
		return NULL;
	for (size_t i = 0; i < sizeof top / sizeof *top; i++)
		if (copy(pv, doc, top[i]))
			goto fail;
	for (size_t i = 0; i < sizeof marked_top / sizeof *marked_top; i++)
		if (dipr_app_is_public(doc, marked_top[i]) && copy(pv, doc, marked_top[i]))
			goto fail;
	if (json_is_object(dsrc)) {
		if (!(src = json_object()) || copy(src, dsrc, "type") ||
		    (dipr_app_is_public(doc, "source.description") && copy(src, dsrc, "description")) ||
		    (dipr_app_is_public(doc, "source.agreement_end") && copy(src, dsrc, "agreement_end")) ||
		    json_object_set_new(pv, "source", src))
			goto fail;
		src = NULL; /* pv owns it */
	}
	if (json_is_object(dapp)) {
		const char *t = json_string_value(json_object_get(dapp, "type"));
		const json_t *id = json_object_get(dapp, "id");
		bool organisation = t && (!strcmp(t, "legal_person") || !strcmp(t, "unincorporated"));
		if (!(app = json_object()) || copy(app, dapp, "name") || copy(app, dapp, "type") ||
		    (organisation && copy(app, dapp, "id")) ||
		    (!organisation && json_is_string(id) && json_object_set_new(app, "id", masked_id(id))) ||
		    json_object_set_new(pv, "applicant", app))
			goto fail;
		app = NULL;
	}
	if (json_is_array(ev) && json_object_set_new(pv, "evidence_count", json_integer((json_int_t)json_array_size(ev))))
		goto fail;
	return pv;
fail:
	json_decref(src);
	json_decref(app);
	json_decref(pv);
	return NULL;
}

static int code_of(const char *s, const char *const *names, const int *codes)
{
	for (size_t i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i]))
			return codes[i];
	return 0;
}

int dipr_app_source_code(const json_t *doc)
{
	static const int codes[] = {DIPR_SOURCE_SELF, DIPR_SOURCE_CONTRACT, DIPR_SOURCE_AUTHORISED, DIPR_SOURCE_OTHER};
	return code_of(json_string_value(json_object_get(json_object_get(doc, "source"), "type")), source_types,
		       codes);
}

int dipr_app_applicant_code(const json_t *doc)
{
	static const int codes[] = {DIPR_APPLICANT_LEGAL_PERSON, DIPR_APPLICANT_UNINCORPORATED,
				    DIPR_APPLICANT_NATURAL_PERSON};
	return code_of(json_string_value(json_object_get(json_object_get(doc, "applicant"), "type")),
		       applicant_types, codes);
}

bool dipr_app_agreement_end(const json_t *doc, dipr_date *out)
{
	const json_t *v = json_object_get(json_object_get(doc, "source"), "agreement_end");
	dipr_date d;
	if (!json_is_string(v) || dipr_date_parse(json_string_value(v), json_string_length(v), &d))
		return false;
	if (out)
		*out = d;
	return true;
}

/* What a change may touch.  The rest identifies the registered data or its
 * holder, so changing it means a new filing rather than a 变更. */
static const char *const changeable[] = {
	"data_name", "industry", "scenario", "scale", "structure", "update_frequency",
	"processing_rules", "applicant", "disclosure", NULL,
};
static const char *const fixed[] = {"evidence", "source", "sample", "legality_commitment", NULL};

static bool in(const char *k, size_t klen, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (klen == strlen(names[i]) && !strcmp(k, names[i]))
			return true;
	return false;
}

/* Checks the change's shape: which members, not their values (the merged
 * document's validation does those). */
static int check_change(struct ctx *c, const json_t *change)
{
	char sub[160];
	if (!json_is_object(change))
		return bad(c, "", "expected a JSON object, got %s", change ? type_name(change) : "nothing");
	if (json_object_size(change) == 0)
		return bad(c, "", "nothing to change");
	for (void *it = json_object_iter((json_t *)change); it; it = json_object_iter_next((json_t *)change, it)) {
		const char *k = json_object_iter_key(it);
		size_t klen = json_object_iter_key_len(it);
		const json_t *v = json_object_iter_value(it);
		join(sub, sizeof sub, "", k, klen);
		if (in(k, klen, fixed))
			return bad(c, sub, "cannot be changed; %s", !strcmp(k, "legality_commitment")
				? "it was given with the application"
				: "it identifies the registered data (file a new application)");
		if (!in(k, klen, changeable))
			return bad(c, sub, "unknown member");
		if (strcmp(k, "applicant") && strcmp(k, "disclosure"))
			continue;
		if (!json_is_object(v) || json_object_size(v) == 0)
			return bad(c, sub, "expected an object with %s to change", !strcmp(k, "applicant")
				? "name and/or contact" : "the disclosure of one or more fields");
		if (!strcmp(k, "disclosure"))
			continue;
		for (void *a = json_object_iter((json_t *)v); a; a = json_object_iter_next((json_t *)v, a)) {
			const char *ak = json_object_iter_key(a);
			size_t aklen = json_object_iter_key_len(a);
			static const char *const ok[] = {"name", "contact", NULL}, *const holder[] = {"id", "type", NULL};
			join(sub, sizeof sub, "applicant", ak, aklen);
			if (in(ak, aklen, holder))
				return bad(c, sub, "cannot be changed; it identifies the holder (a transfer is not a change)");
			if (!in(ak, aklen, ok))
				return bad(c, sub, "unknown member");
		}
	}
	return 0;
}

/* dst[k] = deep copy of v for each member of src.  -1 on ENOMEM. */
static int merge(json_t *dst, const json_t *src)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)src, k, v) {
		if (json_object_set_new(dst, k, json_deep_copy(v)))
			return -1;
	}
	return 0;
}

json_t *dipr_app_apply_change(const json_t *doc, const json_t *change, dipr_date today, char *msg, size_t cap)
{
	struct ctx c = {msg, cap, DIPR_APP_SUBMIT, today, "change"};
	json_t *out = NULL;
	if (validate(doc, DIPR_APP_SUBMIT, today, msg, cap, "application") || check_change(&c, change))
		return NULL;
	if (!(out = json_deep_copy(doc)))
		goto oom;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)change, k, v) {
		json_t *into = json_object_get(out, k);
		if (!strcmp(k, "disclosure") && !into) {
			if (json_object_set_new(out, k, json_object()) || !(into = json_object_get(out, k)))
				goto oom;
		}
		if (!strcmp(k, "applicant") || !strcmp(k, "disclosure")) {
			if (merge(into, v))
				goto oom;
		} else if (json_object_set_new(out, k, json_deep_copy(v))) {
			goto oom;
		}
	}
	if (validate(out, DIPR_APP_SUBMIT, today, msg, cap, "change"))
		goto fail;
	return out;
oom:
	bad(&c, "", "out of memory");
fail:
	json_decref(out);
	return NULL;
}
