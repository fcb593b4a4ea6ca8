// What `xgrad compare` and `xgrad gradients` share (not a public header): scoring, one training
// epoch, the gradient flow of the training loss, a progress line, gnuplot.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <xgrad/diagnostics/probes.hpp>

#include "cli.hpp"

namespace CLI {
class App;
}

namespace xgcli {

// The data options (--dataset, --csv, --samples, ...) and the optimizer options (--optimizer,
// --lr, ...) of the lab commands, with the same names and meanings as `xgrad train`'s.
void add_data_options(CLI::App* cmd, DataSpec& data);
void add_optimizer_options(CLI::App* cmd, OptimSpec& optim);
// Checks --lr and --weight-decay; throws UsageError naming the flag.
void check_optimizer(const OptimSpec& optim);

// Loss and quality: accuracy for classification, RMSE in the target's units for regression.
struct Score {
  double loss = 0, metric = 0;
};
// On (x, y), in eval mode, without a graph, in batches of 1024.
Score score(Model& model, const xg::Tensor& x, const xg::Tensor& y, const Prepared& p);
// One pass over the training split in shuffled mini-batches: the mean batch loss and the
// quality of the predictions made along the way. Throws UsageError when the loss is not finite.
Score train_epoch(Model& model, Optimizer& opt, const Prepared& p, std::size_t batch,
                  std::uint64_t shuffle_seed);
// Per-layer ‖∇W‖ of the mean loss over the whole training split (gradients are zeroed before
// and after: the model is not changed).
xg::diagnostics::GradientFlow training_gradient_flow(Model& model, const Prepared& p);

// The names of a comma-separated list ("relu,tanh"); throws UsageError naming `flag` when empty.
std::vector<std::string> split_list(const std::string& text, const char* flag);
// A number for a CSV cell: 6 significant digits, empty for NaN.
std::string csv_number(double v);

// "mean ± std" over runs (std with n - 1; a single value prints alone), with `digits` decimals.
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

// Creates `dir` (and its parents) if needed; throws UsageError naming it when that fails.
void make_directory(const std::string& dir);

}  // namespace xgcli
