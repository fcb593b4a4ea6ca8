// A Linear layer and the list activation after it as one op (internal header, used by
// nn::Sequential).
#pragma once

#include "xgrad/core/tensor.hpp"
#include "xgrad/nn/activation.hpp"

namespace xg::detail {

// act(x Wᵀ + b), b optional, with the checks and results of xg::linear followed by the
// activation, recorded as one node: the activation runs on the product while it is still in
// cache, its derivative is applied inside the node's backward, and a step records, allocates and
// walks one node and one tensor fewer per layer. The pre-activation is kept only when the
// activation's derivative needs it (ELU, GELU, ...); ReLU-like ones keep their bits, sigmoid- and
// tanh-like ones their output.
// Whether `act` names a kernel of the activation list (a layer could be built with any id).
bool is_list_kernel(const nn::ActivationKernel& act);

template <class T>
BasicTensor<T> linear_activation(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                                 const BasicTensor<T>& bias, const nn::ActivationKernel& act);

}  // namespace xg::detail
