// Engine internals (not part of the user API): TensorImpl, what a Tensor handle points to — a
// value, an optional gradient, the node of the op that produced it (null for leaves) and the
// bookkeeping of a backward pass — and the access the engine and xgrad/extend.hpp need to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include "xgrad/core/allocator.hpp"
#include "xgrad/core/array.hpp"
#include "xgrad/core/hooks.hpp"

namespace xg {

template <class T>
class Node;
template <class T>
class BasicTensor;

// Tensor::register_hook's callbacks: given the gradient, optionally a replacement.
template <class T>
using TensorHook = std::function<std::optional<BasicTensor<T>>(const BasicTensor<T>&)>;

template <class T>
struct TensorImpl {
  // Moved in, not taken by value: a move of an Array copies its shape and strides (~10 ns; a
  // recorded op is ~100 ns).
  explicit TensorImpl(Array<T>&& v, bool wants_grad = false)
      : value(std::move(v)), requires_grad(wants_grad) {}
  // Tears the graph down iteratively, so a chain of 100,000 ops does not overflow the stack.
  ~TensorImpl();
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

  Array<T> value;
  std::shared_ptr<TensorImpl> grad;  // .grad() of a leaf (or of a non-leaf that retains it)
  std::unique_ptr<Node<T>> grad_fn;  // the op that produced this value; null for a leaf
  // Null unless register_hook was called. Beside grad_fn: backward reads both for every tensor,
  // and a field on a cache line of its own cost a miss per node (~7% of a backward pass).
  std::unique_ptr<HookList<TensorHook<T>>> hooks;
  // The gradient being accumulated during one backward pass. Optional: a default-constructed
  // Array holds one element, an allocation for every tensor that never gets a gradient.
  std::optional<Array<T>> pending;
  T pending_value = 0;  // the pending gradient when it is one value everywhere
  bool requires_grad = false;
  bool has_pending = false;
  bool pending_uniform = false;  // pending is pending_value everywhere, not materialised (sum's)
  bool retains_grad = false;
  std::uint64_t visit_mark = 0;  // the backward pass that last visited this tensor
  // The in-place update clock (see detail::mark_modified) at this tensor's last in-place update
  // by an optimizer step, an init or load_state_dict; 0 if none.
  std::uint64_t modified_at = 0;

  bool is_leaf() const { return !grad_fn; }
};

template <class T>
using ImplPtr = std::shared_ptr<TensorImpl<T>>;

// A new TensorImpl from the caching allocator: a training step's handles reuse the memory of
// the previous step's instead of going through malloc.
template <class T, class... A>
ImplPtr<T> make_impl(A&&... args) {
  return std::allocate_shared<TensorImpl<T>>(CachingAllocator<TensorImpl<T>>(),
                                             std::forward<A>(args)...);
}

namespace detail {

// What the engine, gradcheck and record() reach behind a tensor handle.
struct TensorAccess {
  template <class T>
  static const ImplPtr<T>& impl_ptr(const BasicTensor<T>& t) {
    return t.impl_;
  }
  template <class T>
  static TensorImpl<T>& impl(const BasicTensor<T>& t) {
    return t.impl();
  }
  template <class T>
  static BasicTensor<T> wrap(ImplPtr<T> impl) {
    return BasicTensor<T>(std::move(impl));
  }
};

// The in-place update clock: advanced by every update of a tensor's values in place. A graph node
// remembers its reading when recorded, so backward can tell that an input it reads was changed
// after its forward (PyTorch's version counter, in one number per node).
extern std::atomic<std::uint64_t> in_place_clock;
inline std::uint64_t in_place_time() { return in_place_clock.load(std::memory_order_relaxed); }
// A new reading of the clock, later than every node recorded so far.
inline std::uint64_t advance_in_place_clock() {
  return in_place_clock.fetch_add(1, std::memory_order_relaxed) + 1;
}
// Records that t's values were just changed in place: a node recorded earlier that reads them
// refuses to run backward. An optimizer step stamps all its parameters with one reading.
template <class T>
void mark_modified(TensorImpl<T>& t, std::uint64_t stamp = advance_in_place_clock()) {
  t.modified_at = stamp;
}

// Runs backward from `root`. `grad` is dL/d root (null: root must hold one element and the
// gradient is 1). Throws std::runtime_error for a root that does not require grad, a missing
// gradient for a non-scalar root, a gradient of the wrong shape, and a graph already freed.
template <class T>
void run_backward(const ImplPtr<T>& root, const Array<T>* grad, bool retain_graph);

}  // namespace detail
}  // namespace xg
