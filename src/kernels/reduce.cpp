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
  std::size_t i = 0;
  for (; i + kPartials <= n; i += kPartials)
    for (std::size_t b = 0; b < kBatches; ++b) acc[b] += B::load_unaligned(x + i + b * B::size);
  alignas(64) T partial[kPartials];
  for (std::size_t b = 0; b < kBatches; ++b) acc[b].store_aligned(partial + b * B::size);
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (T p : partial) s += p;
  return s;
}

template float sum(const float*, std::size_t);
template double sum(const double*, std::size_t);

}  // namespace xg::kernels::XGRAD_ISA_NS
