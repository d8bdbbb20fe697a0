/* fuzz_vkey.c — signed-note keys from outside bytes (lib/note.c): vkeys
 * (--vkey files, holder keys in evidence bodies, log.json) and skeys
 * (--key files).
 *  - a vkey that parses has a valid name and a key ID that matches;
 *    verifying any signature with it must not crash and a signature of the
 *    wrong length never verifies;
 *  - an skey that parses gives a vkey that parses to the same name, type
 *    and key ID, and what it signs verifies with that vkey, and not after
 *    one bit of the message is flipped. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dipr/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "{\"sm3\":\"00\"}";
	dipr_verifier *v = NULL, *v2 = NULL;
	dipr_signer *sg = NULL;
	char *vk = NULL;
	if (dipr_verifier_from_vkey(&v, (const char *)data, size) == 0) {
		const char *name = dipr_verifier_name(v);
		if (!dipr__key_name_valid((const uint8_t *)name, strlen(name)))
			abort();
		if (dipr_verifier_type(v) != DIPR_KEY_ED25519 && dipr_verifier_type(v) != DIPR_KEY_SM2)
			abort();
		/* the tail of the input as a signature: must not crash */
		size_t sl = size > 80 ? 80 : size;
		dipr_verifier_verify_raw(v, msg, sizeof msg - 1, data + size - sl, sl);
		if (dipr_verifier_type(v) == DIPR_KEY_ED25519 &&
		    dipr_verifier_verify_raw(v, msg, sizeof msg - 1, data, size < 63 ? size : 63) == 0)
			abort();
	}
	if (dipr_signer_from_skey(&sg, (const char *)data, size) == 0) {
		uint8_t sig[80], m2[sizeof msg];
		size_t sl = 0;
		if (dipr_signer_vkey(sg, &vk) != 0 || dipr_verifier_from_vkey(&v2, vk, strlen(vk)) != 0)
			abort();
		if (strcmp(dipr_verifier_name(v2), dipr_signer_name(sg)) != 0 ||
		    dipr_verifier_keyid(v2) != dipr_signer_keyid(sg) || dipr_verifier_type(v2) != dipr_signer_type(sg))
			abort();
		if (dipr_signer_sign_raw(sg, msg, sizeof msg - 1, sig, &sl) != 0 ||
		    dipr_verifier_verify_raw(v2, msg, sizeof msg - 1, sig, sl) != 0)
			abort();
		memcpy(m2, msg, sizeof msg);
		m2[size % (sizeof msg - 1)] ^= 1;
		if (dipr_verifier_verify_raw(v2, m2, sizeof msg - 1, sig, sl) == 0)
			abort();
	}
	free(vk);
	dipr_signer_free(sg);
	dipr_verifier_free(v);
	dipr_verifier_free(v2);
	return 0;
}
