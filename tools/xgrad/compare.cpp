// `xgrad compare`: the same network, data, init rule, optimizer and batches with one activation
// after another, over several seeds: change only the activation and see what it does.
//
//   xgrad compare --dataset spiral --activations relu,tanh,sigmoid --seeds 5 --epochs 100
//                 --target-loss 0.1 --out lab/
//
// Prints one row per activation (mean ± std over seeds); with --out DIR also writes
//   results.csv    one row per activation × seed × epoch (loss and quality, train and test)
//   summary.csv    one row per activation × seed (final values, epochs to the target, time per
//                  epoch, dead units, gradient ratios)
//   gradients.csv  ‖∇W‖ of every layer at init and after training, per activation × seed
// and, with gnuplot, loss.png, quality.png, gradients.png and (2-D classification data)
// boundaries.png.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <xgrad/core/autograd.hpp>
#include <xgrad/diagnostics/probes.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/nn/activation_registry.hpp>

#include "cli.hpp"
#include "lab.hpp"

namespace xgcli {
namespace {

using xg::Tensor;
using xg::diagnostics::GradientFlow;

struct CompareOptions {
  DataSpec data;
  ModelSpec model;
  OptimSpec optim;
  std::string hidden = "64,64";
  std::string activations = "relu,leaky_relu,prelu,elu,selu,gelu,silu,tanh,sigmoid";
  std::size_t epochs = 300, batch = 128, seeds = 1;
  std::uint64_t seed = 1;
  double target_loss = -1;  // < 0: not asked for
  std::string out;
};

struct EpochRow {
  double seconds = 0;  // training time of this epoch (evaluation excluded)
  Score train, test;   // train: along the epoch; test: after it
};

// One activation trained from one seed.
struct RunResult {
  std::string activation;
  std::uint64_t seed = 0;
  std::size_t parameters = 0;
  std::vector<EpochRow> epochs;
  Score final_train, final_test;     // evaluated after the last epoch
  std::size_t epochs_to_target = 0;  // first epoch whose training loss <= target; 0: never
  double dead_fraction = 0;
  GradientFlow flow_init, flow_end;
  std::vector<int> boundary;  // predicted class on the decision-boundary grid (2-D data)
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

RunResult run_one(const CompareOptions& o, const Prepared& p, const std::string& activation,
                  std::uint64_t seed, bool with_boundary, const Plane& plane, Progress& progress,
                  const std::string& label) {
  ModelSpec spec = o.model;
  spec.activation = activation;
  RunResult r;
  r.activation = activation;
  r.seed = seed;
  auto model = build_model(spec, seed);
  r.parameters = model->num_parameters();
  const auto opt = make_optimizer(o.optim, *model);
  r.flow_init = training_gradient_flow(*model, p);
  for (std::size_t epoch = 1; epoch <= o.epochs; ++epoch) {
    EpochRow row;
    const auto t0 = std::chrono::steady_clock::now();
    row.train = train_epoch(*model, *opt, p, o.batch, seed * 1000003 + epoch);
    row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    row.test = score(*model, p.x_test, p.y_test, p);
    r.epochs.push_back(row);
    if (o.target_loss >= 0 && !r.epochs_to_target && row.train.loss <= o.target_loss)
      r.epochs_to_target = epoch;
    progress.live(
        fmt::format("{}  epoch {}/{}  loss {:.4f}", label, epoch, o.epochs, row.train.loss));
  }
  r.final_train = score(*model, p.x_train, p.y_train, p);
  r.final_test = score(*model, p.x_test, p.y_test, p);
  r.dead_fraction = xg::diagnostics::dead_fraction(xg::diagnostics::dead_units(*model, p.x_train));
  r.flow_end = training_gradient_flow(*model, p);
  if (with_boundary) r.boundary = boundary(*model, plane);
  return r;
}

// ---- the table -------------------------------------------------------------------------------

std::string ratio_str(double r) { return std::isnan(r) ? "-" : fmt::format("{:.2g}", r); }

void print_table(const CompareOptions& o, const Prepared& p,
                 const std::vector<std::string>& activations,
                 const std::vector<std::vector<RunResult>>& runs) {
  const bool classification = p.classes > 0;
  const char* metric = classification ? "accuracy" : "rmse";
  const double scale = classification ? 100 : 1;
  const int digits = classification ? 2 : 4;
  std::string target_head =
      o.target_loss >= 0 ? fmt::format("epochs to {:g}", o.target_loss) : std::string();
  fmt::print("{:<18} {:>10} {:>18} {:>18} {:>17}", "activation", "parameters",
             fmt::format("train {}", metric), fmt::format("test {}", metric), "train loss");
  if (!target_head.empty()) fmt::print(" {:>18}", target_head);
  fmt::print(" {:>9} {:>7} {:>15}\n", "ms/epoch", "dead %", "grad ratio 0->E");
  for (std::size_t a = 0; a < activations.size(); ++a) {
    std::vector<double> tr, te, loss, ms, dead, reached, g0, g1;
    for (const RunResult& r : runs[a]) {
      tr.push_back(r.final_train.metric);
      te.push_back(r.final_test.metric);
      loss.push_back(r.final_train.loss);
      double seconds = 0;
      for (const auto& e : r.epochs) seconds += e.seconds;
      ms.push_back(1e3 * seconds / double(r.epochs.size()));
      dead.push_back(100 * r.dead_fraction);
      if (r.epochs_to_target) reached.push_back(double(r.epochs_to_target));
      g0.push_back(r.flow_init.ratio());
      g1.push_back(r.flow_end.ratio());
    }
    fmt::print("{:<18} {:>10} {:>18} {:>18} {:>17}", activations[a], runs[a][0].parameters,
               mean_std(tr, digits, scale) + (classification ? "%" : ""),
               mean_std(te, digits, scale) + (classification ? "%" : ""), mean_std(loss, 4));
    if (!target_head.empty())
      fmt::print(" {:>18}", reached.empty() ? fmt::format("never (0/{})", runs[a].size())
                                            : fmt::format("{} ({}/{})", mean_std(reached, 1),
                                                          reached.size(), runs[a].size()));
    fmt::print(" {:>9.2f} {:>7.1f} {:>15}\n", mean(ms), mean(dead),
               ratio_str(mean(g0)) + " -> " + ratio_str(mean(g1)));
    std::fflush(stdout);
  }
}

// ---- files and pictures -----------------------------------------------------------------------

void write_files(const CompareOptions& o, const Prepared& p,
                 const std::vector<std::string>& activations,
                 const std::vector<std::vector<RunResult>>& runs, const Plane& plane) {
  const bool classification = p.classes > 0;
  const std::string metric = classification ? "accuracy" : "rmse";
  std::string results = fmt::format(
      "activation,seed,epoch,seconds,train_loss,train_{0},test_loss,test_{0}\n", metric);
  std::string summary = fmt::format(
      "activation,seed,parameters,train_loss,train_{0},test_loss,test_{0},epochs_to_target,"
      "seconds_per_epoch,dead_fraction,grad_ratio_init,grad_ratio_end\n",
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
      summary += fmt::format(
          "{},{},{},{},{},{},{},{},{:.6f},{},{},{}\n", r.activation, r.seed, r.parameters,
          csv_number(r.final_train.loss), csv_number(r.final_train.metric),
          csv_number(r.final_test.loss), csv_number(r.final_test.metric),
          r.epochs_to_target ? std::to_string(r.epochs_to_target) : std::string(),
          seconds / double(r.epochs.size()), csv_number(r.dead_fraction),
          csv_number(r.flow_init.ratio()), csv_number(r.flow_end.ratio()));
      for (const auto& [when, flow] : {std::pair{"init", &r.flow_init}, {"end", &r.flow_end}})
        for (std::size_t l = 0; l < flow->layers.size(); ++l)
          gradients += fmt::format("{},{},{},{},{},{}\n", r.activation, r.seed, when, l + 1,
                                   flow->layers[l].first, csv_number(flow->layers[l].second));
    }
  write_output(o.out, "results.csv", results);
  write_output(o.out, "summary.csv", summary);
  write_output(o.out, "gradients.csv", gradients);

  // Mean curves over seeds and mean per-layer gradients, one column per activation: what the
  // plots draw.
  std::string head;
  for (const auto& a : activations) head += "," + a;
  std::string loss_curves = "epoch" + head + "\n", test_curves = loss_curves;
  for (std::size_t e = 0; e < o.epochs; ++e) {
    loss_curves += std::to_string(e + 1);
    test_curves += std::to_string(e + 1);
    for (const auto& per_seed : runs) {
      std::vector<double> l, t;
      for (const RunResult& r : per_seed) {
        l.push_back(r.epochs[e].train.loss);
        t.push_back(r.epochs[e].test.metric * (classification ? 100 : 1));
      }
      loss_curves += "," + csv_number(mean(l));
      test_curves += "," + csv_number(mean(t));
    }
    loss_curves += "\n";
    test_curves += "\n";
  }
  std::string layer_head = "layer";
  for (const auto& a : activations) layer_head += fmt::format(",{0} at init,{0} trained", a);
  std::string layers = layer_head + "\n";
  const std::size_t depth = runs[0][0].flow_init.layers.size();
  for (std::size_t l = 0; l < depth; ++l) {
    layers += std::to_string(l + 1);
    for (const auto& per_seed : runs) {
      std::vector<double> g0, g1;
      for (const RunResult& r : per_seed) {
        g0.push_back(r.flow_init.layers[l].second);
        g1.push_back(r.flow_end.layers[l].second);
      }
      layers += "," + csv_number(mean(g0)) + "," + csv_number(mean(g1));
    }
    layers += "\n";
  }
  write_output(o.out, "plot_loss.csv", loss_curves);
  write_output(o.out, "plot_test.csv", test_curves);
  write_output(o.out, "plot_layers.csv", layers);

  const std::size_t n = activations.size();
  const std::string quality = classification ? "test accuracy (%)" : "test RMSE";
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

  if (!runs[0][0].boundary.empty()) {  // 2-D classification: one panel per activation
    std::string points;
    for (std::size_t r = 0; r < p.x_train.size(0); ++r)
      points += fmt::format("{},{},{}\n", p.x_train.at(r, 0), p.x_train.at(r, 1),
                            int(p.y_train.at(r)) + 1);
    write_output(o.out, "plot_points.csv", points);
    const std::size_t cols = std::min<std::size_t>(n, 3), rows = (n + cols - 1) / cols;
    gp += fmt::format(
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
        300 * cols, 300 * rows + 30, plane.x0, plane.x1, plane.y0, plane.y1, rows, cols, o.seed);
    for (std::size_t a = 0; a < n; ++a) {
      std::string grid;
      for (int j = 0; j < kGrid; ++j)
        for (int i = 0; i < kGrid; ++i)
          grid += fmt::format("{:.5g},{:.5g},{}\n", plane.x(i), plane.y(j),
                              runs[a][0].boundary[std::size_t(j * kGrid + i)]);
      const std::string file = "plot_boundary_" + activations[a] + ".csv";
      write_output(o.out, file, grid);
      gp += fmt::format(
          "set title '{}'\nplot '{}' using 1:2:3 with image, 'plot_points.csv' using 1:2:3 "
          "with points pt 7 ps 0.3 lc variable\n",
          activations[a], file);
    }
    gp += "unset multiplot\n";
    pngs.push_back("boundaries.png");
  }
  write_output(o.out, "plots.gp", gp);
  fmt::print("\nfiles: results.csv, summary.csv, gradients.csv in {}\n{}\n", o.out,
             render_plots(o.out, "plots.gp", pngs));
}

int compare(CompareOptions& o) {
  if (o.data.dataset.empty() == o.data.csv.empty())
    throw UsageError("give either --dataset NAME or --csv FILE --target COLUMN");
  if (!o.data.csv.empty() && o.data.target.empty()) throw UsageError("--csv needs --target COLUMN");
  check_optimizer(o.optim);
  o.model.hidden = parse_sizes(o.hidden, "--hidden");
  if (o.data.seed == 0) o.data.seed = o.seed;
  const std::vector<std::string> activations = split_list(o.activations, "--activations");
  for (const auto& a : activations) xg::nn::make_activation<float>(a);  // unknown: fail now
  if (!o.out.empty()) make_directory(o.out);

  const Prepared p = prepare(o.data);
  o.model.in = p.features;
  o.model.out = p.classes > 0 ? p.classes : 1;
  std::string widths;
  for (auto h : o.model.hidden) widths += fmt::format("{} -> ", h);
  fmt::print("data   {}: {} train / {} test\n", p.description, p.x_train.size(0), p.x_test.size(0));
  fmt::print("model  {} -> {}{}, init {}; {} lr {}, batch {}, {} epochs; {}\n\n", o.model.in,
             widths, o.model.out, o.model.init, o.optim.name, o.optim.lr, o.batch, o.epochs,
             o.seeds == 1 ? fmt::format("seed {}", o.seed)
                          : fmt::format("seeds {}..{} (mean ± std over seeds)", o.seed,
                                        o.seed + o.seeds - 1));

  const bool with_boundary = !o.out.empty() && p.features == 2 && p.classes > 0;
  const Plane plane = with_boundary ? plane_of(p.x_train) : Plane{};
  Progress progress;
  std::vector<std::vector<RunResult>> runs(activations.size());
  for (std::size_t a = 0; a < activations.size(); ++a)
    for (std::size_t s = 0; s < o.seeds; ++s) {
      const std::string label = fmt::format("{} ({}/{}) seed {} ({}/{})", activations[a], a + 1,
                                            activations.size(), o.seed + s, s + 1, o.seeds);
      runs[a].push_back(run_one(o, p, activations[a], o.seed + s, with_boundary && s == 0, plane,
                                progress, label));
      const RunResult& r = runs[a].back();
      progress.line(fmt::format("{}: {} epochs, test {} {}, train loss {:.4f}", label, o.epochs,
                                p.classes ? "accuracy" : "rmse",
                                p.classes ? fmt::format("{:.2f}%", 100 * r.final_test.metric)
                                          : fmt::format("{:.4g}", r.final_test.metric),
                                r.final_train.loss));
    }
  progress.clear();
  print_table(o, p, activations, runs);
  if (!o.out.empty()) write_files(o, p, activations, runs, plane);
  return 0;
}

}  // namespace

Subcommand add_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "train the same network with several activations (and seeds) and tabulate the results");
  add_data_options(cmd, o->data);
  cmd->add_option("--hidden", o->hidden, "hidden layer widths, comma separated")
      ->capture_default_str();
  cmd->add_option("--activations", o->activations, "comma-separated activation names")
      ->capture_default_str();
  cmd->add_option("--init", o->model.init, "weight init")
      ->check(CLI::IsMember({"auto", "kaiming", "xavier", "lecun"}))
      ->capture_default_str();
  add_optimizer_options(cmd, o->optim);
  cmd->add_option("--epochs", o->epochs, "passes over the training set")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "mini-batch size")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "first seed of the init and the batch order")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "runs per activation, seeds --seed, --seed + 1, ...")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--target-loss", o->target_loss,
                  "report the first epoch whose training loss is at or below this")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", o->out,
                  "write results.csv, summary.csv, gradients.csv and PNG plots here");
  return {cmd, [o] { return compare(*o); }};
}

}  // namespace xgcli
