#include "xgrad/core/array.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace xg {

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::size_t shape_numel(const Shape& shape) {
  std::size_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::size_t normalize_axis(int axis, std::size_t ndim, const char* op) {
  const long n = long(ndim);
  const long a = axis < 0 ? axis + n : axis;
  if (a < 0 || a >= n)
    throw std::invalid_argument(
        fmt::format("{}: axis {} is out of range for a tensor of {} "
                    "dimension(s) (allowed: {} to {})",
                    op, axis, ndim, -n, n - 1));
  return std::size_t(a);
}

}  // namespace xg
