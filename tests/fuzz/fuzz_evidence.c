/* fuzz_evidence.c — POST /api/v1/evidence bodies through the same parse
 * and validation the server uses. */
#include <stdlib.h>
#include <string.h>
#include "jcs.h"
#include "server/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = NULL;
	char msg[600];
	if (size > 65536 || dipr__json_parse(data, size, 8, "body", &in) != 0)
		return 0;
	uint8_t *meta = NULL;
	size_t mlen = 0;
	json_t *e = dipr__evidence_build(in, &meta, &mlen, msg, sizeof msg);
	if (e) {
		dipr_buf b;
		dipr_buf_init(&b, 1 << 20);
		if (dipr__jcs_encode(e, &b) != 0)
			abort(); /* a validated entry always canonicalises */
		dipr_buf_free(&b);
	} else if (!msg[0]) {
		abort(); /* every rejection says why */
	}
	json_decref(e);
	json_decref(in);
	free(meta);
	return 0;
}
