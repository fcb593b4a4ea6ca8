// BasicTensor<T>: a cheap, shared handle to a value in the dynamic computation graph.
//
// Copying a tensor copies the handle, not the values (like torch::Tensor). `Tensor` (float) is
// for training, `TensorD` (double) for gradient checks; both come from one implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "xgrad/core/array.hpp"
#include "xgrad/core/autograd.hpp"
#include "xgrad/detail/tensor_impl.hpp"  // inline accessors read the value behind the handle

namespace xg {

// A scalar parameter of a function template over T, excluded from deduction: T comes from the
// tensor argument alone, so xg::leaky_relu(x, 0.01) or xg::clamp(x, 0, 1) compile on a float
// Tensor (the literal converts to T) instead of failing on conflicting deductions.
template <class T>
struct TypeIdentity {
  using type = T;
};
template <class T>
using NoDeduce = typename TypeIdentity<T>::type;

template <class T>
class BasicTensor {
 public:
  using value_type = T;

  // An undefined tensor (defined() is false): what grad() returns before any backward.
  BasicTensor() = default;
  // Takes the values (a leaf). Any xtensor expression or xt::xarray converts to Array<T>.
  explicit BasicTensor(Array<T> values, bool requires_grad = false);
  explicit BasicTensor(const xt::xarray<T>& values, bool requires_grad = false);

  // ---- factories (all leaves; requires_grad_() makes them trainable) ----
  // Values in row-major order; throws when values.size() differs from the shape's size.
  static BasicTensor from(std::vector<T> values, const Shape& shape);
  static BasicTensor from(std::initializer_list<T> values);  // 1-D
  static BasicTensor scalar(T value);                        // 0-d
  static BasicTensor zeros(const Shape& shape);
  static BasicTensor ones(const Shape& shape);
  static BasicTensor full(const Shape& shape, T value);
  static BasicTensor zeros_like(const BasicTensor& other) { return zeros(other.shape()); }
  static BasicTensor ones_like(const BasicTensor& other) { return ones(other.shape()); }
  // start, start+step, ... < stop (like torch.arange).
  static BasicTensor arange(T start, T stop, T step = T(1));
  static BasicTensor eye(std::size_t n);
  static BasicTensor randn(const Shape& shape, std::uint64_t seed, T mean = 0, T stddev = 1);
  static BasicTensor rand(const Shape& shape, std::uint64_t seed, T low = 0, T high = 1);

  // ---- inspection ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().value.shape(); }
  std::size_t dim() const { return shape().size(); }
  std::size_t numel() const { return impl().value.size(); }  // number of elements
  [[deprecated("size() is numel(), PyTorch's name for the element count")]] std::size_t size()
      const {
    return numel();
  }
  std::size_t size(int dim) const;  // the length of dimension `dim` (negative counts from the end)
  T item() const;                   // the value of a one-element tensor
  // One element: at(i, j) on a 2-d tensor. Negative indices count from the end (as in
  // PyTorch). Checked: a wrong number of indices or one out of range throws std::out_of_range
  // naming the shape and the index. For unchecked speed, read data().data() directly.
  template <class... I>
  T at(I... index) const {
    static_assert((std::is_integral_v<I> && ...), "Tensor::at takes integer indices");
    const std::int64_t flat[] = {to_index(index)..., 0};  // the 0 allows an empty pack (0-d)
    return impl().value.data()[offset_of(flat, sizeof...(I))];
  }
  std::vector<T> to_vector() const;  // values in row-major order
  // The underlying xtensor container, for interop with xtensor code. Writing through data()
  // changes the value every graph node that saved this tensor will see.
  const Array<T>& data() const { return impl().value; }
  Array<T>& data() { return impl().value; }
  template <class U>
  BasicTensor<U> to() const;  // converted copy, a leaf (e.g. Tensor -> TensorD)

  // ---- autograd ----
  bool requires_grad() const { return impl().requires_grad; }
  // Marks a leaf as requiring (or not) gradients; returns *this so it chains.
  BasicTensor& requires_grad_(bool wants_grad = true);
  bool is_leaf() const { return impl().is_leaf(); }
  // The accumulated gradient; undefined before the first backward or after zero_grad().
  BasicTensor grad() const;
  // Drops the gradient (set_to_none, PyTorch 2's default) or fills it with zeros.
  void zero_grad(bool set_to_none = true);
  // Keeps this non-leaf's gradient after backward (leaves always keep theirs).
  void retain_grad();
  // Backpropagates from this tensor. A tensor with more than one element needs `grad`.
  void backward(const BasicTensor& grad = BasicTensor(), bool retain_graph = false) const;
  // A leaf with the same values that does not require grad (values are copied).
  BasicTensor detach() const;
  // "MulBackward", or "" for a leaf.
  std::string grad_fn_name() const;
  // Calls hook(grad) each time backward computes this tensor's gradient, before it flows on (or,
  // for a leaf, before it accumulates into grad()). The hook observes (returns void) or replaces
  // the gradient (returns a tensor of the same shape, or std::optional: nullopt keeps it), like
  // PyTorch's Tensor.register_hook. Hooks run in registration order, under NoGradGuard. Throws
  // std::logic_error on a tensor that does not require grad.
  template <class F>
  RemovableHandle register_hook(F&& hook) {
    return add_hook(detail::replacing_hook<BasicTensor>(std::forward<F>(hook)));
  }
  // Whether both handles refer to the same tensor (copies of a handle do).
  bool is_same(const BasicTensor& other) const { return impl_ == other.impl_; }

  // ---- ops as methods (see ops.hpp for the full list and semantics) ----
  BasicTensor sum() const;
  BasicTensor sum(int dim, bool keepdim = false) const;
  BasicTensor mean() const;
  BasicTensor mean(int dim, bool keepdim = false) const;
  BasicTensor max() const;
  BasicTensor max(int dim, bool keepdim = false) const;
  BasicTensor min() const;
  BasicTensor min(int dim, bool keepdim = false) const;
  BasicTensor reshape(const Shape& shape) const;  // one dimension may be -1 via reshape(x,{..})
  BasicTensor view(const Shape& shape) const { return reshape(shape); }
  BasicTensor transpose(int dim0, int dim1) const;
  BasicTensor permute(const std::vector<int>& dims) const;
  // A matrix transposed; 0-d and 1-d tensors as they are; more dimensions refused (PyTorch).
  BasicTensor t() const;
  BasicTensor slice(int dim, long start, long stop, long step = 1) const;
  BasicTensor matmul(const BasicTensor& other) const;
  BasicTensor pow(T exponent) const;
  BasicTensor exp() const;
  BasicTensor log() const;
  BasicTensor sqrt() const;
  BasicTensor abs() const;
  BasicTensor neg() const;
  BasicTensor clamp(T low, T high) const;

  // ---- in-place updates (PyTorch's trailing-underscore methods) ----
  // Each changes this tensor's values where they are and returns *this, for updates a training
  // loop makes by hand: weight clipping, a target network's copy, a moving average, a reset.
  // They are not recorded in the graph, so with grad mode on they throw std::logic_error when
  // this tensor or `other` requires grad: put them under xg::NoGradGuard, as optimizers do
  // (PyTorch refuses a leaf that requires grad the same way; on a computed tensor it would record
  // the op, xgrad asks for the out-of-place op). A backward that would read the old values of
  // this tensor (a node recorded before the update saved them) then throws instead of using the
  // new ones. `other` broadcasts to this tensor's shape; the results are those of the
  // out-of-place ops (ops/pointwise.hpp), NaN included.
  BasicTensor& copy_(const BasicTensor& src);
  BasicTensor& fill_(T value);
  BasicTensor& zero_() { return fill_(T(0)); }
  BasicTensor& add_(const BasicTensor& other, T alpha = T(1));  // this + alpha * other
  BasicTensor& add_(T value);
  BasicTensor& mul_(const BasicTensor& other);
  BasicTensor& mul_(T value);
  BasicTensor& clamp_(T low, T high);  // throws std::invalid_argument when low > high

 private:
  RemovableHandle add_hook(TensorHook<T> hook);
  friend struct detail::TensorAccess;  // the engine and xgrad/extend.hpp's record()
  explicit BasicTensor(ImplPtr<T> impl) : impl_(std::move(impl)) {}
  TensorImpl<T>& impl() const;  // throws std::logic_error on an undefined tensor
  // The checks of an in-place update named `op` by `other` (undefined for none).
  void check_in_place(const char* op, const BasicTensor& other) const;
  // Writes `values` (computed without grad) over this tensor's, which they must match in shape.
  BasicTensor& assign_in_place(const char* op, const BasicTensor& values);
  // An index as a signed value; unsigned ones beyond int64's range stay out of range.
  template <class I>
  static std::int64_t to_index(I i) {
    if constexpr (std::is_unsigned_v<I>)
      return i > I(INT64_MAX) ? INT64_MAX : std::int64_t(i);
    else
      return std::int64_t(i);
  }
  // The flat row-major offset of `index` (n values), checked against the shape.
  std::size_t offset_of(const std::int64_t* index, std::size_t n) const;

  ImplPtr<T> impl_;
};

using Tensor = BasicTensor<float>;
using TensorD = BasicTensor<double>;

}  // namespace xg
