// nn::BatchNorm1d with PyTorch's semantics: input [N, C] or [N, C, L]; train mode normalises
// with the batch statistics (biased variance) and updates running_mean / running_var (with the
// UNBIASED variance) by `momentum`; eval mode uses the running statistics. One fused node.
//
//   nn::BatchNorm1d bn(64);                          // PyTorch's defaults
//   nn::BatchNorm1d bn2(64, 1e-3, 0.01);             // eps, momentum, affine, track_running_stats
//   nn::BatchNorm1d avg(64, 1e-5, std::nullopt);     // momentum None: cumulative average
#pragma once

#include <optional>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct BatchNormOptions {
  double eps = 1e-5;  // > 0, added to the variance inside the square root
  // running = (1 - momentum) running + momentum batch, momentum in [0, 1]; std::nullopt gives
  // PyTorch's momentum=None, the cumulative average (momentum = 1 / num_batches_tracked).
  std::optional<double> momentum = 0.1;
  bool affine = true;               // learnable weight (gamma, ones) and bias (beta, zeros)
  bool track_running_stats = true;  // false: batch statistics in eval mode too, no buffers
};

template <class T>
class BasicBatchNorm1d : public BasicModule<T> {
 public:
  explicit BasicBatchNorm1d(std::size_t num_features, BatchNormOptions options = {});
  // PyTorch's positional order.
  BasicBatchNorm1d(std::size_t num_features, double eps, std::optional<double> momentum = 0.1,
                   bool affine = true, bool track_running_stats = true)
      : BasicBatchNorm1d(num_features,
                         BatchNormOptions{eps, momentum, affine, track_running_stats}) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;

  std::size_t num_features;
  BatchNormOptions options;
  BasicTensor<T> weight, bias;  // [C]: gamma (1), beta (0); undefined without affine
  // Buffers (undefined without track_running_stats): [C], [C], and a 0-d count.
  BasicTensor<T> running_mean, running_var, num_batches_tracked;
};

using BatchNorm1d = BasicBatchNorm1d<float>;
using BatchNorm1dD = BasicBatchNorm1d<double>;

}  // namespace xg::nn
