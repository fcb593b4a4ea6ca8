#include "xgrad/core/array.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace xg {

std::string shape_str(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::size_t shape_numel(const Shape& shape, const char* what) {
  std::size_t nonzero = 1;  // the product of the non-zero dimensions, which strides are made of
  bool empty = false;
  for (auto d : shape) {
    if (d == 0) {
      empty = true;
      continue;
    }
    if (__builtin_mul_overflow(nonzero, d, &nonzero) || nonzero > kMaxElements)
      throw std::length_error(
          fmt::format("{}: shape {} has more than {} (2^40) elements, the limit per tensor", what,
                      shape_str(shape), kMaxElements));
  }
  return empty ? 0 : nonzero;
}

std::size_t normalize_axis(int axis, std::size_t ndim, const char* op) {
  const long n = long(ndim);
  const long a = axis < 0 ? axis + n : axis;
  if (n == 0)
    throw std::invalid_argument(
        fmt::format("{}: axis {} is out of range: a 0-d tensor (a scalar) has no axis", op, axis));
  if (a < 0 || a >= n)
    throw std::invalid_argument(
        fmt::format("{}: axis {} is out of range for a tensor of {} "
                    "dimension(s) (allowed: {} to {})",
                    op, axis, ndim, -n, n - 1));
  return std::size_t(a);
}

}  // namespace xg
