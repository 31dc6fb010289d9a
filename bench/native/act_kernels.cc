// The AVX-512 activation kernels timed alone, without Node: for trying kernel variants quickly
// (edit native/kernels, rerun bench/act-kernels.sh). Two modes:
//   act_kernels [KINDS]          the shipped entry points (ActEntry<VecAvx512>: alignment head,
//                                interleaved body, masked tail) on arrays at 16 mod 64 as V8 hands
//                                them out (OFFSET=0 for aligned ones), beside a memcpy of the bytes
//   act_kernels --unroll [KINDS] the bare interleaved loop for 1 to 8 vectors (aligned, no tail)
// KINDS is a comma-separated list (default: all measured ones); N sets the length (default 4096,
// in L1). Each figure is the best of 40 trials of 300 calls (elements/ns), the median beside it
// in the first mode, and the cycles per 16-lane vector at the clock that a 12-chain FMA probe
// measures (2 FMA per cycle) in the same process.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/act/act_loops.h"
#include "kernels/simd/vec_avx512.h"

using namespace smelu;
using V = VecAvx512;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kTrials = 40, kCalls = 300;

struct Timing {
  double best, median;  // elements per ns
};

template <class Fn>
Timing time_calls(size_t elements, Fn fn) {
  std::vector<double> ns;
  for (int k = 0; k < kTrials; ++k) {
    const auto t0 = Clock::now();
    for (int r = 0; r < kCalls; ++r) {
      fn();
      asm volatile("" ::: "memory");
    }
    ns.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
  }
  std::sort(ns.begin(), ns.end());
  const double work = double(elements) * kCalls;
  return {work / ns.front(), work / ns[ns.size() / 2]};
}

// GHz from 12 independent FMA chains (2 per cycle when nothing else runs on the core).
double fma_clock_ghz() {
  double best = 1e30;
  constexpr int kIter = 20000;
  for (int k = 0; k < 30; ++k) {
    __m512 a[12];
    for (int j = 0; j < 12; ++j) a[j] = _mm512_set1_ps(1.0f + j * 1e-3f);
    const __m512 m = _mm512_set1_ps(0.9999f), c = _mm512_set1_ps(1e-4f);
    const auto t0 = Clock::now();
    for (int r = 0; r < kIter; ++r) {
#pragma GCC unroll 12
      for (int j = 0; j < 12; ++j) a[j] = _mm512_fmadd_ps(a[j], m, c);
    }
    best = std::min(best, std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
    float s = 0;
    for (int j = 0; j < 12; ++j) s += _mm512_reduce_add_ps(a[j]);
    if (s == 12345.0f) std::puts("");  // keeps the chains alive
  }
  return kIter * 12 / 2.0 / best;
}

// x, dy and y in one buffer, each 4 KiB-aligned plus `offset`, y a further YSHIFT bytes on: where
// the arrays sit relative to each other modulo 4 KiB changes the speed (bench/NOTES.md), so it is
// fixed here. The absolute placement matters too, and it changes from process to process with
// address-space randomization (a memcpy at 27 or 37 elements/ns, SmeLU's backward at 22 or 38):
// compare the best of several processes (bench/act-kernels.sh runs RUNS of them).
struct Arrays {
  size_t n;
  std::vector<char> store;
  float *x, *dy, *y;
  Arrays(size_t n_, size_t offset) : n(n_) {
    const char* ys = std::getenv("YSHIFT");
    const size_t yshift = ys ? std::strtoul(ys, nullptr, 10) : 0;
    const size_t stride = (n * sizeof(float) + 4095) / 4096 * 4096 + 4096;
    store.resize(3 * stride + 4096 + yshift);
    const uintptr_t base = (reinterpret_cast<uintptr_t>(store.data()) + 4095) / 4096 * 4096 + offset;
    x = reinterpret_cast<float*>(base);
    dy = reinterpret_cast<float*>(base + stride);
    y = reinterpret_cast<float*>(base + 2 * stride + yshift);
    std::mt19937 g(1);
    std::uniform_real_distribution<float> u(-8, 8);
    for (size_t i = 0; i < n; ++i) x[i] = u(g), dy[i] = 1.0f;
  }
};

struct Kind {
  const char* name;
  ActKind kind;
  double raw[kActParamSlots];
};
const Kind kKinds[] = {
    {"relu", ActKind::relu, {}},           {"smelu", ActKind::smelu, {1}},
    {"gelu", ActKind::gelu, {}},           {"gelu_tanh", ActKind::gelu_tanh, {}},
    {"swish", ActKind::swish, {1}},        {"softplus", ActKind::softplus, {1, 20}},
    {"sigmoid", ActKind::sigmoid, {}},
};

bool wanted(const std::string& list, const char* name) {
  return list.empty() || ("," + list + ",").find(std::string(",") + name + ",") != std::string::npos;
}

void entry_points(const std::string& kinds, size_t n, double ghz) {
  const char* off = std::getenv("OFFSET");
  const Arrays a(n, off ? std::strtoul(off, nullptr, 10) : 16);
  const ActKernels k = ActEntry<V>::table();
  const auto row = [&](const std::string& what, Timing t) {
    std::printf("%-16s best %6.2f  median %6.2f elements/ns  %5.2f cycles/vector\n", what.c_str(), t.best,
                t.median, 16 * ghz / t.best);
  };
  row("memcpy", time_calls(n, [&] { std::memcpy(a.y, a.x, n * sizeof(float)); }));
  for (const Kind& kd : kKinds) {
    if (!wanted(kinds, kd.name)) continue;
    const ActParams p = make_act_params(static_cast<int32_t>(kd.kind), kd.raw);
    row(kd.name, time_calls(n, [&] { k.forward(p, a.x, a.y, n); }));
    row(std::string(kd.name) + " bwd", time_calls(n, [&] { k.backward(p, a.x, a.dy, a.y, n); }));
  }
}

// The bare main loop of act_body on N interleaved vectors, over the whole vectors of n.
template <int N, class A, class Op>
__attribute__((noinline)) void bare_loop(Op op, const ActParams& p, const Arrays& a, size_t n) {
  using U = VecUnroll<V, N>;
  const typename RebindAct<A, U>::type act(p);
  for (size_t i = 0; i + U::kWidth <= n; i += U::kWidth) U::store(a.y + i, act_apply<U>(op, act, a.x, a.dy, i));
}

template <class A, class Op, int... Ns>
void unroll_row(const char* what, Op op, const ActParams& p, const Arrays& a) {
  std::printf("%-16s", what);
  // Each N runs over its own multiple of N vectors, and is credited with those elements only.
  ((std::printf("  N%d %5.1f", Ns, time_calls(a.n / (16 * Ns) * 16 * Ns, [&] {
      bare_loop<Ns, A>(op, p, a, a.n);
    }).best)), ...);
  std::printf("\n");
}

template <template <class> class Act>
void unroll_sweep(const Kind& kd, const Arrays& a) {
  const ActParams p = make_act_params(static_cast<int32_t>(kd.kind), kd.raw);
  unroll_row<Act<V>, ForwardOp, 1, 2, 3, 4, 6, 8>(kd.name, ForwardOp{}, p, a);
  unroll_row<Act<V>, BackwardOp, 1, 2, 3, 4, 6, 8>((std::string(kd.name) + " bwd").c_str(), BackwardOp{}, p, a);
}

void unroll_sweeps(const std::string& kinds, size_t n) {
  Arrays a(n, 0);
  std::printf("memcpy %.1f elements/ns\n", time_calls(n, [&] { std::memcpy(a.y, a.x, n * sizeof(float)); }).best);
  for (const Kind& kd : kKinds) {
    if (!wanted(kinds, kd.name)) continue;
    switch (kd.kind) {
      case ActKind::relu: unroll_sweep<ReluAct>(kd, a); break;
      case ActKind::smelu: unroll_sweep<SmeluAct>(kd, a); break;
      case ActKind::gelu: unroll_sweep<GeluAct>(kd, a); break;
      case ActKind::gelu_tanh: unroll_sweep<GeluTanhAct>(kd, a); break;
      case ActKind::swish: unroll_sweep<SwishAct>(kd, a); break;
      case ActKind::softplus: unroll_sweep<SoftplusAct>(kd, a); break;
      case ActKind::sigmoid: unroll_sweep<SigmoidAct>(kd, a); break;
      default: break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool unroll = false;
  std::string kinds;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--unroll") == 0) {
      unroll = true;
    } else if (argv[i][0] == '-') {
      std::fprintf(stderr, "usage: act_kernels [--unroll] [KIND,KIND,...]\n");
      return 2;
    } else {
      kinds = argv[i];
    }
  }
  const char* len = std::getenv("N");
  const size_t n = len ? std::strtoul(len, nullptr, 10) : 4096;
  if (n < 16 * 8) {
    std::fprintf(stderr, "act_kernels: N must be at least 128 (got %zu)\n", n);
    return 2;
  }
  const double ghz = fma_clock_ghz();
  std::printf("n = %zu, FMA clock %.2f GHz\n", n, ghz);
  if (unroll) unroll_sweeps(kinds, n); else entry_points(kinds, n, ghz);
  return 0;
}
