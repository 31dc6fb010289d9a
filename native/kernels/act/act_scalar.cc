// Scalar tier: the reference every SIMD tier must match bit for bit.
#include "act_loops.h"
#include "../simd/vec_scalar.h"

namespace smelu {
const ActKernels act_kernels_scalar = ActEntry<VecScalar>::table();
}
