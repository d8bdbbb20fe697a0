/* fuzz_sample.c — sample-proof files: strict parse; what parses
 * re-encodes to something that parses to the same records. */
#include <stdlib.h>
#include <string.h>
#include "dipr/sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dipr_sample s, t;
	if (dipr_sample_parse(data, size, &s) != 0)
		return 0;
	dipr_buf b;
	dipr_buf_init(&b, DIPR_SAMPLE_MAX);
	if (dipr_sample_encode(&s, &b) != 0 || dipr_sample_parse(b.p, b.n, &t) != 0 || t.nrecs != s.nrecs ||
	    t.receipt_len != s.receipt_len)
		abort();
	for (size_t i = 0; i < s.nrecs; i++)
		if (t.recs[i].index != s.recs[i].index || t.recs[i].n != s.recs[i].n ||
		    memcmp(t.recs[i].bytes, s.recs[i].bytes, s.recs[i].n) || t.recs[i].proof_len != s.recs[i].proof_len)
			abort();
	dipr_records_commitment rc = {DIPR_HASH_SHA256, {0}, 1000, "csv"};
	dipr_sample_check_records(&s, &rc);
	dipr_buf_free(&b);
	dipr_sample_free(&s);
	dipr_sample_free(&t);
	return 0;
}
