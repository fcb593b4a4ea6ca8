// What `xgrad compare` and `xgrad gradients` share (not a public header): their limits, the
// gradient flow of the training loss, number formats, a progress line, output files, gnuplot.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <xgrad/diagnostics/probes.hpp>

#include "cli.hpp"

namespace xgcli {

// Limits of the lab commands' own flags.
inline constexpr std::uint64_t kMaxSeeds = 1000;              // compare --seeds
inline constexpr std::uint64_t kMaxSteps = 10'000'000;        // gradients --steps
inline constexpr std::uint64_t kMaxDepth = 1000;              // gradients --depth
inline constexpr std::uint64_t kMaxLabWeights = 100'000'000;  // gradients: depth x width^2

// Per-layer ‖∇W‖ of the mean loss over the whole training split (gradients are zeroed before
// and after: the model is not changed).
xg::diagnostics::GradientFlow training_gradient_flow(Model& model, const Prepared& p);

// One entry of an activation list: a name with hyper-parameters the defaults do not give
// ("leaky_relu:negative_slope=0.2:inplace=0" style, keys as `xgrad list` and train's --act-param
// name them), shown in tables, files and plots as written.
struct ActivationChoice {
  std::string label;                     // the entry as written
  std::string name;                      // the registry name
  std::map<std::string, double> params;  // the values given
};
// The entries of a comma-separated list ("relu,leaky_relu:negative_slope=0.2"), each built once
// to check it (name, keys, ranges). Throws UsageError naming `flag` when the list is empty, an
// entry is malformed or refused, or two entries give the same activation and values.
std::vector<ActivationChoice> activation_choices(const std::string& text, const char* flag);
// A label as part of a file name: characters other than letters, digits, '_', '.', '-' become '_'.
std::string file_part(const std::string& label);
// A number for a CSV cell: 6 significant digits, empty for NaN.
std::string csv_number(double v);

// `v` with `digits` decimals, in scientific notation from 1e6 on (an exploding loss), "-" for
// NaN (not measured).
std::string decimals(double v, int digits);
// "mean ± std" over runs (std with n - 1; a single value prints alone), formatted by decimals().
std::string mean_std(const std::vector<double>& values, int digits, double scale = 1);
double mean(const std::vector<double>& values);

// Progress on stderr: one line redrawn in place on a terminal (at most ~20 times a second), and
// only the lines passed to line() otherwise.
class Progress {
 public:
  Progress();
  void live(const std::string& text);  // shown on a terminal only
  void line(const std::string& text);  // a finished item: kept on screen / printed
  void clear();                        // removes the live line

 private:
  bool tty_;
  double last_ = -1;
};

// Writes `text` to dir/name atomically; returns the path.
std::string write_output(const std::string& dir, const std::string& name, const std::string& text);

// Runs gnuplot on dir/<script>, which writes each of `pngs` as "<png>.tmp" (renamed into place
// when gnuplot succeeds, so a failed run leaves no half-drawn picture). Returns one line for the
// user: the pictures written, or why there are none (gnuplot missing or failing) and how to get
// them. Never throws for a missing or failing gnuplot.
std::string render_plots(const std::string& dir, const std::string& script,
                         const std::vector<std::string>& pngs);

// Creates `dir` (and its parents) if needed and checks that files can be written in it; throws
// OutputError naming --out when that fails.
void make_directory(const std::string& dir);

}  // namespace xgcli
