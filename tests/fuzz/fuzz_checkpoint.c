/* fuzz_checkpoint.c — checkpoints as a client meets them (GET /checkpoint,
 * the note at the end of every receipt): the signed note checked against
 * the log's two keys (Ed25519 and SM2, the keys that signed the seeds in
 * corpus/checkpoint), then the C2SP tlog-checkpoint text.
 *  - a note that verifies under the log's keys can only be one the log
 *    signed: its text is a checkpoint of that origin (mutants of the
 *    signed seeds must fail verification unless they change only other
 *    signature lines);
 *  - a checkpoint that parses formats back to text that parses to the same
 *    origin, size and root, and the text is a prefix of that format
 *    (extension lines follow, kept verbatim). */
#include <stdlib.h>
#include <string.h>
#include "dipr/note.h"

#define ORIGIN "fuzz.test/checkpoint"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dipr_verifier *vs[2];
	static const char *const vk[2] = {
		ORIGIN "+d8d1b803+AeaWn/G8WBLJ+FrJ+hSdN82ERL4zl4j3x4aRAC6ilGc9",
		ORIGIN "+406ef879+/3NtMi1zbTMvMTIzNDU2NzgxMjM0NTY3OATmc15hvu1fERn7FAjLS+9UIW31bslxvuC7L66RjcUwijbY/"
		       "9Aa/pDQ6VXiNj7jQzs2rHP/la3SfE+hVTee60QR"};
	if (!vs[0] && (dipr_verifier_from_vkey(&vs[0], vk[0], strlen(vk[0])) ||
		       dipr_verifier_from_vkey(&vs[1], vk[1], strlen(vk[1]))))
		abort();
	size_t tl = 0;
	dipr_checkpoint c, c2;
	if (dipr_note_verify(data, size, vs, 2, &tl) == 0) {
		if (tl > size || dipr_checkpoint_parse(data, tl, &c) != 0 || strcmp(c.origin, ORIGIN) != 0)
			abort();
	}
	for (int k = 0; k < 2; k++) /* each key alone */
		if (dipr_note_verify(data, size, vs + k, 1, &tl) == 0 && tl > size)
			abort();
	if (dipr_checkpoint_parse(data, size, &c) == 0) {
		dipr_buf b;
		dipr_buf_init(&b, 1 << 17);
		if (dipr_checkpoint_format(&c, &b) != 0 || dipr_checkpoint_parse(b.p, b.n, &c2) != 0 ||
		    c2.size != c.size || strcmp(c2.origin, c.origin) != 0 || memcmp(c2.root, c.root, 32) != 0 ||
		    b.n > size || memcmp(b.p, data, b.n) != 0)
			abort();
		dipr_buf_free(&b);
	}
	return 0;
}
