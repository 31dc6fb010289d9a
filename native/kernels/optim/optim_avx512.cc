// Optimizer updates, avx512 tier (see optim_loops.h).
#include "optim_loops.h"
#include "../simd/vec_avx512.h"

namespace smelu {
const OptimKernels optim_kernels_avx512 = OptimEntry<VecAvx512>::table();
}
