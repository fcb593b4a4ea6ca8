// The command line's model, optimizer and loss, built from the library's nn, optim and
// activation registry.
#include <fmt/format.h>

#include <xgrad/io/model_file.hpp>
#include <xgrad/nn/activation_registry.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/linear.hpp>
#include <xgrad/nn/loss.hpp>
#include <xgrad/optim/adagrad.hpp>
#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/sgd.hpp>

#include "cli.hpp"

namespace xgcli {
namespace {

// The weight init that suits an activation, from the activation catalogue: LeCun normal for SELU
// (self-normalisation assumes it), Xavier for the saturating ones, He (Kaiming) for the ReLU family
// and the rest.
std::string auto_init(const std::string& activation) {
  return xg::nn::activation_info(activation).init;
}

// `gain`: the nonlinearity after the layer, as nn::init::calculate_gain names it.
void init_linear(xg::nn::Linear& layer, const std::string& scheme, const std::string& gain,
                 xg::Generator& rng) {
  namespace init = xg::nn::init;
  if (scheme == "lecun") {
    init::lecun_normal_(layer.weight, rng);
  } else if (scheme == "xavier") {
    init::xavier_uniform_(layer.weight, init::calculate_gain(gain), rng);
  } else {
    init::kaiming_uniform_(layer.weight, 0.0, init::FanMode::FanIn, gain, rng);
  }
  init::zeros_(layer.bias);
}

}  // namespace

std::string init_gain(const std::string& activation) {
  return xg::nn::activation_info(activation).gain;
}

std::string resolved_init(const ModelSpec& spec) {
  return spec.init == "auto" ? auto_init(spec.activation) : spec.init;
}

std::shared_ptr<Model> build_model(const ModelSpec& spec, std::uint64_t seed) {
  xg::Generator rng(seed);
  const std::string scheme = resolved_init(spec);
  auto model = xg::io::build_mlp(spec);
  const auto& layers = model->children();
  for (std::size_t i = 0; i < layers.size(); i += 2) {  // Linear, activation, ..., Linear
    auto& layer = static_cast<xg::nn::Linear&>(*layers[i].second);
    if (i + 1 < layers.size())
      init_linear(layer, scheme, init_gain(spec.activation), rng);
    else  // the output layer
      init_linear(layer, scheme == "lecun" ? "lecun" : "xavier", "linear", rng);
  }
  return model;
}

// An optimizer of type Opt with the command line's learning rate and weight decay.
template <class Opt, class Options>
std::shared_ptr<xg::optim::Optimizer> make(const OptimSpec& spec, Model& model, Options o) {
  o.lr = spec.lr;
  o.weight_decay = spec.weight_decay;
  return std::make_shared<Opt>(model.parameters(), o);
}

std::shared_ptr<Optimizer> make_optimizer(const OptimSpec& spec, Model& model) {
  namespace optim = xg::optim;
  std::shared_ptr<optim::Optimizer> opt;
  if (spec.name == "sgd" || spec.name == "momentum") {
    optim::SGDOptions o;
    o.momentum = spec.name == "momentum" ? spec.momentum : 0.0;
    opt = make<optim::SGD>(spec, model, o);
  } else if (spec.name == "adam") {
    opt = make<optim::Adam>(spec, model, optim::AdamOptions{});
  } else if (spec.name == "adamw") {
    opt = make<optim::AdamW>(spec, model, optim::AdamWOptions{});
  } else if (spec.name == "rmsprop") {
    opt = make<optim::RMSprop>(spec, model, optim::RMSpropOptions{});
  } else if (spec.name == "adagrad") {
    opt = make<optim::Adagrad>(spec, model, optim::AdagradOptions{});
  } else {
    throw UsageError(fmt::format("unknown optimizer '{}' (see `xgrad list`)", spec.name));
  }
  return opt;
}

const std::vector<std::pair<std::string, std::string>>& optimizer_table() {
  static const std::vector<std::pair<std::string, std::string>> table{
      {"sgd", "plain stochastic gradient descent"},
      {"momentum", "SGD with momentum (--momentum, default 0.9)"},
      {"adam", "Adam (betas 0.9, 0.999; --weight-decay adds L2 to the gradient)"},
      {"adamw", "Adam with decoupled weight decay (--weight-decay)"},
      {"rmsprop", "RMSprop (alpha 0.99)"},
      {"adagrad", "Adagrad"},
  };
  return table;
}

std::vector<std::pair<std::string, std::string>> activation_table() {
  std::vector<std::pair<std::string, std::string>> table;
  for (const auto& info : xg::nn::activation_catalogue())
    table.emplace_back(info.name, info.description);
  return table;
}

xg::Tensor loss(const xg::Tensor& outputs, const xg::Tensor& targets, bool classification) {
  return classification ? xg::nn::cross_entropy(outputs, targets)
                        : xg::nn::mse_loss(outputs, targets);
}

}  // namespace xgcli
