// make_act_params: the raw parameters rounded to float32, and each kind's derived constants
// (A::derive in act_math.h), computed here once in double for every tier and the dense epilogue.
#include "../simd/vec_scalar.h"
#include "act_math.h"

namespace smelu {

ActParams make_act_params(int32_t kind, const double* raw) {
  ActParams a;
  a.kind = static_cast<ActKind>(kind);
  for (int i = 0; i < kActParamSlots; ++i) a.p[i] = static_cast<float>(raw[i]);
  switch (a.kind) {
#define SMELU_ACT_DERIVE(kind, Act)                    \
  case ActKind::kind:                                  \
    derive_constants<Act<VecScalar>>(a, raw);          \
    break;
    SMELU_ACTIVATIONS(SMELU_ACT_DERIVE)
#undef SMELU_ACT_DERIVE
    case ActKind::count:
      break;
  }
  return a;
}

}  // namespace smelu
