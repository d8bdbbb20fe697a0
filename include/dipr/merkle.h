/* merkle.h — RFC 6962 / RFC 9162 Merkle trees over a stored-hash interface,
 * and the C2SP tlog-tiles layout.
 *
 * leaf hash = H(0x00 || entry), node hash = H(0x01 || left || right),
 * empty tree = H("").  H is SHA-256 or SM3 (both 32 bytes).
 *
 * The core does no I/O.  Proof generation first works out which hashes it
 * needs (all of them roots of perfect subtrees, dipr_node_id), asks the
 * caller's reader for all of them in one call, and then only hashes.
 *
 * Nothing here keeps global state: calls on different objects may run on
 * different threads at once (a dipr_tree_edge needs one writer).  The void
 * and bool functions have no error channel: if a digest cannot be computed
 * at all (an alg other than DIPR_HASH_SHA256/DIPR_HASH_SM3, an OpenSSL
 * without SM3, or no memory for the per-thread digest context) they abort()
 * rather than return a wrong hash.  The int functions return that failure
 * instead.
 */
#ifndef DIPR_MERKLE_H
#define DIPR_MERKLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "hash.h"

/* Room for the longest proof of any tree of at most 2^63 - 1 leaves:
 * inclusion proofs are at most 63 hashes, consistency proofs at most 64. */
#define DIPR_MERKLE_MAX_PROOF 128
/* Largest tree size accepted anywhere (2^63 - 1). */
#define DIPR_MERKLE_MAX_SIZE ((uint64_t)INT64_MAX)

/* The root of the perfect subtree with 2^level leaves, leaves
 * [index << level, (index + 1) << level). */
typedef struct {
	uint8_t level;
	uint64_t index;
} dipr_node_id;

/* The one-method storage interface: fill out[i] with the hash of ids[i] for
 * all i < n, or return a negative DIPR_E* code.  ids may contain duplicates. */
typedef struct {
	int (*read)(void *ctx, const dipr_node_id *ids, size_t n,
		    uint8_t (*out)[DIPR_HASH_LEN]);
	void *ctx;
} dipr_hash_reader;

void dipr_merkle_leaf_hash(dipr_hash_alg alg, const uint8_t *entry, size_t n,
			   uint8_t out[DIPR_HASH_LEN]);
void dipr_merkle_node_hash(dipr_hash_alg alg, const uint8_t left[DIPR_HASH_LEN],
			   const uint8_t right[DIPR_HASH_LEN], uint8_t out[DIPR_HASH_LEN]);
void dipr_merkle_empty_root(dipr_hash_alg alg, uint8_t out[DIPR_HASH_LEN]);

/* Root of the perfect tree over count hashes (count a power of two, >= 1);
 * hashes are leaf hashes or subtree roots of equal height.  For any other
 * count it is RFC 6962 MTH with the hashes in the place of leaf hashes
 * (count 0: the empty root). */
void dipr_merkle_perfect_root(dipr_hash_alg alg, const uint8_t (*hashes)[DIPR_HASH_LEN],
			      size_t count, uint8_t out[DIPR_HASH_LEN]);

/* Root of the tree of the given size (the empty root for 0, without a read).
 * DIPR_EINVAL if size > DIPR_MERKLE_MAX_SIZE; the reader's error if it
 * fails.  The reader is called at most once, only for nodes inside the
 * tree. */
int dipr_merkle_root(dipr_hash_alg alg, uint64_t size, const dipr_hash_reader *r,
		     uint8_t out[DIPR_HASH_LEN]);

/* RFC 9162 §2.1.3.1 inclusion proof of leaf index in a tree of size.
 * proof must hold DIPR_MERKLE_MAX_PROOF hashes (at most 63 are written);
 * *len is set on success.  DIPR_EINVAL unless index < size <=
 * DIPR_MERKLE_MAX_SIZE; the reader's error if it fails.  One reader call
 * (none for size 1), only for nodes inside the tree. */
int dipr_merkle_prove_inclusion(dipr_hash_alg alg, uint64_t index, uint64_t size,
				const dipr_hash_reader *r,
				uint8_t (*proof)[DIPR_HASH_LEN], size_t *len);

/* RFC 9162 §2.1.4.1 consistency proof from size1 to size2
 * (0 < size1 <= size2; size1 == size2 gives an empty proof without a read).
 * proof must hold DIPR_MERKLE_MAX_PROOF hashes (at most 64 are written).
 * DIPR_EINVAL for other sizes or size2 > DIPR_MERKLE_MAX_SIZE. */
int dipr_merkle_prove_consistency(dipr_hash_alg alg, uint64_t size1, uint64_t size2,
				  const dipr_hash_reader *r,
				  uint8_t (*proof)[DIPR_HASH_LEN], size_t *len);

/* RFC 9162 §2.1.3.2.  0 if valid, DIPR_EVERIFY otherwise (including
 * index >= size, wrong proof length). */
int dipr_merkle_verify_inclusion(dipr_hash_alg alg, uint64_t index, uint64_t size,
				 const uint8_t leaf[DIPR_HASH_LEN],
				 const uint8_t (*proof)[DIPR_HASH_LEN], size_t len,
				 const uint8_t root[DIPR_HASH_LEN]);

/* RFC 9162 §2.1.4.2.  0 if valid, DIPR_EVERIFY otherwise.  size1 == size2
 * requires an empty proof and equal roots.  size1 == 0 always fails: RFC 9162
 * defines consistency proofs only for 0 < size1, and the transparency-dev
 * vectors reject it; a client without a previous tree has nothing to check
 * and must skip the call.  size1 > size2 fails. */
int dipr_merkle_verify_consistency(dipr_hash_alg alg, uint64_t size1, uint64_t size2,
				   const uint8_t root1[DIPR_HASH_LEN],
				   const uint8_t root2[DIPR_HASH_LEN],
				   const uint8_t (*proof)[DIPR_HASH_LEN], size_t len);

/* ---- C2SP tlog-tiles ------------------------------------------------ */

#define DIPR_TILE_HEIGHT 8
#define DIPR_TILE_WIDTH 256
/* Tile levels needed for trees up to 2^63 leaves: ceil(63/8). */
#define DIPR_TILE_MAX_LEVELS 8
/* Level value used for entry bundles (tile/entries/...). */
#define DIPR_TILE_ENTRIES (-1)

/* A tile: level L >= 0 holds the hashes of tree level 8L, positions
 * [256N, 256N + width); level DIPR_TILE_ENTRIES is an entry bundle.
 * width is 1..256; 256 means full. */
typedef struct {
	int level;
	uint64_t index;
	unsigned width;
} dipr_tile_id;

/* Room for any formatted tile path, NUL included. */
#define DIPR_TILE_PATH_MAX 64

/* Formats the path without a leading slash, e.g. "tile/0/x001/x234/067.p/8",
 * "tile/entries/000", NUL-terminated.  Any index formats; DIPR_EINVAL for a
 * level outside -1..63 or a width outside 1..256, DIPR_ERANGE if cap is too
 * small (DIPR_TILE_PATH_MAX always suffices). */
int dipr_tile_path_format(const dipr_tile_id *t, char *out, size_t cap);
/* Parses such a path (no leading slash, no query; path need not be
 * NUL-terminated) strictly, accepting exactly what dipr_tile_path_format
 * writes: level 0..63 or "entries", no leading zeros; each index element
 * three digits, "x" on all but the last, no leading "x000" element; partial
 * width 1..255, no leading zeros.  Width 256 when no ".p/".  DIPR_EINVAL for
 * anything else; DIPR_ERANGE for a well-formed path of a tile that no tree
 * of at most DIPR_MERKLE_MAX_SIZE leaves has (so levels 8..63 always), which
 * lets callers compute its start and end without overflow.  *t is written
 * only on success. */
int dipr_tile_path_parse(const char *path, size_t len, dipr_tile_id *t);

/* Width of tile (level, index) in the tree of `size` leaves: 256 if it is
 * full, 1..255 if it is that tree's partial tile, 0 if that tree has no such
 * tile.  Level DIPR_TILE_ENTRIES counts as level 0; other levels outside
 * 0..63 give 0. */
unsigned dipr_tile_width(int level, uint64_t index, uint64_t size);

/* Where a node's hash lives (node.level <= 63).  With L = node.level / 8 and
 * j = node.level % 8: tile level L, which holds the hashes of tree level 8L;
 * tile index (node.index << j) / 256; the node is the perfect root over
 * *count = 2^j (1..128) consecutive hashes of that tile starting at
 * *offset = (node.index << j) % 256.  tile->width is set to the least width
 * that holds them, *offset + *count: any tile of that index at least that
 * wide (the full tile, or a tree's partial tile, see dipr_tile_width) will
 * do. */
void dipr_tile_locate(dipr_node_id node, dipr_tile_id *tile, unsigned *offset, unsigned *count);

/* Reader helper: the hash of node from the data of the tile that holds it
 * (data = width hashes of 32 bytes; the caller picks the tile with
 * dipr_tile_locate).  DIPR_EINVAL if the tile is too narrow or width > 256,
 * or node.level > 63. */
int dipr_tile_node_hash(dipr_hash_alg alg, dipr_node_id node, const uint8_t *data,
			unsigned width, uint8_t out[DIPR_HASH_LEN]);

/* ---- the right edge of a growing tiled tree ------------------------- */

/* For each tile level, the hashes of the rightmost tile (partial or, right
 * after it fills, emitted and reset).  Enough to append and to compute the
 * root; about 64 KiB, copyable (no interior pointers).  Only
 * hashes[L][0 .. count[L]) are meaningful; the slots above hold stale data,
 * so compare edges by size, count and those hashes, not with memcmp. */
typedef struct {
	dipr_hash_alg alg;
	uint64_t size;
	uint8_t hashes[DIPR_TILE_MAX_LEVELS][DIPR_TILE_WIDTH][DIPR_HASH_LEN];
	unsigned count[DIPR_TILE_MAX_LEVELS]; /* = (size >> 8L) % 256 */
} dipr_tree_edge;

/* An empty tree. */
void dipr_tree_edge_init(dipr_tree_edge *e, dipr_hash_alg alg);

/* Loads the edge of a tree of `size` leaves: for every tile level L with
 * (size >> 8L) % 256 != 0, the partial tile of that width; reads them via
 * load(ctx, tile, out) which fills tile->width hashes.  The tiles are taken
 * as they are: compare dipr_tree_edge_root with the signed checkpoint to
 * check them.  DIPR_ERANGE if size > DIPR_MERKLE_MAX_SIZE, DIPR_EINVAL for
 * an unknown alg, load's error if it fails; on failure *e is an empty
 * tree. */
int dipr_tree_edge_load(dipr_tree_edge *e, dipr_hash_alg alg, uint64_t size,
			int (*load)(void *ctx, const dipr_tile_id *tile, uint8_t (*out)[DIPR_HASH_LEN]),
			void *ctx);

/* Appends a leaf hash.  Every tile that becomes full is passed to
 * emit(ctx, tile, hashes) (width 256) before it is reset, lowest level
 * first; emit may be NULL.  hashes lives until emit returns.  Returns
 * DIPR_ERANGE at DIPR_MERKLE_MAX_SIZE or emit's error; on any error the edge
 * is unchanged, so a retry emits the same tiles again (emit must accept
 * that). */
int dipr_tree_edge_append(dipr_tree_edge *e, const uint8_t leaf[DIPR_HASH_LEN],
			  int (*emit)(void *ctx, const dipr_tile_id *tile,
				      const uint8_t (*hashes)[DIPR_HASH_LEN]),
			  void *ctx);

/* Root of the current tree (empty root for size 0). */
void dipr_tree_edge_root(const dipr_tree_edge *e, uint8_t out[DIPR_HASH_LEN]);

/* If node's hash can be computed from the edge's partial tiles (the node
 * lies inside the tree and inside the partial tile of its tile level, see
 * dipr_tile_locate), writes it and returns true.  Nodes in full tiles are
 * not kept: read them from storage. */
bool dipr_tree_edge_node(const dipr_tree_edge *e, dipr_node_id node, uint8_t out[DIPR_HASH_LEN]);

#endif
