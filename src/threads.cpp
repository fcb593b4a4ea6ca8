#include "xgrad/threads.hpp"

#include <cblas.h>
#include <fmt/format.h>

#include <stdexcept>

namespace xg {
void set_num_threads(int threads) {
  if (threads < 1)
    throw std::invalid_argument(fmt::format("set_num_threads: threads must be >= 1, got {}", threads));
  openblas_set_num_threads(threads);
}
int num_threads() { return openblas_get_num_threads(); }
}  // namespace xg
