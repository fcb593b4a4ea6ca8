// Loss functions with PyTorch's definitions. Each is one fused graph node (forward value and
// analytic backward together), stable for extreme inputs (logits of +-100 and beyond).
//
//   Tensor loss = nn::cross_entropy(model(x), y);      // y: [N] class indices stored as T
//   Tensor loss = nn::mse_loss(pred, target);          // same shapes, mean over elements
//
// input and target must have the same shape (no silent broadcasting of [N,1] against [N]);
// a mismatch names the loss and both shapes.
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::nn {

enum class Reduction { Mean, Sum, None };

// nll_loss's options, PyTorch's defaults.
struct NllLossOptions {
  Reduction reduction = Reduction::Mean;
  // One finite weight per class, or empty (every class weighs 1). Row i's loss is multiplied by
  // weight[target[i]], and Reduction::Mean divides by the sum of those weights instead of the row
  // count. A constant: it receives no gradient.
  std::vector<double> weight;
  // A row whose target equals it contributes 0 (and 0 to the mean's denominator; a mean over no
  // row, or over rows of weight 0 only, is NaN, as PyTorch's 0/0). It may be a class index.
  std::int64_t ignore_index = -100;
};
// cross_entropy's: nll_loss's and label smoothing eps in [0, 1].
struct CrossEntropyOptions : NllLossOptions {
  double label_smoothing = 0;
};

// (input - target)^2
template <class T>
BasicTensor<T> mse_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        Reduction reduction = Reduction::Mean);
// |input - target|; gradient sign(d), 0 at d = 0 (PyTorch)
template <class T>
BasicTensor<T> l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                       Reduction reduction = Reduction::Mean);
// 0.5 d^2 for |d| <= delta, else delta (|d| - 0.5 delta); delta > 0
template <class T>
BasicTensor<T> huber_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                          Reduction reduction = Reduction::Mean, T delta = 1);
// 0.5 d^2 / beta for |d| < beta, else |d| - 0.5 beta; beta >= 0 (beta = 0 is L1)
template <class T>
BasicTensor<T> smooth_l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                              Reduction reduction = Reduction::Mean, T beta = 1);
// -(y log p + (1 - y) log(1 - p)) on probabilities p in [0, 1]; logs clamped at -100 (PyTorch).
// The target's gradient is -logit(p), unclamped as in PyTorch (+inf at p = 0, -inf at p = 1).
template <class T>
BasicTensor<T> binary_cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target,
                                    Reduction reduction = Reduction::Mean);
// The same on logits x, stably: max(x, 0) - x y + log(1 + exp(-|x|)). Optional pos_weight
// (PyTorch's): weighs the positive term, loss = (1 - y) x + (1 + (w - 1) y) softplus(-x); its
// shape must equal the input's trailing dimensions ([C] for [N, C]) or hold one element. It
// receives a gradient too when it requires grad.
template <class T>
BasicTensor<T> binary_cross_entropy_with_logits(
    const BasicTensor<T>& input, const BasicTensor<T>& target,
    Reduction reduction = Reduction::Mean, const BasicTensor<T>& pos_weight = BasicTensor<T>());
// Logits [N, C], target [N] holding class indices in [0, C) (integers stored as T, as the
// datasets return them) or the ignore_index (-100): -log softmax(x)[target], with a fused,
// max-shifted log-softmax (one node; backward softmax - onehot). label_smoothing eps in [0, 1]
// (PyTorch's): the target becomes (1 - eps) onehot + eps / C, i.e. loss = (1 - eps) nll +
// eps mean_j(-log p_j). With class weights w (PyTorch's formula): row i's loss is
// (1 - eps) w[t_i] (-log p_{i,t_i}) + (eps / C) sum_j w_j (-log p_ij), and the mean divides by
// sum_i w[t_i] over the rows not ignored.
template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target,
                             Reduction reduction = Reduction::Mean, double label_smoothing = 0);
template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target,
                             const CrossEntropyOptions& options);
// Log-probabilities [N, C], target [N]: -input[i, target[i]] (times weight[target[i]])
template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        Reduction reduction = Reduction::Mean);
template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        const NllLossOptions& options);

}  // namespace xg::nn
