/* migrate.c — dipr migrate: an SQLite deployment into PostgreSQL
 * (docs/POSTGRES.md §4.1).  The source is checked first, copied in one
 * PostgreSQL transaction, and the copy is checked as dipr audit would
 * (tree recomputed, checkpoint signature, every seal), then compared with
 * the source (row counts, checkpoint, seals).  Only then does the data
 * directory switch: db.conf written, dipr.db renamed dipr.db.migrated. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "cli/cli.h"
#include "cli/backup.h"
#include "store/migrate.h"
#include "store/node.h"
#include "store/verify.h"

static int check(const char *what, const char *target, const char *dir, dipr_verify_result *r)
{
	dipr_verify_opts o = {.report = stderr, .prefix = cli_cmd, .max_problems = 20};
	int rc = dipr_verify_path(target, dir, &o, r);
	if (rc == DIPR_EVERIFY)
		return cli_fail(1, "%s: %u problem%s (listed above); nothing was changed", what, r->problems,
				r->problems == 1 ? "" : "s");
	if (rc)
		return cli_fail(2, "%s: %s", what, dipr_errdetail());
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	const char *dir = NULL, *to = NULL, *pos[1];
	int npos, rc;
	char src_path[4200], conf[4200], moved[4300];
	dipr_store *src = NULL, *dst = NULL;
	dipr_verify_result r1, r2;
	dipr_migrate_stats st;
	cli_opt o[] = {{"--dir", 1, &dir}, {"--to", 1, &to}, {0}};
	if (cli_parse(argc, argv, o, pos, &npos, 0))
		return 2;
	if (!dir || !to)
		return cli_fail(2, "usage: dipr migrate --dir D --to postgresql://... (stop dipr serve first)");
	if (!dipr_store_target_is_pg(to))
		return cli_fail(2, "--to %s: expected postgres://... or postgresql://...", to);
	snprintf(conf, sizeof conf, "%s/db.conf", dir);
	if (access(conf, F_OK) == 0)
		return cli_fail(2, "--dir %s: already on PostgreSQL (db.conf exists)", dir);
	snprintf(src_path, sizeof src_path, "%s/dipr.db", dir);
	if (access(src_path, F_OK) != 0)
		return cli_fail(2, "--dir %s: not a dipr data directory (no dipr.db)", dir);
	/* No dipr serve on this directory now or during the copy: its writes
	 * after the copy would be lost to the new database. */
	int lockfd = -1;
	if (dipr_dir_lock(dir, &lockfd))
		return cli_fail(2, "%s", dipr_errdetail());
	/* 1. The source must pass its own audit: a copy of a broken store
	 * would be verified against itself. */
	if ((rc = check("source (dipr audit --dir)", src_path, dir, &r1)))
		goto done;
	/* 2. Copy. */
	if (dipr_store_open(&src, src_path, 0)) {
		rc = cli_fail(2, "%s: %s", src_path, dipr_errdetail());
		goto done;
	}
	if (dipr_store_open(&dst, to, 1) || dipr_seal_install(dst, dir, NULL)) {
		rc = cli_fail(2, "--to: %s", dipr_errdetail());
		goto done;
	}
	if (dipr_store_migrate(src, dst, &st)) {
		rc = cli_fail(2, "%s (nothing was changed)", dipr_errdetail());
		goto done;
	}
	/* 3. The copy: the full audit, then the same rows as the source. */
	if ((rc = check("the copy in PostgreSQL", to, dir, &r2)))
		goto done;
	if (r2.tree_size != r1.tree_size || r2.cp_size != r1.cp_size) {
		rc = cli_fail(1, "the copy has %llu entries (checkpoint %llu), the source %llu (%llu)",
			      (unsigned long long)r2.tree_size, (unsigned long long)r2.cp_size,
			      (unsigned long long)r1.tree_size, (unsigned long long)r1.cp_size);
		goto done;
	}
	const char *const *t = dipr_store_migrate_tables();
	for (int i = 0; t[i]; i++) {
		uint64_t a = 0, b = 0;
		if (dipr_store_count(src, t[i], &a) || dipr_store_count(dst, t[i], &b)) {
			rc = cli_fail(2, "%s", dipr_errdetail());
			goto done;
		}
		if (a != b) {
			rc = cli_fail(1, "table %s: %llu rows in the source, %llu in the copy", t[i], (unsigned long long)a,
				      (unsigned long long)b);
			goto done;
		}
	}
	/* Every row was sealed again by PostgreSQL under the same key: the
	 * seals are equal exactly when every sealed row is. */
	uint8_t d1[32], d2[32];
	uint64_t sr1 = 0, sr2 = 0;
	if (dipr_store_seal_digest(src, d1, &sr1) || dipr_store_seal_digest(dst, d2, &sr2)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	if (sr1 != sr2 || memcmp(d1, d2, 32) != 0) {
		rc = cli_fail(1, "the copy's seals differ from the source's (%llu and %llu seal rows): a row changed in "
			      "transit", (unsigned long long)sr2, (unsigned long long)sr1);
		goto done;
	}
	dipr_buf n1, n2;
	uint64_t s1 = 0, s2 = 0;
	dipr_buf_init(&n1, DIPR_NOTE_MAX);
	dipr_buf_init(&n2, DIPR_NOTE_MAX);
	int same = !dipr_store_checkpoint_get(src, &n1, &s1) && !dipr_store_checkpoint_get(dst, &n2, &s2) && s1 == s2 &&
		   n1.n == n2.n && memcmp(n1.p, n2.p, n1.n) == 0;
	dipr_buf_free(&n1);
	dipr_buf_free(&n2);
	if (!same) {
		rc = cli_fail(1, "the copy's signed checkpoint differs from the source's");
		goto done;
	}
	/* 4. Switch the directory over. */
	dipr_store_close(src);
	src = NULL;
	snprintf(moved, sizeof moved, "%s.migrated", src_path);
	if (dipr_store_target_write(dir, to)) {
		rc = cli_fail(2, "%s", dipr_errdetail());
		goto done;
	}
	if (rename(src_path, moved) != 0) {
		unlink(conf);
		rc = cli_fail(2, "%s: cannot rename to %s", src_path, moved);
		goto done;
	}
	printf("migrate: copied %llu rows (%llu entries, checkpoint of size %llu) into PostgreSQL; the copy passed "
	       "dipr audit and matches the source (row counts, checkpoint, %llu seals)\n%s now uses PostgreSQL "
	       "(%s/db.conf); the SQLite file is kept as %s\n",
	       (unsigned long long)st.total, (unsigned long long)r2.tree_size, (unsigned long long)r2.cp_size,
	       (unsigned long long)sr2, dir, dir, moved);
	rc = 0;
done:
	dipr_store_close(src);
	dipr_store_close(dst);
	close(lockfd);
	return rc;
}
