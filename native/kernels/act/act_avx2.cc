// AVX2 + FMA tier (compiled with -mavx2 -mfma only).
#include "act_loops.h"
#include "../simd/vec_avx2.h"

namespace smelu {
const ActKernels act_kernels_avx2 = ActEntry<VecAvx2>::table();
}
