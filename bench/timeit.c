/* timeit.c — run a command N times, report wall and CPU time.
 *
 *   timeit N CMD [ARG...]
 *
 * The command's stdout goes to /dev/null (stderr is kept).  Fails (exit 1)
 * if any run exits non-zero.  Prints one line:
 *   "runs=N best_wall_s=B best_cpu_s=C mean_wall_s=W mean_cpu_s=U"
 * where cpu = user + system time of the child (from wait4), best = the
 * run with the least wall time. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit N CMD [ARG...]\n");
		return 2;
	}
	int runs = atoi(argv[1]);
	double best = 1e300, best_cpu = 0, sum = 0, sum_cpu = 0;
	for (int i = 0; i < runs; i++) {
		double t0 = now();
		pid_t pid = fork();
		if (pid < 0) {
			perror("timeit: fork");
			return 2;
		}
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0)
				dup2(fd, 1);
			execvp(argv[2], argv + 2);
			perror(argv[2]);
			_exit(127);
		}
		int status;
		struct rusage ru;
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("timeit: wait4");
			return 2;
		}
		double w = now() - t0;
		double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
			     ru.ru_stime.tv_usec / 1e6;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "timeit: %s failed (status %d)\n", argv[2], status);
			return 1;
		}
		sum += w;
		sum_cpu += cpu;
		if (w < best) {
			best = w;
			best_cpu = cpu;
		}
	}
	printf("runs=%d best_wall_s=%.6f best_cpu_s=%.6f mean_wall_s=%.6f mean_cpu_s=%.6f\n", runs, best, best_cpu,
	       sum / runs, sum_cpu / runs);
	return 0;
}
