// Optimizer updates, avx2 tier (see optim_loops.h).
#include "optim_loops.h"
#include "../simd/vec_avx2.h"

namespace smelu {
const OptimKernels optim_kernels_avx2 = OptimEntry<VecAvx2>::table();
}
