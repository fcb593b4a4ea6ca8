// Weight initialisers (PyTorch's torch.nn.init, same formulas and gain table). Each fills a
// tensor in place, without recording a graph, from an explicit Generator.
//
//   xg::Generator rng(seed);
//   nn::init::kaiming_normal_(layer.weight, 0, nn::init::FanMode::FanIn, "relu", rng);  // He
//   nn::init::xavier_uniform_(layer.weight, nn::init::calculate_gain("tanh"), rng);      // Glorot
//   nn::init::lecun_normal_(layer.weight, rng);                                          // SELU
//   nn::init::constant_(layer.bias, 0.1);   // a small positive bias keeps ReLUs alive at start
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "xgrad/random.hpp"
#include "xgrad/tensor.hpp"

namespace xg::nn::init {

enum class FanMode { FanIn, FanOut };

// PyTorch's table: linear/identity/conv* 1, sigmoid 1, tanh 5/3, relu sqrt(2),
// leaky_relu sqrt(2 / (1 + slope^2)) (slope default 0.01), selu 3/4. Unknown names throw.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight of shape [out, in, receptive...]; fewer than 2 dims throws.
std::pair<std::size_t, std::size_t> calculate_fan_in_and_fan_out(const Shape& shape);

template <class T> void uniform_(BasicTensor<T>& t, double low, double high, Generator& rng);
template <class T> void normal_(BasicTensor<T>& t, double mean, double stddev, Generator& rng);
template <class T> void constant_(BasicTensor<T>& t, double value);
template <class T> void zeros_(BasicTensor<T>& t) { constant_(t, 0.0); }
template <class T> void ones_(BasicTensor<T>& t) { constant_(t, 1.0); }
// U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))
template <class T> void xavier_uniform_(BasicTensor<T>& t, double gain, Generator& rng);
// N(0, gain^2 2 / (fan_in + fan_out))
template <class T> void xavier_normal_(BasicTensor<T>& t, double gain, Generator& rng);
// U(-b, b), b = gain(nonlinearity, a) sqrt(3 / fan)
template <class T>
void kaiming_uniform_(BasicTensor<T>& t, double a, FanMode mode, const std::string& nonlinearity,
                      Generator& rng);
// N(0, (gain(nonlinearity, a) / sqrt(fan))^2)
template <class T>
void kaiming_normal_(BasicTensor<T>& t, double a, FanMode mode, const std::string& nonlinearity,
                     Generator& rng);
// N(0, 1 / fan_in): the init SELU's self-normalisation assumes
template <class T> void lecun_normal_(BasicTensor<T>& t, Generator& rng);

}  // namespace xg::nn::init
