// Activation layers: every function of xg/activations.hpp as an nn module, and the layers
// that hold trainable parameters (PReLU, SReLU, APL, Swish, SoftExponential, Maxout) or obey
// train()/eval() (RReLU).
//
//   nn::Sequential model(nn::Linear(2, 64), nn::PReLU(64), nn::Linear(64, 3));
//   optim::AdamW opt({{model[0].parameters()}, {model[1].parameters(), {{"weight_decay", 0.0}}}},
//   {});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/core/random.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

// A parameter-free activation: a function and its description. Hyper-parameters are checked
// when the layer is built (by one call on a 1-element tensor, unless `check` is false).
template <class T>
class BasicActivation : public BasicModule<T> {
 public:
  using Function = std::function<BasicTensor<T>(const BasicTensor<T>&)>;
  BasicActivation(std::string name, std::string description, Function f, bool check = true);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return f_(x); }
  std::string describe() const override { return description_; }
  std::string activation_name() const override { return name_; }

 private:
  std::string name_, description_;
  Function f_;
};

#define XG_ACTIVATION_LAYER(Name, call)                                              \
  template <class T>                                                                 \
  struct Basic##Name : BasicActivation<T> {                                          \
    Basic##Name()                                                                    \
        : BasicActivation<T>(#call, #Name "()",                                      \
                             [](const BasicTensor<T>& x) { return xg::call(x); }) {} \
  };                                                                                 \
  using Name = Basic##Name<float>;                                                   \
  using Name##D = Basic##Name<double>;
XG_ACTIVATION_LAYER(Identity, identity)
XG_ACTIVATION_LAYER(BinaryStep, binary_step)
XG_ACTIVATION_LAYER(Sigmoid, sigmoid)
XG_ACTIVATION_LAYER(Tanh, tanh)
XG_ACTIVATION_LAYER(ArcTan, arctan)
XG_ACTIVATION_LAYER(Softsign, softsign)
XG_ACTIVATION_LAYER(BentIdentity, bent_identity)
XG_ACTIVATION_LAYER(SiLU, silu)
XG_ACTIVATION_LAYER(Mish, mish)
XG_ACTIVATION_LAYER(LogSigmoid, logsigmoid)
XG_ACTIVATION_LAYER(Sinusoid, sinusoid)
XG_ACTIVATION_LAYER(Sinc, sinc)
XG_ACTIVATION_LAYER(Gaussian, gaussian)
XG_ACTIVATION_LAYER(ReLU, relu)
XG_ACTIVATION_LAYER(ReLU6, relu6)
XG_ACTIVATION_LAYER(SELU, selu)
XG_ACTIVATION_LAYER(Hardsigmoid, hardsigmoid)
XG_ACTIVATION_LAYER(Hardswish, hardswish)
#undef XG_ACTIVATION_LAYER

// Layers with hyper-parameters (PyTorch's defaults).
template <class T>
struct BasicLeakyReLU : BasicActivation<T> {
  explicit BasicLeakyReLU(T negative_slope = T(0.01));
};
template <class T>
struct BasicELU : BasicActivation<T> {
  explicit BasicELU(T alpha = 1);
};
template <class T>
struct BasicCELU : BasicActivation<T> {
  explicit BasicCELU(T alpha = 1);
};
template <class T>
struct BasicGELU : BasicActivation<T> {
  explicit BasicGELU(Approximate approximate = Approximate::None);
};
template <class T>
struct BasicSoftplus : BasicActivation<T> {
  explicit BasicSoftplus(T beta = 1, T threshold = 20);
};
template <class T>
struct BasicHardtanh : BasicActivation<T> {
  explicit BasicHardtanh(T min_val = -1, T max_val = 1);
};
template <class T>
struct BasicISRU : BasicActivation<T> {
  explicit BasicISRU(T a = 1);
};
template <class T>
struct BasicISRLU : BasicActivation<T> {
  explicit BasicISRLU(T a = 1);
};
template <class T>
struct BasicSoftmax : BasicActivation<T> {
  explicit BasicSoftmax(int axis = -1);
};
template <class T>
struct BasicLogSoftmax : BasicActivation<T> {
  explicit BasicLogSoftmax(int axis = -1);
};
using LeakyReLU = BasicLeakyReLU<float>;
using ELU = BasicELU<float>;
using CELU = BasicCELU<float>;
using GELU = BasicGELU<float>;
using Softplus = BasicSoftplus<float>;
using Hardtanh = BasicHardtanh<float>;
using ISRU = BasicISRU<float>;
using ISRLU = BasicISRLU<float>;
using Softmax = BasicSoftmax<float>;
using LogSoftmax = BasicLogSoftmax<float>;
using LeakyReLUD = BasicLeakyReLU<double>;
using ELUD = BasicELU<double>;
using CELUD = BasicCELU<double>;
using GELUD = BasicGELU<double>;
using SoftplusD = BasicSoftplus<double>;
using HardtanhD = BasicHardtanh<double>;
using ISRUD = BasicISRU<double>;
using ISRLUD = BasicISRLU<double>;
using SoftmaxD = BasicSoftmax<double>;
using LogSoftmaxD = BasicLogSoftmax<double>;

// PReLU: x >= 0: x, else weight x. num_parameters = 1 (shared) or the channel count.
template <class T>
class BasicPReLU : public BasicModule<T> {
 public:
  explicit BasicPReLU(std::size_t num_parameters = 1, T init = T(0.25));
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::prelu(x, weight); }
  std::string describe() const override;
  std::string activation_name() const override { return "prelu"; }
  BasicTensor<T> weight;  // [num_parameters], the alphas
};

// RReLU: random slopes U(lower, upper) for x <= 0 in train mode, (lower + upper) / 2 in eval.
template <class T>
class BasicRReLU : public BasicModule<T> {
 public:
  explicit BasicRReLU(T lower = T(1) / 8, T upper = T(1) / 3,
                      std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  std::string activation_name() const override { return "rrelu"; }
  T lower, upper;

 private:
  std::shared_ptr<Generator> rng_;  // registered as "generator"
};

// SReLU (Jin et al. 2016), four parameters per channel. Init: t_left = 0, a_left = 0.2,
// t_right = 1, a_right = 1 — it starts as LeakyReLU(0.2) and learns both hinges.
template <class T>
class BasicSReLU : public BasicModule<T> {
 public:
  explicit BasicSReLU(std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  std::string activation_name() const override { return "srelu"; }
  BasicTensor<T> t_left, a_left, t_right, a_right;  // [channels]
};

// APL (Agostinelli et al. 2014): max(0, x) + sum_s a_s max(0, b_s - x), S hinges per channel.
// Init: a = 0 (it starts as ReLU), b ~ U(-1, 1) from `seed`.
template <class T>
class BasicAPL : public BasicModule<T> {
 public:
  explicit BasicAPL(std::size_t channels = 1, std::size_t hinges = 2,
                    std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::apl(x, a, b); }
  std::string describe() const override;
  std::string activation_name() const override { return "apl"; }
  BasicTensor<T> a, b;  // [hinges, channels]
};

// Swish: x sigmoid(beta x); beta trainable (a parameter) or fixed (a buffer).
template <class T>
class BasicSwish : public BasicModule<T> {
 public:
  explicit BasicSwish(T beta = 1, bool trainable = true, std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::swish(x, beta); }
  std::string describe() const override;
  std::string activation_name() const override { return "swish_beta"; }
  BasicTensor<T> beta;
};

// SoftExponential (Godfrey & Gashler 2015) with trainable alpha (NaN outside its domain for
// alpha < 0, see docs/activations.md).
template <class T>
class BasicSoftExponential : public BasicModule<T> {
 public:
  explicit BasicSoftExponential(T alpha = 0, std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override {
    return xg::soft_exponential(x, alpha);
  }
  std::string describe() const override;
  std::string activation_name() const override { return "soft_exponential"; }
  BasicTensor<T> alpha;
};

// Maxout (Goodfellow et al. 2013): a linear map in -> out * k (weight [out*k, in], bias), then
// the maximum over each group of k consecutive features. PyTorch-default init of the map.
template <class T>
class BasicMaxout : public BasicModule<T> {
 public:
  BasicMaxout(std::size_t in, std::size_t out, std::size_t k,
              std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  std::string activation_name() const override { return "maxout"; }
  std::size_t in, out, k;
  BasicTensor<T> weight, bias;
};

using PReLU = BasicPReLU<float>;
using RReLU = BasicRReLU<float>;
using RReLUD = BasicRReLU<double>;
using SReLU = BasicSReLU<float>;
using APL = BasicAPL<float>;
using Swish = BasicSwish<float>;
using SoftExponential = BasicSoftExponential<float>;
using Maxout = BasicMaxout<float>;
using PReLUD = BasicPReLU<double>;
using SReLUD = BasicSReLU<double>;
using APLD = BasicAPL<double>;
using SwishD = BasicSwish<double>;
using SoftExponentialD = BasicSoftExponential<double>;
using MaxoutD = BasicMaxout<double>;

}  // namespace xg::nn
