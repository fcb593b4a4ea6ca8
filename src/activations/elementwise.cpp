// Parameter-free (hyper-parameters only) activations: one graph node type that runs the
// vectorised kernels of src/kernels/activation.cpp forward and backward, and RReLU.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "core/parallel.hpp"
#include "kernels/activation.hpp"
#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"

namespace xg {
namespace {

using kernels::Act;
using kernels::ActParams;

// Saves nothing beyond the graph's own references: backward reads x (the input) and y (the
// output it is given).
template <class T>
struct ActivationNode final : Node<T> {
  ActivationNode(Act a, ActParams p, const char* n) : act(a), params(p), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>& y) override {
    bool fresh = false;
    T* dx = this->grad_buffer(0, fresh).data();
    const T *x = this->input(0).data(), *yd = y.data(), *gd = g.data();
    detail::parallel_for(y.size(), [&](std::size_t b, std::size_t e) {
      kernels::activation_backward(act, params, x + b, yd + b, gd + b, dx + b, e - b, !fresh);
    });
  }
  void backward_uniform(T g, const Array<T>& y) override {
    bool fresh = false;
    T* dx = this->grad_buffer(0, fresh).data();
    const T *x = this->input(0).data(), *yd = y.data();
    detail::parallel_for(y.size(), [&](std::size_t b, std::size_t e) {
      kernels::activation_backward_uniform(act, params, x + b, yd + b, g, dx + b, e - b, !fresh);
    });
  }
  Act act;
  ActParams params;
  const char* label;
};

template <class T>
BasicTensor<T> apply(const BasicTensor<T>& x, Act act, const char* name, ActParams p = {}) {
  Array<T> y = Array<T>::from_shape(x.shape());
  const T* xd = x.data().data();
  T* yd = y.data();
  detail::parallel_for(x.size(), [&](std::size_t b, std::size_t e) {
    kernels::activation_forward(act, p, xd + b, yd + b, e - b);
  });
  return record<ActivationNode<T>>(std::move(y), {x}, act, p, name);
}

[[noreturn]] void bad_parameter(const char* op, const char* param, const char* range, double v) {
  throw std::invalid_argument(fmt::format("{}: {} must be {}, got {}", op, param, range, v));
}

// The slopes of RReLU in train mode, one per element (1 where x > 0), saved for backward.
template <class T>
struct RReluNode final : Node<T> {
  explicit RReluNode(Array<T>&& s) : slopes(std::move(s)) {}
  const char* name() const override { return "RreluWithNoiseBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *gd = g.data(), *sd = slopes.data();
    this->accumulate(0, [&](std::size_t j) { return gd[j] * sd[j]; });
  }
  void release_saved() override { slopes = Array<T>(); }
  Array<T> slopes;
};

template <class T>
void check_rrelu_bounds(T lower, T upper) {
  if (!(lower >= 0)) bad_parameter("rrelu", "lower", ">= 0", double(lower));
  if (!(upper >= lower))
    throw std::invalid_argument(
        fmt::format("rrelu: lower must be <= upper, got lower={} upper={}", lower, upper));
}

}  // namespace

// clang-format off (one entry per line reads as a table)
template <class T>
BasicTensor<T> identity(const BasicTensor<T>& x) {
  return apply(x, Act::Identity, "IdentityBackward");
}
template <class T>
BasicTensor<T> binary_step(const BasicTensor<T>& x) {
  return apply(x, Act::BinaryStep, "BinaryStepBackward");
}
template <class T>
BasicTensor<T> sigmoid(const BasicTensor<T>& x) {
  return apply(x, Act::Sigmoid, "SigmoidBackward");
}
template <class T>
BasicTensor<T> tanh(const BasicTensor<T>& x) {
  return apply(x, Act::Tanh, "TanhBackward");
}
template <class T>
BasicTensor<T> arctan(const BasicTensor<T>& x) {
  return apply(x, Act::Arctan, "ArctanBackward");
}
template <class T>
BasicTensor<T> softsign(const BasicTensor<T>& x) {
  return apply(x, Act::Softsign, "SoftsignBackward");
}
template <class T>
BasicTensor<T> bent_identity(const BasicTensor<T>& x) {
  return apply(x, Act::BentIdentity, "BentIdentityBackward");
}
template <class T>
BasicTensor<T> silu(const BasicTensor<T>& x) {
  return apply(x, Act::Silu, "SiluBackward");
}
template <class T>
BasicTensor<T> mish(const BasicTensor<T>& x) {
  return apply(x, Act::Mish, "MishBackward");
}
template <class T>
BasicTensor<T> logsigmoid(const BasicTensor<T>& x) {
  return apply(x, Act::LogSigmoid, "LogSigmoidBackward");
}
template <class T>
BasicTensor<T> sinusoid(const BasicTensor<T>& x) {
  return apply(x, Act::Sinusoid, "SinBackward");
}
template <class T>
BasicTensor<T> sinc(const BasicTensor<T>& x) {
  return apply(x, Act::Sinc, "SincBackward");
}
template <class T>
BasicTensor<T> gaussian(const BasicTensor<T>& x) {
  return apply(x, Act::Gaussian, "GaussianBackward");
}
template <class T>
BasicTensor<T> relu(const BasicTensor<T>& x) {
  return apply(x, Act::Relu, "ReluBackward");
}
template <class T>
BasicTensor<T> relu6(const BasicTensor<T>& x) {
  return apply(x, Act::Relu6, "Relu6Backward");
}
template <class T>
BasicTensor<T> selu(const BasicTensor<T>& x) {
  return apply(x, Act::Selu, "SeluBackward");
}
template <class T>
BasicTensor<T> hardsigmoid(const BasicTensor<T>& x) {
  return apply(x, Act::Hardsigmoid, "HardsigmoidBackward");
}
template <class T>
BasicTensor<T> hardswish(const BasicTensor<T>& x) {
  return apply(x, Act::Hardswish, "HardswishBackward");
}
// clang-format on

template <class T>
BasicTensor<T> isru(const BasicTensor<T>& x, T a) {
  if (!(a > 0)) bad_parameter("isru", "a", "> 0", double(a));
  return apply(x, Act::Isru, "IsruBackward", {double(a), 0});
}
template <class T>
BasicTensor<T> isrlu(const BasicTensor<T>& x, T a) {
  if (!(a > 0)) bad_parameter("isrlu", "a", "> 0", double(a));
  return apply(x, Act::Isrlu, "IsrluBackward", {double(a), 0});
}
template <class T>
BasicTensor<T> softplus(const BasicTensor<T>& x, T beta, T threshold) {
  if (!(beta > 0)) bad_parameter("softplus", "beta", "> 0", double(beta));
  if (std::isnan(threshold)) bad_parameter("softplus", "threshold", "a number", double(threshold));
  return apply(x, Act::Softplus, "SoftplusBackward", {double(beta), double(threshold)});
}
template <class T>
BasicTensor<T> gelu(const BasicTensor<T>& x, Approximate approximate) {
  return approximate == Approximate::Tanh ? apply(x, Act::GeluTanh, "GeluBackward")
                                          : apply(x, Act::GeluErf, "GeluBackward");
}
template <class T>
BasicTensor<T> leaky_relu(const BasicTensor<T>& x, T negative_slope) {
  if (!std::isfinite(negative_slope))
    bad_parameter("leaky_relu", "negative_slope", "finite", double(negative_slope));
  return apply(x, Act::LeakyRelu, "LeakyReluBackward", {double(negative_slope), 0});
}
template <class T>
BasicTensor<T> elu(const BasicTensor<T>& x, T alpha) {
  if (!std::isfinite(alpha)) bad_parameter("elu", "alpha", "finite", double(alpha));
  return apply(x, Act::Elu, "EluBackward", {double(alpha), 0});
}
template <class T>
BasicTensor<T> celu(const BasicTensor<T>& x, T alpha) {
  if (!(alpha != 0) || !std::isfinite(alpha))
    bad_parameter("celu", "alpha", "finite and != 0", double(alpha));
  return apply(x, Act::Celu, "CeluBackward", {double(alpha), 0});
}
template <class T>
BasicTensor<T> hardtanh(const BasicTensor<T>& x, T min_val, T max_val) {
  if (!(min_val <= max_val))
    throw std::invalid_argument(fmt::format(
        "hardtanh: min_val must be <= max_val, got min_val={} max_val={}", min_val, max_val));
  return apply(x, Act::Hardtanh, "HardtanhBackward", {double(min_val), double(max_val)});
}

template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, T lower, T upper) {
  check_rrelu_bounds(lower, upper);
  return apply(x, Act::LeakyRelu, "RreluWithNoiseBackward", {(double(lower) + upper) / 2, 0});
}

template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, T lower, T upper, Generator& rng) {
  check_rrelu_bounds(lower, upper);
  const Array<T>& xv = x.data();
  Array<T> y = Array<T>::from_shape(xv.shape()), slopes = Array<T>::from_shape(xv.shape());
  const T* xd = xv.data();
  for (std::size_t j = 0, n = xv.size(); j < n; ++j) {  // PyTorch draws where x <= 0
    slopes.data()[j] = xd[j] <= 0 ? T(rng.uniform(double(lower), double(upper))) : T(1);
    y.data()[j] = xd[j] * slopes.data()[j];
  }
  if (!needs_graph<T>({x})) return BasicTensor<T>(std::move(y));
  return record<RReluNode<T>>(std::move(y), {x}, std::move(slopes));
}

#define XG_INSTANTIATE(T)                                           \
  template BasicTensor<T> identity(const BasicTensor<T>&);          \
  template BasicTensor<T> binary_step(const BasicTensor<T>&);       \
  template BasicTensor<T> sigmoid(const BasicTensor<T>&);           \
  template BasicTensor<T> tanh(const BasicTensor<T>&);              \
  template BasicTensor<T> arctan(const BasicTensor<T>&);            \
  template BasicTensor<T> softsign(const BasicTensor<T>&);          \
  template BasicTensor<T> bent_identity(const BasicTensor<T>&);     \
  template BasicTensor<T> silu(const BasicTensor<T>&);              \
  template BasicTensor<T> mish(const BasicTensor<T>&);              \
  template BasicTensor<T> logsigmoid(const BasicTensor<T>&);        \
  template BasicTensor<T> sinusoid(const BasicTensor<T>&);          \
  template BasicTensor<T> sinc(const BasicTensor<T>&);              \
  template BasicTensor<T> gaussian(const BasicTensor<T>&);          \
  template BasicTensor<T> relu(const BasicTensor<T>&);              \
  template BasicTensor<T> relu6(const BasicTensor<T>&);             \
  template BasicTensor<T> selu(const BasicTensor<T>&);              \
  template BasicTensor<T> hardsigmoid(const BasicTensor<T>&);       \
  template BasicTensor<T> hardswish(const BasicTensor<T>&);         \
  template BasicTensor<T> isru(const BasicTensor<T>&, T);           \
  template BasicTensor<T> isrlu(const BasicTensor<T>&, T);          \
  template BasicTensor<T> softplus(const BasicTensor<T>&, T, T);    \
  template BasicTensor<T> gelu(const BasicTensor<T>&, Approximate); \
  template BasicTensor<T> leaky_relu(const BasicTensor<T>&, T);     \
  template BasicTensor<T> elu(const BasicTensor<T>&, T);            \
  template BasicTensor<T> celu(const BasicTensor<T>&, T);           \
  template BasicTensor<T> hardtanh(const BasicTensor<T>&, T, T);    \
  template BasicTensor<T> rrelu(const BasicTensor<T>&, T, T);       \
  template BasicTensor<T> rrelu(const BasicTensor<T>&, T, T, Generator&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg
