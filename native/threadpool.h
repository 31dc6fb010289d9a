// A persistent pool of std::thread workers for the dense kernels. run() hands one job to the
// first nt threads (the caller is thread 0) and returns when all are done. Workers spin briefly
// after a job (back-to-back calls from a serving or training loop then start within ~1 us) and
// then sleep on a condition variable.
//
// The pool itself is not reentrant: one run() at a time. The dense driver serializes its callers
// with its own mutex (several Node threads or workers may call at once) and resizes the pool only
// under that mutex.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace smelu {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Threads including the caller.
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  // Joins the workers and starts threads - 1 new ones (no run() may be in progress).
  void resize(int threads);

  using Fn = void (*)(void* ctx, int tid, int nt);
  // Calls fn(ctx, tid, nt) for tid in [0, nt), nt = min(nt, size()); tid 0 on this thread.
  void run(int nt, Fn fn, void* ctx);

  template <class F>
  void run(int nt, F& f) {
    run(nt, [](void* c, int tid, int n) { (*static_cast<F*>(c))(tid, n); }, &f);
  }

 private:
  struct Job {
    Fn fn = nullptr;
    void* ctx = nullptr;
    int nt = 0;
  };
  void start(int threads);
  void stop();
  void worker(int id, uint64_t seen);
  void wait_done();

  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> gen_{0};     // bumped (under m_) for each job
  std::atomic<int> pending_{0};      // workers that have not finished the current job
  std::atomic<bool> stop_{false};
  Job job_;                          // written before gen_ is bumped, read after it is seen
};

}  // namespace smelu
