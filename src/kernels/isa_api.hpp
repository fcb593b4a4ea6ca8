// The kernel entry points as each instruction set's copy defines them (internal header, for
// dispatch.cpp): the signatures of activation.hpp, loss.hpp, reduce.hpp and gemm.hpp, declared
// again in xg::kernels::<isa>. A mismatch with those headers fails at link time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/reduce.hpp"

#define XGRAD_DECLARE_ISA_KERNELS(isa)                                                             \
  namespace xg::kernels::isa {                                                                     \
  template <class T>                                                                               \
  void activation_forward(Act act, ActParams p, const T* x, T* y, std::size_t n);                  \
  template <class T>                                                                               \
  void activation_backward(Act act, ActParams p, const T* x, const T* y, const T* g, T* dx,        \
                           std::size_t n, bool accumulate);                                        \
  template <class T>                                                                               \
  void activation_backward_uniform(Act act, ActParams p, const T* x, const T* y, T g, T* dx,       \
                                   std::size_t n, bool accumulate);                                \
  bool activation_saves_derivative(Act act);                                                       \
  template <class T>                                                                               \
  void activation_forward_derivative(Act act, ActParams p, const T* x, T* y, T* d, std::size_t n); \
  template <class T>                                                                               \
  void derivative_backward(const T* d, const T* g, T* dx, std::size_t n, bool accumulate);         \
  template <class T>                                                                               \
  void derivative_backward_uniform(const T* d, T g, T* dx, std::size_t n, bool accumulate);        \
  bool activation_has_mask(Act act);                                                               \
  bool activation_reads_input(Act act);                                                            \
  template <class T>                                                                               \
  void activation_forward_mask(Act act, ActParams p, const T* x, T* y, std::uint64_t* mask,        \
                               std::size_t n);                                                     \
  template <class T>                                                                               \
  void activation_backward_mask(Act act, ActParams p, const std::uint64_t* mask, const T* g,       \
                                T* dx, std::size_t n, bool accumulate);                            \
  template <class T>                                                                               \
  void activation_backward_mask_uniform(Act act, ActParams p, const std::uint64_t* mask, T g,      \
                                        T* dx, std::size_t n, bool accumulate);                    \
  template <class T>                                                                               \
  void channel_forward(ChannelAct act, const T* x, const T* w, T* y, std::size_t outer,            \
                       std::size_t channels, std::size_t inner);                                   \
  template <class T>                                                                               \
  void channel_backward(ChannelAct act, const T* x, const T* w, const T* g, T* dx, T* dw,          \
                        std::size_t outer, std::size_t channels, std::size_t inner,                \
                        bool accumulate);                                                          \
  template <class T>                                                                               \
  T sum(const T* x, std::size_t n);                                                                \
  template <class T>                                                                               \
  void exp_inplace(T* v, std::size_t n);                                                           \
  template <class T>                                                                               \
  void log1p_inplace(T* v, std::size_t n);                                                         \
  std::size_t sgemm_workspace(const GemmArgs& args);                                               \
  void sgemm(const GemmArgs& args, float* workspace, ParallelFor parallel);                        \
  std::size_t dgemm_workspace(const DgemmArgs& args);                                              \
  void dgemm(const DgemmArgs& args, double* workspace, ParallelFor parallel);                      \
  void column_sums(const float* g, std::size_t rows, std::size_t cols, std::size_t ld, float* out, \
                   bool accumulate);                                                               \
  }
