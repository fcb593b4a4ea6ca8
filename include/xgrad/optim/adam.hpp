// Adam and AdamW with PyTorch's rules (t counts this parameter's steps):
//   Adam:  g = grad + weight_decay p (if != 0)    AdamW: p *= 1 - lr weight_decay; g = grad
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  (amsgrad: vmax = max(vmax, v), used for v;
//   NaN if either is, as torch.maximum)
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#pragma once

#include "xgrad/optim/optimizer.hpp"

namespace xg::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  static void set(AdamOptions& o, const std::string& key, double value);
  void validate(const char* optimizer) const;
};

// AdamW's options: Adam's with PyTorch's AdamW default weight decay. An aggregate like the other
// options, so that {1e-2} and, in C++20, {.lr = 1e-2} work.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;  // PyTorch's AdamW default
  bool amsgrad = false;
  operator AdamOptions() const { return {lr, beta1, beta2, eps, weight_decay, amsgrad}; }
};

template <class T>
class BasicAdam : public BasicOptimizer<T, AdamOptions> {
 public:
  BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions options = {});
  BasicAdam(std::vector<ParamGroupSpec<T>> groups, AdamOptions options = {});
  void step() override;

 protected:
  BasicAdam(const char* name, std::vector<ParamGroupSpec<T>> groups, AdamOptions options,
            bool decoupled);
  bool decoupled_ = false;  // AdamW
};

template <class T>
class BasicAdamW : public BasicAdam<T> {
 public:
  BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions options = {});
  BasicAdamW(std::vector<ParamGroupSpec<T>> groups, AdamWOptions options = {});
};

using Adam = BasicAdam<float>;
using AdamD = BasicAdam<double>;
using AdamW = BasicAdamW<float>;
using AdamWD = BasicAdamW<double>;

}  // namespace xg::optim
