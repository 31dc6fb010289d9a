#include <cfloat>
#include <cmath>

#include "act.h"

// Derived constants, computed here in double and rounded once, so that every tier (and the dense
// epilogue) computes with the very same floats. Slots of ActParams::c per kind:
//   smelu      c0 = 1/(2 beta), c1 = 1/beta, c2 = 1/(4 beta)
//   gsmelu     c0 = gPos - gNeg, c1 = 1/W (W = alpha + beta), c2 = W/2, c3 = the right line's
//              intercept, c4 / c5 = lowest / highest x used (finite where the slope there is 0)
//   rescu2     c0 = 1/beta
//   gelu_tanh  c0 = -k1, c1 = -k3, c2 = k1, c3 = 3 k3, where 2u = x (k1 + k3 x^2)
//   swish      c0 = -beta log2(e), [c1, c2] = [-89, 88] / beta: where exp(-beta x) is computed
//              (left of c1 it is +inf in float32, right of c2 0)
//   softplus   c0 = 1/beta, c1..c3 as swish's c0..c2
namespace smelu {
namespace {

// A reciprocal that would overflow float32 saturates instead (only for parameters below ~3e-39,
// where the activation is a step to float precision anyway).
float finite_inverse(double v) { return static_cast<float>(std::fmin(1.0 / v, FLT_MAX)); }

void derive_smelu(ActParams& a, const double* raw) {
  const double beta = raw[0];
  const float inv2b = static_cast<float>(0.5 / beta);
  if (!(beta > 0) || !std::isfinite(inv2b)) {
    a.kind = ActKind::relu;  // beta = 0 is exactly ReLU; no division by zero
    return;
  }
  a.c[0] = inv2b;
  a.c[1] = static_cast<float>(1.0 / beta);
  a.c[2] = static_cast<float>(0.25 / beta);
}

void derive_gsmelu(ActParams& a, const double* raw) {
  const double g_neg = raw[0], g_pos = raw[1], alpha = raw[2], beta = raw[3], t = raw[4];
  const double w = alpha + beta;
  a.c[0] = static_cast<float>(g_pos - g_neg);
  a.c[1] = w > 0 ? finite_inverse(w) : FLT_MAX;
  a.c[2] = static_cast<float>(w / 2);
  a.c[3] = static_cast<float>(t - (g_pos - g_neg) * (beta - alpha) / 2);  // right of beta: gPos x + c3
  // A zero slope must not meet an infinite x: cap x to a finite value on that side (left of
  // -alpha the ramp is 0 for any such x; right of beta the line is constant).
  a.c[4] = g_neg == 0 ? -FLT_MAX : -INFINITY;
  a.c[5] = g_pos == 0 ? FLT_MAX : INFINITY;
}

// For ExpScaled's e^(c x), c = -beta < 0: c log2(e), and the x range where c x is in
// [ExpClamped::kLo, kHi] = [-88, 89].
void derive_exp_scaled(float* out, double c) {
  out[0] = static_cast<float>(c * M_LOG2E);
  out[1] = static_cast<float>(std::fmax(89.0 / c, -FLT_MAX));
  out[2] = static_cast<float>(std::fmin(-88.0 / c, FLT_MAX));
}

void derive_gelu_tanh(ActParams& a) {
  const double k1 = 2 * std::sqrt(2 / M_PI), k3 = k1 * 0.044715;
  a.c[0] = static_cast<float>(-k1);
  a.c[1] = static_cast<float>(-k3);
  a.c[2] = static_cast<float>(k1);
  a.c[3] = static_cast<float>(3 * k3);
}

}  // namespace

ActParams make_act_params(int32_t kind, const double* raw) {
  ActParams a;
  a.kind = static_cast<ActKind>(kind);
  for (int i = 0; i < kActParamSlots; ++i) a.p[i] = static_cast<float>(raw[i]);
  switch (a.kind) {
    case ActKind::smelu: derive_smelu(a, raw); break;
    case ActKind::gsmelu: derive_gsmelu(a, raw); break;
    case ActKind::rescu2: a.c[0] = finite_inverse(raw[0]); break;
    case ActKind::gelu_tanh: derive_gelu_tanh(a); break;
    case ActKind::swish: derive_exp_scaled(a.c, -raw[0]); break;
    case ActKind::softplus:
      a.c[0] = finite_inverse(raw[0]);
      derive_exp_scaled(a.c + 1, -raw[0]);
      break;
    default: break;
  }
  return a;
}

}  // namespace smelu
