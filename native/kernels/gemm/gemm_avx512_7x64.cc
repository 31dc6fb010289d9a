// AVX-512 tier: 7 x 64 tile = 28 zmm accumulators + 4 B vectors (all 32 zmm); the A value is
// broadcast inside each FMA (VecAvx512::fma_bcast, a {1to16} memory operand), since no register is
// left for it. Per k step: 4 loads, 28 FMAs with 7 distinct broadcast addresses: 28 cycles on Zen
// 4's one zmm FMA per cycle, 14 on Zen 5's two. Against the 14 x 32 tile it replaced (2 loads, 14
// broadcasts, 28 FMAs) each A value feeds 4 FMAs instead of 2, and a k <= 64 layer runs in one
// panel: 256x64x64 forward 19.9-21.1 -> 18.8-19.3 us, 512^3 2480-2755 -> 2397-2414 us (Zen 4,
// one thread; bench/NOTES.md). With the broadcast in a register instead, the 7 x 64 tile spilled
// an accumulator (one store and reload per k step).
//
// Blocking, measured on Zen 5 with the 14 x 32 tile (bench/NOTES.md, "Fused dense"): KC = 512,
// MC = 84. The B micro-panel (512 x 64 floats, 128 KiB) lives in L2 rather than L1d: Zen streams
// it from L2 fast enough, and a deep KC halves the passes over C (each pass reloads and stores the
// C tile), which mattered more than L1 residency (KC = 256 was ~5% slower at k = 1024). The
// 84 x 528 packed A block (~175 KiB) and the B micro-panel share the 1 MiB L2.
// The rank-m update (small-m dW, and dW for k, n <= 64) takes 8 rows x 2 vectors: 16 independent
// chains; 4 x 2 (8 chains, at the FMA latency limit) took ~20% longer at 256x64x64.
#include "gemm_dot.h"
#include "gemm_pack_x86.h"
#include "gemm_ukernel.h"
#include "../simd/vec_avx512.h"

namespace smelu {
namespace {
constexpr size_t kKc = 512;
constexpr size_t kMc = 84;                // 12 tiles of 7 rows
constexpr size_t kRowStride = kKc + 16;  // 2112 B, an odd number of lines: rows spread over L1 sets
using Kernel = gemm::MicroKernel<VecAvx512, 7, 4>;
}  // namespace
const GemmKernels gemm_kernels_avx512 = {Kernel::MR, Kernel::NR, kKc, kMc, kRowStride,
                                             &gemm::block_entry<Kernel>,
                                             &gemm::dot_rows<VecAvx512, 4, 4>,
                                             &gemm::rank_rows<VecAvx512, 8, 2>,
                                             &gemm::pack_b_transposed_8x8};
}  // namespace smelu
