// Adagrad with PyTorch's rule (t counts this parameter's steps): g = grad + weight_decay p (only
// if weight_decay != 0); clr = lr / (1 + (t - 1) lr_decay);  s += g^2 (s starts at
// initial_accumulator_value); p -= clr g / (sqrt(s) + eps).
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  static void set(AdagradOptions& o, const std::string& key, double value);
  void validate(const char* optimizer) const;
};

template <class T>
class BasicAdagrad : public BasicOptimizer<T, AdagradOptions> {
 public:
  BasicAdagrad(std::vector<BasicTensor<T>> params, AdagradOptions options = {});
  BasicAdagrad(std::vector<ParamGroupSpec<T>> groups, AdagradOptions options = {});
  void step() override;
};

using Adagrad = BasicAdagrad<float>;
using AdagradD = BasicAdagrad<double>;

}  // namespace xg::optim
