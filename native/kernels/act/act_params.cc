#include "act.h"

#include <cmath>

namespace smelu {

ActParams make_act_params(int32_t kind, const double* raw) {
  ActParams a;
  a.kind = static_cast<ActKind>(kind);
  for (int i = 0; i < kActParamSlots; ++i) a.p[i] = static_cast<float>(raw[i]);
  switch (a.kind) {
    case ActKind::smelu: {
      const double beta = raw[0];
      const float inv2b = static_cast<float>(0.5 / beta);
      if (!(beta > 0) || !std::isfinite(inv2b)) {
        a.kind = ActKind::relu;  // beta = 0 is exactly ReLU; no division by zero
        break;
      }
      a.c[0] = inv2b;                             // 1 / (2 beta)
      a.c[1] = static_cast<float>(1.0 / beta);    // 1 / beta, for backward from y
      break;
    }
    default:
      break;
  }
  return a;
}

}  // namespace smelu
