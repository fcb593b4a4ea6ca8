// The pool of parallel.hpp. One job at a time: the caller publishes it, wakes sleeping workers,
// and claims tasks itself; workers that arrive claim what is left. A job lives on the caller's
// stack, so before returning the caller waits until no worker is attached to it.
#include "core/parallel.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

#include "core/gauge.hpp"
#include "xgrad/core/threads.hpp"

namespace xg::detail {
namespace {

using Clock = std::chrono::steady_clock;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls of an idle worker (or a waiting caller) before it sleeps: about 20-50 µs, long enough to
// catch the next job of a training step, short enough to cost nothing measurable when idle.
constexpr int kPolls = 2000;

using Task = void (*)(void*, std::size_t);

// How a job's tasks are shared out among the threads (see Part).
struct Schedule {
  bool reversed = false;   // each thread's part runs from its last task to its first
  bool take_begun = true;  // a thread done with its own part helps with parts already begun
};

// Every task of a job on the calling thread, in order (from the last when reversed).
void run_here(std::size_t count, Task task, void* context, Schedule schedule) {
  for (std::size_t i = 0; i < count; ++i) task(context, schedule.reversed ? count - 1 - i : i);
}

// The tasks of a job are cut into one contiguous part per thread. Each thread works through its
// own part first, then helps with the others': a thread that starts late (or, in a product, runs
// slow) ends up with fewer tasks, and otherwise each thread gets the same tasks, so the same data,
// on every call of a training loop: it stays in that core's caches (on a machine whose cores do not
// share one, a task that changes threads would fetch its data from the other core's).
// A part may run from its last task to its first (see parallel_for_chunks).
//
// Elementwise jobs (parallel_for_chunks) help only with parts whose owner has not begun (a worker
// that is late or asleep): where the two virtual CPUs sit on different chiplets, a chunk taken
// from a part under way moves its cache lines to the other chiplet, and the next job's owner
// fetches them back. On an AMD EPYC (Zen 4) with its CPUs 157-160 ns apart, eltwise steps at 2
// threads, every job split, took 198-319 µs (relu) and 520-557 (sigmoid) with such help and
// 122-132 and 187-193 without (alone: 203 and 366-384); with the CPUs 42 ns apart, 95-109 and
// 180-184 with help, 96 and 179-180 without. Products keep helping with begun parts: their tiles
// are read from shared operands, and mnist's step at 2 threads took 1005-1010 µs without that
// help against 956-987 with it.
struct alignas(64) Part {
  std::atomic<std::size_t> next{0};
  std::size_t begin = 0, end = 0;
};

struct Job {
  Task task;
  void* context;
  Part* parts;
  std::size_t count;
  Schedule schedule;
  std::atomic<std::size_t> by_workers{0};

  Job(Task t, void* c, std::size_t tasks, Part* p, std::size_t threads, Schedule s)
      : task(t), context(c), parts(p), count(threads), schedule(s) {
    for (std::size_t k = 0; k < count; ++k) {
      parts[k].begin = tasks * k / count;
      parts[k].next.store(parts[k].begin, std::memory_order_relaxed);
      parts[k].end = tasks * (k + 1) / count;
    }
  }

  // Runs tasks, its own part `home` first, until none is left that it may take; returns how many
  // it ran.
  std::size_t claim_all(std::size_t home) {
    std::size_t ran = 0;
    for (std::size_t k = 0; k < count; ++k) {
      Part& part = parts[(home + k) % count];
      if (k > 0 && !schedule.take_begun && part.next.load() != part.begin) continue;
      for (std::size_t i; (i = part.next.fetch_add(1)) < part.end; ++ran)
        task(context, schedule.reversed ? part.begin + part.end - 1 - i : i);
    }
    return ran;
  }
};

// Linux wakes a sleeping thread on its waker's CPU whenever it deems the other CPUs unavailable
// (in a virtual machine, a CPU the host has not scheduled counts as such), and a worker woken
// there shares that CPU with the caller from then on: two threads on one core, slower than one.
// So each worker is pinned to a CPU of its own other than the caller's, when the process may use
// enough CPUs; the caller itself is left free.

// The CPUs this process may use, the calling thread's first (none if unknown).
std::vector<int> usable_cpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const int here = sched_getcpu();
  if (here < 0 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return cpus;
  cpus.push_back(here);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (cpu != here && CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
#endif
  return cpus;
}

int current_cpu() {
#if defined(__linux__)
  return sched_getcpu();
#else
  return -1;
#endif
}

void pin(std::thread& t, int cpu) {
#if defined(__linux__)
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  pthread_setaffinity_np(t.native_handle(), sizeof one, &one);  // a refusal only costs speed
#else
  (void)t, (void)cpu;
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

  void run(std::size_t threads, std::size_t count, Task task, void* context, std::size_t key,
           Schedule schedule) {
    const auto start = Clock::now();
    if (start < serial_until_) {  // cores busy elsewhere
      cycles_.interrupt();
      return run_here(count, task, context, schedule);
    }
    threads = std::min(threads, cpu_limit(start));
    if (threads == 1) return run_here(count, task, context, schedule);
    const bool cycle_alone = cycles_.serial(key, start);
    if (cycles_.kinds_start_afresh()) gauge_.forget();
    const bool judged = !cycle_alone && !cycles_.warming();  // by the kind's own gauge
    if (cycle_alone || (judged && gauge_.serial_next(key))) {
      // Polling workers would share the core with the caller where cores are not really
      // separate, and make the time alone look as bad as the time split: they sleep now.
      nap_.store(true, std::memory_order_relaxed);
      run_here(count, task, context, schedule);
      if (!cycle_alone) gauge_.record(key, true, Clock::now() - start);
      return;
    }
    if (workers_.size() + 1 < threads) add_workers(threads - 1);
    keep_off_caller_cpu();
    helpers_.store(threads - 1);
    const auto begin = judged && gauge_.probing(key) ? ready_helpers(threads - 1) : start;
    if (parts_size_ < threads) {
      parts_ = std::make_unique<Part[]>(threads);
      parts_size_ = threads;
    }
    Job job(task, context, count, parts_.get(), threads, schedule);
    job_.store(&job);
    nap_.store(false, std::memory_order_relaxed);
    generation_.fetch_add(1);
    const bool all_polling = sleepers_.load() == 0;
    if (!all_polling) {
      { std::lock_guard<std::mutex> lock(m_); }  // a worker between its check and its wait
      wake_.notify_all();
    }
    job.claim_all(0);
    job_.store(nullptr);
    const auto claimed = Clock::now();
    wait_detached();
    const auto done = Clock::now();
    judge(claimed - begin, done - claimed, job.by_workers.load() > 0, all_polling);
    if (judged) gauge_.record(key, false, done - begin);
  }

  std::mutex busy;  // one job at a time

  // The next job reads the CPUs it may use afresh.
  void forget_cpu_limit() { cpu_limit_stale_.store(true, std::memory_order_relaxed); }

 private:
  // Threads beyond the CPUs the caller may run on (its affinity mask: `taskset`, a container's
  // cpuset) could never run at the same time as it, only take turns with it: a job uses at most
  // one thread per such CPU. Read again once a second, and after set_num_threads: a system call
  // per job cost more than it checks (a process held on one CPU, eltwise relu at 2 threads: 188 µs
  // per step against 157 at 1 with the call per job, the same as at 1 thread with it cached).
  std::size_t cpu_limit(Clock::time_point now) {
    if (cpu_limit_stale_.exchange(false, std::memory_order_relaxed) ||
        now - cpu_limit_read_ > std::chrono::seconds(1)) {
      const std::size_t cpus = usable_cpus().size();
      cpu_limit_ = cpus > 0 ? cpus : std::numeric_limits<std::size_t>::max();
      cpu_limit_read_ = now;
    }
    return cpu_limit_;
  }

  void work(std::size_t index) {
    std::uint64_t seen = 0;
    for (;;) {
      if (!wait_for_job(seen)) return;
      seen = generation_.load();
      if (index >= helpers_.load()) continue;  // fewer threads configured than workers exist
      attached_.fetch_add(1);
      if (Job* job = job_.load()) job->by_workers.fetch_add(job->claim_all(index + 1));
      if (attached_.fetch_sub(1) == 1 && caller_sleeping_.load()) {
        std::lock_guard<std::mutex> lock(m_);
        detached_.notify_one();
      }
    }
  }

  void add_workers(std::size_t count) {
    const std::vector<int> cpus = usable_cpus();
    const bool pinned = cpus.size() > count;
    if (pinned) caller_cpu_ = cpus[0];
    while (workers_.size() < count) {
      workers_.emplace_back([this, index = workers_.size()] { work(index); });
      worker_cpus_.push_back(pinned ? cpus[workers_.size()] : -1);
      if (pinned) pin(workers_.back(), worker_cpus_.back());
    }
  }

  // A probe that splits a kind of job judged better alone times it with the helpers polling, as
  // they are between the jobs of a loop that runs split. The jobs alone before it made them nap,
  // and woken only by the probe's job, it would time their wake-up too (20-40 µs per job in a
  // virtual machine, as long as some jobs): the kind, judged alone once in a bad moment, would
  // then never again be found faster split. Returns when they poll (or after 0.5 ms, on a
  // machine whose cores are taken): the probe's time starts there.
  Clock::time_point ready_helpers(std::size_t helpers) {
    nap_.store(false, std::memory_order_relaxed);
    const std::size_t idle_workers = workers_.size() - helpers;  // beyond the configured threads
    if (sleepers_.load() > idle_workers) {
      generation_.fetch_add(1);  // with no job published: a worker wakes, finds none, polls
      { std::lock_guard<std::mutex> lock(m_); }
      wake_.notify_all();
      const auto give_up = Clock::now() + std::chrono::microseconds(500);
      while (sleepers_.load() > idle_workers && Clock::now() < give_up) relax();
    }
    return Clock::now();
  }

  // When the caller has moved to a worker's CPU, that worker moves to the one the caller left.
  void keep_off_caller_cpu() {
    if (caller_cpu_ < 0) return;
    const int here = current_cpu();
    if (here == caller_cpu_ || here < 0) return;
    for (std::size_t k = 0; k < workers_.size(); ++k)
      if (worker_cpus_[k] == here) pin(workers_[k], worker_cpus_[k] = caller_cpu_);
    caller_cpu_ = here;
  }

  // Returns false when the pool stops.
  bool wait_for_job(std::uint64_t seen) {
    for (int i = 0; i < kPolls && !nap_.load(std::memory_order_relaxed); ++i) {
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

  // Oversubscription guard. After its own share the caller waits only for tasks that workers
  // have started; on idle cores that is at most about one task, and a polling worker joins a
  // job within a microsecond. When instead the caller waits much longer than it worked (a
  // worker lost its core mid-task to another program: each such wait costs a scheduler time
  // slice, milliseconds), or works alone through a long job although every worker was polling
  // for it (none of them had a core, and their polling only took time from the caller), the
  // cores are taken. A job whose workers were asleep says nothing: waking an idle virtual CPU
  // can take longer than the job, on a quiet machine too. Two such jobs in a row switch the
  // pool off for a while (10 ms, doubling up to 1 s while it keeps happening, halving again
  // once jobs run well): xgrad then runs like one thread, its workers asleep, instead of slower
  // than one thread.
  void judge(Clock::duration working, Clock::duration waiting, bool helped, bool all_polling) {
    using std::chrono::microseconds;
    using std::chrono::milliseconds;
    const bool stalled = waiting > working + microseconds(200);
    const bool alone = !helped && all_polling && working > microseconds(100);
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

  Gauge gauge_;
  CycleGauge cycles_;
  Clock::time_point serial_until_{};
  std::size_t cpu_limit_ = 0;
  Clock::time_point cpu_limit_read_{};
  std::atomic<bool> cpu_limit_stale_{true};
  std::chrono::milliseconds backoff_{10};
  int strikes_ = 0;
  std::vector<std::thread> workers_;
  std::vector<int> worker_cpus_;   // -1: not pinned
  int caller_cpu_ = -1;            // where the caller was last seen, -1 when nothing is pinned
  std::unique_ptr<Part[]> parts_;  // the parts of the running job, one per thread
  std::size_t parts_size_ = 0;
  std::atomic<Job*> job_{nullptr};
  std::atomic<std::size_t> helpers_{0};  // workers allowed to join (threads - 1)
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> attached_{0}, sleepers_{0};
  std::atomic<bool> caller_sleeping_{false};
  std::atomic<bool> nap_{false};  // workers sleep instead of polling (a job runs on the caller)
  std::mutex m_;
  std::condition_variable wake_, detached_;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

thread_local std::size_t t_job_kind = 0;  // see JobKind
// Consecutive chunked jobs of a thread run each thread's part in opposite directions: a job that
// reads what the one before it wrote (a sum of an activation's output, a backward of a forward)
// then starts with the chunks written last, still in that core's L2 cache. At 2 threads the
// eltwise steps took 73-80 µs instead of 82-85 (relu), 71-74 instead of 79-88 (leaky_relu),
// 105-114 instead of 117-120 (sigmoid); at 1 thread, no difference. Sums stay the same bits:
// they add their chunks' partial sums in chunk order whatever order the chunks ran in.
thread_local bool t_reverse = false;

// `key` names the kind of job for the gauge.
void run_tasks(std::size_t count, Task task, void* context, std::size_t key, Schedule schedule) {
  const std::size_t threads = std::size_t(num_threads());
  Pool& p = pool();
  std::unique_lock<std::mutex> busy(p.busy, std::defer_lock);
  if (threads == 1 || count <= 1 || !busy.try_lock())
    return run_here(count, task, context, schedule);
  p.run(threads, count, task, context, key, schedule);
}

std::size_t job_key(std::size_t kind, std::size_t count) {
  return kind ^ (count * 0x9E3779B97F4A7C15ull) ^ (t_job_kind * 0xC2B2AE3D27D4EB4Full);
}

}  // namespace

void forget_cpu_limit() { pool().forget_cpu_limit(); }

JobKind::JobKind(std::size_t kind) : saved_(t_job_kind) { t_job_kind = kind; }
JobKind::~JobKind() { t_job_kind = saved_; }

void parallel_tasks(std::size_t count, Task task, void* context) {
  run_tasks(count, task, context, job_key(reinterpret_cast<std::uintptr_t>(task), count),
            Schedule{});
}

void parallel_for_chunks(std::size_t n,
                         const std::function<void(std::size_t, std::size_t, std::size_t)>& fn) {
  const Chunks chunks(n);
  if (chunks.count() == 1) return fn(0, 0, n);
  struct Context {
    const std::function<void(std::size_t, std::size_t, std::size_t)>* fn;
    Chunks chunks;
  } ctx{&fn, chunks};
  // The kind of job is the function's type: the lambda of one op's loop.
  run_tasks(
      chunks.count(),
      [](void* c, std::size_t i) {
        const auto& x = *static_cast<Context*>(c);
        (*x.fn)(i, x.chunks.begin(i), x.chunks.end(i));
      },
      &ctx, job_key(fn.target_type().hash_code(), chunks.count()),
      Schedule{t_reverse = !t_reverse, false});
}

}  // namespace xg::detail
