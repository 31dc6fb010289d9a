// AVX2 tier: 6 x 16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast (15 of 16 ymm).
// KC = 256: the 16 KiB B micro-panel and the tile's A rows stay in L1d.
#include "gemm_ukernel.h"
#include "../simd/vec_avx2.h"

namespace smelu {
namespace gemm {
namespace {
constexpr size_t kKc = 256;
constexpr size_t kRowStride = kKc + 16;
using Kernel = MicroKernel<VecAvx2, 6, 2, kRowStride>;
}  // namespace
const Tier tier_avx2 = {Isa::avx2, "avx2_6x16", Kernel::MR, Kernel::NR, kKc, 96, kRowStride,
                        &block_entry<Kernel>};
}  // namespace gemm
}  // namespace smelu
