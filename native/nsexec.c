/*
 * nsexec.c: the namespace stage of runc-ts, preloaded (LD_PRELOAD) into the container
 * init's `node` process.
 *
 * Why it exists: the kernel refuses unshare(CLONE_NEWUSER) and setns() into a user or time
 * namespace from a multi-threaded process, and a new pid or time namespace only applies to
 * children. Node starts its threads before any JavaScript runs, so this work must happen
 * earlier: in a constructor, while the process is still single-threaded (runc does the same
 * with its nsexec stage before the Go runtime starts). Everything else the init does (mounts,
 * pivot_root, capabilities, ...) happens later in TypeScript.
 *
 * Protocol, over the unix socket whose fd number is in $_RUNCTS_INITPIPE (the runtime's CLI
 * holds the other end). The CLI sends text lines ended by an empty line:
 *   join <type> <path>       setns() into the namespace of <type> (pid, user, ...) at <path>,
 *                            in the order given; the kernel checks that <path> is of <type>
 *   source <index> <rec> <path>
 *                            clone <path> (the source of bind mount <index>; with its
 *                            submounts if <rec> is 1) as a detached mount (open_tree) now,
 *                            as the host's root and before any namespace: inside a user
 *                            namespace it may be out of reach (runc's mount sources). The
 *                            fds are handed to the TypeScript init in $_RUNCTS_MOUNTFDS
 *                            ("index:fd,..."), which attaches them with move_mount; a path
 *                            that cannot be cloned is left out, so the init reports it with
 *                            the mount's name.
 *   clone <flags>            unshare() these CLONE_NEW* flags (decimal)
 *   timens                   the new time namespace needs its offsets (before any child
 *                            exists): the CLI writes /proc/<pid>/timens_offsets, replies "ok"
 * We answer:
 *   userns                   a new user namespace exists; the CLI writes uid_map/gid_map and
 *                            replies "ok"
 *   timens                   a new time namespace exists; the CLI writes its offsets (we may
 *                            not: after setresuid in a user namespace we are not dumpable) and
 *                            replies "ok"
 *   pid <n>                  the pid that will run the init (after any fork), then node starts
 *   error <message>          something failed; this process exits
 * Without $_RUNCTS_INITPIPE the constructor does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define MAX_JOIN 16
#define MAX_LINE 4096

struct ns_type {
	const char *name;
	int flag;
};

/* The runtime-spec's namespace types and the CLONE_NEW* flag setns() must be given for each. */
static const struct ns_type ns_types[] = {
	{ "mount", CLONE_NEWNS },     { "uts", CLONE_NEWUTS },	   { "ipc", CLONE_NEWIPC },
	{ "user", CLONE_NEWUSER },    { "pid", CLONE_NEWPID },	   { "network", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int ns_flag(const char *type)
{
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++)
		if (!strcmp(ns_types[i].name, type))
			return ns_types[i].flag;
	return -1;
}

static int sync_fd = -1;

static void say(const char *fmt, ...)
{
	char buf[MAX_LINE];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(sync_fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += w;
	}
}

static void die(const char *what, const char *arg)
{
	say("error %s%s%s: %s", what, arg ? " " : "", arg ? arg : "", strerror(errno));
	_exit(1);
}

/* Reads one line (without the newline) byte by byte, so nothing meant for the
 * TypeScript init that follows is consumed here. Returns its length, or -1 at EOF. */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char c;
		ssize_t r = read(sync_fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (c == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return (int)n;
}

__attribute__((constructor)) static void nsexec(void)
{
	const char *env = getenv("_RUNCTS_INITPIPE");
	if (!env)
		return;
	sync_fd = atoi(env);
	/* The user's program must never inherit our preload. */
	unsetenv("LD_PRELOAD");
	/*
	 * Not dumpable until execve: once we are in the container's namespaces, its processes
	 * must not reach our /proc/<pid>/exe (the host's node binary) or our memory and fds
	 * (the CVE-2019-5736 class). execve makes the program dumpable again as usual.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die("prctl", "PR_SET_DUMPABLE");

	char line[MAX_LINE];
	char *join_paths[MAX_JOIN];
	char *join_types[MAX_JOIN];
	int join_fds[MAX_JOIN];
	char sources[MAX_LINE] = "";
	size_t sources_len = 0;
	int joined_pid_or_time = 0;
	int joined_user = 0;
	int njoin = 0;
	int clone_flags = 0;
	int timens = 0;

	while (read_line(line, sizeof(line)) > 0) {
		if (!strncmp(line, "join ", 5)) {
			if (njoin == MAX_JOIN) {
				errno = E2BIG;
				die("join", "too many namespaces");
			}
			char *type = line + 5, *path = strchr(type, ' ');
			if (!path) {
				errno = EINVAL;
				die("bad join line", line);
			}
			*path++ = '\0';
			if (ns_flag(type) < 0) {
				errno = EINVAL;
				die("unknown namespace type", type);
			}
			/* A joined pid or time namespace, like a new one, applies to children only. */
			if (!strcmp(type, "pid") || !strcmp(type, "time"))
				joined_pid_or_time = 1;
			if (!strcmp(type, "user"))
				joined_user = 1;
			join_types[njoin] = strdup(type);
			join_paths[njoin++] = strdup(path);
		} else if (!strncmp(line, "source ", 7)) {
			char *index = line + 7, *rec = strchr(index, ' '), *path = rec ? strchr(rec + 1, ' ') : NULL;
			if (!path) {
				errno = EINVAL;
				die("bad source line", line);
			}
			*rec++ = '\0';
			*path++ = '\0';
			int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
					      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (*rec == '1' ? AT_RECURSIVE : 0));
			if (fd >= 0) {
				int n = snprintf(sources + sources_len, sizeof(sources) - sources_len, "%s%s:%d",
						 sources_len ? "," : "", index, fd);
				if (n < 0 || (size_t)n >= sizeof(sources) - sources_len) {
					errno = E2BIG;
					die("source", "too many bind mount sources");
				}
				sources_len += n;
			}
		} else if (!strncmp(line, "clone ", 6)) {
			clone_flags = atoi(line + 6);
		} else if (!strcmp(line, "timens")) {
			timens = 1;
		} else {
			errno = EINVAL;
			die("unknown bootstrap line", line);
		}
	}

	/* Open every path first: after joining a mount namespace they may no longer resolve. */
	for (int i = 0; i < njoin; i++) {
		join_fds[i] = open(join_paths[i], O_RDONLY | O_CLOEXEC);
		if (join_fds[i] < 0)
			die("open namespace", join_paths[i]);
	}
	/* With the type given, the kernel refuses a file that is another kind of namespace. */
	for (int i = 0; i < njoin; i++) {
		if (setns(join_fds[i], ns_flag(join_types[i])) < 0) {
			char what[64];
			snprintf(what, sizeof(what), "%s namespace", join_types[i]);
			die("failed to setns into", what);
		}
		close(join_fds[i]);
	}
	if (sources_len && setenv("_RUNCTS_MOUNTFDS", sources, 1) < 0)
		die("setenv", "_RUNCTS_MOUNTFDS");

	/* A new user namespace comes first, so that every other new namespace is owned by it. */
	if (clone_flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0)
			die("unshare", "user namespace");
		/* An unprivileged (rootless) CLI can only write the maps of a dumpable process; no
		 * container process exists yet, so for this moment only we may be dumpable. */
		if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
			die("prctl", "PR_SET_DUMPABLE");
		say("userns");
		if (read_line(line, sizeof(line)) < 0 || strcmp(line, "ok")) {
			errno = EPROTO;
			die("waiting for id mappings", NULL);
		}
		if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			die("prctl", "PR_SET_DUMPABLE");
	}
	if ((clone_flags & CLONE_NEWUSER) || joined_user) {
		/* Become root of the user namespace, new or joined (if root is mapped: rootless maps
		 * may not): host ids are unmapped in it, and files we create would fail EOVERFLOW. */
		if (setresgid(0, 0, 0) < 0 && errno != EINVAL)
			die("setresgid", "0");
		if (setresuid(0, 0, 0) < 0 && errno != EINVAL)
			die("setresuid", "0");
	}

	int rest = clone_flags & ~CLONE_NEWUSER;
	if (rest && unshare(rest) < 0)
		die("unshare", "namespaces");

	if ((clone_flags & CLONE_NEWTIME) && timens) {
		say("timens");
		if (read_line(line, sizeof(line)) < 0 || strcmp(line, "ok")) {
			errno = EPROTO;
			die("waiting for time offsets", NULL);
		}
	}

	if ((clone_flags & (CLONE_NEWPID | CLONE_NEWTIME)) || joined_pid_or_time) {
		pid_t child = fork();
		if (child < 0)
			die("fork", NULL);
		if (child > 0) {
			/* The child is reparented to the nearest subreaper when we exit. */
			say("pid %d", child);
			_exit(0);
		}
	} else {
		say("pid %d", getpid());
	}
	for (int i = 0; i < njoin; i++) {
		free(join_paths[i]);
		free(join_types[i]);
	}
}
