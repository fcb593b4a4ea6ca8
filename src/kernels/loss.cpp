// Vectorised exp and log1p for the fused cross-entropy and softmax (see loss.hpp).
#include "kernels/loss.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>

namespace xg::kernels::XGRAD_ISA_NS {  // one copy per instruction set (kernels/isa.hpp)

template <class T>
void exp_inplace(T* v, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t w = B::size;
  std::size_t i = 0;
  for (; i + w <= n; i += w) xsimd::exp(B::load_unaligned(v + i)).store_unaligned(v + i);
  for (; i < n; ++i) v[i] = std::exp(v[i]);
}

template <class T>
void log1p_inplace(T* v, std::size_t n) {
  using B = xsimd::batch<T>;
  constexpr std::size_t w = B::size;
  std::size_t i = 0;
  for (; i + w <= n; i += w) xsimd::log1p(B::load_unaligned(v + i)).store_unaligned(v + i);
  for (; i < n; ++i) v[i] = std::log1p(v[i]);
}

template void exp_inplace(float*, std::size_t);
template void exp_inplace(double*, std::size_t);
template void log1p_inplace(float*, std::size_t);
template void log1p_inplace(double*, std::size_t);

}  // namespace xg::kernels::XGRAD_ISA_NS
