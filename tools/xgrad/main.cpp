// `xgrad`: train small MLPs on toy datasets or CSV tables, evaluate saved models, predict new
// tables, compare activations, show per-layer gradients, list what is available. See
// docs/data_io_cli.md. The training options are registered in options.cpp, shared with
// `compare` (compare.cpp) and `gradients` (gradients.cpp).
//
//   xgrad train --csv iris.csv --target species --save iris.safetensors
//   xgrad predict --model iris.safetensors --csv new.csv --proba
//   xgrad eval --model iris.safetensors --csv labelled.csv
//   xgrad compare --dataset spiral --activations relu,tanh --seeds 3
//   xgrad gradients --depth 20 --activation sigmoid,relu
//   xgrad list
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <new>

#include "cli.hpp"
#include "options.hpp"

using namespace xgcli;

namespace {

int list() {
  fmt::print("datasets (--dataset NAME; --samples and --noise change the defaults):\n");
  fmt::print("  {:<10} {:>9} {:>6}\n", "name", "samples", "noise");
  for (const auto& d : dataset_table())
    fmt::print("  {:<10} {:>9} {:>6}  {}\n", d.name,
               d.name == "spiral" ? fmt::format("{}/class", d.samples) : std::to_string(d.samples),
               d.noise, d.description);
  fmt::print(
      "\nactivations (--activation NAME, --activations A,B,...; parameters with "
      "--act-param key=value):\n");
  for (const auto& [name, doc] : activation_table()) fmt::print("  {:<17} {}\n", name, doc);
  fmt::print("\noptimizers (--optimizer NAME):\n");
  for (const auto& [name, doc] : optimizer_table()) fmt::print("  {:<13} {}\n", name, doc);
  fmt::print("\nlearning-rate schedules (--lr-schedule NAME, stepped after every epoch):\n");
  for (const auto& [name, doc] : schedule_table()) fmt::print("  {:<13} {}\n", name, doc);
  fmt::print(
      "\ninitialisers (--init NAME):\n"
      "  {:<13} Kaiming for the ReLU family, Xavier for sigmoid/tanh-like, LeCun for SELU\n"
      "  {:<13} He et al. 2015: variance gain^2 / fan_in (gain of the activation)\n"
      "  {:<13} Glorot and Bengio 2010: variance gain^2 x 2 / (fan_in + fan_out)\n"
      "  {:<13} LeCun normal: variance 1 / fan_in\n"
      "  {:<13} `xgrad gradients` only: PyTorch's nn.Linear default\n"
      "  {:<13} `xgrad gradients` only: N(0, --init-std^2)\n",
      "auto", "kaiming", "xavier", "lecun", "default", "normal");
  return 0;
}

}  // namespace

namespace {

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
  CLI::App app{
      "xgrad: train small neural networks on toy datasets or CSV tables, compare activations, "
      "see their gradients, evaluate and use saved models"};
  app.formatter(help_formatter());
  app.require_subcommand(1);
  app.set_version_flag("--version", "xgrad 0.1.0");

  TrainOptions t;
  auto* train_cmd = app.add_subcommand("train", "train an MLP on a toy dataset or a CSV table");
  add_training_options(train_cmd, t, kAllTrainingOptions);
  help_heading(train_cmd, "Output");
  train_cmd->add_option("--save", t.save, "write the model (safetensors) here")->type_name("FILE");
  auto* checkpoint = train_cmd
                         ->add_option("--checkpoint", t.checkpoint,
                                      "write a checkpoint (model, optimizer, schedule, epoch, "
                                      "generators) here at the end; {epoch} in the name is "
                                      "replaced by the epoch")
                         ->type_name("FILE");
  typed(train_cmd, "--checkpoint-every", t.checkpoint_every, integer(1, kMaxEpochs),
        "also write the checkpoint every N epochs")
      ->needs(checkpoint);
  train_cmd
      ->add_option("--resume", t.resume,
                   "continue the run of this checkpoint (its settings; --epochs: the total)")
      ->type_name("FILE");
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
    cmd->add_option("--model", model_path, "the model file (xgrad train --save)")
        ->type_name("FILE")
        ->required();
    add_table_options(cmd, table.delimiter, table.header);
    cmd->add_option("--unknown", table.unknown,
                    "a category unseen in training: error, or ignore (all zeros)")
        ->check(CLI::IsMember({"error", "ignore"}))
        ->type_name("HOW")
        ->capture_default_str();
  }
  eval_cmd
      ->add_option("--csv", csv,
                   "evaluate on this table (columns by name, with the target) instead of the "
                   "model's own split")
      ->type_name("FILE");
  predict_cmd->add_option("--csv", csv, "the table to predict (columns by name)")
      ->type_name("FILE")
      ->required();
  predict_cmd->add_option("--out", out, "write the predictions here (CSV) instead of stdout")
      ->type_name("FILE");
  predict_cmd->add_flag("--proba", proba, "add one probability column per class");

  auto* list_cmd = app.add_subcommand(
      "list", "list datasets, activations, optimizers, learning-rate schedules, initialisers");

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
