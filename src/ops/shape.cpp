// Shape ops: values are copied into the new layout; backward maps gradients back.
#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

#include "core/axis_view.hpp"
#include "core/broadcast.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {
namespace {

using detail::AxisView;

Shape row_major_strides(const Shape& s) {
  Shape st(s.size(), 1);
  for (std::size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

// out[o] = x[k(o)] for out = x permuted by `perm` (out axis a is x axis perm[a]).
template <class T>
Array<T> permute_copy(const Array<T>& x, const std::vector<std::size_t>& perm) {
  Shape out_shape(perm.size()), in_strides(perm.size());
  const Shape xs = row_major_strides(x.shape());
  for (std::size_t a = 0; a < perm.size(); ++a) {
    out_shape[a] = x.shape()[perm[a]];
    in_strides[a] = xs[perm[a]];
  }
  Array<T> y = Array<T>::from_shape(out_shape);
  const T* xd = x.data();
  T* yd = y.data();
  detail::for_each_broadcast<1>(
      out_shape, std::array<Shape, 1>{in_strides},
      [&](std::size_t o, const std::array<std::size_t, 1>& i) { yd[o] = xd[i[0]]; });
  return y;
}

template <class T>
struct ReshapeNode final : Node<T> {
  const char* name() const override { return "ReshapeBackward"; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T* gd = g.data();
    this->accumulate(0, [&](std::size_t j) { return gd[j]; });
  }
};

template <class T>
struct PermuteNode final : Node<T> {
  explicit PermuteNode(std::vector<std::size_t> inv) : inverse(std::move(inv)) {}
  const char* name() const override { return "PermuteBackward"; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    this->add_grad(0, permute_copy(g, inverse));
  }
  std::vector<std::size_t> inverse;
};

// Output row j along the axis comes from input row rows[j] (slice and index_select).
template <class T>
struct GatherRowsNode final : Node<T> {
  GatherRowsNode(AxisView b, std::vector<std::size_t> r, const char* n)
      : in(b), rows(std::move(r)), label(n) {}
  const char* name() const override { return label; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    bool fresh = false;
    Array<T>& dst = this->grad_buffer(0, fresh);
    if (fresh) std::fill(dst.data(), dst.data() + dst.size(), T(0));
    const std::size_t m = rows.size();
    for (std::size_t o = 0; o < in.outer; ++o)
      for (std::size_t j = 0; j < m; ++j) {
        const T* src = g.data() + (o * m + j) * in.inner;
        T* d = dst.data() + (o * in.n + rows[j]) * in.inner;
        for (std::size_t i = 0; i < in.inner; ++i) d[i] += src[i];
      }
  }
  void release_saved() override { rows = {}; }
  AxisView in;
  std::vector<std::size_t> rows;
  const char* label;
};

template <class T>
BasicTensor<T> gather_rows(const BasicTensor<T>& x, std::size_t axis, std::vector<std::size_t> rows,
                           const char* node) {
  const AxisView b(x.shape(), axis);
  Shape out_shape = x.shape();
  out_shape[axis] = rows.size();
  Array<T> y = Array<T>::from_shape(out_shape);
  const T* xd = x.data().data();
  for (std::size_t o = 0; o < b.outer; ++o)
    for (std::size_t j = 0; j < rows.size(); ++j)
      std::copy_n(xd + (o * b.n + rows[j]) * b.inner, b.inner,
                  y.data() + (o * rows.size() + j) * b.inner);
  return record<GatherRowsNode<T>>(std::move(y), {x}, b, std::move(rows), node);
}

// Input k occupies rows [offsets[k], offsets[k+1]) of the output along the axis.
template <class T>
struct ConcatNode final : Node<T> {
  ConcatNode(std::size_t o, std::size_t i, std::vector<std::size_t> off)
      : outer(o), inner(i), offsets(std::move(off)) {}
  const char* name() const override { return "CatBackward"; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const std::size_t total = offsets.back();
    for (std::size_t k = 0; k < this->inputs.size(); ++k) {
      if (!this->needs_grad(k)) continue;
      const std::size_t nk = offsets[k + 1] - offsets[k];
      const T* gd = g.data();
      const std::size_t off = offsets[k];
      this->accumulate(k, [&](std::size_t j) {
        const std::size_t o = j / (nk * inner), r = j % (nk * inner);
        return gd[(o * total + off) * inner + r];
      });
    }
  }
  std::size_t outer, inner;
  std::vector<std::size_t> offsets;
};

}  // namespace

template <class T>
BasicTensor<T> reshape(const BasicTensor<T>& x, const std::vector<long>& shape) {
  Shape out(shape.size());
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1 && infer < 0) {
      infer = int(i);
      out[i] = 1;  // for the product of the known sizes below
      continue;
    }
    if (shape[i] < 0)
      throw std::invalid_argument(fmt::format(
          "reshape: invalid size {} at position {} (only one -1 allowed)", shape[i], i));
    out[i] = std::size_t(shape[i]);
  }
  const std::size_t known = shape_numel(out, "reshape");
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      throw std::invalid_argument(
          fmt::format("reshape: shape [{}] is invalid for input of shape {}", fmt::join(shape, ","),
                      shape_str(x.shape())));
    out[std::size_t(infer)] = x.numel() / known;
  }
  if (shape_numel(out, "reshape") != x.numel())
    throw std::invalid_argument(
        fmt::format("reshape: shape {} is invalid for input of shape {} ({} elements)",
                    shape_str(out), shape_str(x.shape()), x.numel()));
  Array<T> y = Array<T>::from_shape(out);
  std::copy_n(x.data().data(), x.numel(), y.data());
  return record<ReshapeNode<T>>(std::move(y), {x});
}

template <class T>
BasicTensor<T> flatten(const BasicTensor<T>& x) {
  if (x.dim() < 1) throw std::invalid_argument("flatten: needs at least one dimension");
  return reshape(x, {long(x.shape()[0]), -1});
}

template <class T>
BasicTensor<T> permute(const BasicTensor<T>& x, const std::vector<int>& dims) {
  if (dims.size() != x.dim())
    throw std::invalid_argument(fmt::format("permute: {} dims given for a tensor of shape {}",
                                            dims.size(), shape_str(x.shape())));
  std::vector<std::size_t> perm(dims.size()), inverse(dims.size(), dims.size());
  for (std::size_t a = 0; a < dims.size(); ++a) {
    perm[a] = normalize_axis(dims[a], x.dim(), "permute");
    if (inverse[perm[a]] != dims.size())
      throw std::invalid_argument(
          fmt::format("permute: dimension {} repeats in [{}]", dims[a], fmt::join(dims, ",")));
    inverse[perm[a]] = a;
  }
  return record<PermuteNode<T>>(permute_copy(x.data(), perm), {x}, std::move(inverse));
}

template <class T>
BasicTensor<T> transpose(const BasicTensor<T>& x, int dim0, int dim1) {
  std::vector<int> dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[normalize_axis(dim0, x.dim(), "transpose")],
            dims[normalize_axis(dim1, x.dim(), "transpose")]);
  return permute(x, dims);
}

template <class T>
BasicTensor<T> slice(const BasicTensor<T>& x, int axis, long start, long stop, long step) {
  const std::size_t ax = normalize_axis(axis, x.dim(), "slice");
  if (step < 1) throw std::invalid_argument(fmt::format("slice: step must be >= 1, got {}", step));
  const long n = long(x.shape()[ax]);
  auto clip = [n](long v) { return std::clamp(v < 0 ? v + n : v, 0L, n); };
  std::vector<std::size_t> rows;
  const long begin = clip(start), end = clip(stop);
  for (long k = begin; k<end; k = end - k> step ? k + step : end) rows.push_back(std::size_t(k));
  return gather_rows(x, ax, std::move(rows), "SliceBackward");
}

template <class T>
BasicTensor<T> index_select(const BasicTensor<T>& x, int axis,
                            const std::vector<std::int64_t>& index) {
  const std::size_t ax = normalize_axis(axis, x.dim(), "index_select");
  std::vector<std::size_t> rows(index.size());
  for (std::size_t j = 0; j < index.size(); ++j) {
    if (index[j] < 0 || std::size_t(index[j]) >= x.shape()[ax])
      throw std::out_of_range(
          fmt::format("index_select: index {} is out of range for axis {} of size {}", index[j],
                      axis, x.shape()[ax]));
    rows[j] = std::size_t(index[j]);
  }
  return gather_rows(x, ax, std::move(rows), "IndexSelectBackward");
}

template <class T>
BasicTensor<T> concat(const std::vector<BasicTensor<T>>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("concat: needs at least one tensor");
  const Shape& first = xs[0].shape();
  const std::size_t ax = normalize_axis(axis, first.size(), "concat");
  std::vector<std::size_t> offsets{0};
  for (const auto& t : xs) {
    bool ok = t.dim() == first.size();
    for (std::size_t d = 0; ok && d < first.size(); ++d) ok = d == ax || t.shape()[d] == first[d];
    if (!ok)
      throw std::invalid_argument(fmt::format("concat: shapes {} and {} differ outside axis {}",
                                              shape_str(first), shape_str(t.shape()), axis));
    offsets.push_back(offsets.back() + t.shape()[ax]);
  }
  Shape out = first;
  out[ax] = offsets.back();
  shape_numel(out, "concat");
  const AxisView b(out, ax);
  Array<T> y = Array<T>::from_shape(out);
  for (std::size_t k = 0; k < xs.size(); ++k) {
    const std::size_t nk = offsets[k + 1] - offsets[k];
    for (std::size_t o = 0; o < b.outer; ++o)
      std::copy_n(xs[k].data().data() + o * nk * b.inner, nk * b.inner,
                  y.data() + (o * b.n + offsets[k]) * b.inner);
  }
  return record<ConcatNode<T>>(std::move(y), xs, b.outer, b.inner, std::move(offsets));
}

template <class T>
BasicTensor<T> stack(const std::vector<BasicTensor<T>>& xs, int axis) {
  if (xs.empty()) throw std::invalid_argument("stack: needs at least one tensor");
  const std::size_t ax = normalize_axis(axis, xs[0].dim() + 1, "stack");
  std::vector<BasicTensor<T>> expanded;
  for (const auto& t : xs) {
    if (t.shape() != xs[0].shape())
      throw std::invalid_argument(
          fmt::format("stack: shapes {} and {} differ; stack needs equal shapes",
                      shape_str(xs[0].shape()), shape_str(t.shape())));
    std::vector<long> s(t.shape().begin(), t.shape().end());
    s.insert(s.begin() + long(ax), 1);
    expanded.push_back(reshape(t, s));
  }
  return concat(expanded, int(ax));
}

template <class T>
struct GatherNode final : Node<T> {
  explicit GatherNode(std::vector<std::size_t> s) : source(std::move(s)) {}
  const char* name() const override { return "GatherBackward"; }
  bool reads_input(std::size_t) const override { return false; }
  void backward(const Array<T>& g, const Array<T>&) override {
    bool fresh = false;
    Array<T>& dst = this->grad_buffer(0, fresh);
    if (fresh) std::fill(dst.data(), dst.data() + dst.size(), T(0));
    for (std::size_t o = 0; o < source.size(); ++o) dst.data()[source[o]] += g.data()[o];
  }
  void release_saved() override { source = {}; }
  std::vector<std::size_t> source;  // flat position in x of each output element
};

template <class T>
BasicTensor<T> gather(const BasicTensor<T>& x, int axis, const std::vector<std::int64_t>& index,
                      const Shape& index_shape) {
  const std::size_t ax = normalize_axis(axis, x.dim(), "gather");
  if (index_shape.size() != x.dim() || shape_numel(index_shape, "gather") != index.size())
    throw std::invalid_argument(
        fmt::format("gather: index of shape {} ({} values) does not match input of shape {}",
                    shape_str(index_shape), index.size(), shape_str(x.shape())));
  for (std::size_t d = 0; d < x.dim(); ++d)
    if (d != ax && index_shape[d] > x.shape()[d])
      throw std::invalid_argument(
          fmt::format("gather: index shape {} exceeds input shape {} at axis {}",
                      shape_str(index_shape), shape_str(x.shape()), d));
  const Shape xs = row_major_strides(x.shape());
  std::vector<std::size_t> source(index.size());
  Shape counter(x.dim(), 0);
  for (std::size_t o = 0; o < index.size(); ++o) {
    const std::int64_t k = index[o];
    if (k < 0 || std::size_t(k) >= x.shape()[ax])
      throw std::out_of_range(fmt::format("gather: index {} is out of range for axis {} of size {}",
                                          k, axis, x.shape()[ax]));
    std::size_t pos = 0;
    for (std::size_t d = 0; d < x.dim(); ++d)
      pos += (d == ax ? std::size_t(k) : counter[d]) * xs[d];
    source[o] = pos;
    for (std::size_t d = x.dim(); d-- > 0;) {
      if (++counter[d] < index_shape[d]) break;
      counter[d] = 0;
    }
  }
  Array<T> y = Array<T>::from_shape(index_shape);
  for (std::size_t o = 0; o < source.size(); ++o) y.data()[o] = x.data().data()[source[o]];
  return record<GatherNode<T>>(std::move(y), {x}, std::move(source));
}

#define XG_INSTANTIATE(T)                                                                      \
  template BasicTensor<T> reshape(const BasicTensor<T>&, const std::vector<long>&);            \
  template BasicTensor<T> flatten(const BasicTensor<T>&);                                      \
  template BasicTensor<T> permute(const BasicTensor<T>&, const std::vector<int>&);             \
  template BasicTensor<T> transpose(const BasicTensor<T>&, int, int);                          \
  template BasicTensor<T> slice(const BasicTensor<T>&, int, long, long, long);                 \
  template BasicTensor<T> index_select(const BasicTensor<T>&, int,                             \
                                       const std::vector<std::int64_t>&);                      \
  template BasicTensor<T> concat(const std::vector<BasicTensor<T>>&, int);                     \
  template BasicTensor<T> stack(const std::vector<BasicTensor<T>>&, int);                      \
  template BasicTensor<T> gather(const BasicTensor<T>&, int, const std::vector<std::int64_t>&, \
                                 const Shape&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)

}  // namespace xg
