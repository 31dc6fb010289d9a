// Bench-only program (never shipped): oneDNN's dense layer as a peer of smelu's.
//
//   onednn_bench --acts relu,gelu --shapes 256x64x64,512x512x512 --budget-ms 300 --min-samples 5
//                --warmup 2 [--min-sample-ms 0.5]
//
// Threads come from OMP_NUM_THREADS (oneDNN in Debian runs on OpenMP), so the bench starts one
// process per thread count. Output: one JSON object per line on stdout, first
// {"version": ...}, then one per (shape, activation, direction) with the median and best ns per
// call and the implementation oneDNN chose (impl_info_str).
//
// Forward: inner_product forward_inference with the activation as an eltwise post-op, weights
// reordered ONCE into the layout the primitive asks for (format any), as a oneDNN user does.
// Backward: eltwise_backward (dZ = dy * f'(z)), inner_product backward_data (dx) and
// backward_weights (dW, db), weights reordered once; diff_weights in the layout oneDNN prefers.
// SmeLU is not a oneDNN algorithm: it is reported as unavailable, not emulated.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

struct Options {
  std::vector<std::string> acts;
  std::vector<std::vector<int64_t>> shapes;
  double budget_ms = 300, min_sample_ms = 0.5;
  int min_samples = 5, warmup = 2;
};

struct Timing {
  double ns, best_ns;
  int samples;
};

double now_ns() {
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Same policy as bench/lib/util.js measure(): warm-up, batches of at least min_sample_ms, until
// both min_samples and the budget are reached; median and best ns per call.
template <class F>
Timing measure(F &&fn, const Options &o) {
  for (int i = 1; i < o.warmup; i++) fn();
  double t0 = now_ns();
  fn();
  double once = std::max(now_ns() - t0, 1.0);
  int batch = std::max(1, (int)std::ceil(o.min_sample_ms * 1e6 / once));
  int wanted = once * batch > o.budget_ms * 1e6 ? std::min(3, o.min_samples) : o.min_samples;
  std::vector<double> samples;
  double start = now_ns();
  while (samples.size() < 200) {
    t0 = now_ns();
    for (int i = 0; i < batch; i++) fn();
    samples.push_back((now_ns() - t0) / batch);
    if ((int)samples.size() >= wanted && now_ns() - start >= o.budget_ms * 1e6) break;
  }
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  size_t h = s.size() / 2;
  double med = s.size() % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  return {med, s.front(), (int)s.size()};
}

// xorshift32, as bench/lib/util.js fillUniform: every peer sees the same numbers.
void fill_uniform(std::vector<float> &a, float lo, float hi, uint32_t seed) {
  uint32_t s = seed ? seed : 1;
  for (auto &v : a) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    v = lo + (hi - lo) * (float)((double)s / 4294967296.0);
  }
}

// The bench's activation names -> oneDNN algorithm and alpha. identity: no post-op.
bool algorithm_of(const std::string &act, algorithm *alg, float *alpha) {
  static const std::map<std::string, std::pair<algorithm, float>> table = {
      {"relu", {algorithm::eltwise_relu, 0.f}},
      {"gelu", {algorithm::eltwise_gelu_erf, 0.f}},
      {"gelu_tanh", {algorithm::eltwise_gelu_tanh, 0.f}},
      {"swish", {algorithm::eltwise_swish, 1.f}},
      // soft_relu in oneDNN 2.x is log(1 + e^x): softplus with beta = 1.
      {"softplus", {algorithm::eltwise_soft_relu, 0.f}},
  };
  auto it = table.find(act);
  if (it == table.end()) return false;
  *alg = it->second.first;
  *alpha = it->second.second;
  return true;
}

struct Layer {
  int64_t m, k, n;
  std::vector<float> x, W, b, dy, z, y, dx, dZ, db;
};

// Our W is [k x n] row-major: in oneDNN's {OC = n, IC = k} dims that is tag ba.
memory::desc weights_user_md(const Layer &L) { return {{L.n, L.k}, dt::f32, tag::ba}; }

memory reorder_once(engine &eng, stream &s, memory &user, const memory::desc &want) {
  if (user.get_desc() == want) return user;
  memory out(want, eng);
  reorder(user, out).execute(s, user, out);
  s.wait();
  return out;
}

void print_row(const Layer &L, const std::string &act, const char *dir, const Timing &t, const std::string &impl) {
  std::printf(
      "{\"activation\":\"%s\",\"m\":%lld,\"k\":%lld,\"n\":%lld,\"direction\":\"%s\",\"ns\":%.1f,\"bestNs\":%.1f,"
      "\"samples\":%d,\"kernel\":\"%s\"}\n",
      act.c_str(), (long long)L.m, (long long)L.k, (long long)L.n, dir, t.ns, t.best_ns, t.samples, impl.c_str());
  std::fflush(stdout);
}

void forward(engine &eng, stream &s, Layer &L, const std::string &act, const Options &o) {
  memory::desc src_md({L.m, L.k}, dt::f32, tag::ab), dst_md({L.m, L.n}, dt::f32, tag::ab);
  memory::desc bias_md({L.n}, dt::f32, tag::a), w_any({L.n, L.k}, dt::f32, tag::any);
  inner_product_forward::desc d(prop_kind::forward_inference, src_md, w_any, bias_md, dst_md);
  primitive_attr attr;
  algorithm alg;
  float alpha;
  if (algorithm_of(act, &alg, &alpha)) {
    post_ops po;
    po.append_eltwise(1.f, alg, alpha, 0.f);
    attr.set_post_ops(po);
  }
  inner_product_forward::primitive_desc pd(d, attr, eng);
  memory w_user(weights_user_md(L), eng, L.W.data());
  memory w = reorder_once(eng, s, w_user, pd.weights_desc());
  memory src(src_md, eng, L.x.data()), bias(bias_md, eng, L.b.data()), dst(dst_md, eng, L.y.data());
  inner_product_forward prim(pd);
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}};
  Timing t = measure([&] { prim.execute(s, args); s.wait(); }, o);
  print_row(L, act, "forward", t, pd.impl_info_str());
}

// z = x W + b once (the pre-activation a training forward would have saved).
void fill_z(engine &eng, stream &s, Layer &L) {
  memory::desc src_md({L.m, L.k}, dt::f32, tag::ab), dst_md({L.m, L.n}, dt::f32, tag::ab);
  memory::desc bias_md({L.n}, dt::f32, tag::a);
  inner_product_forward::desc d(prop_kind::forward_inference, src_md, weights_user_md(L), bias_md, dst_md);
  inner_product_forward::primitive_desc pd(d, eng);
  memory src(src_md, eng, L.x.data()), w(weights_user_md(L), eng, L.W.data());
  memory bias(bias_md, eng, L.b.data()), dst(dst_md, eng, L.z.data());
  inner_product_forward(pd).execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, dst}});
  s.wait();
}

void backward(engine &eng, stream &s, Layer &L, const std::string &act, const Options &o) {
  memory::desc x_md({L.m, L.k}, dt::f32, tag::ab), y_md({L.m, L.n}, dt::f32, tag::ab);
  memory::desc bias_md({L.n}, dt::f32, tag::a), w_any({L.n, L.k}, dt::f32, tag::any);
  inner_product_forward::desc fd(prop_kind::forward_training, x_md, w_any, bias_md, y_md);
  inner_product_forward::primitive_desc fpd(fd, eng);
  inner_product_backward_data::primitive_desc dpd({x_md, w_any, y_md}, eng, fpd);
  inner_product_backward_weights::primitive_desc wpd({x_md, w_any, bias_md, y_md}, eng, fpd);

  memory w_user(weights_user_md(L), eng, L.W.data());
  memory w = reorder_once(eng, s, w_user, dpd.weights_desc());
  memory x(x_md, eng, L.x.data()), dy(y_md, eng, L.dy.data()), z(y_md, eng, L.z.data());
  memory dZ(y_md, eng, L.dZ.data()), dx(x_md, eng, L.dx.data()), db(bias_md, eng, L.db.data());
  memory dW(wpd.diff_weights_desc(), eng);
  inner_product_backward_data bwd_data(dpd);
  inner_product_backward_weights bwd_weights(wpd);

  algorithm alg;
  float alpha;
  const bool has_act = algorithm_of(act, &alg, &alpha);
  // identity: the gradient reaches the products unchanged.
  memory grad = has_act ? dZ : dy;
  eltwise_backward::primitive_desc epd;
  eltwise_backward bwd_act;
  std::string impl;
  if (has_act) {
    eltwise_forward::primitive_desc efpd({prop_kind::forward_training, alg, y_md, alpha, 0.f}, eng);
    epd = eltwise_backward::primitive_desc({alg, y_md, y_md, alpha, 0.f}, eng, efpd);
    bwd_act = eltwise_backward(epd);
    impl = std::string(epd.impl_info_str()) + " + ";
  }
  impl += std::string(dpd.impl_info_str()) + " + " + wpd.impl_info_str();
  std::unordered_map<int, memory> act_args = {{DNNL_ARG_SRC, z}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_SRC, dZ}};
  std::unordered_map<int, memory> data_args = {{DNNL_ARG_DIFF_DST, grad}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}};
  std::unordered_map<int, memory> weights_args = {
      {DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, grad}, {DNNL_ARG_DIFF_WEIGHTS, dW}, {DNNL_ARG_DIFF_BIAS, db}};
  Timing t = measure(
      [&] {
        if (has_act) bwd_act.execute(s, act_args);
        bwd_data.execute(s, data_args);
        bwd_weights.execute(s, weights_args);
        s.wait();
      },
      o);
  print_row(L, act, "backward", t, impl);
}

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep))
    if (!part.empty()) out.push_back(part);
  return out;
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--acts") o.acts = split(v, ',');
    else if (a == "--shapes") {
      for (auto &sh : split(v, ',')) {
        auto dims = split(sh, 'x');
        if (dims.size() != 3) throw std::invalid_argument("--shapes takes MxKxN,...; got " + sh);
        o.shapes.push_back({std::stoll(dims[0]), std::stoll(dims[1]), std::stoll(dims[2])});
      }
    } else if (a == "--budget-ms") o.budget_ms = std::stod(v);
    else if (a == "--min-sample-ms") o.min_sample_ms = std::stod(v);
    else if (a == "--min-samples") o.min_samples = std::stoi(v);
    else if (a == "--warmup") o.warmup = std::stoi(v);
    else throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

Layer make_layer(int64_t m, int64_t k, int64_t n) {
  Layer L{m, k, n, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  L.x.resize(m * k);
  L.W.resize(k * n);
  L.b.resize(n);
  L.dy.resize(m * n);
  float a = std::sqrt(3.f / (float)k);
  fill_uniform(L.x, -1, 1, 11);
  fill_uniform(L.W, -a, a, 12);
  fill_uniform(L.b, -0.1f, 0.1f, 13);
  fill_uniform(L.dy, -1, 1, 14);
  L.z.resize(m * n);
  L.y.resize(m * n);
  L.dZ.resize(m * n);
  L.dx.resize(m * k);
  L.db.resize(n);
  return L;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    Options o = parse(argc, argv);
    const dnnl_version_t *v = dnnl_version();
    std::printf("{\"version\":\"%d.%d.%d\"}\n", v->major, v->minor, v->patch);
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    for (auto &sh : o.shapes) {
      Layer L = make_layer(sh[0], sh[1], sh[2]);
      fill_z(eng, s, L);
      for (auto &act : o.acts) {
        algorithm alg;
        float alpha;
        if (act != "identity" && !algorithm_of(act, &alg, &alpha)) continue;  // not in oneDNN (smelu)
        forward(eng, s, L, act, o);
        backward(eng, s, L, act, o);
      }
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "onednn_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
