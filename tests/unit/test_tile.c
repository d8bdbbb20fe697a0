/* test_tile.c — lib/tile.c: C2SP tlog-tiles paths, where nodes live in
 * tiles, and the right edge of a growing tree, checked against a node table
 * computed here and against dipr_merkle_root.  Run from the repo root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/merkle.h"

typedef uint8_t hash_t[DIPR_HASH_LEN];

/* ---- paths -------------------------------------------------------------- */

/* Parses from a heap copy of exactly len bytes, no NUL, so that a read past
 * the end shows under ASan. */
static int parse(const char *s, size_t len, dipr_tile_id *t)
{
	char *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, s, len);
	int rc = dipr_tile_path_parse(p, len, t);
	free(p);
	return rc;
}

static int parses(const char *s, dipr_tile_id *t)
{
	return parse(s, strlen(s), t);
}

static const struct {
	dipr_tile_id t;
	const char *path;
} examples[] = {
	/* c2sp.org/tlog-tiles: "index 1234067 will be encoded as x001/x234/067" */
	{ { 0, 1234067, 256 }, "tile/0/x001/x234/067" },
	{ { 0, 1234067, 8 }, "tile/0/x001/x234/067.p/8" },
	{ { DIPR_TILE_ENTRIES, 0, 256 }, "tile/entries/000" },
	{ { DIPR_TILE_ENTRIES, 1234067, 255 }, "tile/entries/x001/x234/067.p/255" },
	{ { 1, 1000, 256 }, "tile/1/x001/000" },
	{ { 1, 999, 256 }, "tile/1/999" },
	{ { 2, 5, 1 }, "tile/2/005.p/1" },
	{ { 0, 1000000, 17 }, "tile/0/x001/x000/000.p/17" },
	{ { 7, 0, 127 }, "tile/7/000.p/127" },
	/* The largest tiles a tree of 2^63 - 1 leaves has. */
	{ { 0, 36028797018963966, 256 }, "tile/0/x036/x028/x797/x018/x963/966" },
	{ { 0, 36028797018963967, 255 }, "tile/0/x036/x028/x797/x018/x963/967.p/255" },
	{ { 6, 127, 255 }, "tile/6/127.p/255" },
};

static void test_path_examples(void **state)
{
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
		char buf[DIPR_TILE_PATH_MAX];
		dipr_tile_id t = { 99, 99, 99 };
		size_t len = strlen(examples[i].path);

		assert_int_equal(dipr_tile_path_format(&examples[i].t, buf, sizeof buf), 0);
		assert_string_equal(buf, examples[i].path);
		assert_int_equal(parses(examples[i].path, &t), 0);
		assert_int_equal(t.level, examples[i].t.level);
		assert_true(t.index == examples[i].t.index);
		assert_int_equal(t.width, examples[i].t.width);
		/* Every cap too small fails cleanly; exactly enough works. */
		for (size_t cap = 0; cap <= len; cap++) {
			memset(buf, 'Z', sizeof buf);
			assert_int_equal(dipr_tile_path_format(&examples[i].t, buf, cap), DIPR_ERANGE);
			if (cap)
				assert_int_equal(buf[0], 0);
			assert_int_equal(buf[cap], 'Z');
		}
		assert_int_equal(dipr_tile_path_format(&examples[i].t, buf, len + 1), 0);
		assert_string_equal(buf, examples[i].path);
	}
}

static void test_path_format_limits(void **state)
{
	char buf[DIPR_TILE_PATH_MAX];
	dipr_tile_id t = { 63, UINT64_MAX, 1 };
	/* The longest path there is fits DIPR_TILE_PATH_MAX. */
	t.level = DIPR_TILE_ENTRIES;
	assert_int_equal(dipr_tile_path_format(&t, buf, sizeof buf), 0);
	assert_string_equal(buf, "tile/entries/x018/x446/x744/x073/x709/x551/615.p/1");
	t.level = 63;
	assert_int_equal(dipr_tile_path_format(&t, buf, sizeof buf), 0);
	assert_string_equal(buf, "tile/63/x018/x446/x744/x073/x709/x551/615.p/1");

	dipr_tile_id bad[] = {
		{ 64, 0, 256 }, { -2, 0, 256 }, { 0, 0, 0 }, { 0, 0, 257 }, { 1, 5, 1000 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(dipr_tile_path_format(&bad[i], buf, sizeof buf), DIPR_EINVAL);
}

static void test_path_rejects(void **state)
{
	static const char *const einval[] = {
		"", "tile", "tile/", "tile/0", "tile/0/", "/tile/0/000", "tile//000", "tile/0//000",
		"Tile/0/000", "tiles/0/000", "tile/00/000", "tile/01/000", "tile/64/000", "tile/100/000",
		"tile/-1/000", "tile/+1/000", "tile/ 1/000", "tile/1 /000", "tile/Entries/000",
		"tile/entrie/000", "tile/entriess/000", "tile/data/000",
		/* index elements */
		"tile/0/0", "tile/0/00", "tile/0/0000", "tile/0/1234", "tile/0/x001", "tile/0/x001/",
		"tile/0/001/234", "tile/0/x1/234", "tile/0/x12/345", "tile/0/x0001/234", "tile/0/X001/234",
		"tile/0/xx001/234", "tile/0/x001//234", "tile/0/x001/x234", "tile/0/x000/000",
		"tile/0/x000/x001/000", "tile/entries/x000/001", "tile/0/x00a/000", "tile/0/0a0",
		"tile/0/-01", "tile/0/+01", "tile/0/ 01",
		/* too large for 64 bits, and too many elements */
		"tile/0/x999/x999/x999/x999/x999/x999/999", "tile/0/x018/x446/x744/x073/x709/x551/616",
		"tile/0/x001/x000/x000/x000/x000/x000/x000/000",
		/* partial widths */
		"tile/0/000.p", "tile/0/000.p/", "tile/0/000.p/0", "tile/0/000.p/00", "tile/0/000.p/08",
		"tile/0/000.p/256", "tile/0/000.p/1000", "tile/0/000.p/99999999999", "tile/0/000.p/-1",
		"tile/0/000.P/8", "tile/0/000.p8", "tile/0/000p/8", "tile/0/000..p/8", "tile/0/000.p//8",
		"tile/0/000.p/8/", "tile/0/000.p/8x", "tile/0/000.p/8.p/8", "tile/0/x001.p/8/000",
		/* trailing junk */
		"tile/0/000/", "tile/0/000?x=1", "tile/0/000#", "tile/0/000 ", "tile/0/x001/x234/067/",
		"tile/0/0000", "tile/0/000.", "tile/0/000/000",
	};
	static const char *const erange[] = {
		/* Well formed, but no tree of at most 2^63 - 1 leaves has them. */
		"tile/8/000", "tile/63/000.p/1", "tile/7/000", "tile/7/000.p/128", "tile/6/128",
		"tile/0/x036/x028/x797/x018/x963/967", "tile/0/x036/x028/x797/x018/x963/968.p/1",
		"tile/entries/x036/x028/x797/x018/x963/968", "tile/0/x018/x446/x744/x073/x709/x551/615",
	};
	for (size_t i = 0; i < sizeof einval / sizeof einval[0]; i++) {
		dipr_tile_id t = { 42, 42, 42 };
		int rc = parses(einval[i], &t);
		if (rc != DIPR_EINVAL)
			fail_msg("\"%s\": expected DIPR_EINVAL, got %d", einval[i], rc);
		assert_int_equal(t.level, 42); /* untouched */
	}
	for (size_t i = 0; i < sizeof erange / sizeof erange[0]; i++) {
		dipr_tile_id t;
		int rc = parses(erange[i], &t);
		if (rc != DIPR_ERANGE)
			fail_msg("\"%s\": expected DIPR_ERANGE, got %d", erange[i], rc);
	}
	/* A NUL inside the given length is not the end of the path. */
	dipr_tile_id t;
	assert_int_equal(parse("tile/0/000\0", 11, &t), DIPR_EINVAL);
	assert_int_equal(parse("tile/0\0/000", 11, &t), DIPR_EINVAL);
	/* len bounds the path: a valid prefix parses, the rest is ignored. */
	assert_int_equal(parse("tile/0/000.p/8", 10, &t), 0);
	assert_int_equal(t.width, 256);
	assert_int_equal(parse("tile/0/000.p/8", 13, &t), DIPR_EINVAL);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so failures reproduce. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Round trips over many tiles, and the canonical-form property: anything the
 * parser accepts formats back to exactly the same bytes, so one tile has one
 * path (checked on random mutations of valid paths). */
static void test_path_round_trip_and_canonical(void **state)
{
	static const char alphabet[] = "0123456789x/.ptilentrs-+ \0X";
	unsigned accepted = 0, tried = 0, erange = 0;

	for (int k = 0; k < 60000; k++) {
		dipr_tile_id t, u;
		char buf[DIPR_TILE_PATH_MAX];
		int lv = (int)(rnd() % 9) - 1;
		unsigned l = lv < 0 ? 0 : (unsigned)lv;
		uint64_t lim = l >= 8 ? 0 : (DIPR_MERKLE_MAX_SIZE >> (8 * l)) / 256;
		uint64_t idx;
		if (lv == 8)
			continue;
		switch (k % 4) {
		case 0: idx = (uint64_t)k; break;
		case 1: idx = rnd() % 2000000; break;
		case 2: idx = lim ? rnd() % lim : 0; break;
		default: idx = lim > (uint64_t)k ? lim - (uint64_t)k : 0; break;
		}
		t.level = lv;
		t.index = idx;
		t.width = k % 3 ? 256 : 1 + (unsigned)(rnd() % 255);
		assert_int_equal(dipr_tile_path_format(&t, buf, sizeof buf), 0);
		/* The tile's last hash must lie in a tree of <= 2^63 - 1 leaves. */
		if ((((unsigned __int128)idx * 256 + t.width) << (8 * l)) > DIPR_MERKLE_MAX_SIZE) {
			assert_int_equal(parses(buf, &u), DIPR_ERANGE);
			erange++;
			continue;
		}
		assert_int_equal(parses(buf, &u), 0);
		assert_int_equal(u.level, t.level);
		assert_true(u.index == t.index);
		assert_int_equal(u.width, t.width);

		/* Mutate: replace, insert or delete a few bytes. */
		char m[DIPR_TILE_PATH_MAX + 8];
		size_t n = strlen(buf);
		memcpy(m, buf, n);
		for (int e = 0, ne = 1 + (int)(rnd() % 3); e < ne; e++) {
			size_t at = n ? rnd() % n : 0;
			char c = alphabet[rnd() % (sizeof alphabet - 1)];
			switch (rnd() % 3) {
			case 0:
				if (n)
					m[at] = c;
				break;
			case 1:
				if (n < sizeof m) {
					memmove(m + at + 1, m + at, n - at);
					m[at] = c;
					n++;
				}
				break;
			default:
				if (n) {
					memmove(m + at, m + at + 1, n - at - 1);
					n--;
				}
				break;
			}
		}
		tried++;
		if (parse(m, n, &u) == 0) {
			accepted++;
			assert_int_equal(dipr_tile_path_format(&u, buf, sizeof buf), 0);
			assert_int_equal(strlen(buf), n);
			assert_memory_equal(buf, m, n);
		}
	}
	print_message("tile paths: %u round trips (+%u beyond 2^63 - 1), %u mutations, %u still valid and canonical\n",
		      tried, erange, tried, accepted);
	assert_true(erange > 0 && accepted > 0);
}

static void test_tile_width(void **state)
{
	/* c2sp.org/tlog-tiles: "a tree of size 70,000 will be represented by
	 * 273 full level 0 tiles, one partial level 0 tile of width 112, one
	 * full level 1 tile, one partial level 1 tile of width 17, and one
	 * partial level 2 tile of width 1." */
	assert_int_equal(dipr_tile_width(0, 0, 70000), 256);
	assert_int_equal(dipr_tile_width(0, 272, 70000), 256);
	assert_int_equal(dipr_tile_width(0, 273, 70000), 112);
	assert_int_equal(dipr_tile_width(0, 274, 70000), 0);
	assert_int_equal(dipr_tile_width(DIPR_TILE_ENTRIES, 273, 70000), 112);
	assert_int_equal(dipr_tile_width(1, 0, 70000), 256);
	assert_int_equal(dipr_tile_width(1, 1, 70000), 17);
	assert_int_equal(dipr_tile_width(1, 2, 70000), 0);
	assert_int_equal(dipr_tile_width(2, 0, 70000), 1);
	assert_int_equal(dipr_tile_width(3, 0, 70000), 0);
	/* "a tree of size 256 will be represented by a full level 0 tile and
	 * a partial level 1 tile of width 1." */
	assert_int_equal(dipr_tile_width(0, 0, 256), 256);
	assert_int_equal(dipr_tile_width(0, 1, 256), 0);
	assert_int_equal(dipr_tile_width(1, 0, 256), 1);
	assert_int_equal(dipr_tile_width(0, 0, 0), 0);
	assert_int_equal(dipr_tile_width(7, 0, DIPR_MERKLE_MAX_SIZE), 127);
	assert_int_equal(dipr_tile_width(8, 0, DIPR_MERKLE_MAX_SIZE), 0);
	assert_int_equal(dipr_tile_width(63, 0, DIPR_MERKLE_MAX_SIZE), 0);
	assert_int_equal(dipr_tile_width(64, 0, 1), 0);
	assert_int_equal(dipr_tile_width(-2, 0, 1), 0);
}

/* ---- a tree of 70000 leaves, every node hashed here ---------------------- */

#define TREE 70000u
#define LEVELS 17 /* 2^16 <= TREE < 2^17 */

static hash_t *node[LEVELS]; /* node[l][i], i < TREE >> l */

static void nv_node(const hash_t l, const hash_t r, hash_t out)
{
	uint8_t one = 1;
	assert_int_equal(dipr_hash3(DIPR_HASH_SHA256, &one, 1, l, DIPR_HASH_LEN, r, DIPR_HASH_LEN, out), 0);
}

static int setup(void **state)
{
	for (unsigned l = 0; l < LEVELS; l++) {
		node[l] = calloc((TREE >> l) + 1, sizeof(hash_t));
		if (!node[l])
			return -1;
	}
	for (uint32_t i = 0; i < TREE; i++) {
		uint8_t e[5] = { 0, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		if (dipr_hash(DIPR_HASH_SHA256, e, sizeof e, node[0][i])) /* leaf: H(0x00 || entry) */
			return -1;
	}
	for (unsigned l = 1; l < LEVELS; l++)
		for (uint32_t i = 0; i < (TREE >> l); i++)
			nv_node(node[l - 1][2 * i], node[l - 1][2 * i + 1], node[l][i]);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned l = 0; l < LEVELS; l++)
		free(node[l]);
	return 0;
}

struct table_reader {
	uint64_t limit;
};

static int table_read(void *ctx, const dipr_node_id *ids, size_t n, hash_t *out)
{
	struct table_reader *t = ctx;
	for (size_t i = 0; i < n; i++) {
		assert_true(ids[i].level < LEVELS);
		assert_true(ids[i].index < (t->limit >> ids[i].level));
		memcpy(out[i], node[ids[i].level][ids[i].index], DIPR_HASH_LEN);
	}
	return 0;
}

static void test_locate(void **state)
{
	uint64_t s = rng_state;
	for (unsigned l = 0; l < 64; l++) {
		for (int k = 0; k < 200; k++) {
			dipr_node_id id = { (uint8_t)l, k < 100 ? (uint64_t)k : rnd() >> l };
			dipr_tile_id t;
			unsigned off, cnt, j = l % 8;
			unsigned __int128 pos = (unsigned __int128)id.index << j;
			dipr_tile_locate(id, &t, &off, &cnt);
			assert_int_equal(t.level, (int)(l / 8));
			assert_true(t.index == (uint64_t)(pos / 256));
			assert_int_equal(off, (unsigned)(pos % 256));
			assert_int_equal(cnt, 1u << j);
			assert_int_equal(t.width, off + cnt);
			assert_true(off % cnt == 0 && off + cnt <= 256);
		}
	}
	rng_state = s;

	/* Every node of the 70000-leaf tree from the data of its tile. */
	for (unsigned l = 0; l < LEVELS; l++) {
		for (uint32_t i = 0; i < (TREE >> l); i++) {
			dipr_node_id id = { (uint8_t)l, i };
			dipr_tile_id t;
			unsigned off, cnt;
			hash_t h;
			if (l > 4 && i > 64 && i % 97)
				continue; /* plenty of each level, not all */
			dipr_tile_locate(id, &t, &off, &cnt);
			unsigned w = dipr_tile_width(t.level, t.index, TREE);
			assert_true(w >= off + cnt);
			const uint8_t *data = node[8 * t.level][t.index * 256];
			assert_int_equal(dipr_tile_node_hash(DIPR_HASH_SHA256, id, data, w, h), 0);
			assert_memory_equal(h, node[l][i], DIPR_HASH_LEN);
			assert_int_equal(dipr_tile_node_hash(DIPR_HASH_SHA256, id, data, off + cnt, h), 0);
			assert_memory_equal(h, node[l][i], DIPR_HASH_LEN);
			assert_int_equal(dipr_tile_node_hash(DIPR_HASH_SHA256, id, data, off + cnt - 1, h), DIPR_EINVAL);
		}
	}
	hash_t h;
	dipr_node_id id = { 0, 0 };
	assert_int_equal(dipr_tile_node_hash(DIPR_HASH_SHA256, id, node[0][0], 257, h), DIPR_EINVAL);
	id.level = 64;
	assert_int_equal(dipr_tile_node_hash(DIPR_HASH_SHA256, id, node[0][0], 256, h), DIPR_EINVAL);
}

/* ---- the right edge -------------------------------------------------- */

struct emitted {
	const dipr_tree_edge *e;
	unsigned n;
	dipr_tile_id tiles[300];
	int fail_level; /* fail emits of this level when >= 0 */
};

static int emit(void *ctx, const dipr_tile_id *t, const hash_t *hashes)
{
	struct emitted *em = ctx;
	unsigned l = (unsigned)t->level;

	if (em->fail_level == t->level)
		return DIPR_EIO;
	/* Emitted exactly when it fills: the size after this append is the
	 * tile's end index, (N + 1) * 256^(L+1). */
	assert_int_equal(t->width, 256);
	assert_true((t->index + 1) << (8 * (l + 1)) == em->e->size + 1);
	/* Its hashes are tree level 8L, positions 256N .. 256N + 255. */
	assert_true(8 * l < LEVELS);
	assert_memory_equal(hashes, node[8 * l][t->index * 256], 256 * DIPR_HASH_LEN);
	assert_true(em->n < 300);
	em->tiles[em->n++] = *t;
	return 0;
}

struct loader {
	unsigned calls;
	int fail_level;
};

static int load_from_table(void *ctx, const dipr_tile_id *t, hash_t *out)
{
	struct loader *ld = ctx;
	unsigned l = (unsigned)t->level;
	ld->calls++;
	if (ld->fail_level == t->level)
		return DIPR_ENOTFOUND;
	assert_true(t->width >= 1 && t->width <= 255);
	assert_true(8 * l < LEVELS);
	memcpy(out, node[8 * l][t->index * 256], t->width * DIPR_HASH_LEN);
	return 0;
}

static void assert_same_edge(const dipr_tree_edge *a, const dipr_tree_edge *b)
{
	assert_int_equal(a->alg, b->alg);
	assert_true(a->size == b->size);
	for (unsigned l = 0; l < DIPR_TILE_MAX_LEVELS; l++) {
		assert_int_equal(a->count[l], b->count[l]);
		assert_memory_equal(a->hashes[l], b->hashes[l], a->count[l] * DIPR_HASH_LEN);
	}
}

static bool check_size(uint64_t s)
{
	if (s <= 600 || s % 997 == 0 || s % 65536 <= 2 || s % 65536 >= 65534 ||
	    (s % 256 <= 1 && s < 4096))
		return true;
	if ((s & (s - 1)) == 0 || ((s + 1) & s) == 0)
		return true;
	return s >= TREE - 3;
}

static void check_edge(const dipr_tree_edge *e, uint64_t s, bool all_nodes)
{
	static dipr_tree_edge f;
	struct table_reader tr = { s };
	dipr_hash_reader r = { table_read, &tr };
	hash_t want, got;

	assert_true(e->size == s);
	for (unsigned l = 0; l < DIPR_TILE_MAX_LEVELS; l++)
		assert_int_equal(e->count[l], (unsigned)((l < 8 ? s >> (8 * l) : 0) % 256));
	assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, s, &r, want), 0);
	dipr_tree_edge_root(e, got);
	assert_memory_equal(got, want, DIPR_HASH_LEN);

	/* The claim the root rests on: every perfect subtree of the binary
	 * decomposition of s lies inside the edge's partial tiles. */
	for (unsigned k = 0; k < 64; k++) {
		if (!(s >> k & 1))
			continue;
		dipr_node_id id = { (uint8_t)k, (s >> k) - 1 };
		assert_true(dipr_tree_edge_node(e, id, got));
		assert_memory_equal(got, node[k][id.index], DIPR_HASH_LEN);
	}

	/* Reload from the partial tiles alone: the same edge. */
	struct loader ld = { 0, -99 };
	unsigned tiles = 0;
	assert_int_equal(dipr_tree_edge_load(&f, DIPR_HASH_SHA256, s, load_from_table, &ld), 0);
	for (unsigned l = 0; l < 3; l++)
		tiles += (s >> (8 * l)) % 256 != 0;
	assert_int_equal(ld.calls, tiles);
	assert_same_edge(&f, e);
	dipr_tree_edge_root(&f, got);
	assert_memory_equal(got, want, DIPR_HASH_LEN);

	if (!all_nodes)
		return;
	/* edge_node answers exactly for the nodes inside the partial tile of
	 * their tile level, and agrees with the table. */
	for (unsigned l = 0; l < LEVELS + 2; l++) {
		uint64_t have = s >> l, from = have > 64 ? have - 64 : 0;
		for (uint64_t i = from; i < have + 2; i++) {
			dipr_node_id id = { (uint8_t)l, i };
			unsigned tl = l / 8;
			uint64_t pos = i << (l % 8);
			bool in = i < have && pos / 256 == (s >> (8 * (tl + 1)));
			assert_int_equal(dipr_tree_edge_node(e, id, got), in);
			if (in)
				assert_memory_equal(got, node[l][i], DIPR_HASH_LEN);
		}
	}
	dipr_node_id far = { 63, 0 };
	assert_false(dipr_tree_edge_node(e, far, got));
	far.level = 200;
	assert_false(dipr_tree_edge_node(e, far, got));
}

static void test_edge_grow(void **state)
{
	static dipr_tree_edge e, quiet;
	static struct emitted em;
	unsigned checked = 0;
	hash_t a, b;

	dipr_tree_edge_init(&e, DIPR_HASH_SHA256);
	dipr_tree_edge_init(&quiet, DIPR_HASH_SHA256);
	em.e = &e;
	em.fail_level = -99;
	dipr_tree_edge_root(&e, a);
	dipr_merkle_empty_root(DIPR_HASH_SHA256, b);
	assert_memory_equal(a, b, DIPR_HASH_LEN);
	check_edge(&e, 0, true);

	for (uint64_t s = 1; s <= TREE; s++) {
		assert_int_equal(dipr_tree_edge_append(&e, node[0][s - 1], emit, &em), 0);
		assert_int_equal(dipr_tree_edge_append(&quiet, node[0][s - 1], NULL, NULL), 0);
		if (check_size(s)) {
			check_edge(&e, s, s % 53 == 0 || s >= TREE - 3 || s % 65536 <= 1);
			checked++;
		}
	}
	assert_same_edge(&quiet, &e);

	/* Exactly the full tiles, each once, bottom level first within an
	 * append: level 0 tiles 0..272, and level 1 tile 0 right after level
	 * 0 tile 255. */
	assert_int_equal(em.n, 274);
	for (unsigned i = 0, n0 = 0; i < em.n; i++) {
		if (i == 256) {
			assert_int_equal(em.tiles[i].level, 1);
			assert_true(em.tiles[i].index == 0);
		} else {
			assert_int_equal(em.tiles[i].level, 0);
			assert_true(em.tiles[i].index == n0++);
		}
	}
	print_message("tree edge: %u sizes checked up to %u leaves, %u tiles emitted\n", checked, TREE, em.n);
}

static void test_edge_emit_failure(void **state)
{
	static dipr_tree_edge e, before;
	static struct emitted em;
	struct loader ld = { 0, -99 };
	hash_t r1, r2;

	/* At 65535 leaves the next append fills level-0 tile 255 and level-1
	 * tile 0. */
	assert_int_equal(dipr_tree_edge_load(&e, DIPR_HASH_SHA256, 65535, load_from_table, &ld), 0);
	em.e = &e;
	before = e;
	for (int fl = 0; fl <= 1; fl++) {
		em.n = 0;
		em.fail_level = fl;
		assert_int_equal(dipr_tree_edge_append(&e, node[0][65535], emit, &em), DIPR_EIO);
		assert_int_equal(em.n, (unsigned)fl); /* level 0 went out first */
		assert_same_edge(&e, &before);
		dipr_tree_edge_root(&e, r1);
		dipr_tree_edge_root(&before, r2);
		assert_memory_equal(r1, r2, DIPR_HASH_LEN);
	}
	/* The retry emits both tiles again and gives the right tree. */
	em.n = 0;
	em.fail_level = -99;
	assert_int_equal(dipr_tree_edge_append(&e, node[0][65535], emit, &em), 0);
	assert_int_equal(em.n, 2);
	check_edge(&e, 65536, true);

	/* A failing loader leaves an empty tree and reports its error. */
	ld.fail_level = 1;
	assert_int_equal(dipr_tree_edge_load(&e, DIPR_HASH_SHA256, 70000, load_from_table, &ld), DIPR_ENOTFOUND);
	assert_true(e.size == 0);
	for (unsigned l = 0; l < DIPR_TILE_MAX_LEVELS; l++)
		assert_int_equal(e.count[l], 0);
	assert_int_equal(dipr_tree_edge_load(&e, (dipr_hash_alg)77, 5, load_from_table, &ld), DIPR_EINVAL);
}

/* ---- trees near 2^63 leaves ------------------------------------------ */

/* The period-7 tree of test_merkle.c: leaf i is F(0, i mod 7); node (l, i)
 * is F(l, (i << l) mod 7).  Consistent at every size, cheap to read. */
static hash_t syn_f[64][7];

static unsigned syn_r(unsigned l, uint64_t i)
{
	unsigned p = 1;
	for (unsigned k = 0; k < l; k++)
		p = p * 2 % 7;
	return (unsigned)(i % 7) * p % 7;
}

static int syn_read(void *ctx, const dipr_node_id *ids, size_t n, hash_t *out)
{
	const uint64_t *limit = ctx;
	for (size_t i = 0; i < n; i++) {
		assert_true(ids[i].level < 64 && ids[i].index < (*limit >> ids[i].level));
		memcpy(out[i], syn_f[ids[i].level][syn_r(ids[i].level, ids[i].index)], DIPR_HASH_LEN);
	}
	return 0;
}

static int syn_load(void *ctx, const dipr_tile_id *t, hash_t *out)
{
	unsigned l = 8 * (unsigned)t->level;
	for (unsigned k = 0; k < t->width; k++)
		memcpy(out[k], syn_f[l][syn_r(l, t->index * 256 + k)], DIPR_HASH_LEN);
	return 0;
}

struct syn_emits {
	unsigned n;
	uint64_t size;
};

static int syn_emit(void *ctx, const dipr_tile_id *t, const hash_t *hashes)
{
	struct syn_emits *se = ctx;
	unsigned l = 8 * (unsigned)t->level;
	assert_int_equal(t->level, (int)se->n); /* bottom up */
	assert_true(t->index == se->size >> (l + 8));
	for (unsigned k = 0; k < 256; k++)
		assert_memory_equal(hashes[k], syn_f[l][syn_r(l, t->index * 256 + k)], DIPR_HASH_LEN);
	se->n++;
	return 0;
}

static void test_edge_huge(void **state)
{
	static dipr_tree_edge e;
	static const uint64_t sizes[] = {
		DIPR_MERKLE_MAX_SIZE, DIPR_MERKLE_MAX_SIZE - 1, ((uint64_t)1 << 62) + ((uint64_t)1 << 56) - 1,
		((uint64_t)1 << 56) - 1, 0x5555555555555555ull, 65535,
	};
	uint64_t limit;
	dipr_hash_reader r = { syn_read, &limit };
	hash_t want, got;

	for (unsigned x = 0; x < 7; x++)
		assert_int_equal(dipr_hash3(DIPR_HASH_SHA256, "syn", 3, &x, sizeof x, NULL, 0, syn_f[0][x]), 0);
	for (unsigned l = 1; l < 64; l++)
		for (unsigned x = 0; x < 7; x++)
			nv_node(syn_f[l - 1][x], syn_f[l - 1][(x + syn_r(l - 1, 1)) % 7], syn_f[l][x]);

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		uint64_t s = sizes[k];
		assert_int_equal(dipr_tree_edge_load(&e, DIPR_HASH_SHA256, s, syn_load, NULL), 0);
		limit = s;
		assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, s, &r, want), 0);
		dipr_tree_edge_root(&e, got);
		assert_memory_equal(got, want, DIPR_HASH_LEN);
		for (unsigned b = 0; b < 64; b++) {
			if (!(s >> b & 1))
				continue;
			dipr_node_id id = { (uint8_t)b, (s >> b) - 1 };
			assert_true(dipr_tree_edge_node(&e, id, got));
			assert_memory_equal(got, syn_f[b][syn_r(b, id.index)], DIPR_HASH_LEN);
		}
		if (s == DIPR_MERKLE_MAX_SIZE) {
			assert_int_equal(e.count[7], 127);
			assert_int_equal(dipr_tree_edge_append(&e, syn_f[0][0], NULL, NULL), DIPR_ERANGE);
			continue;
		}
		/* One more leaf: the tiles it fills come out bottom up, and
		 * the root is right. */
		struct syn_emits se = { 0, s };
		unsigned fills = 0;
		while (fills < 8 && ((s + 1) >> (8 * fills)) % 256 == 0 && ((s + 1) >> (8 * fills)) != 0)
			fills++;
		assert_int_equal(dipr_tree_edge_append(&e, syn_f[0][s % 7], syn_emit, &se), 0);
		assert_int_equal(se.n, fills);
		limit = s + 1;
		assert_int_equal(dipr_merkle_root(DIPR_HASH_SHA256, s + 1, &r, want), 0);
		dipr_tree_edge_root(&e, got);
		assert_memory_equal(got, want, DIPR_HASH_LEN);
	}
	assert_int_equal(dipr_tree_edge_load(&e, DIPR_HASH_SHA256, DIPR_MERKLE_MAX_SIZE + 1, syn_load, NULL),
			 DIPR_ERANGE);
}

/* SM3 edges: same code paths, other hash. */
static void test_edge_sm3(void **state)
{
	static dipr_tree_edge e;
	static hash_t leaves[600];
	hash_t a, b;

	dipr_tree_edge_init(&e, DIPR_HASH_SM3);
	for (unsigned i = 0; i < 600; i++) {
		uint8_t x[2] = { (uint8_t)(i >> 8), (uint8_t)i };
		dipr_merkle_leaf_hash(DIPR_HASH_SM3, x, 2, leaves[i]);
		assert_int_equal(dipr_tree_edge_append(&e, leaves[i], NULL, NULL), 0);
		dipr_tree_edge_root(&e, a);
		dipr_merkle_perfect_root(DIPR_HASH_SM3, (const hash_t *)leaves, i + 1, b); /* MTH for any count */
		assert_memory_equal(a, b, DIPR_HASH_LEN);
	}
	dipr_merkle_empty_root(DIPR_HASH_SM3, b);
	dipr_tree_edge_init(&e, DIPR_HASH_SM3);
	dipr_tree_edge_root(&e, a);
	assert_memory_equal(a, b, DIPR_HASH_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_examples),
		cmocka_unit_test(test_path_format_limits),
		cmocka_unit_test(test_path_rejects),
		cmocka_unit_test(test_path_round_trip_and_canonical),
		cmocka_unit_test(test_tile_width),
		cmocka_unit_test(test_locate),
		cmocka_unit_test(test_edge_grow),
		cmocka_unit_test(test_edge_emit_failure),
		cmocka_unit_test(test_edge_huge),
		cmocka_unit_test(test_edge_sm3),
	};
	return cmocka_run_group_tests_name("tile", tests, setup, teardown);
}
