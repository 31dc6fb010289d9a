// AVX2 tier: 6 x 16 tile = 12 ymm accumulators + 2 B vectors + 1 broadcast (15 of 16 ymm).
// KC = 256: the 16 KiB B micro-panel and the tile's A rows stay in L1d.
#include "gemm_dot.h"
#include "gemm_pack_x86.h"
#include "gemm_ukernel.h"
#include "../simd/vec_avx2.h"

namespace smelu {
namespace {
constexpr size_t kKc = 256;
constexpr size_t kRowStride = kKc + 16;
using Kernel = gemm::MicroKernel<VecAvx2, 6, 2>;
}  // namespace
const GemmKernels gemm_kernels_avx2 = {Kernel::MR, Kernel::NR, kKc, 96, kRowStride,
                                             &gemm::block_entry<Kernel>,
                                             &gemm::dot_rows<VecAvx2, 1, 4>,
                                             &gemm::rank_rows<VecAvx2, 2, 4>,
                                             &gemm::pack_b_transposed_8x8};
}  // namespace smelu
