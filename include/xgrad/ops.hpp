// Differentiable ops on tensors. Every elementwise binary op broadcasts by NumPy rules; a shape
// mismatch throws std::invalid_argument naming the op and both shapes. Axes may be negative.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "xgrad/tensor.hpp"

namespace xg {

// ---- elementwise, two tensors (broadcasting) ----
template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> sub(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, const BasicTensor<T>& b);
// a^b; d/db uses log(a), so b's gradient is NaN where a <= 0 (as in PyTorch).
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b);
// Elementwise max/min. At ties the gradient is split equally between a and b (PyTorch).
template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b);

// ---- elementwise, tensor and scalar ----
template <class T>
BasicTensor<T> add_scalar(const BasicTensor<T>& a, T s);  // a + s
template <class T>
BasicTensor<T> mul_scalar(const BasicTensor<T>& a, T s);  // a * s
template <class T>
BasicTensor<T> rsub_scalar(const BasicTensor<T>& a, T s);  // s - a
template <class T>
BasicTensor<T> div_scalar(const BasicTensor<T>& a, T s);  // a / s
template <class T>
BasicTensor<T> rdiv_scalar(const BasicTensor<T>& a, T s);  // s / a
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, T exponent);  // a^p
template <class T>
BasicTensor<T> rpow_scalar(const BasicTensor<T>& a, T base);  // base^a

// ---- elementwise, one tensor ----
template <class T>
BasicTensor<T> neg(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> exp(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> log(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& x);
// |x|; gradient sign(x), 0 at 0 (PyTorch).
template <class T>
BasicTensor<T> abs(const BasicTensor<T>& x);
// min(max(x, low), high); gradient 1 for low <= x <= high, else 0 (PyTorch: the bounds pass
// the gradient). Throws when low > high.
template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& x, T low, T high);
template <class T>
BasicTensor<T> clamp_min(const BasicTensor<T>& x, T low);
template <class T>
BasicTensor<T> clamp_max(const BasicTensor<T>& x, T high);

// ---- comparisons: 1 where true, 0 elsewhere (no gradient), broadcasting ----
template <class T>
BasicTensor<T> gt(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> ge(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> lt(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> le(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> eq(const BasicTensor<T>& a, const BasicTensor<T>& b);

// ---- selection ----
// cond != 0 ? a : b, all three broadcast together; gradients flow to the chosen side.
template <class T>
BasicTensor<T> where(const BasicTensor<T>& cond, const BasicTensor<T>& a, const BasicTensor<T>& b);
// x with `value` where mask != 0 (mask broadcasts to x's shape).
template <class T>
BasicTensor<T> masked_fill(const BasicTensor<T>& x, const BasicTensor<T>& mask, T value);
// The elements of x where mask != 0 (mask broadcasts to x), as a 1-D tensor.
template <class T>
BasicTensor<T> masked_select(const BasicTensor<T>& x, const BasicTensor<T>& mask);

// ---- reductions (keepdim keeps the reduced axis with size 1) ----
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, int axis, bool keepdim = false);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, int axis, bool keepdim = false);
// Over all elements the gradient is split equally among tied maxima (torch.max(x)); along an
// axis it goes to the first maximal element (torch.max(x, dim), whose indices argmax returns).
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, int axis, bool keepdim = false);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, int axis, bool keepdim = false);
// Index of the first maximum / minimum along `axis` (no gradient).
template <class T>
std::vector<std::int64_t> argmax(const BasicTensor<T>& x, int axis);
template <class T>
std::vector<std::int64_t> argmin(const BasicTensor<T>& x, int axis);

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
// Elements start, start+step, ... < stop along `axis` (negative start/stop count from the end,
// both are clipped like Python slices); step >= 1.
template <class T>
BasicTensor<T> slice(const BasicTensor<T>& x, int axis, long start, long stop, long step = 1);
template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int axis = 0);
template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int axis = 0);
// Picks entries `index` along `axis` (torch.index_select); repeated indices accumulate grads.
template <class T>
BasicTensor<T> index_select(const BasicTensor<T>& x, int axis,
                            const std::vector<std::int64_t>& index);
// out[i][j] = x[i][index[i][j]] for axis 1 (torch.gather): `index` has x's rank and, on every
// other axis, a size no larger than x's. `index_shape` is its shape, `index` its row-major data.
template <class T>
BasicTensor<T> gather(const BasicTensor<T>& x, int axis, const std::vector<std::int64_t>& index,
                      const Shape& index_shape);

// ---- linear algebra (OpenBLAS) ----
// [m,k]x[k,n] -> [m,n]; [b,m,k]x[b,k,n] -> [b,m,n]; [b,m,k]x[k,n] -> [b,m,n].
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b);
// x·Wᵀ + b for x [N,in], W [out,in], b [out] or undefined (torch.nn.functional.linear), as one
// node: bias-add inside the GEMM, and no dX when x does not require grad.
template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias = BasicTensor<T>());

// ---- operators ----
template <class S>
using if_scalar = std::enable_if_t<std::is_arithmetic_v<S>, int>;

template <class T>
BasicTensor<T> operator+(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return add(a, b);
}
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return sub(a, b);
}
template <class T>
BasicTensor<T> operator*(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return mul(a, b);
}
template <class T>
BasicTensor<T> operator/(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return div(a, b);
}
template <class T>
BasicTensor<T> operator-(const BasicTensor<T>& a) {
  return neg(a);
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator+(const BasicTensor<T>& a, S s) {
  return add_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator+(S s, const BasicTensor<T>& a) {
  return add_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator-(const BasicTensor<T>& a, S s) {
  return add_scalar(a, T(-s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator-(S s, const BasicTensor<T>& a) {
  return rsub_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator*(const BasicTensor<T>& a, S s) {
  return mul_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator*(S s, const BasicTensor<T>& a) {
  return mul_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator/(const BasicTensor<T>& a, S s) {
  return div_scalar(a, T(s));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator/(S s, const BasicTensor<T>& a) {
  return rdiv_scalar(a, T(s));
}
template <class T>
BasicTensor<T> operator>(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return gt(a, b);
}
template <class T>
BasicTensor<T> operator>=(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return ge(a, b);
}
template <class T>
BasicTensor<T> operator<(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return lt(a, b);
}
template <class T>
BasicTensor<T> operator<=(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return le(a, b);
}

}  // namespace xg
