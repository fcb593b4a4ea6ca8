// NumPy broadcasting for xgrad's elementwise kernels (internal).
#pragma once

#include <array>
#include <cstddef>

#include "xgrad/core/array.hpp"

namespace xg::detail {

// The broadcast shape of a and b; throws std::invalid_argument
// "{op}: shapes [2,3] and [4] cannot be broadcast".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// Element strides of a tensor of shape `in` read with shape `out` (0 on broadcast axes).
Shape broadcast_strides(const Shape& in, const Shape& out);

// Calls f(out_index, {index into input 0, index into input 1, ...}) for every element of a
// row-major tensor of shape `out`, where input k has element strides strides[k] (same rank).
template <std::size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<Shape, N>& strides, F&& f) {
  const std::size_t nd = out.size();
  std::size_t total = 1;
  for (auto d : out) total *= d;
  if (total == 0) return;
  if (nd == 0) {
    std::array<std::size_t, N> idx{};
    f(std::size_t(0), idx);
    return;
  }
  const std::size_t inner = out[nd - 1];
  std::array<std::size_t, N> inner_stride{};
  for (std::size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][nd - 1];
  Shape counter(nd, 0);
  std::array<std::size_t, N> base{};
  for (std::size_t o = 0; o < total; o += inner) {
    std::array<std::size_t, N> idx = base;
    for (std::size_t j = 0; j < inner; ++j) {
      f(o + j, idx);
      for (std::size_t k = 0; k < N; ++k) idx[k] += inner_stride[k];
    }
    // advance the outer counter (odometer over axes nd-2 .. 0)
    for (std::size_t ax = nd - 1; ax-- > 0;) {
      ++counter[ax];
      for (std::size_t k = 0; k < N; ++k) base[k] += strides[k][ax];
      if (counter[ax] < out[ax]) break;
      for (std::size_t k = 0; k < N; ++k) base[k] -= strides[k][ax] * counter[ax];
      counter[ax] = 0;
    }
  }
}

// Sums `g` (shape `from`) down to `to`, which broadcasts to `from`: the gradient of a broadcast.
template <class T>
Array<T> sum_to(const Array<T>& g, const Shape& to) {
  Array<T> out = Array<T>::from_shape(to);
  std::fill(out.data(), out.data() + out.size(), T(0));
  const std::array<Shape, 1> strides{broadcast_strides(to, g.shape())};
  const T* gd = g.data();
  T* od = out.data();
  for_each_broadcast<1>(
      g.shape(), strides,
      [&](std::size_t o, const std::array<std::size_t, 1>& i) { od[i[0]] += gd[o]; });
  return out;
}

}  // namespace xg::detail
