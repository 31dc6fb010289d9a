// 4-lane WebAssembly SIMD128 vector with the semantics of VecScalar (see vec_scalar.h), except
// fma: the base SIMD128 set has no fused multiply-add, so fma / fnma are a multiply and an add
// (two roundings). Every other operation gives the scalar tier's bits; results that go through
// fma differ from the native tiers in the last bits, within the spec's bound.
// min/max use the pseudo-min/max instructions with swapped operands: pmin(b, a) is exactly
// "a < b ? a : b", the x86 minps rule the other tiers keep (the second operand on NaN).
#pragma once
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdint>

namespace smelu {

struct VecWasm {
  using F = v128_t;
  using M = v128_t;
  static constexpr int kWidth = 4;

  static F load(const float* p) { return wasm_v128_load(p); }
  static void store(float* p, F v) { wasm_v128_store(p, v); }
  static F set1(float v) { return wasm_f32x4_splat(v); }
  static F zero() { return wasm_f32x4_splat(0.0f); }

  static F add(F a, F b) { return wasm_f32x4_add(a, b); }
  static F sub(F a, F b) { return wasm_f32x4_sub(a, b); }
  static F mul(F a, F b) { return wasm_f32x4_mul(a, b); }
  static F div(F a, F b) { return wasm_f32x4_div(a, b); }
  // Not fused (see the top of this file).
  static F fma(F a, F b, F c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
  static F fnma(F a, F b, F c) { return wasm_f32x4_sub(c, wasm_f32x4_mul(a, b)); }
  static F min(F a, F b) { return wasm_f32x4_pmin(b, a); }
  static F max(F a, F b) { return wasm_f32x4_pmax(b, a); }
  static F abs(F a) { return wasm_f32x4_abs(a); }
  static F sqrt(F a) { return wasm_f32x4_sqrt(a); }
  static F copysign(F a, F s) { return wasm_v128_bitselect(s, a, wasm_i32x4_splat(INT32_MIN)); }

  static M gt(F a, F b) { return wasm_f32x4_gt(a, b); }
  static M ge(F a, F b) { return wasm_f32x4_ge(a, b); }
  static M is_nan(F a) { return wasm_f32x4_ne(a, a); }
  static F select(M m, F if_true, F if_false) { return wasm_v128_bitselect(if_true, if_false, m); }

  // u clamped to [0, hi] (hi >= +0) by the integer order of the bits, which is the float order on
  // +0..+inf: negative floats (and -0) have the sign bit set and become +0, anything above hi
  // (+inf and positive NaN included) becomes hi; a negative NaN becomes +0. One x64 instruction
  // each in V8, as f32x4.pmax / pmin are, but SmeLU's forward ran at 8.4 elements/ns with these
  // against 7.4 with pmax / pmin (bench/NOTES.md).
  static F clamp_to(F u, F hi) { return wasm_i32x4_min(wasm_i32x4_max(u, wasm_i32x4_splat(0)), hi); }
  static F abs_min(F x, F c) { return min(abs(x), c); }
  static F neg_abs(F a) { return wasm_f32x4_neg(wasm_f32x4_abs(a)); }
  static F bits_shl23(F a) { return wasm_i32x4_shl(a, 23); }
  static F bits_add_shl19(F b, F t) { return wasm_i32x4_add(b, wasm_i32x4_shl(t, 19)); }

  // A table lookup per lane: four indices extracted, four scalar loads. (A swizzle of 64 bytes
  // takes four i8x16.swizzle, each several x86 instructions in V8; and the compiler shares the
  // index extraction among the lookups of one polynomial, which all use the same idx.)
  struct Table16 {
    float v[16];
  };
  static Table16 load_table16(const float* t) {
    Table16 r;
    for (int i = 0; i < 16; ++i) r.v[i] = t[i];
    return r;
  }
  static F lookup16(const Table16& t, F idx) {
    const v128_t k = wasm_v128_and(idx, wasm_i32x4_splat(15));
    return wasm_f32x4_make(t.v[wasm_i32x4_extract_lane(k, 0)], t.v[wasm_i32x4_extract_lane(k, 1)],
                           t.v[wasm_i32x4_extract_lane(k, 2)], t.v[wasm_i32x4_extract_lane(k, 3)]);
  }

  // Through a zero-padded buffer: lanes from count on are 0, memory past them is not touched.
  static F load_first(const float* p, size_t count) {
    float b[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < count; ++i) b[i] = p[i];
    return wasm_v128_load(b);
  }
  static void store_first(float* p, F v, size_t count) {
    float b[4];
    wasm_v128_store(b, v);
    for (size_t i = 0; i < count; ++i) p[i] = b[i];
  }

  // SmeLU's forward in its clamp form (see SmeluAct): V8 spends three x64 instructions on
  // f32x4.abs and two on the unfused fma, so the native tiers' form costs 9 instructions per
  // vector here against 6.
  static constexpr bool kSmeluClampForm = true;
  // GELU without tables (gauss.h): no gather, so each table lookup is 4 lane extractions, loads
  // and insertions.
  static constexpr bool kTableFree = true;
  static constexpr size_t kStreamAlign = 0;
  static void store_stream(float* p, F v) { wasm_v128_store(p, v); }
  static void stream_fence() {}
};

}  // namespace smelu
