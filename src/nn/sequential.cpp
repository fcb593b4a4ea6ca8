// nn::Sequential: children "0", "1", ... applied in order.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "xgrad/nn/sequential.hpp"

namespace xg::nn {

template <class T>
BasicSequential<T>& BasicSequential<T>::push_back(std::shared_ptr<BasicModule<T>> module) {
  if (!module) throw std::invalid_argument("Sequential: cannot add a null module");
  this->register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

template <class T>
BasicTensor<T> BasicSequential<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> h = x;
  for (const auto& layer : layers_) h = (*layer)(h);
  return h;
}

template <class T>
std::string BasicSequential<T>::describe() const {
  return fmt::format("Sequential({} modules)", layers_.size());
}

template class BasicSequential<float>;
template class BasicSequential<double>;

}  // namespace xg::nn
