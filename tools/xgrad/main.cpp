// `xgrad`: train small MLPs on toy datasets or CSV tables, evaluate saved models, predict new
// tables, compare activations, list what is available. See docs/data_io_cli.md.
//
//   xgrad train --csv iris.csv --target species --save iris.safetensors
//   xgrad predict --model iris.safetensors --csv new.csv --proba
//   xgrad eval --model iris.safetensors --csv labelled.csv
//   xgrad list
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <limits>
#include <new>

#include "cli.hpp"

using namespace xgcli;

namespace {

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

namespace {

constexpr double kMaxReal = std::numeric_limits<double>::max();

// An option whose text is parsed (and checked) by `parse` as soon as CLI11 reads it; a bad value
// throws UsageError naming the flag.
template <class T, class Parse>
CLI::Option* typed(CLI::App* cmd, const std::string& name, T& target, Parse parse,
                   const std::string& help) {
  return cmd->add_option_function<std::string>(
      name, [&target, parse, name](const std::string& text) { target = parse(name, text); }, help);
}
auto integer(std::uint64_t lo, std::uint64_t hi) {
  return [lo, hi](const std::string& flag, const std::string& text) {
    return parse_integer(flag, text, lo, hi);
  };
}
auto real(double lo, double hi, bool lo_open = false, bool hi_open = false) {
  return [=](const std::string& flag, const std::string& text) {
    return parse_real(flag, text, lo, hi, lo_open, hi_open);
  };
}
char delimiter_of(const std::string& flag, const std::string& text) {
  if (text == "," || text == ";" || text == "|") return text[0];
  if (text == "tab" || text == "\\t" || text == "\t") return '\t';
  throw UsageError(fmt::format("{}: '{}' is not one of , ; | tab", flag, text));
}

// How a CSV is read: the options train, compare, eval and predict share.
void add_table_options(CLI::App* cmd, char& delimiter, bool& header) {
  typed(cmd, "--delimiter", delimiter, delimiter_of, "',', ';', '|' or tab (default: detected)");
  cmd->add_flag("!--no-header", header, "the first line is data; columns are named c0, c1, ...");
}

// The options of `train`: data, model, optimizer, schedule.
void add_training_options(CLI::App* cmd, TrainOptions& t) {
  DataSpec& d = t.data;
  auto* ds = cmd->add_option("--dataset", d.dataset, "spiral|moons|circles|xor|blobs|triangles");
  auto* csv = cmd->add_option("--csv", d.csv, "train on a CSV table (header row, RFC 4180)");
  ds->excludes(csv);
  cmd->add_option("--target", d.target, "the CSV column to predict")->needs(csv);
  cmd->add_option("--task", d.task, "CSV: auto|classification|regression")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->capture_default_str();
  add_table_options(cmd, d.delimiter, d.header);
  cmd->add_option("--categorical", d.categorical, "read these CSV columns as categories")
      ->delimiter(',');
  cmd->add_option("--ignore", d.ignore, "CSV columns that are not features (ids, notes)")
      ->delimiter(',');
  cmd->add_option("--impute", d.impute, "missing cells: none (an error)|mean|median|mode")
      ->check(CLI::IsMember({"none", "mean", "median", "mode"}))
      ->capture_default_str();
  typed(cmd, "--samples", d.samples, integer(1, kMaxSamples),
        "dataset size (spiral: per class); default per dataset");
  typed(cmd, "--noise", d.noise, real(0, kMaxNoise), "dataset noise (blobs: std)");
  typed(cmd, "--classes", d.classes, integer(2, kMaxDatasetClasses),
        "spiral arms / blob centres (default 3)");
  typed(cmd, "--factor", d.factor, real(0, 1, true, true), "circles: inner radius (default 0.5)");
  typed(cmd, "--test-fraction", d.test_fraction, real(0, 1, false, true),
        "held-out fraction; 0: train on every row (default 0.2)");
  typed(cmd, "--val-fraction", d.val_fraction, real(0, 1, false, true),
        "validation fraction (default 0)");
  cmd->add_flag("--stratify,!--no-stratify", d.stratify,
                "classification: every part holds each class in proportion (default on)");
  typed(cmd, "--data-seed", d.seed, integer(0, std::numeric_limits<std::uint64_t>::max()),
        "seed of the data and the split (default: --seed)");
  cmd->add_option("--hidden", t.hidden, "hidden layer widths, comma separated ('none': linear)")
      ->capture_default_str();
  cmd->add_option("--activation", t.model.activation, "any name from `xgrad list`")
      ->capture_default_str();
  cmd->add_option("--act-param", t.act_params, "activation parameter key=value (repeatable)");
  t.model.init = "auto";
  cmd->add_option("--init", t.model.init, "weight init")
      ->check(CLI::IsMember({"auto", "kaiming", "xavier", "lecun"}))
      ->capture_default_str();
  cmd->add_option("--optimizer", t.optim.name, "sgd|momentum|adam|adamw|rmsprop|adagrad")
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"}))
      ->capture_default_str();
  typed(cmd, "--lr", t.optim.lr, real(0, kMaxReal, true), "learning rate (default 0.01)");
  typed(cmd, "--weight-decay", t.optim.weight_decay, real(0, kMaxReal),
        "L2 / decoupled weight decay (default 0)");
  typed(cmd, "--momentum", t.optim.momentum, real(0, 1), "for --optimizer momentum (default 0.9)");
  typed(cmd, "--epochs", t.epochs, integer(1, kMaxEpochs), "passes over the training set (300)");
  typed(cmd, "--batch", t.batch, integer(1, kMaxBatch),
        "mini-batch size (default: 128, at most a quarter of the training rows)");
  typed(cmd, "--seed", t.seed, integer(0, std::numeric_limits<std::uint64_t>::max()),
        "seed of the init and the batch order (default 1)");
  cmd->add_option("--lr-schedule", t.schedule.name, "none|step|cosine|warmup-cosine, per epoch")
      ->check(CLI::IsMember({"none", "step", "cosine", "warmup-cosine"}))
      ->capture_default_str();
  typed(cmd, "--lr-step", t.schedule.step, integer(1, kMaxEpochs),
        "step: multiply the lr by --lr-gamma every N epochs (default epochs/3)");
  typed(cmd, "--lr-gamma", t.schedule.gamma, real(0, 1, true), "step: the factor (default 0.1)");
  typed(cmd, "--warmup", t.schedule.warmup, integer(0, kMaxEpochs),
        "warmup-cosine: warm-up epochs from 0.1 x lr (default epochs/10)");
  typed(cmd, "--patience", t.patience, integer(1, kMaxEpochs),
        "early stopping: epochs without a better validation loss (needs --val-fraction)");
  typed(cmd, "--max-loss", t.max_loss, real(0, std::numeric_limits<double>::infinity(), true),
        "stop when a batch loss exceeds this (default 1000 x the first loss; inf: never)");
  typed(
      cmd, "--threads", t.threads,
      [](const std::string& flag, const std::string& text) {
        return int(parse_integer(flag, text, 1, kMaxThreads));
      },
      "threads for BLAS and xgrad's pool (default: every core)");
}

// One line per error, control characters escaped: the message may quote a file's content.
int fail(const char* what, int code) {
  std::fflush(stdout);
  std::string line;
  for (const char* c = what; *c; ++c)
    line += *c == '\n' ? std::string("\\n") : *c == '\r' ? std::string("\\r") : std::string(1, *c);
  fmt::print(stderr, "xgrad: error: {}\n", line);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"xgrad: train and evaluate small neural networks from the command line"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "xgrad 0.1.0");

  TrainOptions t;
  auto* train_cmd = app.add_subcommand("train", "train an MLP on a toy dataset or a CSV table");
  add_training_options(train_cmd, t);
  train_cmd->add_option("--save", t.save, "write the model (safetensors) here");
  auto* checkpoint = train_cmd->add_option(
      "--checkpoint", t.checkpoint,
      "write a checkpoint (model, optimizer, schedule, epoch, generators) here at the end; "
      "{epoch} in the name is replaced by the epoch");
  typed(train_cmd, "--checkpoint-every", t.checkpoint_every, integer(1, kMaxEpochs),
        "also write the checkpoint every N epochs")
      ->needs(checkpoint);
  train_cmd->add_option("--resume", t.resume,
                        "continue the run of this checkpoint (its settings; --epochs: the total)");
  typed(train_cmd, "--log-every", t.log_every, integer(1, kMaxEpochs),
        "when stdout is not a terminal, print every N epochs (default epochs/10)");
  train_cmd->add_flag("--quiet", t.quiet, "no per-epoch lines, only the summary");

  const Subcommand compare_cmd = add_compare_command(app);      // compare.cpp
  const Subcommand gradients_cmd = add_gradients_command(app);  // gradients.cpp

  std::string model_path, csv, out;
  bool proba = false;
  TableOptions table;
  auto* eval_cmd = app.add_subcommand("eval", "evaluate a saved model (its split, or a table)");
  auto* predict_cmd = app.add_subcommand("predict", "predict every row of a table");
  for (auto* cmd : {eval_cmd, predict_cmd}) {
    cmd->add_option("--model", model_path, "the .safetensors file")->required();
    add_table_options(cmd, table.delimiter, table.header);
    cmd->add_option("--unknown", table.unknown,
                    "a category unseen in training: error, or ignore (all zeros)")
        ->check(CLI::IsMember({"error", "ignore"}))
        ->capture_default_str();
  }
  eval_cmd->add_option("--csv", csv, "evaluate on this table (columns by name, with the target)");
  predict_cmd->add_option("--csv", csv, "the table to predict (columns by name)")->required();
  predict_cmd->add_option("--out", out, "write the predictions here (CSV) instead of stdout");
  predict_cmd->add_flag("--proba", proba, "add one probability column per class");

  auto* list_cmd = app.add_subcommand("list", "list datasets, activations, optimizers");

  try {
    app.parse(argc, argv);
    for (const CLI::Option* opt : train_cmd->get_options())
      if (opt->count() > 0) t.given.insert(opt->get_name());
    if (train_cmd->parsed()) return train(t);
    if (compare_cmd.command->parsed()) return compare_cmd.run();
    if (gradients_cmd.command->parsed()) return gradients_cmd.run();
    if (eval_cmd->parsed()) return eval(model_path, csv, table);
    if (predict_cmd->parsed()) return predict(model_path, csv, out, proba, table);
    if (list_cmd->parsed()) return list();
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(e.what(), 2);
  } catch (const UsageError& e) {
    return fail(e.what(), 2);
  } catch (const std::invalid_argument& e) {  // a library check of an option's value
    return fail(e.what(), 2);
  } catch (const OutputError& e) {
    return fail(e.what(), 4);
  } catch (const TrainingFailed& e) {
    return fail(e.what(), 5);
  } catch (const std::bad_alloc&) {
    return fail("out of memory", 1);
  } catch (const std::runtime_error& e) {  // a CSV or model file problem (InputError included)
    return fail(e.what(), 3);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  }
  return 0;
}
