// The dense layer's phases timed alone in C++ (no Node): the packed-W forward, the whole backward,
// and the backward's two products (dx = dZ W^T and dW = x^T dZ on the GEMM frame) by themselves, so
// the derivative pass and db are the difference. Built and run by bench/dense-phases.sh.
//   dense_phases [--isa avx512|avx2|scalar] [--threads N] [--reps R] [--only PHASE] MxKxN ...
// Prints, per shape, the best of R batches of each phase in us and its GFLOP/s; --only forward |
// backward | dx | dw runs that phase alone for 3 s (under a profiler: perf record).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dispatch.h"
#include "kernels/act/act.h"
#include "kernels/dense/dense.h"
#include "kernels/dense/dense_runtime.h"
#include "kernels/gemm/gemm_frame.h"

using namespace smelu;

namespace {

struct Shape {
  size_t m, k, n;
};

bool parse_shape(const char* s, Shape& out) {
  unsigned long m, k, n;
  char tail;
  if (std::sscanf(s, "%lux%lux%lu%c", &m, &k, &n, &tail) != 3 || !m || !k || !n) return false;
  out = {m, k, n};
  return true;
}

// Best time per call in us over `reps` batches, each batch long enough (>= 20 ms) to time well.
double best_us(const std::function<void()>& fn, int reps) {
  using clock = std::chrono::steady_clock;
  fn();
  int calls = 1;
  for (;;) {
    const auto t0 = clock::now();
    for (int i = 0; i < calls; ++i) fn();
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    if (s > 0.02) break;
    calls *= 2;
  }
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clock::now();
    for (int i = 0; i < calls; ++i) fn();
    best = std::min(best, std::chrono::duration<double, std::micro>(clock::now() - t0).count() / calls);
  }
  return best;
}

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = static_cast<float>(seed >> 8) / 16777216.0f - 0.5f;
  }
  return v;
}

void run_shape(const IsaKernels& kern, const Shape& s, int reps, const std::string& only) {
  const size_t m = s.m, k = s.k, n = s.n;
  std::vector<float> x = random_floats(m * k, 1), w = random_floats(k * n, 2), b = random_floats(n, 3);
  std::vector<float> dy = random_floats(m * n, 4), y(m * n), z(m * n), dx(m * k), dw(k * n), db(n);
  const double no_params[kActParamSlots] = {0, 0, 0, 0, 0};
  const ActParams relu = make_act_params(static_cast<int32_t>(ActKind::relu), no_params);
  auto packed = pack_weights(kern.gemm, k, n, w.data());
  DenseForward f{m, k, n, x.data(), nullptr, packed.get(), b.data(), relu, y.data(), nullptr};
  dense_forward(kern.gemm, f);  // y for the backward from the output
  DenseBackward bw{m, k, n, x.data(), w.data(), dy.data(), y.data(), true, relu, dx.data(), dw.data(), db.data(), false};

  // The two products of the backward as dense_backward builds them (large m), dZ = dy.
  gemm::Problem gdx{};
  gdx.M = m, gdx.N = k, gdx.K = n;
  gdx.a = gemm::Strided{dy.data(), n, 1};
  gdx.b = gemm::Strided{w.data(), 1, n};
  gdx.c = dx.data(), gdx.ldc = k;
  gemm::Problem gdw{};
  gdw.M = k, gdw.N = n, gdw.K = m;
  gdw.a = gemm::Strided{x.data(), 1, k};
  gdw.b = gemm::Strided{dy.data(), n, 1};
  gdw.c = dw.data(), gdw.ldc = n;
  auto product = [&](const gemm::Problem& g) {
    CallScope scope;
    gemm::run_gemm(scope.rt(), kern.gemm, g);
  };
  std::vector<float> panel(std::max<size_t>(k, n) * kern.gemm.nr * ((std::max(k, n) + kern.gemm.nr - 1) / kern.gemm.nr));
  auto pack_wt = [&] {  // W^T's panels, all of them (the dx product's B pack), on one thread
    for (size_t j = 0; j < k; j += kern.gemm.nr)
      gemm::pack_b_panel(gdx.b, n, j, std::min<size_t>(kern.gemm.nr, k - j), kern.gemm.nr, panel.data() + j * n);
  };

  if (!only.empty()) {  // one phase in a loop for ~3 s, for a profiler
    std::function<void()> fn;
    if (only == "forward") fn = [&] { dense_forward(kern.gemm, f); };
    else if (only == "backward") fn = [&] { dense_backward(kern.gemm, kern.act, bw); };
    else if (only == "dx") fn = [&] { product(gdx); };
    else fn = [&] { product(gdw); };
    const auto t0 = std::chrono::steady_clock::now();
    long calls = 0;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 3) fn(), ++calls;
    std::printf("%s: %ld calls\n", only.c_str(), calls);
    return;
  }
  std::vector<float> dz(m * n);
  const double tact = best_us([&] { kern.act.backward_from_output(relu, y.data(), dy.data(), dz.data(), m * n); }, reps);
  const double tsum = best_us([&] {
    for (size_t i = 0; i < m; ++i) {
      const float* row = dz.data() + i * n;
      float* d = db.data();
      for (size_t j = 0; j < n; ++j) d[j] += row[j];
    }
  }, reps);
  std::printf("derivative alone %.1f us, column sums alone %.1f us\n", tact, tsum);
  const double fwd = best_us([&] { dense_forward(kern.gemm, f); }, reps);
  const double bwd = best_us([&] { dense_backward(kern.gemm, kern.act, bw); }, reps);
  const bool gemm_path = m > kDotMaxRows;
  const double pdx = gemm_path ? best_us([&] { product(gdx); }, reps) : 0;
  const double pdw = gemm_path && !(k <= kRankMaxDim && n <= kRankMaxDim) ? best_us([&] { product(gdw); }, reps) : 0;
  const double pwt = gemm_path ? best_us(pack_wt, reps) : 0;
  const double gf = 2.0 * m * k * n / 1e3;  // MFLOP per product: GFLOP/s = gf / us
  std::printf("%zux%zux%zu threads %d: forward %.1f us (%.1f GFLOP/s)  backward %.1f us (%.1f GFLOP/s)", m, k, n,
              get_threads(), fwd, gf / fwd, bwd, 2 * gf / bwd);
  if (gemm_path)
    std::printf("  dx product %.1f us (%.1f)  dW product %.1f us (%.1f)  rest %.1f us  [W^T pack alone, 1 thread %.1f us]",
                pdx, gf / pdx, pdw, pdw > 0 ? gf / pdw : 0.0, bwd - pdx - pdw, pwt);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  Isa isa = current_isa();
  int threads = 1, reps = 7;
  std::string only;
  std::vector<Shape> shapes;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--isa" && i + 1 < argc) {
      if (!isa_from_name(argv[++i], &isa)) {
        std::fprintf(stderr, "dense_phases: unknown tier '%s'\n", argv[i]);
        return 2;
      }
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
      if (only != "forward" && only != "backward" && only != "dx" && only != "dw") {
        std::fprintf(stderr, "dense_phases: --only takes forward, backward, dx or dw\n");
        return 2;
      }
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else {
      Shape s;
      if (!parse_shape(argv[i], s)) {
        std::fprintf(stderr, "usage: dense_phases [--isa avx512|avx2|scalar] [--threads N] [--reps R] [--only forward|backward|dx|dw] MxKxN ...\n");
        return 2;
      }
      shapes.push_back(s);
    }
  }
  if (shapes.empty()) shapes = {{512, 512, 512}, {2048, 256, 256}, {256, 64, 64}};
  if (!set_isa(isa)) {
    std::fprintf(stderr, "dense_phases: this CPU does not run the requested tier\n");
    return 2;
  }
  set_threads(threads);
  for (const Shape& s : shapes) run_shape(kernels(), s, reps, only);
  return 0;
}
