// Weight initialisers (PyTorch's torch.nn.init, same formulas and gain table). Each fills a
// tensor in place, without recording a graph, from an explicit Generator or seed, and returns
// the same tensor handle (tensors are handles, so `t` may be a temporary like parameters()[0]).
//
//   xg::Generator rng(seed);
//   nn::init::kaiming_normal_(layer.weight, 0, nn::init::FanMode::FanIn, "relu", rng);  // He
//   nn::init::xavier_uniform_(layer.weight, nn::init::calculate_gain("tanh"), rng);      // Glorot
//   nn::init::lecun_normal_(layer.weight, /*seed=*/7);                                   // SELU
//   nn::init::constant_(layer.bias, 0.1);   // a small positive bias keeps ReLUs alive at start
//
// A whole model at once (every Linear layer, depth first):
//   nn::init_model(model, nn::InitScheme::Kaiming, "relu", /*bias_value=*/0.1, /*seed=*/1);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "xgrad/core/random.hpp"
#include "xgrad/core/tensor.hpp"

namespace xg::nn {

template <class T>
class BasicModule;

namespace init {

enum class FanMode { FanIn, FanOut };

// PyTorch's table: linear, conv1d/2d/3d, conv_transpose1d/2d/3d and sigmoid 1; tanh 5/3;
// relu sqrt(2); leaky_relu sqrt(2 / (1 + slope^2)) with slope = param (default 0.01); selu 3/4.
// Any other name throws std::invalid_argument.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of shape [out, in, receptive...] (PyTorch's
// _calculate_fan_in_and_fan_out): fan_in = in * receptive, fan_out = out * receptive.
// Fewer than 2 dimensions throws.
std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Shape& shape);

// U(low, high); low <= high
template <class T>
BasicTensor<T> uniform_(BasicTensor<T> t, double low, double high, Generator& rng);
// N(mean, stddev^2); stddev >= 0
template <class T>
BasicTensor<T> normal_(BasicTensor<T> t, double mean, double stddev, Generator& rng);
template <class T>
BasicTensor<T> constant_(BasicTensor<T> t, double value);
template <class T>
BasicTensor<T> zeros_(BasicTensor<T> t) {
  return constant_(std::move(t), 0.0);
}
template <class T>
BasicTensor<T> ones_(BasicTensor<T> t) {
  return constant_(std::move(t), 1.0);
}
// U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))  (Glorot & Bengio 2010)
template <class T>
BasicTensor<T> xavier_uniform_(BasicTensor<T> t, double gain, Generator& rng);
// N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out))
template <class T>
BasicTensor<T> xavier_normal_(BasicTensor<T> t, double gain, Generator& rng);
// U(-b, b), b = calculate_gain(nonlinearity, a) sqrt(3 / fan)  (He et al. 2015). PyTorch's
// defaults are a = 0, FanIn, "leaky_relu" (gain sqrt(2)): the overload without them uses those.
template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> t, double a, FanMode mode,
                                const std::string& nonlinearity, Generator& rng);
// N(0, std^2), std = calculate_gain(nonlinearity, a) / sqrt(fan)
template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> t, double a, FanMode mode,
                               const std::string& nonlinearity, Generator& rng);
// N(0, 1 / fan_in): the init SELU's self-normalisation assumes (LeCun et al. 1998)
template <class T>
BasicTensor<T> lecun_normal_(BasicTensor<T> t, Generator& rng);
// PyTorch's default for a linear map (nn.Linear.reset_parameters): the weight [out, in], then
// the bias if defined, ~ U(-1/sqrt(in), 1/sqrt(in)). For the weight that is kaiming_uniform_
// with a = sqrt(5), written with its exact bound. Used by nn::Linear and nn::Maxout.
template <class T>
void linear_default_(BasicTensor<T> weight, BasicTensor<T> bias, Generator& rng);

// ---- the same with PyTorch's defaults, and with a seed instead of a Generator ----

template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> t, Generator& rng) {
  return kaiming_uniform_(std::move(t), 0.0, FanMode::FanIn, "leaky_relu", rng);
}
template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> t, Generator& rng) {
  return kaiming_normal_(std::move(t), 0.0, FanMode::FanIn, "leaky_relu", rng);
}
template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> t, std::uint64_t seed) {
  Generator rng(seed);
  return kaiming_uniform_(std::move(t), rng);
}
template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> t, std::uint64_t seed) {
  Generator rng(seed);
  return kaiming_normal_(std::move(t), rng);
}
template <class T>
BasicTensor<T> uniform_(BasicTensor<T> t, double low, double high, std::uint64_t seed) {
  Generator rng(seed);
  return uniform_(std::move(t), low, high, rng);
}
template <class T>
BasicTensor<T> normal_(BasicTensor<T> t, double mean, double stddev, std::uint64_t seed) {
  Generator rng(seed);
  return normal_(std::move(t), mean, stddev, rng);
}
template <class T>
BasicTensor<T> xavier_uniform_(BasicTensor<T> t, double gain, std::uint64_t seed) {
  Generator rng(seed);
  return xavier_uniform_(std::move(t), gain, rng);
}
template <class T>
BasicTensor<T> xavier_normal_(BasicTensor<T> t, double gain, std::uint64_t seed) {
  Generator rng(seed);
  return xavier_normal_(std::move(t), gain, rng);
}
template <class T>
BasicTensor<T> kaiming_uniform_(BasicTensor<T> t, double a, FanMode mode,
                                const std::string& nonlinearity, std::uint64_t seed) {
  Generator rng(seed);
  return kaiming_uniform_(std::move(t), a, mode, nonlinearity, rng);
}
template <class T>
BasicTensor<T> kaiming_normal_(BasicTensor<T> t, double a, FanMode mode,
                               const std::string& nonlinearity, std::uint64_t seed) {
  Generator rng(seed);
  return kaiming_normal_(std::move(t), a, mode, nonlinearity, rng);
}
template <class T>
BasicTensor<T> lecun_normal_(BasicTensor<T> t, std::uint64_t seed) {
  Generator rng(seed);
  return lecun_normal_(std::move(t), rng);
}

}  // namespace init

// How init_model draws each Linear weight [out, in] (fan_in = in, fan_out = out):
//   Kaiming  N(0, gain^2 / fan_in)                     (He; ReLU-family nets)
//   Xavier   U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))  (Glorot; tanh/sigmoid nets)
//   LeCun    N(0, 1 / fan_in)                          (SELU nets; the gain is not used)
//   Default  PyTorch's Linear default, U(-1/sqrt(in), 1/sqrt(in)) for the weight AND the bias
// with gain = calculate_gain(nonlinearity) (leaky_relu: slope 0.01).
enum class InitScheme { Default, Kaiming, Xavier, LeCun };

// Re-initialises every nn::Linear in `model` (the model itself and its children, depth first, in
// registration order): the weight by `scheme`, the bias (if any) to `bias_value` (except with
// Default, which draws the bias too). Other modules (norms, PReLU, ...) are left alone. Returns
// the number of Linear layers initialised. An unknown nonlinearity throws before anything changes.
template <class T>
std::size_t init_model(BasicModule<T>& model, InitScheme scheme, const std::string& nonlinearity,
                       double bias_value, Generator& rng);
template <class T>
std::size_t init_model(BasicModule<T>& model, InitScheme scheme,
                       const std::string& nonlinearity = "relu", double bias_value = 0,
                       std::uint64_t seed = 0) {
  Generator rng(seed);
  return init_model(model, scheme, nonlinearity, bias_value, rng);
}

}  // namespace xg::nn
