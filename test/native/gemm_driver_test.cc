// Native check of the fused dense kernels, independent of Node: every tier this CPU runs (and the
// NEON tier when cross-built for aarch64 and run under qemu) against naive loops that spell out
// the arithmetic contract (one std::fma chain per output in k order from 0, + bias, the scalar
// activation), compared bit for bit, for several thread counts.
//
// Build: see test/native/run_neon_gemm.sh (aarch64) or
//   g++ -O2 -std=c++17 -ffp-contract=off -Inative test/native/gemm_driver_test.cc <native sources>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dispatch.h"
#include "kernels/dense/dense.h"

using namespace smelu;

// One std::fma chain over j in order from 0 (the GEMM contract).
static float chain_dot(const float* a, const float* b, size_t n) {
  float acc = 0.0f;
  for (size_t j = 0; j < n; ++j) acc = std::fma(a[j], b[j], acc);
  return acc;
}

// The small-m dx order: 16 lanes, lane l the chain over j = l, l + 16, ... (0 * 0 past n, up to a
// multiple of 16), then lane l + 8 added to lane l, then + 4, + 2, + 1.
static float lane_dot(const float* a, const float* b, size_t n) {
  float s[16];
  for (size_t l = 0; l < 16; ++l) {
    s[l] = 0.0f;
    for (size_t j = l; j < (n + 15) / 16 * 16; j += 16) s[l] = j < n ? std::fma(a[j], b[j], s[l]) : std::fma(0.0f, 0.0f, s[l]);
  }
  for (size_t half = 8; half >= 1; half /= 2)
    for (size_t l = 0; l < half; ++l) s[l] = s[l] + s[l + half];
  return s[0];
}

namespace {

int failures = 0, checks = 0;

std::vector<float> random_vec(size_t n, std::mt19937& g) {
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b, size_t* where) {
  for (size_t i = 0; i < a.size(); ++i) {
    uint32_t x, y;
    std::memcpy(&x, &a[i], 4);
    std::memcpy(&y, &b[i], 4);
    if (x != y) {
      *where = i;
      return false;
    }
  }
  return true;
}

void expect_same(const char* what, const std::string& ctx, const std::vector<float>& got,
                 const std::vector<float>& want) {
  ++checks;
  size_t i = 0;
  if (same_bits(got, want, &i)) return;
  ++failures;
  if (failures <= 20)
    std::printf("FAIL %s %s: [%zu] got %.9g want %.9g\n", what, ctx.c_str(), i, got[i], want[i]);
}

void expect_true(const char* what, bool ok) {
  ++checks;
  if (ok) return;
  ++failures;
  std::printf("FAIL %s\n", what);
}

ActParams act(int kind) {
  const double raw[5] = {0.75, 1.0, 1.0, 0.5, 0.0};
  return make_act_params(kind, raw);
}

struct Case {
  size_t m, k, n;
};

struct Reference {
  std::vector<float> z, y, dz, dx, dw, db;
};

Reference reference(const Case& c, const std::vector<float>& x, const std::vector<float>& w,
                    const std::vector<float>* b, const std::vector<float>& dy,
                    const std::vector<float>& dw0, const std::vector<float>& db0, bool accumulate,
                    const ActParams& p) {
  Reference r;
  const size_t m = c.m, k = c.k, n = c.n;
  r.z.assign(m * n, 0.0f);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      float acc = 0.0f;
      for (size_t q = 0; q < k; ++q) acc = std::fma(x[i * k + q], w[q * n + j], acc);
      r.z[i * n + j] = b ? acc + (*b)[j] : acc;
    }
  r.y.assign(m * n, 0.0f);
  act_kernels_scalar.forward(p, r.z.data(), r.y.data(), m * n);
  r.dz.assign(m * n, 0.0f);
  act_kernels_scalar.backward(p, r.z.data(), dy.data(), r.dz.data(), m * n);
  r.dx.assign(m * k, 0.0f);
  for (size_t i = 0; i < m; ++i)
    for (size_t q = 0; q < k; ++q) r.dx[i * k + q] = m <= kDotMaxRows ? lane_dot(&r.dz[i * n], &w[q * n], n) : chain_dot(&r.dz[i * n], &w[q * n], n);
  r.dw.assign(k * n, 0.0f);
  for (size_t q = 0; q < k; ++q)
    for (size_t j = 0; j < n; ++j) {
      float acc = accumulate ? dw0[q * n + j] : 0.0f;
      for (size_t i = 0; i < m; ++i) acc = std::fma(x[i * k + q], r.dz[i * n + j], acc);
      r.dw[q * n + j] = acc;
    }
  r.db.assign(n, 0.0f);
  for (size_t j = 0; j < n; ++j) {
    float acc = accumulate ? db0[j] : 0.0f;
    for (size_t i = 0; i < m; ++i) acc += r.dz[i * n + j];
    r.db[j] = acc;
  }
  return r;
}

void check_case(Isa isa, const Case& c, int kind, bool bias, bool accumulate, int threads,
                std::mt19937& g) {
  const size_t m = c.m, k = c.k, n = c.n;
  const ActParams p = act(kind);
  auto x = random_vec(m * k, g), w = random_vec(k * n, g), bv = random_vec(n, g), dy = random_vec(m * n, g);
  auto dw0 = random_vec(k * n, g), db0 = random_vec(n, g);
  const Reference r = reference(c, x, w, bias ? &bv : nullptr, dy, dw0, db0, accumulate, p);
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s m=%zu k=%zu n=%zu act=%d bias=%d acc=%d threads=%d", isa_name(isa), m, k, n,
                kind, bias, accumulate, threads);
  const std::string ctx = buf;
  set_threads(threads);
  const IsaKernels& tier = kernels(isa);

  std::vector<float> y(m * n, NAN), z(m * n, NAN);
  dense_forward(tier.gemm, DenseForward{m, k, n, x.data(), w.data(), nullptr, bias ? bv.data() : nullptr, p, y.data(), z.data()});
  expect_same("forward z", ctx, z, r.z);
  expect_same("forward y", ctx, y, r.y);

  auto packed = pack_weights(tier.gemm, k, n, w.data());
  std::vector<float> y2(m * n, NAN);
  dense_forward(tier.gemm, DenseForward{m, k, n, x.data(), nullptr, packed.get(), bias ? bv.data() : nullptr, p, y2.data(), nullptr});
  expect_same("forward packed y", ctx, y2, r.y);

  std::vector<float> dx(m * k, NAN), dw = dw0, db = db0;
  if (!accumulate) {
    std::fill(dw.begin(), dw.end(), NAN);
    std::fill(db.begin(), db.end(), NAN);
  }
  dense_backward(tier.gemm, tier.act, DenseBackward{m, k, n, x.data(), w.data(), dy.data(), r.z.data(), false, p,
                                                        dx.data(), dw.data(), db.data(), accumulate});
  expect_same("backward dx", ctx, dx, r.dx);
  expect_same("backward dW", ctx, dw, r.dw);
  expect_same("backward db", ctx, db, r.db);
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  std::mt19937 g(12345);
  const std::vector<Case> cases = quick
      ? std::vector<Case>{{1, 7, 40}, {3, 17, 33}, {16, 64, 64}, {17, 300, 13}, {30, 600, 70}, {70, 33, 50}, {0, 5, 3}, {4, 0, 5}}
      : std::vector<Case>{{1, 1, 1},    {1, 512, 512}, {2, 33, 130},  {3, 17, 200}, {5, 64, 31},
                          {14, 13, 32}, {15, 100, 33}, {16, 64, 64},  {17, 300, 13}, {29, 1100, 47},
                          {64, 255, 96}, {100, 513, 129}, {200, 40, 300}, {70, 33, 50}, {256, 64, 64}, {0, 5, 3},
                          {4, 0, 5},    {6, 7, 0}};
  const int kinds = static_cast<int>(ActKind::count);
  for (Isa isa : supported_isas()) {
    size_t i = 0;
    for (const Case& c : cases) {
      for (int threads : {1, 2, 3}) {
        const int kind = static_cast<int>((i * 7 + threads) % kinds);
        check_case(isa, c, kind, (i + threads) % 2 == 0, (i + threads) % 3 == 0, threads, g);
      }
      ++i;
    }
    // Every activation at one shape with edges in every direction.
    for (int kind = 0; kind < kinds; ++kind) check_case(isa, Case{19, 70, 45}, kind, true, false, 2, g);
  }
  // More threads than the pool once used at most (64), on a product big enough to give each one
  // work: the same bits, and the count set is the count reported.
  check_case(supported_isas().back(), Case{300, 700, 700}, 2, true, true, 100, g);
  expect_true("get_threads after set_threads(100)", get_threads() == 100);
  std::printf("%d checks, %d failed (tiers:", checks, failures);
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf(")\n");
  std::printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
