/* fuzz_tilepath.c — tile paths from URLs: every accepted path is
 * canonical, i.e. formats back to exactly the same bytes. */
#include <stdlib.h>
#include <string.h>
#include "dipr/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dipr_tile_id t;
	char out[256];
	if (dipr_tile_path_parse((const char *)data, size, &t) == 0) {
		if (t.width < 1 || t.width > 256 || t.level < -1 || t.level > 63)
			abort();
		if (dipr_tile_path_format(&t, out, sizeof out) != 0 || strlen(out) != size || memcmp(out, data, size) != 0)
			abort();
	}
	return 0;
}
