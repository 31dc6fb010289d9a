// AVX-512 tier (compiled with -mavx512f -mavx512dq -mavx512vl -mavx512bw only).
#include "act_loops.h"
#include "../simd/vec_avx512.h"

namespace smelu {
const ActKernels act_kernels_avx512 = ActEntry<VecAvx512>::table();
}
