/*
 * launcher.c: dist/runc-ts (what bin/runc-ts points at) when the Bun engine is built. It sets
 * the engine options that only an environment variable can carry, then executes
 * dist/runc-ts-bun, found next to itself, with the same argv: same pid, stdio and signals.
 *
 * Why: every runc-ts process lives a few milliseconds, and the engine's JIT costs each one
 * more than it can pay back (its executable memory, a compiler thread, code compiled for a
 * single run). BUN_JSC_useJIT=0 is read only when the engine starts, before any of our code;
 * measured alternating (task-clock): `state` 8.0 → 6.4 ms, an empty executable 5.5 → 4.4.
 * This extra execve of a small static binary costs ~0.2 ms. The container init gets the same
 * option from the CLI (src/engine.ts, initEngineEnv), which builds its environment anyway.
 *
 * MIMALLOC_PURGE_DELAY=-1: the engine's allocator never returns freed pages to the kernel
 * early. Otherwise, the first time the event loop waits (a `run` or `create` waiting for its
 * init, an `exec` for its process), it starts a thread to do that ("mi-scavenger"): ~0.2 ms of
 * CPU in a process that lives milliseconds (an idle executable, measured alternating: 3.50 →
 * 3.29 ms). What a long `run` keeps instead is its own peak heap, a few MiB.
 *
 * A cold page cache (the first call after a boot) is filled by reading the engine's file
 * through, not by the engine's own page faults and MADV_WILLNEED: see warm_page_cache().
 *
 * The variables are set only when the caller has not set them, and those set are named in
 * _RUNCTS_LAUNCHER_SET (comma-separated): the CLI (src/bun-entry.ts) removes them again, so
 * that whatever it runs sees the caller's environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char ENGINE[] = "runc-ts-bun";

/* The engine's path: our own, from /proc/self/exe (argv[0] where /proc is not mounted), with
 * the file name replaced. */
static int engine_path(const char *argv0, char *out, size_t size) {
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
	} else if (!argv0 || !realpath(argv0, self)) {
		return -1;
	}
	char *slash = strrchr(self, '/');
	if (!slash) return -1;
	slash[1] = '\0';
	if ((size_t)snprintf(out, size, "%s%s", self, ENGINE) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* Linux 6.5, the same number on every architecture */
#endif
struct cachestat_range {
	uint64_t off, len;
};
struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

/*
 * How the engine's 110 MiB file came into the page cache decides what every runc-ts process
 * pays to map it. Pages the engine faults in itself (or prefetches with MADV_WILLNEED, as it
 * does) are cached as single pages; pages read through with read(2) are cached in large folios
 * (readahead), which a page fault maps many pages of at once. Measured (task-clock of `run`,
 * CLI and init, 40 rounds alternating between three copies of the same build): 27.2 ms when the
 * engine brought its pages in, 25.1 ms when they were read through (`cat`), 26.5 ms for a file
 * just written. So when nothing of the file's first 2 MiB (the ELF headers and code every
 * exec touches) is cached, that is a cold cache (after a boot, or every page evicted), and the
 * whole file is read through once, ~0.2 s here. Its pages the engine never touches are clean
 * page cache that memory pressure reclaims first. A partly cached file is left alone: reading
 * it again would cost every call. Kernels without cachestat(2) (before 6.5) skip all this.
 */
static void warm_page_cache(const char *path) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct cachestat_range range = { 0, 2u << 20 };
	struct cachestat cs;
	if (syscall(__NR_cachestat, fd, &range, &cs, 0) == 0 && cs.nr_cache == 0) {
		static char buf[128 << 10]; /* readahead's own window: a larger buffer gains nothing */
		while (read(fd, buf, sizeof buf) > 0)
			;
	}
	close(fd);
}

int main(int argc, char **argv) {
	(void)argc;
	char engine[PATH_MAX];
	if (engine_path(argv[0], engine, sizeof engine) < 0) {
		fprintf(stderr, "runc-ts: cannot find its own executable (/proc/self/exe): %s\n", strerror(errno));
		return 127;
	}
	static const char *const settings[][2] = { { "BUN_JSC_useJIT", "0" }, { "MIMALLOC_PURGE_DELAY", "-1" } };
	char set[128] = "";
	for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		if (getenv(settings[i][0]))
			continue;
		setenv(settings[i][0], settings[i][1], 1);
		if (set[0])
			strcat(set, ",");
		strcat(set, settings[i][0]);
	}
	if (set[0])
		setenv("_RUNCTS_LAUNCHER_SET", set, 1);
	else
		unsetenv("_RUNCTS_LAUNCHER_SET");
	warm_page_cache(engine);
	execv(engine, argv);
	fprintf(stderr, "runc-ts: execute %s: %s\n", engine, strerror(errno));
	return 127;
}
