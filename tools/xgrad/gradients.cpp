// `xgrad gradients`: the picture of vanishing and exploding gradients. A deep MLP per activation
// (the same data, init rule, optimizer and batches), the gradient norm of every weight matrix at
// init and after training, and a verdict (exploding norms, or the first/last ratio's).
//
//   xgrad gradients --depth 20 --width 64 --activation sigmoid,relu --init auto --steps 200
//                   [--batchnorm] [--residual] [--out DIR]
//
// The network: depth hidden layers Linear -> [BatchNorm1d] -> activation, then Linear(width, out).
// With --residual, hidden layers 2..depth are pre-activation residual blocks
// x + Linear(activation([BatchNorm1d](x))) (He et al. 2016), followed by [BatchNorm1d ->]
// activation before the output layer: the same number of weight matrices and activations. The
// data, optimizer and batch options are `xgrad train`'s, and so are the checks that stop a run
// (TrainingGuard): a run that diverges is reported, the others go on. With --out DIR:
// gradients.csv, loss.csv and, with gnuplot, gradients.png and loss.png.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <xgrad/core/random.hpp>
#include <xgrad/data/datasets.hpp>
#include <xgrad/diagnostics/probes.hpp>
#include <xgrad/nn/activation_registry.hpp>
#include <xgrad/nn/batchnorm.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/linear.hpp>
#include <xgrad/nn/residual.hpp>
#include <xgrad/nn/sequential.hpp>

#include "cli.hpp"
#include "lab.hpp"
#include "options.hpp"

namespace xgcli {
namespace {

using xg::Tensor;
using xg::diagnostics::GradientFlow;

struct GradientsOptions {
  TrainOptions run;  // train's data, optimizer and batch options
  std::size_t depth = 20, width = 64, steps = 200;
  std::string activations = "sigmoid,tanh,relu";
  std::string init = "auto";
  std::optional<double> init_std;  // --init normal: default 1
  bool batchnorm = false, residual = false;
  std::string out;
};

// --init for `activation`: auto resolves as in `xgrad train` (the activation catalogue's init).
std::string resolve_init(const std::string& init, const std::string& activation) {
  ModelSpec spec;
  spec.activation = activation;
  spec.init = init;
  return resolved_init(spec);
}

std::shared_ptr<xg::nn::Sequential> build(const GradientsOptions& o, std::size_t in,
                                          std::size_t out, const ActivationChoice& activation,
                                          std::vector<std::shared_ptr<xg::nn::Linear>>& linears) {
  namespace nn = xg::nn;
  auto linear = [&](std::size_t fan_in, std::size_t fan_out) {
    linears.push_back(std::make_shared<nn::Linear>(fan_in, fan_out));
    return linears.back();
  };
  auto norm_act = [&](nn::Sequential& s) {  // [BatchNorm1d ->] activation
    if (o.batchnorm) s.push_back(nn::BatchNorm1d(o.width));
    s.push_back(nn::make_activation<float>(activation.name, activation.params, o.width));
  };
  auto net = std::make_shared<nn::Sequential>();
  if (o.residual) {  // pre-activation blocks x + W act(x) keep an identity path for the gradient
    net->push_back(linear(in, o.width));
    for (std::size_t l = 1; l < o.depth; ++l) {
      auto block = std::make_shared<nn::Sequential>();
      norm_act(*block);
      block->push_back(linear(o.width, o.width));
      net->push_back(std::make_shared<nn::Residual>(block));
    }
    norm_act(*net);
  } else {
    for (std::size_t l = 0; l < o.depth; ++l) {
      net->push_back(linear(l ? o.width : in, o.width));
      norm_act(*net);
    }
  }
  net->push_back(linear(o.width, out));

  xg::Generator rng(o.run.seed);
  const std::string init = resolve_init(o.init, activation.name);
  if (init == "normal") {
    for (auto& l : linears) {
      xg::nn::init::normal_(l->weight, 0, o.init_std.value_or(1), rng);
      xg::nn::init::zeros_(l->bias);
    }
  } else {
    const auto scheme = init == "xavier"    ? nn::InitScheme::Xavier
                        : init == "kaiming" ? nn::InitScheme::Kaiming
                        : init == "lecun"   ? nn::InitScheme::LeCun
                                            : nn::InitScheme::Default;
    nn::init_model(*net, scheme, init_gain(activation.name), 0.0, rng);
  }
  return net;
}

struct Result {
  std::string activation, init;
  GradientFlow before, after;
  double loss_before = 0, loss_after = 0;
  std::vector<double> step_losses;  // NaN after a divergence
  std::size_t diverged_at = 0;      // the step TrainingGuard stopped; 0: none
  std::string failure;              // TrainingGuard's message
};

// A layer's ‖∇W‖ above this is an exploding gradient whatever the first/last ratio says: with a
// mean loss of order 1 and standardised inputs, healthy layers stay within ~10 (lab.md), and a
// norm of 100 at lr 0.1 moves the weights by 10 in one step.
constexpr double kExplodingNorm = 100;

// The verdict on a gradient flow with its loss: "exploding" when the loss or a layer's norm is
// not finite or a norm is above kExplodingNorm (the ratio of two huge norms can look "ok"),
// else the first/last ratio's (GradientFlow::verdict).
std::string verdict(const GradientFlow& flow, double loss) {
  double largest = 0;
  bool finite = std::isfinite(loss);
  for (const auto& layer : flow.layers) {
    finite = finite && std::isfinite(layer.second);
    largest = std::max(largest, layer.second);
  }
  if (!finite) return "exploding: non-finite";
  if (largest > kExplodingNorm) return fmt::format("exploding: max {:.1e}", largest);
  return flow.verdict();
}

// A cell of the per-layer table: "-" where nothing was measured (after a divergence).
std::string norm_cell(double v, bool measured) {
  return measured ? fmt::format("{:.2e}", unsigned_nan(v)) : "-";
}

// Trains o.steps mini-batches with TrainingGuard's checks. This is its own loop rather than
// fit(): the run is counted in steps (it may end inside an epoch) and records the loss of every
// step, which fit's per-epoch hook cannot give.
Result run_one(const GradientsOptions& o, const Prepared& p, const ActivationChoice& activation,
               Progress& progress) {
  const TrainOptions& t = o.run;
  std::vector<std::shared_ptr<xg::nn::Linear>> linears;
  auto net = build(o, p.features, p.classes ? p.classes : 1, activation, linears);
  Result r;
  r.activation = activation.label;
  r.init = resolve_init(o.init, activation.name);
  const auto opt = make_optimizer(t.optim, *net);
  r.before = training_gradient_flow(*net, p);
  r.loss_before = evaluate(*net, p, Part::Train).loss;
  TrainingGuard guard(*net, t);
  std::size_t step = 0;
  try {
    for (std::size_t epoch = 1; step < o.steps; ++epoch) {
      std::size_t in_epoch = 0;
      for (auto [xb, yb] :
           xg::data::batches(p.x_train, p.y_train, t.batch, t.seed * 7919 + epoch - 1)) {
        if (step == o.steps) break;
        ++step, ++in_epoch;
        opt->zero_grad();
        const Tensor l = loss((*net)(xb), yb, p.classes > 0);
        const double value = l.item();
        guard.loss(value, epoch, in_epoch);
        l.backward();
        guard.gradients(epoch, in_epoch);
        opt->step();
        r.step_losses.push_back(value);
        progress.live(
            fmt::format("{}: step {}/{}  loss {:.4f}", activation.label, step, o.steps, value));
      }
      guard.parameters(epoch);
    }
    r.loss_after = evaluate(*net, p, Part::Train).loss;
    guard.final_loss(r.loss_after);
  } catch (const TrainingFailed& e) {  // reported in the table; the others go on
    r.diverged_at = step;
    r.failure = e.what();
    r.step_losses.resize(o.steps, std::nan(""));
    r.loss_after = std::nan("");
    r.after = r.before;
    for (auto& layer : r.after.layers) layer.second = std::nan("");
    return r;
  }
  r.after = training_gradient_flow(*net, p);
  return r;
}

void write_files(const GradientsOptions& o, const std::vector<Result>& results) {
  std::string grads = "activation,when,layer,name,grad_norm\n", losses = "step";
  std::string layers = "layer";
  for (const Result& r : results) {
    for (const auto& [when, flow] : {std::pair{"init", &r.before}, {"trained", &r.after}})
      for (std::size_t l = 0; l < flow->layers.size(); ++l)
        grads += fmt::format("{},{},{},{},{}\n", r.activation, when, l + 1, flow->layers[l].first,
                             csv_number(flow->layers[l].second));
    losses += "," + r.activation;
    layers += fmt::format(",{0} at init,{0} trained", r.activation);
  }
  losses += "\n";
  for (std::size_t s = 0; s < o.steps; ++s) {
    losses += std::to_string(s + 1);
    for (const Result& r : results) losses += "," + csv_number(r.step_losses[s]);
    losses += "\n";
  }
  layers += "\n";
  for (std::size_t l = 0; l < results[0].before.layers.size(); ++l) {
    layers += std::to_string(l + 1);
    for (const Result& r : results)
      layers +=
          "," + csv_number(r.before.layers[l].second) + "," + csv_number(r.after.layers[l].second);
    layers += "\n";
  }
  write_output(o.out, "gradients.csv", grads);
  write_output(o.out, "loss.csv", losses);
  write_output(o.out, "plot_layers.csv", layers);
  const std::size_t n = results.size();
  const std::string net =
      fmt::format("depth {}, width {}{}{}", o.depth, o.width, o.batchnorm ? ", batch norm" : "",
                  o.residual ? ", residual" : "");
  std::string names;
  for (const Result& r : results) names += (names.empty() ? "" : " ") + r.activation;
  const std::string gp =
      fmt::format("names = '{}'\n", names) +
      fmt::format(
          "set terminal pngcairo size 900,560 font 'sans,10' noenhanced\n"
          "set datafile separator ','\nset grid\nset key outside right\n"
          "set output 'gradients.png.tmp'\n"
          "set title 'gradient norm of each weight matrix ({0}): at init (dashed), after {1} steps "
          "(solid)'\n"
          "set logscale y\nset format y '%.0e'\nset xlabel 'layer (1 = first)'\n"
          "set ylabel '||dL/dW||'\n"
          "plot for [a=0:{2}] 'plot_layers.csv' using 1:(column(2+2*a)) with linespoints dt 2 "
          "lc (a+1) pt 7 ps 0.6 notitle, for [a=0:{2}] '' using 1:(column(3+2*a)) with linespoints "
          "lw 2 lc (a+1) pt 7 ps 0.6 title word(names, a+1)\n"
          "set output 'loss.png.tmp'\nset title 'training loss per step ({0})'\n"
          "unset logscale y\nset format y '%g'\nset xlabel 'step'\nset ylabel 'loss (batch)'\n"
          "plot for [i=2:{3}] 'loss.csv' using 1:i with lines lw 1.5 title columnheader(i)\n",
          net, o.steps, n - 1, n + 1);
  write_output(o.out, "plots.gp", gp);
  fmt::print("\nfiles: gradients.csv, loss.csv in {}\n{}\n", o.out,
             render_plots(o.out, "plots.gp", {"gradients.png", "loss.png"}));
}

// The options checked against each other and the activations' names (the dataset defaults to
// spiral): the activations to compare.
std::vector<ActivationChoice> checked(GradientsOptions& o) {
  TrainOptions& t = o.run;
  if (t.data.dataset.empty() && t.data.csv.empty()) t.data.dataset = "spiral";
  check_data_options(t.data);
  if (o.init_std && o.init != "normal") throw UsageError("--init-std applies to --init normal");
  if (o.depth * o.width * o.width > kMaxLabWeights)
    throw UsageError(fmt::format(
        "--depth {} --width {}: {} x {}^2 = {} hidden weights, more than the limit {}", o.depth,
        o.width, o.depth, o.width, o.depth * o.width * o.width, kMaxLabWeights));
  return activation_choices(o.activations, "--activation");
}

int gradients(GradientsOptions& o) {
  TrainOptions& t = o.run;
  const std::vector<ActivationChoice> activations = checked(o);
  const Prepared p = load_data(t);
  if (!o.out.empty()) make_directory(o.out);

  fmt::print("data   {}: {} train\n", p.description, p.x_train.size(0));
  fmt::print("net    {} hidden layers of {}{}{}, init {}{}; {} lr {}, {} steps of batch {}\n\n",
             o.depth, o.width, o.batchnorm ? " with batch norm" : "",
             o.residual ? " in residual blocks" : "", o.init,
             o.init == "normal" ? fmt::format(" (std {})", o.init_std.value_or(1)) : "",
             t.optim.name, t.optim.lr, o.steps, t.batch);
  std::fflush(stdout);

  Progress progress;
  std::vector<Result> results;
  for (const auto& a : activations) {
    results.push_back(run_one(o, p, a, progress));
    const Result& r = results.back();
    progress.line(r.diverged_at ? fmt::format("{}: diverged at step {}: {}", r.activation,
                                              r.diverged_at, r.failure)
                                : fmt::format("{}: {} steps, loss {:.4f} -> {:.4f}", r.activation,
                                              o.steps, r.loss_before, r.loss_after));
  }
  progress.clear();

  fmt::print("gradient norm ||dL/dW|| per layer (1 = first hidden layer, {} = output layer)\n",
             o.depth + 1);
  // Columns as wide as their heads; the activation column as its longest label.
  std::vector<std::size_t> widths;
  std::size_t label_width = 14;
  for (const auto& r : results) {
    widths.push_back(std::max<std::size_t>(14, r.activation.size() + 8));
    label_width = std::max(label_width, r.activation.size());
  }
  fmt::print("{:>5}", "layer");
  for (std::size_t i = 0; i < results.size(); ++i)
    fmt::print("  {:>{}}  {:>{}}", results[i].activation + " init", widths[i],
               results[i].activation + " trained", widths[i]);
  fmt::print("\n");
  for (std::size_t l = 0; l < results[0].before.layers.size(); ++l) {
    fmt::print("{:>5}", l + 1);
    for (std::size_t i = 0; i < results.size(); ++i)
      fmt::print("  {:>{}}  {:>{}}", norm_cell(results[i].before.layers[l].second, true), widths[i],
                 norm_cell(results[i].after.layers[l].second, results[i].diverged_at == 0),
                 widths[i]);
    fmt::print("\n");
  }
  fmt::print("\n{:<{}} {:<8} {:<28} {:<28} {}\n", "activation", label_width, "init",
             "first/last at init", fmt::format("first/last after {} steps", o.steps),
             "training loss");
  for (const auto& r : results)
    fmt::print("{:<{}} {:<8} {:<28} {:<28} {}\n", r.activation, label_width, r.init,
               verdict(r.before, r.loss_before),
               r.diverged_at ? "diverged" : verdict(r.after, r.loss_after),
               r.diverged_at ? fmt::format("{:.4f} -> diverged at step {} (lower --lr)",
                                           unsigned_nan(r.loss_before), r.diverged_at)
                             : fmt::format("{:.4f} -> {:.4f}", r.loss_before, r.loss_after));
  if (!o.out.empty()) write_files(o, results);
  return 0;
}

}  // namespace

Subcommand add_gradients_command(CLI::App& app) {
  auto o = std::make_shared<GradientsOptions>();
  o->run.optim.name = "sgd";
  o->run.optim.lr = 0.1;
  CLI::App* cmd = app.add_subcommand(
      "gradients", "per-layer gradient norms of a deep MLP at init and after training");
  help_heading(cmd, "Network");
  typed(cmd, "--depth", o->depth, integer(1, kMaxDepth),
        fmt::format("hidden layers (default {})", o->depth));
  typed(cmd, "--width", o->width, integer(1, xg::io::kMaxLayerWidth),
        fmt::format("units per hidden layer (default {})", o->width));
  cmd->add_option("--activation,--activations", o->activations,
                  "an activation, or a comma-separated list (one network each); "
                  "hyper-parameters after the name: leaky_relu:negative_slope=0.2")
      ->type_name("LIST")
      ->capture_default_str();
  cmd->add_option("--init", o->init,
                  "auto (by activation, as in train), kaiming, xavier, lecun, default "
                  "(PyTorch's), normal (N(0, --init-std^2)); see `xgrad list`")
      ->check(CLI::IsMember({"auto", "kaiming", "xavier", "lecun", "default", "normal"}))
      ->type_name("NAME")
      ->capture_default_str();
  typed(cmd, "--init-std", o->init_std, real(0, std::numeric_limits<double>::max(), true),
        "standard deviation for --init normal (default 1)");
  cmd->add_flag("--batchnorm", o->batchnorm, "BatchNorm1d between each Linear and activation");
  cmd->add_flag("--residual", o->residual, "hidden layers 2.. as residual blocks x + W act(x)");
  add_training_options(cmd, o->run, kData | kOptimizer | kSteps);
  help_heading(cmd, "Training");
  typed(cmd, "--steps", o->steps, integer(1, kMaxSteps),
        fmt::format("training steps (mini-batches; default {})", o->steps));
  help_heading(cmd, "Output");
  cmd->add_option("--out", o->out, "write gradients.csv, loss.csv and PNG plots here")
      ->type_name("DIR");
  help_heading(cmd, "Options");
  return {cmd, [o] { checked(*o); }, [o] { return gradients(*o); }};
}

}  // namespace xgcli
