// Float32 constants for the optimizer kernels, derived in float64 once and shared by every tier.
#include "optim.h"

namespace smelu {

OptimParams make_optim_params(int32_t kind, const double* h) {
  OptimParams p;
  p.kind = static_cast<OptimKind>(kind);
  p.lr = static_cast<float>(h[0]);
  p.l2 = static_cast<float>(h[1]);
  switch (p.kind) {
    case OptimKind::sgd:
      p.mu = static_cast<float>(h[2]);
      p.momentum = h[2] != 0.0;  // as lib/nn/optim.ts decides, even if mu rounds to 0 in float32
      p.nesterov = h[3] != 0.0;
      break;
    case OptimKind::adagrad:
      p.eps = static_cast<float>(h[2]);
      break;
    case OptimKind::adam:
      p.b1 = static_cast<float>(h[2]);
      p.b2 = static_cast<float>(h[3]);
      p.omb1 = static_cast<float>(1.0 - h[2]);
      p.omb2 = static_cast<float>(1.0 - h[3]);
      p.eps = static_cast<float>(h[4]);
      p.c1 = static_cast<float>(h[5]);
      p.c2 = static_cast<float>(h[6]);
      p.shrink = static_cast<float>(h[7]);
      break;
    default:
      break;
  }
  return p;
}

int optim_states(const OptimParams& p) {
  switch (p.kind) {
    case OptimKind::sgd: return p.momentum ? 1 : 0;
    case OptimKind::adagrad: return 1;
    case OptimKind::adam: return 2;
    default: return 0;
  }
}

}  // namespace smelu
