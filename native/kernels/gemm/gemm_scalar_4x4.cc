// Scalar tier (std::fma): the reference the SIMD tiers match bit for bit. 4 x 4 tile of 16
// independent chains; speed is secondary here.
#include "gemm_dot.h"
#include "gemm_ukernel.h"
#include "../simd/vec_scalar.h"

namespace smelu {
namespace {
constexpr size_t kKc = 256;
constexpr size_t kRowStride = kKc + 16;
using Kernel = gemm::MicroKernel<VecScalar, 4, 4>;
}  // namespace
const GemmKernels gemm_kernels_scalar = {Kernel::MR, Kernel::NR, kKc, 64, kRowStride,
                                             &gemm::block_entry<Kernel>,
                                             &gemm::dot_rows<VecScalar, 1, 4>,
                                             &gemm::rank_rows<VecScalar, 2, 4>,
                                             nullptr};
}  // namespace smelu
