// Node-API glue: unwraps arguments, checks just enough that a direct call can never touch memory
// out of bounds (the TypeScript layer gives the user-facing messages), and calls the kernels.

// A promise settled while a worker thread's environment is being torn down (worker.terminate()
// with an async call in flight) cannot throw into JS; without this, node-addon-api rethrows the
// failed napi_throw as a C++ exception out of a C callback, and the whole process aborts.
#define NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#include <napi.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <new>
#include <optional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dispatch.h"
#include "kernels/dense/dense.h"
#include "threadpool.h"

namespace smelu {
namespace {

struct F32 {
  float* data = nullptr;
  size_t length = 0;
  // Whether the argument was given: a view of a detached buffer has null data and length 0, so the
  // data pointer cannot tell a missing optional array from a given one.
  bool present = false;
};

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

// One napi_get_typedarray_info call checks the type and yields data and length: a call into
// Node-API costs tens of ns, and at L1 sizes the per-call cost rivals the kernel itself.
bool typed_array_info(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* length) {
  napi_typedarray_type type;
  // No ArrayBuffer handle or offset asked for: creating that handle is a good part of the cost.
  if (napi_get_typedarray_info(env, v, &type, length, data, nullptr, nullptr) != napi_ok) return false;
  return type == want;
}

// The arguments of a dense call, read with one napi_get_cb_info into a fixed array: beyond its six
// inline slots Napi::CallbackInfo allocates an array on the heap and asks Node-API a second time
// (the dense entries take 10 and 14). Same interface as CallbackInfo for the helpers below;
// arguments not given read as undefined, as there.
class Args {
 public:
  static constexpr size_t kMax = 14;
  Args(napi_env env, napi_callback_info info) : env_(env) {
    size_t argc = kMax;
    if (napi_get_cb_info(env, info, &argc, argv_, nullptr, nullptr) != napi_ok) {
      throw Napi::Error::New(env, "cannot read the call's arguments");
    }
  }
  Napi::Env Env() const { return Napi::Env(env_); }
  Napi::Value operator[](size_t i) const { return Napi::Value(env_, i < kMax ? argv_[i] : nullptr); }

 private:
  napi_env env_;
  napi_value argv_[kMax];
};

// A Node-API callback around fn(const Args&), turning a Napi::Error into a JS exception as
// Napi::Function::New does.
template <Napi::Value (*Fn)(const Args&)>
napi_value args_entry(napi_env env, napi_callback_info info) {
  try {
    return Fn(Args(env, info));
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

template <class Info>
F32 float32_arg(const Info& info, size_t i, const char* name) {
  F32 r;
  void* data = nullptr;
  if (!typed_array_info(info.Env(), info[i], napi_float32_array, &data, &r.length)) {
    throw_type(info.Env(), std::string(name) + " must be a Float32Array");
  }
  r.data = static_cast<float*>(data);
  r.present = true;
  return r;
}

// A Float32Array or null (or undefined). The array is tried first: one Node-API call when given.
template <class Info>
F32 optional_float32_arg(const Info& info, size_t i, const char* name) {
  F32 r;
  void* data = nullptr;
  if (typed_array_info(info.Env(), info[i], napi_float32_array, &data, &r.length)) {
    r.data = static_cast<float*>(data);
    r.present = true;
    return r;
  }
  if (info[i].IsNull() || info[i].IsUndefined()) return {};
  throw_type(info.Env(), std::string(name) + " must be a Float32Array");
}

template <class Info>
size_t size_arg(const Info& info, size_t i, const char* name) {
  // napi_get_value_double checks the type itself (napi_number_expected): one call, not two
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) throw_type(info.Env(), std::string(name) + " must be a number");
  // The range check comes first: converting a double beyond 2^64 to an integer is undefined.
  if (!(d >= 0) || d > 9007199254740991.0 || d != std::floor(d)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

template <class Info>
ActParams act_arg(const Info& info, size_t i) {
  // Compared as a double: an int32 read would wrap 2^32 + 2 or truncate 2.5 into a valid code.
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) throw_type(info.Env(), "activation code must be a number");
  if (!(d >= 0) || d >= static_cast<double>(ActKind::count) || d != std::floor(d)) {
    throw Napi::RangeError::New(info.Env(), "activation code out of range");
  }
  const int32_t code = static_cast<int32_t>(d);
  void* params = nullptr;
  size_t length = 0;
  if (!typed_array_info(info.Env(), info[i + 1], napi_float64_array, &params, &length) || length < kActParamSlots) {
    throw_type(info.Env(), "activation params must be a Float64Array of 5");
  }
  return make_act_params(code, static_cast<const double*>(params));
}

void require_length(Napi::Env env, const F32& a, size_t n, const char* name) {
  if (a.length != n) throw Napi::RangeError::New(env, std::string(name) + " has the wrong length");
}

// The memory rule, on data pointers and byte ranges (the last line behind lib/check.ts): copies of
// one SharedArrayBuffer in several workers are different objects over the same bytes, which no
// comparison of .buffer in JS can see. An output may share memory with an input only when
// in_place_ok and exactly in place (same start, same length).
void require_disjoint(Napi::Env env, const F32& out, const char* out_name, const F32& in, const char* in_name,
                      bool in_place_ok) {
  if (!out.data || !in.data || !out.length || !in.length) return;
  const uintptr_t o0 = reinterpret_cast<uintptr_t>(out.data), o1 = o0 + out.length * sizeof(float);
  const uintptr_t i0 = reinterpret_cast<uintptr_t>(in.data), i1 = i0 + in.length * sizeof(float);
  if (o0 >= i1 || i0 >= o1) return;
  if (in_place_ok && o0 == i0 && out.length == in.length) return;
  throw Napi::RangeError::New(
      env, in_place_ok ? std::string(out_name) + " overlaps " + in_name +
                             " without being exactly the same view: pass the same array for in place, or a separate one"
                       : std::string(out_name) + " must not share memory with " + in_name);
}

// A boolean as is (one call); anything else by its truthiness, as before.
template <class Info>
bool bool_arg(const Info& info, size_t i) {
  bool b;
  if (napi_get_value_bool(info.Env(), info[i], &b) == napi_ok) return b;
  return info[i].ToBoolean().Value();
}

void require_backward_from_output(Napi::Env env, const ActParams& p) {
  if (!has_backward_from_output(p.kind)) throw_type(env, "backward from the output needs relu or smelu");
}

constexpr const char* kOutOfMemory = "out of memory: the native scratch buffers for this call could not be allocated";

// Runs a kernel call on the JS thread. node-addon-api turns only Napi::Error into a JS exception:
// any other C++ exception (std::bad_alloc from a scratch buffer) escaping into Node aborts the
// process, so it becomes a RangeError here.
template <class F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, kOutOfMemory);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

// ---- activations ----

Napi::Value ActForward(const Napi::CallbackInfo& info) {
  ActParams p = act_arg(info, 0);
  F32 x = float32_arg(info, 2, "x"), y = float32_arg(info, 3, "y");
  require_length(info.Env(), y, x.length, "y");
  require_disjoint(info.Env(), y, "out", x, "x", true);
  kernels().act.forward(p, x.data, y.data, x.length);
  return info.Env().Undefined();
}

Napi::Value ActBackward(const Napi::CallbackInfo& info) {
  ActParams p = act_arg(info, 0);
  F32 z = float32_arg(info, 2, "z"), dy = float32_arg(info, 3, "dy"), dz = float32_arg(info, 4, "dz");
  require_length(info.Env(), dy, z.length, "dy");
  require_length(info.Env(), dz, z.length, "dz");
  require_disjoint(info.Env(), dz, "out", z, "z", true);
  require_disjoint(info.Env(), dz, "out", dy, "dy", true);
  kernels().act.backward(p, z.data, dy.data, dz.data, z.length);
  return info.Env().Undefined();
}

Napi::Value ActBackwardFromOutput(const Napi::CallbackInfo& info) {
  ActParams p = act_arg(info, 0);
  require_backward_from_output(info.Env(), p);
  F32 y = float32_arg(info, 2, "y"), dy = float32_arg(info, 3, "dy"), dz = float32_arg(info, 4, "dz");
  require_length(info.Env(), dy, y.length, "dy");
  require_length(info.Env(), dz, y.length, "dz");
  require_disjoint(info.Env(), dz, "out", y, "y", true);
  require_disjoint(info.Env(), dz, "out", dy, "dy", true);
  kernels().act.backward_from_output(p, y.data, dy.data, dz.data, y.length);
  return info.Env().Undefined();
}

// actBench(code, params, x, y, reps, mode): runs one kernel `reps` times inside C++ and returns the
// elapsed nanoseconds (steady_clock), so that a short kernel is not swamped by the cost of a
// Node-API call. mode 0 forward x -> y; 1 backward (z = x, dy a buffer of ones, dz = y); 2 backward
// from the output (y = x, dy ones, dz = y); 3 memcpy of x into y, the same bytes as a forward.
// Benchmarks only: the dy buffer stays allocated (per thread) for the next call.
Napi::Value ActBench(const Napi::CallbackInfo& info) {
  ActParams p = act_arg(info, 0);
  F32 x = float32_arg(info, 2, "x"), y = float32_arg(info, 3, "y");
  require_length(info.Env(), y, x.length, "y");
  const size_t reps = size_arg(info, 4, "reps"), mode = size_arg(info, 5, "mode");
  if (mode > 3) throw Napi::RangeError::New(info.Env(), "mode must be 0, 1, 2 or 3");
  if (mode == 2) require_backward_from_output(info.Env(), p);
  const ActKernels& k = kernels().act;
  // The ones for dy persist per thread between calls (only ever read), so that a benchmark's own
  // timing around the call (CPU time on a busy machine) does not include filling them.
  // dy shares x's address mod 64, as arrays from V8 do among themselves.
  thread_local std::vector<float> dy_store;
  const size_t dy_len = mode == 1 || mode == 2 ? x.length + 16 : 0;
  if (dy_store.size() < dy_len) guarded(info.Env(), [&] { dy_store.assign(dy_len, 1.0f); });
  float* dy = dy_len ? dy_store.data() : nullptr;
  while (dy && (reinterpret_cast<uintptr_t>(dy) - reinterpret_cast<uintptr_t>(x.data)) % 64 != 0) ++dy;
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t r = 0; r < reps; ++r) {
    switch (mode) {
      case 0: k.forward(p, x.data, y.data, x.length); break;
      case 1: k.backward(p, x.data, dy, y.data, x.length); break;
      case 2: k.backward_from_output(p, x.data, dy, y.data, x.length); break;
      // Empty arrays may have null data, and memcpy from null is undefined even for 0 bytes.
      default: if (x.length) std::memcpy(y.data, x.data, x.length * sizeof(float)); break;
    }
  }
  const auto t1 = std::chrono::steady_clock::now();
  return Napi::Number::New(info.Env(), std::chrono::duration<double, std::nano>(t1 - t0).count());
}

// ---- optimizers ----

// optimStep(kind, hyper, w, g, s1|null, s2|null): one optimizer update of w in place from g, with
// the state arrays kind needs (optim.h): kind 0 sgd (s1 = velocity when momentum != 0), 1 adagrad
// (s1 = accumulator), 2 adam / adamw (s1, s2 = moments); hyper a Float64Array of kOptimHyperSlots.
// g and the states used must have w's length; states the kind does not use are ignored.
Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double d;
  if (napi_get_value_double(env, info[0], &d) != napi_ok) throw_type(env, "optimizer kind must be a number");
  if (!(d >= 0) || d >= static_cast<double>(OptimKind::count) || d != std::floor(d)) {
    throw Napi::RangeError::New(env, "optimizer kind out of range");
  }
  void* hyper = nullptr;
  size_t hyper_length = 0;
  if (!typed_array_info(env, info[1], napi_float64_array, &hyper, &hyper_length)) {
    throw_type(env, "optimizer hyperparameters must be a Float64Array");
  }
  if (hyper_length < static_cast<size_t>(kOptimHyperSlots)) {
    throw Napi::RangeError::New(env, "optimizer hyperparameters must hold 8 values");
  }
  const OptimParams p = make_optim_params(static_cast<int32_t>(d), static_cast<const double*>(hyper));
  F32 w = float32_arg(info, 2, "w"), g = float32_arg(info, 3, "g");
  require_length(env, g, w.length, "g");
  const int states = optim_states(p);
  F32 s[2];
  const char* names[2] = {"s1", "s2"};
  for (int j = 0; j < 2; ++j) {
    if (j >= states) continue;
    s[j] = optional_float32_arg(info, 4 + j, names[j]);
    // A zero-length Float32Array may have a null data pointer: check presence by the argument.
    if (info[4 + j].IsNull() || info[4 + j].IsUndefined()) throw_type(env, std::string(names[j]) + " must be a Float32Array");
    require_length(env, s[j], w.length, names[j]);
  }
  // w is updated in place; g and the states must each be memory of their own.
  const F32* all[4] = {&w, &g, &s[0], &s[1]};
  const char* all_names[4] = {"w", "g", "s1", "s2"};
  for (int i = 0; i < 2 + states; ++i) {
    for (int j = i + 1; j < 2 + states; ++j) require_disjoint(env, *all[i], all_names[i], *all[j], all_names[j], false);
  }
  kernels().optim.step(p, w.data, g.data, s[0].data, s[1].data, w.length);
  return env.Undefined();
}

// ---- dense ----

using PackedRef = std::shared_ptr<PackedWeights>;

// What packWeights hands to JS: the pack and the shape it was made for. The shape is checked
// against every call's k and n (a pack for a smaller W would be read past its end), and the type
// tag makes sure an External from elsewhere is never taken for one.
struct PackedExternal {
  PackedRef ref;
  size_t k, n;
  int64_t bytes;  // reported to V8 as external memory while the handle lives
};
constexpr napi_type_tag kPackedTag = {0x736d656c75706b77ULL, 0x9b1f2c3d4e5f6071ULL};

size_t checked_product(Napi::Env env, size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) throw Napi::RangeError::New(env, "dimensions overflow");
  return a * b;
}

// The arrays of a dense call as given (an async call copies them; W is absent when packed).
struct ForwardArrays {
  F32 x, w, b, y, z;
};
struct BackwardArrays {
  F32 x, w, dy, saved, dx, dw, db;
};

// Arguments: m, k, n, x, w (Float32Array or packed External), b|null, code, params, y, z|null.
// Also returns the pack to keep alive for an async call, and the arrays when asked.
template <class Info>
DenseForward forward_args(const Info& info, PackedRef* keep_packed, ForwardArrays* arrays = nullptr) {
  Napi::Env env = info.Env();
  DenseForward a{};
  a.m = size_arg(info, 0, "m");
  a.k = size_arg(info, 1, "k");
  a.n = size_arg(info, 2, "n");
  F32 x = float32_arg(info, 3, "x");
  require_length(env, x, checked_product(env, a.m, a.k), "x");
  a.x = x.data;
  F32 w;
  if (info[4].IsExternal()) {
    auto ext = Napi::Value(info[4]).template As<Napi::External<PackedExternal>>();
    if (!ext.CheckTypeTag(&kPackedTag)) throw_type(env, "W must be a Float32Array or a handle from packWeights");
    const PackedExternal& packed = *ext.Data();
    if (packed.k != a.k || packed.n != a.n) throw Napi::RangeError::New(env, "W was packed for another k or n");
    *keep_packed = packed.ref;
    a.packed = packed.ref.get();
    a.w = nullptr;
  } else {
    w = float32_arg(info, 4, "W");
    require_length(env, w, checked_product(env, a.k, a.n), "W");
    a.w = w.data;
    a.packed = nullptr;
  }
  F32 b = optional_float32_arg(info, 5, "b");
  // by presence, not by data: a bias detached after the TypeScript checks is an error, not no bias
  if (b.present) require_length(env, b, a.n, "b");
  a.b = b.data;
  a.act = act_arg(info, 6);
  size_t mn = checked_product(env, a.m, a.n);
  F32 y = float32_arg(info, 8, "y");
  require_length(env, y, mn, "y");
  a.y = y.data;
  F32 z = optional_float32_arg(info, 9, "z");
  if (z.present) require_length(env, z, mn, "z");
  a.z = z.data;
  for (const F32* out : {&y, &z}) {
    const char* name = out == &y ? "out" : "zOut";
    require_disjoint(env, *out, name, x, "x", false);
    require_disjoint(env, *out, name, w, "W", false);
    require_disjoint(env, *out, name, b, "b", false);
  }
  require_disjoint(env, z, "zOut", y, "out", false);
  if (arrays) *arrays = {x, w, b, y, z};
  return a;
}

// Arguments: m, k, n, x, w, dy, saved, savedIsOutput, code, params, dx|null, dW, db|null, accumulate.
template <class Info>
DenseBackward backward_args(const Info& info, BackwardArrays* arrays = nullptr) {
  Napi::Env env = info.Env();
  DenseBackward a{};
  a.m = size_arg(info, 0, "m");
  a.k = size_arg(info, 1, "k");
  a.n = size_arg(info, 2, "n");
  size_t mk = checked_product(env, a.m, a.k), kn = checked_product(env, a.k, a.n),
         mn = checked_product(env, a.m, a.n);
  F32 x = float32_arg(info, 3, "x"), w = float32_arg(info, 4, "W"), dy = float32_arg(info, 5, "dy"),
      saved = float32_arg(info, 6, "saved");
  require_length(env, x, mk, "x");
  require_length(env, w, kn, "W");
  require_length(env, dy, mn, "dy");
  require_length(env, saved, mn, "saved");
  a.x = x.data;
  a.w = w.data;
  a.dy = dy.data;
  a.saved = saved.data;
  a.saved_is_output = bool_arg(info, 7);
  a.act = act_arg(info, 8);
  if (a.saved_is_output) require_backward_from_output(env, a.act);
  F32 dx = optional_float32_arg(info, 10, "dx");
  if (dx.present) require_length(env, dx, mk, "dx");
  a.dx = dx.data;
  F32 dw = float32_arg(info, 11, "dW");
  require_length(env, dw, kn, "dW");
  a.dw = dw.data;
  F32 db = optional_float32_arg(info, 12, "db");
  if (db.present) require_length(env, db, a.n, "db");
  a.db = db.data;
  a.accumulate = bool_arg(info, 13);
  const char* saved_name = a.saved_is_output ? "y" : "z";
  const std::pair<const F32*, const char*> outs[3] = {{&dx, "dx"}, {&dw, "dW"}, {&db, "db"}};
  for (size_t i = 0; i < 3; ++i) {
    const F32& o = *outs[i].first;
    const char* name = outs[i].second;
    require_disjoint(env, o, name, x, "x", false);
    require_disjoint(env, o, name, w, "W", false);
    require_disjoint(env, o, name, dy, "dy", false);
    require_disjoint(env, o, name, saved, saved_name, false);
    for (size_t j = 0; j < i; ++j) require_disjoint(env, o, name, *outs[j].first, outs[j].second, false);
  }
  if (arrays) *arrays = {x, w, dy, saved, dx, dw, db};
  return a;
}

void run_forward(const IsaKernels& k, const DenseForward& a) { dense_forward(k.gemm, a); }
void run_backward(const IsaKernels& k, const DenseBackward& a) { dense_backward(k.gemm, k.act, a); }

Napi::Value DenseForwardSync(const Args& info) {
  PackedRef keep;
  DenseForward a = forward_args(info, &keep);
  guarded(info.Env(), [&] { run_forward(kernels(), a); });
  return info.Env().Undefined();
}

Napi::Value DenseBackwardSync(const Args& info) {
  DenseBackward a = backward_args(info);
  guarded(info.Env(), [&] { run_backward(kernels(), a); });
  return info.Env().Undefined();
}

// An array an async call computes in: native memory of its own. V8 cannot pin an ArrayBuffer, so
// a caller's buffer transferred to another thread (postMessage, structuredClone with transfer)
// while the call runs could be freed under the pool threads; with a copy nothing JS does to its
// arrays meanwhile reaches the kernels. One allocation and one memcpy per array and direction.
class Staged {
 public:
  // Copies `length` floats from src when given; at least one float, so a present array is non-null.
  Staged(size_t length, const float* src)
      : data_(static_cast<float*>(::operator new[]((length ? length : 1) * sizeof(float), kAlign))), length_(length) {
    if (src && length) std::memcpy(data_.get(), src, length * sizeof(float));
  }
  float* data() const { return data_.get(); }
  size_t length() const { return length_; }

 private:
  static constexpr std::align_val_t kAlign{64};
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, kAlign); }
  };
  std::unique_ptr<float[], Free> data_;
  size_t length_;
};

// Runs a kernel on the libuv pool with the tier in use when it was queued, on copies: inputs are
// copied when the call is made (JS thread) and freed as soon as the kernel is done; outputs are
// allocated on the pool thread just before the kernel runs (calls run one after another, so 1,000
// pending calls do not hold 1,000 outputs, and their page faults stay off the JS thread) and copied
// back to the caller's arrays on the JS thread when it is done.
template <class Args, void (*Run)(const IsaKernels&, const Args&)>
class DenseWorker : public Napi::AsyncWorker {
 public:
  DenseWorker(Napi::Env env, PackedRef packed)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), packed_(std::move(packed)),
        kernels_(kernels()) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  // What the kernel gets: the entry point fills it with the call's arguments and the copies.
  Args& args() { return args_; }

  // The kernel's copy of an input (null when absent); an input given twice is copied once.
  const float* input(const F32& a) {
    if (!a.present) return nullptr;
    for (const auto& [from, copy] : inputs_) {
      if (from == a.data && copy.length() == a.length) return copy.data();
    }
    inputs_.emplace_back(a.data, Staged(a.length, a.data));
    return inputs_.back().second.data();
  }

  // Output argument `arg` (absent: *slot becomes null), written back on completion. *slot, a
  // pointer in args(), gets its buffer: now when copy_in (the kernel adds into what the array
  // holds: accumulate), else on the pool thread.
  void output(const Napi::CallbackInfo& info, size_t arg, const F32& a, const char* name, bool copy_in, float** slot) {
    *slot = nullptr;
    if (!a.present) return;
    outputs_.push_back({Napi::Persistent(info[arg].As<Napi::Object>()), name, a.length, slot, {}});
    if (copy_in) *slot = outputs_.back().copy.emplace(a.length, a.data).data();
  }

  void Execute() override {
    try {
      for (Output& o : outputs_) {
        if (!o.copy) *o.slot = o.copy.emplace(o.length, nullptr).data();
      }
      Run(kernels_, args_);
    } catch (const std::bad_alloc&) {
      out_of_memory_ = true;
      SetError(kOutOfMemory);
    }
    inputs_.clear();  // read by the kernel only
  }

  // Every output is checked before any is written: the caller gets all results or none.
  void OnOK() override {
    Napi::Env env = Env();
    std::vector<float*> dest(outputs_.size());
    for (size_t i = 0; i < outputs_.size(); ++i) {
      dest[i] = still_whole(outputs_[i]);
      if (!dest[i]) {
        deferred_.Reject(Napi::TypeError::New(env, std::string(outputs_[i].name) +
                                                       " was detached, transferred or shrunk while the async call was "
                                                       "pending: no result was written")
                             .Value());
        return;
      }
    }
    for (size_t i = 0; i < outputs_.size(); ++i) {
      if (outputs_[i].length) std::memcpy(dest[i], outputs_[i].copy->data(), outputs_[i].length * sizeof(float));
    }
    deferred_.Resolve(env.Undefined());
  }

  // Out of memory rejects with a RangeError, as the synchronous call throws.
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(out_of_memory_ ? Napi::RangeError::New(Env(), kOutOfMemory).Value() : e.Value());
  }

 private:
  struct Output {
    Napi::ObjectReference user;
    const char* name;
    size_t length;
    float** slot;
    std::optional<Staged> copy;
  };

  // Where the result goes now, or null when the caller's array lost its memory meanwhile.
  float* still_whole(const Output& o) {
    napi_env env = Env();
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value buffer;
    bool detached = true;
    if (napi_get_typedarray_info(env, o.user.Value(), &type, &length, &data, &buffer, nullptr) != napi_ok ||
        napi_is_detached_arraybuffer(env, buffer, &detached) != napi_ok || detached || length != o.length) {
      return nullptr;
    }
    return length ? static_cast<float*>(data) : o.copy->data();
  }

  Napi::Promise::Deferred deferred_;
  Args args_{};
  PackedRef packed_;
  const IsaKernels& kernels_;
  bool out_of_memory_ = false;
  std::vector<std::pair<const float*, Staged>> inputs_;
  std::vector<Output> outputs_;
};

template <class Worker>
Napi::Value queue(std::unique_ptr<Worker> w) {
  Napi::Promise p = w->promise();
  w.release()->Queue();  // the worker deletes itself after settling the promise
  return p;
}

Napi::Value DenseForwardAsync(const Napi::CallbackInfo& info) {
  PackedRef keep;
  ForwardArrays in;
  const DenseForward a = forward_args(info, &keep, &in);
  auto w = std::make_unique<DenseWorker<DenseForward, run_forward>>(info.Env(), keep);
  DenseForward& c = w->args() = a;
  guarded(info.Env(), [&] {
    c.x = w->input(in.x);
    if (!a.packed) c.w = w->input(in.w);
    c.b = w->input(in.b);
    w->output(info, 8, in.y, "out", false, &c.y);
    w->output(info, 9, in.z, "zOut", false, &c.z);
  });
  return queue(std::move(w));
}

Napi::Value DenseBackwardAsync(const Napi::CallbackInfo& info) {
  BackwardArrays in;
  const DenseBackward a = backward_args(info, &in);
  auto w = std::make_unique<DenseWorker<DenseBackward, run_backward>>(info.Env(), nullptr);
  DenseBackward& c = w->args() = a;
  guarded(info.Env(), [&] {
    c.x = w->input(in.x);
    c.w = w->input(in.w);
    c.dy = w->input(in.dy);
    c.saved = w->input(in.saved);
    w->output(info, 10, in.dx, "dx", false, &c.dx);
    w->output(info, 11, in.dw, "dW", c.accumulate, &c.dw);
    w->output(info, 12, in.db, "db", c.accumulate, &c.db);
  });
  return queue(std::move(w));
}

Napi::Value PackWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t k = size_arg(info, 0, "k"), n = size_arg(info, 1, "n");
  F32 w = float32_arg(info, 2, "W");
  require_length(env, w, checked_product(env, k, n), "W");
  PackedRef ref = guarded(env, [&] { return pack_weights(kernels().gemm, k, n, w.data); });
  // The pack's native memory (W padded to whole column panels, plus bookkeeping) is reported to V8:
  // the handle itself is a tiny JS object, and without this a loop of packs grows native memory
  // without bound until something else triggers a GC (1e6 small packs held 630 MB).
  const int64_t bytes = static_cast<int64_t>((k * (n + 63) + 16) * sizeof(float) + 256);
  auto* packed = new PackedExternal{std::move(ref), k, n, bytes};
  int64_t total = 0;
  napi_adjust_external_memory(env, bytes, &total);
  auto ext = Napi::External<PackedExternal>::New(env, packed, [](Napi::Env e, PackedExternal* p) {
    int64_t remaining = 0;
    napi_adjust_external_memory(e, -p->bytes, &remaining);
    delete p;
  });
  ext.TypeTag(&kPackedTag);
  return ext;
}

// ---- configuration ----

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", isa_name(current_isa()));
  Napi::Array tiers = Napi::Array::New(env);
  uint32_t i = 0;
  for (Isa t : supported_isas()) tiers.Set(i++, isa_name(t));
  o.Set("supportedIsas", tiers);
  o.Set("threads", get_threads());
#if defined(__clang__)
  o.Set("compiler", std::string("clang ") + __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", std::string("g++ ") + __VERSION__);
#else
  o.Set("compiler", "unknown");
#endif
  return o;
}

Napi::Value SetIsa(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) throw_type(info.Env(), "isa must be a string");
  Isa isa;
  if (!isa_from_name(info[0].As<Napi::String>().Utf8Value(), &isa)) return Napi::Boolean::New(info.Env(), false);
  return Napi::Boolean::New(info.Env(), set_isa(isa));
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  size_t n = size_arg(info, 0, "threads");
  if (n < 1 || n > static_cast<size_t>(kMaxThreads)) {
    throw Napi::RangeError::New(info.Env(), "threads must be from 1 to " + std::to_string(kMaxThreads));
  }
  set_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

Napi::Value raw_function(Napi::Env env, const char* name, napi_callback cb) {
  napi_value fn;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn), Napi::Value());
  return Napi::Value(env, fn);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  kernels();  // detects the CPU and builds the tables at load, not in the first call
  exports.Set("maxThreads", Napi::Number::New(env, kMaxThreads));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setIsa", Napi::Function::New(env, SetIsa));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("actForward", Napi::Function::New(env, ActForward));
  exports.Set("actBackward", Napi::Function::New(env, ActBackward));
  exports.Set("actBackwardFromOutput", Napi::Function::New(env, ActBackwardFromOutput));
  exports.Set("actBench", Napi::Function::New(env, ActBench));
  exports.Set("denseForward", raw_function(env, "denseForward", args_entry<DenseForwardSync>));
  exports.Set("denseBackward", raw_function(env, "denseBackward", args_entry<DenseBackwardSync>));
  exports.Set("denseForwardAsync", Napi::Function::New(env, DenseForwardAsync));
  exports.Set("denseBackwardAsync", Napi::Function::New(env, DenseBackwardAsync));
  exports.Set("packWeights", Napi::Function::New(env, PackWeights));
  exports.Set("optimStep", Napi::Function::New(env, OptimStep));
  return exports;
}

}  // namespace
}  // namespace smelu

static Napi::Object InitSmelu(Napi::Env env, Napi::Object exports) { return smelu::Init(env, exports); }

NODE_API_MODULE(smelu, InitSmelu)
