// Placeholder driver: plain loops with one FMA chain per output in k order (the arithmetic every
// tier must reproduce). Replaced by the blocked, packed, threaded driver.
#include <cmath>
#include <cstring>
#include <vector>

#include "dense.h"

namespace smelu {

struct PackedWeights {
  size_t k, n;
  std::vector<float> w;
};

std::shared_ptr<PackedWeights> pack_weights(Isa, size_t k, size_t n, const float* w) {
  auto p = std::make_shared<PackedWeights>();
  p->k = k;
  p->n = n;
  p->w.assign(w, w + k * n);
  return p;
}

void dense_forward(Isa isa, const DenseForward& a) {
  const float* w = a.packed ? a.packed->w.data() : a.w;
  std::vector<float> row(a.n);
  for (size_t i = 0; i < a.m; ++i) {
    for (size_t j = 0; j < a.n; ++j) {
      float acc = 0;
      for (size_t p = 0; p < a.k; ++p) acc = std::fma(a.x[i * a.k + p], w[p * a.n + j], acc);
      row[j] = a.b ? acc + a.b[j] : acc;
    }
    if (a.z) std::memcpy(a.z + i * a.n, row.data(), a.n * sizeof(float));
    act_kernels(isa).forward(a.act, row.data(), a.y + i * a.n, a.n);
  }
}

void dense_backward(Isa isa, const DenseBackward& a) {
  std::vector<float> dz(a.m * a.n);
  if (a.saved_is_output)
    act_kernels(isa).backward_from_output(a.act, a.saved, a.dy, dz.data(), dz.size());
  else
    act_kernels(isa).backward(a.act, a.saved, a.dy, dz.data(), dz.size());
  if (a.dx) {
    for (size_t i = 0; i < a.m; ++i)
      for (size_t p = 0; p < a.k; ++p) {
        float acc = 0;
        for (size_t j = 0; j < a.n; ++j) acc = std::fma(dz[i * a.n + j], a.w[p * a.n + j], acc);
        a.dx[i * a.k + p] = acc;
      }
  }
  for (size_t p = 0; p < a.k; ++p)
    for (size_t j = 0; j < a.n; ++j) {
      float acc = a.accumulate ? a.dw[p * a.n + j] : 0.0f;
      for (size_t i = 0; i < a.m; ++i) acc = std::fma(a.x[i * a.k + p], dz[i * a.n + j], acc);
      a.dw[p * a.n + j] = acc;
    }
  if (a.db) {
    for (size_t j = 0; j < a.n; ++j) {
      float acc = a.accumulate ? a.db[j] : 0.0f;
      for (size_t i = 0; i < a.m; ++i) acc += dz[i * a.n + j];
      a.db[j] = acc;
    }
  }
}

static int g_threads = 1;
void set_threads(int n) { g_threads = n; }
int get_threads() { return g_threads; }

}  // namespace smelu
