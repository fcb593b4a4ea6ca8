// nn::Residual: x + block(x).
#include <fmt/format.h>

#include <stdexcept>

#include "xgrad/nn/residual.hpp"
#include "xgrad/ops/pointwise.hpp"

namespace xg::nn {

template <class T>
BasicResidual<T>::BasicResidual(std::shared_ptr<BasicModule<T>> block) : block_(std::move(block)) {
  if (!block_) throw std::invalid_argument("Residual: the block is null");
  this->register_module("block", block_);
}

template <class T>
BasicTensor<T> BasicResidual<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> y = (*block_)(x);
  if (y.shape() != x.shape())
    throw std::invalid_argument(
        fmt::format("Residual: the block maps shape {} to {}; a residual block must keep the shape",
                    shape_str(x.shape()), shape_str(y.shape())));
  return x + y;
}

template <class T>
std::string BasicResidual<T>::describe() const {
  return "Residual(x + block(x))";
}

template class BasicResidual<float>;
template class BasicResidual<double>;

}  // namespace xg::nn
