// RMSprop with PyTorch's rule: g = grad + weight_decay p (only if weight_decay != 0);
// s = alpha s + (1 - alpha) g^2; centered: a = alpha a + (1 - alpha) g, d = sqrt(s - a^2) + eps,
// else d = sqrt(s) + eps; momentum > 0: b = momentum b + g / d, p -= lr b;  else p -= lr g / d.
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  static void set(RMSpropOptions& o, const std::string& key, double value);
  void validate(const char* optimizer) const;
};

template <class T>
class BasicRMSprop : public BasicOptimizer<T, RMSpropOptions> {
 public:
  BasicRMSprop(std::vector<BasicTensor<T>> params, RMSpropOptions options = {});
  BasicRMSprop(std::vector<ParamGroupSpec<T>> groups, RMSpropOptions options = {});
  void step() override;
};

using RMSprop = BasicRMSprop<float>;
using RMSpropD = BasicRMSprop<double>;

}  // namespace xg::optim
