// The autograd engine: graph nodes, grad mode, and the backward pass.
//
// Every op that sees an input requiring grad (with grad mode on) creates one Node holding its
// inputs and whatever it saved from forward; the output tensor owns the node. backward() sorts
// the graph once (iteratively), walks it in reverse topological order, and each node adds its
// vector-Jacobian product into its inputs' pending gradients. Leaves accumulate into .grad().
//
// A new differentiable op is a Node subclass plus a forward function that calls record<>():
//
//   template <class T> struct SquareNode : xg::Node<T> {
//     const char* name() const override { return "SquareBackward"; }
//     void backward(const xg::Array<T>& g, const xg::Array<T>&) override {
//       const T* x = this->input(0).data();
//       this->accumulate(0, [&](std::size_t i) { return g.data()[i] * 2 * x[i]; });
//     }
//   };
//   Tensor square(const Tensor& x) { return xg::record<SquareNode<float>>(x.data() * x.data(),
//   {x}); }
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "xgrad/core/tensor_impl.hpp"

namespace xg {

// ---- grad mode ---------------------------------------------------------------------------

// Whether ops record the graph on this thread (default true).
bool grad_enabled();
void set_grad_enabled(bool enabled);

// Disables recording for its lifetime: evaluation, optimizer updates, gradient checks.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// ---- nodes -------------------------------------------------------------------------------

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

  // Nodes and their input lists live in the caching allocator (no malloc per recorded op).
  static void* operator new(std::size_t bytes) { return detail::cached_allocate(bytes, 1); }
  static void operator delete(void* p, std::size_t bytes) noexcept {
    detail::cached_deallocate(p, bytes);
  }

  std::vector<ImplPtr<T>, CachingAllocator<ImplPtr<T>>> inputs;
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

// Runs backward from `root`. `grad` is dL/d root (null: root must hold one element and the
// gradient is 1). Throws std::runtime_error for a root that does not require grad, a missing
// gradient for a non-scalar root, a gradient of the wrong shape, and a graph already freed.
template <class T>
void run_backward(const ImplPtr<T>& root, const Array<T>* grad, bool retain_graph);

}  // namespace xg
