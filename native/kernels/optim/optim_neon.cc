// Optimizer updates, neon tier (see optim_loops.h).
#include "optim_loops.h"
#include "../simd/vec_neon.h"

namespace smelu {
const OptimKernels optim_kernels_neon = OptimEntry<VecNeon>::table();
}
