/* tile.c — the C2SP tlog-tiles layout: tile paths, where a node's hash
 * lives, and the in-memory right edge of a growing tiled tree.
 *
 * No I/O here either.  Tile level L holds the hashes of tree level 8L; tile
 * N of level L holds positions [256N, 256N + 256) of that tree level
 * (c2sp.org/tlog-tiles, "Merkle Tree").  The tree levels in between are
 * recomputed by hashing inside one tile.
 */
#include <stdlib.h>

#include "internal.h"
#include "dipr/merkle.h"

/* Shared with merkle.c (they belong in internal.h, which this file does not
 * own yet).  Both may be called with out aliasing an input. */
int dipr__node_hash(dipr_hash_alg alg, const uint8_t left[DIPR_HASH_LEN],
		    const uint8_t right[DIPR_HASH_LEN], uint8_t out[DIPR_HASH_LEN]);
int dipr__perfect_root(dipr_hash_alg alg, const uint8_t (*hashes)[DIPR_HASH_LEN],
		       size_t count, uint8_t out[DIPR_HASH_LEN]);

/* See merkle.c: void and bool functions cannot report a digest failure. */
static void must(int rc)
{
	if (rc)
		abort();
}

/* x >> n that is 0 for n >= 64 instead of undefined: tile level 7 spans
 * 2^64 leaves, more than any tree has. */
static uint64_t shr(uint64_t x, unsigned n)
{
	return n >= 64 ? 0 : x >> n;
}

/* ---- paths ------------------------------------------------------------ */

/* Bounded writer: every put checks the space left, so no sprintf. */
struct out {
	char *p;
	size_t n, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->cap - o->n) { /* keep room for the NUL */
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

/* Decimal, at least `width` digits, zero-padded. */
static void put_dec(struct out *o, uint64_t v, unsigned width)
{
	char d[20];
	unsigned n = 0;
	do {
		d[sizeof d - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < width);
	put(o, d + sizeof d - n, n);
}

int dipr_tile_path_format(const dipr_tile_id *t, char *out, size_t cap)
{
	struct out o = { out, 0, cap, false };
	unsigned groups[7], ng = 0; /* 2^64 - 1 has 20 digits: 7 groups */
	uint64_t n = t->index;

	if (t->level < DIPR_TILE_ENTRIES || t->level > 63)
		return dipr__err(DIPR_EINVAL, "tile path: level %d not in -1..63", t->level);
	if (t->width < 1 || t->width > DIPR_TILE_WIDTH)
		return dipr__err(DIPR_EINVAL, "tile path: width %u not in 1..256", t->width);
	if (cap == 0)
		return dipr__err(DIPR_ERANGE, "tile path: no room");
	do {
		groups[ng++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n);
	put(&o, "tile/", 5);
	if (t->level == DIPR_TILE_ENTRIES)
		put(&o, "entries", 7);
	else
		put_dec(&o, (uint64_t)t->level, 1);
	put(&o, "/", 1);
	/* c2sp.org/tlog-tiles: 3-digit elements, all but the last with "x". */
	while (ng-- > 1) {
		put(&o, "x", 1);
		put_dec(&o, groups[ng], 3);
		put(&o, "/", 1);
	}
	put_dec(&o, groups[0], 3);
	if (t->width < DIPR_TILE_WIDTH) {
		put(&o, ".p/", 3);
		put_dec(&o, t->width, 1);
	}
	if (o.full) {
		out[0] = 0;
		return dipr__err(DIPR_ERANGE, "tile path: longer than %zu bytes", cap - 1);
	}
	out[o.n] = 0;
	return 0;
}

/* Parser cursor: every read is bounded by end. */
struct cur {
	const char *p, *end;
};

static bool lit(struct cur *c, const char *s, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A decimal with no leading zeros, at most maxdig digits; the caller bounds
 * the value, maxdig keeps it from overflowing first. */
static bool dec(struct cur *c, unsigned maxdig, unsigned *v)
{
	unsigned n = 0, x = 0;
	while (c->p + n < c->end && is_digit(c->p[n])) {
		if (n == maxdig)
			return false;
		x = x * 10 + (unsigned)(c->p[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && c->p[0] == '0'))
		return false;
	c->p += n;
	*v = x;
	return true;
}

static bool three_digits(struct cur *c, unsigned *v)
{
	if (c->end - c->p < 3 || !is_digit(c->p[0]) || !is_digit(c->p[1]) || !is_digit(c->p[2]))
		return false;
	*v = (unsigned)(c->p[0] - '0') * 100 + (unsigned)(c->p[1] - '0') * 10 +
	     (unsigned)(c->p[2] - '0');
	c->p += 3;
	return true;
}

/* Whether the tile can exist in a tree of at most DIPR_MERKLE_MAX_SIZE
 * leaves: its last hash, position 256N + W - 1 of tree level 8L, must lie
 * inside such a tree, i.e. 256N + W <= MAX >> 8L.  Callers can then compute
 * start and end indexes without overflow. */
static bool tile_fits(int level, uint64_t index, unsigned width)
{
	unsigned l = level == DIPR_TILE_ENTRIES ? 0 : (unsigned)level;
	uint64_t lim = shr(DIPR_MERKLE_MAX_SIZE, 8 * l);
	return index <= lim / DIPR_TILE_WIDTH && index * DIPR_TILE_WIDTH + width <= lim;
}

int dipr_tile_path_parse(const char *path, size_t len, dipr_tile_id *t)
{
	struct cur c = { path, path + len };
	unsigned level, g, w = DIPR_TILE_WIDTH, ng = 0;
	int lv;
	uint64_t index = 0;

	if (!lit(&c, "tile/", 5))
		return dipr__err(DIPR_EINVAL, "tile path: expected \"tile/\"");
	if (lit(&c, "entries", 7)) {
		lv = DIPR_TILE_ENTRIES;
	} else {
		if (!dec(&c, 2, &level) || level > 63)
			return dipr__err(DIPR_EINVAL, "tile path: level must be 0..63 or \"entries\", no leading zeros");
		lv = (int)level;
	}
	if (!lit(&c, "/", 1))
		return dipr__err(DIPR_EINVAL, "tile path: expected \"/\" after the level");
	/* Index: ("x" DDD "/")* DDD.  Seven groups hold any uint64; the
	 * overflow check below catches the ones that do not fit. */
	for (;;) {
		bool x = lit(&c, "x", 1);
		if (!three_digits(&c, &g))
			return dipr__err(DIPR_EINVAL, "tile path: index elements must be three digits");
		if (++ng > 7 || index > (UINT64_MAX - g) / 1000)
			return dipr__err(DIPR_EINVAL, "tile path: index too large");
		/* A leading "x000" would give a second spelling of the same
		 * index; only the shortest is canonical. */
		if (x && ng == 1 && g == 0)
			return dipr__err(DIPR_EINVAL, "tile path: index has a leading \"x000\" element");
		index = index * 1000 + g;
		if (!x)
			break;
		if (!lit(&c, "/", 1))
			return dipr__err(DIPR_EINVAL, "tile path: expected \"/\" after an \"x\" element");
	}
	if (lit(&c, ".p/", 3)) {
		if (!dec(&c, 3, &w) || w < 1 || w > 255)
			return dipr__err(DIPR_EINVAL, "tile path: partial width must be 1..255, no leading zeros");
	}
	if (c.p != c.end)
		return dipr__err(DIPR_EINVAL, "tile path: unexpected text after the index");
	if (!tile_fits(lv, index, w))
		return dipr__err(DIPR_ERANGE, "tile path: no tree of at most 2^63 - 1 leaves has this tile");
	t->level = lv;
	t->index = index;
	t->width = w;
	return 0;
}

unsigned dipr_tile_width(int level, uint64_t index, uint64_t size)
{
	unsigned l = level == DIPR_TILE_ENTRIES ? 0 : (unsigned)level;
	uint64_t hashes, full;

	if (level < DIPR_TILE_ENTRIES || level > 63)
		return 0;
	hashes = shr(size, 8 * l); /* positions of tree level 8L in the tree */
	full = hashes / DIPR_TILE_WIDTH;
	if (index < full)
		return DIPR_TILE_WIDTH;
	if (index == full)
		return (unsigned)(hashes % DIPR_TILE_WIDTH); /* 0: no partial tile */
	return 0;
}

/* ---- nodes in tiles ---------------------------------------------------- */

void dipr_tile_locate(dipr_node_id node, dipr_tile_id *tile, unsigned *offset, unsigned *count)
{
	unsigned j = node.level % DIPR_TILE_HEIGHT;

	/* The node covers positions [index << j, (index + 1) << j) of tree
	 * level 8L.  Dividing by 256 as index >> (8 - j) avoids the overflow
	 * of shifting left first. */
	tile->level = node.level / DIPR_TILE_HEIGHT;
	tile->index = node.index >> (DIPR_TILE_HEIGHT - j);
	*offset = (unsigned)(node.index & ((1u << (DIPR_TILE_HEIGHT - j)) - 1)) << j;
	*count = 1u << j;
	tile->width = *offset + *count;
}

int dipr_tile_node_hash(dipr_hash_alg alg, dipr_node_id node, const uint8_t *data,
			unsigned width, uint8_t out[DIPR_HASH_LEN])
{
	dipr_tile_id t;
	unsigned off, cnt;

	if (node.level > 63)
		return dipr__err(DIPR_EINVAL, "tile node: level %u above 63", node.level);
	dipr_tile_locate(node, &t, &off, &cnt);
	if (width > DIPR_TILE_WIDTH || width < off + cnt)
		return dipr__err(DIPR_EINVAL, "tile node: tile of width %u does not hold hashes %u..%u",
				 width, off, off + cnt - 1);
	return dipr__perfect_root(alg, (const uint8_t (*)[DIPR_HASH_LEN])(data + (size_t)off * DIPR_HASH_LEN),
				  cnt, out);
}

/* ---- the right edge ----------------------------------------------------- */

void dipr_tree_edge_init(dipr_tree_edge *e, dipr_hash_alg alg)
{
	memset(e, 0, sizeof *e);
	e->alg = alg;
}

int dipr_tree_edge_load(dipr_tree_edge *e, dipr_hash_alg alg, uint64_t size,
			int (*load)(void *ctx, const dipr_tile_id *tile, uint8_t (*out)[DIPR_HASH_LEN]),
			void *ctx)
{
	int rc;

	dipr_tree_edge_init(e, alg);
	if (!dipr_hash_name(alg))
		return dipr__err(DIPR_EINVAL, "tree edge: unknown hash algorithm %d", (int)alg);
	if (size > DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_ERANGE, "tree edge: size %llu above 2^63 - 1",
				 (unsigned long long)size);
	for (unsigned l = 0; l < DIPR_TILE_MAX_LEVELS; l++) {
		unsigned w = (unsigned)(shr(size, 8 * l) % DIPR_TILE_WIDTH);
		dipr_tile_id t = { (int)l, shr(size, 8 * (l + 1)), w };
		if (w == 0)
			continue;
		rc = load(ctx, &t, e->hashes[l]);
		if (rc) {
			dipr_tree_edge_init(e, alg);
			return rc < 0 ? rc : dipr__err(DIPR_EIO, "tree edge: tile loader returned %d", rc);
		}
		e->count[l] = w;
	}
	e->size = size;
	return 0;
}

int dipr_tree_edge_append(dipr_tree_edge *e, const uint8_t leaf[DIPR_HASH_LEN],
			  int (*emit)(void *ctx, const dipr_tile_id *tile,
				      const uint8_t (*hashes)[DIPR_HASH_LEN]),
			  void *ctx)
{
	uint8_t h[DIPR_HASH_LEN];
	unsigned l;
	int rc;

	if (e->size >= DIPR_MERKLE_MAX_SIZE)
		return dipr__err(DIPR_ERANGE, "tree edge: tree is at its maximum size");
	/* First pass: every level whose tile this hash fills (count 255) gets
	 * its last hash written into the spare slot 255 and is emitted; its
	 * root moves up.  Nothing the edge counts changes until all emits
	 * succeeded, so a failed emit leaves the edge as it was and a retry
	 * emits the same tiles again. */
	memcpy(h, leaf, DIPR_HASH_LEN);
	for (l = 0; e->count[l] == DIPR_TILE_WIDTH - 1; l++) {
		/* Level 7 never fills: that takes 2^64 leaves. */
		if (l == DIPR_TILE_MAX_LEVELS - 1)
			abort();
		memcpy(e->hashes[l][DIPR_TILE_WIDTH - 1], h, DIPR_HASH_LEN);
		if (emit) {
			dipr_tile_id t = { (int)l, shr(e->size, 8 * (l + 1)), DIPR_TILE_WIDTH };
			rc = emit(ctx, &t, (const uint8_t (*)[DIPR_HASH_LEN])e->hashes[l]);
			if (rc)
				return rc < 0 ? rc : dipr__err(DIPR_EIO, "tree edge: emit returned %d", rc);
		}
		/* c2sp.org/tlog-tiles: each hash of tile level L + 1 is the
		 * root of a full tile of level L. */
		rc = dipr__perfect_root(e->alg, (const uint8_t (*)[DIPR_HASH_LEN])e->hashes[l],
					DIPR_TILE_WIDTH, h);
		if (rc)
			return rc;
	}
	/* Commit. */
	memcpy(e->hashes[l][e->count[l]], h, DIPR_HASH_LEN);
	e->count[l]++;
	while (l-- > 0)
		e->count[l] = 0;
	e->size++;
	return 0;
}

/* The perfect subtrees of the binary decomposition of size, walked from the
 * smallest (rightmost) up.  Subtree 2^k with k = 8L + j lies in tile level L:
 * it is the perfect root over 2^j hashes of the partial tile, at the offset
 * given by the higher set bits of count[L].  So the set bits of count[L] are
 * exactly the decomposition's bits 8L..8L+7. */
static void edge_root(const dipr_tree_edge *e, uint8_t out[DIPR_HASH_LEN])
{
	bool have = false;

	if (e->size == 0) {
		must(dipr_hash3(e->alg, NULL, 0, NULL, 0, NULL, 0, out));
		return;
	}
	for (unsigned l = 0; l < DIPR_TILE_MAX_LEVELS; l++) {
		unsigned c = e->count[l];
		for (unsigned j = 0; j < DIPR_TILE_HEIGHT; j++) {
			uint8_t s[DIPR_HASH_LEN];
			unsigned off = c & ~((2u << j) - 1);
			if (!(c & (1u << j)))
				continue;
			must(dipr__perfect_root(e->alg, (const uint8_t (*)[DIPR_HASH_LEN])e->hashes[l] + off,
						1u << j, s));
			/* Right fold, RFC 6962 §2.1: a subtree further left
			 * becomes the left child of what is to its right. */
			if (have)
				must(dipr__node_hash(e->alg, s, out, out));
			else
				memcpy(out, s, DIPR_HASH_LEN);
			have = true;
		}
	}
}

void dipr_tree_edge_root(const dipr_tree_edge *e, uint8_t out[DIPR_HASH_LEN])
{
	edge_root(e, out);
}

bool dipr_tree_edge_node(const dipr_tree_edge *e, dipr_node_id node, uint8_t out[DIPR_HASH_LEN])
{
	dipr_tile_id t;
	unsigned off, cnt;

	/* The node must lie inside the tree: (index + 1) << level <= size. */
	if (node.level > 63 || node.index >= (e->size >> node.level))
		return false;
	dipr_tile_locate(node, &t, &off, &cnt);
	/* ...and inside the partial tile of its tile level.  Full tiles were
	 * emitted and their slots reused. */
	if (t.index != shr(e->size, 8 * ((unsigned)t.level + 1)) || off + cnt > e->count[t.level])
		return false;
	must(dipr__perfect_root(e->alg, (const uint8_t (*)[DIPR_HASH_LEN])e->hashes[t.level] + off,
				cnt, out));
	return true;
}
