/* failsync.c — LD_PRELOAD shim for fault tests.  Built by make as
 * build/tests/failsync.so.
 *
 * A dying disk, by file: while the file named by $DIPR_FAULT_TRIGGER
 * exists, fsync/fdatasync (and, with DIPR_FAULT_WRITES=1, writes to regular
 * files) fail with EIO.  A stalled disk: while $DIPR_FAULT_SLOW exists,
 * fsync/fdatasync take a second (to fill the server's queue).
 *
 * The Nth call (tests/e2e/test_faults.sh): while the file named by
 * $DIPR_FAULT_ARM exists, every write, pwrite, pwrite64, writev, fsync and
 * fdatasync on a regular file (fd > 2: not the server's own stdout/stderr)
 * is counted, and
 *   DIPR_FAULT_NTH=N        the Nth counted call fails (1-based; 0: none),
 *   DIPR_FAULT_ERRNO=E      with EIO (default) or ENOSPC,
 *   DIPR_FAULT_OPS=LIST     counting only these kinds (comma-separated
 *                           write,fsync; default both: writes and syncs),
 *   DIPR_FAULT_STICKY=1     and every counted call after it fails too (a
 *                           disk that stays broken) instead of that one
 *                           alone (a transient error);
 *   DIPR_FAULT_LOG=FILE     appends "N kind path [FAIL]" per counted call,
 *                           which is how a test enumerates the calls one
 *                           batch makes.
 * A failed write writes nothing (as a full disk would for that call). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int triggered(void)
{
	const char *t = getenv("DIPR_FAULT_TRIGGER");
	struct stat st;
	return t && stat(t, &st) == 0;
}

static void maybe_stall(void)
{
	const char *t = getenv("DIPR_FAULT_SLOW");
	struct stat st;
	if (t && stat(t, &st) == 0)
		sleep(1);
}

static int regular(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- the Nth call ---- */

static atomic_ulong counted;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static int kind_enabled(const char *kind)
{
	const char *ops = getenv("DIPR_FAULT_OPS");
	if (!ops || !*ops)
		return 1;
	size_t n = strlen(kind);
	for (const char *p = ops; (p = strstr(p, kind)); p += n)
		if ((p == ops || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

/* Writes with the real write (not through our own wrapper). */
static ssize_t (*real_write_fn)(int, const void *, size_t);

static void log_call(unsigned long n, const char *kind, int fd, int fail)
{
	const char *path = getenv("DIPR_FAULT_LOG");
	char line[600], link[64], target[480];
	if (!path)
		return;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t tn = readlink(link, target, sizeof target - 1);
	target[tn > 0 ? tn : 0] = 0;
	int len = snprintf(line, sizeof line, "%lu %s %s%s\n", n, kind, target, fail ? " FAIL" : "");
	pthread_mutex_lock(&log_mu);
	int lfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (lfd >= 0) {
		if (!real_write_fn)
			real_write_fn = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
		if (len > 0)
			real_write_fn(lfd, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
		close(lfd);
	}
	pthread_mutex_unlock(&log_mu);
}

/* 1 if this call (kind "write" or "fsync" on fd) must fail. */
static int nth_fails(const char *kind, int fd)
{
	const char *arm = getenv("DIPR_FAULT_ARM");
	struct stat st;
	if (!arm || fd <= 2 || stat(arm, &st) != 0 || !kind_enabled(kind) || !regular(fd))
		return 0;
	unsigned long n = atomic_fetch_add(&counted, 1) + 1;
	const char *nth = getenv("DIPR_FAULT_NTH"), *sticky = getenv("DIPR_FAULT_STICKY");
	unsigned long want = nth ? strtoul(nth, NULL, 10) : 0;
	int fail = want && (n == want || (sticky && *sticky == '1' && n > want));
	log_call(n, kind, fd, fail);
	return fail;
}

static int fault_errno(void)
{
	const char *e = getenv("DIPR_FAULT_ERRNO");
	return e && strcmp(e, "ENOSPC") == 0 ? ENOSPC : EIO;
}

/* ---- the wrapped calls ---- */

typedef int (*sync_fn)(int);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
#define REAL(name, type)                                                                                              \
	static type real;                                                                                             \
	if (!real)                                                                                                    \
	real = (type)dlsym(RTLD_NEXT, name)

int fsync(int fd)
{
	REAL("fsync", sync_fn);
	maybe_stall();
	if (triggered() || nth_fails("fsync", fd)) {
		errno = triggered() ? EIO : fault_errno();
		return -1;
	}
	return real(fd);
}

int fdatasync(int fd)
{
	REAL("fdatasync", sync_fn);
	maybe_stall();
	if (triggered() || nth_fails("fsync", fd)) {
		errno = triggered() ? EIO : fault_errno();
		return -1;
	}
	return real(fd);
}

static int write_fault(int fd)
{
	if (getenv("DIPR_FAULT_WRITES") && triggered() && regular(fd)) {
		errno = EIO;
		return 1;
	}
	if (nth_fails("write", fd)) {
		errno = fault_errno();
		return 1;
	}
	return 0;
}

ssize_t pwrite64(int fd, const void *b, size_t n, off_t off)
{
	REAL("pwrite64", pwrite_fn);
	if (write_fault(fd))
		return -1;
	return real(fd, b, n, off);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
	REAL("pwrite", pwrite_fn);
	if (write_fault(fd))
		return -1;
	return real(fd, b, n, off);
}

ssize_t write(int fd, const void *b, size_t n)
{
	REAL("write", write_fn);
	/* Sockets and pipes (HTTP answers) are not the disk: regular() in
	 * write_fault keeps them out, and fds 0..2 are never counted. */
	if (fd > 2 && write_fault(fd))
		return -1;
	return real(fd, b, n);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	REAL("writev", writev_fn);
	if (fd > 2 && write_fault(fd))
		return -1;
	return real(fd, iov, cnt);
}
