#include "xgrad/core/threads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "core/parallel.hpp"

namespace xg {
namespace {
// The size of xgrad's pool (the only threads xgrad starts: no BLAS library is linked).
int& threads_setting() {
  static int threads = std::max(1, int(std::thread::hardware_concurrency()));
  return threads;
}
}  // namespace

void set_num_threads(int threads) {
  if (threads < 1)
    throw std::invalid_argument(
        fmt::format("set_num_threads: threads must be >= 1, got {}", threads));
  threads_setting() = threads;
  detail::forget_cpu_limit();  // the CPUs this program may use may have changed too
}
int num_threads() { return threads_setting(); }
}  // namespace xg
