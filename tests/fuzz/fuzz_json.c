/* fuzz_json.c — the strict JSON parser and RFC 8785 canonicalisation:
 * canonical output parses back and is a fixed point. */
#include <stdlib.h>
#include <string.h>
#include "jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL, *w = NULL;
	dipr_buf a, b;
	dipr_buf_init(&a, 1 << 20);
	dipr_buf_init(&b, 1 << 20);
	if (dipr__json_parse(data, size, 32, "fuzz", &v) == 0 && dipr__jcs_encode(v, &a) == 0) {
		if (dipr__json_parse(a.p, a.n, 64, "fuzz", &w) != 0 || dipr__jcs_encode(w, &b) != 0 || a.n != b.n ||
		    memcmp(a.p, b.p, a.n) != 0)
			abort();
	}
	json_decref(v);
	json_decref(w);
	dipr_buf_free(&a);
	dipr_buf_free(&b);
	return 0;
}
