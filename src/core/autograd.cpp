// The backward engine. Both the topological sort and the graph teardown are iterative, so graph
// depth is limited by memory, not by the stack.
#include "xgrad/core/autograd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg {

namespace {
thread_local bool grad_mode = true;
thread_local std::uint64_t backward_epoch = 0;
}  // namespace

bool grad_enabled() { return grad_mode; }
void set_grad_enabled(bool enabled) { grad_mode = enabled; }

// ---- teardown ------------------------------------------------------------------------------

namespace {
// While a teardown runs on this thread, nested destructors hand their nodes to it instead of
// recursing.
template <class T>
thread_local std::vector<std::unique_ptr<Node<T>>>* teardown_stack = nullptr;
}  // namespace

// Per-thread scratch vectors kept across calls, so a training step does not allocate them anew;
// `alive` tells a destructor running after the thread's scratch is gone to use a local one.
template <class V>
struct Scratch {
  V items;
  bool alive = true;
  ~Scratch() { alive = false; }
};

template <class T>
TensorImpl<T>::~TensorImpl() {
  if (!grad_fn) return;
  if (teardown_stack<T>) {
    teardown_stack<T>->push_back(std::move(grad_fn));
    return;
  }
  thread_local Scratch<std::vector<std::unique_ptr<Node<T>>>> scratch;
  std::vector<std::unique_ptr<Node<T>>> local;
  auto& stack = scratch.alive ? scratch.items : local;
  stack.push_back(std::move(grad_fn));
  teardown_stack<T> = &stack;
  while (!stack.empty()) {
    std::unique_ptr<Node<T>> node = std::move(stack.back());
    stack.pop_back();
    node.reset();  // may destroy inputs, whose nodes land on `stack`
  }
  teardown_stack<T> = nullptr;
}

// ---- node helpers --------------------------------------------------------------------------

namespace {
// Writes out a uniform pending gradient so it can be added to element by element.
template <class T>
void materialize_pending(TensorImpl<T>& t) {
  if (!t.pending_uniform) return;
  if (t.pending.shape() != t.value.shape()) t.pending.resize(t.value.shape());
  std::fill(t.pending.begin(), t.pending.end(), t.pending_value);
  t.pending_uniform = false;
}
}  // namespace

template <class T>
void Node<T>::backward_uniform(T value, const Array<T>& output) {
  Array<T> g = Array<T>::from_shape(output.shape());
  std::fill(g.begin(), g.end(), value);
  backward(g, output);
}

template <class T>
void Node<T>::add_uniform_grad(std::size_t i, T value) {
  TensorImpl<T>& in = *inputs[i];
  if (!in.has_pending) {
    in.has_pending = in.pending_uniform = true;
    in.pending_value = value;
  } else if (in.pending_uniform) {
    in.pending_value += value;
  } else {
    for (T& v : in.pending) v += value;
  }
}

template <class T>
Array<T>& Node<T>::grad_buffer(std::size_t i, bool& fresh) {
  TensorImpl<T>& in = *inputs[i];
  materialize_pending(in);
  fresh = !in.has_pending;
  if (fresh) {
    if (in.pending.shape() != in.value.shape()) in.pending.resize(in.value.shape());
    in.has_pending = true;
  }
  return in.pending;
}

template <class T>
void Node<T>::add_grad(std::size_t i, Array<T>&& g) {
  TensorImpl<T>& in = *inputs[i];
  materialize_pending(in);
  if (!in.has_pending) {
    in.pending = std::move(g);
    in.has_pending = true;
    return;
  }
  T* d = in.pending.data();
  const T* s = g.data();
  for (std::size_t j = 0, n = g.size(); j < n; ++j) d[j] += s[j];
}

// ---- backward ------------------------------------------------------------------------------

namespace {

// Tensors reachable from root through nodes, inputs before the tensors computed from them.
template <class T>
void topological_order(TensorImpl<T>* root, std::uint64_t mark,
                       std::vector<TensorImpl<T>*>& order) {
  order.clear();
  // (tensor, index of the next input to visit)
  thread_local std::vector<std::pair<TensorImpl<T>*, std::size_t>> stack;
  stack.clear();
  root->visit_mark = mark;
  stack.emplace_back(root, 0);
  while (!stack.empty()) {
    auto& [t, next] = stack.back();
    Node<T>* node = t->grad_fn.get();
    if (node && node->released)
      throw std::runtime_error(fmt::format(
          "backward: trying to backward through the graph a second time ({} was freed by an "
          "earlier backward); pass retain_graph=true to the first backward if you need to "
          "backward twice",
          node->name()));
    if (node && next < node->inputs.size()) {
      TensorImpl<T>* in = node->inputs[next++].get();
      if (in->requires_grad && in->visit_mark != mark) {
        in->visit_mark = mark;
        stack.emplace_back(in, 0);
      }
      continue;
    }
    order.push_back(t);
    stack.pop_back();
  }
}

// Adds a finished gradient into t.grad (moving it in when t has none yet).
template <class T>
void add_to_grad(TensorImpl<T>& t, Array<T>&& g) {
  if (!t.grad) {
    t.grad = make_impl<T>(std::move(g));
    return;
  }
  T* d = t.grad->value.data();
  const T* s = g.data();
  for (std::size_t j = 0, n = g.size(); j < n; ++j) d[j] += s[j];
}

}  // namespace

template <class T>
void run_backward(const ImplPtr<T>& root, const Array<T>* grad, bool retain_graph) {
  if (!root->requires_grad)
    throw std::runtime_error(
        "backward: the tensor does not require grad and has no grad_fn (call requires_grad_() "
        "on a leaf it depends on before computing it)");
  if (grad) {
    if (grad->shape() != root->value.shape())
      throw std::invalid_argument(
          fmt::format("backward: gradient shape {} does not match the "
                      "tensor's shape {}",
                      shape_str(grad->shape()), shape_str(root->value.shape())));
  } else if (root->value.size() != 1) {
    throw std::runtime_error(fmt::format(
        "backward: grad can be implicitly created only for a one-element tensor, but this one "
        "has shape {}; pass a gradient: y.backward(grad)",
        shape_str(root->value.shape())));
  }

  NoGradGuard no_grad;  // nodes compute with plain arrays; nothing they do is recorded
  thread_local std::vector<TensorImpl<T>*> order;  // reused: no allocation per backward
  topological_order(root.get(), ++backward_epoch, order);
  if (grad) {
    root->pending = *grad;
  } else {  // dL/dL = 1, kept as one number like a sum's gradient
    root->pending_uniform = true;
    root->pending_value = T(1);
  }
  root->has_pending = true;

  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    TensorImpl<T>& t = **it;
    if (!t.has_pending) continue;  // no path from root carried a gradient here
    if (t.pending_uniform && t.grad_fn && !t.retains_grad) {
      t.has_pending = t.pending_uniform = false;
      t.grad_fn->backward_uniform(t.pending_value, t.value);
      continue;
    }
    materialize_pending(t);
    Array<T> g = std::move(t.pending);
    t.pending = Array<T>();
    t.has_pending = false;
    if (Node<T>* node = t.grad_fn.get()) {
      node->backward(g, t.value);
      if (t.retains_grad) add_to_grad(t, std::move(g));
    } else {
      add_to_grad(t, std::move(g));
    }
  }
  // Freed only now: releasing a node can destroy tensors that `order` still points to.
  if (!retain_graph) {
    for (TensorImpl<T>* t : order) {
      if (Node<T>* node = t->grad_fn.get()) {
        node->release_saved();
        node->released = true;
      }
    }
    for (TensorImpl<T>* t : order)
      if (t->grad_fn) t->grad_fn->inputs.clear();  // may free t's ancestors: last use of order
  }
}

template struct TensorImpl<float>;
template struct TensorImpl<double>;
template class Node<float>;
template class Node<double>;
template void run_backward<float>(const ImplPtr<float>&, const Array<float>*, bool);
template void run_backward<double>(const ImplPtr<double>&, const Array<double>*, bool);

}  // namespace xg
