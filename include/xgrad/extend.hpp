// Writing your own differentiable op: a graph node with its backward, and record(), which makes
// the op's output and attaches the node when the graph is needed. Include this header only for
// that (it is not part of xgrad.hpp); everything else a user calls is in the other headers.
//
//   #include <xgrad/extend.hpp>
//
//   // d(x^2)/dx = 2x: the node reads its input back in backward; nothing else to save.
//   template <class T>
//   struct SquareNode final : xg::Node<T> {
//     const char* name() const override { return "SquareBackward"; }
//     void backward(const xg::Array<T>& g, const xg::Array<T>&) override {
//       const T* x = this->input(0).data();
//       this->accumulate(0, [&](std::size_t i) { return g.data()[i] * 2 * x[i]; });
//     }
//   };
//   xg::Tensor square(const xg::Tensor& x) {
//     return xg::record<SquareNode<float>>(xg::Array<float>(x.data() * x.data()), {x});
//   }
//
// Check it with xg::gradcheck in double precision (a TensorD version of the same op).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "xgrad/core/allocator.hpp"
#include "xgrad/core/array.hpp"
#include "xgrad/core/tensor.hpp"
#include "xgrad/detail/tensor_impl.hpp"

namespace xg {

// One recorded op. backward() receives dL/d(output) and adds dL/d(input i) into input i's
// gradient through accumulate(), add_grad() or grad_buffer(); inputs that do not require grad
// (needs_grad(i) false) may be skipped.
template <class T>
class Node {
 public:
  virtual ~Node() = default;
  // "MatmulBackward": shown by Tensor::grad_fn_name() and in error messages.
  virtual const char* name() const = 0;
  // Adds this op's vector-Jacobian products for `grad_out` (dL/d output, the output's shape)
  // into the pending gradients of the inputs that require grad.
  virtual void backward(const Array<T>& grad_out, const Array<T>& output) = 0;
  // The same when grad_out is `value` everywhere (the gradient of a sum or mean), so the value
  // never has to be written out. The default materialises it and calls backward().
  virtual void backward_uniform(T value, const Array<T>& output);
  // Frees what forward saved; called after a backward pass without retain_graph.
  virtual void release_saved() {}
  // Whether backward reads input i's values (true unless overridden). When it does and an
  // optimizer step, an init or load_state_dict changed them after the forward, backward throws
  // instead of using the new values (PyTorch: "modified by an inplace operation"). Ops that pass
  // the gradient on without looking at the values (x + b, a sum, a reshape) return false.
  virtual bool reads_input(std::size_t) const { return true; }

  // Nodes live in the caching allocator (no malloc per recorded op). Inline: every recorded op
  // allocates a node, and a call more costs 1% of a small network's training step.
  static void* operator new(std::size_t bytes) { return detail::cached_allocate(bytes, 1); }
  static void operator delete(void* p, std::size_t bytes) noexcept {
    detail::cached_deallocate(p, bytes);
  }

  // Set by record(): the inputs' tensors, in the order given to it; released after backward
  // without retain_graph.
  std::vector<ImplPtr<T>, CachingAllocator<ImplPtr<T>>> inputs;
  std::uint64_t recorded_at = 0;  // detail::in_place_time() when record() made the node
  bool released = false;

 protected:
  const Array<T>& input(std::size_t i) const { return inputs[i]->value; }
  bool needs_grad(std::size_t i) const { return inputs[i]->requires_grad; }
  // Input i's pending-gradient buffer, shaped like the input. `fresh` is true when nothing was
  // accumulated yet: the contents are then undefined and must be overwritten, not added to.
  Array<T>& grad_buffer(std::size_t i, bool& fresh);
  // Adds `g` (input i's shape) to input i's gradient; moves it in when it is the first.
  void add_grad(std::size_t i, Array<T>&& g);
  // Adds `value` to every element of input i's gradient, lazily: stored as one number until
  // something needs the array.
  void add_uniform_grad(std::size_t i, T value);
  // dst[j] = f(j) (first contribution) or dst[j] += f(j), over input i's elements.
  template <class F>
  void accumulate(std::size_t i, F&& f) {
    bool fresh = false;
    Array<T>& dst = grad_buffer(i, fresh);
    T* d = dst.data();
    const std::size_t n = dst.size();
    if (fresh) {
      for (std::size_t j = 0; j < n; ++j) d[j] = f(j);
    } else {
      for (std::size_t j = 0; j < n; ++j) d[j] += f(j);
    }
  }
};

// True when an op on `inputs` must record a node: grad mode is on and an input requires grad.
template <class T>
bool needs_graph(std::initializer_list<BasicTensor<T>> inputs) {
  if (!grad_enabled()) return false;
  for (const auto& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}
template <class T>
bool needs_graph(const std::vector<BasicTensor<T>>& inputs) {
  if (!grad_enabled()) return false;
  for (const auto& t : inputs)
    if (t.requires_grad()) return true;
  return false;
}

namespace detail {
// Anomaly mode's forward check: throws std::runtime_error when `out` (just computed by the node
// out.grad_fn) holds NaN or Inf, naming the op, the element and the shapes.
template <class T>
void check_forward_anomaly(const TensorImpl<T>& out);
}  // namespace detail

// Wraps `value` into the op's output tensor and, when the graph is needed, creates node N
// (constructed from `args`) with `inputs` and makes it the output's grad_fn.
template <class N, class T, class Inputs, class... A>
BasicTensor<T> record_node(Array<T>&& value, const Inputs& inputs, A&&... args) {
  auto out = make_impl<T>(std::move(value));
  if (needs_graph<T>(inputs)) {
    auto node = std::make_unique<N>(std::forward<A>(args)...);
    node->recorded_at = detail::in_place_time();
    node->inputs.reserve(inputs.size());
    for (const auto& t : inputs) node->inputs.push_back(detail::TensorAccess::impl_ptr(t));
    out->grad_fn = std::move(node);
    out->requires_grad = true;
    if (anomaly_enabled()) detail::check_forward_anomaly(*out);
  }
  return detail::TensorAccess::wrap(std::move(out));
}
template <class N, class T, class... A>
BasicTensor<T> record(Array<T>&& value, std::initializer_list<BasicTensor<T>> inputs, A&&... args) {
  return record_node<N>(std::move(value), inputs, std::forward<A>(args)...);
}
template <class N, class T, class... A>
BasicTensor<T> record(Array<T>&& value, const std::vector<BasicTensor<T>>& inputs, A&&... args) {
  return record_node<N>(std::move(value), inputs, std::forward<A>(args)...);
}

}  // namespace xg
