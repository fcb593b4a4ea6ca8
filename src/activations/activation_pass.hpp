// An elementwise activation run over a whole tensor in parallel chunks, forward and backward
// (internal header, shared by the activation node and the fused Linear + activation).
#pragma once

#include <cstddef>

#include "activations/mask_bits.hpp"
#include "core/parallel.hpp"
#include "kernels/activation.hpp"

namespace xg::detail {

// With bits in `mask` (an activation whose derivative takes two values, when a graph is
// recorded) forward writes them and backward reads only them; otherwise backward reads x and y.
// The chunks start at multiples of 64 elements (parallel.hpp), so each chunk's bits start at a
// word.
struct ActivationPass {
  kernels::Act act;
  kernels::ActParams params;

  // y = f(x) over n elements (x and y may be the same array).
  template <class T>
  void forward(const T* x, T* y, MaskBits& mask, std::size_t n) const {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      if (!mask.empty())
        kernels::activation_forward_mask(act, params, x + b, y + b, mask.at(b), e - b);
      else
        kernels::activation_forward(act, params, x + b, y + b, e - b);
    });
  }

  // y = f(x) and d = f'(x) over n elements (activation_saves_derivative; x and y may be the same
  // array).
  template <class T>
  void forward_derivative(const T* x, T* y, T* d, std::size_t n) const {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      kernels::activation_forward_derivative(act, params, x + b, y + b, d + b, e - b);
    });
  }

  // dx = g d over n elements from the derivative d that forward_derivative saved.
  template <class T>
  static void backward_derivative(const T* d, const T* g, T* dx, std::size_t n) {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      kernels::derivative_backward(d + b, g + b, dx + b, e - b, false);
    });
  }

  // The same with the incoming gradient g everywhere.
  template <class T>
  static void backward_derivative_uniform(const T* d, T g, T* dx, std::size_t n) {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      kernels::derivative_backward_uniform(d + b, g, dx + b, e - b, false);
    });
  }

  // dx = g f' over n elements, or dx += g f' when `accumulate`.
  template <class T>
  void backward(const MaskBits& mask, const T* x, const T* y, const T* g, T* dx, std::size_t n,
                bool accumulate) const {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      if (!mask.empty())
        kernels::activation_backward_mask(act, params, mask.at(b), g + b, dx + b, e - b,
                                          accumulate);
      else
        kernels::activation_backward(act, params, x + b, y + b, g + b, dx + b, e - b, accumulate);
    });
  }

  // The same with the incoming gradient g everywhere (the gradient of a sum).
  template <class T>
  void backward_uniform(const MaskBits& mask, const T* x, const T* y, T g, T* dx, std::size_t n,
                        bool accumulate) const {
    parallel_for(n, [&](std::size_t b, std::size_t e) {
      if (!mask.empty())
        kernels::activation_backward_mask_uniform(act, params, mask.at(b), g, dx + b, e - b,
                                                  accumulate);
      else
        kernels::activation_backward_uniform(act, params, x + b, y + b, g, dx + b, e - b,
                                             accumulate);
    });
  }
};

}  // namespace xg::detail
