#include "dense_runtime.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <thread>

namespace smelu {

float* Buffer::get(size_t floats) {
  if (floats > cap_) {
    release();
    const size_t bytes = (std::max<size_t>(floats, 16) * sizeof(float) + 63) / 64 * 64;
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
    cap_ = floats;
  }
  return p_;
}

void Buffer::release() {
  std::free(p_);
  p_ = nullptr;
  cap_ = 0;
}

namespace {

// Scratch buffers above 64 MiB are freed after a call: allocating (and page-faulting) megabytes
// per call costs more than a small dense call itself, but a huge one should not stay resident.
constexpr size_t kKeepFloats = size_t(16) << 20;

int default_threads() {
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxThreads);
}

}  // namespace

DenseRuntime::DenseRuntime() : threads_(default_threads()), buffers_(kSlots + kMaxThreads) {}

float* DenseRuntime::buffer(size_t slot, size_t floats) {
  if (floats > kKeepFloats) oversized_ = true;
  return buffers_.at(slot).get(floats);
}

int DenseRuntime::usable_threads() const { return shut_down_ ? 1 : threads_.load(); }

void DenseRuntime::for_each(size_t items, int nt, ItemFn fn, void* ctx) {
  if (nt <= 1 || items <= 1 || shut_down_) {
    for (size_t i = 0; i < items; ++i) fn(ctx, i, 0);
    return;
  }
  if (!pool_) pool_.reset(new ThreadPool(usable_threads()));
  pool_->for_each(items, nt, fn, ctx);
}

void DenseRuntime::set_threads(int n) {
  threads_ = std::clamp(n, 1, kMaxThreads);
  if (pool_) pool_->resize(usable_threads());
}

void DenseRuntime::shut_down() {
  pool_.reset();
  shut_down_ = true;
}

// Only after a call that grew a buffer past kKeepFloats: walking all kSlots + kMaxThreads buffers
// on every call cost ~0.3-0.5 us, more than a small layer's kernel.
void DenseRuntime::trim() {
  if (!oversized_) return;
  oversized_ = false;
  for (auto& b : buffers_)
    if (b.capacity() > kKeepFloats) b.release();
}

DenseRuntime& dense_runtime() {
  static DenseRuntime* r = new DenseRuntime();
  return *r;
}

namespace {

struct ShutdownAtExit {
  ~ShutdownAtExit() {
    DenseRuntime& r = dense_runtime();
    std::lock_guard<std::mutex> l(r.call);  // waits for a call in flight on another thread
    r.shut_down();
  }
} shutdown_at_exit;

}  // namespace

void set_threads(int n) {
  CallScope scope;
  scope.rt().set_threads(n);
}

int get_threads() { return dense_runtime().threads(); }

}  // namespace smelu
