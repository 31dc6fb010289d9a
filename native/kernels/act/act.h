// Activation kernels: the kinds, their parameters, and the per-ISA entry points.
// One definition of each activation (act_math.h) serves every tier and the fused dense epilogue.
#pragma once
#include <cstddef>
#include <cstdint>

namespace smelu {

// Every activation kind with its struct in act_math.h, in code order: the same order and names
// as ACTIVATION_KINDS in the TypeScript descriptors (lib/activation*.ts). A new kind is one line
// here and its struct (formulas and derived constants) in act_math.h; the enum, the dispatch
// switch and the derivation of the constants all come from this list.
#define SMELU_ACTIVATIONS(X) \
  X(identity, IdentityAct)   \
  X(relu, ReluAct)           \
  X(smelu, SmeluAct)         \
  X(gsmelu, GsmeluAct)       \
  X(rescu2, Rescu2Act)       \
  X(gelu, GeluAct)           \
  X(gelu_tanh, GeluTanhAct)  \
  X(swish, SwishAct)         \
  X(softplus, SoftplusAct)   \
  X(sigmoid, SigmoidAct)

enum class ActKind : int32_t {
#define SMELU_ACT_KIND(kind, Act) kind,
  SMELU_ACTIVATIONS(SMELU_ACT_KIND)
#undef SMELU_ACT_KIND
  count
};

constexpr int kActParamSlots = 5;

// Float32 constants derived once from the float64 parameters, shared by every tier so that the
// tiers compute with identical constants (and so identical bits).
struct ActParams {
  ActKind kind = ActKind::identity;
  float p[kActParamSlots] = {0, 0, 0, 0, 0};  // raw parameters, rounded to float32
  float c[8] = {0, 0, 0, 0, 0, 0, 0, 0};      // kind-specific derived constants (A::derive, act_math.h)
};

// Validation is the TypeScript layer's job; this only derives constants. beta = 0 SmeLU (and any
// SmeLU whose 1/(2 beta) overflows float32) becomes ReLU, as the spec requires.
ActParams make_act_params(int32_t kind, const double* raw);

// Backward from the output y = f(x) needs f' as a function of y: relu and smelu only. The
// TypeScript layer applies the rule; the addon refuses any other kind.
constexpr bool has_backward_from_output(ActKind k) { return k == ActKind::relu || k == ActKind::smelu; }

// Elementwise kernels. Outputs may be exactly in place over an input.
struct ActKernels {
  // y = f(x)
  void (*forward)(const ActParams&, const float* x, float* y, size_t n);
  // dz = dy * f'(z)
  void (*backward)(const ActParams&, const float* z, const float* dy, float* dz, size_t n);
  // dz = dy * f'(x) from y = f(x); relu and smelu only (has_backward_from_output): any other kind
  // gives NaN, never a plausible gradient.
  void (*backward_from_output)(const ActParams&, const float* y, const float* dy, float* dz, size_t n);
};

extern const ActKernels act_kernels_scalar;
#if defined(__x86_64__)
extern const ActKernels act_kernels_avx2;
extern const ActKernels act_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const ActKernels act_kernels_neon;
#endif

}  // namespace smelu
