// nn::BatchNorm1d with PyTorch's semantics: input [N, C] or [N, C, L]; train mode normalises
// with the batch statistics (biased variance) and updates running_mean / running_var (with the
// UNBIASED variance) by `momentum`; eval mode uses the running statistics. One fused node.
#pragma once

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
};

template <class T>
class BatchNorm1dT : public ModuleT<T> {
 public:
  explicit BatchNorm1dT(std::size_t num_features, BatchNormOptions options = {});
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;

  std::size_t num_features;
  BatchNormOptions options;
  BasicTensor<T> weight, bias;                             // [C]: gamma (1), beta (0)
  BasicTensor<T> running_mean, running_var, num_batches_tracked;  // buffers
};

using BatchNorm1d = BatchNorm1dT<float>;
using BatchNorm1dD = BatchNorm1dT<double>;

}  // namespace xg::nn
