// Reductions: sum, mean, max, min over all elements or along one axis.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/axis_view.hpp"
#include "core/parallel.hpp"
#include "kernels/reduce.hpp"
#include "xgrad/core/allocator.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {
namespace {

using detail::AxisView;

// Large sums are split across threads; the chunks' sums are added in chunk order.
template <class T>
T sum_contiguous(const T* x, std::size_t n) {
  const std::size_t chunks = detail::Chunks(n).count();
  if (chunks == 1) return kernels::sum(x, n);
  CachedVector<T> partial(chunks, T(0));  // no heap allocation per call
  detail::parallel_for_chunks(n, [&](std::size_t c, std::size_t b, std::size_t e) {
    partial[c] = kernels::sum(x + b, e - b);
  });
  T s = 0;
  for (T v : partial) s += v;
  return s;
}

Shape reduced_shape(const Shape& s, std::size_t axis, bool keepdim) {
  Shape out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != axis)
      out.push_back(s[i]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

// Sum (count 1) or mean (count n) over everything: every input element gets g / count. Mean
// divides, value and gradient, as PyTorch: a product by a rounded 1/n made mean([x, x, x]) differ
// from x for 29% of x.
template <class T>
struct SumAllNode final : Node<T> {
  explicit SumAllNode(T c, const char* n) : count(c), label(n) {}
  const char* name() const override { return label; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    this->add_uniform_grad(0, g.data()[0] / count);  // written out only if someone needs it
  }
  T count;
  const char* label;
};

template <class T>
struct SumAxisNode final : Node<T> {
  SumAxisNode(AxisView v, T c, const char* n) : view(v), count(c), label(n) {}
  const char* name() const override { return label; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T* gd = g.data();
    const std::size_t n = view.n, inner = view.inner;
    this->accumulate(0, [&](std::size_t j) {
      const std::size_t o = j / (n * inner), i = j % inner;
      return gd[o * inner + i] / count;
    });
  }
  AxisView view;
  T count;
  const char* label;
};

// max/min over everything: the gradient is split equally among the tied extreme elements; when
// the extreme is NaN, among the NaN elements (PyTorch).
template <class T>
struct ExtremeAllNode final : Node<T> {
  explicit ExtremeAllNode(const char* n) : label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>& y) override {
    const Array<T>& x = this->input(0);
    const T best = y.data()[0];
    const T* xd = x.data();
    const auto is_extreme = [&](std::size_t j) {
      return std::isnan(best) ? std::isnan(xd[j]) : xd[j] == best;
    };
    std::size_t ties = 0;
    for (std::size_t j = 0; j < x.size(); ++j) ties += is_extreme(j);
    const T share = ties ? g.data()[0] / T(ties) : T(0);
    this->accumulate(0, [&](std::size_t j) { return is_extreme(j) ? share : T(0); });
  }
  const char* label;
};

// max/min along an axis: the gradient goes to the saved index of each extreme.
template <class T>
struct ExtremeAxisNode final : Node<T> {
  ExtremeAxisNode(AxisView v, std::vector<std::size_t> idx, const char* n)
      : view(v), index(std::move(idx)), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>&) override {
    bool fresh = false;
    Array<T>& dst = this->grad_buffer(0, fresh);
    if (fresh) std::fill(dst.data(), dst.data() + dst.size(), T(0));
    for (std::size_t o = 0; o < view.outer; ++o)
      for (std::size_t i = 0; i < view.inner; ++i) {
        const std::size_t r = o * view.inner + i;
        dst.data()[(o * view.n + index[r]) * view.inner + i] += g.data()[r];
      }
  }
  void release_saved() override { index = {}; }
  AxisView view;
  std::vector<std::size_t> index;
  const char* label;
};

template <class T>
bool better(T v, T best, bool is_max) {
  if (std::isnan(best)) return false;
  if (std::isnan(v)) return true;  // NaN propagates, as in PyTorch
  return is_max ? v > best : v < best;
}

template <class T>
void require_elements(const BasicTensor<T>& x, const char* op) {
  if (x.numel() == 0)
    throw std::invalid_argument(
        fmt::format("{}: cannot reduce an empty tensor (shape {})", op, shape_str(x.shape())));
}

// PyTorch's rule for max, min, argmax and argmin along an axis: the axis itself must hold
// elements; a tensor empty along another axis gives an empty result.
template <class T>
void require_nonempty_axis(const BasicTensor<T>& x, const AxisView& v, std::size_t ax,
                           const char* op) {
  if (v.n == 0)
    throw std::invalid_argument(fmt::format("{}: cannot reduce along axis {} of size 0 (shape {})",
                                            op, ax, shape_str(x.shape())));
}

template <class T>
std::vector<std::size_t> arg_extreme(const Array<T>& x, const AxisView& v, bool is_max) {
  std::vector<std::size_t> idx(v.outer * v.inner, 0);
  const T* xd = x.data();
  for (std::size_t o = 0; o < v.outer; ++o)
    for (std::size_t i = 0; i < v.inner; ++i) {
      const T* p = xd + o * v.n * v.inner + i;
      std::size_t best = 0;
      for (std::size_t k = 1; k < v.n; ++k)
        if (better(p[k * v.inner], p[best * v.inner], is_max)) best = k;
      idx[o * v.inner + i] = best;
    }
  return idx;
}

template <class T>
BasicTensor<T> sum_impl(const BasicTensor<T>& x, int axis, bool keepdim, bool is_mean) {
  const char* op = is_mean ? "mean" : "sum";
  const char* node = is_mean ? "MeanBackward" : "SumBackward";
  const std::size_t ax = normalize_axis(axis, x.dim(), op);
  const AxisView v(x.shape(), ax);
  Array<T> y = Array<T>::from_shape(reduced_shape(x.shape(), ax, keepdim));
  const T* xd = x.data().data();
  T* yd = y.data();
  std::fill(yd, yd + y.size(), T(0));
  for (std::size_t o = 0; o < v.outer; ++o)
    for (std::size_t k = 0; k < v.n; ++k) {
      const T* row = xd + (o * v.n + k) * v.inner;
      T* dst = yd + o * v.inner;
      for (std::size_t i = 0; i < v.inner; ++i) dst[i] += row[i];
    }
  const T count = is_mean ? T(v.n) : T(1);
  if (is_mean)
    for (std::size_t j = 0; j < y.size(); ++j) yd[j] /= count;
  return record<SumAxisNode<T>>(std::move(y), {x}, v, count, node);
}

template <class T>
BasicTensor<T> extreme_axis(const BasicTensor<T>& x, int axis, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  const std::size_t ax = normalize_axis(axis, x.dim(), op);
  const AxisView v(x.shape(), ax);
  require_nonempty_axis(x, v, ax, op);
  std::vector<std::size_t> idx = arg_extreme(x.data(), v, is_max);
  Array<T> y = Array<T>::from_shape(reduced_shape(x.shape(), ax, keepdim));
  for (std::size_t o = 0; o < v.outer; ++o)
    for (std::size_t i = 0; i < v.inner; ++i) {
      const std::size_t r = o * v.inner + i;
      y.data()[r] = x.data().data()[(o * v.n + idx[r]) * v.inner + i];
    }
  return record<ExtremeAxisNode<T>>(std::move(y), {x}, v, std::move(idx),
                                    is_max ? "MaxBackward" : "MinBackward");
}

template <class T>
BasicTensor<T> extreme_all(const BasicTensor<T>& x, bool is_max) {
  require_elements(x, is_max ? "max" : "min");
  const T* xd = x.data().data();
  T best = xd[0];
  for (std::size_t j = 1; j < x.numel(); ++j)
    if (better(xd[j], best, is_max)) best = xd[j];
  Array<T> y = Array<T>::from_shape(Shape{});
  y() = best;
  return record<ExtremeAllNode<T>>(std::move(y), {x}, is_max ? "MaxBackward" : "MinBackward");
}

template <class T>
std::vector<std::int64_t> arg_public(const BasicTensor<T>& x, int axis, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  const std::size_t ax = normalize_axis(axis, x.dim(), op);
  const AxisView v(x.shape(), ax);
  require_nonempty_axis(x, v, ax, op);
  auto idx = arg_extreme(x.data(), v, is_max);
  return std::vector<std::int64_t>(idx.begin(), idx.end());
}

}  // namespace

template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x) {
  Array<T> y = Array<T>::from_shape(Shape{});
  y() = sum_contiguous(x.data().data(), x.numel());
  return record<SumAllNode<T>>(std::move(y), {x}, T(1), "SumBackward");
}

template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x) {
  Array<T> y = Array<T>::from_shape(Shape{});
  const T s = sum_contiguous(x.data().data(), x.numel());
  const T count = T(x.numel());
  y() = s / count;  // NaN for an empty tensor, as in PyTorch
  return record<SumAllNode<T>>(std::move(y), {x}, count, "MeanBackward");
}

template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, int axis, bool keepdim) {
  return sum_impl(x, axis, keepdim, false);
}
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, int axis, bool keepdim) {
  return sum_impl(x, axis, keepdim, true);
}
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x) {
  return extreme_all(x, true);
}
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x) {
  return extreme_all(x, false);
}
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, int axis, bool keepdim) {
  return extreme_axis(x, axis, keepdim, true);
}
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, int axis, bool keepdim) {
  return extreme_axis(x, axis, keepdim, false);
}
template <class T>
std::vector<std::int64_t> argmax(const BasicTensor<T>& x, int axis) {
  return arg_public(x, axis, true);
}
template <class T>
std::vector<std::int64_t> argmin(const BasicTensor<T>& x, int axis) {
  return arg_public(x, axis, false);
}

#define XG_INSTANTIATE(T)                                                \
  template BasicTensor<T> sum(const BasicTensor<T>&);                    \
  template BasicTensor<T> sum(const BasicTensor<T>&, int, bool);         \
  template BasicTensor<T> mean(const BasicTensor<T>&);                   \
  template BasicTensor<T> mean(const BasicTensor<T>&, int, bool);        \
  template BasicTensor<T> max(const BasicTensor<T>&);                    \
  template BasicTensor<T> max(const BasicTensor<T>&, int, bool);         \
  template BasicTensor<T> min(const BasicTensor<T>&);                    \
  template BasicTensor<T> min(const BasicTensor<T>&, int, bool);         \
  template std::vector<std::int64_t> argmax(const BasicTensor<T>&, int); \
  template std::vector<std::int64_t> argmin(const BasicTensor<T>&, int);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)

}  // namespace xg
