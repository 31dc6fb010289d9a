// The dense layer's runtime: the persistent thread pool, the scratch buffers kept between calls,
// and the lock that lets one dense call at a time own both (several Node threads or workers may
// call at once). The GEMM frame runs on it through gemm::Runtime.
#pragma once
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "../../threadpool.h"
#include "../gemm/gemm_frame.h"

namespace smelu {

// Grow-only 64-byte aligned float buffer.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { release(); }
  float* get(size_t floats);
  size_t capacity() const { return cap_; }
  void release();

 private:
  float* p_ = nullptr;
  size_t cap_ = 0;
};

class DenseRuntime final : public gemm::Runtime {
 public:
  // The dense layer's own scratch slots, after the frame's.
  enum DenseSlot : size_t { kDz = kFrameSlots, kUnpackedW, kSlots };

  DenseRuntime();
  int usable_threads() const override;
  float* buffer(size_t slot, size_t floats) override;
  float* thread_buffer(int tid, size_t floats) override { return buffer(kSlots + tid, floats); }
  void for_each(size_t items, int nt, ItemFn fn, void* ctx) override;
  using gemm::Runtime::for_each;

  int threads() const { return threads_.load(); }
  // Under the call lock (CallScope).
  void set_threads(int n);
  // Joins the workers at exit; later calls run on the caller's thread.
  void shut_down();
  // Frees oversized scratch at the end of a call.
  void trim();

  std::mutex call;

 private:
  std::atomic<int> threads_;
  std::unique_ptr<ThreadPool> pool_;
  bool shut_down_ = false;
  bool oversized_ = false;  // a buffer grew past what trim() keeps: trim has work to do
  std::vector<Buffer> buffers_;
};

// The process's runtime: heap allocated and never destroyed, so a call that starts on a libuv
// thread during exit() still finds it intact.
DenseRuntime& dense_runtime();

// Holds the call lock for one dense call and trims oversized scratch at its end.
class CallScope {
 public:
  CallScope() : rt_(dense_runtime()), lock_(rt_.call) {}
  ~CallScope() { rt_.trim(); }
  DenseRuntime& rt() { return rt_; }

 private:
  DenseRuntime& rt_;
  std::lock_guard<std::mutex> lock_;
};

}  // namespace smelu
