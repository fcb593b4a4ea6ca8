// Gradient clipping and weight penalties, remedies for exploding gradients and overfitting.
//
//   double norm = optim::clip_grad_norm_(model.parameters(), 1.0);  // the norm before clipping
//   Tensor loss = nn::mse_loss(out, y) + optim::l1_penalty(model.parameters()) * 1e-4f;
#pragma once

#include <limits>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::optim {

// Scales all gradients together by max_norm / (total + 1e-6) when that is < 1. norm_type 2 (or
// any p > 0, or infinity for the max-abs norm). Returns the total norm before clipping. As
// PyTorch's: a NaN gradient makes the norm and every gradient NaN; an infinite norm scales by 0.
template <class T>
double clip_grad_norm_(const std::vector<BasicTensor<T>>& params, double max_norm,
                       double norm_type = 2);
// Clamps every gradient element to [-clip_value, clip_value].
template <class T>
void clip_grad_value_(const std::vector<BasicTensor<T>>& params, double clip_value);

// sum |p| over every parameter (differentiable, to add to a loss).
template <class T>
BasicTensor<T> l1_penalty(const std::vector<BasicTensor<T>>& params);
// sum p^2 over every parameter (differentiable; SGD's weight_decay w corresponds to w/2 of it).
template <class T>
BasicTensor<T> l2_penalty(const std::vector<BasicTensor<T>>& params);

}  // namespace xg::optim
