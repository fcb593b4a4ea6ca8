// Shape ops: reshape, flatten, transpose, permute, slice, concat (cat), stack, index_select,
// gather. Every one copies the values (no views share storage). `dim` is PyTorch's word for an
// axis; negative dims count from the end.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg {

// ---- shape ----
// Same values, new shape; one entry may be -1 (inferred). Copies the values.
template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, const std::vector<long>& shape);
template <class T>
BasicTensor<T> flatten(const BasicTensor<T>& x);  // [N, ...] -> [N, rest]
template <class T>
BasicTensor<T> transpose(const BasicTensor<T>& x, int dim0, int dim1);
template <class T>
BasicTensor<T> permute(const BasicTensor<T>& x, const std::vector<int>& dims);
// Elements start, start+step, ... < stop along `dim` (negative start/stop count from the end,
// both are clipped like Python slices); step >= 1.
template <class T>
BasicTensor<T> slice(const BasicTensor<T>& x, int dim, long start, long stop, long step = 1);
// Joins tensors along an existing dimension (cat is PyTorch's name for it).
template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int dim = 0);
template <class T>
BasicTensor<T> cat(const std::vector<BasicTensor<T>>& xs, int dim = 0) {
  return concat(xs, dim);
}
// Joins tensors along a new dimension.
template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int dim = 0);
// The same with the tensors in braces, cat({a, b}, 1) (a braced list deduces no vector).
template <class T>
BasicTensor<T> concat(std::initializer_list<BasicTensor<T>> xs, int dim = 0) {
  return concat(std::vector<BasicTensor<T>>(xs), dim);
}
template <class T>
BasicTensor<T> cat(std::initializer_list<BasicTensor<T>> xs, int dim = 0) {
  return concat(std::vector<BasicTensor<T>>(xs), dim);
}
template <class T>
BasicTensor<T> stack(std::initializer_list<BasicTensor<T>> xs, int dim = 0) {
  return stack(std::vector<BasicTensor<T>>(xs), dim);
}
// Picks entries `index` along `dim` (torch.index_select); repeated indices accumulate grads.
template <class T>
BasicTensor<T> index_select(const BasicTensor<T>& x, int dim,
                            const std::vector<std::int64_t>& index);
// out[i][j] = x[i][index[i][j]] for dim 1 (torch.gather): `index` has x's rank and, on every
// other dimension, a size no larger than x's. `index_shape` is its shape, `index` its row-major
// data.
template <class T>
BasicTensor<T> gather(const BasicTensor<T>& x, int dim, const std::vector<std::int64_t>& index,
                      const Shape& index_shape);
}  // namespace xg
