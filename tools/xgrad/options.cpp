// The training options of `train`, `compare` and `gradients`, registered once (options.hpp).
#include "options.hpp"

#include <fmt/format.h>

#include <limits>
#include <regex>

namespace xgcli {
namespace {

constexpr double kMaxReal = std::numeric_limits<double>::max();
constexpr std::uint64_t kMaxSeed = std::numeric_limits<std::uint64_t>::max();

char delimiter_of(const std::string& flag, const std::string& text) {
  if (text == "," || text == ";" || text == "|") return text[0];
  if (text == "tab" || text == "\\t" || text == "\t") return '\t';
  throw UsageError(fmt::format("{}: '{}' is not one of , ; | tab", flag, text));
}

template <class Table>
std::vector<std::string> names_of(const Table& table) {
  std::vector<std::string> names;
  for (const auto& row : table) names.push_back(row.first);
  return names;
}

std::string joined(const std::vector<std::string>& names, const char* separator) {
  return fmt::format("{}", fmt::join(names, separator));
}

void add_data_options(CLI::App* cmd, DataSpec& d) {
  help_heading(cmd, "Data");
  std::vector<std::string> datasets;
  for (const auto& info : dataset_table()) datasets.push_back(info.name);
  auto* ds = cmd->add_option("--dataset", d.dataset, joined(datasets, "|"))->type_name("NAME");
  auto* csv = cmd->add_option("--csv", d.csv, "a CSV table instead (header row, RFC 4180)")
                  ->type_name("FILE");
  ds->excludes(csv);
  cmd->add_option("--target", d.target, "the CSV column to predict")
      ->type_name("COLUMN")
      ->needs(csv);
  cmd->add_option("--task", d.task, "CSV: the target's kind")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->type_name("NAME")
      ->capture_default_str();
  add_table_options(cmd, d.delimiter, d.header);
  cmd->add_option("--categorical", d.categorical, "read these CSV columns as categories")
      ->type_name("COLUMNS")
      ->delimiter(',');
  cmd->add_option("--ignore", d.ignore, "CSV columns that are not features (ids, notes)")
      ->type_name("COLUMNS")
      ->delimiter(',');
  cmd->add_option("--impute", d.impute, "CSV: missing cells (none: an error naming the cell)")
      ->check(CLI::IsMember({"none", "mean", "median", "mode"}))
      ->type_name("HOW")
      ->capture_default_str();
  typed(cmd, "--samples", d.samples, integer(1, kMaxSamples),
        "dataset size (spiral: per class; default per dataset, see `xgrad list`)");
  typed(cmd, "--noise", d.noise, real(0, kMaxNoise), "dataset noise (blobs: std)");
  typed(cmd, "--classes", d.classes, integer(2, kMaxDatasetClasses),
        "spiral arms / blob centres (default 3)");
  typed(cmd, "--factor", d.factor, real(0, 1, true, true), "circles: inner radius (default 0.5)");
  typed(cmd, "--test-fraction", d.test_fraction, real(0, 1, false, true),
        "held-out fraction; 0: train on every row (default 0.2)");
  cmd->add_flag("--stratify,!--no-stratify", d.stratify,
                "classification: every part holds each class in proportion (default on)");
  typed(cmd, "--data-seed", d.seed, integer(0, kMaxSeed),
        "seed of the data and the split (default: --seed)");
}

void add_validation_options(CLI::App* cmd, TrainOptions& t) {
  help_heading(cmd, "Data");
  typed(cmd, "--val-fraction", t.data.val_fraction, real(0, 1, false, true),
        "validation fraction (default 0)");
  help_heading(cmd, "Training");
  typed(cmd, "--patience", t.patience, integer(1, kMaxEpochs),
        "early stopping: epochs without a better validation loss (needs --val-fraction)");
}

void add_network_options(CLI::App* cmd, TrainOptions& t) {
  help_heading(cmd, "Network");
  cmd->add_option("--hidden", t.hidden, "hidden layer widths, comma separated ('none': linear)")
      ->type_name("WIDTHS")
      ->capture_default_str();
  t.model.init = "auto";
  cmd->add_option("--init", t.model.init,
                  "weight init; auto: by activation (Kaiming for the ReLU family, Xavier for "
                  "sigmoid/tanh-like, LeCun for SELU)")
      ->check(CLI::IsMember({"auto", "kaiming", "xavier", "lecun"}))
      ->type_name("NAME")
      ->capture_default_str();
}

void add_activation_options(CLI::App* cmd, TrainOptions& t) {
  help_heading(cmd, "Network");
  cmd->add_option("--activation", t.model.activation, "any name from `xgrad list`")
      ->type_name("NAME")
      ->capture_default_str();
  cmd->add_option("--act-param", t.act_params, "activation parameter (repeatable)")
      ->type_name("KEY=X");
}

void add_optimizer_options(CLI::App* cmd, OptimSpec& o) {
  help_heading(cmd, "Optimizer");
  const std::vector<std::string> optimizers = names_of(optimizer_table());
  cmd->add_option("--optimizer", o.name, "the update rule (see `xgrad list`)")
      ->check(CLI::IsMember(optimizers))
      ->type_name("NAME")
      ->capture_default_str();
  typed(cmd, "--lr", o.lr, real(0, kMaxReal, true),
        fmt::format("learning rate (default {:g})", o.lr));
  typed(cmd, "--weight-decay", o.weight_decay, real(0, kMaxReal),
        "L2 / decoupled weight decay (default 0)");
  typed(cmd, "--momentum", o.momentum, real(0, 1),
        fmt::format("for --optimizer momentum (default {:g})", o.momentum));
}

void add_epoch_options(CLI::App* cmd, TrainOptions& t) {
  help_heading(cmd, "Training");
  typed(cmd, "--epochs", t.epochs, integer(1, kMaxEpochs),
        fmt::format("passes over the training set (default {})", t.epochs));
  const std::vector<std::string> schedules = names_of(schedule_table());
  cmd->add_option("--lr-schedule", t.schedule.name,
                  "the learning rate per epoch (see `xgrad list`)")
      ->check(CLI::IsMember(schedules))
      ->type_name("NAME")
      ->capture_default_str();
  typed(cmd, "--lr-step", t.schedule.step, integer(1, kMaxEpochs),
        "step: multiply the lr by --lr-gamma every N epochs (default epochs/3)");
  typed(cmd, "--lr-gamma", t.schedule.gamma, real(0, 1, true), "step: the factor (default 0.1)");
  typed(cmd, "--warmup", t.schedule.warmup, integer(0, kMaxEpochs),
        "warmup-cosine: warm-up epochs from 0.1 x lr (default epochs/10)");
}

void add_step_options(CLI::App* cmd, TrainOptions& t) {
  help_heading(cmd, "Training");
  typed(cmd, "--batch", t.batch, integer(1, kMaxBatch),
        "mini-batch size (default: the smaller of 128 and a quarter of the training rows, rounded "
        "up)");
  typed(cmd, "--seed", t.seed, integer(0, kMaxSeed),
        fmt::format("seed of the init and the batch order (default {})", t.seed));
  typed(cmd, "--max-loss", t.max_loss, real(0, std::numeric_limits<double>::infinity(), true),
        "divergence limit: a batch loss above it stops training (default 1000 x the first "
        "loss; inf: never)");
  typed(
      cmd, "--threads", t.threads,
      [](const std::string& flag, const std::string& text) {
        return int(parse_integer(flag, text, 1, kMaxThreads));
      },
      "threads of xgrad's pool (default: every core)");
}

}  // namespace

void help_heading(CLI::App* cmd, const std::string& heading) {
  cmd->option_defaults()->group(heading);
}

void add_table_options(CLI::App* cmd, char& delimiter, bool& header) {
  typed(cmd, "--delimiter", delimiter, delimiter_of, "',', ';', '|' or tab (default: detected)");
  cmd->add_flag("!--no-header", header, "the first line is data; columns are named c0, c1, ...");
}

void add_training_options(CLI::App* cmd, TrainOptions& t, unsigned groups) {
  if (groups & kData) add_data_options(cmd, t.data);
  if (groups & kNetwork) add_network_options(cmd, t);
  if (groups & kActivation) add_activation_options(cmd, t);
  if (groups & kOptimizer) add_optimizer_options(cmd, t.optim);
  if (groups & kEpochs) add_epoch_options(cmd, t);
  if (groups & kSteps) add_step_options(cmd, t);
  if (groups & kValidation) add_validation_options(cmd, t);
  help_heading(cmd, "Options");
}

namespace {

// CLI11's layout with two changes: one blank line (not two) between the headings, and no
// "{false}" mark after a negated flag's name ("--no-header{false}"): its description says what
// it does.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* opt, bool is_positional) const override {
    static const std::regex mark(R"(\{(true|false)\})");
    return std::regex_replace(CLI::Formatter::make_option_name(opt, is_positional), mark, "");
  }
  // CLI11 starts every group with a blank line and also ends all but the last with one: the
  // blank line before the first group moves below the usage line instead.
  std::string make_group(std::string group, bool is_positional,
                         std::vector<const CLI::Option*> opts) const override {
    std::string out = group + ":\n";
    for (const CLI::Option* opt : opts) out += make_option(opt, is_positional);
    return out;
  }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    return CLI::Formatter::make_usage(app, std::move(name)) + "\n";
  }
};

}  // namespace

std::shared_ptr<CLI::Formatter> help_formatter() {
  auto f = std::make_shared<HelpFormatter>();
  f->column_width(32);
  return f;
}

}  // namespace xgcli
