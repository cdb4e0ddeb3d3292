// scrypt's ROMix (RFC 7914, section 5) for one of a hash's p lanes, on libuv's thread pool, for
// ftpkitd's password checks. scrypt's lanes are independent: the parameter p exists so that they
// can be computed at once, but OpenSSL (and so Node's crypto.scrypt) computes them one after
// another. With them on two threads, a first login at N=2^14, r=8, p=5 waits for three lanes'
// time instead of five. The PBKDF2 steps around the lanes stay with Node's crypto
// (src/server/auth/scrypt-lanes.ts); the result is checked against crypto.scrypt in the tests.
#include <errno.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint32_t load32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

#define ROTL(a, b) (((a) << (b)) | ((a) >> (32 - (b))))

// Salsa20/8 core (RFC 7914, section 3) on 16 words, in place.
static void salsa20_8(uint32_t b[16]) {
  uint32_t x[16];
  memcpy(x, b, sizeof x);
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= ROTL(x[0] + x[12], 7);
    x[8] ^= ROTL(x[4] + x[0], 9);
    x[12] ^= ROTL(x[8] + x[4], 13);
    x[0] ^= ROTL(x[12] + x[8], 18);
    x[9] ^= ROTL(x[5] + x[1], 7);
    x[13] ^= ROTL(x[9] + x[5], 9);
    x[1] ^= ROTL(x[13] + x[9], 13);
    x[5] ^= ROTL(x[1] + x[13], 18);
    x[14] ^= ROTL(x[10] + x[6], 7);
    x[2] ^= ROTL(x[14] + x[10], 9);
    x[6] ^= ROTL(x[2] + x[14], 13);
    x[10] ^= ROTL(x[6] + x[2], 18);
    x[3] ^= ROTL(x[15] + x[11], 7);
    x[7] ^= ROTL(x[3] + x[15], 9);
    x[11] ^= ROTL(x[7] + x[3], 13);
    x[15] ^= ROTL(x[11] + x[7], 18);
    x[1] ^= ROTL(x[0] + x[3], 7);
    x[2] ^= ROTL(x[1] + x[0], 9);
    x[3] ^= ROTL(x[2] + x[1], 13);
    x[0] ^= ROTL(x[3] + x[2], 18);
    x[6] ^= ROTL(x[5] + x[4], 7);
    x[7] ^= ROTL(x[6] + x[5], 9);
    x[4] ^= ROTL(x[7] + x[6], 13);
    x[5] ^= ROTL(x[4] + x[7], 18);
    x[11] ^= ROTL(x[10] + x[9], 7);
    x[8] ^= ROTL(x[11] + x[10], 9);
    x[9] ^= ROTL(x[8] + x[11], 13);
    x[10] ^= ROTL(x[9] + x[8], 18);
    x[12] ^= ROTL(x[15] + x[14], 7);
    x[13] ^= ROTL(x[12] + x[15], 9);
    x[14] ^= ROTL(x[13] + x[12], 13);
    x[15] ^= ROTL(x[14] + x[13], 18);
  }
  for (int i = 0; i < 16; i++) b[i] += x[i];
}

// scryptBlockMix (section 4): b holds 2r 16-word blocks; the result goes to y, even-numbered
// blocks first, then the odd-numbered ones.
static void block_mix(const uint32_t *b, uint32_t *y, size_t r) {
  uint32_t x[16];
  memcpy(x, &b[(2 * r - 1) * 16], sizeof x);
  for (size_t i = 0; i < 2 * r; i++) {
    for (int k = 0; k < 16; k++) x[k] ^= b[i * 16 + k];
    salsa20_8(x);
    memcpy(&y[((i & 1) * r + i / 2) * 16], x, sizeof x);
  }
}

// scryptROMix (section 5) on the 128·r bytes at `block`, in place. 0, or ENOMEM.
static int romix(uint8_t *block, size_t r, uint32_t n) {
  size_t words = 32 * r;
  size_t v_bytes = words * sizeof(uint32_t) * (size_t)n;
  // Mapped, not malloc'd: the lane's 128·r·N bytes go back to the system when it ends
  // (docs/performance.md).
  uint32_t *v = mmap(NULL, v_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (v == MAP_FAILED) return ENOMEM;
  // In 2 MiB pages where the kernel allows them (transparent_hugepage "madvise" or "always"): 8
  // page faults for 16 MiB instead of 4096, and fewer TLB misses in the second loop's random
  // reads. A lane takes a fifth less time. Refused (EINVAL without THP), it changes nothing.
  madvise(v, v_bytes, MADV_HUGEPAGE);
  uint32_t *x = malloc(2 * words * sizeof(uint32_t));
  if (x == NULL) {
    munmap(v, v_bytes);
    return ENOMEM;
  }
  uint32_t *y = x + words;
  for (size_t k = 0; k < words; k++) x[k] = load32(&block[4 * k]);
  for (uint32_t i = 0; i < n; i++) {
    memcpy(&v[i * words], x, words * sizeof(uint32_t));
    block_mix(x, y, r);
    memcpy(x, y, words * sizeof(uint32_t));
  }
  for (uint32_t i = 0; i < n; i++) {
    // Integerify: the last 64-byte block's first word; n is a power of two below 2^32.
    uint32_t j = x[(2 * r - 1) * 16] & (n - 1);
    for (size_t k = 0; k < words; k++) x[k] ^= v[j * words + k];
    block_mix(x, y, r);
    memcpy(x, y, words * sizeof(uint32_t));
  }
  for (size_t k = 0; k < words; k++) store32(&block[4 * k], x[k]);
  memset(x, 0, 2 * words * sizeof(uint32_t));
  free(x);
  munmap(v, v_bytes);
  return 0;
}

typedef struct {
  napi_async_work work;
  napi_ref block_ref;
  napi_ref callback_ref;
  uint8_t *block;
  size_t r;
  uint32_t n;
  int error;
} job_t;

static void execute(napi_env env, void *data) {
  (void)env;
  job_t *job = data;
  job->error = romix(job->block, job->r, job->n);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  napi_value callback, receiver, argv[1];
  if (napi_get_reference_value(env, job->callback_ref, &callback) == napi_ok && callback != NULL) {
    napi_create_int32(env, status == napi_ok ? job->error : ECANCELED, &argv[0]);
    napi_get_undefined(env, &receiver);
    napi_call_function(env, receiver, callback, 1, argv, NULL);
  }
  napi_delete_reference(env, job->callback_ref);
  napi_delete_reference(env, job->block_ref);
  napi_delete_async_work(env, job->work);
  free(job);
}

// romix(block, N, r, callback(errno)): mixes the 128·r bytes of `block` in place on the thread pool.
static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *bytes = NULL;
  size_t length = 0;
  uint32_t n = 0, r = 0;
  napi_valuetype type = napi_undefined;
  if (argc < 4 || napi_get_buffer_info(env, argv[0], &bytes, &length) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &n) != napi_ok || napi_get_value_uint32(env, argv[2], &r) != napi_ok ||
      napi_typeof(env, argv[3], &type) != napi_ok || type != napi_function || n < 2 || (n & (n - 1)) != 0 ||
      r < 1 || r > (1u << 16) || length != 128 * (size_t)r) {
    napi_throw_type_error(env, NULL, "romix(block of 128·r bytes, N a power of two, r, callback)");
    return NULL;
  }
  job_t *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  job->block = bytes;
  job->r = r;
  job->n = n;
  napi_value name;
  napi_create_string_utf8(env, "ftpkit romix", NAPI_AUTO_LENGTH, &name);
  napi_create_reference(env, argv[0], 1, &job->block_ref);
  napi_create_reference(env, argv[3], 1, &job->callback_ref);
  napi_create_async_work(env, NULL, name, execute, complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "romix", NAPI_AUTO_LENGTH, start, NULL, &fn);
  napi_set_named_property(env, exports, "romix", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
