/* cli.h — shared by the dipr command's source files. */
#ifndef DIPR_CLI_H
#define DIPR_CLI_H

#include <stdint.h>
#include "dipr/dipr.h"
#include "dipr/hash.h"
#include "dipr/records.h"

#define CLI_MULTI_MAX 128

typedef struct {
	const char *name;
	int has_arg;
	const char **val;
	const char **vals; /* repeatable: */
	int *nvals;
	int *flag;         /* has_arg == 0 */
} cli_opt;

extern const char *cli_cmd;
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A key option's argument: the key itself, or a file of keys, one a line
 * (blank lines skipped, trailing CR and spaces trimmed).  A vkey always
 * holds a '+', so an argument with one is the key even if a file has that
 * name.  Calls fn(ctx, key, length) for each key and stops at the first
 * nonzero return, which it returns; an unreadable file prints
 * "OPT ARG: why" and returns 2.  (cli/client.c) */
int cli_key_lines(const char *opt, const char *arg, int (*fn)(void *ctx, const char *key, size_t n), void *ctx);
int cli_parse(int argc, char **argv, cli_opt *opts, const char **pos, int *npos, int maxpos);
int cli_parse_algs(const char *s, dipr_hash_alg *algs, int *n);

/* Hashes a file (or "-" for stdin) with one or two algorithms in one
 * pass; prints the error itself and returns non-zero on failure. */
int cli_hash_file(const char *path, const dipr_hash_alg *algs, int nalg, uint8_t out[][DIPR_HASH_LEN],
		  uint64_t *size);

/* The same pass, also splitting into records (sp, fn, ctx) on the main
 * thread while a worker computes the digests. */
int cli_scan_file(const char *path, const dipr_hash_alg *algs, int nalg, uint8_t out[][DIPR_HASH_LEN],
		  uint64_t *size, dipr_rec_splitter *sp, dipr_rec_fn fn, void *ctx);

int cmd_attest(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_audit(int argc, char **argv);
/* dipr witness init|serve (witness.c). */
int cmd_witness(int argc, char **argv);

/* dipr apply|review|object|cert|admin (workflow.c): group is the command
 * word, argv what follows it. */
int cmd_workflow(const char *group, int argc, char **argv);

#endif
