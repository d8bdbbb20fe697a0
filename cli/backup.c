/* backup.c — dipr backup / restore, and audit --dir (docs/RELIABILITY.md).
 *
 * A backup is the database alone, as one consistent snapshot taken while
 * the server runs.  The keys (keys/log-ed25519.key, keys/log-sm2.key,
 * keys/seal.key) are not in it: they are secrets that never change after
 * dipr init, so they are backed up once, separately and more carefully
 * than the nightly copies of the database (which may go to less trusted
 * storage).  A backup without the keys cannot sign anything.
 *
 * Restore checks the copy before it becomes the data directory's database:
 * the file's integrity, the whole tree against the signed checkpoint, the
 * signatures with the keys of the target directory, the seals.  Then the
 * fork hazard: receipts may have been issued after the backup was taken;
 * a restored log that is shorter would give those indexes to different
 * entries.  So restore wants the newest checkpoint the world has seen
 * (--expect-checkpoint: from a witness, a monitor, GET /checkpoint) and
 * refuses a backup that is older than it or inconsistent with it, unless
 * the operator says --accept-rollback. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "internal.h"
#include "cli/backup.h"
#include "store/node.h"
#include "cli/cli.h"
#include "dipr/merkle.h"
#include "log/log.h"
#include "store/verify.h"

static void b64(const uint8_t h[DIPR_HASH_LEN], char *out, size_t cap)
{
	dipr_buf b;
	dipr_buf_init(&b, 128);
	if (dipr_b64_encode(h, DIPR_HASH_LEN, &b) == 0 && b.n < cap) {
		memcpy(out, b.p, b.n);
		out[b.n] = 0;
	} else {
		snprintf(out, cap, "?");
	}
	dipr_buf_free(&b);
}

int cli_audit_dir(const char *dir, dipr_verifier *const *vs, size_t n)
{
	char path[4200];
	dipr_verify_result r;
	dipr_verify_opts o = {.report = stderr, .prefix = cli_cmd, .max_problems = 50, .vs = vs, .nvs = n};
	if (dipr_store_target(dir, path, sizeof path))
		return cli_fail(2, "--dir %s", dipr_errdetail());
	int rc = dipr_verify_path(path, dir, &o, &r);
	if (rc == DIPR_EVERIFY)
		return cli_fail(1, "%s: %u problem%s found (listed above)", dir, r.problems, r.problems == 1 ? "" : "s");
	if (rc)
		return cli_fail(2, "%s: %s", dir, dipr_errdetail());
	printf("audit: OK: %llu entries recomputed, every tile matches, checkpoint of size %llu verified; ",
	       (unsigned long long)r.tree_size, (unsigned long long)r.cp_size);
	if (r.sealed)
		printf("%llu sealed rows and %llu evidence batches match their MACs\n", (unsigned long long)r.rows_sealed,
		       (unsigned long long)r.evidence_batches);
	else
		printf("rows outside the log not sealed yet\n");
	return 0;
}

int cmd_backup(int argc, char **argv)
{
	const char *dir = NULL, *out = NULL, *method = "api", *pos[1];
	int npos, noverify = 0;
	char path[4200];
	double ms = 0;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--out", 1, &out}, {"--method", 1, &method},
		       {"--no-verify", 0, NULL, NULL, NULL, &noverify}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!dir || !out)
		return cli_fail(2, "usage: dipr backup --dir D --out FILE [--method api|vacuum] [--no-verify]");
	if (strcmp(method, "api") && strcmp(method, "vacuum"))
		return cli_fail(2, "--method %s: expected api (SQLite online backup) or vacuum (VACUUM INTO)", method);
	if (dipr_store_target(dir, path, sizeof path))
		return cli_fail(2, "--dir %s", dipr_errdetail());
	if (dipr_store_target_is_pg(path))
		return cli_fail(2, "--dir %s: its database is PostgreSQL (db.conf): back it up with pg_basebackup or "
			       "pg_dump, and keep %s/keys with it", dir, dir);
	if (access(out, F_OK) == 0)
		return cli_fail(2, "--out %s: exists; give a new name (a backup never overwrites one)", out);
	if (dipr_store_snapshot_method(path, out, strcmp(method, "vacuum") == 0, &ms))
		return cli_fail(2, "%s", dipr_errdetail());
	struct stat st;
	stat(out, &st);
	/* The copy is checked like a restore would (with the source's keys),
	 * so a bad backup is found now, not on the day it is needed. */
	dipr_verify_result r;
	dipr_verify_opts vo = {.report = stderr, .prefix = cli_cmd};
	if (!noverify && dipr_verify_path(out, dir, &vo, &r))
		return cli_fail(1, "%s was written but does not verify: %s", out, dipr_errdetail());
	printf("backup: %s: %lld bytes, read transaction held %.1f ms (%s)", out, (long long)st.st_size, ms,
	       strcmp(method, "vacuum") ? "online backup API" : "VACUUM INTO");
	if (noverify) {
		printf("; not verified (--no-verify)\n");
	} else {
		char root[64];
		b64(r.root, root, sizeof root);
		printf("; verified: tree size %llu, checkpoint size %llu, root %s\n", (unsigned long long)r.tree_size,
		       (unsigned long long)r.cp_size, root);
	}
	printf("backup: the keys are not in it: back up %s/keys/ separately (once; they never change)\n", dir);
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	const char *from = NULL, *dir = NULL, *expect = NULL, *pos[1];
	int npos, accept = 0, rc = 0;
	char db[4200], tmp[4300], side[4400];
	dipr_buf note;
	dipr_checkpoint want = {0};
	bool have_want = false;
	cli_opt o[] = {{"--from", 1, &from},
		       {"--dir", 1, &dir},
		       {"--expect-checkpoint", 1, &expect},
		       {"--accept-rollback", 0, NULL, NULL, NULL, &accept},
		       {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!from || !dir)
		return cli_fail(2, "usage: dipr restore --from FILE --dir D (--expect-checkpoint CP | --accept-rollback)");
	if (!expect && !accept)
		return cli_fail(2, "give --expect-checkpoint FILE (the newest checkpoint this log has published: "
			        "from a witness, a monitor or GET /checkpoint) so that restore can refuse a backup older than "
			        "receipts already issued, or --accept-rollback to restore without that check (see "
			        "docs/RELIABILITY.md)");
	snprintf(db, sizeof db, "%s/dipr.db", dir);
	if (access(db, F_OK) == 0)
		return cli_fail(2, "--dir %s: already has a database (dipr.db); restore into a directory holding only keys/", dir);
	snprintf(tmp, sizeof tmp, "%s/keys/log-ed25519.key", dir);
	if (access(tmp, F_OK) != 0)
		return cli_fail(2, "--dir %s: no keys/log-ed25519.key: copy the keys/ directory of the original data "
				"directory first (backups do not contain keys)", dir);
	dipr_buf_init(&note, DIPR_NOTE_MAX);
	/* The keys of the target directory sign this log from now on: the
	 * expected checkpoint must be theirs. */
	dipr_verifier *vs[2] = {0};
	for (int i = 0; i < 2; i++) {
		dipr_buf k;
		dipr_signer *sg = NULL;
		char *vk = NULL;
		snprintf(tmp, sizeof tmp, "%s/keys/%s", dir, i ? "log-sm2.key" : "log-ed25519.key");
		dipr_buf_init(&k, 4096);
		int r = dipr_read_file(tmp, 4096, &k);
		while (!r && k.n && (k.p[k.n - 1] == '\n' || k.p[k.n - 1] == '\r'))
			k.n--;
		if (r || dipr_signer_from_skey(&sg, (const char *)k.p, k.n) || dipr_signer_vkey(sg, &vk) ||
		    dipr_verifier_from_vkey(&vs[i], vk, strlen(vk)))
			rc = cli_fail(2, "%s: not a readable dipr key", tmp);
		if (k.p)
			OPENSSL_cleanse(k.p, k.cap);
		dipr_buf_free(&k);
		dipr_signer_free(sg);
		free(vk);
		if (rc)
			goto done;
	}
	if (expect) {
		size_t tl;
		if (dipr_read_file(expect, DIPR_NOTE_MAX, &note)) {
			rc = cli_fail(2, "--expect-checkpoint %s: %s", expect, dipr_errdetail());
			goto done;
		}
		if (dipr_note_verify(note.p, note.n, vs, 2, &tl) || dipr_checkpoint_parse(note.p, tl, &want)) {
			rc = cli_fail(1, "--expect-checkpoint %s: not a checkpoint signed by the keys in %s/keys", expect, dir);
			goto done;
		}
		have_want = true;
	}
	/* Copy, then check the copy (the check reads every page once more,
	 * from the file that will be served). */
	snprintf(tmp, sizeof tmp, "%s/dipr.db.restore", dir);
	if (dipr_copy_file_durable(from, tmp)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	dipr_verify_result r;
	dipr_verify_opts vo = {.report = stderr,
			       .prefix = cli_cmd,
			       .vs = vs,
			       .nvs = 2,
			       .want_root_at = have_want,
			       .root_at_size = want.size};
	int vr = dipr_verify_path(tmp, dir, &vo, &r);
	if (vr) {
		rc = cli_fail(vr == DIPR_EVERIFY ? 1 : 2, "%s does not verify (%s); nothing restored", from,
			      dipr_errdetail());
		goto drop;
	}
	char root[64], wroot[64];
	b64(r.root, root, sizeof root);
	if (have_want) {
		b64(want.root, wroot, sizeof wroot);
		if (want.size > r.tree_size) {
			fprintf(stderr,
				"%s: the backup holds %llu entries but the log has published a checkpoint of size %llu "
				"(%s): receipts for entries %llu..%llu may exist, and serving this backup would give those "
				"indexes to other entries (a fork that witnesses and verifiers will catch)\n",
				cli_cmd, (unsigned long long)r.tree_size, (unsigned long long)want.size, expect,
				(unsigned long long)r.tree_size, (unsigned long long)want.size - 1);
			if (!accept) {
				rc = cli_fail(1, "refusing: use a newer backup, or --accept-rollback if the operator "
					      "accepts that fork");
				goto drop;
			}
			fprintf(stderr, "%s: WARNING: --accept-rollback: restoring a log older than its published "
				"checkpoint\n", cli_cmd);
		} else if (!r.have_root_at || memcmp(r.root_at, want.root, DIPR_HASH_LEN) != 0) {
			rc = cli_fail(1, "refusing: the backup's tree at size %llu differs from the expected "
				      "checkpoint %s (root %s): it is another history, not an older copy of this log",
				      (unsigned long long)want.size, expect, wroot);
			goto drop;
		} else {
			printf("restore: the expected checkpoint (size %llu) is contained in the backup\n",
			       (unsigned long long)want.size);
		}
	} else {
		fprintf(stderr, "%s: WARNING: --accept-rollback without --expect-checkpoint: receipts issued after this "
			"backup was taken, if any, no longer verify against the restored log\n", cli_cmd);
	}
	if (rename(tmp, db) != 0) {
		rc = cli_fail(2, "%s: %s", db, strerror(errno));
		goto drop;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		rc = cli_fail(2, "%s: fsync: %s", dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto done;
	}
	close(fd);
	printf("restore: %s -> %s: tree size %llu, checkpoint size %llu, root %s\n", from, db,
	       (unsigned long long)r.tree_size, (unsigned long long)r.cp_size, root);
	goto done;
drop:
	unlink(tmp);
done:
	/* SQLite's side files of the checked copy, if the check left any */
	snprintf(side, sizeof side, "%s/dipr.db.restore-wal", dir);
	unlink(side);
	snprintf(side, sizeof side, "%s/dipr.db.restore-shm", dir);
	unlink(side);
	dipr_verifier_free(vs[0]);
	dipr_verifier_free(vs[1]);
	dipr_buf_free(&note);
	return rc;
}
