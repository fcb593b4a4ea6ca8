// Vectorised forward/backward kernels of the elementwise activations (internal header).
//
// Implemented in activation.cpp; src/kernels/ is the one folder built with AVX-512 (see
// CMakeLists.txt: GCC 12 miscompiles fmt/exception code under AVX-512, so these kernels are raw
// pointer loops and nothing else). The graph nodes that call them live in src/activations/.
#pragma once

#include <cstddef>
#include <cstdint>

#include "xgrad/activations/list.hpp"

namespace xg::kernels {

// One constant per fused row of the activation list, named after its functor.
#define XG_KERNEL_ENUM(name, Layer, Functor, ...) Functor,
enum class Act { XG_ACTIVATION_LIST(XG_KERNEL_ENUM, XG_KERNEL_ENUM, XG_ACTIVATION_SKIP) };
#undef XG_KERNEL_ENUM

// The hyper-parameters of a call in the list's order (a the first, b the second).
struct ActParams {
  double a = 0, b = 0;
};

// y[i] = f(x[i]).
template <class T>
void activation_forward(Act act, ActParams p, const T* x, T* y, std::size_t n);

// dx[i] = g[i] * f'(x[i]) (or += when accumulate), f' from x and/or y = f(x).
template <class T>
void activation_backward(Act act, ActParams p, const T* x, const T* y, const T* g, T* dx,
                         std::size_t n, bool accumulate);

// The same with the incoming gradient equal to g everywhere (the gradient of a sum).
template <class T>
void activation_backward_uniform(Act act, ActParams p, const T* x, const T* y, T g, T* dx,
                                 std::size_t n, bool accumulate);

// Activations that compute f and f' together (ELU, SELU and CELU: from one exponential) save
// f'(x) instead of x in the forward pass of a fused Linear + activation; backward is then one
// multiply.
bool activation_saves_derivative(Act act);

// y[i] = f(x[i]) and d[i] = f'(x[i]); only for an act with activation_saves_derivative(act).
template <class T>
void activation_forward_derivative(Act act, ActParams p, const T* x, T* y, T* d, std::size_t n);

// dx[i] = g[i] * d[i] (or += when accumulate), d from activation_forward_derivative.
template <class T>
void derivative_backward(const T* d, const T* g, T* dx, std::size_t n, bool accumulate);

// The same with the incoming gradient equal to g everywhere.
template <class T>
void derivative_backward_uniform(const T* d, T g, T* dx, std::size_t n, bool accumulate);

// Activations whose derivative takes two values (ReLU, leaky ReLU, hardtanh, ReLU6,
// hardsigmoid) save which one applies as one bit per element: bit i % 64 of mask[i / 64]. Their
// backward then reads the bits instead of x (1/32 of the bytes in float). A call may cover a
// part of a tensor that starts at a multiple of 64 elements, with mask pointing at its first word.
bool activation_has_mask(Act act);
// Whether activation_backward reads x (otherwise y alone, or nothing, gives the derivative). A
// fused Linear + activation that does not save f' keeps its pre-activation only for these.
bool activation_reads_input(Act act);

// y[i] = f(x[i]) and the mask of x; only for an act with activation_has_mask(act).
template <class T>
void activation_forward_mask(Act act, ActParams p, const T* x, T* y, std::uint64_t* mask,
                             std::size_t n);

// dx[i] = g[i] * f'(x[i]) (or += when accumulate) from the mask forward wrote.
template <class T>
void activation_backward_mask(Act act, ActParams p, const std::uint64_t* mask, const T* g, T* dx,
                              std::size_t n, bool accumulate);

// The same with the incoming gradient equal to g everywhere.
template <class T>
void activation_backward_mask_uniform(Act act, ActParams p, const std::uint64_t* mask, T g, T* dx,
                                      std::size_t n, bool accumulate);

// Activations with one parameter w per channel, over x seen as [outer, channels, inner] (a
// shared parameter is channels = 1, inner = everything). PReLU: x > 0 ? x : w x. SwishBeta:
// x sigmoid(w x). Backward: dx = g df (written, or added when accumulate; skipped when dx is
// null) and dw[c] += sum of g df_dp over channel c (skipped when dw is null; dw holds `channels`
// values), with df = df/dx and df_dp = df/dw.
enum class ChannelAct { PReLU, SwishBeta };
template <class T>
void channel_forward(ChannelAct act, const T* x, const T* w, T* y, std::size_t outer,
                     std::size_t channels, std::size_t inner);
template <class T>
void channel_backward(ChannelAct act, const T* x, const T* w, const T* g, T* dx, T* dw,
                      std::size_t outer, std::size_t channels, std::size_t inner, bool accumulate);

}  // namespace xg::kernels
