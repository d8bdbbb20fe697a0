/* failsync.c — LD_PRELOAD shim for fault tests: while the file named by
 * $DIPR_FAULT_TRIGGER exists, fsync/fdatasync (and, with
 * DIPR_FAULT_WRITES=1, pwrite to regular files) fail with EIO, as a dying
 * disk would; while $DIPR_FAULT_SLOW exists, fsync/fdatasync take a second
 * (a stalled disk, to fill the server's queue).  Built by make as
 * build/tests/failsync.so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
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

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	maybe_stall();
	if (triggered()) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	maybe_stall();
	if (triggered()) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

ssize_t pwrite64(int fd, const void *b, size_t n, off_t off)
{
	static ssize_t (*real)(int, const void *, size_t, off_t);
	if (!real)
		real = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
	if (getenv("DIPR_FAULT_WRITES") && triggered() && regular(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd, b, n, off);
}
