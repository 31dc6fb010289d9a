// NEON tier: 8 x 12 tile = 24 q accumulators + 3 B vectors + 1 broadcast (28 of 32 q registers).
#include "gemm_dot.h"
#include "gemm_ukernel.h"
#include "../simd/vec_neon.h"

namespace smelu {
namespace {
constexpr size_t kKc = 256;
constexpr size_t kRowStride = kKc + 16;
using Kernel = gemm::MicroKernel<VecNeon, 8, 3>;
}  // namespace
const GemmKernels gemm_kernels_neon = {Kernel::MR, Kernel::NR, kKc, 96, kRowStride,
                                             &gemm::block_entry<Kernel>,
                                             &gemm::dot_rows<VecNeon, 2, 2>,
                                             &gemm::rank_rows<VecNeon, 4, 4>,
                                             nullptr};
}  // namespace smelu
