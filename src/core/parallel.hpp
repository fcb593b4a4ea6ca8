// xgrad's own thread pool (internal header): splits large elementwise work and matrix products
// across xg::set_num_threads threads.
//
// Work is a list of tasks that threads claim one at a time, the calling thread included, each
// from its own part of the list first. So the caller never waits for a worker that has not
// started: on a machine whose cores are busy with other programs, a worker the OS has not
// scheduled yet simply finds nothing left to do, and the call takes about as long as on one
// thread instead of waiting a scheduler time slice for it. Idle workers poll briefly, then sleep
// (no spinning against other programs or each other); each is pinned to a CPU other than the
// caller's; and a kind of job that does not gain from being split runs on the caller alone
// (gauge.hpp).
#pragma once

#include <cstddef>
#include <functional>

namespace xg::detail {

// Elements below which the hand-off to another thread costs more than it saves.
constexpr std::size_t kParallelGrain = std::size_t(1) << 18;

// How parallel_for cuts [0, n): large work goes in chunks of kParallelChunk elements that the
// threads claim one at a time, so a thread that starts late (a sleeping worker, a virtual CPU the
// host is slow to run) or runs slow (a core shared with another program) simply claims fewer of
// them. Work below kParallelGrain is one chunk. The cut depends on n only, not on the thread
// count, so neither does the rounding of sums added chunk by chunk: results are the same on any
// number of threads. Every chunk starts at a multiple of 64, a word of a bit mask.
constexpr std::size_t kParallelChunk = std::size_t(1) << 16;

class Chunks {
 public:
  explicit Chunks(std::size_t n) : n_(n) {}
  std::size_t count() const {
    return n_ < kParallelGrain ? 1 : (n_ + kParallelChunk - 1) / kParallelChunk;
  }
  std::size_t begin(std::size_t c) const { return n_ < kParallelGrain ? 0 : c * kParallelChunk; }
  std::size_t end(std::size_t c) const { return c + 1 == count() ? n_ : begin(c + 1); }

 private:
  std::size_t n_;
};

// The pool uses at most one thread per CPU the caller may run on, a count it reads once a
// second; this makes the next job read it afresh (set_num_threads calls it).
void forget_cpu_limit();

// Runs task(context, i) for every i in [0, count) on the caller and the pool, and returns when
// all are done. Runs them all on the calling thread when one thread is configured, when another
// parallel call is already running (no nesting), or while the pool backs off from a machine
// whose cores are taken. Tasks must not throw (they are kernels).
void parallel_tasks(std::size_t count, void (*task)(void*, std::size_t), void* context);

// While it lives, the parallel jobs this thread starts are of kind `kind` (for example a matrix
// product's shape) on top of their task function and count, so that the pool's gauge
// (gauge.hpp) measures products of different shapes apart.
class JobKind {
 public:
  explicit JobKind(std::size_t kind);
  ~JobKind();
  JobKind(const JobKind&) = delete;
  JobKind& operator=(const JobKind&) = delete;

 private:
  std::size_t saved_;
};

// Calls fn(c, begin, end) for every chunk c of Chunks(n), in any order and on any threads.
void parallel_for_chunks(std::size_t n,
                         const std::function<void(std::size_t, std::size_t, std::size_t)>& fn);

// Calls fn(begin, end) for every chunk. Small work is called directly, without building a
// std::function (which may allocate).
template <class Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  if (n < kParallelGrain) return fn(std::size_t(0), n);
  parallel_for_chunks(n, [&](std::size_t, std::size_t b, std::size_t e) { fn(b, e); });
}

}  // namespace xg::detail
