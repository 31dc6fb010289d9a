#include "threadpool.h"

#include <chrono>

namespace smelu {

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until done() or ~budget_us passed; true when done() became true.
template <class Done>
bool spin_until(Done done, int budget_us) {
  using clock = std::chrono::steady_clock;
  const auto until = clock::now() + std::chrono::microseconds(budget_us);
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (clock::now() >= until) return false;
  }
}

// Long enough to bridge the gap between back-to-back calls from JS, short enough not to steal
// a core from the event loop for long.
constexpr int kWorkerSpinUs = 50;
constexpr int kCallerSpinUs = 200;

}  // namespace

ThreadPool::ThreadPool(int threads) { start(threads); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start(int threads) {
  stop_.store(false);
  // The generation is read here, not in the new thread: a run() right after start() must not be
  // missed by a thread that has not been scheduled yet.
  const uint64_t gen = gen_.load();
  for (int id = 1; id < threads; ++id) workers_.emplace_back([this, id, gen] { worker(id, gen); });
}

void ThreadPool::stop() {
  {
    std::lock_guard<std::mutex> l(m_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

void ThreadPool::resize(int threads) {
  if (threads == size()) return;
  stop();
  start(threads);
}

void ThreadPool::run(int nt, Fn fn, void* ctx) {
  if (nt > size()) nt = size();
  if (nt <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  job_ = Job{fn, ctx, nt};
  // Every worker reports back, also those beyond nt: none may still be reading job_ when the
  // next run() overwrites it.
  pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> l(m_);
    gen_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  fn(ctx, 0, nt);
  wait_done();
}

void ThreadPool::wait_done() {
  auto done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (spin_until(done, kCallerSpinUs)) return;
  std::unique_lock<std::mutex> l(m_);
  done_.wait(l, done);
}

void ThreadPool::worker(int id, uint64_t seen) {
  for (;;) {
    auto fresh = [&] { return gen_.load(std::memory_order_acquire) != seen || stop_.load(); };
    if (!spin_until(fresh, kWorkerSpinUs)) {
      std::unique_lock<std::mutex> l(m_);
      wake_.wait(l, fresh);
    }
    if (stop_.load()) return;
    seen = gen_.load(std::memory_order_acquire);
    const Job job = job_;
    if (id < job.nt) job.fn(job.ctx, id, job.nt);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> l(m_);
      done_.notify_one();
    }
  }
}

}  // namespace smelu
