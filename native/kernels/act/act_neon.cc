// AArch64 NEON tier.
#include "act_loops.h"
#include "../simd/vec_neon.h"

namespace smelu {
const ActKernels act_kernels_neon = ActEntry<VecNeon>::table();
}
