// Differentiable ops on tensors. Every elementwise binary op broadcasts by NumPy rules; a shape
// mismatch throws std::invalid_argument naming the op and both shapes. Axes may be negative.
#pragma once

#include <cstdint>
#include <type_traits>
#include <vector>

#include "xgrad/core/tensor.hpp"

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
// a^b; d/db = a^b log(a): NaN where a < 0, and 0 where a == 0 and b >= 0 (PyTorch's mask).
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b);
// Elementwise max/min. At ties the gradient is split equally between a and b; where either is
// NaN (so is the result) both get the whole gradient (PyTorch).
template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b);
template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b);

// ---- elementwise, tensor and scalar ----
template <class T>
BasicTensor<T> add_scalar(const BasicTensor<T>& a, NoDeduce<T> s);  // a + s
template <class T>
BasicTensor<T> mul_scalar(const BasicTensor<T>& a, NoDeduce<T> s);  // a * s
template <class T>
BasicTensor<T> rsub_scalar(const BasicTensor<T>& a, NoDeduce<T> s);  // s - a
template <class T>
BasicTensor<T> div_scalar(const BasicTensor<T>& a, NoDeduce<T> s);  // a / s
template <class T>
BasicTensor<T> rdiv_scalar(const BasicTensor<T>& a, NoDeduce<T> s);  // s / a
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, NoDeduce<T> exponent);  // a^p
template <class T>
BasicTensor<T> rpow_scalar(const BasicTensor<T>& a, NoDeduce<T> base);  // base^a; as pow

// ---- elementwise, one tensor ----
template <class T>
BasicTensor<T> neg(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> exp(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> log(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sin(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> cos(const BasicTensor<T>& x);
// |x|; gradient sign(x), 0 at 0 (PyTorch).
template <class T>
BasicTensor<T> abs(const BasicTensor<T>& x);
// min(max(x, low), high); gradient 1 for low <= x <= high, else 0 (PyTorch: the bounds pass
// the gradient). Throws when low > high.
template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& x, NoDeduce<T> low, NoDeduce<T> high);
template <class T>
BasicTensor<T> clamp_min(const BasicTensor<T>& x, NoDeduce<T> low);
template <class T>
BasicTensor<T> clamp_max(const BasicTensor<T>& x, NoDeduce<T> high);

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
BasicTensor<T> masked_fill(const BasicTensor<T>& x, const BasicTensor<T>& mask, NoDeduce<T> value);
// The elements of x where mask != 0 (mask broadcasts to x), as a 1-D tensor.
template <class T>
BasicTensor<T> masked_select(const BasicTensor<T>& x, const BasicTensor<T>& mask);

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
// With a number on either side, as PyTorch's t > 3: the number as a 0-d tensor.
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator>(const BasicTensor<T>& a, S s) {
  return gt(a, BasicTensor<T>::scalar(T(s)));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator>(S s, const BasicTensor<T>& a) {
  return gt(BasicTensor<T>::scalar(T(s)), a);
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator>=(const BasicTensor<T>& a, S s) {
  return ge(a, BasicTensor<T>::scalar(T(s)));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator>=(S s, const BasicTensor<T>& a) {
  return ge(BasicTensor<T>::scalar(T(s)), a);
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator<(const BasicTensor<T>& a, S s) {
  return lt(a, BasicTensor<T>::scalar(T(s)));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator<(S s, const BasicTensor<T>& a) {
  return lt(BasicTensor<T>::scalar(T(s)), a);
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator<=(const BasicTensor<T>& a, S s) {
  return le(a, BasicTensor<T>::scalar(T(s)));
}
template <class T, class S, if_scalar<S> = 0>
BasicTensor<T> operator<=(S s, const BasicTensor<T>& a) {
  return le(BasicTensor<T>::scalar(T(s)), a);
}

}  // namespace xg
