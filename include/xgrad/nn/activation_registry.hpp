// Activations by name, so a script or the command line switches activation with one string:
//
//   auto act = nn::make_activation<float>("leaky_relu", {{"negative_slope", 0.2}});
//   auto prelu = nn::make_activation<float>("prelu", {}, /*channels*/ 64);
//   for (const auto& info : nn::activation_catalogue())
//     fmt::print("{}: {}\n", info.name, info.description);
//
// Names are the functions' (xg::leaky_relu, registry "leaky_relu", layer nn::LeakyReLU). Aliases:
// "swish" is "silu" (x sigmoid(x)); the version with a learned beta is "swish_beta". The key
// "axis" is accepted for "dim" (softmax, log_softmax).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct ActivationInfo {
  std::string name;                           // the registry key and function: "leaky_relu"
  std::string layer;                          // the layer class nn::<layer>: "LeakyReLU"
  bool fused = false;                         // one fused kernel node, function xg::<name>(x, ...)
  std::vector<std::string> hyper_parameters;  // in the function's and the layer's order
  std::string description;                    // one line
  std::string formula;                        // f(x)
  std::string derivative;                     // f'(x)
  std::map<std::string, double> defaults;     // hyper-parameters and their defaults
  bool trainable = false;                     // holds parameters an optimizer trains
  std::string range;                          // "(0, 1)"
  bool monotonic = false;
  bool zero_centred = false;
  std::string saturation;                // "soft left", "hard both sides", "none", ...
  std::string kink;                      // the derivative used at kinks, "" when smooth
  std::vector<std::string> parameters;   // the layer's trainable parameters: {"t_left", ...}
  std::vector<std::string> constraints;  // on hyper-parameters: "a must be > 0"
  std::string init;                      // the weight init that suits it: kaiming|xavier|lecun
  std::string gain;                      // its nonlinearity for nn::init::calculate_gain
};

// Every activation the registry builds, in catalogue order (the order of activations/list.hpp).
const std::vector<ActivationInfo>& activation_catalogue();

// The catalogue entry of `name` (aliases resolved); throws std::invalid_argument listing the
// known names when there is none.
const ActivationInfo& activation_info(const std::string& name);

// Builds the layer `name` with hyper-parameters `params` (keys as in ActivationInfo::defaults;
// unknown names or keys and values outside their range throw std::invalid_argument saying what
// is accepted). Trainable activations (prelu, srelu, apl, swish_beta, soft_exponential) get one
// set of parameters per channel of the layer before them (`channels`, its width) by default;
// per_channel=0 in params shares one set across channels. Their initial values are
// hyper-parameters too (prelu init; srelu t_left, a_left, t_right, a_right; apl a and b, the
// hinges starting at U(-b, b); swish_beta beta; soft_exponential alpha).
template <class T>
std::shared_ptr<BasicModule<T>> make_activation(const std::string& name,
                                                const std::map<std::string, double>& params = {},
                                                std::size_t channels = 1);

}  // namespace xg::nn
