// nn::Sequential: children "0", "1", ... applied in order.
#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <typeinfo>

#include "activations/linear_activation.hpp"
#include "xgrad/core/autograd.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/sequential.hpp"

namespace xg::nn {

template <class T>
BasicSequential<T>& BasicSequential<T>::push_back(std::shared_ptr<BasicModule<T>> module) {
  if (!module) throw std::invalid_argument("Sequential: cannot add a null module");
  this->register_module(std::to_string(layers_.size()), module);
  // Only nn::Linear itself: a subclass may override forward().
  auto* activation = dynamic_cast<BasicActivation<T>*>(module.get());
  if (!layers_.empty() && activation && activation->kernel() &&
      detail::is_list_kernel(*activation->kernel()) &&
      typeid(*layers_.back()) == typeid(BasicLinear<T>))
    fusable_.back() = {static_cast<BasicLinear<T>*>(layers_.back().get()), activation};
  layers_.push_back(std::move(module));
  fusable_.emplace_back();
  return *this;
}

template <class T>
BasicTensor<T> BasicSequential<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> h = x;
  // Anomaly mode checks every op's output: the Linear's too, which fusion would not show it.
  const bool fuse = !anomaly_enabled();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Fusable& f = fusable_[i];
    if (fuse && f.linear && !f.linear->has_hooks() && !f.activation->has_hooks()) {
      f.linear->check_input(h);
      h = detail::linear_activation(h, f.linear->weight, f.linear->bias, *f.activation->kernel());
      ++i;
      continue;
    }
    h = (*layers_[i])(h);
  }
  return h;
}

template <class T>
std::string BasicSequential<T>::describe() const {
  return fmt::format("Sequential({} modules)", layers_.size());
}

template class BasicSequential<float>;
template class BasicSequential<double>;

}  // namespace xg::nn
