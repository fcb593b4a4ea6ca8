// Vectorised exp and log1p for the fused cross-entropy and softmax (see loss.hpp).
#include "kernels/loss.hpp"

#include <xsimd/xsimd.hpp>

#include <cmath>

namespace xg::kernels::XGRAD_ISA_NS {  // one copy per instruction set (kernels/isa.hpp)
namespace {

// v[i] = f(v[i]): full batches through the vector form, the tail through the scalar one.
template <class T, class Vector, class Scalar>
void map_inplace(T* v, std::size_t n, Vector vector_f, Scalar scalar_f) {
  using B = xsimd::batch<T>;
  constexpr std::size_t w = B::size;
  std::size_t i = 0;
  for (; i + w <= n; i += w) vector_f(B::load_unaligned(v + i)).store_unaligned(v + i);
  for (; i < n; ++i) v[i] = scalar_f(v[i]);
}

}  // namespace

template <class T>
void exp_inplace(T* v, std::size_t n) {
  map_inplace(
      v, n, [](auto b) { return xsimd::exp(b); }, [](T x) { return std::exp(x); });
}

template <class T>
void log1p_inplace(T* v, std::size_t n) {
  map_inplace(
      v, n, [](auto b) { return xsimd::log1p(b); }, [](T x) { return std::log1p(x); });
}

template void exp_inplace(float*, std::size_t);
template void exp_inplace(double*, std::size_t);
template void log1p_inplace(float*, std::size_t);
template void log1p_inplace(double*, std::size_t);

}  // namespace xg::kernels::XGRAD_ISA_NS
