// The command line's options (not a public header): strict parsers for numeric flags, and the
// training options `train`, `compare` and `gradients` share, registered by one function so that
// a flag has the same name, range, default and message in every command.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

#include "cli.hpp"

namespace xgcli {

// An option whose text `parse(flag, text)` reads and checks as soon as CLI11 sees it; a bad
// value throws UsageError naming the flag. The help shows N for integers, X for real numbers.
template <class T, class Parse>
CLI::Option* typed(CLI::App* cmd, const std::string& name, T& target, Parse parse,
                   const std::string& help) {
  using Value = std::invoke_result_t<Parse, const std::string&, const std::string&>;
  return cmd
      ->add_option_function<std::string>(
          name, [&target, parse, name](const std::string& text) { target = parse(name, text); },
          help)
      ->type_name(std::is_floating_point_v<Value> ? "X"
                  : std::is_same_v<Value, char>   ? "SEP"
                                                  : "N");
}

// Parsers for typed(): an integer in [lo, hi]; a finite number in [lo, hi] (open ends with
// lo_open / hi_open; "inf" only when hi is inf). Both use flags.cpp's parse_integer/parse_real.
inline auto integer(std::uint64_t lo, std::uint64_t hi) {
  return [lo, hi](const std::string& flag, const std::string& text) {
    return parse_integer(flag, text, lo, hi);
  };
}
inline auto real(double lo, double hi, bool lo_open = false, bool hi_open = false) {
  return [=](const std::string& flag, const std::string& text) {
    return parse_real(flag, text, lo, hi, lo_open, hi_open);
  };
}

// The groups of training options (bit flags); a command registers those it uses.
enum OptionGroup : unsigned {
  kData =
      1u << 0,  // --dataset or --csv and their options, --test-fraction, --stratify, --data-seed
  kValidation = 1u << 1,  // --val-fraction, --patience (early stopping)
  kNetwork = 1u << 2,     // --hidden, --init
  kActivation = 1u << 3,  // --activation, --act-param
  kOptimizer = 1u << 4,   // --optimizer, --lr, --weight-decay, --momentum
  kEpochs = 1u << 5,      // --epochs and the learning-rate schedule
  kSteps = 1u << 6,       // --batch, --seed, --max-loss, --threads
  kAllTrainingOptions = (1u << 7) - 1,
};

// Registers the options of `groups` on `cmd`, parsed into `t`, each under a heading of the help
// (Data, Network, Optimizer, Training). Options registered afterwards go under "Options".
void add_training_options(CLI::App* cmd, TrainOptions& t, unsigned groups);
// How a CSV is read (--delimiter, --no-header): part of kData, and eval's and predict's.
void add_table_options(CLI::App* cmd, char& delimiter, bool& header);
// Puts the options registered next on `cmd` under `heading` in its help.
void help_heading(CLI::App* cmd, const std::string& heading);

// The help's layout: option names without CLI11's "{false}" marks on negated flags.
std::shared_ptr<CLI::Formatter> help_formatter();

}  // namespace xgcli
