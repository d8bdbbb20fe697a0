/* records.h (cli) — record-tree helpers shared by hash, attest, sample. */
#ifndef DIPR_CLI_RECORDS_H
#define DIPR_CLI_RECORDS_H

#include <jansson.h>
#include "dipr/rectree.h"
#include "dipr/sample.h"
#include "cli/cli.h"

/* R.tlog-proof -> R.secret (any other name: NAME.secret). */
int cli_secret_path(const char *receipt, char *out, size_t cap);
/* Loads the secret (a 0600 file of 64 hex characters) or, with create and
 * no such file, makes a new random one. */
int cli_secret_load(const char *path, uint8_t secret[DIPR_SECRET_LEN], bool create, bool *created);
/* One pass: digests (worker thread) and record tree (this thread). */
int cli_records_scan(const char *path, const dipr_hash_alg *algs, int nalg, dipr_rec_format fmt,
		     const uint8_t secret[DIPR_SECRET_LEN], uint8_t digests[][DIPR_HASH_LEN], uint64_t *size,
		     dipr_records_commitment *rc, dipr_rectree_node_fn on_node, dipr_rec_fn on_record, void *ctx);
void cli_records_print(const dipr_records_commitment *c, const char *path);
json_t *cli_records_json(const dipr_records_commitment *c);
int cli_write_file_atomic(const char *path, const void *data, size_t n, unsigned mode);
int cmd_sample(int argc, char **argv);
int cmd_extend(int argc, char **argv);

#endif
