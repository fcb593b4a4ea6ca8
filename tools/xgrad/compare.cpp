// `xgrad compare`: the same network, data, init rule, optimizer and batches with one activation
// after another, over several seeds: change only the activation and see what it does.
//
//   xgrad compare --dataset spiral --activations relu,tanh,sigmoid --seeds 5 --epochs 100
//   xgrad compare --dataset moons --activations
//   leaky_relu,leaky_relu:negative_slope=0.3,elu:alpha=0.5
//                 --target-loss 0.1 --out lab/
//
// Every run is `xgrad train`'s (fit(): the same options, loop and checks). A run that diverges
// (TrainingGuard: a non-finite loss, gradient or parameter, or a loss above the divergence
// limit) is a result, not an error: the table says where and averages over the seeds that did
// not diverge; the exit code is 5 only when every run diverged. Prints one row per activation
// (mean ± std over seeds); with --out DIR also writes
//   results.csv    one row per activation × seed × epoch run (loss and quality, train and test)
//   summary.csv    one row per activation × seed (final values, epochs to the target, time per
//                  epoch, dead units, gradient ratios, the epoch it diverged in)
//   gradients.csv  ‖∇W‖ of every layer at init and after training, per activation × seed
// and, with gnuplot, loss.png, quality.png, gradients.png and (2-D classification data)
// boundaries.png.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <xgrad/core/autograd.hpp>
#include <xgrad/diagnostics/probes.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/nn/activation_registry.hpp>

#include "cli.hpp"
#include "lab.hpp"
#include "options.hpp"

namespace xgcli {
namespace {

using xg::Tensor;
using xg::diagnostics::GradientFlow;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct CompareOptions {
  TrainOptions run;  // train's data, network, optimizer and training options
  std::string activations = "relu,leaky_relu,prelu,elu,selu,gelu,silu,tanh,sigmoid";
  std::size_t seeds = 1;
  std::optional<double> target_loss;
  std::string out;
};

// Loss and quality (accuracy, or RMSE in the target's units); NaN when not measured (no test
// rows, a run that diverged).
struct Score {
  double loss = kNaN, metric = kNaN;
};

Score score_of(const Evaluation& e, bool classification) {
  if (e.rows == 0) return {};
  return {e.loss, classification ? e.accuracy : e.rmse};
}

struct EpochRow {
  double seconds = 0;  // training time of this epoch (evaluation excluded)
  Score train, test;   // train: along the epoch; test: after it
};

// One activation trained from one seed.
struct RunResult {
  std::string activation;
  std::uint64_t seed = 0;
  std::size_t parameters = 0;
  std::vector<EpochRow> epochs;      // the epochs completed
  Score final_train, final_test;     // evaluated after the last epoch
  std::size_t epochs_to_target = 0;  // first epoch whose training loss <= target; 0: never
  std::size_t diverged_at = 0;       // the epoch TrainingGuard stopped; 0: it did not
  std::string failure;               // TrainingGuard's message
  double dead_fraction = kNaN;
  GradientFlow flow_init, flow_end;  // flow_end: empty after a divergence
  std::vector<int> boundary;         // predicted class on the decision-boundary grid (2-D data)

  bool diverged() const { return diverged_at > 0; }
};

constexpr int kGrid = 90;  // decision boundary: kGrid x kGrid points

// The plotted square of the (standardised) input plane: the training points plus a margin.
struct Plane {
  double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
  double x(int i) const { return x0 + (x1 - x0) * i / (kGrid - 1); }
  double y(int j) const { return y0 + (y1 - y0) * j / (kGrid - 1); }
};

Plane plane_of(const Tensor& x) {
  Plane p{1e30, -1e30, 1e30, -1e30};
  for (std::size_t r = 0; r < x.size(0); ++r) {
    p.x0 = std::min<double>(p.x0, x.at(r, 0));
    p.x1 = std::max<double>(p.x1, x.at(r, 0));
    p.y0 = std::min<double>(p.y0, x.at(r, 1));
    p.y1 = std::max<double>(p.y1, x.at(r, 1));
  }
  const double mx = 0.1 * (p.x1 - p.x0) + 1e-3, my = 0.1 * (p.y1 - p.y0) + 1e-3;
  return {p.x0 - mx, p.x1 + mx, p.y0 - my, p.y1 + my};
}

std::vector<int> boundary(Model& model, const Plane& plane) {
  std::vector<float> points;
  for (int j = 0; j < kGrid; ++j)
    for (int i = 0; i < kGrid; ++i) {
      points.push_back(float(plane.x(i)));
      points.push_back(float(plane.y(j)));
    }
  xg::NoGradGuard no_grad;
  model.eval();
  const auto pred = xg::metrics::predictions(
      model(Tensor::from(std::move(points), {std::size_t(kGrid * kGrid), 2})));
  model.train();
  return std::vector<int>(pred.begin(), pred.end());
}

// Trains `activation` from `seed` with fit(); `init` is the --init given (auto: by activation).
RunResult run_one(const CompareOptions& o, const Prepared& p, const std::string& init,
                  const ActivationChoice& activation, std::uint64_t seed, bool with_boundary,
                  const Plane& plane, Progress& progress, const std::string& label) {
  const bool classification = p.classes > 0;
  TrainOptions t = o.run;
  t.seed = seed;
  t.quiet = true;
  t.model.activation = activation.name;
  t.model.act_params = activation.params;
  t.model.init = init;
  t.model.init = resolved_init(t.model);
  RunResult r;
  r.activation = activation.label;
  r.seed = seed;
  auto model = build_model(t.model, seed);
  r.parameters = model->num_parameters();
  const auto opt = make_optimizer(t.optim, *model);
  r.flow_init = training_gradient_flow(*model, p);
  RunState run;
  run.after_epoch = [&](const EpochEnd& e) {
    r.epochs.push_back({e.seconds,
                        {e.loss, e.quality},
                        score_of(evaluate(*model, p, Part::Test), classification)});
    if (o.target_loss && !r.epochs_to_target && e.loss <= *o.target_loss)
      r.epochs_to_target = e.epoch;
    progress.live(fmt::format("{}  epoch {}/{}  loss {:.4f}", label, e.epoch, t.epochs, e.loss));
  };
  try {
    r.final_train = score_of(fit(*model, *opt, p, t, run).train, classification);
  } catch (const TrainingFailed& e) {
    // The guard stops inside the epoch after the last one completed, or after the last epoch
    // when the final weights' loss is not finite.
    r.diverged_at = std::min(r.epochs.size() + 1, t.epochs);
    r.failure = e.what();
    return r;
  }
  r.final_test = score_of(evaluate(*model, p, Part::Test), classification);
  r.dead_fraction = xg::diagnostics::dead_fraction(xg::diagnostics::dead_units(*model, p.x_train));
  r.flow_end = training_gradient_flow(*model, p);
  if (with_boundary) r.boundary = boundary(*model, plane);
  return r;
}

// ---- the table -------------------------------------------------------------------------------

std::vector<const RunResult*> survivors(const std::vector<RunResult>& runs) {
  std::vector<const RunResult*> out;
  for (const RunResult& r : runs)
    if (!r.diverged()) out.push_back(&r);
  return out;
}

std::string ratio_str(double r) { return std::isnan(r) ? "-" : fmt::format("{:.2g}", r); }

// "epoch 3 (2/3 seeds)", "epochs 2-5 (3/3 seeds)", or "-".
std::string divergence_text(const std::vector<RunResult>& runs) {
  std::set<std::size_t> at;
  for (const RunResult& r : runs)
    if (r.diverged()) at.insert(r.diverged_at);
  if (at.empty()) return "-";
  std::size_t n = 0;
  for (const RunResult& r : runs) n += r.diverged();
  const std::string epochs = at.size() == 1
                                 ? fmt::format("epoch {}", *at.begin())
                                 : fmt::format("epochs {}-{}", *at.begin(), *at.rbegin());
  return fmt::format("{} ({}/{} seed{})", epochs, n, runs.size(), runs.size() == 1 ? "" : "s");
}

void print_table(const CompareOptions& o, const Prepared& p,
                 const std::vector<std::string>& activations,
                 const std::vector<std::vector<RunResult>>& runs) {
  const bool classification = p.classes > 0;
  const bool tested = p.x_test.size(0) > 0;
  const char* metric = classification ? "accuracy" : "rmse";
  const double scale = classification ? 100 : 1;
  const int digits = classification ? 2 : 4;
  const auto metric_cell = [&](const std::vector<double>& values) {
    return values.empty() ? std::string("-")
                          : mean_std(values, digits, scale) + (classification ? "%" : "");
  };
  bool any_diverged = false;
  for (const auto& per_seed : runs)
    for (const RunResult& r : per_seed) any_diverged |= r.diverged();
  const std::string target_head =
      o.target_loss ? fmt::format("epochs to {:g}", *o.target_loss) : std::string();
  std::size_t width = 18;  // the first column: the longest label
  for (const auto& a : activations) width = std::max(width, a.size());
  fmt::print("{:<{}} {:>10} {:>18} {:>18} {:>17}", "activation", width, "parameters",
             fmt::format("train {}", metric), fmt::format("test {}", metric), "train loss");
  if (!target_head.empty()) fmt::print(" {:>18}", target_head);
  fmt::print(" {:>9} {:>7} {:>15}{}\n", "ms/epoch", "dead %", "grad ratio 0->E",
             any_diverged ? "  diverged" : "");
  for (std::size_t a = 0; a < activations.size(); ++a) {
    // Final values over the seeds that did not diverge; time and gradients at init over all.
    std::vector<double> tr, te, loss, ms, dead, reached, g0, g1;
    for (const RunResult* r : survivors(runs[a])) {
      tr.push_back(r->final_train.metric);
      te.push_back(r->final_test.metric);
      loss.push_back(r->final_train.loss);
      dead.push_back(100 * r->dead_fraction);
      g1.push_back(r->flow_end.ratio());
    }
    for (const RunResult& r : runs[a]) {
      double seconds = 0;
      for (const auto& e : r.epochs) seconds += e.seconds;
      if (!r.epochs.empty()) ms.push_back(1e3 * seconds / double(r.epochs.size()));
      if (r.epochs_to_target) reached.push_back(double(r.epochs_to_target));
      g0.push_back(r.flow_init.ratio());
    }
    fmt::print("{:<{}} {:>10} {:>18} {:>18} {:>17}", activations[a], width, runs[a][0].parameters,
               metric_cell(tr), tested ? metric_cell(te) : "-", mean_std(loss, 4));
    if (!target_head.empty())
      fmt::print(" {:>18}", reached.empty() ? fmt::format("never (0/{})", runs[a].size())
                                            : fmt::format("{} ({}/{})", mean_std(reached, 1),
                                                          reached.size(), runs[a].size()));
    fmt::print(" {:>9} {:>7} {:>15}", decimals(mean(ms), 2), decimals(mean(dead), 1),
               ratio_str(mean(g0)) + " -> " + ratio_str(mean(g1)));
    if (any_diverged) fmt::print("  {}", divergence_text(runs[a]));
    fmt::print("\n");
    std::fflush(stdout);
  }
}

// ---- files and pictures -----------------------------------------------------------------------

// The runs a curve averages: those that did not diverge, or, when every seed diverged, all of
// them (the curve then stops at the last epoch they all completed).
std::vector<const RunResult*> curve_runs(const std::vector<RunResult>& per_seed) {
  std::vector<const RunResult*> runs = survivors(per_seed);
  if (runs.empty())
    for (const RunResult& r : per_seed) runs.push_back(&r);
  return runs;
}

// The mean over `runs` of `value(epoch row)` at epoch index e; NaN (an empty cell, which gnuplot
// skips) when one of them did not reach it.
template <class Value>
double mean_at(const std::vector<const RunResult*>& runs, std::size_t e, Value value) {
  std::vector<double> v;
  for (const RunResult* r : runs) {
    if (e >= r->epochs.size()) return kNaN;
    v.push_back(value(r->epochs[e]));
  }
  return mean(v);
}

void write_csv_files(const CompareOptions& o, const Prepared& p,
                     const std::vector<std::vector<RunResult>>& runs) {
  const std::string metric = p.classes > 0 ? "accuracy" : "rmse";
  std::string results = fmt::format(
      "activation,seed,epoch,seconds,train_loss,train_{0},test_loss,test_{0}\n", metric);
  std::string summary = fmt::format(
      "activation,seed,parameters,train_loss,train_{0},test_loss,test_{0},epochs_to_target,"
      "seconds_per_epoch,dead_fraction,grad_ratio_init,grad_ratio_end,diverged_at_epoch\n",
      metric);
  std::string gradients = "activation,seed,when,layer,name,grad_norm\n";
  for (const auto& per_seed : runs)
    for (const RunResult& r : per_seed) {
      double seconds = 0;
      for (std::size_t e = 0; e < r.epochs.size(); ++e) {
        const EpochRow& row = r.epochs[e];
        seconds += row.seconds;
        results +=
            fmt::format("{},{},{},{:.6f},{},{},{},{}\n", r.activation, r.seed, e + 1, row.seconds,
                        csv_number(row.train.loss), csv_number(row.train.metric),
                        csv_number(row.test.loss), csv_number(row.test.metric));
      }
      const auto count = [](std::size_t n) { return n ? std::to_string(n) : std::string(); };
      summary += fmt::format(
          "{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.activation, r.seed, r.parameters,
          csv_number(r.final_train.loss), csv_number(r.final_train.metric),
          csv_number(r.final_test.loss), csv_number(r.final_test.metric), count(r.epochs_to_target),
          r.epochs.empty() ? "" : fmt::format("{:.6f}", seconds / double(r.epochs.size())),
          csv_number(r.dead_fraction), csv_number(r.flow_init.ratio()),
          r.diverged() ? "" : csv_number(r.flow_end.ratio()), count(r.diverged_at));
      for (const auto& [when, flow] : {std::pair{"init", &r.flow_init}, {"end", &r.flow_end}})
        for (std::size_t l = 0; l < flow->layers.size(); ++l)
          gradients += fmt::format("{},{},{},{},{},{}\n", r.activation, r.seed, when, l + 1,
                                   flow->layers[l].first, csv_number(flow->layers[l].second));
    }
  write_output(o.out, "results.csv", results);
  write_output(o.out, "summary.csv", summary);
  write_output(o.out, "gradients.csv", gradients);
}

// What the plots draw, one column per activation: the mean curves over seeds (loss; test
// quality, or the training quality along each epoch when there is no test set) and the mean
// gradient norm per layer. Returns the quality's label.
std::string write_plot_data(const CompareOptions& o, const Prepared& p,
                            const std::vector<std::string>& activations,
                            const std::vector<std::vector<RunResult>>& runs) {
  const bool classification = p.classes > 0;
  const bool tested = p.x_test.size(0) > 0;
  const double scale = classification ? 100 : 1;
  std::string head;
  for (const auto& a : activations) head += "," + a;
  std::string loss_curves = "epoch" + head + "\n", quality_curves = loss_curves;
  for (std::size_t e = 0; e < o.run.epochs; ++e) {
    loss_curves += std::to_string(e + 1);
    quality_curves += std::to_string(e + 1);
    for (const auto& per_seed : runs) {
      const auto curve = curve_runs(per_seed);
      loss_curves +=
          "," + csv_number(mean_at(curve, e, [](const EpochRow& r) { return r.train.loss; }));
      quality_curves += "," + csv_number(mean_at(curve, e, [&](const EpochRow& r) {
                          return scale * (tested ? r.test.metric : r.train.metric);
                        }));
    }
    loss_curves += "\n";
    quality_curves += "\n";
  }
  std::string layers = "layer";
  for (const auto& a : activations) layers += fmt::format(",{0} at init,{0} trained", a);
  layers += "\n";
  const std::size_t depth = runs[0][0].flow_init.layers.size();
  for (std::size_t l = 0; l < depth; ++l) {
    layers += std::to_string(l + 1);
    for (const auto& per_seed : runs) {
      std::vector<double> g0, g1;
      for (const RunResult& r : per_seed) g0.push_back(r.flow_init.layers[l].second);
      for (const RunResult* r : survivors(per_seed)) g1.push_back(r->flow_end.layers[l].second);
      layers += "," + csv_number(mean(g0)) + "," + csv_number(mean(g1));
    }
    layers += "\n";
  }
  write_output(o.out, "plot_loss.csv", loss_curves);
  write_output(o.out, "plot_test.csv", quality_curves);
  write_output(o.out, "plot_layers.csv", layers);
  const std::string quality = classification ? "accuracy (%)" : "RMSE";
  return tested ? "test " + quality : "training " + quality + " along each epoch (no test set)";
}

// The decision-boundary panels (2-D classification data): one per activation, from its first
// seed that did not diverge; activations whose every seed diverged have none.
std::string boundary_plot(const CompareOptions& o, const Prepared& p,
                          const std::vector<std::vector<RunResult>>& runs, const Plane& plane) {
  std::vector<const RunResult*> panels;
  for (const auto& per_seed : runs)
    for (const RunResult& r : per_seed)
      if (!r.boundary.empty()) {
        panels.push_back(&r);
        break;
      }
  if (panels.empty()) return "";
  std::string points;
  for (std::size_t r = 0; r < p.x_train.size(0); ++r)
    points +=
        fmt::format("{},{},{}\n", p.x_train.at(r, 0), p.x_train.at(r, 1), int(p.y_train.at(r)) + 1);
  write_output(o.out, "plot_points.csv", points);
  const std::size_t n = panels.size();
  const std::size_t cols = std::min<std::size_t>(n, 3), rows = (n + cols - 1) / cols;
  std::string gp = fmt::format(
      "reset\nset terminal pngcairo size {},{} font 'sans,9' noenhanced\n"
      "set datafile separator ','\nset output 'boundaries.png.tmp'\n"
      "set palette defined (0 '#fbb4ae', 1 '#b3cde3', 2 '#ccebc5', 3 '#decbe4', 4 '#fed9a6', "
      "5 '#ffffcc', 6 '#e5d8bd', 7 '#fddaec')\n"
      "set linetype 1 lc rgb '#e41a1c'\nset linetype 2 lc rgb '#377eb8'\n"
      "set linetype 3 lc rgb '#4daf4a'\nset linetype 4 lc rgb '#984ea3'\n"
      "set linetype 5 lc rgb '#ff7f00'\nset linetype 6 lc rgb '#b8b800'\n"
      "set linetype 7 lc rgb '#a65628'\nset linetype 8 lc rgb '#f781bf'\n"
      "set cbrange [0:7]\nunset colorbox\nunset key\nset xrange [{}:{}]\nset yrange [{}:{}]\n"
      "set size ratio -1\nset tics font ',7'\n"
      "set multiplot layout {},{} title 'decision boundaries (seed {}, standardised inputs)'\n",
      300 * cols, 300 * rows + 30, plane.x0, plane.x1, plane.y0, plane.y1, rows, cols, o.run.seed);
  for (const RunResult* r : panels) {
    std::string grid;
    for (int j = 0; j < kGrid; ++j)
      for (int i = 0; i < kGrid; ++i)
        grid += fmt::format("{:.5g},{:.5g},{}\n", plane.x(i), plane.y(j),
                            r->boundary[std::size_t(j * kGrid + i)]);
    const std::string file = "plot_boundary_" + file_part(r->activation) + ".csv";
    write_output(o.out, file, grid);
    gp += fmt::format(
        "set title '{}'\nplot '{}' using 1:2:3 with image, 'plot_points.csv' using 1:2:3 "
        "with points pt 7 ps 0.3 lc variable\n",
        r->seed == o.run.seed ? r->activation : fmt::format("{} (seed {})", r->activation, r->seed),
        file);
  }
  return gp + "unset multiplot\n";
}

void write_files(const CompareOptions& o, const Prepared& p,
                 const std::vector<std::string>& activations,
                 const std::vector<std::vector<RunResult>>& runs, const Plane& plane) {
  write_csv_files(o, p, runs);
  fmt::print("\nfiles: results.csv, summary.csv, gradients.csv in {}\n", o.out);
  bool any_trained = false;
  for (const auto& per_seed : runs) any_trained |= !survivors(per_seed).empty();
  if (!any_trained) {
    fmt::print("pictures: none (every run diverged)\n");
    return;
  }
  const std::string quality = write_plot_data(o, p, activations, runs);
  const std::size_t n = activations.size();
  std::string names;
  for (const auto& a : activations) names += (names.empty() ? "" : " ") + a;
  std::string gp = fmt::format("names = '{}'\n", names);
  gp += fmt::format(
      "set terminal pngcairo size 900,560 font 'sans,10' noenhanced\n"
      "set datafile separator ','\nset grid\nset key outside right\nset xlabel 'epoch'\n"
      "set output 'loss.png.tmp'\nset title 'training loss, mean over {0} seed(s)'\n"
      "set logscale y\nset ylabel 'loss'\n"
      "plot for [i=2:{1}] 'plot_loss.csv' using 1:i with lines lw 2 title columnheader(i)\n"
      "unset logscale y\nset output 'quality.png.tmp'\nset title '{2}, mean over {0} seed(s)'\n"
      "set ylabel '{2}'\n"
      "plot for [i=2:{1}] 'plot_test.csv' using 1:i with lines lw 2 title columnheader(i)\n"
      "set output 'gradients.png.tmp'\n"
      "set title 'gradient norm of each weight matrix: at init (dashed), trained (solid)'\n"
      "set logscale y\nset format y '%.0e'\nset xlabel 'layer (1 = first)'\n"
      "set ylabel '||dL/dW||'\nset xtics 1\n"
      "plot for [a=0:{3}] 'plot_layers.csv' using 1:(column(2+2*a)) with linespoints dt 2 "
      "lc (a+1) pt 7 notitle, for [a=0:{3}] '' using 1:(column(3+2*a)) with linespoints lw 2 "
      "lc (a+1) pt 7 title word(names, a+1)\n",
      o.seeds, n + 1, quality, n - 1);
  std::vector<std::string> pngs{"loss.png", "quality.png", "gradients.png"};
  const std::string boundaries = boundary_plot(o, p, runs, plane);
  if (!boundaries.empty()) {
    gp += boundaries;
    pngs.push_back("boundaries.png");
  }
  write_output(o.out, "plots.gp", gp);
  fmt::print("{}\n", render_plots(o.out, "plots.gp", pngs));
}

// The entries of --activations, each checked; the first becomes the run's activation (check_run
// and prepare_run check the network with it).
std::vector<ActivationChoice> checked_activations(CompareOptions& o) {
  std::vector<ActivationChoice> choices = activation_choices(o.activations, "--activations");
  o.run.model.activation = choices.front().name;
  o.run.model.act_params = choices.front().params;
  return choices;
}

int compare(CompareOptions& o) {
  const std::string init = o.run.model.init;  // auto: resolved for each activation
  const std::vector<ActivationChoice> choices = checked_activations(o);
  std::vector<std::string> activations;  // the labels
  for (const auto& c : choices) activations.push_back(c.label);
  const Prepared p = prepare_run(o.run);
  if (!o.out.empty()) make_directory(o.out);

  const TrainOptions& t = o.run;
  std::string widths;
  for (auto h : t.model.hidden) widths += fmt::format("{} -> ", h);
  fmt::print("data   {}: {} train / {}\n", p.description, p.x_train.size(0),
             p.x_test.size(0) ? fmt::format("{} test", p.x_test.size(0))
                              : "0 test (--test-fraction 0: no held-out set)");
  fmt::print(
      "model  {} -> {}{}, init {}; {} lr {}, batch {}, {} epochs{}; {}\n\n", t.model.in, widths,
      t.model.out, init, t.optim.name, t.optim.lr, t.batch, t.epochs, schedule_text(t),
      o.seeds == 1
          ? fmt::format("seed {}", t.seed)
          : fmt::format("seeds {}..{} (mean ± std over seeds)", t.seed, t.seed + o.seeds - 1));

  const bool with_boundary = !o.out.empty() && p.features == 2 && p.classes > 0;
  const Plane plane = with_boundary ? plane_of(p.x_train) : Plane{};
  Progress progress;
  std::vector<std::vector<RunResult>> runs(activations.size());
  std::size_t diverged = 0;
  for (std::size_t a = 0; a < activations.size(); ++a)
    for (std::size_t s = 0; s < o.seeds; ++s) {
      const std::string label = fmt::format("{} ({}/{}) seed {} ({}/{})", activations[a], a + 1,
                                            activations.size(), t.seed + s, s + 1, o.seeds);
      // The boundary panel shows the first seed that trains to the end.
      const bool panel = with_boundary && survivors(runs[a]).empty();
      runs[a].push_back(run_one(o, p, init, choices[a], t.seed + s, panel, plane, progress, label));
      const RunResult& r = runs[a].back();
      diverged += r.diverged();
      if (r.diverged()) {
        progress.line(fmt::format("{}: diverged in epoch {}: {}", label, r.diverged_at, r.failure));
        continue;
      }
      const bool tested = p.x_test.size(0) > 0;
      progress.line(fmt::format(
          "{}: {} epochs, train loss {}{}", label, t.epochs, decimals(r.final_train.loss, 4),
          !tested         ? std::string()
          : p.classes > 0 ? fmt::format(", test accuracy {:.2f}%", 100 * r.final_test.metric)
                          : fmt::format(", test rmse {:.4g}", r.final_test.metric)));
    }
  progress.clear();
  print_table(o, p, activations, runs);
  if (!o.out.empty()) write_files(o, p, activations, runs, plane);
  if (diverged == activations.size() * o.seeds)
    throw TrainingFailed(fmt::format("every run diverged; the first, {} seed {}: {}",
                                     runs[0][0].activation, runs[0][0].seed, runs[0][0].failure));
  return 0;
}

}  // namespace

Subcommand add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "train the same network with several activations (and seeds) and tabulate the results");
  add_training_options(cmd, o->run, kData | kNetwork | kOptimizer | kEpochs | kSteps);
  cmd->get_option("--seed")->description("the first seed of the init and the batch order (1)");
  help_heading(cmd, "Comparison");
  cmd->add_option("--activations", o->activations,
                  "comma-separated activations, each a name with optional "
                  "hyper-parameters: relu,leaky_relu:negative_slope=0.2")
      ->type_name("LIST")
      ->capture_default_str();
  typed(cmd, "--seeds", o->seeds, integer(1, kMaxSeeds),
        "runs per activation, seeds --seed, --seed + 1, ... (default 1)");
  typed(cmd, "--target-loss", o->target_loss, real(0, std::numeric_limits<double>::max()),
        "report the first epoch whose mean training loss is at or below this");
  help_heading(cmd, "Output");
  cmd->add_option("--out", o->out,
                  "write results.csv, summary.csv, gradients.csv and PNG plots here")
      ->type_name("DIR");
  help_heading(cmd, "Options");
  const auto check = [o] {
    checked_activations(*o);
    check_run(o->run);
  };
  return {cmd, check, [o] { return compare(*o); }};
}

}  // namespace xgcli
