// Vectorised helpers of the fused losses and softmax (internal header). Implemented in loss.cpp,
// which is built with AVX-512 like everything in src/kernels/, so it holds raw pointer loops only
// (no fmt, no exceptions); the graph nodes live in src/nn/loss.cpp.
#pragma once

#include <cstddef>

namespace xg::kernels {

// v[i] = exp(v[i]) for i < n: the exponentials of a max-shifted softmax, done for a whole
// [N, C] block at once so that small C (2, 3, 10 classes) still fills the vector lanes.
template <class T>
void exp_inplace(T* v, std::size_t n);

// v[i] = log1p(v[i]) for i < n: the log-sum-exp of max-shifted rows, all rows at once.
template <class T>
void log1p_inplace(T* v, std::size_t n);

}  // namespace xg::kernels
