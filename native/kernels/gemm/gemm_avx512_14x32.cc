// AVX-512 tier: 14 x 32 tile = 28 zmm accumulators + 2 B vectors + 1 broadcast (31 of 32 zmm).
// Per k step: 2 loads, 14 broadcasts, 28 FMAs = 14 cycles on Zen 5's two 512-bit FMA pipes.
//
// Blocking, measured on Zen 5 (bench/NOTES.md, "Fused dense"): KC = 512, MC = 84. The 64 KiB B
// micro-panel (512 x 32 floats) lives in L2 rather than L1d (48 KiB): Zen 5 streams it from L2
// fast enough, and a deep KC halves the passes over C (each pass reloads and stores the C tile),
// which mattered more than L1 residency (KC = 256 was ~5% slower at k = 1024). The 84 x 528 packed
// A block (~175 KiB) and the B micro-panel share the 1 MiB L2.
// The rank-m update (small-m dW, and dW for k, n <= 64) takes 8 rows x 2 vectors: 16 independent
// chains; 4 x 2 (8 chains, at the FMA latency limit) took ~20% longer at 256x64x64.
#include "gemm_dot.h"
#include "gemm_pack_x86.h"
#include "gemm_ukernel.h"
#include "../simd/vec_avx512.h"

namespace smelu {
namespace {
constexpr size_t kKc = 512;
constexpr size_t kMc = 84;                // 6 tiles of 14 rows
constexpr size_t kRowStride = kKc + 16;  // 2112 B, an odd number of lines: rows spread over L1 sets
using Kernel = gemm::MicroKernel<VecAvx512, 14, 2>;
}  // namespace
const GemmKernels gemm_kernels_avx512 = {Kernel::MR, Kernel::NR, kKc, kMc, kRowStride,
                                             &gemm::block_entry<Kernel>,
                                             &gemm::dot_rows<VecAvx512, 4, 4>,
                                             &gemm::rank_rows<VecAvx512, 8, 2>,
                                             &gemm::pack_b_transposed_8x8};
}  // namespace smelu
