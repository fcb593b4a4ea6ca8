// softmax and log_softmax along any axis, with the maximum subtracted so exp never overflows.
// x is seen as [outer, n, inner] around the axis; no transposed copies.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/extend.hpp"

namespace xg {
namespace {

struct AxisLayout {
  std::size_t outer = 1, n = 1, inner = 1;
};

AxisLayout axis_layout(const Shape& s, int axis, const char* op) {
  const std::size_t a = normalize_axis(axis, s.size(), op);
  AxisLayout l;
  for (std::size_t i = 0; i < a; ++i) l.outer *= s[i];
  l.n = s[a];
  for (std::size_t i = a + 1; i < s.size(); ++i) l.inner *= s[i];
  return l;
}

// Calls fn(offset of the first element, stride) for every slice along the axis.
template <class Fn>
void for_each_slice(const AxisLayout& l, Fn&& fn) {
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t i = 0; i < l.inner; ++i) fn(o * l.n * l.inner + i, l.inner);
}

// y = x - max - log(sum(exp(x - max))) (log form) or exp(x - max) / sum (plain form).
template <class T>
void softmax_slice(const T* x, T* y, std::size_t n, std::size_t stride, bool log_form) {
  T m = -std::numeric_limits<T>::infinity();
  for (std::size_t j = 0; j < n; ++j) m = std::max(m, x[j * stride]);
  if (std::isinf(m)) m = 0;  // all -inf (or +inf present): let exp produce 0/NaN as PyTorch
  T sum = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const T e = std::exp(x[j * stride] - m);
    if (!log_form) y[j * stride] = e;
    sum += e;
  }
  if (log_form) {
    const T shift = m + std::log(sum);
    for (std::size_t j = 0; j < n; ++j) y[j * stride] = x[j * stride] - shift;
  } else {
    const T inv = T(1) / sum;
    for (std::size_t j = 0; j < n; ++j) y[j * stride] *= inv;
  }
}

template <class T>
struct SoftmaxNode final : Node<T> {
  SoftmaxNode(AxisLayout l, bool lf) : layout(l), log_form(lf) {}
  const char* name() const override { return log_form ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
  // softmax: dx = y (g - sum(g y));  log_softmax: dx = g - exp(y) sum(g).
  void backward(const Array<T>& g, const Array<T>& y) override {
    CachedVector<T> dx(y.size());
    const T *gd = g.data(), *yd = y.data();
    for_each_slice(layout, [&](std::size_t off, std::size_t stride) {
      T dot = 0;
      for (std::size_t j = 0; j < layout.n; ++j)
        dot += gd[off + j * stride] * (log_form ? T(1) : yd[off + j * stride]);
      for (std::size_t j = 0; j < layout.n; ++j) {
        const std::size_t k = off + j * stride;
        dx[k] = log_form ? gd[k] - std::exp(yd[k]) * dot : yd[k] * (gd[k] - dot);
      }
    });
    this->accumulate(0, [&](std::size_t k) { return dx[k]; });
  }
  AxisLayout layout;
  bool log_form;
};

template <class T>
BasicTensor<T> softmax_impl(const BasicTensor<T>& x, int axis, bool log_form) {
  const AxisLayout l = axis_layout(x.shape(), axis, log_form ? "log_softmax" : "softmax");
  Array<T> y = Array<T>::from_shape(x.shape());
  const T* xd = x.data().data();
  for_each_slice(l, [&](std::size_t off, std::size_t stride) {
    softmax_slice(xd + off, y.data() + off, l.n, stride, log_form);
  });
  return record<SoftmaxNode<T>>(std::move(y), {x}, l, log_form);
}

}  // namespace

template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x, int axis) {
  return softmax_impl(x, axis, false);
}
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x, int axis) {
  return softmax_impl(x, axis, true);
}

template BasicTensor<float> softmax(const BasicTensor<float>&, int);
template BasicTensor<double> softmax(const BasicTensor<double>&, int);
template BasicTensor<float> log_softmax(const BasicTensor<float>&, int);
template BasicTensor<double> log_softmax(const BasicTensor<double>&, int);

}  // namespace xg
