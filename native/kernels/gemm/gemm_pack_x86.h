// The transposed B pack (W^T for dx = dZ W^T) with 8 x 8 in-register transposes, for the x86 tiers
// that have AVX (included by gemm_avx2_6x16.cc and gemm_avx512_7x64.cc, compiled with their flags).
// The generic pack (gemm_frame.cc pack_b_panel) stores one float at a time 128-byte strides apart:
// ~1.4 cycles per float on Zen 4, 5% of the 512^3 backward.
#pragma once
#include "../simd/x86_intrinsics.h"

#include <cstddef>

namespace smelu {
namespace gemm {
// Internal linkage: the AVX2 and AVX-512 units compile this with different instruction sets, and
// one inline definition shared by both could leave the AVX2 table calling AVX-512 code.
namespace {

// dst rows 0..7 (nr floats apart), 8 floats each = the 8 x 8 block of src (rows ld floats apart),
// transposed: dst[r * nr + c] = src[c * ld + r].
inline void transpose_8x8(const float* src, size_t ld, float* dst, size_t nr) {
  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ld), r2 = _mm256_loadu_ps(src + 2 * ld),
               r3 = _mm256_loadu_ps(src + 3 * ld), r4 = _mm256_loadu_ps(src + 4 * ld),
               r5 = _mm256_loadu_ps(src + 5 * ld), r6 = _mm256_loadu_ps(src + 6 * ld),
               r7 = _mm256_loadu_ps(src + 7 * ld);
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
               t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
               t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
               s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
               s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
               s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s4, 0x20));
  _mm256_storeu_ps(dst + nr, _mm256_permute2f128_ps(s1, s5, 0x20));
  _mm256_storeu_ps(dst + 2 * nr, _mm256_permute2f128_ps(s2, s6, 0x20));
  _mm256_storeu_ps(dst + 3 * nr, _mm256_permute2f128_ps(s3, s7, 0x20));
  _mm256_storeu_ps(dst + 4 * nr, _mm256_permute2f128_ps(s0, s4, 0x31));
  _mm256_storeu_ps(dst + 5 * nr, _mm256_permute2f128_ps(s1, s5, 0x31));
  _mm256_storeu_ps(dst + 6 * nr, _mm256_permute2f128_ps(s2, s6, 0x31));
  _mm256_storeu_ps(dst + 7 * nr, _mm256_permute2f128_ps(s3, s7, 0x31));
}

// GemmKernels::pack_b_transposed: out[r * nr + c] = src[c * ld + r] for r < K, c < w; columns
// w..nr are zero. Whole 8 x 8 blocks in registers, the ragged edges one float at a time.
inline void pack_b_transposed_8x8(const float* src, size_t ld, size_t K, size_t w, size_t nr, float* out) {
  const size_t k8 = K / 8 * 8, w8 = w / 8 * 8;
  for (size_t r0 = 0; r0 < k8; r0 += 8)
    for (size_t c0 = 0; c0 < w8; c0 += 8) transpose_8x8(src + c0 * ld + r0, ld, out + r0 * nr + c0, nr);
  for (size_t r = 0; r < K; ++r) {
    float* dst = out + r * nr;
    for (size_t c = r < k8 ? w8 : 0; c < w; ++c) dst[c] = src[c * ld + r];
    for (size_t c = w; c < nr; ++c) dst[c] = 0.0f;
  }
}

}  // namespace
}  // namespace gemm
}  // namespace smelu
