// SGD with PyTorch's rule: g = grad + weight_decay p (only if weight_decay != 0); with momentum,
// b = g on the first step, then b = momentum b + (1 - dampening) g; g = nesterov ? g + momentum b
// : b;  p -= lr g.
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  static void set(SGDOptions& o, const std::string& key, double value);
  void validate(const char* optimizer) const;
};

template <class T>
class BasicSGD : public BasicOptimizer<T, SGDOptions> {
 public:
  BasicSGD(std::vector<BasicTensor<T>> params, SGDOptions options = {});
  BasicSGD(std::vector<ParamGroupSpec<T>> groups, SGDOptions options = {});
  void step() override;
};

using SGD = BasicSGD<float>;
using SGDD = BasicSGD<double>;

}  // namespace xg::optim
