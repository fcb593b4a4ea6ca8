// nn::Sequential: modules applied in order; children are named "0", "1", ... like PyTorch, so
// state_dict names read "0.weight", "2.bias".
//
//   nn::Sequential model(nn::Linear(2, 64), nn::PReLU(64), nn::Linear(64, 3));
//   auto& first = model.at<nn::Linear>(0);   // typed access (throws on a wrong type)
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class BasicLinear;
template <class T>
class BasicActivation;

// A Linear followed by one of the activation list's layers (nn::ReLU, nn::Tanh, nn::ELU, ...),
// neither with hooks, runs as one fused op: the same values and gradients, one graph node.
template <class T>
class BasicSequential : public BasicModule<T> {
 public:
  BasicSequential() = default;
  // Any mix of modules by value (copies share parameters) and std::shared_ptr<BasicModule<T>>.
  // A single BasicSequential argument is a copy, not nesting (use a shared_ptr to nest one alone).
  template <class M0, class... M,
            class = std::enable_if_t<(sizeof...(M) > 0) ||
                                     !std::is_same_v<std::decay_t<M0>, BasicSequential>>>
  explicit BasicSequential(M0&& first, M&&... rest) {
    push_back(std::forward<M0>(first));
    (push_back(std::forward<M>(rest)), ...);
  }

  BasicSequential& push_back(std::shared_ptr<BasicModule<T>> module);
  template <class M, class = std::enable_if_t<std::is_base_of_v<BasicModule<T>, std::decay_t<M>>>>
  BasicSequential& push_back(M&& module) {
    return push_back(std::shared_ptr<BasicModule<T>>(
        std::make_shared<std::decay_t<M>>(std::forward<M>(module))));
  }
  template <class M>
  BasicSequential& push_back(std::shared_ptr<M> module) {
    return push_back(std::shared_ptr<BasicModule<T>>(std::move(module)));
  }

  // add() is push_back() under libtorch's name.
  template <class M>
  BasicSequential& add(M&& module) {
    return push_back(std::forward<M>(module));
  }

  std::size_t size() const { return layers_.size(); }
  bool empty() const { return layers_.empty(); }
  // The i-th module; an index out of range throws std::out_of_range naming it and size().
  BasicModule<T>& operator[](std::size_t i) const { return *ptr(i); }
  BasicModule<T>& at(std::size_t i) const { return *ptr(i); }
  // The i-th module as its concrete type M; throws std::invalid_argument when it is not an M.
  template <class M>
  M& at(std::size_t i) const {
    auto* m = dynamic_cast<M*>(ptr(i).get());
    if (!m)
      throw std::invalid_argument("Sequential::at: module " + std::to_string(i) + " is " +
                                  ptr(i)->describe() + ", not the requested type");
    return *m;
  }
  std::shared_ptr<BasicModule<T>> ptr(std::size_t i) const {
    if (i >= layers_.size())
      throw std::out_of_range("Sequential: index " + std::to_string(i) + " is out of range for " +
                              std::to_string(layers_.size()) + " modules");
    return layers_[i];
  }

  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;

 private:
  // Module i and i + 1 when they can run fused (a plain nn::Linear, then a list activation).
  struct Fusable {
    BasicLinear<T>* linear = nullptr;
    BasicActivation<T>* activation = nullptr;
  };
  std::vector<std::shared_ptr<BasicModule<T>>> layers_;
  std::vector<Fusable> fusable_;  // one per module
};

using Sequential = BasicSequential<float>;
using SequentialD = BasicSequential<double>;

}  // namespace xg::nn
