// `xgrad`: train small MLPs on toy datasets or a CSV table, evaluate saved models, list what is
// available. See docs/data_io_cli.md.
//
//   xgrad train --dataset spiral --hidden 64,64 --activation prelu --optimizer adam --lr 1e-2
//               --epochs 300 --batch 128 --seed 1 --save model.safetensors
//   xgrad eval --model model.safetensors
//   xgrad list
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <xgrad/core/autograd.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/ops/linalg.hpp>
#include <xgrad/ops/pointwise.hpp>
#include <xgrad/ops/reduce.hpp>
#include <xgrad/ops/shape.hpp>

#include "cli.hpp"

using namespace xgcli;
using xg::Tensor;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string human_rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

// Loss and quality of `model` on (x, y), without recording a graph, in batches of 1024.
struct Evaluation {
  double loss = 0;
  double accuracy = 0;  // classification
  double rmse = 0;      // regression, in the target's units
  std::vector<std::int64_t> predicted;
};
Evaluation evaluate(Model& model, const Tensor& x, const Tensor& y, const Prepared& p) {
  xg::NoGradGuard no_grad;
  model.eval();
  Evaluation e;
  xg::metrics::RunningMean loss, sq;
  for (auto [xb, yb] : xg::data::batches(x, y, 1024)) {
    const Tensor out = model(xb);
    loss.add(xgcli::loss(out, yb, p.classes > 0), xb.size(0));
    if (p.classes) {
      const auto pred = xg::metrics::predictions(out);
      e.predicted.insert(e.predicted.end(), pred.begin(), pred.end());
    } else {
      const Tensor d = out - yb;
      sq.add((d * d).mean().item() * p.target_std * p.target_std, xb.size(0));
    }
  }
  model.train();
  e.loss = loss.mean();
  if (p.classes)
    e.accuracy = xg::metrics::accuracy(e.predicted, xg::metrics::labels_of(y));
  else
    e.rmse = std::sqrt(sq.mean());
  return e;
}

std::string quality(const Evaluation& e, bool classification) {
  return classification ? fmt::format("accuracy {:6.2f}%", 100 * e.accuracy)
                        : fmt::format("rmse {:.4g}", e.rmse);
}

struct TrainOptions {
  DataSpec data;
  ModelSpec model;
  OptimSpec optim;
  std::string hidden = "64,64";
  std::vector<std::string> act_params;
  std::size_t epochs = 300, batch = 128, log_every = 0;
  std::uint64_t seed = 1;
  std::string save;
  bool quiet = false;
};

// Checks the options, parses --hidden/--act-param, and loads, splits and standardises the data.
Prepared prepare_run(TrainOptions& o) {
  if (o.data.dataset.empty() == o.data.csv.empty())
    throw UsageError("give either --dataset NAME or --csv FILE --target COLUMN");
  if (!o.data.csv.empty() && o.data.target.empty()) throw UsageError("--csv needs --target COLUMN");
  if (!(o.optim.lr > 0) || !std::isfinite(o.optim.lr))
    throw UsageError(fmt::format("--lr must be > 0, got {}", o.optim.lr));
  if (o.optim.weight_decay < 0)
    throw UsageError(fmt::format("--weight-decay must be >= 0, got {}", o.optim.weight_decay));
  o.model.hidden = parse_sizes(o.hidden, "--hidden");
  o.model.act_params = parse_params(o.act_params);
  if (o.data.seed == 0) o.data.seed = o.seed;

  Prepared p = prepare(o.data);
  o.model.in = p.features;
  o.model.out = p.classes > 0 ? p.classes : 1;
  return p;
}

struct Fit {
  double seconds = 0;
  std::size_t seen = 0;  // examples processed
};

// Trains for o.epochs, printing progress unless o.quiet.
Fit fit(Model& model, Optimizer& opt, const Prepared& p, const TrainOptions& o) {
  const bool classification = p.classes > 0;
  const bool tty = ::isatty(::fileno(stdout));
  const std::size_t log_every = o.log_every ? o.log_every : std::max<std::size_t>(1, o.epochs / 10);

  const auto t0 = Clock::now();
  auto last_print = t0;
  std::size_t seen = 0;
  double epoch_loss = 0, epoch_quality = 0;
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    xg::metrics::RunningMean loss;
    std::size_t correct = 0;
    double sq = 0;
    for (auto [xb, yb] :
         xg::data::batches(p.x_train, p.y_train, o.batch, o.seed * 1000003 + epoch)) {
      opt.zero_grad();
      const Tensor out = model(xb);
      const Tensor l = xgcli::loss(out, yb, classification);
      l.backward();
      opt.step();
      const double lv = l.item();
      if (!std::isfinite(lv))
        throw UsageError(fmt::format("the loss became {} at epoch {}: lower --lr (now {})", lv,
                                     epoch, o.optim.lr));
      loss.add(lv, xb.size(0));
      if (classification) {
        const auto pred = xg::metrics::predictions(out);
        const auto lab = xg::metrics::labels_of(yb);
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == lab[i];
      } else {
        sq += lv * double(xb.size(0));
      }
      seen += xb.size(0);
    }
    epoch_loss = loss.mean();
    const double n = double(p.x_train.size(0));
    epoch_quality = classification ? double(correct) / n : std::sqrt(sq / n) * p.target_std;
    const double elapsed = seconds_since(t0);
    const std::string line =
        fmt::format("epoch {:>{}}/{}  loss {:.4f}  {}  {} ex/s", epoch,
                    fmt::formatted_size("{}", o.epochs), o.epochs, epoch_loss,
                    classification ? fmt::format("acc {:6.2f}%", 100 * epoch_quality)
                                   : fmt::format("rmse {:.4g}", epoch_quality),
                    human_rate(double(seen) / std::max(elapsed, 1e-9)));
    if (o.quiet) continue;
    if (tty) {  // one live line, at most ~20 redraws a second
      if (epoch == o.epochs || seconds_since(last_print) > 0.05) {
        fmt::print("\r{}\x1b[K", line);
        std::fflush(stdout);
        last_print = Clock::now();
      }
    } else if (epoch % log_every == 0 || epoch == 1 || epoch == o.epochs) {
      fmt::print("{}\n", line);
      std::fflush(stdout);
    }
  }
  if (tty && !o.quiet) fmt::print("\n");
  return {seconds_since(t0), seen};
}

int train(TrainOptions& o) {
  const Prepared p = prepare_run(o);
  const bool classification = p.classes > 0;
  auto model = build_model(o.model, o.seed);
  Optimizer opt = make_optimizer(o.optim, *model);
  fmt::print("data   {}: {} train / {} test\n", p.description, p.x_train.size(0), p.x_test.size(0));
  std::string hidden;
  for (auto h : o.model.hidden) hidden += fmt::format("{} -> ", h);
  fmt::print("model  {} -> {}{} ({} activation, {} parameters)\n", o.model.in, hidden, o.model.out,
             o.model.activation, model->num_parameters());
  fmt::print("optim  {} lr={} weight_decay={}, {} epochs, batch {}\n", o.optim.name, o.optim.lr,
             o.optim.weight_decay, o.epochs, o.batch);
  std::fflush(stdout);
  const Fit f = fit(*model, opt, p, o);
  const double train_time = f.seconds;
  const std::size_t seen = f.seen;

  const Evaluation tr = evaluate(*model, p.x_train, p.y_train, p);
  const Evaluation te = evaluate(*model, p.x_test, p.y_test, p);
  fmt::print("\nfinal  train {}  loss {:.4f}\n", quality(tr, classification), tr.loss);
  fmt::print("       test  {}  loss {:.4f}\n", quality(te, classification), te.loss);
  fmt::print("       {} epochs in {:.3f} s ({} ex/s), {} parameters\n", o.epochs, train_time,
             human_rate(double(seen) / std::max(train_time, 1e-9)), model->num_parameters());
  if (!o.save.empty()) {
    auto md = to_metadata(o.data, o.model, o.optim, p);
    md["xgrad.epochs"] = std::to_string(o.epochs);
    md["xgrad.train_" + std::string(classification ? "accuracy" : "rmse")] =
        fmt::format("{:.6g}", classification ? tr.accuracy : tr.rmse);
    md["xgrad.test_" + std::string(classification ? "accuracy" : "rmse")] =
        fmt::format("{:.6g}", classification ? te.accuracy : te.rmse);
    xg::io::save(*model, o.save, md);
    fmt::print("saved  {} (safetensors; `xgrad eval --model {}`)\n", o.save, o.save);
  }
  return 0;
}

int eval(const std::string& path, const std::string& csv) {
  const auto info = xg::io::inspect(path);
  DataSpec d;
  ModelSpec m;
  xg::data::Standardizer scaler;
  std::pair<double, double> target;
  from_metadata(info.metadata, path, d, m, scaler, target);
  auto model = build_model(m, 0);
  xg::io::load(*model, path);
  fmt::print("model  {}: {} -> {} -> {} ({}), {} parameters\n", path, m.in,
             info.metadata.at("xgrad.hidden"), m.out, m.activation, model->num_parameters());

  Prepared p;
  if (!csv.empty()) {  // a new table: every row is evaluated, with the training statistics
    d.csv = csv;
    auto data = xg::data::load_csv(
        csv, d.target,
        d.task == "classification" ? xg::data::Task::Classification : xg::data::Task::Regression);
    if (data.x.size(1) != m.in)
      throw UsageError(fmt::format("{} has {} feature columns but the model takes {}", csv,
                                   data.x.size(1), m.in));
    p.classes = data.classes;
    p.target_mean = target.first, p.target_std = target.second;
    p.x_test = scaler.transform(data.x);
    p.y_test = data.y;
    if (!p.classes)
      p.y_test = xg::data::Standardizer({target.first}, {target.second}).transform(data.y);
    const Evaluation e = evaluate(*model, p.x_test, p.y_test, p);
    fmt::print("data   {} ({} rows)\n       {}  loss {:.4f}\n", csv, data.size(),
               quality(e, p.classes > 0), e.loss);
    if (p.classes && p.classes == m.out)
      fmt::print("\n{}", xg::metrics::confusion_matrix(e.predicted,
                                                       xg::metrics::labels_of(p.y_test), p.classes)
                             .str());
    return 0;
  }
  p = prepare(d, &scaler, &target);
  const bool classification = p.classes > 0;
  fmt::print("data   {}: {} train / {} test (the training split, rebuilt from the metadata)\n",
             p.description, p.x_train.size(0), p.x_test.size(0));
  const Evaluation tr = evaluate(*model, p.x_train, p.y_train, p);
  const Evaluation te = evaluate(*model, p.x_test, p.y_test, p);
  fmt::print("train  {}  loss {:.4f}\n", quality(tr, classification), tr.loss);
  fmt::print("test   {}  loss {:.4f}\n", quality(te, classification), te.loss);
  if (classification)
    fmt::print(
        "\ntest confusion matrix (rows: true class, columns: predicted)\n{}",
        xg::metrics::confusion_matrix(te.predicted, xg::metrics::labels_of(p.y_test), p.classes)
            .str());
  return 0;
}

int list() {
  fmt::print("datasets (xgrad train --dataset NAME):\n");
  for (const auto& d : dataset_table()) fmt::print("  {:<12} {}\n", d.name, d.description);
  fmt::print("\nactivations (--activation NAME, parameters with --act-param key=value):\n");
  for (const auto& [name, doc] : activation_table()) fmt::print("  {:<17} {}\n", name, doc);
  fmt::print("\noptimizers (--optimizer NAME):\n");
  for (const auto& [name, doc] : optimizer_table()) fmt::print("  {:<12} {}\n", name, doc);
  fmt::print("\ninitialisers (--init NAME): auto (by activation), kaiming, xavier, lecun\n");
  return 0;
}

}  // namespace

// The options of `train`: data, model, optimizer, schedule.
void add_training_options(CLI::App* cmd, TrainOptions& t) {
  auto* ds =
      cmd->add_option("--dataset", t.data.dataset, "spiral|moons|circles|xor|blobs|triangles");
  auto* csv = cmd->add_option("--csv", t.data.csv, "train on a numeric CSV table with a header row")
                  ->check(CLI::ExistingFile);
  ds->excludes(csv);
  cmd->add_option("--target", t.data.target, "the CSV column to predict")->needs(csv);
  cmd->add_option("--task", t.data.task, "CSV: auto|classification|regression")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--samples", t.data.samples,
                  "dataset size (spiral: per class); default per dataset");
  cmd->add_option("--noise", t.data.noise, "dataset noise (blobs: std); default per dataset");
  cmd->add_option("--classes", t.data.classes, "spiral arms / blob centres (default 3)");
  cmd->add_option("--factor", t.data.factor, "circles: inner radius in (0, 1)")
      ->capture_default_str();
  cmd->add_option("--test-fraction", t.data.test_fraction, "held-out fraction")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--data-seed", t.data.seed, "seed of the data and the split (default: --seed)");
  t.data.seed = 0;
  cmd->add_option("--hidden", t.hidden, "hidden layer widths, comma separated ('none': linear)")
      ->capture_default_str();
  cmd->add_option("--activation", t.model.activation, "any name from `xgrad list`")
      ->capture_default_str();
  cmd->add_option("--act-param", t.act_params, "activation parameter key=value (repeatable)");
  cmd->add_option("--init", t.model.init, "weight init")
      ->check(CLI::IsMember({"auto", "kaiming", "xavier", "lecun"}))
      ->capture_default_str();
  cmd->add_option("--optimizer", t.optim.name, "sgd|momentum|adam|adamw|rmsprop|adagrad")
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"}))
      ->capture_default_str();
  cmd->add_option("--lr", t.optim.lr, "learning rate (> 0)")->capture_default_str();
  cmd->add_option("--weight-decay", t.optim.weight_decay, "L2 / decoupled weight decay")
      ->capture_default_str();
  cmd->add_option("--momentum", t.optim.momentum, "momentum for --optimizer momentum")
      ->capture_default_str();
  cmd->add_option("--epochs", t.epochs, "passes over the training set")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", t.batch, "mini-batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--seed", t.seed, "seed of the init and the batch order")->capture_default_str();
}

int main(int argc, char** argv) {
  CLI::App app{"xgrad: train and evaluate small neural networks from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xgrad 0.1.0");

  TrainOptions t;
  auto* train_cmd = app.add_subcommand("train", "train an MLP on a toy dataset or a CSV table");
  add_training_options(train_cmd, t);
  train_cmd->add_option("--save", t.save, "write the model (safetensors) here");
  train_cmd->add_option("--log-every", t.log_every,
                        "when stdout is not a terminal, print every N epochs (default epochs/10)");
  train_cmd->add_flag("--quiet", t.quiet, "no per-epoch lines, only the summary");

  const Subcommand compare_cmd = add_compare_command(app);      // compare.cpp
  const Subcommand gradients_cmd = add_gradients_command(app);  // gradients.cpp

  std::string model_path, eval_csv;
  auto* eval_cmd = app.add_subcommand("eval", "evaluate a model saved by `xgrad train --save`");
  eval_cmd->add_option("--model", model_path, "the .safetensors file")
      ->required()
      ->check(CLI::ExistingFile);
  eval_cmd
      ->add_option("--csv", eval_csv,
                   "evaluate on this table (same columns) instead of the training split")
      ->check(CLI::ExistingFile);

  auto* list_cmd = app.add_subcommand("list", "list datasets, activations, optimizers");

  CLI11_PARSE(app, argc, argv);
  try {
    if (train_cmd->parsed()) return train(t);
    if (compare_cmd.command->parsed()) return compare_cmd.run();
    if (gradients_cmd.command->parsed()) return gradients_cmd.run();
    if (eval_cmd->parsed()) return eval(model_path, eval_csv);
    if (list_cmd->parsed()) return list();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "xgrad: error: {}\n", e.what());
    return 2;
  }
  return 0;
}
