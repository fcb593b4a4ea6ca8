// parallel_for: splits large elementwise work across xgrad's threads (xg::set_num_threads),
// so a 2-core machine reads and writes memory from both cores. Internal header.
#pragma once

#include <cstddef>
#include <functional>

namespace xg::detail {

// Elements below which the hand-off to another thread costs more than it saves.
constexpr std::size_t kParallelGrain = std::size_t(1) << 18;

// Calls fn(begin, end) on disjoint chunks covering [0, n) (chunk borders are multiples of 64
// elements), one chunk per thread, and returns when all are done. Runs fn(0, n) on the calling
// thread when n < kParallelGrain, when one thread is configured, or when another parallel_for
// is already running.
void parallel_for_chunks(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn);

// The number of chunks parallel_for(n, ...) uses (1 when it runs serially).
std::size_t parallel_chunks(std::size_t n);

// Small work is called directly, without building a std::function (which would allocate).
template <class Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  if (n < kParallelGrain) return fn(std::size_t(0), n);
  parallel_for_chunks(n, fn);
}

}  // namespace xg::detail
