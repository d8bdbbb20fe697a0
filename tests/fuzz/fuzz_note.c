/* fuzz_note.c — signed notes, checkpoints and vkeys from outside bytes. */
#include <stdlib.h>
#include <string.h>
#include "dipr/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t tl = 0;
	dipr_checkpoint c;
	dipr_verifier *v = NULL;
	if (dipr_note_parse(data, size, &tl) == 0) {
		if (tl > size)
			abort();
		if (dipr_checkpoint_parse(data, tl, &c) == 0) {
			dipr_buf b;
			dipr_checkpoint c2;
			dipr_buf_init(&b, 1 << 16);
			if (dipr_checkpoint_format(&c, &b) != 0 || dipr_checkpoint_parse(b.p, b.n, &c2) != 0 ||
			    c2.size != c.size || strcmp(c2.origin, c.origin) != 0 || memcmp(c2.root, c.root, 32) != 0)
				abort();
			dipr_buf_free(&b);
		}
	}
	dipr_checkpoint_parse(data, size, &c);
	if (dipr_verifier_from_vkey(&v, (const char *)data, size) == 0) {
		dipr_verifier *const vs[1] = {v};
		dipr_note_verify(data, size, vs, 1, &tl);
	}
	dipr_verifier_free(v);
	return 0;
}
