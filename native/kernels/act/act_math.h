// The activation formulas, written once against the Vec interface (kernels/simd/vec_*.h).
// Each tier instantiates them with its own Vec type; the operations and their order are the same
// everywhere, so every tier gives the same bits. Include only from a per-ISA translation unit (or
// with VecScalar: act_params.cc).
//
// Each activation is a struct with:
//   explicit A(const ActParams&)         loads the constants into registers once
//   F forward(F x) const                 f(x)
//   F backward(F z, F dy) const          dy * f'(z)
// and, for relu and smelu, F backward_from_output(F y, F dy) const; a kind with derived constants
// also has static void derive(ActParams&, const double* raw), which make_act_params calls once in
// double precision, so that every tier computes with the very same floats.
// dispatch_activation<V>(params, fn) (end of file) calls fn with the struct of params.kind.
//
// Recurring devices:
// - max(c, x) / min(c, x) with x second keep NaN (the tiers return the second operand on NaN).
// - Infinite inputs are clamped to finite ones where a formula would otherwise form inf * 0.
// - Sigmoids use exp of a clamped argument (math/exp.h) whose saturation to 0 / inf gives
//   exact limits: 1 / (1 + inf) = 0.
#pragma once
#include <cfloat>
#include <cmath>
#include <type_traits>

#include "../math/exp.h"
#include "../math/gauss.h"
#include "../math/log1p.h"
#include "../simd/inline.h"
#include "act.h"

namespace smelu {

// ---- helpers of the derive functions (double precision, rounded once) ----

// A reciprocal that would overflow float32 saturates instead (only for parameters below ~3e-39,
// where the activation is a step to float precision anyway).
static inline float finite_inverse(double v) { return static_cast<float>(std::fmin(1.0 / v, FLT_MAX)); }

// For ExpScaled's e^(c x), c = -beta < 0: out[0] = c log2(e), and [out[1], out[2]] the x range where
// c x is in [kExpLo, kExpHi] = [-127, 128] ln 2 (at its left end e^(c x) is +inf, at its right
// end 0).
static inline void derive_exp_scaled(float* out, double c) {
  out[0] = static_cast<float>(c * M_LOG2E);
  out[1] = static_cast<float>(std::fmax(kExpHi / c, -FLT_MAX));
  out[2] = static_cast<float>(std::fmin(kExpLo / c, FLT_MAX));
}

template <class V>
struct IdentityAct {
  using F = typename V::F;
  explicit IdentityAct(const ActParams&) {}
  SMELU_INLINE F forward(F x) const { return x; }
  // dy * 1, but NaN in z must still give NaN.
  SMELU_INLINE F backward(F z, F dy) const { return V::select(V::is_nan(z), z, dy); }
};

template <class V>
struct ReluAct {
  using F = typename V::F;
  F zero = V::zero();
  explicit ReluAct(const ActParams&) {}
  // max(0, x): x in the second operand, so NaN propagates.
  SMELU_INLINE F forward(F x) const { return V::max(zero, x); }
  // f'(z) = 1 for z > 0 else 0 (0 at z = 0). The other branch is dy * max(0, z): 0 for z <= 0, NaN
  // for NaN z, and NaN for a NaN (or infinite) dy as dy * f'(z) is in the spec and the other
  // backends (a plain 0 there dropped a NaN gradient).
  SMELU_INLINE F backward(F z, F dy) const { return V::select(V::gt(z, zero), dy, V::mul(dy, V::max(zero, z))); }
  SMELU_INLINE F backward_from_output(F y, F dy) const { return backward(y, dy); }
};

template <class V>
struct SmeluAct {
  using F = typename V::F;
  F zero = V::zero(), one = V::set1(1.0f), half = V::set1(0.5f), beta, two_beta, inv2b, invb, inv4b;
  // c0 = 1/(2 beta), c1 = 1/beta, c2 = 1/(4 beta). beta = 0 (or a beta whose 1/(2 beta) overflows
  // float32) is exactly ReLU, as docs/activations.md requires: no division by zero.
  static void derive(ActParams& a, const double* raw) {
    const double beta = raw[0];
    const float inv2b = static_cast<float>(0.5 / beta);
    if (!(beta > 0) || !std::isfinite(inv2b)) {
      a.kind = ActKind::relu;
      return;
    }
    a.c[0] = inv2b;
    a.c[1] = static_cast<float>(1.0 / beta);
    a.c[2] = static_cast<float>(0.25 / beta);
  }
  explicit SmeluAct(const ActParams& a)
      : beta(V::set1(a.p[0])), two_beta(V::set1(2 * a.p[0])), inv2b(V::set1(a.c[0])), invb(V::set1(a.c[1])),
        inv4b(V::set1(a.c[2])) {}
  // f = max(0, x) + (beta - min(|x|, beta))^2 / (4 beta): the same function (the correction is
  // symmetric in x and vanishes for |x| >= beta), in 5 operations of which 3 (vrangeps, sub, max)
  // run on the add pipes. NaN reaches f through max(0, x); abs_min maps NaN to beta.
  // The clamp form (V::kSmeluClampForm; SIMD128, which has neither fma nor a one-instruction
  // abs): f = max(u^2 / (4 beta), x) with u = clamp(x + beta, 0, 2 beta), since u^2 / (4 beta) is
  // 0 left of -beta, at least x inside [-beta, beta] ((x + beta)^2 - 4 beta x = (x - beta)^2) and
  // beta <= x right of it. NaN reaches f through the last max (x second).
  SMELU_INLINE F forward(F x) const {
    if constexpr (V::kSmeluClampForm) {
      const F u = V::clamp_to(V::add(x, beta), two_beta);
      return V::max(V::mul(V::mul(u, inv4b), u), x);
    } else {
      const F e = V::sub(beta, V::abs_min(x, beta));
      return V::fma(V::mul(e, inv4b), e, V::max(zero, x));
    }
  }
  // f'(z) = clamp((z + beta) / (2 beta), 0, 1).
  SMELU_INLINE F backward(F z, F dy) const {
    F m = V::min(one, V::max(zero, V::fma(z, inv2b, half)));
    return V::mul(dy, m);
  }
  // From y: f' = sqrt(clamp(y / beta, 0, 1)) (0 for y <= 0, 1 for y >= beta).
  SMELU_INLINE F backward_from_output(F y, F dy) const {
    F r = V::min(one, V::max(zero, V::mul(y, invb)));
    return V::mul(dy, V::sqrt(r));
  }
};

// Left of beta: f = t + gNeg x + (gPos - gNeg) R(x) with the unit ramp R = m (u - W m / 2),
// u = max(0, x + alpha), m = min(1, u / W), W = alpha + beta (exact 0 left of -alpha). Right of
// beta the line f = gPos x + c_r itself: the ramp form would cancel there (gPos = 0 leaves
// t + (0.5 x - 0.5 x)). At +-inf a zero slope would form 0 * inf: x is capped to a finite value on
// a side whose slope is 0 (caps from act_params.cc; they change nothing else).
template <class V>
struct GsmeluAct {
  using F = typename V::F;
  F zero = V::zero(), one = V::set1(1.0f);
  F gneg, gpos, t, alpha, beta, d, inv_w, half_w, c_r, cap_lo, cap_hi;
  // c0 = gPos - gNeg, c1 = 1/W (W = alpha + beta), c2 = W/2, c3 = the right line's intercept,
  // c4 / c5 = lowest / highest x used: a zero slope must not meet an infinite x, so x is capped to
  // a finite value on that side (left of -alpha the ramp is 0 for any such x; right of beta the
  // line is constant).
  static void derive(ActParams& a, const double* raw) {
    const double g_neg = raw[0], g_pos = raw[1], alpha = raw[2], beta = raw[3], t = raw[4];
    const double w = alpha + beta;
    a.c[0] = static_cast<float>(g_pos - g_neg);
    a.c[1] = w > 0 ? finite_inverse(w) : FLT_MAX;
    a.c[2] = static_cast<float>(w / 2);
    a.c[3] = static_cast<float>(t - (g_pos - g_neg) * (beta - alpha) / 2);  // right of beta: gPos x + c3
    a.c[4] = g_neg == 0 ? -FLT_MAX : -INFINITY;
    a.c[5] = g_pos == 0 ? FLT_MAX : INFINITY;
  }
  explicit GsmeluAct(const ActParams& a)
      : gneg(V::set1(a.p[0])), gpos(V::set1(a.p[1])), t(V::set1(a.p[4])), alpha(V::set1(a.p[2])),
        beta(V::set1(a.p[3])), d(V::set1(a.c[0])), inv_w(V::set1(a.c[1])), half_w(V::set1(a.c[2])),
        c_r(V::set1(a.c[3])), cap_lo(V::set1(a.c[4])), cap_hi(V::set1(a.c[5])) {}
  SMELU_INLINE F forward(F x) const {
    const F xl = V::max(cap_lo, x);  // NaN kept
    const F u = V::max(zero, V::add(xl, alpha));
    const F m = V::min(one, V::mul(u, inv_w));
    const F r = V::mul(m, V::fnma(half_w, m, u));
    const F left = V::fma(d, r, V::fma(gneg, xl, t));
    const F right = V::fma(gpos, V::min(cap_hi, x), c_r);
    return V::select(V::ge(x, beta), right, left);
  }
  // f' = gNeg + (gPos - gNeg) clamp((z + alpha) / W, 0, 1); z + alpha first keeps it relative.
  SMELU_INLINE F backward(F z, F dy) const {
    const F m = V::min(one, V::mul(V::max(zero, V::add(z, alpha)), inv_w));
    return V::mul(dy, V::fma(d, m, gneg));
  }
};

// RESCU-2 minus ReLU is symmetric: f = max(0, x) + w^3 / (6 beta^2), w = max(0, beta - |x|),
// evaluated as (w / 6) r^2 with r = w / beta in [0, 1] so no constant overflows for small beta.
template <class V>
struct Rescu2Act {
  using F = typename V::F;
  F zero = V::zero(), one = V::set1(1.0f), half = V::set1(0.5f), sixth = V::set1(1.0f / 6.0f);
  F beta, inv_beta;
  // c0 = 1/beta.
  static void derive(ActParams& a, const double* raw) { a.c[0] = finite_inverse(raw[0]); }
  explicit Rescu2Act(const ActParams& a) : beta(V::set1(a.p[0])), inv_beta(V::set1(a.c[0])) {}
  // NaN reaches f through max(0, x) (abs_min maps NaN to beta).
  SMELU_INLINE F forward(F x) const {
    const F w = V::sub(beta, V::abs_min(x, beta));
    const F r = V::mul(w, inv_beta);
    return V::fma(V::mul(w, sixth), V::mul(r, r), V::max(zero, x));
  }
  // f' = h = r^2 / 2 for z <= 0 and 1 - h for z > 0 (f'(0) = 1/2 from both sides).
  SMELU_INLINE F backward(F z, F dy) const {
    const F w = V::max(zero, V::sub(beta, V::abs(z)));  // NaN kept
    const F r = V::mul(w, inv_beta);
    const F h = V::mul(V::mul(r, r), half);
    return V::mul(dy, V::select(V::gt(z, zero), V::sub(one, h), h));
  }
};

// x Phi(x) = x / 2 + |x| H(|x|): no cancellation problem on the left, where H -> 1/2 makes the
// sum exactly 0. -inf is clamped to -FLT_MAX (inf / 2 - inf would be NaN).
template <class V>
struct GeluAct {
  using F = typename V::F;
  F half = V::set1(0.5f), lowest = V::set1(-FLT_MAX);
  // The tables, or on tiers without a gather the table-free form (gauss.h).
  struct Tables {
    GaussCdfCentered<V> cdf;
    GeluSlopeCentered<V> slope;
    SMELU_INLINE F h(F a) const { return cdf(a); }
    SMELU_INLINE F g(F a) const { return slope(a); }
  };
  std::conditional_t<V::kTableFree, GaussExpForm<V>, Tables> gauss;
  explicit GeluAct(const ActParams&) {}
  SMELU_INLINE F forward(F x) const {
    const F xc = V::max(lowest, x);
    const F ax = V::abs(xc);
    return V::fma(ax, gauss.h(ax), V::mul(half, xc));
  }
  // f' = Phi(z) + z phi(z) = 1/2 + sign(z) G(|z|); |z| is clamped inside G.
  SMELU_INLINE F backward(F z, F dy) const {
    return V::mul(dy, V::add(half, V::copysign(gauss.g(V::abs(z)), z)));
  }
};

// 0.5 x (1 + tanh(u)) = x sigmoid(2u) exactly, so no tanh: f = x / (1 + exp(-2u)),
// 2u = x (k1 + k3 x^2). Past |x| = 11 the sigmoid is 0 or 1 in float32 (|2u| > 88.5), so x is
// clamped there inside the sigmoid; the exp saturates to inf on the left, giving f = -0.
template <class V>
struct GeluTanhAct {
  using F = typename V::F;
  ExpScaled<V> exp{0x1.715476p+0f};  // c = 1
  F one = V::set1(1.0f), lo = V::set1(kExpLo), hi = V::set1(kExpHi);
  F xmax = V::set1(11.0f), nxmax = V::set1(-11.0f), big = V::set1(0x1p64f);
  F nk1, nk3, k1, k3x3;
  // c0 = -k1, c1 = -k3, c2 = k1, c3 = 3 k3, where 2u = x (k1 + k3 x^2).
  static void derive(ActParams& a, const double*) {
    const double k1 = 2 * std::sqrt(2 / M_PI), k3 = k1 * 0.044715;
    a.c[0] = static_cast<float>(-k1);
    a.c[1] = static_cast<float>(-k3);
    a.c[2] = static_cast<float>(k1);
    a.c[3] = static_cast<float>(3 * k3);
  }
  explicit GeluTanhAct(const ActParams& a)
      : nk1(V::set1(a.c[0])), nk3(V::set1(a.c[1])), k1(V::set1(a.c[2])), k3x3(V::set1(a.c[3])) {}
  // -2u for x in [-11, 11], clamped to the exp's range; also returns x^2.
  SMELU_INLINE F minus_2u(F xs, F& x2) const {
    x2 = V::mul(xs, xs);
    const F y = V::mul(xs, V::fma(nk3, x2, nk1));
    return V::min(hi, V::max(lo, y));
  }
  SMELU_INLINE F forward(F x) const {
    const F xl = V::max(nxmax, x);
    F x2;
    return V::div(xl, exp.one_plus(minus_2u(V::min(xmax, xl), x2)));
  }
  // f' = s (1 + x (2u)' (1 - s)), s = 1 / (1 + e), 1 - s = e s. e is capped before e s so that
  // e = inf (s = 0) gives 0, not inf * 0; below the cap s is far below float32 resolution.
  SMELU_INLINE F backward(F z, F dy) const {
    const F xs = V::min(xmax, V::max(nxmax, z));
    F x2;
    const F e = exp(minus_2u(xs, x2));
    const F s = V::div(one, V::add(one, e));
    const F one_minus_s = V::mul(V::min(big, e), s);
    const F xdv = V::mul(xs, V::fma(k3x3, x2, k1));
    return V::mul(dy, V::mul(s, V::fma(xdv, one_minus_s, one)));
  }
};

// f = x / (1 + exp(-beta x)). x is clamped to [x_lo, x_hi] = [-128, 127] ln 2 / beta for the exp (its
// argument range); left of x_lo the exp is +inf, and x itself is clamped there so that
// f = x_lo / inf = -0 also for x = -inf.
template <class V>
struct SwishAct {
  using F = typename V::F;
  ExpScaled<V> exp;  // c = -beta
  F one = V::set1(1.0f), big = V::set1(0x1p64f), beta, x_lo, x_hi;
  // c0 = -beta log2(e), [c1, c2] = [-128, 127] ln 2 / beta: where exp(-beta x) is computed.
  static void derive(ActParams& a, const double* raw) { derive_exp_scaled(a.c, -raw[0]); }
  explicit SwishAct(const ActParams& a)
      : exp(a.c[0]), beta(V::set1(a.p[0])), x_lo(V::set1(a.c[1])), x_hi(V::set1(a.c[2])) {}
  SMELU_INLINE F forward(F x) const {
    const F xl = V::max(x_lo, x);  // NaN kept
    return V::div(xl, exp.one_plus(V::min(x_hi, xl)));
  }
  // f' = s (1 + beta x (1 - s)) with 1 - s = e s (exact for small e), on the clamped x; e is
  // capped as in GeluTanhAct.
  SMELU_INLINE F backward(F z, F dy) const {
    const F x = V::min(x_hi, V::max(x_lo, z));
    const F e = exp(x);
    const F s = V::div(one, V::add(one, e));
    const F one_minus_s = V::mul(V::min(big, e), s);
    return V::mul(dy, V::mul(s, V::fma(V::mul(x, beta), one_minus_s, one)));
  }
};

// f = (max(beta x, 0) + log1p(exp(-|beta x|))) / beta, and x once beta x > threshold (PyTorch).
// The forward's exp is the accurate one: where beta is small, f is log1p(e) / beta, and its bound
// is relative.
template <class V>
struct SoftplusAct {
  using F = typename V::F;
  ExpClamped<V> exp;
  ExpScaled<V> exp_nbx;  // e^(-beta x), for the sigmoid of the backward
  Log1pUnit<V> log1p;
  F zero = V::zero(), one = V::set1(1.0f), lo = V::set1(kExpLo);
  F beta, inv_beta, threshold, x_lo, x_hi;
  // c0 = 1/beta, c1..c3 as swish's c0..c2.
  static void derive(ActParams& a, const double* raw) {
    a.c[0] = finite_inverse(raw[0]);
    derive_exp_scaled(a.c + 1, -raw[0]);
  }
  explicit SoftplusAct(const ActParams& a)
      : exp_nbx(a.c[1]), beta(V::set1(a.p[0])), inv_beta(V::set1(a.c[0])), threshold(V::set1(a.p[1])),
        x_lo(V::set1(a.c[2])), x_hi(V::set1(a.c[3])) {}
  SMELU_INLINE F forward(F x) const {
    const F bx = V::mul(x, beta);
    const F e = exp(V::max(lo, V::neg_abs(bx)));  // in [0, 1]; NaN kept
    const F f = V::mul(log1p.plus(e, V::max(zero, bx)), inv_beta);
    return V::select(V::gt(bx, threshold), x, f);
  }
  // f' = sigmoid(beta z), and 1 where the forward is the identity.
  SMELU_INLINE F backward(F z, F dy) const {
    const F e = exp_nbx(V::min(x_hi, V::max(x_lo, z)));
    const F s = V::div(one, V::add(one, e));
    return V::mul(dy, V::select(V::gt(V::mul(z, beta), threshold), one, s));
  }
};

template <class V>
struct SigmoidAct {
  using F = typename V::F;
  ExpScaled<V> exp{-0x1.715476p+0f};  // c = -1
  F one = V::set1(1.0f), x_lo = V::set1(-kExpHi), x_hi = V::set1(-kExpLo);
  explicit SigmoidAct(const ActParams&) {}
  SMELU_INLINE F forward(F x) const { return V::div(one, exp.one_plus(V::min(x_hi, V::max(x_lo, x)))); }
  // f' = s (1 - s) = s - s^2 in one FMA (exact product): no 1 - s cancellation.
  SMELU_INLINE F backward(F z, F dy) const {
    const F s = forward(z);
    return V::mul(dy, V::fnma(s, s, s));
  }
};

// Calls fn(A<V>(p)) for the activation struct A of p.kind and returns what fn returns (the same
// type for every kind). One switch over the kinds for the elementwise entry points and for the
// dense epilogue, which instantiates its micro-kernel per activation type.
template <class V, class Fn>
decltype(auto) dispatch_activation(const ActParams& p, Fn&& fn) {
  switch (p.kind) {
#define SMELU_ACT_CASE(kind, Act) \
  case ActKind::kind:             \
    return fn(Act<V>(p));
    SMELU_ACTIVATIONS(SMELU_ACT_CASE)
#undef SMELU_ACT_CASE
    case ActKind::count:
      break;
  }
  return fn(IdentityAct<V>(p));
}

// A::derive(a, raw) when the activation A has derived constants.
template <class A, class = void>
struct HasDerive : std::false_type {};
template <class A>
struct HasDerive<A, std::void_t<decltype(&A::derive)>> : std::true_type {};
template <class A>
void derive_constants(ActParams& a, const double* raw) {
  if constexpr (HasDerive<A>::value) A::derive(a, raw);
}

// The same activation struct on another Vec type (e.g. VecUnroll<V, 4> for the main loop).
template <class A, class V2>
struct RebindAct;
template <template <class> class A, class V, class V2>
struct RebindAct<A<V>, V2> {
  using type = A<V2>;
};

}  // namespace smelu
