// Native test driver for the activation kernels, independent of Node. For every activation and a
// few parameter sets, on ~10^5 random inputs plus the dense grid and the edge points:
//   - every SIMD tier built into this binary against the scalar tier, bitwise (NaN = both NaN),
//     forward, backward, and backward from the output for relu / smelu, also on unaligned
//     sub-arrays of odd lengths, in place, and at a size that takes the non-temporal store path;
//   - the scalar tier against a float64 reference (straight from docs/activations.md, libm in
//     double) within |y - ref| <= 1e-6 max(1, |ref|), with NaN -> NaN and the limits at +-inf.
// Prints the worst scaled error per activation, then "N passed, N failed"; exits 1 on a failure.
// Built for aarch64 and run under qemu by run_neon.sh (NEON vs scalar), natively by run_native.sh
// (AVX2 and AVX-512 vs scalar, as far as this CPU has them).
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/act/act.h"

using namespace smelu;

namespace {

struct Tier {
  const char* name;
  const ActKernels* k;
};

std::vector<Tier> simd_tiers() {
  std::vector<Tier> t;
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) t.push_back({"avx2", &act_kernels_avx2});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    t.push_back({"avx512", &act_kernels_avx512});
#elif defined(__aarch64__)
  t.push_back({"neon", &act_kernels_neon});
#endif
  return t;
}

// ---------------------------------------------------------------- float64 reference

const char* kKindNames[] = {"identity", "relu", "smelu", "gsmelu", "rescu2", "gelu",
                            "gelu_tanh", "swish", "softplus", "sigmoid"};

double sigmoid(double u) {
  if (u >= 0) return 1 / (1 + std::exp(-u));
  const double e = std::exp(u);
  return e / (1 + e);
}
double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double clamp01(double u) { return u <= 0 ? 0 : u >= 1 ? 1 : u; }
const double kGeluK = std::sqrt(2 / M_PI), kGeluC = 0.044715;

double ref_gsmelu(double x, const double* p) {
  const double gn = p[0], gp = p[1], a = p[2], b = p[3], t = p[4];
  if (x == -INFINITY) return gn == 0 ? t : gn > 0 ? -INFINITY : INFINITY;
  if (x == INFINITY) return gp == 0 ? t + gn * (b - a) / 2 : gp > 0 ? INFINITY : -INFINITY;
  if (x >= b) return t + gp * x - (gp - gn) * (b - a) / 2;  // the same line, without cancellation
  const double r = x <= -a ? 0 : (x + a) * (x + a) / (2 * (a + b));
  return t + gn * x + (gp - gn) * r;
}

double ref_forward(ActKind kind, const double* p, double x) {
  if (std::isnan(x)) return NAN;
  const bool inf = std::isinf(x);
  switch (kind) {
    case ActKind::identity: return x;
    case ActKind::relu: return x > 0 ? x : 0;
    case ActKind::smelu: {
      const double b = p[0];
      if (b == 0) return x > 0 ? x : 0;
      return x <= -b ? 0 : x >= b ? x : (x + b) * (x + b) / (4 * b);
    }
    case ActKind::gsmelu: return ref_gsmelu(x, p);
    case ActKind::rescu2: {
      const double b = p[0];
      if (x <= -b) return 0;
      if (x <= 0) return std::pow(x + b, 3) / (6 * b * b);
      if (x < b) return x + std::pow(b - x, 3) / (6 * b * b);
      return x;
    }
    case ActKind::gelu: return inf ? (x > 0 ? x : 0) : x * normal_cdf(x);
    case ActKind::gelu_tanh:
      return inf ? (x > 0 ? x : 0) : x * sigmoid(2 * kGeluK * (x + kGeluC * x * x * x));
    case ActKind::swish: return inf ? (x > 0 ? x : 0) : x * sigmoid(p[0] * x);
    case ActKind::softplus: {
      const double u = p[0] * x;
      if (u > p[1]) return x;
      if (u == -INFINITY) return 0;
      return (std::fmax(u, 0) + std::log1p(std::exp(-std::fabs(u)))) / p[0];
    }
    case ActKind::sigmoid: return sigmoid(x);
    default: return NAN;
  }
}

double ref_derivative(ActKind kind, const double* p, double x) {
  if (std::isnan(x)) return NAN;
  const bool inf = std::isinf(x);
  switch (kind) {
    case ActKind::identity: return 1;
    case ActKind::relu: return x > 0 ? 1 : 0;
    case ActKind::smelu: return p[0] == 0 ? (x > 0 ? 1 : 0) : clamp01((x + p[0]) / (2 * p[0]));
    case ActKind::gsmelu: {
      const double gn = p[0], gp = p[1], a = p[2], b = p[3];
      if (x <= -a) return gn;
      if (x >= b) return gp;
      return gn + (gp - gn) * clamp01((x + a) / (a + b));
    }
    case ActKind::rescu2: {
      const double b = p[0];
      if (x <= -b) return 0;
      if (x <= 0) return (x + b) * (x + b) / (2 * b * b);
      if (x < b) return 1 - (b - x) * (b - x) / (2 * b * b);
      return 1;
    }
    case ActKind::gelu:
      return inf ? (x > 0 ? 1 : 0) : normal_cdf(x) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    case ActKind::gelu_tanh: {
      if (inf) return x > 0 ? 1 : 0;
      const double u2 = 2 * kGeluK * (x + kGeluC * x * x * x);
      const double s = sigmoid(u2);
      return s + x * s * sigmoid(-u2) * 2 * kGeluK * (1 + 3 * kGeluC * x * x);
    }
    case ActKind::swish: {
      if (inf) return x > 0 ? 1 : 0;
      const double u = p[0] * x, s = sigmoid(u);
      return s + u * s * sigmoid(-u);
    }
    case ActKind::softplus: {
      const double u = p[0] * x;
      return u > p[1] ? 1 : sigmoid(u);
    }
    case ActKind::sigmoid: return sigmoid(x) * sigmoid(-x);
    default: return NAN;
  }
}

// f' from y = f(x) for relu / smelu, as a function of the given y.
double ref_from_output(ActKind kind, const double* p, double y) {
  if (std::isnan(y)) return NAN;
  const double b = kind == ActKind::relu ? 0 : p[0];
  if (y <= 0) return 0;
  if (y >= b) return 1;
  return std::sqrt(y / b);
}

// The spec's bound in units of max(1, |ref|); a reference beyond float32 must be matched exactly
// by what it rounds to.
double scaled_error(float got, double ref) {
  if (std::isnan(ref)) return std::isnan(got) ? 0 : INFINITY;
  if (std::isnan(got)) return INFINITY;
  const float rounded = static_cast<float>(ref);
  if (std::isinf(rounded)) return got == rounded ? 0 : INFINITY;
  if (std::isinf(got)) return INFINITY;
  return std::fabs(got - ref) / std::fmax(1, std::fabs(ref));
}

// ---------------------------------------------------------------- inputs

struct Rng {
  uint64_t s;
  uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<uint32_t>(s >> 11);
  }
  double uniform() { return next() / 4294967296.0; }
};

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

std::vector<double> knots(ActKind kind, const double* p) {
  switch (kind) {
    case ActKind::smelu:
    case ActKind::rescu2: return {-p[0], 0, p[0]};
    case ActKind::gsmelu: return {-p[2], p[3], (p[3] - p[2]) / 2, p[2], -p[3]};
    case ActKind::softplus: return {p[1] / p[0], -p[1] / p[0]};
    case ActKind::swish: return {-89 / p[0], 88 / p[0], 0};
    case ActKind::gelu: return {0, 5.6, -5.6, 6.0, -6.0};
    case ActKind::gelu_tanh: return {0, 11, -11, 10, -10};
    default: return {0};
  }
}

std::vector<float> inputs(ActKind kind, const double* p, uint64_t seed) {
  std::vector<float> x;
  for (int i = 0; i <= 60 * 256; ++i) x.push_back(static_cast<float>(-30 + i / 256.0));
  const std::vector<double> ks = knots(kind, p);
  double lo = 0, hi = 0;
  for (double k : ks) lo = std::fmin(lo, k), hi = std::fmax(hi, k);
  lo -= 1, hi += 1;
  Rng r{seed * 0x9E3779B97F4A7C15ull + 1};
  for (int i = 0; i < 100000; ++i) {
    switch (i % 4) {
      case 0: x.push_back(static_cast<float>(-30 + 60 * r.uniform())); break;
      case 1: x.push_back(static_cast<float>(lo + (hi - lo) * r.uniform())); break;
      case 2: x.push_back(static_cast<float>((r.next() & 1 ? -1 : 1) * std::pow(10.0, -45 + 83.5 * r.uniform()))); break;
      default: x.push_back(from_bits(r.next())); break;  // any bit pattern: NaNs, infs, denormals
    }
  }
  const double mags[] = {0, 1.4e-45, 1e-40, 1.1754942e-38, 1.1754944e-38, 1e-30, 1e-7, 0.5, 1, 5, 5.5, 6,
                         10, 11, 20, 87.3, 87.7, 88, 88.38, 88.72, 89, 90, 100, 104, 1e4, 1e10, 1e19,
                         2e19, 1e30, 1e38, FLT_MAX, INFINITY};
  for (double m : mags) x.push_back(static_cast<float>(m)), x.push_back(static_cast<float>(-m));
  for (double k : ks) {
    const float f = static_cast<float>(k);
    if (!std::isfinite(f)) continue;
    for (float v : {f, -f}) {
      x.push_back(v);
      x.push_back(std::nextafter(v, INFINITY));
      x.push_back(std::nextafter(v, -INFINITY));
    }
  }
  x.push_back(NAN);
  x.push_back(-NAN);
  x.push_back(from_bits(0x7fc00001u));
  return x;
}

// ---------------------------------------------------------------- checks

int g_passed = 0, g_failed = 0;

void report(bool ok, const std::string& what, const std::string& detail) {
  (ok ? g_passed : g_failed)++;
  if (!ok) std::printf("FAIL %s: %s\n", what.c_str(), detail.c_str());
}

bool same_bits(float a, float b) { return (std::isnan(a) && std::isnan(b)) || to_bits(a) == to_bits(b); }

// First mismatch of got against want, or -1.
long first_mismatch(const std::vector<float>& got, const std::vector<float>& want) {
  for (size_t i = 0; i < got.size(); ++i)
    if (!same_bits(got[i], want[i])) return static_cast<long>(i);
  return -1;
}

std::string mismatch_detail(long i, const std::vector<float>& x, const std::vector<float>& got,
                            const std::vector<float>& want) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "x[%ld] = %.9g (0x%08x): got %.9g (0x%08x), scalar %.9g (0x%08x)", i, x[i],
                to_bits(x[i]), got[i], to_bits(got[i]), want[i], to_bits(want[i]));
  return buf;
}

enum Mode { kForward, kBackward, kFromOutput };
const char* kModeNames[] = {"forward", "backward", "from_output"};

void run(const ActKernels& k, Mode m, const ActParams& ap, const float* a, const float* b, float* out, size_t n) {
  if (m == kForward) k.forward(ap, a, out, n);
  else if (m == kBackward) k.backward(ap, a, b, out, n);
  else k.backward_from_output(ap, a, b, out, n);
}

struct Case {
  ActKind kind;
  std::vector<double> p;
};

std::string label(const Case& c) {
  std::string s = kKindNames[static_cast<int>(c.kind)];
  s += "(";
  for (size_t i = 0; i < c.p.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%g", i ? "," : "", c.p[i]);
    s += buf;
  }
  return s + ")";
}

// Scalar against the float64 reference (dy = 1); returns the worst scaled error.
double check_reference(const Case& c, const double* raw, const ActParams& ap, Mode m, const std::vector<float>& x) {
  const size_t n = x.size();
  std::vector<float> ones(n, 1.0f), got(n);
  run(act_kernels_scalar, m, ap, x.data(), ones.data(), got.data(), n);
  double worst = 0;
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    const double ref = m == kForward ? ref_forward(c.kind, raw, x[i])
                       : m == kBackward ? ref_derivative(c.kind, raw, x[i])
                                        : ref_from_output(c.kind, raw, x[i]);
    const double e = scaled_error(got[i], ref);
    if (e > worst || std::isnan(e)) worst = e, at = i;
  }
  char buf[240];
  const double ref = m == kForward ? ref_forward(c.kind, raw, x[at])
                     : m == kBackward ? ref_derivative(c.kind, raw, x[at])
                                      : ref_from_output(c.kind, raw, x[at]);
  std::snprintf(buf, sizeof buf, "worst scaled error %.3g at x = %.9g: got %.9g, ref %.12g", worst, x[at], got[at], ref);
  report(worst <= 1e-6, label(c) + " " + kModeNames[m] + " scalar vs float64", buf);
  return worst;
}

// A SIMD tier against scalar: whole array, odd unaligned sub-arrays, in place.
void check_tier(const Tier& t, const Case& c, const ActParams& ap, Mode m, const std::vector<float>& x,
                const std::vector<float>& dy) {
  const size_t n = x.size();
  std::vector<float> want(n), got(n);
  run(act_kernels_scalar, m, ap, x.data(), dy.data(), want.data(), n);
  run(*t.k, m, ap, x.data(), dy.data(), got.data(), n);
  const std::string what = label(c) + " " + kModeNames[m] + " " + t.name + " vs scalar";
  long bad = first_mismatch(got, want);
  report(bad < 0, what, bad < 0 ? "" : mismatch_detail(bad, x, got, want));

  // Sub-arrays at every offset 1..3 and odd lengths: same bits element by element.
  bool ok = true;
  std::string detail;
  for (size_t off = 1; off <= 3 && ok; ++off) {
    for (size_t len : {size_t(0), size_t(1), size_t(15), size_t(17), size_t(63), size_t(1001)}) {
      std::vector<float> sub(len + 4, -7.0f);
      run(*t.k, m, ap, x.data() + off, dy.data() + off, sub.data() + off, len);
      for (size_t i = 0; i < len && ok; ++i)
        if (!same_bits(sub[off + i], want[off + i])) ok = false, detail = "offset " + std::to_string(off) + " length " + std::to_string(len);
      if (sub[off + len] != -7.0f || sub[off - 1] != -7.0f) ok = false, detail = "wrote outside the output";
    }
  }
  report(ok, what + " (sub-arrays)", detail);

  // In place over the first input.
  std::vector<float> inplace(x);
  run(*t.k, m, ap, inplace.data(), dy.data(), inplace.data(), n);
  bad = first_mismatch(inplace, want);
  report(bad < 0, what + " (in place)", bad < 0 ? "" : mismatch_detail(bad, x, inplace, want));
}

// Sizes past the non-temporal store threshold, at an odd offset: same bits as the scalar tier.
void check_streaming(const Tier& t) {
  const size_t n = (size_t(1) << 22) + 5;
  std::vector<float> x(n + 1), dy(n + 1), want(n + 1), got(n + 1);
  Rng r{77};
  for (size_t i = 0; i < n + 1; ++i) x[i] = static_cast<float>(-8 + 16 * r.uniform()), dy[i] = static_cast<float>(r.uniform());
  for (int kind : {2, 5, 7}) {
    const double raw[5] = {1, 20, 0, 0, 0};
    const ActParams ap = make_act_params(kind, raw);
    for (Mode m : {kForward, kBackward}) {
      run(act_kernels_scalar, m, ap, x.data() + 1, dy.data() + 1, want.data() + 1, n);
      run(*t.k, m, ap, x.data() + 1, dy.data() + 1, got.data() + 1, n);
      const long bad = first_mismatch(got, want);
      report(bad < 0, std::string(kKindNames[kind]) + " " + kModeNames[m] + " " + t.name + " streaming size",
             bad < 0 ? "" : mismatch_detail(bad, x, got, want));
    }
  }
}

std::vector<Case> cases() {
  return {
      {ActKind::identity, {}},
      {ActKind::relu, {}},
      {ActKind::smelu, {1}},
      {ActKind::smelu, {0.5}},
      {ActKind::smelu, {0.1}},
      {ActKind::smelu, {3}},
      {ActKind::smelu, {0}},
      {ActKind::gsmelu, {0, 1, 1, 1, 0}},
      {ActKind::gsmelu, {0.1, 1, 0.5, 2, 0}},
      {ActKind::gsmelu, {-0.2, 1.5, 1, 0.5, 0.3}},
      {ActKind::gsmelu, {0.5, 0, 1, 1, -1}},
      {ActKind::gsmelu, {0, 1, 2, -1, 0}},
      {ActKind::rescu2, {1}},
      {ActKind::rescu2, {0.5}},
      {ActKind::rescu2, {3}},
      {ActKind::gelu, {}},
      {ActKind::gelu_tanh, {}},
      {ActKind::swish, {1}},
      {ActKind::swish, {0.5}},
      {ActKind::swish, {2}},
      {ActKind::swish, {10}},
      {ActKind::softplus, {1, 20}},
      {ActKind::softplus, {2, 20}},
      {ActKind::softplus, {0.5, 5}},
      {ActKind::softplus, {0.1, 20}},
      {ActKind::sigmoid, {}},
  };
}

}  // namespace

// Backward from the output of a kind without it (the addon refuses those): NaN on every tier,
// never a plausible relu gradient.
void check_no_backward_from_output(const char* tier, const ActKernels& k) {
  const double raw[5] = {0, 0, 0, 0, 0};
  const ActParams ap = make_act_params(static_cast<int>(ActKind::gelu), raw);
  std::vector<float> y(37, 0.5f), dy(37, 1.0f), dz(37, 0.0f);
  k.backward_from_output(ap, y.data(), dy.data(), dz.data(), y.size());
  bool all_nan = true;
  for (float v : dz) all_nan = all_nan && std::isnan(v);
  report(all_nan, std::string("gelu backward from the output is NaN on ") + tier, "");
}

int main() {
  const std::vector<Tier> tiers = simd_tiers();
  check_no_backward_from_output("scalar", act_kernels_scalar);
  for (const Tier& t : tiers) check_no_backward_from_output(t.name, *t.k);
  std::printf("tiers compared with scalar:");
  for (const Tier& t : tiers) std::printf(" %s", t.name);
  std::printf("\n%-28s %-12s %s\n", "activation", "mode", "worst |y-ref|/max(1,|ref|), scalar");
  uint64_t seed = 1;
  for (const Case& c : cases()) {
    double raw[5] = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < c.p.size(); ++i) raw[i] = c.p[i];
    const ActParams ap = make_act_params(static_cast<int>(c.kind), raw);
    const std::vector<float> x = inputs(c.kind, raw, seed++);
    std::vector<float> dy(x.size());
    Rng r{seed * 31};
    for (float& d : dy) d = static_cast<float>(4 * r.uniform() - 2);
    const bool from_output = has_backward_from_output(c.kind);
    for (Mode m : {kForward, kBackward, kFromOutput}) {
      if (m == kFromOutput && !from_output) continue;
      const double worst = check_reference(c, raw, ap, m, x);
      std::printf("%-28s %-12s %.3g\n", label(c).c_str(), kModeNames[m], worst);
      for (const Tier& t : tiers) check_tier(t, c, ap, m, x, dy);
    }
  }
  for (const Tier& t : tiers) check_streaming(t);
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed ? 1 : 0;
}
