// A persistent pool of std::thread workers for the dense kernels.
//
// for_each(items, nt, fn) runs fn(item, tid) for every item on the calling thread (tid 0) and up
// to nt - 1 workers, each taking the next item from a shared counter. A worker joins a call only
// while it is open, and the call waits only for the workers that joined: a worker that the OS has
// not scheduled yet (the event loop, GC or another process holds its core) costs nothing, since
// the caller then takes its items. Workers spin briefly after a call (back-to-back calls from a
// serving or training loop then start at once) and then sleep on a condition variable.
//
// One for_each at a time: the dense runtime (kernels/dense/dense_runtime.h) serializes its callers
// with its own mutex (several Node threads or workers may call at once) and resizes the pool only
// under that mutex.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace smelu {

// Most threads a call may use, including the caller (the addon exports it as maxThreads).
constexpr int kMaxThreads = 1024;

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads including the caller.
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Joins the workers and starts threads - 1 new ones (no for_each may be in progress).
  void resize(int threads);

  using ItemFn = void (*)(void* ctx, size_t item, int tid);
  // Every item once, tid < min(nt, size()); returns when all are done.
  void for_each(size_t items, int nt, ItemFn fn, void* ctx);

  template <class F>
  void for_each(size_t items, int nt, F& f) {
    for_each(items, nt, [](void* c, size_t item, int tid) { (*static_cast<F*>(c))(item, tid); }, &f);
  }

 private:
  // state_: generation (high 32 bits) | kOpen | number of workers inside the call (low bits).
  static constexpr uint64_t kOpen = uint64_t(1) << 31;
  static constexpr uint64_t kActive = kOpen - 1;

  void start(int threads);
  void stop();
  void worker(int id, uint64_t seen);
  void run_items(int tid);
  void wait_for_workers();

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> state_{0};
  std::atomic<bool> stop_{false};
  // The call's arguments: written before the generation is published, read by joined workers.
  std::atomic<ItemFn> fn_{nullptr};
  std::atomic<void*> ctx_{nullptr};
  std::atomic<size_t> items_{0}, next_{0};
  std::atomic<int> nt_{0};
};

}  // namespace smelu
