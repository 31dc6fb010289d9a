/*
 * Bench-only Node-API addon (never shipped with smelu):
 *   sgemm(m, k, n, A, B, C, threads, transA, transB)  C = op(A) op(B) with OpenBLAS, row-major
 *   blasInfo()                         { blas, corename, config }
 *   fmaPeak(isa, threads, ms, runs)    measured FP32 FMA GFLOP/s over `threads` threads
 * The FMA probe is the ceiling the dense suite reports its figures against; it runs in the same
 * process and run as the figures so that clock and noise are shared.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

#define CHECK(call)                                                       \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, NULL, "bench addon: Node-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------- FMA peak probe ----------
 * 12 independent accumulators: FMA latency (4 cycles) times 2 FMA pipes needs at least 8 chains
 * in flight; 12 leaves margin and still fits the 16 ymm registers of AVX2.
 * acc = acc * a + b with a just below 1 converges to b / (1 - a): no overflow, no denormals. */

#define CHAINS 12

__attribute__((target("avx512f"), noinline))
static float fma_loop_avx512(long iters) {
  __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
  __m512 acc[CHAINS];
  for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_set1_ps((float)j);
  for (long i = 0; i < iters; i++) {
    /* Fully unrolled so that the accumulators live in registers, not on the stack. */
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 s = acc[0];
  for (int j = 1; j < CHAINS; j++) s = _mm512_add_ps(s, acc[j]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"), noinline))
static float fma_loop_avx2(long iters) {
  __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
  __m256 acc[CHAINS];
  for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_set1_ps((float)j);
  for (long i = 0; i < iters; i++) {
    /* Fully unrolled so that the accumulators live in registers, not on the stack. */
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; j++) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  __m256 s = acc[0];
  for (int j = 1; j < CHAINS; j++) s = _mm256_add_ps(s, acc[j]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  return lanes[0] + lanes[7];
}

/* One float lane per FMA: the ceiling of the scalar tier (vfmadd231ss). */
__attribute__((target("fma"), noinline))
static float fma_loop_scalar(long iters) {
  float a = 0.9999999f, b = 1e-7f;
  float acc[CHAINS];
  for (int j = 0; j < CHAINS; j++) acc[j] = (float)j;
  for (long i = 0; i < iters; i++) {
    /* Fully unrolled so that the accumulators live in registers, not on the stack. */
#pragma GCC unroll 12
    for (int j = 0; j < CHAINS; j++) acc[j] = __builtin_fmaf(acc[j], a, b);
  }
  float s = 0;
  for (int j = 0; j < CHAINS; j++) s += acc[j];
  return s;
}

typedef float (*fma_fn)(long);

typedef struct {
  fma_fn fn;
  long iters;
  pthread_barrier_t *start;
  double seconds;
  float sink;
} probe_job;

static void *probe_thread(void *p) {
  probe_job *job = (probe_job *)p;
  pthread_barrier_wait(job->start);
  double t0 = now_s();
  job->sink = job->fn(job->iters);
  job->seconds = now_s() - t0;
  return NULL;
}

/* Runs fn on `threads` threads at once; returns the slowest thread's time. */
static double run_probe(fma_fn fn, long iters, int threads, float *sink) {
  pthread_t tid[64];
  probe_job jobs[64];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (int t = 0; t < threads; t++) {
    jobs[t] = (probe_job){fn, iters, &start, 0, 0};
    if (t > 0) pthread_create(&tid[t], NULL, probe_thread, &jobs[t]);
  }
  probe_thread(&jobs[0]);
  double worst = jobs[0].seconds;
  for (int t = 1; t < threads; t++) {
    pthread_join(tid[t], NULL);
    if (jobs[t].seconds > worst) worst = jobs[t].seconds;
  }
  pthread_barrier_destroy(&start);
  for (int t = 0; t < threads; t++) *sink += jobs[t].sink;
  return worst;
}

/* fmaPeak(isa: 'avx512'|'avx2'|'scalar', threads, ms = 2, runs = 31): best of `runs` runs of
 * about ms each. Short runs on purpose: on a shared machine the scheduler slices every few ms,
 * and the best of many short runs is one that no other process interrupted. */
static napi_value FmaPeak(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char isa[16] = {0};
  size_t len = 0;
  int32_t threads = 1, runs = 31;
  double ms = 2;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], isa, sizeof isa, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "fmaPeak(isa, threads, ms, runs): isa must be a string");
    return NULL;
  }
  if (argc > 1) CHECK(napi_get_value_int32(env, argv[1], &threads));
  if (argc > 2) CHECK(napi_get_value_double(env, argv[2], &ms));
  if (argc > 3) CHECK(napi_get_value_int32(env, argv[3], &runs));
  if (threads < 1 || threads > 64) threads = 1;
  if (runs < 1) runs = 1;

  __builtin_cpu_init();
  fma_fn fn = NULL;
  int lanes = 1;
  if (strcmp(isa, "avx512") == 0 && __builtin_cpu_supports("avx512f")) {
    fn = fma_loop_avx512;
    lanes = 16;
  } else if (strcmp(isa, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    fn = fma_loop_avx2;
    lanes = 8;
  } else if (strcmp(isa, "scalar") == 0 && __builtin_cpu_supports("fma")) {
    fn = fma_loop_scalar;
    lanes = 1;
  }
  napi_value result;
  if (fn == NULL) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  float sink = 0;
  /* Calibrate the iteration count to about ms milliseconds on one thread. */
  long iters = 1L << 16;
  for (;;) {
    double t = run_probe(fn, iters, 1, &sink);
    if (t > ms * 1e-3 / 4 || iters > (1L << 40)) {
      iters = (long)((double)iters * (ms * 1e-3) / (t > 0 ? t : 1e-9)) + 1;
      break;
    }
    iters *= 4;
  }
  double best = 1e300;
  for (int r = 0; r < runs; r++) {
    double t = run_probe(fn, iters, threads, &sink);
    if (t < best) best = t;
  }
  /* The sink keeps the loops from being optimised away; it is never NaN in practice. */
  double flops = 2.0 * lanes * CHAINS * (double)iters * threads + (sink != sink ? 1 : 0);
  CHECK(napi_create_double(env, flops / best * 1e-9, &result));
  return result;
}

/* ---------- OpenBLAS peer ---------- */

static float *float32_data(napi_env env, napi_value v, size_t need, const char *name) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) goto bad;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok) goto bad;
  if (type != napi_float32_array || length != need) goto bad;
  return (float *)data;
bad:;
  char msg[128];
  snprintf(msg, sizeof msg, "sgemm: %s must be a Float32Array of length %zu", name, need);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

#ifdef HAVE_OPENBLAS
static int current_threads = -1;
#endif

/* sgemm(m, k, n, A, B, C, threads, transA = false, transB = false): C[m*n] = op(A) op(B),
 * row-major, where op(A) is m x k (A stored k x m when transA) and op(B) is k x n (B stored
 * n x k when transB). The transposed forms give the backward products dx = dZ W^T, dW = x^T dZ. */
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "sgemm(m, k, n, A, B, C, threads, transA, transB)");
    return NULL;
  }
  int32_t m, k, n, threads;
  bool transA = false, transB = false;
  CHECK(napi_get_value_int32(env, argv[0], &m));
  CHECK(napi_get_value_int32(env, argv[1], &k));
  CHECK(napi_get_value_int32(env, argv[2], &n));
  CHECK(napi_get_value_int32(env, argv[6], &threads));
  if (argc > 7) CHECK(napi_get_value_bool(env, argv[7], &transA));
  if (argc > 8) CHECK(napi_get_value_bool(env, argv[8], &transB));
  if (m < 1 || k < 1 || n < 1 || threads < 1) {
    napi_throw_range_error(env, NULL, "sgemm: m, k, n and threads must be >= 1");
    return NULL;
  }
  float *A = float32_data(env, argv[3], (size_t)m * k, "A");
  if (!A) return NULL;
  float *B = float32_data(env, argv[4], (size_t)k * n, "B");
  if (!B) return NULL;
  float *C = float32_data(env, argv[5], (size_t)m * n, "C");
  if (!C) return NULL;
#ifdef HAVE_OPENBLAS
  /* Changing the thread count has a cost inside OpenBLAS: only do it when it changes. */
  if (threads != current_threads) {
    openblas_set_num_threads(threads);
    current_threads = threads;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              m, n, k, 1.0f, A, transA ? m : k, B, transB ? k : n, 0.0f, C, n);
  return NULL;
#else
  (void)threads;
  (void)transA;
  (void)transB;
  napi_throw_error(env, NULL, "sgemm: the bench addon was built without OpenBLAS");
  return NULL;
#endif
}

static napi_value BlasInfo(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  CHECK(napi_create_object(env, &obj));
#ifdef HAVE_OPENBLAS
  CHECK(napi_get_boolean(env, true, &v));
  CHECK(napi_set_named_property(env, obj, "blas", v));
  CHECK(napi_create_string_utf8(env, openblas_get_corename(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "corename", v));
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, obj, "config", v));
#else
  CHECK(napi_get_boolean(env, false, &v));
  CHECK(napi_set_named_property(env, obj, "blas", v));
#endif
  return obj;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"blasInfo", NULL, BlasInfo, NULL, NULL, NULL, napi_default, NULL},
      {"fmaPeak", NULL, FmaPeak, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(smelu_bench, Init)
