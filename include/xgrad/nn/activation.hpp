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
class ActivationT : public ModuleT<T> {
 public:
  using Function = std::function<BasicTensor<T>(const BasicTensor<T>&)>;
  ActivationT(std::string description, Function f, bool check = true);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return f_(x); }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
  Function f_;
};

#define XG_ACTIVATION_LAYER(Name, call)                                                        \
  template <class T>                                                                           \
  struct Name##T : ActivationT<T> {                                                            \
    Name##T() : ActivationT<T>(#Name "()", [](const BasicTensor<T>& x) { return call(x); }) {} \
  };                                                                                           \
  using Name = Name##T<float>;                                                                 \
  using Name##D = Name##T<double>;
XG_ACTIVATION_LAYER(Identity, xg::identity)
XG_ACTIVATION_LAYER(BinaryStep, xg::binary_step)
XG_ACTIVATION_LAYER(Sigmoid, xg::sigmoid)
XG_ACTIVATION_LAYER(Tanh, xg::tanh)
XG_ACTIVATION_LAYER(ArcTan, xg::arctan)
XG_ACTIVATION_LAYER(Softsign, xg::softsign)
XG_ACTIVATION_LAYER(BentIdentity, xg::bent_identity)
XG_ACTIVATION_LAYER(SiLU, xg::silu)
XG_ACTIVATION_LAYER(Mish, xg::mish)
XG_ACTIVATION_LAYER(LogSigmoid, xg::logsigmoid)
XG_ACTIVATION_LAYER(Sinusoid, xg::sinusoid)
XG_ACTIVATION_LAYER(Sinc, xg::sinc)
XG_ACTIVATION_LAYER(Gaussian, xg::gaussian)
XG_ACTIVATION_LAYER(ReLU, xg::relu)
XG_ACTIVATION_LAYER(ReLU6, xg::relu6)
XG_ACTIVATION_LAYER(SELU, xg::selu)
XG_ACTIVATION_LAYER(Hardsigmoid, xg::hardsigmoid)
XG_ACTIVATION_LAYER(Hardswish, xg::hardswish)
#undef XG_ACTIVATION_LAYER

// Layers with hyper-parameters (PyTorch's defaults).
template <class T>
struct LeakyReLUT : ActivationT<T> {
  explicit LeakyReLUT(T negative_slope = T(0.01));
};
template <class T>
struct ELUT : ActivationT<T> {
  explicit ELUT(T alpha = 1);
};
template <class T>
struct CELUT : ActivationT<T> {
  explicit CELUT(T alpha = 1);
};
template <class T>
struct GELUT : ActivationT<T> {
  explicit GELUT(Approximate approximate = Approximate::None);
};
template <class T>
struct SoftplusT : ActivationT<T> {
  explicit SoftplusT(T beta = 1, T threshold = 20);
};
template <class T>
struct HardtanhT : ActivationT<T> {
  explicit HardtanhT(T min_val = -1, T max_val = 1);
};
template <class T>
struct ISRUT : ActivationT<T> {
  explicit ISRUT(T a = 1);
};
template <class T>
struct ISRLUT : ActivationT<T> {
  explicit ISRLUT(T a = 1);
};
template <class T>
struct SoftmaxT : ActivationT<T> {
  explicit SoftmaxT(int axis = -1);
};
template <class T>
struct LogSoftmaxT : ActivationT<T> {
  explicit LogSoftmaxT(int axis = -1);
};
using LeakyReLU = LeakyReLUT<float>;
using ELU = ELUT<float>;
using CELU = CELUT<float>;
using GELU = GELUT<float>;
using Softplus = SoftplusT<float>;
using Hardtanh = HardtanhT<float>;
using ISRU = ISRUT<float>;
using ISRLU = ISRLUT<float>;
using Softmax = SoftmaxT<float>;
using LogSoftmax = LogSoftmaxT<float>;

// PReLU: x >= 0: x, else weight x. num_parameters = 1 (shared) or the channel count.
template <class T>
class PReLUT : public ModuleT<T> {
 public:
  explicit PReLUT(std::size_t num_parameters = 1, T init = T(0.25));
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::prelu(x, weight); }
  std::string describe() const override;
  BasicTensor<T> weight;  // [num_parameters], the alphas
};

// RReLU: random slopes U(lower, upper) for x <= 0 in train mode, (lower + upper) / 2 in eval.
template <class T>
class RReLUT : public ModuleT<T> {
 public:
  explicit RReLUT(T lower = T(1) / 8, T upper = T(1) / 3,
                  std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  T lower, upper;

 private:
  Generator rng_;
};

// SReLU (Jin et al. 2016), four parameters per channel. Init: t_left = 0, a_left = 0.2,
// t_right = 1, a_right = 1 — it starts as LeakyReLU(0.2) and learns both hinges.
template <class T>
class SReLUT : public ModuleT<T> {
 public:
  explicit SReLUT(std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  BasicTensor<T> t_left, a_left, t_right, a_right;  // [channels]
};

// APL (Agostinelli et al. 2014): max(0, x) + sum_s a_s max(0, b_s - x), S hinges per channel.
// Init: a = 0 (it starts as ReLU), b ~ U(-1, 1) from `seed`.
template <class T>
class APLT : public ModuleT<T> {
 public:
  explicit APLT(std::size_t channels = 1, std::size_t hinges = 2,
                std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::apl(x, a, b); }
  std::string describe() const override;
  BasicTensor<T> a, b;  // [hinges, channels]
};

// Swish: x sigmoid(beta x); beta trainable (a parameter) or fixed (a buffer).
template <class T>
class SwishT : public ModuleT<T> {
 public:
  explicit SwishT(T beta = 1, bool trainable = true, std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override { return xg::swish(x, beta); }
  std::string describe() const override;
  BasicTensor<T> beta;
};

// SoftExponential (Godfrey & Gashler 2015) with trainable alpha (NaN outside its domain for
// alpha < 0, see docs/activations.md).
template <class T>
class SoftExponentialT : public ModuleT<T> {
 public:
  explicit SoftExponentialT(T alpha = 0, std::size_t channels = 1);
  BasicTensor<T> forward(const BasicTensor<T>& x) override {
    return xg::soft_exponential(x, alpha);
  }
  std::string describe() const override;
  BasicTensor<T> alpha;
};

// Maxout (Goodfellow et al. 2013): a linear map in -> out * k (weight [out*k, in], bias), then
// the maximum over each group of k consecutive features. PyTorch-default init of the map.
template <class T>
class MaxoutT : public ModuleT<T> {
 public:
  MaxoutT(std::size_t in, std::size_t out, std::size_t k,
          std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  std::size_t in, out, k;
  BasicTensor<T> weight, bias;
};

using PReLU = PReLUT<float>;
using RReLU = RReLUT<float>;
using SReLU = SReLUT<float>;
using APL = APLT<float>;
using Swish = SwishT<float>;
using SoftExponential = SoftExponentialT<float>;
using Maxout = MaxoutT<float>;
using PReLUD = PReLUT<double>;
using SReLUD = SReLUT<double>;
using APLD = APLT<double>;
using SwishD = SwishT<double>;
using SoftExponentialD = SoftExponentialT<double>;
using MaxoutD = MaxoutT<double>;

}  // namespace xg::nn
