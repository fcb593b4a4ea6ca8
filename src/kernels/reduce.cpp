// Reductions on xsimd batches, one copy per instruction set (see reduce.hpp).
#include "kernels/reduce.hpp"

#include <xsimd/xsimd.hpp>

#include <cstdint>

namespace xg::kernels::XGRAD_ISA_NS {  // one copy per instruction set (kernels/isa.hpp)
namespace {

// The line 512 bytes (8 lines) below p into L1, to read. A prefetch is only a hint and never
// faults, so this may name memory below the array; the address is computed as an integer (no
// pointer arithmetic past the array).
//
// A sum of an array larger than L2 (4 MB: a 2^20-float activation's output) is bound by how fast
// lines arrive from L3. With the hardware prefetchers alone a bare loop took 31-33 us on a quiet
// AMD EPYC (Zen 5, KVM) in some processes and 40-44 in others of the same minutes; asking for the
// lines ahead brought both to 31-32 (and relu's sum in xgrad from 41.7 to 34.5 us in the slow
// processes). The same prefetches in the elementwise passes (forward, gradient) made those 5-10%
// slower in the fast processes, so only the sums have them.
[[gnu::always_inline]] inline void prefetch_below(const void* p) {
  constexpr std::uintptr_t kDistance = 512;
  __builtin_prefetch(
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) - kDistance));
}

}  // namespace

template <class T>
T sum(const T* x, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t kPartials = 64, kBatches = kPartials / B::size;
  B acc[kBatches];
  for (auto& a : acc) a = B(T(0));
  // The blocks from the last to the first: an array just written by a forward pass has its end
  // in this core's L2 cache, read here before it is evicted. That holds for a sum of one call
  // (below 2^18 elements); a larger one comes here chunk by chunk (parallel_for_chunks), each
  // chunk backwards, and for a 4 MB array on one thread the order made no measurable difference
  // (a bare loop, AMD EPYC: 35 us with its chunks in either order).
  const std::size_t whole = n / kPartials * kPartials;
  for (std::size_t i = whole; i >= kPartials; i -= kPartials)
    for (std::size_t b = 0; b < kBatches; ++b) {
      const T* at = x + i - kPartials + b * B::size;
      prefetch_below(at);
      acc[b] += B::load_unaligned(at);
    }
  alignas(64) T partial[kPartials];
  for (std::size_t b = 0; b < kBatches; ++b) acc[b].store_aligned(partial + b * B::size);
  T s = 0;
  for (std::size_t i = whole; i < n; ++i) s += x[i];
  for (T p : partial) s += p;
  return s;
}

template float sum(const float*, std::size_t);
template double sum(const double*, std::size_t);

}  // namespace xg::kernels::XGRAD_ISA_NS
