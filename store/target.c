/* target.c — where a data directory's database is: D/dipr.db (SQLite, the
 * default) or the PostgreSQL conninfo in D/db.conf (docs/POSTGRES.md §3).
 * The directory then holds only keys and configuration. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "store/store.h"
#include "store/verify.h"

#define DB_CONF "db.conf"

static bool is_pg(const char *t)
{
	return strncmp(t, "postgres://", 11) == 0 || strncmp(t, "postgresql://", 13) == 0;
}

bool dipr_store_target_is_pg(const char *target) { return target && is_pg(target); }

int dipr_store_target(const char *dir, char *out, size_t cap)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/" DB_CONF, dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
		int n = snprintf(out, cap, "%s/dipr.db", dir);
		if (n < 0 || (size_t)n >= cap)
			return dipr__err(DIPR_ERANGE, "%s: path too long", dir);
		return access(out, F_OK) == 0 ? 0
		       : dipr__err(DIPR_ENOTFOUND, "%s: not a dipr data directory (run dipr init --dir %s)", dir, dir);
	}
	/* One line: the conninfo.  Comments (#) and blank lines allowed. */
	char line[2048];
	int rc = dipr__err(DIPR_EINVAL, "%s: no database line (expected postgres://...)", path);
	while (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		if (line[n] == 0 && !feof(f)) {
			rc = dipr__err(DIPR_EINVAL, "%s: line longer than %zu bytes", path, sizeof line - 2);
			break;
		}
		line[n] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!is_pg(line)) {
			rc = dipr__err(DIPR_EINVAL, "%s: expected a postgres:// or postgresql:// conninfo", path);
		} else if (n + 1 > cap) {
			rc = dipr__err(DIPR_ERANGE, "%s: conninfo too long", path);
		} else {
			memcpy(out, line, n + 1);
			dipr_store_seal_dir(out, dir); /* its keys/seal.key seals its writes */
			rc = 0;
		}
		break;
	}
	fclose(f);
	return rc;
}

int dipr_store_target_write(const char *dir, const char *conninfo)
{
	char path[4200], tmp[4300];
	if (!is_pg(conninfo))
		return dipr__err(DIPR_EINVAL, "--db %s: expected postgres://... or postgresql://...", conninfo);
	if (strpbrk(conninfo, "\r\n"))
		return dipr__err(DIPR_EINVAL, "--db: a conninfo is one line");
	snprintf(path, sizeof path, "%s/" DB_CONF, dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	/* 0600: a conninfo may carry a password (better: passfile=). */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return dipr__err(DIPR_EIO, "%s: %s", tmp, strerror(errno));
	char buf[2200];
	int n = snprintf(buf, sizeof buf, "# dipr database (PostgreSQL); every node of this log uses the same\n%s\n",
			 conninfo);
	int rc = 0;
	if (n < 0 || (size_t)n >= sizeof buf)
		rc = dipr__err(DIPR_ERANGE, "--db: conninfo too long");
	else if (write(fd, buf, (size_t)n) != n || fsync(fd) != 0)
		rc = dipr__err(DIPR_EIO, "%s: %s", tmp, strerror(errno));
	close(fd);
	if (!rc && rename(tmp, path) != 0)
		rc = dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	else
		dipr_store_seal_dir(conninfo, dir);
	return rc;
}

int dipr_dir_lock(const char *dir, int *fd)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/serve.lock", dir);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return dipr__err(DIPR_EIO, "%s: %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(*fd);
		*fd = -1;
		return e == EWOULDBLOCK ? dipr__err(DIPR_ECONFLICT, "%s is in use by another dipr serve or migrate "
							   "(stop it first)", dir)
					: dipr__err(DIPR_EIO, "%s: %s", path, strerror(e));
	}
	return 0;
}

const char *dipr_store_target_show(const char *target, char *out, size_t cap)
{
	/* A conninfo may carry a password: user:PASSWORD@host, or
	 * ?password=PASSWORD; messages and logs get "***" instead. */
	size_t o = 0;
	const char *p = target, *scheme = strstr(target, "://");
	const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (!cap)
		return "";
	while (*p && o + 1 < cap) {
		if (at && colon && colon < at && p == colon) {
			for (const char *r = ":***"; *r && o + 1 < cap; r++)
				out[o++] = *r;
			p = at;
			continue;
		}
		if (p > target && (p[-1] == '?' || p[-1] == '&') && strncasecmp(p, "password=", 9) == 0) {
			for (const char *r = "password=***"; *r && o + 1 < cap; r++)
				out[o++] = *r;
			p += 9;
			while (*p && *p != '&')
				p++;
			continue;
		}
		out[o++] = *p++;
	}
	out[o] = 0;
	return out;
}
