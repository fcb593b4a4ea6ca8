// Initialisers: PyTorch's formulas, drawing from xg::Generator.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "xgrad/nn/init.hpp"

namespace xg::nn::init {

double calculate_gain(const std::string& n, std::optional<double> param) {
  if (n == "linear" || n == "identity" || n == "sigmoid" || n.rfind("conv", 0) == 0) return 1;
  if (n == "tanh") return 5.0 / 3;
  if (n == "relu") return std::sqrt(2.0);
  if (n == "leaky_relu") {
    const double slope = param.value_or(0.01);
    return std::sqrt(2.0 / (1 + slope * slope));
  }
  if (n == "selu") return 3.0 / 4;
  throw std::invalid_argument(fmt::format(
      "calculate_gain: unsupported nonlinearity '{}' (linear, identity, conv1d/2d/3d, sigmoid, "
      "tanh, relu, leaky_relu, selu)", n));
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
void uniform_(BasicTensor<T>& t, double low, double high, Generator& rng) {
  if (!(low <= high))
    throw std::invalid_argument(fmt::format("uniform_: low must be <= high, got {} and {}", low, high));
  for (auto& v : t.data()) v = T(rng.uniform(low, high));
}

template <class T>
void normal_(BasicTensor<T>& t, double mean, double stddev, Generator& rng) {
  if (!(stddev >= 0)) throw std::invalid_argument(fmt::format("normal_: stddev must be >= 0, got {}", stddev));
  for (auto& v : t.data()) v = T(rng.normal(mean, stddev));
}

template <class T>
void constant_(BasicTensor<T>& t, double value) {
  for (auto& v : t.data()) v = T(value);
}

template <class T>
void xavier_uniform_(BasicTensor<T>& t, double gain, Generator& rng) {
  const auto [in, out] = calculate_fan_in_and_fan_out(t.shape());
  const double a = gain * std::sqrt(6.0 / double(in + out));
  uniform_(t, -a, a, rng);
}

template <class T>
void xavier_normal_(BasicTensor<T>& t, double gain, Generator& rng) {
  const auto [in, out] = calculate_fan_in_and_fan_out(t.shape());
  normal_(t, 0, gain * std::sqrt(2.0 / double(in + out)), rng);
}

template <class T>
void kaiming_uniform_(BasicTensor<T>& t, double a, FanMode mode, const std::string& nl, Generator& rng) {
  const double bound = calculate_gain(nl, a) * std::sqrt(3.0 / double(fan(t.shape(), mode)));
  uniform_(t, -bound, bound, rng);
}

template <class T>
void kaiming_normal_(BasicTensor<T>& t, double a, FanMode mode, const std::string& nl, Generator& rng) {
  normal_(t, 0, calculate_gain(nl, a) / std::sqrt(double(fan(t.shape(), mode))), rng);
}

template <class T>
void lecun_normal_(BasicTensor<T>& t, Generator& rng) {
  normal_(t, 0, 1 / std::sqrt(double(fan(t.shape(), FanMode::FanIn))), rng);
}

#define XG_INSTANTIATE(T)                                                                       \
  template void uniform_(BasicTensor<T>&, double, double, Generator&);                          \
  template void normal_(BasicTensor<T>&, double, double, Generator&);                           \
  template void constant_(BasicTensor<T>&, double);                                             \
  template void xavier_uniform_(BasicTensor<T>&, double, Generator&);                           \
  template void xavier_normal_(BasicTensor<T>&, double, Generator&);                            \
  template void kaiming_uniform_(BasicTensor<T>&, double, FanMode, const std::string&, Generator&); \
  template void kaiming_normal_(BasicTensor<T>&, double, FanMode, const std::string&, Generator&); \
  template void lecun_normal_(BasicTensor<T>&, Generator&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::nn::init
