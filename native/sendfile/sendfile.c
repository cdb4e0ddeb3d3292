// Sends a range of a file to a TCP socket with sendfile(2), on a thread of its own, for ftpkitd's
// downloads: the kernel moves page-cache pages to the socket, where read() + write() would copy
// every byte into the process and out again (see docs/performance.md). Linux only; elsewhere the
// add-on is not built and the server reads into buffers.
//
// The thread works on duplicates of both descriptors, so that whatever Node does with its own (an
// abort destroys the socket) the thread never writes to a descriptor number that has been reused.
// Node's socket is non-blocking, and so is the duplicate (they share one open file description):
// when the socket is full, the thread waits in poll() for room, or for cancel() to wake it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

// One call's most: a cancel is seen between calls, and a fast reader could otherwise take the
// whole file in one call.
#define CHUNK_BYTES (8 * 1024 * 1024)
#define THREAD_STACK_BYTES (64 * 1024)

typedef struct {
  int socket_fd;
  int file_fd;
  int wake_fd;
  off_t offset;
  int64_t remaining;
  _Atomic int64_t sent;
  _Atomic int cancelled;
  // errno of the failure, 0 when every byte was sent or the file ended first.
  int error;
  napi_threadsafe_function done;
  // The thread's completion and the JavaScript handle each hold one.
  _Atomic int refs;
} transfer_t;

static void release(transfer_t *t) {
  if (atomic_fetch_sub(&t->refs, 1) == 1) free(t);
}

// 0 when the file really ended at the offset; else why the socket took nothing.
static int socket_gone(transfer_t *t) {
  struct stat st;
  if (fstat(t->file_fd, &st) == 0 && t->offset >= st.st_size) return 0;
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(t->socket_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error == 0) error = EPIPE;
  return error;
}

static void *run(void *arg) {
  transfer_t *t = arg;
  int error = 0;
  while (t->remaining > 0) {
    if (atomic_load(&t->cancelled)) {
      error = ECANCELED;
      break;
    }
    size_t count = t->remaining > CHUNK_BYTES ? CHUNK_BYTES : (size_t)t->remaining;
    ssize_t n = sendfile(t->socket_fd, t->file_fd, &t->offset, count);
    if (n > 0) {
      t->remaining -= n;
      atomic_fetch_add(&t->sent, n);
      continue;
    }
    if (n == 0) {
      // The file ended (it is shorter than when it was opened: what it had is sent), or the socket
      // can take nothing more (reset or shut down), which some kernels answer with 0, not EPIPE.
      error = socket_gone(t);
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      error = errno;
      break;
    }
    // A reset or a closed peer shows as POLLERR/POLLHUP; the next sendfile() names it.
    struct pollfd fds[2] = {{.fd = t->socket_fd, .events = POLLOUT}, {.fd = t->wake_fd, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      error = errno;
      break;
    }
  }
  close(t->socket_fd);
  close(t->file_fd);
  t->error = error;
  // The completion may free t as soon as it is queued: the handle is read first.
  napi_threadsafe_function done = t->done;
  napi_call_threadsafe_function(done, t, napi_tsfn_blocking);
  napi_release_threadsafe_function(done, napi_tsfn_release);
  return NULL;
}

// On the main thread: callback(errno or 0, bytes sent). env is NULL when Node is exiting.
static void complete(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  transfer_t *t = data;
  // The thread is done with it; cancel() runs on this thread too, and sees it gone. Closed here, not
  // when the handle is collected, so that finished transfers hold no descriptor until a GC.
  close(t->wake_fd);
  t->wake_fd = -1;
  if (env != NULL && callback != NULL) {
    napi_value argv[2], receiver;
    napi_create_int32(env, t->error, &argv[0]);
    napi_create_int64(env, atomic_load(&t->sent), &argv[1]);
    napi_get_undefined(env, &receiver);
    napi_call_function(env, receiver, callback, 2, argv, NULL);
  }
  release(t);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release(data);
}

static napi_value throw_errno(napi_env env, const char *what, int error) {
  char code[16];
  snprintf(code, sizeof code, "%d", error);
  napi_throw_error(env, code, what);
  return NULL;
}

// start(socketFd, fileFd, offset, length, callback) -> handle
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t socket_fd, file_fd;
  int64_t offset, length;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &socket_fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &file_fd) != napi_ok ||
      napi_get_value_int64(env, argv[2], &offset) != napi_ok ||
      napi_get_value_int64(env, argv[3], &length) != napi_ok || offset < 0 || length < 0) {
    napi_throw_type_error(env, NULL, "start(socketFd, fileFd, offset, length, callback)");
    return NULL;
  }
  transfer_t *t = calloc(1, sizeof *t);
  if (t == NULL) return throw_errno(env, "out of memory", ENOMEM);
  t->offset = offset;
  t->remaining = length;
  t->socket_fd = fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
  t->file_fd = t->socket_fd < 0 ? -1 : fcntl(file_fd, F_DUPFD_CLOEXEC, 0);
  t->wake_fd = t->file_fd < 0 ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int error = errno;
  napi_value name;
  napi_create_string_utf8(env, "ftpkit sendfile", NAPI_AUTO_LENGTH, &name);
  if (t->wake_fd >= 0 &&
      napi_create_threadsafe_function(env, argv[4], NULL, name, 0, 1, NULL, NULL, NULL, complete, &t->done) !=
          napi_ok) {
    error = EINVAL;
    close(t->wake_fd);
    t->wake_fd = -1;
  }
  if (t->wake_fd >= 0) {
    atomic_store(&t->refs, 2);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES);
    pthread_t thread;
    error = pthread_create(&thread, &attr, run, t);
    pthread_attr_destroy(&attr);
    if (error == 0) {
      napi_value handle;
      napi_create_external(env, t, finalize, NULL, &handle);
      return handle;
    }
    napi_release_threadsafe_function(t->done, napi_tsfn_abort);
    close(t->wake_fd);
  }
  if (t->file_fd >= 0) close(t->file_fd);
  if (t->socket_fd >= 0) close(t->socket_fd);
  free(t);
  return throw_errno(env, "could not start a sendfile thread", error);
}

static transfer_t *unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value handle;
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, &handle, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, handle, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a handle from start()");
    return NULL;
  }
  return data;
}

// cancel(handle): the thread stops before its next sendfile() and completes with ECANCELED; after
// the completion it does nothing.
static napi_value cancel(napi_env env, napi_callback_info info) {
  transfer_t *t = unwrap(env, info);
  if (t == NULL) return NULL;
  if (t->wake_fd < 0) return NULL;
  atomic_store(&t->cancelled, 1);
  uint64_t one = 1;
  ssize_t written = write(t->wake_fd, &one, sizeof one);
  (void)written;
  return NULL;
}

// sent(handle): bytes the kernel has taken so far.
static napi_value sent(napi_env env, napi_callback_info info) {
  transfer_t *t = unwrap(env, info);
  if (t == NULL) return NULL;
  napi_value result;
  napi_create_int64(env, atomic_load(&t->sent), &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"cancel", NULL, cancel, NULL, NULL, NULL, napi_default, NULL},
      {"sent", NULL, sent, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
