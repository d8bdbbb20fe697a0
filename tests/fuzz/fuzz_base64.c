/* fuzz_base64.c — strict base64: accepted input is canonical. */
#include <stdlib.h>
#include <string.h>
#include "dipr/dipr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[4096];
	size_t n;
	if (size <= 4096 && dipr_b64_decode((const char *)data, size, out, sizeof out, &n) == 0) {
		dipr_buf b;
		dipr_buf_init(&b, 8192);
		if (dipr_b64_encode(out, n, &b) != 0 || b.n != size || memcmp(b.p, data, size) != 0)
			abort();
		dipr_buf_free(&b);
	}
	return 0;
}
