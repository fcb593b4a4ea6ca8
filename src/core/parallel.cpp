// The pool of parallel.hpp. One job at a time: the caller publishes it, wakes sleeping workers,
// and claims tasks itself; workers that arrive claim what is left. A job lives on the caller's
// stack, so before returning the caller waits until no worker is attached to it.
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
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
  std::atomic<std::size_t> next{0}, by_workers{0};

  // Returns the number of tasks this thread ran.
  std::size_t claim_all() {
    std::size_t ran = 0;
    for (std::size_t i; (i = next.fetch_add(1)) < count; ++ran) task(context, i);
    return ran;
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
    const auto start = Clock::now();
    if (start < serial_until_) {  // backing off: the cores are busy with other work
      for (std::size_t i = 0; i < count; ++i) task(context, i);
      return;
    }
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
    const auto claimed = Clock::now();
    wait_detached();
    judge(claimed - start, Clock::now() - claimed, job.by_workers.load() > 0);
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
      if (Job* job = job_.load()) job->by_workers.fetch_add(job->claim_all());
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

  using Clock = std::chrono::steady_clock;

  // Oversubscription guard. After its own share the caller waits only for tasks that workers
  // have started; on idle cores that is at most about one task, and a worker woken for a job
  // joins it within tens of microseconds. When instead the caller waits much longer than it
  // worked (a worker lost its core mid-task to another program: each such wait costs a
  // scheduler time slice, milliseconds), or works alone through a long job (no worker got a
  // core at all, and the ones polling for it only took time from the caller), the cores are
  // taken. Two such jobs in a row switch the pool off for a while (10 ms, doubling up to 1 s
  // while it keeps happening, halving again once jobs run well): xgrad then runs like one
  // thread, its workers asleep, instead of slower than one thread.
  void judge(Clock::duration working, Clock::duration waiting, bool helped) {
    using std::chrono::microseconds;
    using std::chrono::milliseconds;
    const bool stalled = waiting > working + microseconds(200);
    const bool alone = !helped && working > microseconds(100);
    if (!stalled && !alone) {
      if (helped) {  // a short job nobody joined says nothing either way
        strikes_ = 0;
        backoff_ = std::max(milliseconds(10), backoff_ / 2);
      }
      return;
    }
    if (++strikes_ < 2) return;
    strikes_ = 0;
    serial_until_ = Clock::now() + backoff_;
    backoff_ = std::min(milliseconds(1000), backoff_ * 2);
  }

  Clock::time_point serial_until_{};
  std::chrono::milliseconds backoff_{10};
  int strikes_ = 0;
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
