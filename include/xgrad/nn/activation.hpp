// Activation layers: every activation function as an nn module, and the layers that hold
// trainable parameters (PReLU, SReLU, APL, SwishBeta, SoftExponential, Maxout) or obey
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
#include "xgrad/activations/list.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/core/random.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

// Which elementwise kernel of the activation list a layer runs, with its hyper-parameters: what
// lets nn::Sequential fuse the layer into the nn::Linear before it (one node, the activation
// applied to the product while it is still in cache).
struct ActivationKernel {
  int id = 0;           // the row's kernel (kernels::Act)
  double a = 0, b = 0;  // the row's hyper-parameters, in order
};

// A parameter-free activation: a function and its description. Hyper-parameters are checked
// when the layer is built (by one call on a 1-element tensor, unless `check` is false).
template <class T>
class BasicActivation : public BasicModule<T> {
 public:
  using Function = std::function<BasicTensor<T>(const BasicTensor<T>&)>;
  BasicActivation(std::string name, std::string description, Function f, bool check = true);
  // final: Sequential may run kernel() instead of forward().
  BasicTensor<T> forward(const BasicTensor<T>& x) final { return f_(x); }
  std::string describe() const override { return description_; }
  std::string activation_name() const override { return name_; }
  // The list kernel that computes f, for the layers of the activation list; empty for a layer
  // built from any other function.
  const std::optional<ActivationKernel>& kernel() const { return kernel_; }

 protected:
  void set_kernel(ActivationKernel k) { kernel_ = k; }

 private:
  std::string name_, description_;
  Function f_;
  std::optional<ActivationKernel> kernel_;
};

// One layer per fused row of the activation list (activations/list.hpp): nn::Basic<Layer><T>
// built from the row's hyper-parameters in order, with their defaults (nn::ReLU(),
// nn::LeakyReLU(0.2f), nn::Softplus(beta, threshold), nn::Squareplus(b), ...), with the aliases
// <Layer> (float) and <Layer>D (double). Bad hyper-parameters throw when the layer is built.
#define XG_LAYER_PARAM(name, default_value) T name = T(default_value)
#define XG_LAYER(name, Layer, Functor, hyper, ...)                \
  template <class T>                                              \
  struct Basic##Layer : BasicActivation<T> {                      \
    explicit Basic##Layer(XG_PP_SEQ_ENUM(XG_LAYER_PARAM, hyper)); \
  };                                                              \
  using Layer = Basic##Layer<float>;                              \
  using Layer##D = Basic##Layer<double>;
XG_ACTIVATION_LIST(XG_LAYER, XG_ACTIVATION_SKIP, XG_ACTIVATION_SKIP)
#undef XG_LAYER_PARAM
#undef XG_LAYER

// swish is SiLU (x sigmoid(x)), as xg::swish; the layer with a learned beta is SwishBeta.
template <class T>
using BasicSwish = BasicSiLU<T>;
using Swish = SiLU;
using SwishD = SiLUD;

// GELU, PyTorch's nn.GELU(approximate): Approximate::None (registry name "gelu") or
// Approximate::Tanh ("gelu_tanh").
template <class T>
struct BasicGELU : BasicActivation<T> {
  explicit BasicGELU(Approximate approximate = Approximate::None);
};
// Softmax and log-softmax along `dim` (negative counts from the end).
template <class T>
struct BasicSoftmax : BasicActivation<T> {
  explicit BasicSoftmax(int dim = -1);
};
template <class T>
struct BasicLogSoftmax : BasicActivation<T> {
  explicit BasicLogSoftmax(int dim = -1);
};
using GELU = BasicGELU<float>;
using Softmax = BasicSoftmax<float>;
using LogSoftmax = BasicLogSoftmax<float>;
using GELUD = BasicGELU<double>;
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

// SReLU (Jin et al. 2016), four parameters per channel, each starting at the value given. The
// defaults (t_left = 0, a_left = 0.2, t_right = 1, a_right = 1) start it as LeakyReLU(0.2); it
// learns both hinges.
template <class T>
class BasicSReLU : public BasicModule<T> {
 public:
  explicit BasicSReLU(std::size_t channels = 1, T t_left = 0, T a_left = T(0.2), T t_right = 1,
                      T a_right = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  std::string activation_name() const override { return "srelu"; }
  BasicTensor<T> t_left, a_left, t_right, a_right;  // [channels]
};

// APL (Agostinelli et al. 2014): max(0, x) + sum_s a_s max(0, b_s - x), S hinges per channel.
// Init: every a_s = a_init (default 0: it starts as ReLU), b_s ~ U(-b_range, b_range) drawn from
// Generator(seed), or from xg::default_generator() without a seed.
template <class T>
class BasicAPL : public BasicModule<T> {
 public:
  explicit BasicAPL(std::size_t channels = 1, std::size_t hinges = 2,
                    std::optional<std::uint64_t> seed = std::nullopt, T a_init = 0, T b_range = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::apl(x, a, b); }
  std::string describe() const override;
  std::string activation_name() const override { return "apl"; }
  BasicTensor<T> a, b;  // [hinges, channels]
};

// Swish-beta: x sigmoid(beta x); beta trainable (a parameter) or fixed (a buffer).
template <class T>
class BasicSwishBeta : public BasicModule<T> {
 public:
  explicit BasicSwishBeta(T beta = 1, bool trainable = true, std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::swish_beta(x, beta); }
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
using SwishBeta = BasicSwishBeta<float>;
using SoftExponential = BasicSoftExponential<float>;
using Maxout = BasicMaxout<float>;
using PReLUD = BasicPReLU<double>;
using SReLUD = BasicSReLU<double>;
using APLD = BasicAPL<double>;
using SwishBetaD = BasicSwishBeta<double>;
using SoftExponentialD = BasicSoftExponential<double>;
using MaxoutD = BasicMaxout<double>;

}  // namespace xg::nn
