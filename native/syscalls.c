/*
 * Linux system calls that Node's fs module does not expose, for the layer applier, the layer and
 * snapshot walkers, and the locks. Every path call is the no-follow variant (l*xattr, mknod never
 * follows): callers hand us paths they have already resolved inside a root, and following a symlink
 * here would undo that work. Errors are thrown as Node-style errors (code, errno, syscall, path) so
 * the TypeScript side maps them like any fs error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, #call " failed"); return NULL; } } while (0)

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT"; case EEXIST: return "EEXIST"; case EACCES: return "EACCES";
    case EPERM: return "EPERM"; case ENOTSUP: return "ENOTSUP"; case ENODATA: return "ENODATA";
    case ENOSPC: return "ENOSPC"; case EDQUOT: return "EDQUOT"; case ERANGE: return "ERANGE";
    case EINVAL: return "EINVAL"; case ENOTDIR: return "ENOTDIR"; case ELOOP: return "ELOOP";
    case EBADF: return "EBADF"; case EWOULDBLOCK: return "EWOULDBLOCK"; case EROFS: return "EROFS";
    case E2BIG: return "E2BIG"; case EIO: return "EIO"; case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, int e, const char *syscall, const char *path) {
  char msg[4200];
  if (path) snprintf(msg, sizeof msg, "%s: %s, %s '%s'", errno_code(e), strerror(e), syscall, path);
  else snprintf(msg, sizeof msg, "%s: %s, %s", errno_code(e), strerror(e), syscall);
  napi_value message, code, err, num, sc;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, message, &err);
  napi_create_int32(env, -e, &num);
  napi_set_named_property(env, err, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, err, "syscall", sc);
  if (path) {
    napi_value p;
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &p);
    napi_set_named_property(env, err, "path", p);
  }
  napi_throw(env, err);
  return NULL;
}

/* Reads argument i as a UTF-8 string into a malloc'd buffer the caller frees. */
static char *arg_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a string");
    return NULL;
  }
  char *s = malloc(len + 1);
  if (!s) { napi_throw_error(env, NULL, "out of memory"); return NULL; }
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* lgetxattr(path, name) -> Buffer | null (null when the attribute is absent) */
static napi_value js_lgetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = arg_string(env, argv[0]); if (!path) return NULL;
  char *name = arg_string(env, argv[1]); if (!name) { free(path); return NULL; }
  napi_value result = NULL;
  for (;;) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0) {
      if (errno == ENODATA) napi_get_null(env, &result);
      else throw_errno(env, errno, "lgetxattr", path);
      break;
    }
    void *data; napi_value buf;
    napi_create_buffer(env, (size_t)n, &data, &buf);
    ssize_t m = n ? lgetxattr(path, name, data, (size_t)n) : 0;
    if (m < 0 && errno == ERANGE) continue; /* grew between the two calls */
    if (m < 0) { throw_errno(env, errno, "lgetxattr", path); break; }
    if (m == n) { result = buf; break; }
    napi_value sliced; void *d2;
    napi_create_buffer_copy(env, (size_t)m, data, &d2, &sliced);
    result = sliced; break;
  }
  free(path); free(name);
  return result;
}

/* llistxattr(path) -> string[] */
static napi_value js_llistxattr(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = arg_string(env, argv[0]); if (!path) return NULL;
  napi_value arr = NULL;
  for (;;) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0) {
      if (errno == ENOTSUP) { napi_create_array_with_length(env, 0, &arr); break; }
      throw_errno(env, errno, "llistxattr", path); break;
    }
    char *list = malloc(n ? (size_t)n : 1);
    if (!list) { napi_throw_error(env, NULL, "out of memory"); break; }
    ssize_t m = n ? llistxattr(path, list, (size_t)n) : 0;
    if (m < 0 && errno == ERANGE) { free(list); continue; }
    if (m < 0) { free(list); throw_errno(env, errno, "llistxattr", path); break; }
    napi_create_array(env, &arr);
    uint32_t idx = 0;
    for (ssize_t off = 0; off < m;) {
      size_t l = strnlen(list + off, (size_t)(m - off));
      napi_value s;
      napi_create_string_utf8(env, list + off, l, &s);
      napi_set_element(env, arr, idx++, s);
      off += (ssize_t)l + 1;
    }
    free(list); break;
  }
  free(path);
  return arr;
}

/* lsetxattr(path, name, Buffer) */
static napi_value js_lsetxattr(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = arg_string(env, argv[0]); if (!path) return NULL;
  char *name = arg_string(env, argv[1]); if (!name) { free(path); return NULL; }
  void *data = NULL; size_t len = 0;
  if (napi_get_buffer_info(env, argv[2], &data, &len) != napi_ok) {
    free(path); free(name);
    napi_throw_type_error(env, NULL, "expected a Buffer value");
    return NULL;
  }
  if (lsetxattr(path, name, data, len, 0) < 0) throw_errno(env, errno, "lsetxattr", path);
  free(path); free(name);
  return NULL;
}

/* lremovexattr(path, name); absent attributes are not an error */
static napi_value js_lremovexattr(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = arg_string(env, argv[0]); if (!path) return NULL;
  char *name = arg_string(env, argv[1]); if (!name) { free(path); return NULL; }
  if (lremovexattr(path, name) < 0 && errno != ENODATA) throw_errno(env, errno, "lremovexattr", path);
  free(path); free(name);
  return NULL;
}

/* mknod(path, mode, major, minor): mode includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO) */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char *path = arg_string(env, argv[0]); if (!path) return NULL;
  uint32_t mode = 0, maj = 0, min = 0;
  napi_get_value_uint32(env, argv[1], &mode);
  napi_get_value_uint32(env, argv[2], &maj);
  napi_get_value_uint32(env, argv[3], &min);
  if (mknod(path, (mode_t)mode, makedev(maj, min)) < 0) throw_errno(env, errno, "mknod", path);
  free(path);
  return NULL;
}

/* syncfs(fd): flush the whole filesystem holding fd; one barrier for a batch of writes */
static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; int32_t fd = -1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_get_value_int32(env, argv[0], &fd);
  if (syncfs(fd) < 0) return throw_errno(env, errno, "syncfs", NULL);
  return NULL;
}

/* flock(fd, exclusive, unlock) -> boolean: never blocks; false when someone else holds it */
static napi_value js_flock(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3]; int32_t fd = -1; bool exclusive = true, unlock = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_get_value_int32(env, argv[0], &fd);
  napi_get_value_bool(env, argv[1], &exclusive);
  if (argc > 2) napi_get_value_bool(env, argv[2], &unlock);
  int op = unlock ? LOCK_UN : ((exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  napi_value result;
  if (flock(fd, op) < 0) {
    if (errno == EWOULDBLOCK) { napi_get_boolean(env, false, &result); return result; }
    return throw_errno(env, errno, "flock", NULL);
  }
  napi_get_boolean(env, true, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"lgetxattr", NULL, js_lgetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"llistxattr", NULL, js_llistxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lsetxattr", NULL, js_lsetxattr, NULL, NULL, NULL, napi_default, NULL},
    {"lremovexattr", NULL, js_lremovexattr, NULL, NULL, NULL, napi_default, NULL},
    {"mknod", NULL, js_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"syncfs", NULL, js_syncfs, NULL, NULL, NULL, napi_default, NULL},
    {"flock", NULL, js_flock, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
