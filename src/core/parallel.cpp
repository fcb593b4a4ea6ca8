// The pool of parallel.hpp. One job at a time: the caller publishes it, wakes sleeping workers,
// and claims tasks itself; workers that arrive claim what is left. A job lives on the caller's
// stack, so before returning the caller waits until no worker is attached to it.
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

// Polls of an idle worker (or a waiting caller) before it sleeps: about 20-50 µs, long enough to
// catch the next job of a training step, short enough to cost nothing measurable when idle.
constexpr int kPolls = 2000;

using Task = void (*)(void*, std::size_t);

struct Job {
  Task task;
  void* context;
  std::size_t count;
  std::atomic<std::size_t> next{0};

  void claim_all() {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) task(context, i);
  }
};

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

  void run(std::size_t threads, std::size_t count, Task task, void* context) {
    while (workers_.size() + 1 < threads)
      workers_.emplace_back([this, index = workers_.size()] { work(index); });
    helpers_.store(threads - 1);
    Job job{task, context, count};
    job_.store(&job);
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      { std::lock_guard<std::mutex> lock(m_); }  // a worker between its check and its wait
      wake_.notify_all();
    }
    job.claim_all();
    job_.store(nullptr);
    wait_detached();
  }

  std::mutex busy;  // one job at a time

 private:
  void work(std::size_t index) {
    std::uint64_t seen = 0;
    for (;;) {
      if (!wait_for_job(seen)) return;
      seen = generation_.load();
      if (index >= helpers_.load()) continue;  // fewer threads configured than workers exist
      attached_.fetch_add(1);
      if (Job* job = job_.load()) job->claim_all();
      if (attached_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
        std::lock_guard<std::mutex> lock(m_);
        detached_.notify_one();
      }
    }
  }

  // Returns false when the pool stops.
  bool wait_for_job(std::uint64_t seen) {
    for (int i = 0; i < kPolls; ++i) {
      if (generation_.load(std::memory_order_relaxed) != seen) return true;
      relax();
    }
    sleepers_.fetch_add(1);
    std::unique_lock<std::mutex> lock(m_);
    wake_.wait(lock, [&] { return stop_ || generation_.load() != seen; });
    sleepers_.fetch_sub(1);
    return !stop_;
  }

  // Every task is claimed; the ones workers claimed may still be running.
  void wait_detached() {
    for (int i = 0; i < kPolls; ++i) {
      if (attached_.load() == 0) return;
      relax();
    }
    caller_sleeping_.store(true);
    std::unique_lock<std::mutex> lock(m_);
    detached_.wait(lock, [&] { return attached_.load() == 0; });
    caller_sleeping_.store(false);
  }

  std::vector<std::thread> workers_;
  std::atomic<Job*> job_{nullptr};
  std::atomic<std::size_t> helpers_{0};  // workers allowed to join (threads - 1)
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> attached_{0}, sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::mutex m_;
  std::condition_variable wake_, detached_;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

std::size_t chunk_size(std::size_t n, std::size_t chunks) { return (n / chunks + 63) / 64 * 64; }

}  // namespace

void parallel_tasks(std::size_t count, Task task, void* context) {
  const std::size_t threads = std::size_t(num_threads());
  Pool& p = pool();
  std::unique_lock<std::mutex> busy(p.busy, std::defer_lock);
  if (threads == 1 || count <= 1 || !busy.try_lock()) {
    for (std::size_t i = 0; i < count; ++i) task(context, i);
    return;
  }
  p.run(threads, count, task, context);
}

// One chunk per thread (sums over chunks add in chunk order, so this also fixes their rounding).
std::size_t parallel_chunks(std::size_t n) {
  if (n < kParallelGrain) return 1;
  return std::size_t(std::max(1, std::min(num_threads(), int(n / (kParallelGrain / 2)))));
}

void parallel_for_chunks(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
  const std::size_t chunks = parallel_chunks(n);
  if (chunks == 1) return fn(0, n);
  struct Context {
    const std::function<void(std::size_t, std::size_t)>* fn;
    std::size_t n, chunks, size;
  } ctx{&fn, n, chunks, chunk_size(n, chunks)};
  parallel_tasks(
      chunks,
      [](void* c, std::size_t i) {
        const auto& x = *static_cast<Context*>(c);
        const std::size_t begin = std::min(x.n, i * x.size);
        const std::size_t end = i + 1 == x.chunks ? x.n : std::min(x.n, begin + x.size);
        if (begin < end) (*x.fn)(begin, end);
      },
      &ctx);
}

}  // namespace xg::detail
