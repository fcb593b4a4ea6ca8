// CachingAllocator: the allocator behind every tensor buffer.
//
// A training step allocates the same buffer sizes every step (activations, gradients). Fresh
// memory from the OS is expensive to touch (every first write to a page is a page fault), and
// glibc hands large blocks back to the OS on free, so xgrad keeps freed blocks in per-thread
// size-class free lists and reuses them: after warm-up a training step asks the OS for nothing.
//
// Under AddressSanitizer (-fsanitize=address, XGRAD_SANITIZE=ON) cached blocks are poisoned while
// they sit in the cache, and the slack past the bytes asked for stays poisoned while in use, so
// the sanitizer reports a read or write past a tensor's end or after its release as it would
// for malloc'ed memory.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace xg {

// What a failed tensor allocation throws: a std::bad_alloc that says how much was asked for.
class AllocationError : public std::bad_alloc {
 public:
  // `count` elements of `element_size` bytes each (their product may overflow).
  AllocationError(std::size_t count, std::size_t element_size) noexcept;
  const char* what() const noexcept override { return message_; }

 private:
  char message_[160];
};

namespace detail {
// n elements of `size` bytes; throws AllocationError when n * size overflows or memory is short.
void* cached_allocate(std::size_t n, std::size_t size);
void cached_deallocate(void* p, std::size_t bytes) noexcept;
}  // namespace detail

// Bytes currently held in this thread's cache (freed but not returned to the OS).
std::size_t cached_bytes();
// Returns this thread's cached blocks to the OS.
void empty_cache();
// Number of blocks obtained from the OS by this thread so far (for allocation-counting tests
// and the engine micro-benchmark).
std::size_t os_allocation_count();

// 64-byte aligned, stateless: any two instances compare equal.
template <class T>
struct CachingAllocator {
  using value_type = T;
  CachingAllocator() noexcept = default;
  template <class U>
  CachingAllocator(const CachingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(detail::cached_allocate(n, sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { detail::cached_deallocate(p, n * sizeof(T)); }
  template <class U>
  struct rebind {
    using other = CachingAllocator<U>;
  };
};

template <class T, class U>
bool operator==(const CachingAllocator<T>&, const CachingAllocator<U>&) noexcept {
  return true;
}
template <class T, class U>
bool operator!=(const CachingAllocator<T>&, const CachingAllocator<U>&) noexcept {
  return false;
}

// Scratch vectors of graph nodes and ops (per-step temporaries) that reuse cached memory.
template <class T>
using CachedVector = std::vector<T, CachingAllocator<T>>;

}  // namespace xg
