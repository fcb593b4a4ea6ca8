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

// Moves `base` (each input's index at the start of a run of the last axis) to the next run of a
// row-major tensor of shape `out`: an odometer `counter` over axes nd-2 .. 0.
template <std::size_t N>
void next_run(const Shape& out, const std::array<Shape, N>& strides, Shape& counter,
              std::array<std::size_t, N>& base) {
  for (std::size_t ax = out.size() - 1; ax-- > 0;) {
    ++counter[ax];
    for (std::size_t k = 0; k < N; ++k) base[k] += strides[k][ax];
    if (counter[ax] < out[ax]) break;
    for (std::size_t k = 0; k < N; ++k) base[k] -= strides[k][ax] * counter[ax];
    counter[ax] = 0;
  }
}

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
    next_run(out, strides, counter, base);
  }
}

// Calls row(out_index, {index into input 0, ...}, length) for every run of the last axis of
// `out` (strides as above): the run covers outputs out_index .. out_index + length - 1, along
// which input k's index advances by strides[k].back() (0 where k is broadcast along that axis).
// For loops that treat a run as a whole (a sum along a broadcast axis).
template <std::size_t N, class F>
void for_each_broadcast_row(const Shape& out, const std::array<Shape, N>& strides, F&& row) {
  std::size_t total = 1;
  for (auto d : out) total *= d;
  if (total == 0) return;
  if (out.empty()) return row(std::size_t(0), std::array<std::size_t, N>{}, std::size_t(1));
  const std::size_t inner = out.back();
  Shape counter(out.size(), 0);
  std::array<std::size_t, N> base{};
  for (std::size_t o = 0; o < total; o += inner) {
    row(o, base, inner);
    next_run(out, strides, counter, base);
  }
}

}  // namespace xg::detail
