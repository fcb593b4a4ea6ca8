// Activations by name, so a script or the command line switches activation with one string:
//
//   auto act = nn::make_activation<float>("leaky_relu", {{"negative_slope", 0.2}});
//   auto prelu = nn::make_activation<float>("prelu", {}, /*channels*/ 64);
//   for (const auto& info : nn::activation_catalogue()) fmt::print("{}: {}\n", info.name,
//   info.description);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

struct ActivationInfo {
  std::string name;                        // the registry key: "leaky_relu"
  std::string description;                 // one line
  std::string formula;                     // f(x)
  std::string derivative;                  // f'(x)
  std::map<std::string, double> defaults;  // hyper-parameters and their defaults
  bool trainable = false;                  // holds parameters an optimizer trains
  std::string range;                       // "(0, 1)"
  bool monotonic = false;
  bool zero_centred = false;
  std::string saturation;  // "left soft, right soft" / "none" / ...
  std::string kink;        // the derivative used at kinks, "" when smooth
};

// Every activation the registry builds, in catalogue order.
const std::vector<ActivationInfo>& activation_catalogue();

// Builds the layer `name` with hyper-parameters `params` (keys as in ActivationInfo::defaults;
// unknown names or keys throw std::invalid_argument listing what is accepted). `channels` is the
// width of the layer before it, used by per-channel trainable activations (prelu, srelu, apl,
// swish_beta, soft_exponential; set per_channel=0 in params for one shared parameter).
template <class T>
std::shared_ptr<BasicModule<T>> make_activation(const std::string& name,
                                                const std::map<std::string, double>& params = {},
                                                std::size_t channels = 1);

}  // namespace xg::nn
