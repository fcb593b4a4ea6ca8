// nn::Sequential: children "0", "1", ... applied in order.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "xgrad/nn/sequential.hpp"

namespace xg::nn {

template <class T>
SequentialT<T>& SequentialT<T>::push_back(std::shared_ptr<ModuleT<T>> module) {
  if (!module) throw std::invalid_argument("Sequential: cannot add a null module");
  this->register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

template <class T>
BasicTensor<T> SequentialT<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> h = x;
  for (const auto& layer : layers_) h = layer->forward(h);
  return h;
}

template <class T>
std::string SequentialT<T>::describe() const {
  return fmt::format("Sequential({} modules)", layers_.size());
}

template class SequentialT<float>;
template class SequentialT<double>;

}  // namespace xg::nn
