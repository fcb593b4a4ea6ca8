// nn::Residual: y = x + block(x), the skip connection of residual networks (He et al. 2016)
// that keeps gradients flowing through deep stacks. block must preserve the shape.
#pragma once

#include <memory>
#include <type_traits>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class BasicResidual : public BasicModule<T> {
 public:
  explicit BasicResidual(std::shared_ptr<BasicModule<T>> block);
  template <class M, class = std::enable_if_t<std::is_base_of_v<BasicModule<T>, std::decay_t<M>>>>
  explicit BasicResidual(M&& block)
      : BasicResidual(std::shared_ptr<BasicModule<T>>(
            std::make_shared<std::decay_t<M>>(std::forward<M>(block)))) {}
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  BasicModule<T>& block() const { return *block_; }

 private:
  std::shared_ptr<BasicModule<T>> block_;
};

using Residual = BasicResidual<float>;
using ResidualD = BasicResidual<double>;

}  // namespace xg::nn
