// Per-thread caching of tensor buffers in size classes (four classes per power of two, so at
// most 25% of a block is slack). Blocks above kMaxCachedBlock bypass the cache.
#include "xgrad/core/allocator.hpp"

#include <cstdlib>
#include <vector>

namespace xg {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kMaxCachedBlock = std::size_t(1) << 30;  // 1 GiB
constexpr std::size_t kMaxCachedTotal = std::size_t(2) << 30;  // per thread
constexpr int kClasses = 4 * 64;

// Smallest class size >= bytes: 64, then 4 steps per power of two.
std::size_t class_index(std::size_t bytes, std::size_t& rounded) {
  if (bytes <= kAlignment) {
    rounded = kAlignment;
    return 0;
  }
  int e = 63 - __builtin_clzll(bytes - 1);  // 2^e < bytes <= 2^(e+1)
  std::size_t base = std::size_t(1) << e, step = base / 4;
  std::size_t k = (bytes - base + step - 1) / step;  // 1..4
  rounded = base + k * step;
  if (rounded < kAlignment) rounded = kAlignment;
  return std::size_t(4 * e + k);
}

struct Cache {
  std::vector<void*> lists[kClasses];
  std::size_t bytes = 0;
  std::size_t os_allocations = 0;
  ~Cache() { release_all(); }
  void release_all() {
    for (auto& list : lists) {
      for (void* p : list) std::free(p);
      list.clear();
    }
    bytes = 0;
  }
};

// A thread's cache dies before that thread's static/thread_local arrays may be freed; after
// that, blocks go straight back to the OS.
thread_local bool cache_alive = false;
thread_local struct CacheHolder {
  Cache cache;
  CacheHolder() { cache_alive = true; }
  ~CacheHolder() { cache_alive = false; }
} holder;

void* os_allocate(std::size_t rounded) {
  // aligned_alloc wants a size that is a multiple of the alignment (C11); classes such as 96
  // bytes are not, so the block asked for is rounded up.
  void* p = std::aligned_alloc(kAlignment, (rounded + kAlignment - 1) / kAlignment * kAlignment);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace detail {

void* cached_allocate(std::size_t bytes) {
  std::size_t rounded = 0;
  const std::size_t c = class_index(bytes, rounded);
  if (rounded > kMaxCachedBlock) return os_allocate(rounded);
  Cache& cache = holder.cache;
  auto& list = cache.lists[c];
  if (!list.empty()) {
    void* p = list.back();
    list.pop_back();
    cache.bytes -= rounded;
    return p;
  }
  ++cache.os_allocations;
  return os_allocate(rounded);
}

void cached_deallocate(void* p, std::size_t bytes) noexcept {
  if (!p) return;
  std::size_t rounded = 0;
  const std::size_t c = class_index(bytes, rounded);
  if (!cache_alive || rounded > kMaxCachedBlock || holder.cache.bytes + rounded > kMaxCachedTotal) {
    std::free(p);
    return;
  }
  try {
    holder.cache.lists[c].push_back(p);
    holder.cache.bytes += rounded;
  } catch (...) {
    std::free(p);
  }
}

}  // namespace detail

std::size_t cached_bytes() { return holder.cache.bytes; }
void empty_cache() { holder.cache.release_all(); }
std::size_t os_allocation_count() { return holder.cache.os_allocations; }

}  // namespace xg
