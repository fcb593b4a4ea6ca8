// A tensor seen around one of its axes (internal).
#pragma once

#include <cstddef>

#include "xgrad/core/array.hpp"

namespace xg::detail {

// A row-major shape seen as [outer, n, inner] around `axis`: outer is the product of the sizes
// before it, n its own size and inner the product of those after it (so element (o, i, j) sits at
// (o n + i) inner + j, and consecutive elements along the axis are `inner` apart).
struct AxisView {
  std::size_t outer = 1, n = 1, inner = 1;
  AxisView(const Shape& s, std::size_t axis) {
    for (std::size_t i = 0; i < axis; ++i) outer *= s[i];
    n = s[axis];
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= s[i];
  }
};

}  // namespace xg::detail
