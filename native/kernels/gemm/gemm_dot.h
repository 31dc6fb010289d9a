// Rows of A B^T as dot products along n, for small m: out[i][p] = sum_j a[i][j] b[p][j] with both
// operands read along their rows (dx = dZ W^T of a small batch reads W in place, no W^T pack).
// Include only from a per-ISA translation unit.
//
// The reduction order is fixed by 16 lanes, whatever the tier's vector width: lane l holds the FMA
// chain over j = l, l + 16, l + 32, ... in increasing j from 0 (lanes past n add 0 * 0), and the
// 16 lanes are summed by one tree (l + 8, then + 4, + 2, + 1). AVX-512 holds the 16 lanes in one
// register, AVX2 in two, NEON in four, scalar in sixteen: every tier gives the same bits.
#pragma once
#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "gemm.h"

namespace smelu {
namespace gemm {

constexpr int kDotLanes = 16;

// The fixed lane tree, in scalar float adds (the same on every tier).
inline float sum_lanes(float* s) {
  for (int half = kDotLanes / 2; half >= 1; half /= 2)
    for (int l = 0; l < half; ++l) s[l] = s[l] + s[l + half];
  return s[0];
}

// Tiers whose Vec sums 16 full-width vectors' lanes at once, in the same tree (AVX-512).
template <class V, class = void>
struct HasSumLanes16 : std::false_type {};
template <class V>
struct HasSumLanes16<V, std::void_t<decltype(&V::sum_lanes16)>> : std::true_type {};

template <class V>
struct DotKernel {
  using F = typename V::F;
  static constexpr int G = kDotLanes / V::kWidth;  // vectors per 16 lanes

  // RI rows of a against RP rows of b, each dot over n; out rows ldo apart.
  template <int RI, int RP>
  static void tile(const float* a, size_t lda, const float* b, size_t ldb, size_t n, float* out, size_t ldo) {
    F acc[RI][RP][G];
    for (int i = 0; i < RI; ++i)
      for (int p = 0; p < RP; ++p)
        for (int g = 0; g < G; ++g) acc[i][p][g] = V::zero();
    size_t j = 0;
    for (; j + kDotLanes <= n; j += kDotLanes) step<RI, RP>(acc, a + j, lda, b + j, ldb, kDotLanes);
    if (j < n) step<RI, RP>(acc, a + j, lda, b + j, ldb, n - j);
    alignas(64) float s[kDotLanes];
    if constexpr (HasSumLanes16<V>::value && G == 1 && RI == 4 && RP == 4) {
      F v[16];
      for (int i = 0; i < RI; ++i)
        for (int p = 0; p < RP; ++p) v[i * RP + p] = acc[i][p][0];
      V::sum_lanes16(v, s);
      for (int i = 0; i < RI; ++i)
        for (int p = 0; p < RP; ++p) out[i * ldo + p] = s[4 * p + i];
      return;
    }
    for (int i = 0; i < RI; ++i)
      for (int p = 0; p < RP; ++p) {
        for (int g = 0; g < G; ++g) V::store(s + g * V::kWidth, acc[i][p][g]);
        out[i * ldo + p] = sum_lanes(s);
      }
  }

 private:
  static F load(const float* p, size_t count, int g) {
    const size_t first = static_cast<size_t>(g) * V::kWidth;
    if (count >= first + V::kWidth) return V::load(p + first);
    return V::load_first(p + first, count > first ? count - first : 0);
  }

  template <int RI, int RP>
  static void step(F (&acc)[RI][RP][G], const float* a, size_t lda, const float* b, size_t ldb, size_t count) {
#pragma GCC unroll 16
    for (int g = 0; g < G; ++g) {
      F av[RI], bv[RP];
#pragma GCC unroll 8
      for (int i = 0; i < RI; ++i) av[i] = load(a + i * lda, count, g);
#pragma GCC unroll 8
      for (int p = 0; p < RP; ++p) bv[p] = load(b + p * ldb, count, g);
#pragma GCC unroll 8
      for (int i = 0; i < RI; ++i)
#pragma GCC unroll 8
        for (int p = 0; p < RP; ++p) acc[i][p][g] = V::fma(av[i], bv[p], acc[i][p][g]);
    }
  }
};

// out[i][p] for i < m and p in [p0, p1): tiles of RI x RP dots (their size changes no bit).
template <class V, int RI, int RP>
void dot_rows(const RowsArgs& d, size_t p0, size_t p1) {
  using K = DotKernel<V>;
  size_t p = p0;
  for (; p + RP <= p1; p += RP) {
    size_t i = 0;
    for (; i + RI <= d.m; i += RI)
      K::template tile<RI, RP>(d.a + i * d.lda, d.lda, d.b + p * d.ldb, d.ldb, d.n, d.out + i * d.ldo + p, d.ldo);
    for (; i < d.m; ++i)
      K::template tile<1, RP>(d.a + i * d.lda, d.lda, d.b + p * d.ldb, d.ldb, d.n, d.out + i * d.ldo + p, d.ldo);
  }
  for (; p < p1; ++p)
    for (size_t i = 0; i < d.m; ++i)
      K::template tile<1, 1>(d.a + i * d.lda, d.lda, d.b + p * d.ldb, d.ldb, d.n, d.out + i * d.ldo + p, d.ldo);
}

// dW rows for small m (a rank-m update that streams dW once): c[p][j] (+)= sum_i a[i][p] b[i][j],
// one FMA chain per element in increasing i from 0 (or from c): the GEMM's contract (gemm.h), so
// the bits are those of the large-m path. RP rows of c x NV vectors per tile.
template <class V, int RP, int NV>
struct RankKernel {
  using F = typename V::F;
  static constexpr int W = V::kWidth;

  template <int P, bool FULL>
  static void tile(const RowsArgs& r, size_t p, size_t j, size_t cols) {
    F acc[P][NV];
    float* c = r.out + p * r.ldo + j;
#pragma GCC unroll 8
    for (int q = 0; q < P; ++q)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[q][v] = r.load_c ? load<FULL>(c + q * r.ldo, cols, v) : V::zero();
    for (size_t i = 0; i < r.m; ++i) {
      F bv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) bv[v] = load<FULL>(r.b + i * r.ldb + j, cols, v);
      const float* a = r.a + i * r.lda + p;
#pragma GCC unroll 8
      for (int q = 0; q < P; ++q) {
        const F av = V::set1(a[q]);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[q][v] = V::fma(av, bv[v], acc[q][v]);
      }
    }
#pragma GCC unroll 8
    for (int q = 0; q < P; ++q)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) store<FULL>(c + q * r.ldo, acc[q][v], cols, v);
  }

  template <int P>
  static void rows(const RowsArgs& r, size_t p) {
    size_t j = 0;
    for (; j + NV * W <= r.n; j += NV * W) tile<P, true>(r, p, j, NV * W);
    if (j < r.n) tile<P, false>(r, p, j, r.n - j);
  }

 private:
  static size_t part(size_t cols, int v) {
    const size_t first = static_cast<size_t>(v) * W;
    return cols > first ? std::min<size_t>(W, cols - first) : 0;
  }
  template <bool FULL>
  static F load(const float* p, size_t cols, int v) {
    return FULL ? V::load(p + v * W) : V::load_first(p + v * W, part(cols, v));
  }
  template <bool FULL>
  static void store(float* p, F x, size_t cols, int v) {
    if (FULL) return V::store(p + v * W, x);
    if (part(cols, v)) V::store_first(p + v * W, x, part(cols, v));
  }
};

template <class V, int RP, int NV>
void rank_rows(const RowsArgs& r, size_t p0, size_t p1) {
  using K = RankKernel<V, RP, NV>;
  size_t p = p0;
  for (; p + RP <= p1; p += RP) K::template rows<RP>(r, p);
  for (; p < p1; ++p) K::template rows<1>(r, p);
}

}  // namespace gemm
}  // namespace smelu
