// The activation catalogue as differentiable functions (docs/activations.md has the formulas,
// derivatives, ranges and plots). Each call records ONE fused graph node: a vectorised forward
// kernel and its analytic backward kernel; the node saves only what its backward needs.
//
// Every fused row of the activation list (activations/list.hpp) declares
//   template <class T> BasicTensor<T> name(const BasicTensor<T>& x, hyper-parameters...);
// with the row's hyper-parameters in order and with their defaults, for instance
//   xg::relu(x), xg::leaky_relu(x, negative_slope = 0.01), xg::elu(x, alpha = 1),
//   xg::softplus(x, beta = 1, threshold = 20), xg::hardtanh(x, min_val = -1, max_val = 1),
//   xg::squareplus(x, b = 4), xg::gelu(x) (exact), xg::gelu_tanh(x).
// Hyper-parameters take any arithmetic value (xg::elu(x, 1) on a float tensor): their type is
// the tensor's, not deduced from the argument.
//
// Conventions:
// - At a kink the derivative is the LEFT derivative (the slope of the piece just below it):
//   relu'(0) = 0, leaky_relu'(0) = a, prelu'(0) = alpha, elu'(0) = alpha, selu'(0) = lambda*alpha.
//   Parameter derivatives and SReLU/APL hinges follow the same rule. The PyTorch extras (celu,
//   mish, hardtanh, relu6, hardsigmoid, hardswish, logsigmoid) use PyTorch's kink values.
// - "channel" is axis 1 of the input ([batch, channels, ...]). A per-channel parameter has one
//   value per channel; a shared parameter has exactly one element. A 1-D input has no channel
//   axis, so it only takes shared parameters.
// - Bad hyper-parameters throw std::invalid_argument naming the function, the parameter and the
//   allowed range ("isru: a must be > 0, got -1"); mis-shaped parameter tensors name both shapes.
#pragma once

#include <cstdint>

#include "xgrad/activations/list.hpp"
#include "xgrad/core/random.hpp"
#include "xgrad/core/tensor.hpp"

namespace xg {

#define XG_DECLARE_PARAM(name, default_value) , NoDeduce<T> name = T(default_value)
#define XG_DECLARE(name, Layer, Functor, hyper, ...) \
  template <class T>                                 \
  BasicTensor<T> name(const BasicTensor<T>& x XG_PP_SEQ_FOR_EACH(XG_DECLARE_PARAM, hyper));
XG_ACTIVATION_LIST(XG_DECLARE, XG_DECLARE, XG_ACTIVATION_SKIP)
#undef XG_DECLARE_PARAM
#undef XG_DECLARE

// swish is SiLU (TensorFlow's and the literature's name for x sigmoid(x)); the version with a
// learned beta is swish_beta (activations/parametric.hpp).
template <class T>
BasicTensor<T> swish(const BasicTensor<T>& x) {
  return silu(x);
}

// PyTorch's gelu(x, approximate): Approximate::None is gelu(x) (x Phi(x) with the exact normal
// CDF), Approximate::Tanh is gelu_tanh(x).
enum class Approximate { None, Tanh };
template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x, Approximate approximate) {
  return approximate == Approximate::Tanh ? gelu_tanh(x) : gelu(x);
}

// Randomized leaky ReLU, 0 <= lower <= upper. Eval form: the fixed slope (lower + upper) / 2.
template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, NoDeduce<T> lower = T(1) / 8,
                     NoDeduce<T> upper = T(1) / 3);
// Train form: a slope ~ U(lower, upper) drawn from `rng` for every element with x <= 0 (elements
// with x > 0 keep slope 1 and draw nothing, like PyTorch); backward uses the slopes drawn.
template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, NoDeduce<T> lower, NoDeduce<T> upper, Generator& rng);

}  // namespace xg
