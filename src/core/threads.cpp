#include "xgrad/core/threads.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

namespace xg {
namespace {
// xgrad's own pool size; OpenBLAS (double precision) keeps its own (both set by set_num_threads).
int& threads_setting() {
  static int threads = std::max(1, int(std::thread::hardware_concurrency()));
  return threads;
}
}  // namespace

void set_num_threads(int threads) {
  if (threads < 1)
    throw std::invalid_argument(
        fmt::format("set_num_threads: threads must be >= 1, got {}", threads));
  // Only on a change: setting it again wakes OpenBLAS's idle workers, which then spin for a
  // while and take a core from xgrad's own threads.
  if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
  threads_setting() = threads;
}
int num_threads() { return threads_setting(); }
}  // namespace xg
