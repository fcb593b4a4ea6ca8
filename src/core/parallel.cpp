// A minimal pool: workers sleep on a condition variable (no spinning that would fight
// OpenBLAS's threads for the cores) and wake for one job at a time.
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "xgrad/core/threads.hpp"

namespace xg::detail {
namespace {

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }

  // Runs job(part) for part in [0, parts), part 0 on the calling thread.
  void run(std::size_t parts, const std::function<void(std::size_t)>& job) {
    while (workers_.size() + 1 < parts) {
      const std::size_t index = workers_.size() + 1;
      workers_.emplace_back([this, index] { work(index); });
    }
    job_ = &job;
    parts_ = parts;
    pending_.store(parts - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(m_);  // a sleeping worker cannot miss the new job
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    job(0);
    for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins)
      if (spins > 64) std::this_thread::yield();
  }

  std::mutex busy;  // one parallel_for at a time

 private:
  // Polls for a few microseconds after each job (the next elementwise op of a step often follows
  // at once), then sleeps: an idle pool costs no CPU, and a sleeping worker is woken on an idle
  // core (a thread that keeps polling stays on its parent's core and shares it).
  void work(std::size_t index) {
    std::size_t seen = 0;
    for (;;) {
      bool fresh = false;
      for (int spin = 0; spin < 2000 && !fresh; ++spin) {
        fresh = generation_.load(std::memory_order_acquire) != seen;
        if (!fresh) relax();
      }
      if (!fresh) {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
        if (stop_) return;
      }
      seen = generation_.load(std::memory_order_acquire);
      if (index >= parts_) continue;
      (*job_)(index);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::mutex m_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t parts_ = 0;
  std::atomic<std::size_t> pending_{0}, generation_{0};
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

std::size_t parallel_chunks(std::size_t n) {
  if (n < kParallelGrain) return 1;
  return std::size_t(std::max(1, std::min(num_threads(), int(n / (kParallelGrain / 2)))));
}

void parallel_for_chunks(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  const std::size_t parts = parallel_chunks(n);
  Pool& p = pool();
  std::unique_lock<std::mutex> busy(p.busy, std::try_to_lock);
  if (parts == 1 || !busy.owns_lock()) return fn(0, n);
  const std::size_t chunk = (n / parts + 63) / 64 * 64;
  p.run(parts, [&](std::size_t part) {
    const std::size_t begin = std::min(n, part * chunk);
    const std::size_t end = part + 1 == parts ? n : std::min(n, begin + chunk);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace xg::detail
