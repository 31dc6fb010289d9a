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

inline uint64_t generation(uint64_t s) { return s >> 32; }

}  // namespace

ThreadPool::ThreadPool(int threads) { start(threads); }

ThreadPool::~ThreadPool() { stop(); }

void ThreadPool::start(int threads) {
  stop_.store(false);
  // The generation is read here, not in the new thread, so that a call right after start() is
  // seen as new by a thread that has not been scheduled yet.
  const uint64_t gen = generation(state_.load());
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

void ThreadPool::run_items(int tid) {
  const ItemFn fn = fn_.load(std::memory_order_relaxed);
  void* const ctx = ctx_.load(std::memory_order_relaxed);
  const size_t items = items_.load(std::memory_order_relaxed);
  for (size_t i; (i = next_.fetch_add(1, std::memory_order_relaxed)) < items;) fn(ctx, i, tid);
}

void ThreadPool::for_each(size_t items, int nt, ItemFn fn, void* ctx) {
  if (nt > size()) nt = size();
  if (nt <= 1 || items <= 1) {
    for (size_t i = 0; i < items; ++i) fn(ctx, i, 0);
    return;
  }
  fn_.store(fn, std::memory_order_relaxed);
  ctx_.store(ctx, std::memory_order_relaxed);
  items_.store(items, std::memory_order_relaxed);
  nt_.store(nt, std::memory_order_relaxed);
  next_.store(0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> l(m_);
    const uint64_t gen = generation(state_.load(std::memory_order_relaxed)) + 1;
    state_.store((gen << 32) | kOpen, std::memory_order_release);
  }
  wake_.notify_all();
  run_items(0);
  // Every item is taken. Close the call: from now on no worker joins, and only those inside it
  // (finishing their last item) are waited for.
  if (state_.fetch_and(~kOpen, std::memory_order_acq_rel) & kActive) wait_for_workers();
}

void ThreadPool::wait_for_workers() {
  auto done = [this] { return (state_.load(std::memory_order_acquire) & kActive) == 0; };
  if (spin_until(done, kCallerSpinUs)) return;
  std::unique_lock<std::mutex> l(m_);
  done_.wait(l, done);
}

void ThreadPool::worker(int id, uint64_t seen) {
  for (;;) {
    auto fresh = [&] { return generation(state_.load(std::memory_order_acquire)) != seen || stop_.load(); };
    if (!spin_until(fresh, kWorkerSpinUs)) {
      std::unique_lock<std::mutex> l(m_);
      wake_.wait(l, fresh);
    }
    if (stop_.load()) return;
    uint64_t s = state_.load(std::memory_order_acquire);
    seen = generation(s);
    // Join only the call of this generation, only while it is open, only if it wants this many
    // threads. A failed exchange means the call closed (or a newer one began: seen next round).
    bool joined = false;
    while (generation(s) == seen && (s & kOpen) && id < nt_.load(std::memory_order_relaxed)) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        joined = true;
        break;
      }
    }
    if (!joined) continue;
    run_items(id);
    const uint64_t before = state_.fetch_sub(1, std::memory_order_acq_rel);
    if ((before & kActive) == 1 && !(before & kOpen)) {
      std::lock_guard<std::mutex> l(m_);
      done_.notify_all();
    }
  }
}

}  // namespace smelu
