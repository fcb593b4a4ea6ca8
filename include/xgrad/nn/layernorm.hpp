// nn::LayerNorm: normalises over the trailing dimensions `normalized_shape` of each sample
// (biased variance, eps inside the square root), then an elementwise affine map. One fused node.
#pragma once

#include <initializer_list>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class BasicLayerNorm : public BasicModule<T> {
 public:
  explicit BasicLayerNorm(std::vector<std::size_t> normalized_shape, double eps = 1e-5,
                          bool elementwise_affine = true);
  // LayerNorm({2, 3}): the braces pick this overload rather than a copy of LayerNorm(2, eps=3).
  explicit BasicLayerNorm(std::initializer_list<std::size_t> normalized_shape, double eps = 1e-5,
                          bool elementwise_affine = true)
      : BasicLayerNorm(std::vector<std::size_t>(normalized_shape), eps, elementwise_affine) {}
  // The common case: normalise over the last dimension of size `normalized_size`.
  explicit BasicLayerNorm(std::size_t normalized_size, double eps = 1e-5,
                          bool elementwise_affine = true)
      : BasicLayerNorm(std::vector<std::size_t>{normalized_size}, eps, elementwise_affine) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;

  std::vector<std::size_t> normalized_shape;
  double eps;
  BasicTensor<T> weight, bias;  // normalized_shape; undefined without the affine map
};

// The functional form; weight and bias may be undefined tensors.
template <class T>
BasicTensor<T> layer_norm(const BasicTensor<T>& x, std::size_t normalized_size,
                          const BasicTensor<T>& weight, const BasicTensor<T>& bias, double eps);

using LayerNorm = BasicLayerNorm<float>;
using LayerNormD = BasicLayerNorm<double>;

}  // namespace xg::nn
