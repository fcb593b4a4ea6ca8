// Array<T>: the xtensor container that holds a tensor's values and gradients.
//
// It is a plain xt::xarray (row-major) whose buffer comes from xgrad's caching allocator, so it
// works with every xtensor expression: `xt::xarray<float> a = tensor.data();` copies out,
// `tensor.data() * 2` builds a lazy expression.
#pragma once

#include <cstddef>
#include <string>
#include <xtensor/xarray.hpp>

#include "xgrad/core/allocator.hpp"

namespace xg {

template <class T>
using Array = xt::xarray<T, xt::layout_type::row_major, CachingAllocator<T>>;

// A shape: up to 4 dimensions stored inline (no allocation), more on the heap.
using Shape = xt::dynamic_shape<std::size_t>;

// "[3,4]": how every error message prints a shape.
std::string shape_str(const Shape& shape);

// Product of the dimensions (1 for a 0-d shape).
std::size_t shape_numel(const Shape& shape);

// Wraps a possibly negative axis into [0, ndim); throws std::invalid_argument naming `op`.
std::size_t normalize_axis(int axis, std::size_t ndim, const char* op);

}  // namespace xg
