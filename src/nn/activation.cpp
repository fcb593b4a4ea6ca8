// Activation layers.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "kernels/activation.hpp"
#include "seed.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/init.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg::nn {

template <class T>
BasicActivation<T>::BasicActivation(std::string name, std::string description, Function f,
                                    bool check)
    : name_(std::move(name)), description_(std::move(description)), f_(std::move(f)) {
  if (check) f_(BasicTensor<T>::zeros({1}));  // bad hyper-parameters throw now, not later
}

namespace {
// "LeakyReLU(negative_slope=0.2)": the layer and its hyper-parameters, as PyTorch prints them.
template <class T>
std::string describe_layer(const char* layer,
                           std::initializer_list<std::pair<const char*, T>> hyper) {
  std::string s = std::string(layer) + "(";
  for (const auto& [name, value] : hyper)
    s += fmt::format("{}{}={}", s.back() == '(' ? "" : ", ", name, value);
  return s + ")";
}
}  // namespace

// The fused rows' layers: the function of the row, called with the layer's hyper-parameters,
// and the row's kernel with the same values.
#define XG_LAYER_PARAM(name, default_value) T name
#define XG_LAYER_DESCRIBE(name, default_value) std::pair<const char*, T>(#name, name)
#define XG_LAYER_ARG(name, default_value) , name
#define XG_LAYER_VALUE(name, default_value) , double(name)
#define XG_LAYER(name, Layer, Functor, hyper, ...)                                                \
  template <class T>                                                                              \
  Basic##Layer<T>::Basic##Layer(XG_PP_SEQ_ENUM(XG_LAYER_PARAM, hyper))                            \
      : BasicActivation<T>(#name,                                                                 \
                           describe_layer<T>(#Layer, {XG_PP_SEQ_ENUM(XG_LAYER_DESCRIBE, hyper)}), \
                           [=](const BasicTensor<T>& x) {                                         \
                             return xg::name(x XG_PP_SEQ_FOR_EACH(XG_LAYER_ARG, hyper));          \
                           }) {                                                                   \
    this->set_kernel({int(kernels::Act::Functor) XG_PP_SEQ_FOR_EACH(XG_LAYER_VALUE, hyper)});     \
  }
XG_ACTIVATION_LIST(XG_LAYER, XG_ACTIVATION_SKIP, XG_ACTIVATION_SKIP)
#undef XG_LAYER_PARAM
#undef XG_LAYER_DESCRIBE
#undef XG_LAYER_ARG
#undef XG_LAYER_VALUE
#undef XG_LAYER

template <class T>
BasicGELU<T>::BasicGELU(Approximate ap)
    : BasicActivation<T>(
          ap == Approximate::Tanh ? "gelu_tanh" : "gelu",
          ap == Approximate::Tanh ? "GELU(approximate='tanh')" : "GELU(approximate='none')",
          [ap](const BasicTensor<T>& x) { return xg::gelu(x, ap); }) {
  this->set_kernel({int(ap == Approximate::Tanh ? kernels::Act::GeluTanh : kernels::Act::GeluErf)});
}
template <class T>
BasicSoftmax<T>::BasicSoftmax(int dim)
    : BasicActivation<T>(
          "softmax", fmt::format("Softmax(dim={})", dim),
          [dim](const BasicTensor<T>& x) { return xg::softmax(x, dim); }, false) {}
template <class T>
BasicLogSoftmax<T>::BasicLogSoftmax(int dim)
    : BasicActivation<T>(
          "log_softmax", fmt::format("LogSoftmax(dim={})", dim),
          [dim](const BasicTensor<T>& x) { return xg::log_softmax(x, dim); }, false) {}

namespace {
void require_positive(const char* layer, const char* param, std::size_t v) {
  if (v == 0) throw std::invalid_argument(fmt::format("{}: {} must be >= 1, got 0", layer, param));
  if (v > kMaxElements)
    throw std::length_error(fmt::format("{}: {} = {} exceeds {} (2^40), the limit per tensor",
                                        layer, param, v, kMaxElements));
}
void require_finite(const char* layer, const char* param, double v) {
  if (!std::isfinite(v))
    throw std::invalid_argument(fmt::format("{}: {} must be finite, got {}", layer, param, v));
}
}  // namespace

template <class T>
BasicPReLU<T>::BasicPReLU(std::size_t n, T init) {
  require_positive("PReLU", "num_parameters", n);
  require_finite("PReLU", "init", double(init));
  weight = this->register_parameter("weight", BasicTensor<T>::full({n}, init));
}
template <class T>
std::string BasicPReLU<T>::describe() const {
  return fmt::format("PReLU(num_parameters={})", weight.numel());
}

template <class T>
BasicRReLU<T>::BasicRReLU(T l, T u, std::optional<std::uint64_t> seed)
    : lower(l),
      upper(u),
      rng_(this->register_generator("generator", detail::stream_generator(seed))) {
  xg::rrelu(BasicTensor<T>::zeros({1}), lower, upper);  // validates the bounds
}
template <class T>
BasicTensor<T> BasicRReLU<T>::forward(const BasicTensor<T>& x) {
  return this->is_training() ? xg::rrelu(x, lower, upper, *rng_) : xg::rrelu(x, lower, upper);
}
template <class T>
std::string BasicRReLU<T>::describe() const {
  return fmt::format("RReLU(lower={}, upper={})", lower, upper);
}

template <class T>
BasicSReLU<T>::BasicSReLU(std::size_t c, T tl, T al, T tr, T ar) {
  require_positive("SReLU", "channels", c);
  t_left = this->register_parameter("t_left", BasicTensor<T>::full({c}, tl));
  a_left = this->register_parameter("a_left", BasicTensor<T>::full({c}, al));
  t_right = this->register_parameter("t_right", BasicTensor<T>::full({c}, tr));
  a_right = this->register_parameter("a_right", BasicTensor<T>::full({c}, ar));
}
template <class T>
BasicTensor<T> BasicSReLU<T>::forward(const BasicTensor<T>& x) {
  return xg::srelu(x, t_left, a_left, t_right, a_right);
}
template <class T>
std::string BasicSReLU<T>::describe() const {
  return fmt::format("SReLU(channels={})", t_left.numel());
}

template <class T>
BasicAPL<T>::BasicAPL(std::size_t c, std::size_t s, std::optional<std::uint64_t> seed, T a_init,
                      T b_range) {
  require_positive("APL", "channels", c);
  require_positive("APL", "hinges", s);
  if (!(b_range >= 0))
    throw std::invalid_argument(fmt::format("APL: b_range must be >= 0, got {}", b_range));
  shape_numel({s, c}, "APL(channels, hinges)");
  a = this->register_parameter("a", BasicTensor<T>::full({s, c}, a_init));
  b = this->register_parameter("b", BasicTensor<T>::zeros({s, c}));
  detail::InitGenerator rng(seed);
  init::uniform_(b, -double(b_range), double(b_range), rng.get());
}
template <class T>
std::string BasicAPL<T>::describe() const {
  return fmt::format("APL(channels={}, hinges={})", a.size(1), a.size(0));
}

template <class T>
BasicSwishBeta<T>::BasicSwishBeta(T b, bool trainable, std::size_t c) {
  require_positive("SwishBeta", "channels", c);
  require_finite("SwishBeta", "beta", double(b));
  beta = trainable ? this->register_parameter("beta", BasicTensor<T>::full({c}, b))
                   : this->register_buffer("beta", BasicTensor<T>::full({c}, b));
}
template <class T>
std::string BasicSwishBeta<T>::describe() const {
  return fmt::format("SwishBeta(channels={}, trainable={})", beta.numel(), beta.requires_grad());
}

template <class T>
BasicSoftExponential<T>::BasicSoftExponential(T a, std::size_t c) {
  require_positive("SoftExponential", "channels", c);
  require_finite("SoftExponential", "alpha", double(a));
  alpha = this->register_parameter("alpha", BasicTensor<T>::full({c}, a));
}
template <class T>
std::string BasicSoftExponential<T>::describe() const {
  return fmt::format("SoftExponential(channels={})", alpha.numel());
}

template <class T>
BasicMaxout<T>::BasicMaxout(std::size_t i, std::size_t o, std::size_t kk,
                            std::optional<std::uint64_t> seed)
    : in(i), out(o), k(kk) {
  require_positive("Maxout", "in", i);
  require_positive("Maxout", "out", o);
  require_positive("Maxout", "k", kk);
  shape_numel({o, kk, i}, "Maxout(in, out, k)");
  weight = this->register_parameter("weight", BasicTensor<T>::zeros({o * kk, i}));
  bias = this->register_parameter("bias", BasicTensor<T>::zeros({o * kk}));
  detail::InitGenerator rng(seed);
  init::linear_default_(weight, bias, rng.get());
}
template <class T>
BasicTensor<T> BasicMaxout<T>::forward(const BasicTensor<T>& x) {
  return xg::maxout(xg::linear(x, weight, bias), k);
}
template <class T>
std::string BasicMaxout<T>::describe() const {
  return fmt::format("Maxout(in={}, out={}, k={})", in, out, k);
}

#define XG_INSTANTIATE_LAYER(name, Layer, ...) template struct Basic##Layer<XG_REAL>;
#define XG_INSTANTIATE(T)                 \
  template class BasicActivation<T>;      \
  template struct BasicGELU<T>;           \
  template struct BasicSoftmax<T>;        \
  template struct BasicLogSoftmax<T>;     \
  template class BasicPReLU<T>;           \
  template class BasicRReLU<T>;           \
  template class BasicSReLU<T>;           \
  template class BasicAPL<T>;             \
  template class BasicSwishBeta<T>;       \
  template class BasicSoftExponential<T>; \
  template class BasicMaxout<T>;
#define XG_REAL float
XG_ACTIVATION_LIST(XG_INSTANTIATE_LAYER, XG_ACTIVATION_SKIP, XG_ACTIVATION_SKIP)
#undef XG_REAL
#define XG_REAL double
XG_ACTIVATION_LIST(XG_INSTANTIATE_LAYER, XG_ACTIVATION_SKIP, XG_ACTIVATION_SKIP)
#undef XG_REAL
#undef XG_INSTANTIATE_LAYER
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::nn
