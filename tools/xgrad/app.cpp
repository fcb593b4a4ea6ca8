// The `xgrad` command line's commands registered on one CLI11 app (app.hpp). The training options
// are registered in options.cpp, shared with `compare` (compare.cpp) and `gradients`
// (gradients.cpp).
#include "app.hpp"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "options.hpp"

namespace xgcli {
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

Subcommand add_train_command(CLI::App& app) {
  auto t = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "train an MLP on a toy dataset or a CSV table");
  add_training_options(cmd, *t, kAllTrainingOptions);
  help_heading(cmd, "Output");
  cmd->add_option("--save", t->save, "write the model (safetensors) here")->type_name("FILE");
  auto* checkpoint = cmd->add_option("--checkpoint", t->checkpoint,
                                     "write a checkpoint (model, optimizer, schedule, epoch, "
                                     "generators) here at the end; {epoch} in the name is "
                                     "replaced by the epoch")
                         ->type_name("FILE");
  typed(cmd, "--checkpoint-every", t->checkpoint_every, integer(1, kMaxEpochs),
        "also write the checkpoint every N epochs")
      ->needs(checkpoint);
  cmd->add_option("--resume", t->resume,
                  "continue the run of this checkpoint (its settings; --epochs: the total)")
      ->type_name("FILE");
  typed(cmd, "--log-every", t->log_every, integer(1, kMaxEpochs),
        "when stdout is not a terminal, print every N epochs (default epochs/10)");
  cmd->add_flag("--quiet", t->quiet, "no per-epoch lines, only the summary");
  // A resumed run takes its settings from the checkpoint (resume.cpp checks the flags there).
  const auto check = [t] {
    if (t->resume.empty()) check_run(*t);
  };
  const auto run = [t, cmd] {
    for (const CLI::Option* opt : cmd->get_options())
      if (opt->count() > 0) t->given.insert(opt->get_name());
    return train(*t);
  };
  return {cmd, check, run};
}

// `eval` and `predict`: a saved model and a table; nothing to check before the files are read.
std::vector<Subcommand> add_model_commands(CLI::App& app) {
  struct Options {
    std::string model_path, csv, out;
    bool proba = false;
    TableOptions table;
  };
  auto o = std::make_shared<Options>();
  auto* eval_cmd = app.add_subcommand("eval", "evaluate a saved model (its split, or a table)");
  auto* predict_cmd = app.add_subcommand("predict", "predict every row of a table");
  for (auto* cmd : {eval_cmd, predict_cmd}) {
    cmd->add_option("--model", o->model_path, "the model file (xgrad train --save)")
        ->type_name("FILE")
        ->required();
    add_table_options(cmd, o->table.delimiter, o->table.header);
    cmd->add_option("--unknown", o->table.unknown,
                    "a category unseen in training: error, or ignore (all zeros)")
        ->check(CLI::IsMember({"error", "ignore"}))
        ->type_name("HOW")
        ->capture_default_str();
  }
  eval_cmd
      ->add_option("--csv", o->csv,
                   "evaluate on this table (columns by name, with the target) instead of the "
                   "model's own split")
      ->type_name("FILE");
  predict_cmd->add_option("--csv", o->csv, "the table to predict (columns by name)")
      ->type_name("FILE")
      ->required();
  predict_cmd->add_option("--out", o->out, "write the predictions here (CSV) instead of stdout")
      ->type_name("FILE");
  predict_cmd->add_flag("--proba", o->proba, "add one probability column per class");
  return {{eval_cmd, [] {}, [o] { return eval(o->model_path, o->csv, o->table); }},
          {predict_cmd, [] {},
           [o] { return predict(o->model_path, o->csv, o->out, o->proba, o->table); }}};
}

}  // namespace

CommandLine::CommandLine()
    : app_(
          "xgrad: train small neural networks on toy datasets or CSV tables, compare "
          "activations, see their gradients, evaluate and use saved models") {
  app_.formatter(help_formatter());
  app_.require_subcommand(1);
  app_.set_version_flag("--version", "xgrad 0.1.0");
  commands_.push_back(add_train_command(app_));
  commands_.push_back(add_compare_command(app_));    // compare.cpp
  commands_.push_back(add_gradients_command(app_));  // gradients.cpp
  for (Subcommand& c : add_model_commands(app_)) commands_.push_back(std::move(c));
  commands_.push_back({app_.add_subcommand("list",
                                           "list datasets, activations, optimizers, "
                                           "learning-rate schedules, initialisers"),
                       [] {}, list});
}

void CommandLine::parse(int argc, const char* const* argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::RequiredError&) {
    // CLI11 says "A subcommand is required" even when a word was given: name the word, and the
    // commands there are.
    if (!app_.get_subcommands().empty()) throw;
    std::string names;
    for (const CLI::App* c : app_.get_subcommands([](const CLI::App*) { return true; }))
      names += (names.empty() ? "" : ", ") + c->get_name();
    const std::string commands = fmt::format("the commands are {} (xgrad --help)", names);
    const std::vector<std::string> rest = app_.remaining();
    if (rest.empty()) throw UsageError(fmt::format("a command is required: {}", commands));
    if (rest.front().rfind('-', 0) == 0)
      throw UsageError(
          fmt::format("'{}' is not an option of xgrad itself (a command's options "
                      "go after it): {}",
                      rest.front(), commands));
    throw UsageError(fmt::format("unknown command '{}': {}", rest.front(), commands));
  }
}

void CommandLine::check() {
  for (const Subcommand& c : commands_)
    if (c.command->parsed()) c.check();
}

int CommandLine::run() {
  for (const Subcommand& c : commands_)
    if (c.command->parsed()) return c.run();
  return 0;
}

}  // namespace xgcli
