// Optimizer updates, scalar tier (see optim_loops.h).
#include "optim_loops.h"
#include "../simd/vec_scalar.h"

namespace smelu {
const OptimKernels optim_kernels_scalar = OptimEntry<VecScalar>::table();
}
