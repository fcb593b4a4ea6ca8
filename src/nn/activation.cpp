// Activation layers.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "xgrad/nn/activation.hpp"
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

template <class T>
BasicLeakyReLU<T>::BasicLeakyReLU(T s)
    : BasicActivation<T>("leaky_relu", fmt::format("LeakyReLU(negative_slope={})", s),
                         [s](const BasicTensor<T>& x) { return xg::leaky_relu(x, s); }) {}
template <class T>
BasicELU<T>::BasicELU(T a)
    : BasicActivation<T>("elu", fmt::format("ELU(alpha={})", a),
                         [a](const BasicTensor<T>& x) { return xg::elu(x, a); }) {}
template <class T>
BasicCELU<T>::BasicCELU(T a)
    : BasicActivation<T>("celu", fmt::format("CELU(alpha={})", a),
                         [a](const BasicTensor<T>& x) { return xg::celu(x, a); }) {}
template <class T>
BasicGELU<T>::BasicGELU(Approximate ap)
    : BasicActivation<T>(
          ap == Approximate::Tanh ? "gelu_tanh" : "gelu",
          ap == Approximate::Tanh ? "GELU(approximate='tanh')" : "GELU(approximate='none')",
          [ap](const BasicTensor<T>& x) { return xg::gelu(x, ap); }) {}
template <class T>
BasicSoftplus<T>::BasicSoftplus(T beta, T threshold)
    : BasicActivation<T>(
          "softplus", fmt::format("Softplus(beta={}, threshold={})", beta, threshold),
          [=](const BasicTensor<T>& x) { return xg::softplus(x, beta, threshold); }) {}
template <class T>
BasicHardtanh<T>::BasicHardtanh(T lo, T hi)
    : BasicActivation<T>("hardtanh", fmt::format("Hardtanh(min_val={}, max_val={})", lo, hi),
                         [=](const BasicTensor<T>& x) { return xg::hardtanh(x, lo, hi); }) {}
template <class T>
BasicISRU<T>::BasicISRU(T a)
    : BasicActivation<T>("isru", fmt::format("ISRU(a={})", a),
                         [a](const BasicTensor<T>& x) { return xg::isru(x, a); }) {}
template <class T>
BasicISRLU<T>::BasicISRLU(T a)
    : BasicActivation<T>("isrlu", fmt::format("ISRLU(a={})", a),
                         [a](const BasicTensor<T>& x) { return xg::isrlu(x, a); }) {}
template <class T>
BasicSoftmax<T>::BasicSoftmax(int axis)
    : BasicActivation<T>(
          "softmax", fmt::format("Softmax(axis={})", axis),
          [axis](const BasicTensor<T>& x) { return xg::softmax(x, axis); }, false) {}
template <class T>
BasicLogSoftmax<T>::BasicLogSoftmax(int axis)
    : BasicActivation<T>(
          "log_softmax", fmt::format("LogSoftmax(axis={})", axis),
          [axis](const BasicTensor<T>& x) { return xg::log_softmax(x, axis); }, false) {}

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
Generator make_rng(std::optional<std::uint64_t> seed) {
  return Generator(seed ? *seed : default_generator().next_u64());
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
  return fmt::format("PReLU(num_parameters={})", weight.size());
}

template <class T>
BasicRReLU<T>::BasicRReLU(T l, T u, std::optional<std::uint64_t> seed)
    : lower(l), upper(u), rng_(make_rng(seed)) {
  xg::rrelu(BasicTensor<T>::zeros({1}), lower, upper);  // validates the bounds
}
template <class T>
BasicTensor<T> BasicRReLU<T>::forward(const BasicTensor<T>& x) {
  return this->is_training() ? xg::rrelu(x, lower, upper, rng_) : xg::rrelu(x, lower, upper);
}
template <class T>
std::string BasicRReLU<T>::describe() const {
  return fmt::format("RReLU(lower={}, upper={})", lower, upper);
}

template <class T>
BasicSReLU<T>::BasicSReLU(std::size_t c) {
  require_positive("SReLU", "channels", c);
  t_left = this->register_parameter("t_left", BasicTensor<T>::zeros({c}));
  a_left = this->register_parameter("a_left", BasicTensor<T>::full({c}, T(0.2)));
  t_right = this->register_parameter("t_right", BasicTensor<T>::ones({c}));
  a_right = this->register_parameter("a_right", BasicTensor<T>::ones({c}));
}
template <class T>
BasicTensor<T> BasicSReLU<T>::forward(const BasicTensor<T>& x) {
  return xg::srelu(x, t_left, a_left, t_right, a_right);
}
template <class T>
std::string BasicSReLU<T>::describe() const {
  return fmt::format("SReLU(channels={})", t_left.size());
}

template <class T>
BasicAPL<T>::BasicAPL(std::size_t c, std::size_t s, std::optional<std::uint64_t> seed) {
  require_positive("APL", "channels", c);
  require_positive("APL", "hinges", s);
  shape_numel({s, c}, "APL(channels, hinges)");
  Generator rng = make_rng(seed);
  a = this->register_parameter("a", BasicTensor<T>::zeros({s, c}));
  Array<T> bv = Array<T>::from_shape({s, c});
  for (auto& v : bv) v = T(rng.uniform(-1, 1));
  b = this->register_parameter("b", BasicTensor<T>(std::move(bv)));
}
template <class T>
std::string BasicAPL<T>::describe() const {
  return fmt::format("APL(channels={}, hinges={})", a.size(1), a.size(0));
}

template <class T>
BasicSwish<T>::BasicSwish(T b, bool trainable, std::size_t c) {
  require_positive("Swish", "channels", c);
  require_finite("Swish", "beta", double(b));
  beta = trainable ? this->register_parameter("beta", BasicTensor<T>::full({c}, b))
                   : this->register_buffer("beta", BasicTensor<T>::full({c}, b));
}
template <class T>
std::string BasicSwish<T>::describe() const {
  return fmt::format("Swish(channels={}, trainable={})", beta.size(), beta.requires_grad());
}

template <class T>
BasicSoftExponential<T>::BasicSoftExponential(T a, std::size_t c) {
  require_positive("SoftExponential", "channels", c);
  require_finite("SoftExponential", "alpha", double(a));
  alpha = this->register_parameter("alpha", BasicTensor<T>::full({c}, a));
}
template <class T>
std::string BasicSoftExponential<T>::describe() const {
  return fmt::format("SoftExponential(channels={})", alpha.size());
}

template <class T>
BasicMaxout<T>::BasicMaxout(std::size_t i, std::size_t o, std::size_t kk,
                            std::optional<std::uint64_t> seed)
    : in(i), out(o), k(kk) {
  require_positive("Maxout", "in", i);
  require_positive("Maxout", "out", o);
  require_positive("Maxout", "k", kk);
  shape_numel({o, kk, i}, "Maxout(in, out, k)");
  Generator rng = make_rng(seed);
  const double bound = 1 / std::sqrt(double(i));
  Array<T> w = Array<T>::from_shape({o * kk, i}), bv = Array<T>::from_shape({o * kk});
  for (auto& v : w) v = T(rng.uniform(-bound, bound));
  for (auto& v : bv) v = T(rng.uniform(-bound, bound));
  weight = this->register_parameter("weight", BasicTensor<T>(std::move(w)));
  bias = this->register_parameter("bias", BasicTensor<T>(std::move(bv)));
}
template <class T>
BasicTensor<T> BasicMaxout<T>::forward(const BasicTensor<T>& x) {
  return xg::maxout(xg::linear(x, weight, bias), k);
}
template <class T>
std::string BasicMaxout<T>::describe() const {
  return fmt::format("Maxout(in={}, out={}, k={})", in, out, k);
}

#define XG_INSTANTIATE(T)                 \
  template class BasicActivation<T>;      \
  template struct BasicLeakyReLU<T>;      \
  template struct BasicELU<T>;            \
  template struct BasicCELU<T>;           \
  template struct BasicGELU<T>;           \
  template struct BasicSoftplus<T>;       \
  template struct BasicHardtanh<T>;       \
  template struct BasicISRU<T>;           \
  template struct BasicISRLU<T>;          \
  template struct BasicSoftmax<T>;        \
  template struct BasicLogSoftmax<T>;     \
  template class BasicPReLU<T>;           \
  template class BasicRReLU<T>;           \
  template class BasicSReLU<T>;           \
  template class BasicAPL<T>;             \
  template class BasicSwish<T>;           \
  template class BasicSoftExponential<T>; \
  template class BasicMaxout<T>;
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::nn
