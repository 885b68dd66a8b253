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
 * The variables are set only when the caller has not set them, and those set are named in
 * _RUNCTS_LAUNCHER_SET (comma-separated): the CLI (src/bun-entry.ts) removes them again, so that whatever it runs
 * sees the caller's environment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	execv(engine, argv);
	fprintf(stderr, "runc-ts: execute %s: %s\n", engine, strerror(errno));
	return 127;
}
