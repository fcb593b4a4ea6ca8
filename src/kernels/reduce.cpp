// Reductions on xsimd batches, one copy per instruction set (see reduce.hpp).
#include "kernels/reduce.hpp"

#include <xsimd/xsimd.hpp>

namespace xg::kernels::XGRAD_ISA_NS {  // one copy per instruction set (kernels/isa.hpp)

template <class T>
T sum(const T* x, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t kPartials = 64, kBatches = kPartials / B::size;
  B acc[kBatches];
  for (auto& a : acc) a = B(T(0));
  // The blocks from the last to the first: an array just written by a forward pass has its end
  // in this core's L2 cache, read here before it is evicted (5 of 36 us on a 4 MB array, AMD
  // EPYC), and leaves its start there for a backward pass that reads it again from the front.
  const std::size_t whole = n / kPartials * kPartials;
  for (std::size_t i = whole; i >= kPartials; i -= kPartials)
    for (std::size_t b = 0; b < kBatches; ++b)
      acc[b] += B::load_unaligned(x + i - kPartials + b * B::size);
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
