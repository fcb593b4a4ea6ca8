// The backward engine. Both the topological sort and the graph teardown are iterative, so graph
// depth is limited by memory, not by the stack.
#include "xgrad/core/autograd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "xgrad/core/tensor.hpp"
#include "xgrad/extend.hpp"

namespace xg {

namespace {
thread_local bool grad_mode = true;
thread_local std::uint64_t backward_epoch = 0;
}  // namespace

bool grad_enabled() { return grad_mode; }
void set_grad_enabled(bool enabled) { grad_mode = enabled; }

std::atomic<bool> detail::anomaly_mode{false};
std::atomic<std::uint64_t> detail::in_place_clock{0};
void set_anomaly_enabled(bool enabled) {
  detail::anomaly_mode.store(enabled, std::memory_order_relaxed);
}

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
// t's pending-gradient buffer, shaped like its value; the contents are undefined when new.
template <class T>
Array<T>& shaped_pending(TensorImpl<T>& t) {
  if (!t.pending)
    t.pending.emplace(t.value.shape());
  else if (t.pending->shape() != t.value.shape())
    t.pending->resize(t.value.shape());
  return *t.pending;
}

// Writes out a uniform pending gradient so it can be added to element by element.
template <class T>
void materialize_pending(TensorImpl<T>& t) {
  if (!t.pending_uniform) return;
  Array<T>& pending = shaped_pending(t);
  std::fill(pending.begin(), pending.end(), t.pending_value);
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
    for (T& v : *in.pending) v += value;
  }
}

template <class T>
Array<T>& Node<T>::grad_buffer(std::size_t i, bool& fresh) {
  TensorImpl<T>& in = *inputs[i];
  materialize_pending(in);
  fresh = !in.has_pending;
  if (fresh) {
    in.has_pending = true;
    return shaped_pending(in);
  }
  return *in.pending;
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
  T* d = in.pending->data();
  const T* s = g.data();
  for (std::size_t j = 0, n = g.size(); j < n; ++j) d[j] += s[j];
}

// ---- diagnostics: tensor hooks and anomaly checks --------------------------------------------
// Reached only when a tensor has hooks or anomaly mode is on; the plain backward pass below
// pays one branch for each.

namespace {

// Index of the first NaN or Inf among n values, or n when all are finite.
template <class T>
std::size_t first_non_finite(const T* v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i])) return i;
  return n;
}

// "element 5 (index [1,2])": the flat position and the index in `shape`.
std::string element_str(std::size_t flat, const Shape& shape) {
  std::string index;
  std::size_t rest = flat;
  for (std::size_t d = shape.size(); d-- > 0;) {
    const std::size_t i = shape[d] ? rest % shape[d] : 0;
    rest = shape[d] ? rest / shape[d] : 0;
    index = std::to_string(i) + (index.empty() ? "" : ",") + index;
  }
  return fmt::format("element {} (index [{}])", flat, index);
}

template <class T>
std::string input_shapes_str(const Node<T>& node) {
  std::string out;
  for (const auto& in : node.inputs)
    out += (out.empty() ? "" : ", ") + shape_str(in->value.shape());
  return out;
}

template <class T>
std::string value_str(T v) {
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
}

// Runs t's hooks on its gradient g, which they may replace.
template <class T>
void run_tensor_hooks(TensorImpl<T>& t, Array<T>& g) {
  using detail::TensorAccess;
  BasicTensor<T> grad = TensorAccess::wrap(make_impl<T>(std::move(g)));
  t.hooks->for_each([&](const TensorHook<T>& hook) {
    std::optional<BasicTensor<T>> replaced = hook(grad);
    if (!replaced || !replaced->defined()) return;
    if (replaced->shape() != t.value.shape())
      throw std::runtime_error(
          fmt::format("backward: a tensor hook returned a gradient of shape {} for a tensor of "
                      "shape {}",
                      shape_str(replaced->shape()), shape_str(t.value.shape())));
    grad = TensorAccess::wrap(make_impl<T>(Array<T>(replaced->data())));  // the hook keeps its own
  });
  g = TensorAccess::impl_ptr(grad).use_count() == 1 ? std::move(grad.data())
                                                    : Array<T>(grad.data());
}

// Anomaly mode's backward check: the gradients `node` (the grad_fn of a tensor of shape `out`)
// just added to its inputs.
template <class T>
void check_backward_anomaly(const Node<T>& node, const Shape& out) {
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorImpl<T>& in = *node.inputs[i];
    if (!in.requires_grad || !in.has_pending) continue;
    const T* v = in.pending_uniform ? &in.pending_value : in.pending->data();
    const std::size_t n = in.pending_uniform ? 1 : in.pending->size();
    const std::size_t bad = first_non_finite(v, n);
    if (bad == n) continue;
    throw std::runtime_error(fmt::format(
        "anomaly detected in backward: {} returned {} in the gradient for its input {} (shape "
        "{}) at {}; the gradient of its output has shape {}, its inputs have shapes {}",
        node.name(), value_str(v[bad]), i, shape_str(in.value.shape()),
        in.pending_uniform ? std::string("every element") : element_str(bad, in.value.shape()),
        shape_str(out), input_shapes_str(node)));
  }
}

}  // namespace

template <class T>
void detail::check_forward_anomaly(const TensorImpl<T>& out) {
  const std::size_t n = out.value.size(), bad = first_non_finite(out.value.data(), n);
  if (bad == n) return;
  throw std::runtime_error(fmt::format(
      "anomaly detected in forward: {} produced {} at {} of its output (shape {}); its inputs "
      "have shapes {}",
      out.grad_fn->name(), value_str(out.value.data()[bad]), element_str(bad, out.value.shape()),
      shape_str(out.value.shape()), input_shapes_str(*out.grad_fn)));
}

// ---- backward ------------------------------------------------------------------------------

namespace {

// Throws when an input whose values `node` reads was updated in place after its forward.
template <class T>
void check_inputs_unchanged(const Node<T>& node) {
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    const TensorImpl<T>& in = *node.inputs[i];
    if (in.modified_at <= node.recorded_at || !node.reads_input(i)) continue;
    throw std::runtime_error(fmt::format(
        "backward: input {} of {} (shape {}) was modified in place (an optimizer step, an init or "
        "load_state_dict) after the forward that recorded it, and its backward needs the values "
        "that forward used; run the forward again after the update, or backward before step()",
        i, node.name(), shape_str(in.value.shape())));
  }
}

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

namespace detail {

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

  const bool check_anomaly = anomaly_enabled();
  try {
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      TensorImpl<T>& t = **it;
      if (!t.has_pending) continue;  // no path from root carried a gradient here
      const bool has_hooks = t.hooks && !t.hooks->empty();
      if (t.grad_fn) check_inputs_unchanged(*t.grad_fn);
      if (t.pending_uniform && t.grad_fn && !t.retains_grad && !has_hooks) {
        t.has_pending = t.pending_uniform = false;
        t.grad_fn->backward_uniform(t.pending_value, t.value);
        if (check_anomaly) check_backward_anomaly(*t.grad_fn, t.value.shape());
        continue;
      }
      materialize_pending(t);
      Array<T> g = std::move(*t.pending);
      t.pending.reset();
      t.has_pending = false;
      if (has_hooks) run_tensor_hooks(t, g);
      if (Node<T>* node = t.grad_fn.get()) {
        node->backward(g, t.value);
        if (check_anomaly) check_backward_anomaly(*node, t.value.shape());
        if (t.retains_grad) add_to_grad(t, std::move(g));
      } else {
        add_to_grad(t, std::move(g));
      }
    }
  } catch (...) {  // a hook or anomaly check threw: leave no half-accumulated gradient behind
    for (TensorImpl<T>* t : order) {
      t->pending.reset();
      t->has_pending = t->pending_uniform = false;
    }
    throw;
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

template void run_backward<float>(const ImplPtr<float>&, const Array<float>*, bool);
template void run_backward<double>(const ImplPtr<double>&, const Array<double>*, bool);

}  // namespace detail

template struct TensorImpl<float>;
template struct TensorImpl<double>;
template class Node<float>;
template class Node<double>;
template void detail::check_forward_anomaly<float>(const TensorImpl<float>&);
template void detail::check_forward_anomaly<double>(const TensorImpl<double>&);

}  // namespace xg
