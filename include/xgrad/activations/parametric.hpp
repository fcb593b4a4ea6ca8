// Activations with trainable parameters (one graph node each, gradients for x and every
// parameter): PReLU, Swish-beta, SoftExponential, SReLU, APL, and Maxout's grouped max.
// "channel" is axis 1 of the input; a per-channel parameter has x.shape(1) elements, a shared
// one exactly one. At a kink the derivative is the left one, for parameters as for x.
#pragma once

#include <cstddef>

#include "xgrad/core/tensor.hpp"

namespace xg {

// x >= 0: x, x < 0: weight * x; weight is shared ([1]) or per channel ([C]).
template <class T>
BasicTensor<T> prelu(const BasicTensor<T>& x, const BasicTensor<T>& weight);

// Swish-beta, x * sigmoid(beta x); gradients for x and beta (beta = 1 is silu, alias swish).
template <class T>
BasicTensor<T> swish_beta(const BasicTensor<T>& x, const BasicTensor<T>& beta);
// alpha < 0: -log(1 - alpha (x + alpha)) / alpha;  alpha = 0: x;  alpha > 0: (exp(alpha x) - 1) /
// alpha + alpha. NaN outside the domain (alpha < 0 and 1 - alpha (x + alpha) <= 0). Gradients for x
// and alpha.
template <class T>
BasicTensor<T> soft_exponential(const BasicTensor<T>& x, const BasicTensor<T>& alpha);

// S-shaped ReLU; t_left, a_left, t_right, a_right each shared or per channel.
// x <= t_left: t_left + a_left (x - t_left);  t_left < x < t_right: x;  x >= t_right: t_right +
// a_right (x - t_right).
template <class T>
BasicTensor<T> srelu(const BasicTensor<T>& x, const BasicTensor<T>& t_left,
                     const BasicTensor<T>& a_left, const BasicTensor<T>& t_right,
                     const BasicTensor<T>& a_right);

// Adaptive piecewise linear: max(0, x) + sum_s a[s] * max(0, -x + b[s]).
// a and b have shape [S, C] (per channel) or [S, 1] (shared), S >= 1 hinges.
template <class T>
BasicTensor<T> apl(const BasicTensor<T>& x, const BasicTensor<T>& a, const BasicTensor<T>& b);

// Maxout over groups of k consecutive features of axis 1: [N, G*k, ...] -> [N, G, ...], output
// feature g = max(x[:, g*k], ..., x[:, g*k + k - 1]). The gradient goes to the first maximum.
template <class T>
BasicTensor<T> maxout(const BasicTensor<T>& x, std::size_t k);

}  // namespace xg
