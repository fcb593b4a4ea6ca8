// Linear algebra: matmul and linear (x·Wᵀ + b as one node), on xgrad's own GEMM in float and
// double (instruction set chosen from the CPU at run time).
#pragma once

#include "xgrad/core/tensor.hpp"

namespace xg {

// [m,k]x[k,n] -> [m,n]; [b,m,k]x[b,k,n] -> [b,m,n]; [b,m,k]x[k,n] -> [b,m,n].
template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b);
// x·Wᵀ + b for x [N,in], W [out,in], b [out] or undefined (torch.nn.functional.linear), as one
// node: bias-add inside the GEMM, and no dX when x does not require grad.
template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias = BasicTensor<T>());
}  // namespace xg
