/* render.c — dipr cert render: the registration certificate (登记证书) as
 * the one-page A4 PDF people print and as one self-contained HTML page
 * (DESIGN.md "Certificates", DOMAIN.md "Certificate contents").
 *
 * Both come from one view of the certificate (struct view) so they show the
 * same things: the body's fields with bilingual labels, the evidence
 * digests, a QR code of exactly record_url with the URL printed under it,
 * the signature lines (key name and key ID), the certificate's log entry
 * (index, checkpoint origin and size) and how to check it all.  Nothing is
 * verified here (dipr verify does that); every field is outside input, so
 * the PDF draws it as text (no markup) and the HTML escapes it.
 *
 * PDF: cairo + pango with fontconfig's Noto Serif CJK SC (and Noto Sans
 * Mono CJK SC for digests, keys and the URL); cairo embeds font subsets, so
 * the text stays selectable and searchable.  The page is fixed;
 * long content shrinks the type (down to half size), then drops the raw
 * signature bytes, then lists fewer evidence items (saying how many are
 * left out) — it never spills to a second page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <jansson.h>

#include "cli/cli.h"
#include "cli/records.h"
#include "cli/render.h"
#include "dipr/cert.h"
#include "dipr/note.h"
#include "log/log.h"

/* ---- the view: what both renderings show ---------------------------- */

typedef struct {
	char name[DIPR_KEY_NAME_MAX + 1];
	char keyid[9];                         /* 8 hex digits */
	char b64[DIPR_CERT_SIGLINE_MAX + 1];   /* base64(keyid || signature) as in the file */
	const char *alg;                       /* "Ed25519", "SM2" or NULL: no vkey matched */
} view_sig;

typedef struct {
	const dipr_cert *c;
	const char *src_zh, *src_en;           /* src_en NULL for an unknown source type */
	char records[40], bytes[96];           /* "1,200,000"; "734,003,200 字节 bytes (700.0 MiB)" */
	char registered[64], valid_until[64];
	view_sig sig[DIPR_CERT_MAX_SIGS];
	size_t nsig;
	uint64_t index, tree_size;
	char origin[DIPR_KEY_NAME_MAX + 1];
	char root[48];                         /* base64 of the checkpoint's root */
	char logged[32];                       /* the entry's time, UTC, or "" */
	QRcode *qr;
} view;

static const struct {
	const char *code, *zh, *en;
} source_types[] = {
	{"self", "自行采集", "Self-collected"},
	{"contract", "协议获取", "Acquired under contract"},
	{"authorised", "授权运营", "Authorised operation of public data"},
	{"other", "其他", "Other"},
};

/* 1234567 -> "1,234,567" */
static void thousands(uint64_t v, char *out, size_t cap)
{
	char d[24];
	int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
	size_t k = 0;
	for (int i = 0; i < n && k + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = d[i];
	}
	out[k] = 0;
}

/* "2026-05-10" -> "2026年5月10日 (2026-05-10)"; the parser checked the date. */
static void date_zh(const char *iso, char *out, size_t cap)
{
	snprintf(out, cap, "%.4s年%d月%d日 (%s)", iso, atoi(iso + 5), atoi(iso + 8), iso);
}

typedef struct {
	dipr_verifier **vs;
	size_t *nv;
} vkeys_ctx;

static int vkeys_one(void *ctx, const char *key, size_t n)
{
	vkeys_ctx *c = ctx;
	if (*c->nv >= CLI_MULTI_MAX)
		return cli_fail(2, "--vkey: too many keys");
	if (dipr_verifier_from_vkey(&c->vs[*c->nv], key, n))
		return cli_fail(2, "--vkey \"%.*s\": %s", (int)(n > 80 ? 80 : n), key, dipr_errdetail());
	(*c->nv)++;
	return 0;
}

/* A vkey or a file of vkeys, one a line (as dipr verify's --vkey). */
static int vkeys_add(dipr_verifier **vs, size_t *nv, const char *arg)
{
	vkeys_ctx c = {vs, nv};
	return cli_key_lines("--vkey", arg, vkeys_one, &c);
}

/* Fills v from c.  name is the file (for messages).  Prints the error. */
static int view_make(view *v, const dipr_cert *c, const char *name, dipr_verifier *const *vs, size_t nv)
{
	const dipr_cert_body *b = &c->body;
	memset(v, 0, sizeof *v);
	v->c = c;
	v->src_zh = b->source_type;
	for (size_t i = 0; i < sizeof source_types / sizeof source_types[0]; i++)
		if (!strcmp(b->source_type, source_types[i].code) || !strcmp(b->source_type, source_types[i].zh)) {
			v->src_zh = source_types[i].zh;
			v->src_en = source_types[i].en;
		}
	char n[32];
	thousands(b->scale_records, n, sizeof n);
	snprintf(v->records, sizeof v->records, "%s", n);
	thousands(b->scale_bytes, n, sizeof n);
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double x = (double)b->scale_bytes;
	int u = -1;
	while (x >= 1024 && u < 4) {
		x /= 1024;
		u++;
	}
	if (u >= 0)
		snprintf(v->bytes, sizeof v->bytes, "%s 字节 bytes (%.1f %s)", n, x, units[u]);
	else
		snprintf(v->bytes, sizeof v->bytes, "%s 字节 bytes", n);
	date_zh(b->registered, v->registered, sizeof v->registered);
	date_zh(b->valid_until, v->valid_until, sizeof v->valid_until);

	/* "\u2014 <name> <base64(keyid || sig)>": dipr_cert_parse checked the
	 * syntax; the key type is not in the line, only in a vkey. */
	for (size_t i = 0; i < c->nsigs; i++) {
		view_sig *s = &v->sig[v->nsig];
		const char *line = c->sigs[i], *sp = strrchr(line, ' ');
		size_t off = 4; /* em dash (3 bytes) and a space */
		uint8_t raw[DIPR_CERT_SIGLINE_MAX];
		size_t nraw = 0;
		if (!sp || sp < line + off || (size_t)(sp - line - off) > DIPR_KEY_NAME_MAX ||
		    dipr_b64_decode(sp + 1, strlen(sp + 1), raw, sizeof raw, &nraw) || nraw < 5)
			return cli_fail(2, "%s: signatures[%zu]: expected \"\u2014 NAME BASE64\"", name, i);
		snprintf(s->name, sizeof s->name, "%.*s", (int)(sp - line - off), line + off);
		dipr_hex_encode(raw, 4, s->keyid);
		snprintf(s->b64, sizeof s->b64, "%s", sp + 1);
		uint32_t id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
		for (size_t k = 0; k < nv; k++)
			if (dipr_verifier_keyid(vs[k]) == id && !strcmp(dipr_verifier_name(vs[k]), s->name))
				s->alg = dipr_verifier_type(vs[k]) == DIPR_KEY_SM2 ? "SM2" : "Ed25519";
		v->nsig++;
	}

	/* The certificate's log entry: index, and the checkpoint it is in. */
	dipr_tlog_proof p;
	dipr_checkpoint cp;
	size_t tl = 0;
	if (dipr_tlog_proof_parse((const uint8_t *)c->tlog_proof, c->tlog_proof_len, &p))
		return cli_fail(2, "%s: tlog_proof: %s", name, dipr_errdetail());
	int rc = 0;
	if (dipr_note_parse(p.note, p.note_len, &tl) || dipr_checkpoint_parse(p.note, tl, &cp)) {
		rc = cli_fail(2, "%s: tlog_proof: checkpoint: %s", name, dipr_errdetail());
		goto done;
	}
	v->index = p.index;
	v->tree_size = cp.size;
	snprintf(v->origin, sizeof v->origin, "%s", cp.origin);
	dipr_buf r;
	dipr_buf_init(&r, 64);
	if (!dipr_b64_encode(cp.root, DIPR_HASH_LEN, &r))
		snprintf(v->root, sizeof v->root, "%s", (const char *)r.p);
	dipr_buf_free(&r);
	/* the entry's "time" (Unix ms), if the extra is the JSON it should be;
	 * dipr verify checks it, here it is only shown */
	json_t *e = p.extra ? json_loadb((const char *)p.extra, p.extra_len, 0, NULL) : NULL;
	json_t *t = json_object_get(e, "time");
	if (json_is_integer(t) && json_integer_value(t) >= 0) {
		time_t sec = (time_t)(json_integer_value(t) / 1000);
		struct tm tm;
		if (!gmtime_r(&sec, &tm) || !strftime(v->logged, sizeof v->logged, "%Y-%m-%d %H:%M:%S UTC", &tm))
			v->logged[0] = 0; /* strftime leaves it undefined on overflow */
	}
	json_decref(e);

	/* ISO/IEC 18004 level M; the URL's bytes exactly (8-bit mode hint,
	 * case-sensitive: the decoder gives back this string). */
	v->qr = QRcode_encodeString(b->record_url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!v->qr)
		rc = cli_fail(2, "%s: certificate.record_url: cannot be encoded as a QR code", name);
done:
	dipr_tlog_proof_free(&p);
	return rc;
}

/* ---- PDF -------------------------------------------------------------- */

#define PAGE_W 595.28 /* A4 in PDF points */
#define PAGE_H 841.89
#define X0 50.0       /* content box */
#define X1 (PAGE_W - 50.0)
#define CW (X1 - X0)
#define TOP 50.0
#define LIMIT (PAGE_H - 46.0)
#define LABEL_W 118.0
#define VX (X0 + LABEL_W + 8.0)
#define VW (X1 - VX)
#define QR_SYMBOL 104.0 /* the code without its quiet zone: 36.7 mm */
#define QR_COL 140.0
#define RX (X0 + QR_COL + 14.0)
#define RW (X1 - RX)
#define MIN_SCALE 0.5

enum { F_TEXT, F_BOLD, F_TITLE, F_MONO };
static const uint32_t C_TEXT = 0x1a1a1a, C_LABEL = 0x5a5a5a, C_ACCENT = 0x8b1a1a, C_RULE = 0xc9b9a3;

typedef struct {
	cairo_t *cr;
	PangoContext *pc;
	double s;  /* type scale, 1 down to MIN_SCALE */
	bool draw; /* false: only measure */
} pg;

static void rgb(cairo_t *cr, uint32_t c)
{
	cairo_set_source_rgb(cr, (c >> 16 & 255) / 255.0, (c >> 8 & 255) / 255.0, (c & 255) / 255.0);
}

/* Lays out t (plain text, never markup: it is outside input) in width w at
 * (x, y), draws it if g->draw; returns its height.  Long words break
 * anywhere (PANGO_WRAP_WORD_CHAR), so hex and URLs wrap too. */
static double txt(pg *g, int font, double size, uint32_t color, PangoAlignment al, double x, double y, double w,
		  const char *t)
{
	/* Serif (宋体, as official certificates are set) for all text: cairo
	 * 1.16 subsets its CFF well, while some glyph combinations in Noto
	 * Sans CJK (e.g. "F" with "I") make it embed every subroutine, ~850 KB
	 * more per face.  Mono only for ASCII (digests, keys, the URL). */
	static const char *const family[] = {"Noto Serif CJK SC", "Noto Serif CJK SC", "Noto Serif CJK SC",
					     "Noto Sans Mono CJK SC"};
	PangoLayout *l = pango_layout_new(g->pc);
	PangoFontDescription *fd = pango_font_description_new();
	pango_font_description_set_family(fd, family[font]);
	pango_font_description_set_weight(fd, font == F_BOLD || font == F_TITLE ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	/* absolute: device units are PDF points whatever pango's resolution */
	pango_font_description_set_absolute_size(fd, size * g->s * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_width(l, (int)(w * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, al);
	pango_layout_set_text(l, t, -1);
	int pw, ph;
	pango_layout_get_size(l, &pw, &ph);
	if (g->draw) {
		rgb(g->cr, color);
		cairo_move_to(g->cr, x, y);
		pango_cairo_show_layout(g->cr, l);
	}
	pango_font_description_free(fd);
	g_object_unref(l);
	return ph / (double)PANGO_SCALE;
}

static double txtf(pg *g, int font, double size, uint32_t color, PangoAlignment al, double x, double y, double w,
		   const char *fmt, ...) __attribute__((format(printf, 9, 10)));
static double txtf(pg *g, int font, double size, uint32_t color, PangoAlignment al, double x, double y, double w,
		   const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return txt(g, font, size, color, al, x, y, w, buf);
}

static void hline(pg *g, double x0, double x1, double y, double width, uint32_t color)
{
	if (!g->draw)
		return;
	rgb(g->cr, color);
	cairo_set_line_width(g->cr, width);
	cairo_move_to(g->cr, x0, y);
	cairo_line_to(g->cr, x1, y);
	cairo_stroke(g->cr);
}

/* A table row's label (Chinese over English); returns its height. */
static double label(pg *g, double y, const char *zh, const char *en)
{
	double h = txt(g, F_BOLD, 10, C_TEXT, PANGO_ALIGN_LEFT, X0, y, LABEL_W, zh);
	return h + txt(g, F_TEXT, 7, C_LABEL, PANGO_ALIGN_LEFT, X0, y + h, LABEL_W, en);
}

/* Ends a row whose label and value took lh and vh from y + pad. */
static double row_end(pg *g, double y, double lh, double vh)
{
	double pad = 4.5 * g->s;
	y += pad + (lh > vh ? lh : vh) + pad;
	hline(g, X0, X1, y, 0.4, C_RULE);
	return y;
}

/* A row with one value line (optionally a grey English line under it). */
static double row(pg *g, double y, const char *zh, const char *en, int font, const char *val, const char *sub)
{
	double pad = 4.5 * g->s, lh = label(g, y + pad, zh, en);
	double vh = txt(g, font, font == F_MONO ? 10.5 : 10, C_TEXT, PANGO_ALIGN_LEFT, VX, y + pad, VW, val);
	if (sub)
		vh += txt(g, F_TEXT, 7.5, C_LABEL, PANGO_ALIGN_LEFT, VX, y + pad + vh, VW, sub);
	return row_end(g, y, lh, vh);
}

/* The QR code: dark modules as one path of rectangles filled at once (no
 * hairline seams between neighbours), on white with the 4-module quiet
 * zone of ISO/IEC 18004.  Returns the side with the quiet zone. */
static double qr_draw(pg *g, const QRcode *q, double x, double y)
{
	double m = QR_SYMBOL / q->width, side = m * (q->width + 8);
	if (!g->draw)
		return side;
	cairo_set_source_rgb(g->cr, 1, 1, 1);
	cairo_rectangle(g->cr, x, y, side, side);
	cairo_fill(g->cr);
	cairo_set_source_rgb(g->cr, 0, 0, 0);
	for (int r = 0; r < q->width; r++)
		for (int c = 0; c < q->width;) {
			if (!(q->data[r * q->width + c] & 1)) {
				c++;
				continue;
			}
			int c0 = c;
			while (c < q->width && (q->data[r * q->width + c] & 1))
				c++;
			cairo_rectangle(g->cr, x + (4 + c0) * m, y + (4 + r) * m, (c - c0) * m, m);
		}
	cairo_fill(g->cr);
	return side;
}

/* The link over the QR code and the URL.  cairo 1.16 copies the uri
 * attribute into the PDF string (…) without escaping, so a ")" or "\" in
 * record_url (outside input) would end the string and write PDF syntax;
 * every byte but RFC 3986 unreserved and the delimiters that are safe
 * there is percent-encoded for the annotation.  The QR code and the
 * printed URL keep the exact bytes. */
static void link_begin(pg *g, const char *url)
{
	char a[3 * DIPR_CERT_TEXT_MAX + 16];
	size_t k = (size_t)snprintf(a, sizeof a, "uri='");
	for (const unsigned char *p = (const unsigned char *)url; *p && k + 5 < sizeof a; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~:/?#@!$&*+,;=%", *p))
			a[k++] = (char)*p;
		else
			k += (size_t)snprintf(a + k, sizeof a - k, "%%%02X", *p);
	}
	a[k++] = '\'';
	a[k] = 0;
	if (g->draw)
		cairo_tag_begin(g->cr, CAIRO_TAG_LINK, a);
}

static void link_end(pg *g)
{
	if (g->draw)
		cairo_tag_end(g->cr, CAIRO_TAG_LINK);
}

/* What a layout pass found: where the table ends, how tall the block under
 * it is. */
typedef struct {
	double table_end, bottom_h;
} extent;

/* The hex of one digest with its algorithm, aligned. */
static double digest(pg *g, double y, const char *alg, const uint8_t h[DIPR_HASH_LEN])
{
	char hex[2 * DIPR_HASH_LEN + 1];
	dipr_hex_encode(h, DIPR_HASH_LEN, hex);
	return txtf(g, F_MONO, 7.5, C_TEXT, PANGO_ALIGN_LEFT, VX, y, VW, "%-8s%s", alg, hex);
}

/* One pass over the page at scale g->s: measures (g->draw false) or draws.
 * nev evidence items are listed; sigbytes: show each signature's base64.
 * bottom_y: where the block under the table starts (drawing only). */
static extent page(pg *g, const view *v, size_t nev, bool sigbytes, double bottom_y)
{
	const dipr_cert_body *b = &v->c->body;
	double s = g->s, y = TOP;
	extent e;
	char buf[1024];

	/* frame */
	if (g->draw) {
		rgb(g->cr, C_ACCENT);
		cairo_set_line_width(g->cr, 2.2);
		cairo_rectangle(g->cr, 20, 20, PAGE_W - 40, PAGE_H - 40);
		cairo_stroke(g->cr);
		cairo_set_line_width(g->cr, 0.6);
		cairo_rectangle(g->cr, 25, 25, PAGE_W - 50, PAGE_H - 50);
		cairo_stroke(g->cr);
	}
	y += txt(g, F_TITLE, 25, C_ACCENT, PANGO_ALIGN_CENTER, X0, y, CW, "数据知识产权登记证书");
	y += txt(g, F_TEXT, 11.5, C_ACCENT, PANGO_ALIGN_CENTER, X0, y, CW,
		 "Data Intellectual Property Registration Certificate");
	y += 8 * s;
	hline(g, X0, X1, y, 1.2, C_ACCENT);
	y += 2;

	y = row(g, y, "证书编号", "Certificate No.", F_MONO, b->certno, NULL);
	y = row(g, y, "登记号", "Registration No.", F_MONO, b->regno, NULL);
	y = row(g, y, "数据名称", "Data name", F_BOLD, b->data_name, NULL);
	{
		double pad = 4.5 * s, lh = label(g, y + pad, "持有人", "Holder");
		double vh = txt(g, F_TEXT, 10, C_TEXT, PANGO_ALIGN_LEFT, VX, y + pad, VW, b->holder_name);
		vh += txtf(g, F_TEXT, 8, C_LABEL, PANGO_ALIGN_LEFT, VX, y + pad + vh, VW,
			   "统一社会信用代码或身份证件号码 Credit code or ID No.: %s", b->holder_id);
		y = row_end(g, y, lh, vh);
	}
	y = row(g, y, "行业领域", "Industry", F_TEXT, b->industry, NULL);
	y = row(g, y, "数据来源", "Source type", F_TEXT, v->src_zh, v->src_en);
	y = row(g, y, "应用场景", "Scenario", F_TEXT, b->scenario, NULL);
	snprintf(buf, sizeof buf, "%s 条记录 records · %s", v->records, v->bytes);
	y = row(g, y, "数据规模", "Scale", F_TEXT, buf, NULL);
	y = row(g, y, "登记日期", "Registered", F_TEXT, v->registered, NULL);
	y = row(g, y, "有效期至", "Valid until", F_TEXT, v->valid_until, NULL);
	{
		double pad = 4.5 * s, lh = label(g, y + pad, "存证", "Evidence"), vh = 0;
		for (size_t i = 0; i < nev; i++) {
			const dipr_cert_evidence *ev = &b->evidence[i];
			if (i)
				vh += 3 * s;
			vh += txtf(g, F_TEXT, 8.5, C_TEXT, PANGO_ALIGN_LEFT, VX, y + pad + vh, VW,
				   "日志索引 Log index %llu", (unsigned long long)ev->index);
			if (ev->has_sm3)
				vh += digest(g, y + pad + vh, "SM3", ev->sm3);
			if (ev->has_sha256)
				vh += digest(g, y + pad + vh, "SHA-256", ev->sha256);
		}
		if (nev < b->nevidence)
			vh += txtf(g, F_TEXT, 8, C_ACCENT, PANGO_ALIGN_LEFT, VX, y + pad + vh, VW,
				   "另有 %zu 项存证未列出，见证书文件 / %zu more evidence items: see the certificate file",
				   b->nevidence - nev, b->nevidence - nev);
		y = row_end(g, y, lh, vh);
	}
	y = row(g, y, "发证机构", "Issuer", F_BOLD, b->issuer, NULL);
	e.table_end = y;

	/* the block under the table: QR code and URL | log entry and
	 * signatures; then how to check the certificate */
	double y0 = g->draw ? bottom_y : 0, ql = 0, qr = 0;
	double side = QR_SYMBOL * (v->qr->width + 8) / v->qr->width;
	link_begin(g, b->record_url);
	qr_draw(g, v->qr, X0 + (QR_COL - side) / 2, y0);
	ql = side + 2;
	ql += txt(g, F_MONO, 7, C_TEXT, PANGO_ALIGN_CENTER, X0, y0 + ql, QR_COL, b->record_url);
	link_end(g);
	ql += txt(g, F_TEXT, 6.5, C_LABEL, PANGO_ALIGN_CENTER, X0, y0 + ql, QR_COL, "公开登记记录 Public record");

	qr += txt(g, F_BOLD, 9, C_ACCENT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, "日志条目 Log entry");
	qr += txtf(g, F_TEXT, 8, C_TEXT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW,
		   "索引 Index %llu · 检查点 Checkpoint %s · 树大小 Tree size %llu", (unsigned long long)v->index,
		   v->origin, (unsigned long long)v->tree_size);
	qr += txtf(g, F_MONO, 6.5, C_LABEL, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, "root %s", v->root);
	if (v->logged[0])
		qr += txtf(g, F_TEXT, 8, C_TEXT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, "记入日志 Logged %s", v->logged);
	qr += 6 * s;
	qr += txt(g, F_BOLD, 9, C_ACCENT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, "签名 Signatures");
	for (size_t i = 0; i < v->nsig; i++) {
		const view_sig *sg = &v->sig[i];
		if (sg->alg)
			qr += txtf(g, F_TEXT, 8, C_TEXT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, "%s · %s · 密钥 ID Key ID %s",
				   sg->alg, sg->name, sg->keyid);
		else
			qr += txtf(g, F_TEXT, 8, C_TEXT, PANGO_ALIGN_LEFT, RX, y0 + qr, RW,
				   "签名 %zu Signature %zu · %s · 密钥 ID Key ID %s", i + 1, i + 1, sg->name, sg->keyid);
		if (sigbytes)
			qr += txt(g, F_MONO, 6, C_LABEL, PANGO_ALIGN_LEFT, RX, y0 + qr, RW, sg->b64);
	}
	double bh = (ql > qr ? ql : qr) + 8 * s;
	hline(g, X0, X1, y0 + bh - 4 * s, 0.6, C_ACCENT);
	bh += txt(g, F_TEXT, 8.5, C_TEXT, PANGO_ALIGN_CENTER, X0, y0 + bh, CW,
		  "扫码或访问上述网址查看当前状态 / Scan or visit the URL for the current status");
	bh += txt(g, F_TEXT, 8.5, C_TEXT, PANGO_ALIGN_CENTER, X0, y0 + bh, CW,
		  "离线验证 / Verify offline: dipr verify <file> --vkey <log vkeys>");
	e.bottom_h = bh;
	return e;
}

static cairo_status_t pdf_sink(void *closure, const unsigned char *data, unsigned int n)
{
	return dipr_buf_add(closure, data, n) ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/* The fit chosen for the page (also used to size the HTML's type). */
typedef struct {
	double s;
	size_t nev;
	bool sigbytes;
} fit;

static bool fits(pg *g, const view *v, const fit *f)
{
	g->s = f->s;
	g->draw = false;
	extent e = page(g, v, f->nev, f->sigbytes, 0);
	return e.table_end + 14 * f->s + e.bottom_h <= LIMIT;
}

/* Largest type first; then without the signature bytes; then fewer
 * evidence items at the smallest type (at least one is always listed). */
static fit choose_fit(pg *g, const view *v)
{
	size_t n = v->c->body.nevidence;
	fit f;
	for (int sb = 1; sb >= 0; sb--)
		for (int k = 0; k <= 10; k++) {
			f = (fit){1.0 - 0.05 * k, n, sb};
			if (fits(g, v, &f))
				return f;
		}
	f = (fit){MIN_SCALE, n, false};
	while (f.nev > 1 && !fits(g, v, &f))
		f.nev--;
	return f;
}

/* Renders the one page into out (NULL: only choose the fit).  Prints the
 * error. */
static int render_pdf(const view *v, const char *name, dipr_buf *out, fit *chosen)
{
	dipr_buf discard;
	dipr_buf_init(&discard, 64u << 20);
	cairo_surface_t *sf = cairo_pdf_surface_create_for_stream(pdf_sink, out ? out : &discard, PAGE_W, PAGE_H);
	cairo_t *cr = cairo_create(sf);
	PangoContext *pc = pango_cairo_create_context(cr);
	cairo_font_options_t *fo = cairo_font_options_create();
	const dipr_cert_body *b = &v->c->body;
	char meta[1024];
	int rc = 0;
	/* unhinted metrics: the same layout whatever the output */
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(pc, fo);
	pango_context_set_language(pc, pango_language_from_string("zh-cn"));

	snprintf(meta, sizeof meta, "数据知识产权登记证书 %s", b->certno);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, meta);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_AUTHOR, b->issuer);
	snprintf(meta, sizeof meta, "Data Intellectual Property Registration Certificate %s, registration %s", b->certno,
		 b->regno);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_SUBJECT, meta);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "dipr " DIPR_VERSION);
	/* the registration date, not the time of rendering: the same
	 * certificate renders to the same bytes */
	snprintf(meta, sizeof meta, "%sT00:00:00+08:00", b->registered);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATE_DATE, meta);
	cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_MOD_DATE, meta);

	pg g = {cr, pc, 1.0, false};
	fit f = choose_fit(&g, v);
	if (chosen)
		*chosen = f;
	if (out) {
		g.s = f.s;
		extent e = page(&g, v, f.nev, f.sigbytes, 0);
		g.draw = true;
		/* the block under the table sits at the foot of the page */
		page(&g, v, f.nev, f.sigbytes, LIMIT - e.bottom_h);
		cairo_show_page(cr);
	}
	cairo_font_options_destroy(fo);
	g_object_unref(pc);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		rc = cli_fail(2, "%s: PDF: %s", name, cairo_status_to_string(cairo_status(cr)));
	cairo_destroy(cr);
	cairo_surface_finish(sf);
	if (!rc && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
		rc = cli_fail(2, "%s: PDF: %s", name, cairo_status_to_string(cairo_surface_status(sf)));
	cairo_surface_destroy(sf);
	dipr_buf_free(&discard);
	return rc;
}

/* ---- HTML ------------------------------------------------------------- */

/* A buffer with a sticky error, so the page is written without a check on
 * every line. */
typedef struct {
	dipr_buf b;
	int err;
} hout;

static void put(hout *o, const char *s)
{
	if (!o->err)
		o->err = dipr_buf_adds(&o->b, s);
}

static void putf(hout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(hout *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		o->err = o->err ? o->err : DIPR_ERANGE;
	else
		put(o, buf);
}

/* Text or attribute value: every field is outside input. */
static void esc(hout *o, const char *s)
{
	for (; *s && !o->err; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;"
			      : *s == '\'' ? "&#39;" : NULL;
		o->err = e ? dipr_buf_adds(&o->b, e) : dipr_buf_add(&o->b, s, 1);
	}
}

static void hrow(hout *o, const char *zh, const char *en, const char *cls, const char *val, const char *sub)
{
	putf(o, "<tr><th>%s<span class=\"en\">%s</span></th><td%s%s%s>", zh, en, cls ? " class=\"" : "",
	     cls ? cls : "", cls ? "\"" : "");
	esc(o, val);
	if (sub) {
		put(o, "<span class=\"en\">");
		esc(o, sub);
		put(o, "</span>");
	}
	put(o, "</td></tr>\n");
}

static const char css[] =
	"@page{size:A4;margin:0}\n"
	"html{background:#e6e6e6}\n"
	"body{margin:0;color:#1a1a1a;font-family:\"Noto Serif CJK SC\",\"Source Han Serif SC\",\"Songti SC\","
	"SimSun,serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	".page{box-sizing:border-box;width:210mm;height:297mm;margin:8mm auto;padding:7mm;background:#fff;"
	"box-shadow:0 1mm 4mm rgba(0,0,0,.25);overflow:hidden}\n"
	".frame{box-sizing:border-box;height:100%;border:2.2pt solid #8b1a1a;outline:.6pt solid #8b1a1a;"
	"outline-offset:-2.4mm;padding:7mm 8.5mm 6mm;display:flex;flex-direction:column}\n"
	"h1{margin:0;text-align:center;color:#8b1a1a;font-size:2.5em;line-height:1.35;letter-spacing:.08em}\n"
	".sub{margin:0 0 .6em;text-align:center;color:#8b1a1a;font-size:1.15em}\n"
	"table{width:100%;border-collapse:collapse;border-top:1.2pt solid #8b1a1a}\n"
	"th,td{text-align:left;vertical-align:top;padding:.45em 0;border-bottom:.4pt solid #c9b9a3}\n"
	"th{width:41mm;font-weight:700}\n"
	"td{overflow-wrap:anywhere;word-break:break-word}\n"
	".en{display:block;font-weight:400;font-size:.72em;color:#5a5a5a}\n"
	".mono{font-family:\"Noto Sans Mono CJK SC\",\"DejaVu Sans Mono\",monospace;overflow-wrap:anywhere;"
	"word-break:break-all}\n"
	"td.mono{font-size:1.05em}\n"
	".b{font-weight:700}\n"
	".ev{margin:0 0 .3em;font-size:.85em}\n"
	".ev .mono{display:block;font-size:.88em;white-space:pre-wrap}\n"
	".foot{margin-top:auto;padding-top:1.2em}\n"
	".block{display:flex;gap:5mm;border-bottom:.6pt solid #8b1a1a;padding-bottom:.5em}\n"
	".qr{flex:0 0 49mm;text-align:center}\n"
	".qr svg{display:block;margin:0 auto;width:41mm;height:41mm}\n"
	".qr a{color:inherit;text-decoration:none}\n"
	".url{font-size:.7em;margin:.2em 0 0}\n"
	".small{font-size:.65em;color:#5a5a5a;margin:0}\n"
	".log{flex:1;min-width:0;font-size:.8em}\n"
	".log h2{font-size:1.12em;color:#8b1a1a;margin:0 0 .15em}\n"
	".log h2+p{margin-top:0}\n"
	".log p{margin:0 0 .15em}\n"
	".log .mono{font-size:.8em;color:#5a5a5a}\n"
	".log ol{list-style:none;margin:0;padding:0}\n"
	".hints{text-align:center;font-size:.85em;margin:.4em 0 0}\n"
	".hints p{margin:0}\n"
	"@media print{html{background:none}.page{margin:0;box-shadow:none}}\n";

/* The QR code as <rect>s, one per horizontal run of dark modules, in a
 * viewBox with the quiet zone. */
static void qr_svg(hout *o, const QRcode *q)
{
	int side = q->width + 8;
	putf(o, "<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"QR\" shape-rendering=\"crispEdges\">"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><g fill=\"#000\">",
	     side, side, side, side);
	for (int r = 0; r < q->width; r++)
		for (int c = 0; c < q->width;) {
			if (!(q->data[r * q->width + c] & 1)) {
				c++;
				continue;
			}
			int c0 = c;
			while (c < q->width && (q->data[r * q->width + c] & 1))
				c++;
			putf(o, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\"/>", c0 + 4, r + 4, c - c0);
		}
	put(o, "</g></svg>");
}

static void hdigest(hout *o, const char *alg, const uint8_t h[DIPR_HASH_LEN])
{
	char hex[2 * DIPR_HASH_LEN + 1];
	dipr_hex_encode(h, DIPR_HASH_LEN, hex);
	putf(o, "<span class=\"mono\">%-8s%s</span>", alg, hex);
}

static int render_html(const view *v, const fit *f, dipr_buf *out)
{
	const dipr_cert_body *b = &v->c->body;
	hout o = {*out, 0};
	put(&o, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
		"base-uri 'none'; form-action 'none'\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>数据知识产权登记证书 ");
	esc(&o, b->certno);
	put(&o, "</title>\n<style>\n");
	put(&o, css);
	/* the type scale the PDF chose for the same content */
	putf(&o, ".page{font-size:%.2fpt}\n</style>\n</head>\n<body>\n<main class=\"page\"><div class=\"frame\">\n",
	     10 * f->s);
	put(&o, "<h1>数据知识产权登记证书</h1>\n<p class=\"sub\">Data Intellectual Property Registration Certificate</p>\n"
		"<table><tbody>\n");
	hrow(&o, "证书编号", "Certificate No.", "mono", b->certno, NULL);
	hrow(&o, "登记号", "Registration No.", "mono", b->regno, NULL);
	hrow(&o, "数据名称", "Data name", "b", b->data_name, NULL);
	put(&o, "<tr><th>持有人<span class=\"en\">Holder</span></th><td>");
	esc(&o, b->holder_name);
	put(&o, "<span class=\"en\">统一社会信用代码或身份证件号码 Credit code or ID No.: ");
	esc(&o, b->holder_id);
	put(&o, "</span></td></tr>\n");
	hrow(&o, "行业领域", "Industry", NULL, b->industry, NULL);
	hrow(&o, "数据来源", "Source type", NULL, v->src_zh, v->src_en);
	hrow(&o, "应用场景", "Scenario", NULL, b->scenario, NULL);
	put(&o, "<tr><th>数据规模<span class=\"en\">Scale</span></th><td>");
	putf(&o, "%s 条记录 records · %s</td></tr>\n", v->records, v->bytes);
	hrow(&o, "登记日期", "Registered", NULL, v->registered, NULL);
	hrow(&o, "有效期至", "Valid until", NULL, v->valid_until, NULL);
	put(&o, "<tr><th>存证<span class=\"en\">Evidence</span></th><td>");
	for (size_t i = 0; i < f->nev; i++) {
		const dipr_cert_evidence *ev = &b->evidence[i];
		putf(&o, "<p class=\"ev\">日志索引 Log index %llu", (unsigned long long)ev->index);
		if (ev->has_sm3)
			hdigest(&o, "SM3", ev->sm3);
		if (ev->has_sha256)
			hdigest(&o, "SHA-256", ev->sha256);
		put(&o, "</p>");
	}
	if (f->nev < b->nevidence)
		putf(&o, "<p class=\"ev\">另有 %zu 项存证未列出，见证书文件 / %zu more evidence items: see the certificate file</p>",
		     b->nevidence - f->nev, b->nevidence - f->nev);
	put(&o, "</td></tr>\n");
	hrow(&o, "发证机构", "Issuer", "b", b->issuer, NULL);
	put(&o, "</tbody></table>\n<div class=\"foot\"><div class=\"block\">\n<div class=\"qr\"><a href=\"");
	esc(&o, b->record_url);
	put(&o, "\">");
	qr_svg(&o, v->qr);
	put(&o, "<p class=\"url mono\">");
	esc(&o, b->record_url);
	put(&o, "</p></a><p class=\"small\">公开登记记录 Public record</p></div>\n<div class=\"log\">\n"
		"<h2>日志条目 Log entry</h2>\n<p>");
	putf(&o, "索引 Index %llu · 检查点 Checkpoint ", (unsigned long long)v->index);
	esc(&o, v->origin);
	putf(&o, " · 树大小 Tree size %llu</p>\n<p class=\"mono\">root %s</p>\n", (unsigned long long)v->tree_size,
	     v->root);
	if (v->logged[0])
		putf(&o, "<p>记入日志 Logged %s</p>\n", v->logged);
	put(&o, "<h2>签名 Signatures</h2>\n<ol>\n");
	for (size_t i = 0; i < v->nsig; i++) {
		const view_sig *sg = &v->sig[i];
		if (sg->alg)
			putf(&o, "<li><p>%s · ", sg->alg);
		else
			putf(&o, "<li><p>签名 %zu Signature %zu · ", i + 1, i + 1);
		esc(&o, sg->name);
		putf(&o, " · 密钥 ID Key ID %s</p>", sg->keyid);
		if (f->sigbytes) {
			put(&o, "<p class=\"mono\">");
			esc(&o, sg->b64);
			put(&o, "</p>");
		}
		put(&o, "</li>\n");
	}
	put(&o, "</ol>\n</div>\n</div>\n<div class=\"hints\"><p>扫码或访问上述网址查看当前状态 / Scan or visit the URL for "
		"the current status</p>\n<p>离线验证 / Verify offline: <code class=\"mono\">dipr verify &lt;file&gt; "
		"--vkey &lt;log vkeys&gt;</code></p></div></div>\n</div></main>\n</body>\n</html>\n");
	*out = o.b;
	return o.err;
}

/* ---- the command ------------------------------------------------------ */

int dipr_cert_render_pdf(const uint8_t *cert, size_t n, dipr_verifier *const *vs, size_t nv, dipr_buf *out)
{
	dipr_cert *c = calloc(1, sizeof *c);
	view *v = calloc(1, sizeof *v);
	fit f;
	int rc = DIPR_ENOMEM;
	if (c && v) {
		rc = DIPR_EINVAL;
		if (dipr_cert_parse(cert, n, c) == 0 && view_make(v, c, "certificate", vs, nv) == 0 &&
		    render_pdf(v, "certificate", out, &f) == 0)
			rc = 0;
	}
	if (v)
		QRcode_free(v->qr);
	free(v);
	dipr_cert_free(c);
	free(c);
	return rc;
}

int cmd_cert_render(int argc, char **argv)
{
	const char *pdf = NULL, *html = NULL, *vk[CLI_MULTI_MAX], *pos[1];
	int nvk = 0, npos;
	cli_opt o[] = {{"--pdf", 1, &pdf}, {"--html", 1, &html}, {"--vkey", 1, NULL, vk, &nvk}, {0}};
	dipr_verifier *vs[CLI_MULTI_MAX];
	size_t nv = 0;
	dipr_buf in, out;
	dipr_cert *c = NULL;
	view *v = NULL;
	int rc = 0;
	if (argc > 0 && !strcmp(argv[0], "render")) {
		argc--;
		argv++;
	}
	if (cli_parse(argc, argv, o, pos, &npos, 1))
		return 2;
	if (npos != 1 || (!pdf && !html))
		return cli_fail(2, "usage: dipr cert render CERT.json (--pdf OUT.pdf | --html OUT.html) [--vkey K]...");
	for (int i = 0; i < nvk; i++)
		if (vkeys_add(vs, &nv, vk[i])) {
			rc = 2;
			goto done0;
		}
	dipr_buf_init(&in, DIPR_CERT_MAX);
	dipr_buf_init(&out, 64u << 20);
	if (dipr_read_file(pos[0], DIPR_CERT_MAX, &in)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	/* both are large (the body's fixed strings): on the heap */
	c = calloc(1, sizeof *c);
	v = calloc(1, sizeof *v);
	if (!c || !v) {
		rc = cli_fail(2, "out of memory");
		goto done;
	}
	if (dipr_cert_parse(in.p, in.n, c)) {
		rc = cli_fail(2, "%s: malformed certificate: %s", pos[0], dipr_errdetail());
		goto done;
	}
	if ((rc = view_make(v, c, pos[0], vs, nv)))
		goto done;
	fit f;
	if ((rc = render_pdf(v, pos[0], pdf ? &out : NULL, &f)))
		goto done;
	if (pdf) {
		if ((rc = cli_write_file_atomic(pdf, out.p, out.n, 0644)))
			goto done;
		printf("%s\n", pdf);
	}
	if (html) {
		dipr_buf_reset(&out);
		if (render_html(v, &f, &out)) {
			rc = cli_fail(2, "%s: HTML: %s", pos[0], dipr_strerror(DIPR_ERANGE));
			goto done;
		}
		if ((rc = cli_write_file_atomic(html, out.p, out.n, 0644)))
			goto done;
		printf("%s\n", html);
	}
done:
	if (v)
		QRcode_free(v->qr);
	free(v);
	dipr_cert_free(c);
	free(c);
	dipr_buf_free(&in);
	dipr_buf_free(&out);
done0:
	for (size_t i = 0; i < nv; i++)
		dipr_verifier_free(vs[i]);
	/* Process-wide, so only here in a one-shot command (never where
	 * other threads may draw): give back pango's font map and cairo's
	 * caches, so that the leak checker of make sanitize sees our own
	 * allocations (tests/e2e/fixtures/render/lsan.supp lists what the
	 * libraries keep anyway). */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	return rc;
}
