// Array<T>: the xtensor container that holds a tensor's values and gradients.
//
// It is an xt::xarray_container (row-major) whose buffer comes from xgrad's caching allocator and
// whose shape is xg::Shape, so it works with every xtensor expression:
// `xt::xarray<float> a = tensor.data();` copies out, `tensor.data() * 2` builds a lazy
// expression.
#pragma once

#include <cstddef>
#include <string>
#include <xtensor/xarray.hpp>

#include "xgrad/core/allocator.hpp"

namespace xg {

// A shape: up to 4 dimensions stored inline (no allocation), more on the heap. Unlike xtensor's
// default shape type it does not zero what it grows by (xtensor writes every shape and stride in
// full where it makes one): that memset call was a fifth of a small op's time.
using Shape = xt::svector<std::size_t, 4, std::allocator<std::size_t>, false>;

template <class T>
using Array =
    xt::xarray_container<xt::uvector<T, CachingAllocator<T>>, xt::layout_type::row_major, Shape>;

// "[3,4]": how every error message prints a shape.
std::string shape_str(const Shape& shape);

// The most elements one tensor may have: 2^40 (4 TiB of float). Every shape that comes from
// outside (factories, layer sizes, reshape, broadcasting, model files, generated data sets) is
// checked against it before anything is allocated, so no element or byte count can overflow;
// a bigger request throws std::length_error naming the op, the shape and this limit.
inline constexpr std::size_t kMaxElements = std::size_t(1) << 40;

// Product of the dimensions (1 for a 0-d shape), checked: throws std::length_error
// "{what}: shape [..] has more than 1099511627776 (2^40) elements, the limit per tensor" when
// the product exceeds kMaxElements or overflows. A dimension of 0 gives 0, but the other
// dimensions must still multiply to at most the limit (the strides are their products).
std::size_t shape_numel(const Shape& shape, const char* what = "shape");

// Wraps a possibly negative axis into [0, ndim); throws std::invalid_argument naming `op`.
std::size_t normalize_axis(int axis, std::size_t ndim, const char* op);

}  // namespace xg
