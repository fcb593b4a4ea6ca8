// Hooks: user callbacks attached to tensors (gradient hooks) and modules (forward, forward-pre
// and backward hooks), each registration returning a RemovableHandle like PyTorch's.
//
//   auto handle = hidden.register_hook([](const Tensor& g) { fmt::print("{}\n", g); });
//   ...
//   handle.remove();  // detached; harmless to call twice or after the tensor is gone
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace xg {

// Detaches one hook. Default-constructed handles detach nothing.
class RemovableHandle {
 public:
  RemovableHandle() = default;
  explicit RemovableHandle(std::function<void()> detach) : detach_(std::move(detach)) {}
  void remove() {
    if (!detach_) return;
    auto detach = std::move(detach_);
    detach_ = nullptr;
    detach();
  }

 private:
  std::function<void()> detach_;
};

// Hooks in registration order. Calling them iterates over the hooks registered when the call
// began (like PyTorch's snapshot of its hook dict): a hook may remove itself or others, or add
// new ones (called from the next call on), without allocation on the calling path.
template <class Fn>
class HookList {
 public:
  std::size_t add(Fn fn) {
    items_.push_back({next_id_, std::make_shared<Fn>(std::move(fn))});
    return next_id_++;
  }
  void remove(std::size_t id) {
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->id == id) {
        items_.erase(it);
        return;
      }
  }
  bool empty() const { return items_.empty(); }

  // visit(const Fn&) for every hook, in registration order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    const std::size_t end_id = next_id_;
    std::size_t next = 0;
    for (;;) {
      const Entry* entry = nullptr;
      for (const Entry& e : items_)
        if (e.id >= next) {
          entry = &e;
          break;
        }
      if (!entry || entry->id >= end_id) return;
      next = entry->id + 1;
      const std::shared_ptr<Fn> fn = entry->fn;  // alive even if the hook removes itself
      visit(*fn);
    }
  }

 private:
  struct Entry {
    std::size_t id;
    std::shared_ptr<Fn> fn;
  };
  std::vector<Entry> items_;  // ids increase along the vector
  std::size_t next_id_ = 0;
};

namespace detail {
// Hooks may observe (return void) or replace a tensor (return std::optional<R>, nullopt keeping
// it). Both are stored as the replacing form.
template <class R, class F>
auto replacing_hook(F&& f) {
  return [f = std::forward<F>(f)](auto&&... args) mutable -> std::optional<R> {
    using Result = decltype(f(args...));
    if constexpr (std::is_void_v<Result>) {
      f(args...);
      return std::nullopt;
    } else {
      return std::optional<R>(f(args...));
    }
  };
}
}  // namespace detail

}  // namespace xg
