/* backup.c — online snapshots of the SQLite store (store/verify.h).
 * SQLite only: a PostgreSQL target is refused (pg_dump/pg_basebackup).
 *
 * Both ways SQLite offers hold one read transaction on a connection of
 * their own for the whole copy; in WAL mode a reader never blocks the
 * writer (the sequencer keeps committing), it only keeps the WAL from being
 * checkpointed past the reader's snapshot until the copy ends:
 *   - the online backup API with nPage = -1: copies the pages as they are;
 *   - VACUUM INTO: rebuilds every table and index into a new file (compact,
 *     but more CPU: it re-inserts every row).
 * docs/RELIABILITY.md has the measured figures; the backup API is the
 * default (faster here), VACUUM INTO is kept behind --method for
 * comparison and for a compacted copy. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "internal.h"
#include "store/db.h"
#include "store/verify.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fsync_parent(const char *path)
{
	char dir[4200];
	const char *sl = strrchr(path, '/');
	if (!sl)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", sl == path ? 1 : (int)(sl - path), path);
	return dipr__fsync_dir(dir);
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	int rc = fsync(fd) ? dipr__err(DIPR_EIO, "%s: fsync: %s", path, strerror(errno)) : 0;
	close(fd);
	return rc;
}

/* Removes the side files SQLite may leave beside a database file. */
static void unlink_db(const char *path)
{
	char p[4300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
}

int dipr_store_snapshot_method(const char *dbpath, const char *out, int vacuum, double *ms_locked)
{
	char tmp[4300];
	sqlite3 *src = NULL, *dst = NULL;
	int rc = 0, fd;
	double t0 = 0, t1 = 0;
	/* The online backup API and VACUUM INTO are SQLite's; PostgreSQL has
	 * its own tools (docs/POSTGRES.md §1.4). */
	if (db_target_is_pg(dbpath))
		return dipr__err(DIPR_EINVAL, "dipr backup: this deployment uses PostgreSQL; use pg_dump/pg_basebackup");
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", out, (int)getpid()) >= (int)sizeof tmp)
		return dipr__err(DIPR_ERANGE, "%s: path too long", out);
	if (access(dbpath, R_OK) != 0)
		return dipr__err(DIPR_ENOTFOUND, "%s: %s", dbpath, strerror(errno));
	unlink_db(tmp);
	/* Created 0600 before SQLite writes a byte: the copy holds password
	 * hashes and token hashes. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return dipr__err(DIPR_EIO, "%s: cannot create: %s", tmp, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(dbpath, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = dipr__err(DIPR_EIO, "%s: cannot open: %s", dbpath, src ? sqlite3_errmsg(src) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(src, 10000);
	if (vacuum) {
		sqlite3_stmt *st = NULL;
		unlink(tmp); /* VACUUM INTO wants a new (or empty) file */
		if (sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
			rc = dipr__err(DIPR_EIO, "%s: VACUUM INTO: %s", dbpath, sqlite3_errmsg(src));
			goto fail;
		}
		sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
		mode_t old = umask(077);
		t0 = now_ms();
		int r = sqlite3_step(st);
		t1 = now_ms();
		umask(old);
		sqlite3_finalize(st);
		if (r != SQLITE_DONE) {
			rc = dipr__err(DIPR_EIO, "%s: VACUUM INTO %s: %s", dbpath, tmp, sqlite3_errmsg(src));
			goto fail;
		}
	} else {
		if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
			rc = dipr__err(DIPR_EIO, "%s: cannot open: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
			goto fail;
		}
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
		if (!b) {
			rc = dipr__err(DIPR_EIO, "%s: backup: %s", tmp, sqlite3_errmsg(dst));
			goto fail;
		}
		/* nPage = -1: every page under one read lock, so the copy is
		 * one snapshot and never restarts because the source changed. */
		t0 = now_ms();
		int r;
		while ((r = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || r == SQLITE_LOCKED)
			sqlite3_sleep(10);
		t1 = now_ms();
		sqlite3_backup_finish(b);
		if (r != SQLITE_DONE) {
			rc = dipr__err(DIPR_EIO, "%s: backup: %s", tmp, sqlite3_errstr(r));
			goto fail;
		}
		if (sqlite3_close(dst) != SQLITE_OK) {
			dst = NULL;
			rc = dipr__err(DIPR_EIO, "%s: close failed", tmp);
			goto fail;
		}
		dst = NULL;
	}
	sqlite3_close(src);
	src = NULL;
	if (chmod(tmp, 0600) != 0 || (rc = fsync_path(tmp))) {
		if (!rc)
			rc = dipr__err(DIPR_EIO, "%s: chmod: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, out) != 0) {
		rc = dipr__err(DIPR_EIO, "%s: cannot rename to %s: %s", tmp, out, strerror(errno));
		goto fail;
	}
	if ((rc = fsync_parent(out)))
		return rc;
	if (ms_locked)
		*ms_locked = t1 - t0;
	return 0;
fail:
	sqlite3_close(dst);
	sqlite3_close(src);
	unlink_db(tmp);
	return rc;
}

int dipr_store_snapshot(const char *dbpath, const char *out, double *ms_locked)
{
	return dipr_store_snapshot_method(dbpath, out, 0, ms_locked);
}

int dipr_copy_file_durable(const char *from, const char *to)
{
	char tmp[4300];
	uint8_t buf[1 << 16];
	int in = -1, outfd = -1, rc = 0;
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", to, (int)getpid()) >= (int)sizeof tmp)
		return dipr__err(DIPR_ERANGE, "%s: path too long", to);
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return dipr__err(DIPR_ENOTFOUND, "%s: %s", from, strerror(errno));
	unlink(tmp);
	if ((outfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = dipr__err(DIPR_EIO, "%s: cannot create: %s", tmp, strerror(errno));
		goto done;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = dipr__err(DIPR_EIO, "%s: read: %s", from, strerror(errno));
			goto done;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(outfd, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = dipr__err(DIPR_EIO, "%s: write: %s", tmp, strerror(errno));
				goto done;
			}
			off += w;
		}
	}
	if (fsync(outfd) != 0) {
		rc = dipr__err(DIPR_EIO, "%s: fsync: %s", tmp, strerror(errno));
		goto done;
	}
	close(outfd);
	outfd = -1;
	if (rename(tmp, to) != 0) {
		rc = dipr__err(DIPR_EIO, "%s: cannot rename to %s: %s", tmp, to, strerror(errno));
		goto done;
	}
	rc = fsync_parent(to);
done:
	if (in >= 0)
		close(in);
	if (outfd >= 0)
		close(outfd);
	if (rc)
		unlink(tmp);
	return rc;
}
