// softmax and log_softmax along any axis, with the maximum subtracted so exp never overflows.
// x is seen as [outer, n, inner] around the axis; no transposed copies.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "core/axis_view.hpp"
#include "kernels/loss.hpp"
#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/extend.hpp"

namespace xg {
namespace {

using detail::AxisView;

// Calls fn(slice index, offset of its first element, stride) for every slice along the axis.
template <class Fn>
void for_each_slice(const AxisView& l, Fn&& fn) {
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t i = 0; i < l.inner; ++i) fn(o * l.inner + i, o * l.n * l.inner + i, l.inner);
}

// Float slices are computed in double and rounded once at the end, so each value is within a
// float ulp of the exact result; the exponentials go through one vectorised pass over the block.
template <class T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, T>;

// What a slice's softmax is made of: p_j = exp((x_j - max) - log_sum).
template <class T>
struct SliceStats {
  T max;
  Wide<T> log_sum;
};

// log_softmax = (x - max) - log_sum, in that order: x - max is exact near the maximum, while
// rounding max + log_sum first loses up to an ulp of max (3e-5 at 1000).
template <class T>
Wide<T> log_prob(T x, const SliceStats<T>& s) {
  return (Wide<T>(x) - Wide<T>(s.max)) - s.log_sum;
}

// Every slice's max and log(sum exp(x - max)); e receives exp(x - max) and `sum` the sums.
// log_sum = log1p(rest), rest the sum without the first maximum's term (exactly 1), keeps its
// digits when the maximum dominates: log_softmax of the top entry is then -rest, not 0.
template <class T>
void slice_stats(const AxisView& l, const T* x, Wide<T>* e, Wide<T>* sum, SliceStats<T>* stats) {
  using W = Wide<T>;
  CachedVector<std::size_t> first_max(l.outer * l.inner);
  for_each_slice(l, [&](std::size_t slice, std::size_t off, std::size_t stride) {
    T m = -std::numeric_limits<T>::infinity();
    std::size_t at = l.n;
    for (std::size_t j = 0; j < l.n; ++j)
      if (x[off + j * stride] > m) m = x[off + j * stride], at = j;
    // No term is exactly 1 when the maximum is infinite. All -inf: exp gives 0 / 0 = NaN, as
    // PyTorch's -inf - -inf does. A +inf: x - inf is NaN or -inf and the sum NaN, so the whole
    // slice is NaN, as in PyTorch.
    if (std::isinf(m)) {
      at = l.n;
      if (m < 0) m = 0;
    }
    stats[slice].max = m;
    first_max[slice] = at;
    for (std::size_t j = 0; j < l.n; ++j) e[off + j * stride] = W(x[off + j * stride]) - W(m);
  });
  kernels::exp_inplace(e, l.outer * l.n * l.inner);
  CachedVector<W> rest(l.outer * l.inner);
  for_each_slice(l, [&](std::size_t slice, std::size_t off, std::size_t stride) {
    const bool has_max = first_max[slice] < l.n;
    W r = 0;
    for (std::size_t j = 0; j < l.n; ++j)
      if (!has_max || j != first_max[slice]) r += e[off + j * stride];
    sum[slice] = (has_max ? 1 : 0) + r;
    rest[slice] = has_max ? r : r - 1;  // log1p(r - 1) = log(r) without a maximum's term
  });
  kernels::log1p_inplace(rest.data(), rest.size());
  for (std::size_t k = 0; k < rest.size(); ++k) stats[k].log_sum = rest[k];
}

template <class T>
struct SoftmaxNode final : Node<T> {
  SoftmaxNode(AxisView l, bool lf, CachedVector<SliceStats<T>>&& s)
      : layout(l), log_form(lf), stats(std::move(s)) {}
  const char* name() const override { return log_form ? "LogSoftmaxBackward" : "SoftmaxBackward"; }
  // softmax: dx = p (g - sum(g p));  log_softmax: dx = g - p sum(g). p is recomputed from x in
  // wide precision rather than taken from the rounded output: where g and p sum(g) nearly cancel,
  // a rounded p would leave mostly its rounding error.
  void backward(const Array<T>& g, const Array<T>&) override {
    using W = Wide<T>;
    const T *gd = g.data(), *xd = this->input(0).data();
    CachedVector<W> p(g.size());
    for_each_slice(layout, [&](std::size_t slice, std::size_t off, std::size_t stride) {
      for (std::size_t j = 0; j < layout.n; ++j)
        p[off + j * stride] = log_prob(xd[off + j * stride], stats[slice]);
    });
    kernels::exp_inplace(p.data(), p.size());
    CachedVector<T> dx(g.size());
    for_each_slice(layout, [&](std::size_t, std::size_t off, std::size_t stride) {
      W dot = 0;
      for (std::size_t j = 0; j < layout.n; ++j)
        dot += W(gd[off + j * stride]) * (log_form ? W(1) : p[off + j * stride]);
      for (std::size_t j = 0; j < layout.n; ++j) {
        const std::size_t k = off + j * stride;
        dx[k] = T(log_form ? W(gd[k]) - p[k] * dot : p[k] * (W(gd[k]) - dot));
      }
    });
    this->accumulate(0, [&](std::size_t k) { return dx[k]; });
  }
  void release_saved() override { stats = {}; }
  AxisView layout;
  bool log_form;
  CachedVector<SliceStats<T>> stats;  // one per slice
};

template <class T>
BasicTensor<T> softmax_impl(const BasicTensor<T>& x, int axis, bool log_form) {
  const AxisView l(x.shape(), normalize_axis(axis, x.dim(), log_form ? "log_softmax" : "softmax"));
  const T* xd = x.data().data();
  CachedVector<Wide<T>> e(x.numel()), sum(l.outer * l.inner);
  CachedVector<SliceStats<T>> stats(l.outer * l.inner);
  slice_stats(l, xd, e.data(), sum.data(), stats.data());
  Array<T> y = Array<T>::from_shape(x.shape());
  for_each_slice(l, [&](std::size_t slice, std::size_t off, std::size_t stride) {
    const Wide<T> inv = 1 / sum[slice];
    for (std::size_t j = 0; j < l.n; ++j) {
      const std::size_t k = off + j * stride;
      y.data()[k] = T(log_form ? log_prob(xd[k], stats[slice]) : e[k] * inv);
    }
  });
  return record<SoftmaxNode<T>>(std::move(y), {x}, l, log_form, std::move(stats));
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
