// nn::Linear: y = x Wᵀ + b with W of shape [out, in] (PyTorch's layout), one fused GEMM node.
#pragma once

#include <cstdint>
#include <optional>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class BasicLinear : public BasicModule<T> {
 public:
  // PyTorch's default init: W and b ~ U(-1/sqrt(in), 1/sqrt(in)), drawn from Generator(seed), or
  // from xg::default_generator() when no seed is given.
  BasicLinear(std::size_t in_features, std::size_t out_features, bool bias = true,
              std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  // Throws std::invalid_argument naming both shapes unless x's last dimension is in_features.
  void check_input(const BasicTensor<T>& x) const;

  std::size_t in_features, out_features;
  BasicTensor<T> weight;  // [out, in]
  BasicTensor<T> bias;    // [out], undefined without bias
};

using Linear = BasicLinear<float>;
using LinearD = BasicLinear<double>;

}  // namespace xg::nn
