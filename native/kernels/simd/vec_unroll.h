// VecUnroll<V, N>: N registers of V driven as one wider Vec with the same interface. An activation
// instantiated on it runs every operation on all N vectors before the next operation, so N
// independent dependency chains are interleaved op by op in the instruction stream: g++ keeps
// source order, and one long chain at a time leaves the pipes idle. Each lane still goes through
// exactly V's operations, so the bits are V's.
#pragma once
#include <cstddef>

#include "inline.h"

namespace smelu {

template <class V, int N>
struct VecUnroll {
  struct F {
    typename V::F v[N];
  };
  struct M {
    typename V::M m[N];
  };
  using Table16 = typename V::Table16;
  static constexpr int kWidth = V::kWidth * N;
  static constexpr size_t kStreamAlign = V::kStreamAlign;
  static constexpr bool kSmeluClampForm = V::kSmeluClampForm;
  static constexpr bool kTableFree = V::kTableFree;

  template <class Op>
  SMELU_INLINE static F map(Op op) {
    F r;
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) r.v[j] = op(j);
    return r;
  }

  SMELU_INLINE static F load(const float* p) {
    return map([&](int j) { return V::load(p + j * V::kWidth); });
  }
  SMELU_INLINE static void store(float* p, const F& a) {
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) V::store(p + j * V::kWidth, a.v[j]);
  }
  SMELU_INLINE static void store_stream(float* p, const F& a) {
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) V::store_stream(p + j * V::kWidth, a.v[j]);
  }
  SMELU_INLINE static void stream_fence() { V::stream_fence(); }
  SMELU_INLINE static F set1(float s) {
    const typename V::F b = V::set1(s);
    return map([&](int) { return b; });
  }
  SMELU_INLINE static F zero() { return set1(0.0f); }

#define SMELU_UNROLL_1(name) \
  SMELU_INLINE static F name(const F& a) { return map([&](int j) { return V::name(a.v[j]); }); }
#define SMELU_UNROLL_2(name) \
  SMELU_INLINE static F name(const F& a, const F& b) { return map([&](int j) { return V::name(a.v[j], b.v[j]); }); }
#define SMELU_UNROLL_3(name)                                                                     \
  SMELU_INLINE static F name(const F& a, const F& b, const F& c) {                                          \
    return map([&](int j) { return V::name(a.v[j], b.v[j], c.v[j]); });                         \
  }
#define SMELU_UNROLL_CMP(name)                                                                   \
  SMELU_INLINE static M name(const F& a, const F& b) {                                                        \
    M r;                                                                                         \
    _Pragma("GCC unroll 8") for (int j = 0; j < N; ++j) r.m[j] = V::name(a.v[j], b.v[j]);       \
    return r;                                                                                    \
  }

  SMELU_UNROLL_2(add)
  SMELU_UNROLL_2(sub)
  SMELU_UNROLL_2(mul)
  SMELU_UNROLL_2(div)
  SMELU_UNROLL_3(fma)
  SMELU_UNROLL_3(fnma)
  SMELU_UNROLL_2(min)
  SMELU_UNROLL_2(max)
  SMELU_UNROLL_1(abs)
  SMELU_UNROLL_1(sqrt)
  SMELU_UNROLL_2(copysign)
  SMELU_UNROLL_2(abs_min)
  SMELU_UNROLL_2(clamp_to)
  SMELU_UNROLL_1(neg_abs)
  SMELU_UNROLL_1(bits_shl23)
  SMELU_UNROLL_2(bits_add_shl19)
  SMELU_UNROLL_CMP(gt)
  SMELU_UNROLL_CMP(ge)

#undef SMELU_UNROLL_1
#undef SMELU_UNROLL_2
#undef SMELU_UNROLL_3
#undef SMELU_UNROLL_CMP

  SMELU_INLINE static M is_nan(const F& a) {
    M r;
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) r.m[j] = V::is_nan(a.v[j]);
    return r;
  }
  SMELU_INLINE static F select(const M& m, const F& t, const F& f) {
    return map([&](int j) { return V::select(m.m[j], t.v[j], f.v[j]); });
  }
  SMELU_INLINE static Table16 load_table16(const float* t) { return V::load_table16(t); }
  SMELU_INLINE static F lookup16(const Table16& t, const F& idx) {
    return map([&](int j) { return V::lookup16(t, idx.v[j]); });
  }
};

}  // namespace smelu
