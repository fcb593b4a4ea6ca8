// The activation lab: seven experiments on the training problems activations cause or cure,
// each a function from a configuration to its measured result. The examples lab_*.cpp run them
// at full size and print tables; tests/test_lab.cpp runs them on small configurations and asserts
// each claim. Everything here uses xgrad's public API only (diagnostics:: does the measuring).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <xgrad/xgrad.hpp>

namespace lab {

using xg::Array;
using xg::Tensor;
namespace nn = xg::nn;
namespace diag = xg::diagnostics;

// ---- shared pieces -----------------------------------------------------------------------------

// A classification set with standardised features.
struct Data {
  Tensor x, y;
  std::size_t classes = 2;
};
inline Data standardised(xg::data::Dataset d, std::size_t classes) {
  xg::data::Standardizer scaler;
  return {scaler.fit_transform(d.x), d.y, classes};
}

// How the Linear layers of an MLP start.
struct Init {
  nn::InitScheme scheme = nn::InitScheme::Default;  // Default, Kaiming (He), Xavier, LeCun
  std::string gain = "linear";  // calculate_gain's nonlinearity for Kaiming and Xavier
  double normal_std = 0;        // > 0: N(0, normal_std²) weights instead of `scheme`
  double bias = 0;              // every bias (Default draws the biases itself)
};

// in -> widths... -> out with `activation` after every hidden Linear; with `batchnorm`, a
// BatchNorm1d between each hidden Linear and its activation; with `residual`, hidden layers 2..
// are pre-activation residual blocks x + Linear(activation([BatchNorm1d](x))) and the last one is
// followed by [BatchNorm1d ->] activation (the same count of Linear layers and activations).
struct MLP {
  std::size_t in = 2, out = 2;
  std::vector<std::size_t> widths{32};
  std::string activation = "relu";
  Init init;
  bool batchnorm = false, residual = false;
};
inline std::shared_ptr<nn::Sequential> build(const MLP& m, std::uint64_t seed) {
  std::vector<std::shared_ptr<nn::Linear>> linears;
  auto linear = [&](std::size_t in, std::size_t out) {
    linears.push_back(std::make_shared<nn::Linear>(in, out));
    return linears.back();
  };
  auto norm_act = [&](nn::Sequential& s, std::size_t width) {
    if (m.batchnorm) s.push_back(nn::BatchNorm1d(width));
    s.push_back(nn::make_activation<float>(m.activation, {}, width));
  };
  auto net = std::make_shared<nn::Sequential>();
  std::size_t width = m.in;
  for (std::size_t l = 0; l < m.widths.size(); ++l) {
    if (m.residual && l > 0 && m.widths[l] == width) {
      auto block = std::make_shared<nn::Sequential>();
      norm_act(*block, width);
      block->push_back(linear(width, width));
      net->push_back(std::make_shared<nn::Residual>(block));
      continue;
    }
    net->push_back(linear(width, m.widths[l]));
    width = m.widths[l];
    if (!m.residual) norm_act(*net, width);
  }
  if (m.residual && !m.widths.empty()) norm_act(*net, width);
  net->push_back(linear(width, m.out));

  xg::Generator rng(seed);
  if (m.init.normal_std > 0) {
    for (auto& l : linears) {
      nn::init::normal_(l->weight, 0, m.init.normal_std, rng);
      nn::init::constant_(l->bias, m.init.bias);
    }
  } else {
    nn::init_model(*net, m.init.scheme, m.init.gain, m.init.bias, rng);
  }
  return net;
}

inline double cross_entropy_on(nn::Module& net, const Data& d) {
  xg::NoGradGuard no_grad;
  return nn::cross_entropy(net(d.x), d.y).item();
}
inline double accuracy_on(nn::Module& net, const Data& d) {
  xg::NoGradGuard no_grad;
  return xg::metrics::accuracy(net(d.x), d.y);
}

// `steps` mini-batch SGD steps (epochs of shuffled batches, cycling); returns the loss of each
// step (a non-finite loss ends training early).
inline std::vector<double> train_sgd(nn::Module& net, const Data& d, std::size_t steps, double lr,
                                     std::size_t batch, std::uint64_t seed, double momentum = 0) {
  xg::optim::SGD opt(net.parameters(), {lr, momentum});
  std::vector<double> losses;
  for (std::uint64_t epoch = 0; losses.size() < steps; ++epoch)
    for (auto [xb, yb] : xg::data::batches(d.x, d.y, batch, seed * 1000003 + epoch)) {
      if (losses.size() == steps) break;
      opt.zero_grad();
      Tensor loss = nn::cross_entropy(net(xb), yb);
      loss.backward();
      opt.step();
      losses.push_back(loss.item());
      if (!std::isfinite(losses.back())) return losses;
    }
  return losses;
}

// ---- 1. without a non-linearity, depth does not help ------------------------------------------

struct LinearityConfig {
  std::vector<std::size_t> identity_depths{1, 2, 4};  // hidden layers of the identity nets
  std::size_t width = 8, epochs = 400, triangles = 600;
  double lr = 0.05;  // Adam, full batch
  std::uint64_t seed = 1;
};
struct LinearityRow {
  std::string net;  // "identity x2", "tanh x1"
  double xor_accuracy = 0, triangles_accuracy = 0;
};
inline double fit_accuracy(const MLP& m, const Data& d, const LinearityConfig& c) {
  auto net = build(m, c.seed);
  xg::optim::Adam opt(net->parameters(), {c.lr});
  for (std::size_t e = 0; e < c.epochs; ++e) {
    opt.zero_grad();
    nn::cross_entropy((*net)(d.x), d.y).backward();
    opt.step();
  }
  return accuracy_on(*net, d);
}
// Training accuracy on the four XOR points and on triangles inside circles, for identity nets of
// several depths and for one hidden layer of tanh or sigmoid.
inline std::vector<LinearityRow> linearity(const LinearityConfig& c = {}) {
  const Data xor4 = standardised(xg::data::xor_gate(), 2);
  const Data tri = standardised(xg::data::triangles_vs_circles(c.triangles, c.seed), 2);
  std::vector<LinearityRow> rows;
  auto add = [&](const std::string& act, std::size_t depth) {
    MLP m;
    m.widths.assign(depth, c.width);
    m.activation = act;
    m.init = {nn::InitScheme::Xavier, act == "tanh" ? "tanh" : "linear"};
    rows.push_back(
        {act + " x" + std::to_string(depth), fit_accuracy(m, xor4, c), fit_accuracy(m, tri, c)});
  };
  for (std::size_t depth : c.identity_depths) add("identity", depth);
  add("tanh", 1);
  add("sigmoid", 1);
  return rows;
}

// ---- 2. vanishing gradients and their cures ---------------------------------------------------

struct VanishingConfig {
  std::size_t depth = 15, width = 32, steps = 300, batch = 128, points_per_class = 200;
  double lr = 0.1;  // plain SGD
  std::uint64_t seed = 1;
};
struct VanishingRow {
  std::string net;               // "sigmoid (Xavier)", "relu (He)", "sigmoid + BatchNorm1d", ...
  diag::GradientFlow init_flow;  // the full-batch gradient at init
  double loss_start = 0, loss_end = 0;  // full-batch loss before and after training
  std::vector<double> step_losses;      // the mini-batch loss of every step
};
inline std::vector<VanishingRow> vanishing(const VanishingConfig& c = {}) {
  const Data d = standardised(xg::data::spiral(c.points_per_class, 3, c.seed), 3);
  std::vector<VanishingRow> rows;
  auto run = [&](const std::string& label, MLP m) {
    m.in = 2;
    m.out = 3;
    m.widths.assign(c.depth, c.width);
    auto net = build(m, c.seed);
    VanishingRow r{label, {}, cross_entropy_on(*net, d), 0, {}};
    nn::cross_entropy((*net)(d.x), d.y).backward();
    r.init_flow = diag::gradient_flow(*net);
    net->zero_grad();
    r.step_losses = train_sgd(*net, d, c.steps, c.lr, c.batch, c.seed);
    r.loss_end = cross_entropy_on(*net, d);
    rows.push_back(r);
  };
  const Init xavier{nn::InitScheme::Xavier, "sigmoid"}, he{nn::InitScheme::Kaiming, "relu"};
  run("sigmoid (Xavier)", {2, 3, {}, "sigmoid", xavier, false, false});
  run("relu (He)", {2, 3, {}, "relu", he, false, false});
  run("sigmoid + BatchNorm1d", {2, 3, {}, "sigmoid", xavier, true, false});
  run("sigmoid + residual", {2, 3, {}, "sigmoid", xavier, false, true});
  return rows;
}

// ---- 3. dead ReLUs ----------------------------------------------------------------------------

struct DeadConfig {
  std::vector<std::size_t> widths{64, 64};
  std::size_t points_per_class = 300, epochs = 20, batch = 64;
  double good_lr = 0.01, lr_factor = 10;  // Adam; the too-large rate is good_lr * lr_factor
  std::size_t init_seeds = 20;            // nets compared for the bias at init
  std::uint64_t seed = 1;
};
struct DeadRow {
  std::string activation;
  double lr = 0;
  double dead = 0;  // fraction of hidden units that output 0 for every training point, at the end
  double accuracy = 0;
  bool diverged = false;  // the loss became NaN/Inf (then `dead` means nothing)
};
struct DeadResult {
  std::vector<DeadRow> rows;
  // Dead fraction right after init (He, before any step), mean over init_seeds nets, with every
  // bias 0 and with every bias 0.1.
  double dead_at_init_bias0 = 0, dead_at_init_bias01 = 0;
};
// MLPs on three spirals trained with Adam at a good learning rate and at one lr_factor larger.
inline DeadResult dead_relus(const DeadConfig& c = {}) {
  const Data d = standardised(xg::data::spiral(c.points_per_class, 3, c.seed), 3);
  const Init he{nn::InitScheme::Kaiming, "relu"};
  DeadResult result;
  auto run = [&](const std::string& act, double lr) {
    auto net = build({2, 3, c.widths, act, he, false, false}, c.seed);
    xg::optim::Adam opt(net->parameters(), {lr});
    DeadRow r{act, lr, 0, 0, false};
    for (std::size_t e = 0; e < c.epochs && !r.diverged; ++e)
      for (auto [xb, yb] : xg::data::batches(d.x, d.y, c.batch, c.seed * 1000003 + e)) {
        opt.zero_grad();
        Tensor loss = nn::cross_entropy((*net)(xb), yb);
        loss.backward();
        opt.step();
        if (!std::isfinite(loss.item())) r.diverged = true;
      }
    r.dead = diag::dead_fraction(diag::dead_units(*net, d.x));
    r.accuracy = accuracy_on(*net, d);
    result.rows.push_back(r);
  };
  run("relu", c.good_lr);
  for (const char* act : {"relu", "leaky_relu", "prelu", "elu"}) run(act, c.good_lr * c.lr_factor);

  for (std::size_t s = 0; s < c.init_seeds; ++s)
    for (double bias : {0.0, 0.1}) {
      Init init = he;
      init.bias = bias;
      auto net = build({2, 3, c.widths, "relu", init, false, false}, c.seed + s);
      (bias == 0 ? result.dead_at_init_bias0 : result.dead_at_init_bias01) +=
          diag::dead_fraction(diag::dead_units(*net, d.x)) / double(c.init_seeds);
    }
  return result;
}

// ---- 4. half of the ReLU outputs are 0 after a zero-centred init ------------------------------

struct SparsityConfig {
  std::size_t inputs = 1000, features = 32, width = 256;
  std::uint64_t seed = 1;
};
struct SparsityResult {
  double zero_fraction = 0;  // of the ReLU layer's outputs
  double mean = 0, std = 0;  // of the same outputs
  Tensor outputs;            // [inputs, width]
};
// Linear(features, width) with PyTorch's zero-centred uniform init, then ReLU, on N(0, 1)
// inputs: measured by a diagnostics::Monitor during one forward pass.
inline SparsityResult relu_sparsity(const SparsityConfig& c = {}) {
  xg::manual_seed(c.seed);
  nn::Sequential net(nn::Linear(c.features, c.width), nn::ReLU());
  diag::Monitor monitor(net);
  const Tensor outputs = net(Tensor::randn({c.inputs, c.features}, c.seed));
  monitor.step();
  const diag::LayerStats& relu = monitor.records().back().layers.at(1);
  return {relu.zero_fraction, relu.mean, relu.std, outputs.detach()};
}

// ---- 5. PReLU's learned slopes per layer ------------------------------------------------------

struct PReLUConfig {
  std::vector<std::size_t> widths{32, 32, 32, 32};
  std::size_t points_per_class = 200, epochs = 150, batch = 64;
  double lr = 5e-3;  // Adam
  std::uint64_t seed = 1;
};
struct PReLULayer {
  std::string name;
  double mean = 0, min = 0, max = 0;  // of the layer's alphas (0.25 at init)
};
// A 4-hidden-layer PReLU net (one alpha per channel) on three spirals.
inline std::vector<PReLULayer> prelu_slopes(const PReLUConfig& c = {}) {
  const Data d = standardised(xg::data::spiral(c.points_per_class, 3, c.seed), 3);
  MLP m{2, 3, c.widths, "prelu", {nn::InitScheme::Kaiming, "relu"}, false, false};
  auto net = build(m, c.seed);
  xg::optim::Adam opt(net->parameters(), {c.lr});
  for (std::size_t e = 0; e < c.epochs; ++e)
    for (auto [xb, yb] : xg::data::batches(d.x, d.y, c.batch, c.seed * 1000003 + e)) {
      opt.zero_grad();
      nn::cross_entropy((*net)(xb), yb).backward();
      opt.step();
    }
  std::vector<PReLULayer> layers;
  for (auto& [name, layer] : diag::named_layers(*net)) {
    if (layer->activation_name() != "prelu") continue;
    const auto alphas = layer->parameters().at(0).to_vector();
    PReLULayer l{name, 0, alphas[0], alphas[0]};
    for (float a : alphas) {
      l.mean += a / double(alphas.size());
      l.min = std::min<double>(l.min, a);
      l.max = std::max<double>(l.max, a);
    }
    layers.push_back(l);
  }
  return layers;
}

// ---- 6. zero-centred outputs: tanh against sigmoid ---------------------------------------------

struct CentringConfig {
  std::vector<std::size_t> widths{32, 32};
  std::size_t seeds = 5, samples = 1000, max_epochs = 200, batch = 64;
  double lr = 0.05, target_loss = 0.3;  // plain SGD
  std::uint64_t first_seed = 1;
};
struct CentringRow {
  std::string activation;
  std::vector<std::size_t> epochs_to_target;  // per seed; 0: not reached in max_epochs
};
// The same net, init rule (Xavier with gain 1) and batches, on two moons: epochs until the
// training loss (full batch, after each epoch) is at or below the target.
inline std::vector<CentringRow> zero_centred(const CentringConfig& c = {}) {
  const Data d = standardised(xg::data::two_moons(c.samples, 0.1, c.first_seed), 2);
  std::vector<CentringRow> rows;
  for (const char* act : {"tanh", "sigmoid"}) {
    CentringRow row{act, {}};
    for (std::size_t s = 0; s < c.seeds; ++s) {
      const std::uint64_t seed = c.first_seed + s;
      MLP m{2, 2, c.widths, act, {nn::InitScheme::Xavier, "linear"}, false, false};
      auto net = build(m, seed);
      xg::optim::SGD opt(net->parameters(), {c.lr});
      std::size_t reached = 0;
      for (std::size_t e = 1; e <= c.max_epochs && !reached; ++e) {
        for (auto [xb, yb] : xg::data::batches(d.x, d.y, c.batch, seed * 1000003 + e)) {
          opt.zero_grad();
          nn::cross_entropy((*net)(xb), yb).backward();
          opt.step();
        }
        if (cross_entropy_on(*net, d) <= c.target_loss) reached = e;
      }
      row.epochs_to_target.push_back(reached);
    }
    rows.push_back(row);
  }
  return rows;
}

// ---- 7. saturation from a too-large init ------------------------------------------------------

struct SaturationConfig {
  std::vector<std::size_t> widths{256, 256};
  std::size_t samples = 600, features = 256, steps = 200, batch = 64;
  double blob_std = 12, large_std = 5, lr = 0.05;  // plain SGD
  std::uint64_t seed = 1;
};
struct SaturationRow {
  std::string init;
  // Fraction of the hidden sigmoid outputs with |f'(x)| < 1e-3 on the training set, at init and
  // after training (all hidden layers have the same width: the mean over layers).
  double saturated_start = 0, saturated_end = 0;
  double hidden_change = 0;  // mean over hidden Linear layers of ‖W_end - W_init‖ / ‖W_init‖
  double loss_start = 0, loss_end = 0, accuracy = 0;
  std::vector<double> step_losses;  // the mini-batch loss of every step
};
inline double mean_saturation(nn::Module& net, const Data& d) {
  diag::Monitor monitor(net);  // one recorded forward pass
  net(d.x);
  monitor.step();
  double sum = 0, layers = 0;
  for (const auto& layer : monitor.records().back().layers)
    if (!std::isnan(layer.saturated_fraction)) {
      sum += layer.saturated_fraction;
      ++layers;
    }
  return sum / layers;
}
// Sigmoid MLPs on three overlapping Gaussian blobs in `features` dimensions (standardised),
// initialised with N(0, large_std²) weights or with Xavier's rule.
inline std::vector<SaturationRow> saturation(const SaturationConfig& c = {}) {
  const Data d = standardised(xg::data::blobs(c.samples, 3, c.blob_std, c.seed, c.features), 3);
  std::vector<SaturationRow> rows;
  auto run = [&](const std::string& label, const Init& init) {
    auto net = build({c.features, 3, c.widths, "sigmoid", init, false, false}, c.seed);
    std::vector<Tensor> hidden;  // the Linear weights before a sigmoid
    for (const auto& [name, p] : net->named_parameters())
      if (p.dim() == 2) hidden.push_back(p);
    hidden.pop_back();  // the output layer
    std::vector<Array<float>> start;
    for (const Tensor& w : hidden) start.push_back(w.data());
    SaturationRow r{label, mean_saturation(*net, d), 0, 0, cross_entropy_on(*net, d), 0, 0, {}};
    r.step_losses = train_sgd(*net, d, c.steps, c.lr, c.batch, c.seed);
    r.saturated_end = mean_saturation(*net, d);
    for (std::size_t i = 0; i < hidden.size(); ++i) {
      double moved = 0, size = 0;
      const float *now = hidden[i].data().data(), *was = start[i].data();
      for (std::size_t j = 0; j < start[i].size(); ++j) {
        moved += (double(now[j]) - was[j]) * (double(now[j]) - was[j]);
        size += double(was[j]) * was[j];
      }
      r.hidden_change += std::sqrt(moved / size) / double(hidden.size());
    }
    r.loss_end = cross_entropy_on(*net, d);
    r.accuracy = accuracy_on(*net, d);
    rows.push_back(r);
  };
  run(fmt::format("std {}", c.large_std), {nn::InitScheme::Default, "linear", c.large_std});
  run("Xavier", {nn::InitScheme::Xavier, "sigmoid"});
  return rows;
}

}  // namespace lab
