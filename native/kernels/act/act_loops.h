// Elementwise loops over any activation of act_math.h, for one Vec type V. The main loop runs the
// activation on VecUnroll<V, N>: N vectors interleaved op by op keep the pipes busy, where one
// dependent chain at a time would not (four 4-deep FMA chains reach two thirds of the FMA
// throughput here). The remainder runs on V, and the partial vectors at both ends as masked
// (zero-padded) vectors, so every element goes through the same V operations and gets the same
// bits whatever its position, the length or the alignment.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../simd/vec_unroll.h"
#include "act.h"
#include "act_math.h"

namespace smelu {

// From this output size on (on tiers that have them) the loops store with non-temporal stores:
// the output would only evict the inputs, and skipping the read-for-ownership of each output line
// saves a third of the DRAM traffic. Far above the L2 and the L3 share of one core; below, they
// are slower than plain stores. The bits are the same either way.
constexpr size_t kStreamMinBytes = size_t(16) << 20;

struct ForwardOp {
  static constexpr int kInputs = 1;
  template <class A, class F>
  SMELU_INLINE F operator()(const A& act, F x) const { return act.forward(x); }
};
struct BackwardOp {
  static constexpr int kInputs = 2;
  template <class A, class F>
  SMELU_INLINE F operator()(const A& act, F z, F dy) const { return act.backward(z, dy); }
};
struct BackwardFromOutputOp {
  static constexpr int kInputs = 2;
  template <class A, class F>
  SMELU_INLINE F operator()(const A& act, F y, F dy) const { return act.backward_from_output(y, dy); }
};

// Vectors interleaved by the main loop for activation A and direction Op, as measured at n = 4096
// on Zen 5 (AVX-512): 4 suits the table chains of GELU and the short kinds; the exp-based kinds
// gain ~4% with 6 (their ~40-cycle dependent chains need more vectors in flight: Swish forward
// 11.0 -> 11.5 elements/ns, Softplus 4.8 -> 5.2, sigmoid 11.0 -> 11.5), except Swish's backward,
// 2-3% slower with 6. With the table exp (math/exp.h) Swish's forward is back to 4 (bare loop
// 13.7-13.8 against 12.9-13.3; entry point 13.4-13.8 against 13.2-13.4); SIMD128, whose exp has
// no table, keeps 6 (its Swish forward fell from 1.67 to 1.29 elements/ns with 4).
// SmeLU's 5-operation forward ran at ~38 elements/ns with 4 and ~44 with 3, 6 or 8 in an earlier
// build, and at the same speed (~42-44) for any N >= 2 since (measured rather than modelled).
template <class A, class Op>
constexpr int kActUnroll = 4;
template <class V, class Op>
constexpr int kActUnroll<SmeluAct<V>, Op> = 8;
template <class V>
constexpr int kActUnroll<SwishAct<V>, ForwardOp> = V::kTableFree ? 6 : 4;
template <class V, class Op>
constexpr int kActUnroll<SigmoidAct<V>, Op> = 6;
template <class V, class Op>
constexpr int kActUnroll<GeluTanhAct<V>, Op> = 6;
template <class V, class Op>
constexpr int kActUnroll<SoftplusAct<V>, Op> = 6;

// op on the vector(s) of type U at offset i.
template <class U, class Op, class A>
SMELU_INLINE typename U::F act_apply(Op op, const A& act, const float* a, const float* b, size_t i) {
  if constexpr (Op::kInputs == 1) {
    return op(act, U::load(a + i));
  } else {
    return op(act, U::load(a + i), U::load(b + i));
  }
}

// The activation objects are built inside each routine rather than passed in: as locals whose
// address never escapes, g++ keeps their constants in registers (one register per constant even
// for VecUnroll, whose lanes all copy the same broadcast) instead of reloading them from memory.

// count < V::kWidth elements as one partial vector (masked where the tier can, padded with 0).
template <class V, class A, class Op>
void act_partial(Op op, const ActParams& p, const float* a, const float* b, float* out, size_t count) {
  if (count == 0) return;
  const A act(p);
  typename V::F r;
  if constexpr (Op::kInputs == 1) {
    r = op(act, V::load_first(a, count));
  } else {
    r = op(act, V::load_first(a, count), V::load_first(b, count));
  }
  V::store_first(out, r, count);
}

// Whole vectors from i while they fit; returns where it stopped.
template <class V, class A, bool kStream, class Op>
size_t act_body(Op op, const ActParams& p, const float* a, const float* b, float* out, size_t i, size_t n) {
  using U = VecUnroll<V, kActUnroll<A, Op>>;
  using AU = typename RebindAct<A, U>::type;
  constexpr size_t W = V::kWidth, WU = U::kWidth;
  const AU act_u(p);
  for (; i + WU <= n; i += WU) {
    const auto v = act_apply<U>(op, act_u, a, b, i);
    if constexpr (kStream) U::store_stream(out + i, v); else U::store(out + i, v);
  }
  const A act(p);
  for (; i + W <= n; i += W) {
    const auto v = act_apply<V>(op, act, a, b, i);
    if constexpr (kStream) V::store_stream(out + i, v); else V::store(out + i, v);
  }
  return i;
}

// Elements before `to` is aligned to V::kStreamAlign (the vector size): unaligned 64-byte accesses
// straddle two cache lines, and V8 hands out buffers at 16 or 48 mod 64, which costs ReLU a third
// of its L1 speed. Arrays allocated alike share the misalignment and all get aligned.
template <class V>
size_t act_head(const float* to, size_t n) {
  if constexpr (V::kStreamAlign == 0) {
    return 0;
  } else {
    const size_t misalign = reinterpret_cast<uintptr_t>(to) % V::kStreamAlign;
    if (misalign % sizeof(float) != 0 || n < 8 * V::kWidth) return 0;
    return misalign ? (V::kStreamAlign - misalign) / sizeof(float) : 0;
  }
}

// What to align when the arrays disagree modulo 64: the output, unless two inputs share an
// alignment the output lacks (two split loads per vector cost more than one split store). Which
// is faster otherwise depends on the arrays' distance too (4K aliasing, L1 banks: ReLU at 4096
// measured anywhere from 35 to 66 elements/ns for the same alignments); aligning the output was
// the better choice on arrays from V8.
template <class V>
const float* act_align_target(const float* a, const float* b, const float* out) {
  if constexpr (V::kStreamAlign == 0) {
    return out;
  } else {
    const auto mis = [](const float* q) { return reinterpret_cast<uintptr_t>(q) % V::kStreamAlign; };
    return b && mis(a) == mis(b) && mis(a) != mis(out) ? a : out;
  }
}

// Non-temporal stores for a large output (the loop aligns out first; a float* whose address is
// not a multiple of 4 cannot be aligned and gets plain stores).
template <class V>
bool act_stream(const float* out, size_t n) {
  if constexpr (V::kStreamAlign == 0) {
    return false;
  } else {
    return n * sizeof(float) >= kStreamMinBytes && reinterpret_cast<uintptr_t>(out) % sizeof(float) == 0;
  }
}

// out[i] = op(a[i] (, b[i])) with the activation A (on V); out may be exactly a or b (each vector
// is loaded before it is stored).
template <class V, class A, class Op>
void act_loop(Op op, const ActParams& p, const float* a, const float* b, float* out, size_t n) {
  const bool stream = act_stream<V>(out, n);
  const size_t head = act_head<V>(stream ? out : act_align_target<V>(a, b, out), n);
  act_partial<V, A>(op, p, a, b, out, head);
  size_t i;
  if (stream) {
    i = act_body<V, A, true>(op, p, a, b, out, head, n);
    V::stream_fence();
  } else {
    i = act_body<V, A, false>(op, p, a, b, out, head, n);
  }
  act_partial<V, A>(op, p, a + i, b ? b + i : nullptr, out + i, n - i);
}

template <class V>
struct ActEntry {
  template <class Op>
  static void run(const ActParams& p, Op op, const float* a, const float* b, float* out, size_t n) {
    dispatch_activation<V>(p, [&](const auto& act) {
      act_loop<V, std::decay_t<decltype(act)>>(op, p, a, b, out, n);
    });
  }
  static void forward(const ActParams& p, const float* x, float* y, size_t n) {
    run(p, ForwardOp{}, x, nullptr, y, n);
  }
  static void backward(const ActParams& p, const float* z, const float* dy, float* dz, size_t n) {
    run(p, BackwardOp{}, z, dy, dz, n);
  }
  static void backward_from_output(const ActParams& p, const float* y, const float* dy, float* dz, size_t n) {
    const BackwardFromOutputOp op;
    switch (p.kind) {
      case ActKind::relu: return act_loop<V, ReluAct<V>>(op, p, y, dy, dz, n);
      case ActKind::smelu: return act_loop<V, SmeluAct<V>>(op, p, y, dy, dz, n);
      default: std::fill(dz, dz + n, std::numeric_limits<float>::quiet_NaN());
    }
  }
  static constexpr ActKernels table() { return {&forward, &backward, &backward_from_output}; }
};

}  // namespace smelu
