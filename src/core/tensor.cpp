#include "xgrad/core/tensor.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <stdexcept>

#include "core/broadcast.hpp"
#include "xgrad/core/random.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {

template <class T>
BasicTensor<T>::BasicTensor(Array<T> values, bool requires_grad)
    : impl_(make_impl<T>(std::move(values), requires_grad)) {}

template <class T>
BasicTensor<T>::BasicTensor(const xt::xarray<T>& values, bool requires_grad)
    : BasicTensor(Array<T>(values), requires_grad) {}

template <class T>
TensorImpl<T>& BasicTensor<T>::impl() const {
  if (!impl_)
    throw std::logic_error("xgrad: use of an undefined tensor (e.g. grad() before backward)");
  return *impl_;
}

namespace {

// An uninitialised array of `shape`, after checking its size (see shape_numel).
template <class T>
Array<T> uninitialized(const Shape& shape, const char* op) {
  shape_numel(shape, op);
  return Array<T>::from_shape(shape);
}

template <class T>
Array<T> filled(const Shape& shape, T value, const char* op) {
  Array<T> a = uninitialized<T>(shape, op);
  std::fill(a.data(), a.data() + a.size(), value);
  return a;
}

}  // namespace

template <class T>
BasicTensor<T> BasicTensor<T>::from(std::vector<T> values, const Shape& shape) {
  const std::size_t n = shape_numel(shape, "Tensor::from");
  if (values.size() != n)
    throw std::invalid_argument(
        fmt::format("Tensor::from: {} values cannot fill shape {} ({} elements)", values.size(),
                    shape_str(shape), n));
  Array<T> a = Array<T>::from_shape(shape);
  std::copy(values.begin(), values.end(), a.data());
  return BasicTensor(std::move(a));
}

template <class T>
BasicTensor<T> BasicTensor<T>::from(std::initializer_list<T> values) {
  return from(std::vector<T>(values), Shape{values.size()});
}

template <class T>
BasicTensor<T> BasicTensor<T>::scalar(T value) {
  Array<T> a = Array<T>::from_shape(Shape{});
  a() = value;
  return BasicTensor(std::move(a));
}

template <class T>
BasicTensor<T> BasicTensor<T>::full(const Shape& shape, T value) {
  return BasicTensor(filled(shape, value, "Tensor::full"));
}

template <class T>
BasicTensor<T> BasicTensor<T>::zeros(const Shape& shape) {
  return BasicTensor(filled(shape, T(0), "Tensor::zeros"));
}
template <class T>
BasicTensor<T> BasicTensor<T>::ones(const Shape& shape) {
  return BasicTensor(filled(shape, T(1), "Tensor::ones"));
}

template <class T>
BasicTensor<T> BasicTensor<T>::arange(T start, T stop, T step) {
  if (step == T(0) || !std::isfinite(double(step)) || !std::isfinite(double(start)) ||
      !std::isfinite(double(stop)))
    throw std::invalid_argument(
        fmt::format("arange: step must be finite and non-zero and the bounds finite, got start {}, "
                    "stop {}, step {}",
                    start, stop, step));
  const double count = std::ceil((double(stop) - double(start)) / double(step));
  if (count > double(kMaxElements))
    throw std::length_error(fmt::format(
        "arange: start {}, stop {}, step {} give {} elements, more than {} (2^40), the limit per "
        "tensor",
        start, stop, step, count, kMaxElements));
  const std::size_t n = count > 0 ? std::size_t(count) : 0;
  Array<T> a = Array<T>::from_shape(Shape{n});
  for (std::size_t i = 0; i < n; ++i) a.data()[i] = T(double(start) + double(i) * double(step));
  return BasicTensor(std::move(a));
}

template <class T>
BasicTensor<T> BasicTensor<T>::eye(std::size_t n) {
  BasicTensor t(filled(Shape{n, n}, T(0), "Tensor::eye"));
  for (std::size_t i = 0; i < n; ++i) t.data()(i, i) = T(1);
  return t;
}

template <class T>
BasicTensor<T> BasicTensor<T>::randn(const Shape& shape, std::uint64_t seed, T mean, T stddev) {
  if (!std::isfinite(double(mean)) || !(stddev >= 0) || !std::isfinite(double(stddev)))
    throw std::invalid_argument(
        fmt::format("randn: mean must be finite and stddev finite and >= 0, got mean {}, stddev {}",
                    mean, stddev));
  Array<T> a = uninitialized<T>(shape, "Tensor::randn");
  Generator gen(seed);
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = T(gen.normal(mean, stddev));
  return BasicTensor(std::move(a));
}

template <class T>
BasicTensor<T> BasicTensor<T>::rand(const Shape& shape, std::uint64_t seed, T low, T high) {
  if (!(low <= high) || !std::isfinite(double(low)) || !std::isfinite(double(high)))
    throw std::invalid_argument(fmt::format(
        "rand: low and high must be finite with low <= high, got {} and {}", low, high));
  Array<T> a = uninitialized<T>(shape, "Tensor::rand");
  Generator gen(seed);
  for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = T(gen.uniform(low, high));
  return BasicTensor(std::move(a));
}

template <class T>
std::size_t BasicTensor<T>::size(int axis) const {
  return shape()[normalize_axis(axis, dim(), "size")];
}

template <class T>
T BasicTensor<T>::item() const {
  if (numel() != 1)
    throw std::invalid_argument(
        fmt::format("item: a tensor with {} elements (shape {}) cannot be "
                    "converted to a scalar",
                    numel(), shape_str(shape())));
  return impl().value.data()[0];
}

template <class T>
std::size_t BasicTensor<T>::offset_of(const std::int64_t* index, std::size_t n) const {
  const Shape& s = shape();
  const auto where = [&] { return fmt::format("({})", fmt::join(index, index + n, ", ")); };
  if (n != s.size())
    throw std::out_of_range(
        fmt::format("Tensor::at: {} index(es) {} given for a tensor of shape "
                    "{}, which needs {}",
                    n, where(), shape_str(s), s.size()));
  std::size_t offset = 0;
  for (std::size_t d = 0; d < n; ++d) {
    const std::int64_t size = std::int64_t(s[d]);
    const std::int64_t i = index[d] < 0 ? index[d] + size : index[d];
    if (index[d] < -size || i >= size)
      throw std::out_of_range(
          fmt::format("Tensor::at: index {} is out of range for shape {} (dimension {} has size "
                      "{}, allowed indices {} to {})",
                      where(), shape_str(s), d, size, -size, size - 1));
    offset = offset * s[d] + std::size_t(i);
  }
  return offset;
}

template <class T>
std::vector<T> BasicTensor<T>::to_vector() const {
  const Array<T>& v = impl().value;
  return std::vector<T>(v.data(), v.data() + v.size());
}

template <class T>
template <class U>
BasicTensor<U> BasicTensor<T>::to() const {
  const Array<T>& v = impl().value;
  Array<U> a = Array<U>::from_shape(v.shape());
  for (std::size_t i = 0; i < v.size(); ++i) a.data()[i] = U(v.data()[i]);
  return BasicTensor<U>(std::move(a));
}

template <class T>
BasicTensor<T>& BasicTensor<T>::requires_grad_(bool wants_grad) {
  if (!is_leaf())
    throw std::logic_error(
        fmt::format("requires_grad_: only leaf tensors can change requires_grad "
                    "(this one was computed by {}); use detach() first",
                    grad_fn_name()));
  impl().requires_grad = wants_grad;
  return *this;
}

template <class T>
BasicTensor<T> BasicTensor<T>::grad() const {
  return impl().grad ? BasicTensor(impl().grad) : BasicTensor();
}

template <class T>
void BasicTensor<T>::zero_grad(bool set_to_none) {
  auto& g = impl().grad;
  if (set_to_none || !g) {
    g.reset();
  } else {
    std::fill(g->value.data(), g->value.data() + g->value.size(), T(0));
  }
}

template <class T>
void BasicTensor<T>::retain_grad() {
  if (!requires_grad()) throw std::logic_error("retain_grad: the tensor does not require grad");
  impl().retains_grad = true;
}

template <class T>
void BasicTensor<T>::backward(const BasicTensor& grad, bool retain_graph) const {
  impl();  // throws on an undefined tensor
  detail::run_backward<T>(impl_, grad.defined() ? &grad.data() : nullptr, retain_graph);
}

template <class T>
RemovableHandle BasicTensor<T>::add_hook(TensorHook<T> hook) {
  if (!requires_grad())
    throw std::logic_error(
        "register_hook: cannot register a hook on a tensor that does not require grad");
  auto& hooks = impl().hooks;
  if (!hooks) hooks = std::make_unique<HookList<TensorHook<T>>>();
  const std::size_t id = hooks->add(std::move(hook));
  return RemovableHandle([weak = std::weak_ptr<TensorImpl<T>>(impl_), id] {
    if (auto impl = weak.lock())
      if (impl->hooks) impl->hooks->remove(id);
  });
}

template <class T>
BasicTensor<T> BasicTensor<T>::detach() const {
  return BasicTensor(Array<T>(impl().value));
}

template <class T>
std::string BasicTensor<T>::grad_fn_name() const {
  return impl().grad_fn ? impl().grad_fn->name() : "";
}

// ---- methods that forward to ops.hpp ----
template <class T>
BasicTensor<T> BasicTensor<T>::sum() const {
  return xg::sum(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::sum(int a, bool k) const {
  return xg::sum(*this, a, k);
}
template <class T>
BasicTensor<T> BasicTensor<T>::mean() const {
  return xg::mean(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::mean(int a, bool k) const {
  return xg::mean(*this, a, k);
}
template <class T>
BasicTensor<T> BasicTensor<T>::max() const {
  return xg::max(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::max(int a, bool k) const {
  return xg::max(*this, a, k);
}
template <class T>
BasicTensor<T> BasicTensor<T>::min() const {
  return xg::min(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::min(int a, bool k) const {
  return xg::min(*this, a, k);
}
template <class T>
BasicTensor<T> BasicTensor<T>::reshape(const Shape& s) const {
  return xg::reshape(*this, std::vector<long>(s.begin(), s.end()));
}
template <class T>
BasicTensor<T> BasicTensor<T>::transpose(int d0, int d1) const {
  return xg::transpose(*this, d0, d1);
}
template <class T>
BasicTensor<T> BasicTensor<T>::t() const {
  if (dim() > 2)
    throw std::invalid_argument(fmt::format(
        "t: expects a tensor of at most 2 dimensions, got shape {}; use transpose(dim0, dim1)",
        shape_str(shape())));
  return dim() < 2 ? *this : transpose(0, 1);
}
template <class T>
BasicTensor<T> BasicTensor<T>::permute(const std::vector<int>& d) const {
  return xg::permute(*this, d);
}
template <class T>
BasicTensor<T> BasicTensor<T>::slice(int axis, long start, long stop, long step) const {
  return xg::slice(*this, axis, start, stop, step);
}
template <class T>
BasicTensor<T> BasicTensor<T>::matmul(const BasicTensor& o) const {
  return xg::matmul(*this, o);
}
template <class T>
BasicTensor<T> BasicTensor<T>::pow(T p) const {
  return xg::pow(*this, p);
}
template <class T>
BasicTensor<T> BasicTensor<T>::exp() const {
  return xg::exp(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::log() const {
  return xg::log(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::sqrt() const {
  return xg::sqrt(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::abs() const {
  return xg::abs(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::neg() const {
  return xg::neg(*this);
}
template <class T>
BasicTensor<T> BasicTensor<T>::clamp(T lo, T hi) const {
  return xg::clamp(*this, lo, hi);
}

// ---- in-place updates ----

template <class T>
void BasicTensor<T>::check_in_place(const char* op, const BasicTensor& other) const {
  const TensorImpl<T>& self = impl();
  if (!grad_enabled()) return;
  if (self.requires_grad && self.is_leaf())
    throw std::logic_error(fmt::format(
        "{}: a leaf tensor that requires grad cannot be changed in place while grad mode is on; "
        "do it under xg::NoGradGuard (as an optimizer's step does)",
        op));
  if (self.requires_grad)
    throw std::logic_error(fmt::format(
        "{}: this tensor was computed by {} and requires grad; in-place ops are not recorded in "
        "the graph: use the out-of-place op (or detach() first)",
        op, grad_fn_name()));
  if (other.defined() && other.requires_grad())
    throw std::logic_error(fmt::format(
        "{}: the other operand requires grad, and in-place ops are not recorded in the graph: "
        "use the out-of-place op, or do it under xg::NoGradGuard",
        op));
}

namespace {

// An in-place update keeps the tensor's shape: the other operand may broadcast to it, not past it.
void require_in_place_shape(const char* op, const Shape& result, const Shape& mine) {
  if (result != mine)
    throw std::invalid_argument(fmt::format(
        "{}: the other operand's shape does not broadcast to this tensor's: the result is {}, "
        "this tensor {}",
        op, shape_str(result), shape_str(mine)));
}

}  // namespace

template <class T>
BasicTensor<T>& BasicTensor<T>::assign_in_place(const char* op, const BasicTensor& values) {
  Array<T>& mine = impl().value;
  require_in_place_shape(op, values.shape(), mine.shape());
  if (values.impl_ != impl_) std::copy_n(values.data().data(), mine.size(), mine.data());
  detail::mark_modified(impl());
  return *this;
}

template <class T>
BasicTensor<T>& BasicTensor<T>::copy_(const BasicTensor& src) {
  check_in_place("copy_", src);
  if (src.shape() == shape()) return assign_in_place("copy_", src);
  // Broadcast as PyTorch's copy_ does: each element from src's element at the same position.
  Array<T>& mine = impl().value;
  require_in_place_shape("copy_", detail::broadcast_shapes(src.shape(), mine.shape(), "copy_"),
                         mine.shape());
  const std::array<Shape, 1> strides{detail::broadcast_strides(src.shape(), mine.shape())};
  const T* from = src.data().data();
  T* to = mine.data();
  detail::for_each_broadcast<1>(
      mine.shape(), strides,
      [&](std::size_t o, const std::array<std::size_t, 1>& i) { to[o] = from[i[0]]; });
  detail::mark_modified(impl());
  return *this;
}

template <class T>
BasicTensor<T>& BasicTensor<T>::fill_(T value) {
  check_in_place("fill_", BasicTensor());
  Array<T>& mine = impl().value;
  std::fill(mine.data(), mine.data() + mine.size(), value);
  detail::mark_modified(impl());
  return *this;
}

template <class T>
BasicTensor<T>& BasicTensor<T>::add_(const BasicTensor& other, T alpha) {
  check_in_place("add_", other);
  NoGradGuard no_grad;
  return assign_in_place("add_", *this + other * alpha);
}

template <class T>
BasicTensor<T>& BasicTensor<T>::add_(T value) {
  check_in_place("add_", BasicTensor());
  NoGradGuard no_grad;
  return assign_in_place("add_", *this + value);
}

template <class T>
BasicTensor<T>& BasicTensor<T>::mul_(const BasicTensor& other) {
  check_in_place("mul_", other);
  NoGradGuard no_grad;
  return assign_in_place("mul_", *this * other);
}

template <class T>
BasicTensor<T>& BasicTensor<T>::mul_(T value) {
  check_in_place("mul_", BasicTensor());
  NoGradGuard no_grad;
  return assign_in_place("mul_", *this * value);
}

template <class T>
BasicTensor<T>& BasicTensor<T>::clamp_(T low, T high) {
  check_in_place("clamp_", BasicTensor());
  NoGradGuard no_grad;
  return assign_in_place("clamp_", xg::clamp(*this, low, high));
}

template class BasicTensor<float>;
template class BasicTensor<double>;
template BasicTensor<double> BasicTensor<float>::to<double>() const;
template BasicTensor<float> BasicTensor<double>::to<float>() const;
template BasicTensor<float> BasicTensor<float>::to<float>() const;
template BasicTensor<double> BasicTensor<double>::to<double>() const;

}  // namespace xg
