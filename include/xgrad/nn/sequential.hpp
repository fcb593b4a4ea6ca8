// nn::Sequential: modules applied in order; children are named "0", "1", ... like PyTorch, so
// state_dict names read "0.weight", "2.bias".
//
//   nn::Sequential model(nn::Linear(2, 64), nn::PReLU(64), nn::Linear(64, 3));
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class SequentialT : public ModuleT<T> {
 public:
  SequentialT() = default;
  // Any mix of modules by value (copies share parameters) and std::shared_ptr<ModuleT<T>>.
  template <class M0, class... M,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<M0>, SequentialT>>>
  explicit SequentialT(M0&& first, M&&... rest) {
    push_back(std::forward<M0>(first));
    (push_back(std::forward<M>(rest)), ...);
  }

  SequentialT& push_back(std::shared_ptr<ModuleT<T>> module);
  template <class M, class = std::enable_if_t<std::is_base_of_v<ModuleT<T>, std::decay_t<M>>>>
  SequentialT& push_back(M&& module) {
    return push_back(std::shared_ptr<ModuleT<T>>(std::make_shared<std::decay_t<M>>(std::forward<M>(module))));
  }
  template <class M>
  SequentialT& push_back(std::shared_ptr<M> module) {
    return push_back(std::shared_ptr<ModuleT<T>>(std::move(module)));
  }

  std::size_t size() const { return layers_.size(); }
  ModuleT<T>& operator[](std::size_t i) const { return *layers_.at(i); }
  std::shared_ptr<ModuleT<T>> ptr(std::size_t i) const { return layers_.at(i); }

  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;

 private:
  std::vector<std::shared_ptr<ModuleT<T>>> layers_;
};

using Sequential = SequentialT<float>;
using SequentialD = SequentialT<double>;

}  // namespace xg::nn
