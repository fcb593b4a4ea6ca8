// xgrad's own thread pool (internal header): splits large elementwise work and matrix products
// across xg::set_num_threads threads.
//
// Work is a list of tasks that threads claim one at a time from a shared counter, the calling
// thread included. So the caller never waits for a worker that has not started: on a machine
// whose cores are busy with other programs, a worker the OS has not scheduled yet simply finds
// nothing left to do, and the call takes about as long as on one thread instead of waiting a
// scheduler time slice for it. Idle workers poll briefly, then sleep (no spinning against other
// programs or each other).
#pragma once

#include <cstddef>
#include <functional>

namespace xg::detail {

// Elements below which the hand-off to another thread costs more than it saves.
constexpr std::size_t kParallelGrain = std::size_t(1) << 18;

// Runs task(context, i) for every i in [0, count) on the caller and the pool, and returns when
// all are done. Runs them all on the calling thread when one thread is configured, when another
// parallel call is already running (no nesting), or while the pool backs off from a machine
// whose cores are taken. Tasks must not throw (they are kernels).
void parallel_tasks(std::size_t count, void (*task)(void*, std::size_t), void* context);

// The number of chunks parallel_for(n, ...) splits [0, n) into (1 when it runs serially).
std::size_t parallel_chunks(std::size_t n);

// Calls fn(begin, end) on parallel_chunks(n) disjoint chunks covering [0, n), in any order and
// on any threads; chunk c starts at c * size, size = floor(n / chunks) rounded up to a multiple
// of 64 elements, and the last chunk ends at n.
void parallel_for_chunks(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn);

// Small work is called directly, without building a std::function (which would allocate).
template <class Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  if (n < kParallelGrain) return fn(std::size_t(0), n);
  parallel_for_chunks(n, fn);
}

}  // namespace xg::detail
