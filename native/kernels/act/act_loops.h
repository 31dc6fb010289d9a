// Elementwise loops over any activation of act_math.h, for one Vec type. Four independent vectors
// per iteration keep the pipes busy (the formulas are dependent chains); the tail goes through a
// padded stack buffer so it uses the very same vector code, and so the same bits.
#pragma once
#include <cstring>

#include "act.h"
#include "act_math.h"

namespace smelu {

template <class V, class A>
void act_forward_loop(const A& act, const float* x, float* y, size_t n) {
  constexpr size_t W = V::kWidth;
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    auto a = act.forward(V::load(x + i));
    auto b = act.forward(V::load(x + i + W));
    auto c = act.forward(V::load(x + i + 2 * W));
    auto d = act.forward(V::load(x + i + 3 * W));
    V::store(y + i, a);
    V::store(y + i + W, b);
    V::store(y + i + 2 * W, c);
    V::store(y + i + 3 * W, d);
  }
  for (; i + W <= n; i += W) V::store(y + i, act.forward(V::load(x + i)));
  if (i < n) {
    float buf[W] = {};
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    V::store(buf, act.forward(V::load(buf)));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

// Op is a member-function-like callable: op(act, zv, dyv).
template <class V, class A, class Op>
void act_binary_loop(const A& act, Op op, const float* z, const float* dy, float* dz, size_t n) {
  constexpr size_t W = V::kWidth;
  size_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W) {
    auto a = op(act, V::load(z + i), V::load(dy + i));
    auto b = op(act, V::load(z + i + W), V::load(dy + i + W));
    auto c = op(act, V::load(z + i + 2 * W), V::load(dy + i + 2 * W));
    auto d = op(act, V::load(z + i + 3 * W), V::load(dy + i + 3 * W));
    V::store(dz + i, a);
    V::store(dz + i + W, b);
    V::store(dz + i + 2 * W, c);
    V::store(dz + i + 3 * W, d);
  }
  for (; i + W <= n; i += W) V::store(dz + i, op(act, V::load(z + i), V::load(dy + i)));
  if (i < n) {
    float bz[W] = {}, bd[W] = {};
    std::memcpy(bz, z + i, (n - i) * sizeof(float));
    std::memcpy(bd, dy + i, (n - i) * sizeof(float));
    V::store(bz, op(act, V::load(bz), V::load(bd)));
    std::memcpy(dz + i, bz, (n - i) * sizeof(float));
  }
}

template <class V>
struct ActEntry {
  static void forward(const ActParams& p, const float* x, float* y, size_t n) {
    switch (p.kind) {
      case ActKind::relu: return act_forward_loop<V>(ReluAct<V>(p), x, y, n);
      case ActKind::smelu: return act_forward_loop<V>(SmeluAct<V>(p), x, y, n);
      default:
        if (x != y) std::memmove(y, x, n * sizeof(float));
        return;
    }
  }
  template <class A>
  static void backward_with(const A& act, const float* z, const float* dy, float* dz, size_t n) {
    act_binary_loop<V>(act, [](const A& a, typename V::F zv, typename V::F dv) { return a.backward(zv, dv); }, z, dy, dz, n);
  }
  static void backward(const ActParams& p, const float* z, const float* dy, float* dz, size_t n) {
    switch (p.kind) {
      case ActKind::relu: return backward_with(ReluAct<V>(p), z, dy, dz, n);
      case ActKind::smelu: return backward_with(SmeluAct<V>(p), z, dy, dz, n);
      default: return backward_with(IdentityAct<V>(p), z, dy, dz, n);
    }
  }
  template <class A>
  static void from_output_with(const A& act, const float* y, const float* dy, float* dz, size_t n) {
    act_binary_loop<V>(act, [](const A& a, typename V::F yv, typename V::F dv) { return a.backward_from_output(yv, dv); }, y, dy, dz, n);
  }
  static void backward_from_output(const ActParams& p, const float* y, const float* dy, float* dz, size_t n) {
    switch (p.kind) {
      case ActKind::smelu: return from_output_with(SmeluAct<V>(p), y, dy, dz, n);
      default: return from_output_with(ReluAct<V>(p), y, dy, dz, n);
    }
  }
  static constexpr ActKernels table() { return {&forward, &backward, &backward_from_output}; }
};

}  // namespace smelu
