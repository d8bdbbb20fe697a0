/* fsync.c — the durable-write baseline for the attest benchmark.
 *
 *   fsync DIR SECONDS
 *
 * Measures, on the filesystem of DIR:
 *   1. 100-byte appends to a file, each followed by fdatasync(), for
 *      SECONDS: the rate of "one fsync per entry";
 *   2. one-row SQLite transactions (WAL, synchronous=FULL, ~200-byte row,
 *      as dipr's store is configured) for SECONDS: the rate of "one
 *      database commit per entry".
 * Prints one line: "fsync_per_s=X fsync_ms=Y sqlite_commits_per_s=Z".
 * Removes its files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what, const char *detail)
{
	fprintf(stderr, "fsync: %s: %s\n", what, detail);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return die("usage", "fsync DIR SECONDS");
	double secs = atof(argv[2]);
	char path[4096], dbpath[4096], wal[4200], shm[4200];
	snprintf(path, sizeof path, "%s/fsync-bench.dat", argv[1]);
	snprintf(dbpath, sizeof dbpath, "%s/fsync-bench.db", argv[1]);
	snprintf(wal, sizeof wal, "%s-wal", dbpath);
	snprintf(shm, sizeof shm, "%s-shm", dbpath);

	/* 1. append 100 bytes + fdatasync */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		return die(path, strerror(errno));
	char rec[100];
	memset(rec, 'x', sizeof rec);
	rec[99] = '\n';
	long n = 0;
	double t0 = now(), t;
	do {
		if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec || fdatasync(fd) != 0)
			return die(path, strerror(errno));
		n++;
	} while ((t = now()) - t0 < secs);
	double fsync_rate = n / (t - t0);
	close(fd);
	unlink(path);

	/* 2. one-row SQLite WAL commits, synchronous=FULL */
	sqlite3 *db;
	unlink(dbpath);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return die(dbpath, sqlite3_errmsg(db));
	char *err = NULL;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     "CREATE TABLE entry(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);",
			 NULL, NULL, &err) != SQLITE_OK)
		return die(dbpath, err);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT INTO entry(idx, data) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
		return die(dbpath, sqlite3_errmsg(db));
	char row[200];
	memset(row, 'e', sizeof row);
	long m = 0;
	t0 = now();
	do {
		sqlite3_bind_int64(st, 1, m);
		sqlite3_bind_blob(st, 2, row, sizeof row, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) /* autocommit: one transaction */
			return die(dbpath, sqlite3_errmsg(db));
		sqlite3_reset(st);
		m++;
	} while ((t = now()) - t0 < secs);
	double sql_rate = m / (t - t0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	unlink(dbpath);
	unlink(wal);
	unlink(shm);

	printf("fsync_per_s=%.1f fsync_ms=%.4f sqlite_commits_per_s=%.1f\n", fsync_rate, 1000.0 / fsync_rate,
	       sql_rate);
	return 0;
}
