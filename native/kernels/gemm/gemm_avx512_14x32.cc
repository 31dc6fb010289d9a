// AVX-512 tier: 14 x 32 tile = 28 zmm accumulators + 2 B vectors + 1 broadcast (31 of 32 zmm).
// Per k step: 2 loads, 14 broadcasts, 28 FMAs = 14 cycles on Zen 5's two 512-bit FMA pipes.
// KC = 256: the 32 KiB B micro-panel plus the tile's A rows (14 x 1 KiB, streamed) fit L1d (48 KiB);
// the 168 x 256 packed A block (~180 KiB) stays in L2 (1 MiB) across the B panels.
#include "gemm_ukernel.h"
#include "../simd/vec_avx512.h"

namespace smelu {
namespace gemm {
namespace {
#ifndef GEMM_KC
#define GEMM_KC 512
#define GEMM_MC 84
#endif
constexpr size_t kKc = GEMM_KC;
constexpr size_t kRowStride = kKc + 16;  // 1088 B: consecutive rows land on different L1 sets
using Kernel = MicroKernel<VecAvx512, 14, 2, kRowStride>;
}  // namespace
const Tier tier_avx512 = {Isa::avx512, "avx512_14x32", Kernel::MR, Kernel::NR, kKc, GEMM_MC, kRowStride,
                          &block_entry<Kernel>};
}  // namespace gemm
}  // namespace smelu
