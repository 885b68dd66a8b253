/*
 * ffi.c: calls into libc from JavaScript, as a Node-API addon that needs nothing but libc.
 *
 * Why it exists: runc-ts's system calls (mount, setns, pivot_root, sockets, ...) go through
 * libc.ts, declared from C prototypes. koffi can make those calls, but its addon links
 * libstdc++ and costs ~1.8 ms to load, in the CLI and again in the container init, both on the
 * critical path of every create, run and exec; this addon loads in ~0.1 ms. koffi stays the
 * fallback (src/libcontainer/sys/ffi.ts) and the binding of libseccomp.
 *
 * The calls it makes are those libc.ts declares: integer and pointer arguments only (up to 8),
 * an integer or string result. A function is found with dlsym and called through a variadic
 * pointer type, which passes integer arguments in the same registers as a prototyped call on
 * the Linux ABIs of x86-64 and aarch64 (and sets %al for variadic callees such as syscall()).
 *
 * JS values become arguments thus: a number or a bigint is the integer (a bigint keeps all 64
 * bits), null and undefined are NULL, a string is a NUL-terminated UTF-8 copy, a typed array (a
 * Buffer) is a pointer to its bytes, an array of strings is a NULL-terminated char *[]. errno is
 * saved right after each call, for errno().
 *
 * Node-API is a stable C ABI exported by node and by Bun alike; the few functions used are
 * declared here, so the build needs no headers.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
enum { napi_undefined, napi_null, napi_boolean, napi_number, napi_string, napi_symbol, napi_object, napi_function, napi_external, napi_bigint };

extern napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t *, napi_value *, napi_value *, void **);
extern napi_status napi_typeof(napi_env, napi_value, int *);
extern napi_status napi_get_value_int64(napi_env, napi_value, int64_t *);
extern napi_status napi_get_value_bigint_int64(napi_env, napi_value, int64_t *, bool *);
extern napi_status napi_get_value_bool(napi_env, napi_value, bool *);
extern napi_status napi_get_value_string_utf8(napi_env, napi_value, char *, size_t, size_t *);
extern napi_status napi_is_typedarray(napi_env, napi_value, bool *);
extern napi_status napi_get_typedarray_info(napi_env, napi_value, int *, size_t *, void **, napi_value *, size_t *);
extern napi_status napi_is_array(napi_env, napi_value, bool *);
extern napi_status napi_get_array_length(napi_env, napi_value, uint32_t *);
extern napi_status napi_get_element(napi_env, napi_value, uint32_t, napi_value *);
extern napi_status napi_create_int64(napi_env, int64_t, napi_value *);
extern napi_status napi_create_string_utf8(napi_env, const char *, size_t, napi_value *);
extern napi_status napi_create_bigint_uint64(napi_env, uint64_t, napi_value *);
extern napi_status napi_get_null(napi_env, napi_value *);
extern napi_status napi_create_function(napi_env, const char *, size_t, napi_callback, void *, napi_value *);
extern napi_status napi_set_named_property(napi_env, napi_value, const char *, napi_value);

#define MAX_ARGS 8
/* The result kinds of call(): how the callee's return register is read. */
enum { RET_INT, RET_UINT, RET_LONG, RET_STRING };

static int saved_errno;

static napi_value number(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

static int64_t integer(napi_env env, napi_value v) {
  int t = napi_undefined;
  napi_typeof(env, v, &t);
  int64_t i = 0;
  bool b = false;
  if (t == napi_bigint) napi_get_value_bigint_int64(env, v, &i, &b);
  else if (t == napi_boolean && napi_get_value_bool(env, v, &b) == 0) i = b;
  else napi_get_value_int64(env, v, &i);
  return i;
}

static char *string_copy(napi_env env, napi_value v) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != 0) return NULL;
  char *s = malloc(n + 1);
  if (s) napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

/* What a call allocated for its arguments, freed once it returns. */
struct scratch {
  void *blocks[MAX_ARGS * 64];
  size_t n;
};

static void *keep(struct scratch *sc, void *p) {
  if (p && sc->n < sizeof sc->blocks / sizeof sc->blocks[0]) sc->blocks[sc->n++] = p;
  return p;
}

static intptr_t argument(napi_env env, napi_value v, struct scratch *sc) {
  int t = napi_undefined;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return 0;
  if (t == napi_string) return (intptr_t)keep(sc, string_copy(env, v));
  if (t == napi_object) {
    bool is = false;
    if (napi_is_typedarray(env, v, &is) == 0 && is) {
      int type;
      size_t length, offset;
      void *data = NULL;
      napi_value ab;
      napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &offset);
      return (intptr_t)data;
    }
    if (napi_is_array(env, v, &is) == 0 && is) {
      uint32_t n = 0;
      napi_get_array_length(env, v, &n);
      char **list = keep(sc, calloc(n + 1, sizeof(char *)));
      if (!list) return 0;
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        napi_get_element(env, v, i, &e);
        list[i] = keep(sc, string_copy(env, e));
      }
      return (intptr_t)list;
    }
  }
  return (intptr_t)integer(env, v);
}

/* call(fn, kind, ...args): fn an address from sym(), kind one of RET_*. */
static napi_value js_call(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGS + 2];
  size_t argc = MAX_ARGS + 2;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return NULL;
  long (*fn)(intptr_t, ...) = (long (*)(intptr_t, ...))(intptr_t)integer(env, argv[0]);
  int kind = (int)integer(env, argv[1]);
  struct scratch sc = {.n = 0};
  intptr_t a[MAX_ARGS] = {0};
  for (size_t i = 2; i < argc; i++) a[i - 2] = argument(env, argv[i], &sc);
  if (!fn) return NULL;
  errno = 0;
  long r = fn(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
  saved_errno = errno;
  for (size_t i = 0; i < sc.n; i++) free(sc.blocks[i]);
  switch (kind) {
  case RET_INT: return number(env, (int)r);
  case RET_UINT: return number(env, (unsigned int)r);
  case RET_STRING: {
    napi_value s;
    if (!r) napi_get_null(env, &s);
    else napi_create_string_utf8(env, (const char *)r, (size_t)-1, &s);
    return s;
  }
  default: return number(env, r);
  }
}

/* sym(name): the address of a libc function (any loaded library's), 0 when there is none. */
static napi_value js_sym(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return number(env, 0);
  char *name = string_copy(env, argv[0]);
  void *p = name ? dlsym(RTLD_DEFAULT, name) : NULL;
  free(name);
  return number(env, (int64_t)(intptr_t)p);
}

static napi_value js_errno(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, saved_errno);
}

/* address(buffer): where a typed array's bytes are, as a bigint (for pointers inside structs). */
static napi_value js_address(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct scratch sc = {.n = 0};
  intptr_t p = argc < 1 ? 0 : argument(env, argv[0], &sc);
  for (size_t i = 0; i < sc.n; i++) free(sc.blocks[i]);
  napi_create_bigint_uint64(env, (uint64_t)p, &r);
  return r;
}

/* writeFileDetached(path, text): open(O_WRONLY|O_CLOEXEC), write, close on a thread of its
 * own, result ignored; 0, or -errno if the thread could not start. For a write that may block
 * long and whose result nobody needs (our pid to our own cgroup.procs, to start an RCU grace
 * period early: src/cgroups/warm-up.ts). A bare thread with a small stack that calls no
 * allocator: the engine's async work would start its thread pool and allocator threads, ~0.5
 * ms of CPU per process (measured in a compiled executable), against ~0.06 ms for this. */
struct detached_write {
  char *path, *text;
};

static void *write_thread(void *data) {
  struct detached_write *w = data;
  int fd = open(w->path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = write(fd, w->text, strlen(w->text));
    (void)n;
    close(fd);
  }
  free(w->path);
  free(w->text);
  free(w);
  return NULL;
}

static napi_value js_write_file_detached(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return number(env, -EINVAL);
  struct detached_write *w = calloc(1, sizeof *w);
  if (!w) return number(env, -ENOMEM);
  w->path = string_copy(env, argv[0]);
  w->text = string_copy(env, argv[1]);
  int err = !w->path || !w->text ? ENOMEM : 0;
  pthread_attr_t attr;
  pthread_t thread;
  if (!err && !(err = pthread_attr_init(&attr))) {
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&thread, &attr, write_thread, w);
    pthread_attr_destroy(&attr);
  }
  if (err) {
    free(w->path);
    free(w->text);
    free(w);
  }
  return number(env, -err);
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"call", js_call}, {"sym", js_sym}, {"errno", js_errno}, {"address", js_address},
    {"writeFileDetached", js_write_file_detached}};
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, (size_t)-1, fns[i].fn, NULL, &f) == 0) napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
