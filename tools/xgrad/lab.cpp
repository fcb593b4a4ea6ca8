// Shared by `xgrad compare` and `xgrad gradients`.
#include "lab.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <xgrad/core/autograd.hpp>
#include <xgrad/data/datasets.hpp>
#include <xgrad/io/text_file.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/ops/pointwise.hpp>
#include <xgrad/ops/reduce.hpp>

namespace xgcli {

using xg::Tensor;

void add_data_options(CLI::App* cmd, DataSpec& d) {
  auto* ds = cmd->add_option("--dataset", d.dataset, "spiral|moons|circles|xor|blobs|triangles");
  auto* csv = cmd->add_option("--csv", d.csv, "a numeric CSV table with a header row")
                  ->check(CLI::ExistingFile);
  ds->excludes(csv);
  cmd->add_option("--target", d.target, "the CSV column to predict")->needs(csv);
  cmd->add_option("--task", d.task, "CSV: auto|classification|regression")
      ->check(CLI::IsMember({"auto", "classification", "regression"}))
      ->capture_default_str();
  cmd->add_option("--samples", d.samples, "dataset size (spiral: per class); default per dataset");
  cmd->add_option("--noise", d.noise, "dataset noise (blobs: std); default per dataset");
  cmd->add_option("--classes", d.classes, "spiral arms / blob centres (default 3)");
  cmd->add_option("--factor", d.factor, "circles: inner radius in (0, 1)")->capture_default_str();
  cmd->add_option("--test-fraction", d.test_fraction, "held-out fraction")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--data-seed", d.seed, "seed of the data and the split (default: --seed)");
  d.seed = 0;
}

void add_optimizer_options(CLI::App* cmd, OptimSpec& o) {
  cmd->add_option("--optimizer", o.name, "sgd|momentum|adam|adamw|rmsprop|adagrad")
      ->check(CLI::IsMember({"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"}))
      ->capture_default_str();
  cmd->add_option("--lr", o.lr, "learning rate (> 0)")->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "L2 / decoupled weight decay")
      ->capture_default_str();
  cmd->add_option("--momentum", o.momentum, "momentum for --optimizer momentum")
      ->capture_default_str();
}

void check_optimizer(const OptimSpec& o) {
  if (!(o.lr > 0) || !std::isfinite(o.lr))
    throw UsageError(fmt::format("--lr must be > 0, got {}", o.lr));
  if (o.weight_decay < 0)
    throw UsageError(fmt::format("--weight-decay must be >= 0, got {}", o.weight_decay));
}

Score score(Model& model, const Tensor& x, const Tensor& y, const Prepared& p) {
  const bool was_training = model.is_training();
  const Evaluation e = evaluate(model, x, y, p);
  model.train(was_training);
  return {e.loss, p.classes ? e.accuracy : e.rmse};
}

Score train_epoch(Model& model, Optimizer& opt, const Prepared& p, std::size_t batch,
                  std::uint64_t shuffle_seed) {
  const bool classification = p.classes > 0;
  xg::metrics::RunningMean loss_sum;
  std::size_t correct = 0;
  double squared = 0;
  for (auto [xb, yb] : xg::data::batches(p.x_train, p.y_train, batch, shuffle_seed)) {
    opt.zero_grad();
    const Tensor out = model(xb);
    const Tensor l = loss(out, yb, classification);
    l.backward();
    opt.step();
    const double lv = l.item();
    if (!std::isfinite(lv)) throw TrainingFailed(fmt::format("the loss became {}: lower --lr", lv));
    loss_sum.add(lv, xb.size(0));
    if (classification) {
      const auto pred = xg::metrics::predictions(out);
      const auto lab = xg::metrics::labels_of(yb);
      for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == lab[i];
    } else {
      squared += lv * double(xb.size(0));
    }
  }
  const double n = double(p.x_train.size(0));
  return {loss_sum.mean(),
          classification ? double(correct) / n : std::sqrt(squared / n) * p.target.scale};
}

xg::diagnostics::GradientFlow training_gradient_flow(Model& model, const Prepared& p) {
  model.zero_grad();
  loss(model(p.x_train), p.y_train, p.classes > 0).backward();
  auto flow = xg::diagnostics::gradient_flow(model);
  model.zero_grad();
  return flow;
}

std::vector<std::string> split_list(const std::string& text, const char* flag) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  if (out.empty()) throw UsageError(fmt::format("{} needs at least one name", flag));
  return out;
}

std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

double mean(const std::vector<double>& values) {
  double s = 0;
  for (double v : values) s += v;
  return values.empty() ? std::nan("") : s / double(values.size());
}

std::string mean_std(const std::vector<double>& values, int digits, double scale) {
  if (values.empty()) return "-";
  const double m = mean(values);
  if (values.size() == 1) return fmt::format("{:.{}f}", m * scale, digits);
  double sq = 0;
  for (double v : values) sq += (v - m) * (v - m);
  const double sd = std::sqrt(sq / double(values.size() - 1));
  return fmt::format("{:.{}f} ± {:.{}f}", m * scale, digits, sd * scale, digits);
}

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

Progress::Progress() : tty_(::isatty(::fileno(stderr))) {}

void Progress::live(const std::string& text) {
  if (!tty_ || now_seconds() - last_ < 0.05) return;
  fmt::print(stderr, "\r{}\x1b[K", text);
  std::fflush(stderr);
  last_ = now_seconds();
}

void Progress::line(const std::string& text) {
  fmt::print(stderr, tty_ ? "\r{}\x1b[K\n" : "{}\n", text);
  std::fflush(stderr);
}

void Progress::clear() {
  if (!tty_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

void make_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw UsageError(fmt::format("cannot create the output directory '{}': {}", dir,
                                 ec ? ec.message() : "a file of that name exists"));
}

std::string write_output(const std::string& dir, const std::string& name, const std::string& text) {
  const std::string path = dir + "/" + name;
  xg::io::write_text_atomically(path, text);
  return path;
}

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns its exit code (127: not found) and its output.
int run_command(const std::string& command, std::string& output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  char buf[512];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string render_plots(const std::string& dir, const std::string& script,
                         const std::vector<std::string>& pngs) {
  std::string output;
  if (run_command("gnuplot --version", output) != 0)
    return "pictures: gnuplot not found, so only the CSV files were written; for the PNG plots "
           "install it (Debian: apt-get install gnuplot-nox) and run again";
  output.clear();
  const int code = run_command(
      fmt::format("cd {} && gnuplot {}", shell_quote(dir), shell_quote(script)), output);
  std::string written;
  for (const std::string& png : pngs) {
    const std::string tmp = dir + "/" + png + ".tmp";
    std::error_code ec;
    if (code == 0 && std::filesystem::file_size(tmp, ec) > 0 && !ec) {
      std::filesystem::rename(tmp, dir + "/" + png, ec);
      if (!ec) {
        written += (written.empty() ? "" : ", ") + png;
        continue;
      }
    }
    std::filesystem::remove(tmp, ec);
  }
  if (code != 0) {
    const std::size_t eol = output.find('\n', output.find_first_not_of(" \n"));
    return fmt::format("pictures: gnuplot failed ({}), so only the CSV files were written",
                       output.substr(0, eol == std::string::npos ? output.size() : eol));
  }
  return fmt::format("pictures: {} in {}", written.empty() ? "none" : written, dir);
}

}  // namespace xgcli
