/*
 * lite.c: the three system calls of the everyday lifecycle commands (`start`, `delete`), as a
 * Node-API addon that needs nothing but libc.
 *
 * Why it exists: every other libc call of runc-ts goes through koffi, whose addon links
 * libstdc++; loading it costs ~1.7 ms of a call that is ~12 ms in all (runc: ~6 ms).
 * `create`, `run` and `exec` need koffi anyway (mounts, sockets, the sealed binary...);
 * `start` and `delete` need only these: the per-container lock, and waiting on exec.fifo and
 * on the init at once. Loaded from dist/ by src/libcontainer/sys/lite.ts, which falls back to
 * koffi when this file is missing.
 *
 * Each function returns what the system call returns, or -errno: no errno to fetch afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The five Node-API calls used, declared here (Node-API is a stable C ABI, exported by node and
 * by Bun alike): the build needs no Node headers. */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
extern napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t *, napi_value *, napi_value *, void **);
extern napi_status napi_get_value_int32(napi_env, napi_value, int32_t *);
extern napi_status napi_create_int32(napi_env, int32_t, napi_value *);
extern napi_status napi_create_function(napi_env, const char *, size_t, napi_callback, void *, napi_value *);
extern napi_status napi_set_named_property(napi_env, napi_value, const char *, napi_value);

/* Up to 3 int32 arguments; missing or non-numeric ones read as -1 (an invalid fd or pid, no
 * timeout). */
static void args(napi_env env, napi_callback_info info, int32_t *out, size_t n) {
  napi_value argv[3];
  size_t argc = 3;
  for (size_t i = 0; i < n; i++) out[i] = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0) return;
  for (size_t i = 0; i < n && i < argc; i++)
    if (napi_get_value_int32(env, argv[i], &out[i]) != 0) out[i] = -1;
}

static napi_value result(napi_env env, long r) {
  napi_value v;
  napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &v);
  return v;
}

/* flock(fd, operation) */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  int32_t a[2];
  args(env, info, a, 2);
  int r;
  do r = flock(a[0], a[1]);
  while (r < 0 && errno == EINTR);
  return result(env, r);
}

/* pidfd_open(pid, 0) */
static napi_value js_pidfd_open(napi_env env, napi_callback_info info) {
  int32_t a[1];
  args(env, info, a, 1);
  return result(env, syscall(SYS_pidfd_open, a[0], 0));
}

/* poll(2) for POLLIN on two fds, for up to a[2] ms (none: no timeout): revents of the first in
 * the low 16 bits, of the second in the high 16; 0 on timeout (EINTR is returned, as -EINTR,
 * for the caller to retry). */
static napi_value js_poll_in2(napi_env env, napi_callback_info info) {
  int32_t a[3];
  args(env, info, a, 3);
  struct pollfd p[2] = {{.fd = a[0], .events = POLLIN}, {.fd = a[1], .events = POLLIN}};
  int r = poll(p, 2, a[2] < 0 ? -1 : a[2]);
  if (r < 0) return result(env, r);
  return result(env, (p[0].revents & 0xffff) | ((p[1].revents & 0x7fff) << 16));
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"flock", js_flock}, {"pidfdOpen", js_pidfd_open}, {"pollIn2", js_poll_in2}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, (size_t)-1, fns[i].fn, NULL, &f) == 0) napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
