// Built as C++20 by the cxx20 test: the public headers must compile there as in C++17 (a C++20
// keyword once named a parameter), and the optimizers' options take designated initializers.
#include <xgrad/extend.hpp>
#include <xgrad/xgrad.hpp>

#include <vector>

int main() {
  using namespace xg;
  const std::vector<Tensor> params{Tensor::randn({3, 2}, 1).requires_grad_()};
  optim::SGD sgd(params, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
  optim::Adam adam(params, {.lr = 1e-2, .amsgrad = true});
  optim::AdamW adamw(params, {.lr = 1e-2});
  optim::RMSprop rmsprop(params, {.lr = 1e-3, .centered = true});
  optim::Adagrad adagrad(params, {.lr = 1e-2, .lr_decay = 1e-3});
  constexpr optim::AdamWOptions defaults{.lr = 1e-2};
  static_assert(defaults.weight_decay == 1e-2, "AdamW keeps PyTorch's default weight decay");
  return 0;
}
