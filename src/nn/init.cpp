// Initialisers: PyTorch's formulas, drawing from xg::Generator.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "xgrad/detail/tensor_impl.hpp"
#include "xgrad/nn/init.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn::init {

double calculate_gain(const std::string& n, std::optional<double> param) {
  for (const char* linear : {"linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                             "conv_transpose2d", "conv_transpose3d", "sigmoid"})
    if (n == linear) return 1;
  if (n == "tanh") return 5.0 / 3;
  if (n == "relu") return std::sqrt(2.0);
  if (n == "leaky_relu") {
    const double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1 + slope * slope));
  }
  if (n == "selu") return 3.0 / 4;
  throw std::invalid_argument(fmt::format(
      "calculate_gain: unsupported nonlinearity '{}' (PyTorch's table: linear, conv1d/2d/3d, "
      "conv_transpose1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu)",
      n));
}

std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Shape& shape) {
  if (shape.size() < 2)
    throw std::invalid_argument(fmt::format(
        "fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions, got {}",
        shape_str(shape)));
  std::size_t receptive = 1;
  for (std::size_t i = 2; i < shape.size(); ++i) receptive *= shape[i];
  return {shape[1] * receptive, shape[0] * receptive};
}

namespace {
std::size_t fan(const Shape& shape, FanMode mode) {
  const auto [in, out] = calculate_fan_in_and_fan_out(shape);
  return mode == FanMode::FanIn ? in : out;
}
}  // namespace

template <class T>
BasicTensor<T> uniform_(BasicTensor<T> t, double low, double high, Generator& rng) {
  if (!(low <= high))
    throw std::invalid_argument(
        fmt::format("uniform_: low must be <= high, got {} and {}", low, high));
  for (auto& v : t.data()) v = T(rng.uniform(low, high));
  detail::mark_modified(detail::TensorAccess::impl(t));
  return t;
}

template <class T>
BasicTensor<T> normal_(BasicTensor<T> t, double mean, double stddev, Generator& rng) {
  if (!(stddev >= 0))
    throw std::invalid_argument(fmt::format("normal_: stddev must be >= 0, got {}", stddev));
  for (auto& v : t.data()) v = T(rng.normal(mean, stddev));
  detail::mark_modified(detail::TensorAccess::impl(t));
  return t;
}

template <class T>
BasicTensor<T> constant_(BasicTensor<T> t, double value) {
  for (auto& v : t.data()) v = T(value);
  detail::mark_modified(detail::TensorAccess::impl(t));
  return t;
}

template <class T>
BasicTensor<T> xavier_uniform_(BasicTensor<T> t, double gain, Generator& rng) {
  const auto [in, out] = calculate_fan_in_and_fan_out(t.shape());
  const double a = gain * std::sqrt(6.0 / double(in + out));
  return uniform_(std::move(t), -a, a, rng);
}

template <class T>
BasicTensor<T> xavier_normal_(BasicTensor<T> t, double gain, Generator& rng) {
  const auto [in, out] = calculate_fan_in_and_fan_out(t.shape());
  return normal_(std::move(t), 0, gain * std::sqrt(2.0 / double(in + out)), rng);
}

template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> t, double a, FanMode mode, const std::string& nl,
                                Generator& rng) {
  const double bound = calculate_gain(nl, a) * std::sqrt(3.0 / double(fan(t.shape(), mode)));
  return uniform_(std::move(t), -bound, bound, rng);
}

template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> t, double a, FanMode mode, const std::string& nl,
                               Generator& rng) {
  const double stddev = calculate_gain(nl, a) / std::sqrt(double(fan(t.shape(), mode)));
  return normal_(std::move(t), 0, stddev, rng);
}

template <class T>
BasicTensor<T> lecun_normal_(BasicTensor<T> t, Generator& rng) {
  const double stddev = 1 / std::sqrt(double(fan(t.shape(), FanMode::FanIn)));
  return normal_(std::move(t), 0, stddev, rng);
}

template <class T>
void linear_default_(BasicTensor<T> weight, BasicTensor<T> bias, Generator& rng) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(weight.shape());
  const double bound = 1 / std::sqrt(double(fan_in));
  uniform_(weight, -bound, bound, rng);
  if (bias.defined()) uniform_(bias, -bound, bound, rng);
}

#define XG_INSTANTIATE(T)                                                                       \
  template BasicTensor<T> uniform_(BasicTensor<T>, double, double, Generator&);                 \
  template BasicTensor<T> normal_(BasicTensor<T>, double, double, Generator&);                  \
  template BasicTensor<T> constant_(BasicTensor<T>, double);                                    \
  template BasicTensor<T> xavier_uniform_(BasicTensor<T>, double, Generator&);                  \
  template BasicTensor<T> xavier_normal_(BasicTensor<T>, double, Generator&);                   \
  template BasicTensor<T> kaiming_uniform_(BasicTensor<T>, double, FanMode, const std::string&, \
                                           Generator&);                                         \
  template BasicTensor<T> kaiming_normal_(BasicTensor<T>, double, FanMode, const std::string&,  \
                                          Generator&);                                          \
  template BasicTensor<T> lecun_normal_(BasicTensor<T>, Generator&);                            \
  template void linear_default_(BasicTensor<T>, BasicTensor<T>, Generator&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::nn::init

namespace xg::nn {
namespace {

template <class T>
void collect_linears(BasicModule<T>& m, std::vector<BasicLinear<T>*>& out) {
  if (auto* lin = dynamic_cast<BasicLinear<T>*>(&m)) out.push_back(lin);
  for (const auto& [name, child] : m.children()) collect_linears(*child, out);
}

}  // namespace

template <class T>
std::size_t init_model(BasicModule<T>& model, InitScheme scheme, const std::string& nonlinearity,
                       double bias_value, Generator& rng) {
  const double gain = init::calculate_gain(nonlinearity);  // validates before anything changes
  std::vector<BasicLinear<T>*> layers;
  collect_linears(model, layers);
  for (BasicLinear<T>* l : layers) {
    const double fan_in = double(l->in_features);
    switch (scheme) {
      case InitScheme::Default:
        init::linear_default_(l->weight, l->bias, rng);
        continue;
      case InitScheme::Kaiming:
        init::normal_(l->weight, 0, gain / std::sqrt(fan_in), rng);
        break;
      case InitScheme::Xavier:
        init::xavier_uniform_(l->weight, gain, rng);
        break;
      case InitScheme::LeCun:
        init::normal_(l->weight, 0, 1 / std::sqrt(fan_in), rng);
        break;
    }
    if (l->bias.defined()) init::constant_(l->bias, bias_value);
  }
  return layers.size();
}

template std::size_t init_model(BasicModule<float>&, InitScheme, const std::string&, double,
                                Generator&);
template std::size_t init_model(BasicModule<double>&, InitScheme, const std::string&, double,
                                Generator&);

}  // namespace xg::nn
