// The activation catalogue as differentiable functions (../docs/activations.md has the formulas,
// derivatives, ranges and plots). Each call records ONE fused graph node: a vectorised forward
// kernel and its analytic backward kernel; the node saves only what its backward needs.
//
// Conventions (ACTIVATIONS.md):
// - At a kink the derivative is the LEFT derivative (the slope of the piece just below it):
//   relu'(0) = 0, leaky_relu'(0) = a, prelu'(0) = alpha, elu'(0) = alpha, selu'(0) = lambda*alpha.
//   Parameter derivatives and SReLU/APL hinges follow the same rule. The PyTorch extras (celu,
//   mish, hardtanh, relu6, hardsigmoid, hardswish, logsigmoid) use PyTorch's kink values.
// - "channel" is axis 1 of the input ([batch, channels, ...]). A per-channel parameter has one
//   value per channel; a shared parameter has exactly one element. A 1-D input has no channel
//   axis, so it only takes shared parameters.
// - Bad hyper-parameters throw std::invalid_argument naming the function, the parameter and the
//   allowed range; mis-shaped parameter tensors name both shapes.
#pragma once

#include <cstdint>

#include "xgrad/core/random.hpp"
#include "xgrad/core/tensor.hpp"

namespace xg {

// ---- smooth, parameter-free ----------------------------------------------------------------
template <class T>
BasicTensor<T> identity(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sigmoid(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> arctan(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> softsign(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> bent_identity(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x);  // swish with beta = 1
template <class T>
BasicTensor<T> mish(const BasicTensor<T>& x);  // x * tanh(softplus(x))
template <class T>
BasicTensor<T> logsigmoid(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sinusoid(const BasicTensor<T>& x);  // sin(x)
template <class T>
BasicTensor<T> sinc(const BasicTensor<T>& x);  // sin(x)/x, 1 at 0
template <class T>
BasicTensor<T> gaussian(const BasicTensor<T>& x);  // exp(-x^2)

// ---- smooth, with hyper-parameters ---------------------------------------------------------
// x / sqrt(1 + a x^2); a > 0.
template <class T>
BasicTensor<T> isru(const BasicTensor<T>& x, T a = 1);
// (1/beta) log(1 + exp(beta x)), and x where beta x > threshold (PyTorch); beta > 0.
template <class T>
BasicTensor<T> softplus(const BasicTensor<T>& x, T beta = 1, T threshold = 20);

enum class Approximate { None, Tanh };
// None: x Phi(x) with the exact normal CDF; Tanh: PyTorch's approximate='tanh'.
template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x, Approximate approximate = Approximate::None);

// ---- piecewise ---------------------------------------------------------------------------
template <class T>
BasicTensor<T> binary_step(const BasicTensor<T>& x);  // no gradient flows (0)
template <class T>
BasicTensor<T> relu(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> relu6(const BasicTensor<T>& x);  // hardtanh(x, 0, 6)
template <class T>
BasicTensor<T> leaky_relu(const BasicTensor<T>& x, T negative_slope = T(0.01));
// x >= 0: x, x < 0: x / sqrt(1 + a x^2); a > 0.
template <class T>
BasicTensor<T> isrlu(const BasicTensor<T>& x, T a = 1);
template <class T>
BasicTensor<T> elu(const BasicTensor<T>& x, T alpha = 1);
template <class T>
BasicTensor<T> selu(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> celu(const BasicTensor<T>& x, T alpha = 1);  // alpha != 0
template <class T>
BasicTensor<T> hardtanh(const BasicTensor<T>& x, T min_val = -1, T max_val = 1);
template <class T>
BasicTensor<T> hardsigmoid(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> hardswish(const BasicTensor<T>& x);

// Randomized leaky ReLU, 0 <= lower <= upper. Eval form: the fixed slope (lower + upper) / 2.
template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, T lower = T(1) / 8, T upper = T(1) / 3);
// Train form: a slope ~ U(lower, upper) drawn from `rng` for every element with x <= 0 (elements
// with x > 0 keep slope 1 and draw nothing, like PyTorch); backward uses the slopes drawn.
template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, T lower, T upper, Generator& rng);

}  // namespace xg
