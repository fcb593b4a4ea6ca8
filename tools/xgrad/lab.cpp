// Shared by `xgrad compare` and `xgrad gradients`.
#include "lab.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <utility>
#include <xgrad/io/text_file.hpp>
#include <xgrad/nn/activation_registry.hpp>

namespace xgcli {

xg::diagnostics::GradientFlow training_gradient_flow(Model& model, const Prepared& p) {
  model.zero_grad();
  loss(model(p.x_train), p.y_train, p.classes > 0).backward();
  auto flow = xg::diagnostics::gradient_flow(model);
  model.zero_grad();
  return flow;
}

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

ActivationChoice activation_choice(const std::string& entry, const char* flag) {
  const std::vector<std::string> parts = split(entry, ':');
  ActivationChoice c{entry, parts[0], {}};
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t eq = parts[i].find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(
          fmt::format("{}: '{}': expected name:key=number (e.g. "
                      "leaky_relu:negative_slope=0.2), got '{}'",
                      flag, shown(entry), shown(parts[i])));
    const std::string key = parts[i].substr(0, eq);
    if (c.params.count(key))
      throw UsageError(fmt::format("{}: '{}' gives {} twice", flag, shown(entry), shown(key)));
    c.params[key] = parse_real(fmt::format("{} {}:{}", flag, shown(c.name), shown(key)),
                               parts[i].substr(eq + 1), -std::numeric_limits<double>::max(),
                               std::numeric_limits<double>::max());
  }
  try {
    xg::nn::make_activation<float>(c.name, c.params);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("{}: '{}': {}", flag, shown(entry), e.what()));
  }
  return c;
}

// What an entry trains: its activation (aliases resolved) and every hyper-parameter's value.
std::pair<std::string, std::map<std::string, double>> meaning(const ActivationChoice& c) {
  const auto& info = xg::nn::activation_info(c.name);
  std::map<std::string, double> values = info.defaults;
  for (const auto& [key, value] : c.params) values[key] = value;
  return {info.name, values};
}

}  // namespace

std::vector<ActivationChoice> activation_choices(const std::string& text, const char* flag) {
  std::vector<ActivationChoice> out;
  for (const std::string& entry : split(text, ','))
    if (!entry.empty()) out.push_back(activation_choice(entry, flag));
  if (out.empty()) throw UsageError(fmt::format("{} needs at least one name", flag));
  // The same network twice would be trained twice and overwrite its own output files.
  for (std::size_t i = 1; i < out.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (meaning(out[i]) == meaning(out[j]))
        throw UsageError(out[i].label == out[j].label
                             ? fmt::format("{}: '{}' is named twice", flag, shown(out[i].label))
                             : fmt::format("{}: '{}' and '{}' are the same activation", flag,
                                           shown(out[j].label), shown(out[i].label)));
  return out;
}

std::string file_part(const std::string& label) {
  std::string out = label;
  for (char& ch : out)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '.' && ch != '-')
      ch = '_';
  return out;
}

std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

double mean(const std::vector<double>& values) {
  double s = 0;
  for (double v : values) s += v;
  return values.empty() ? std::nan("") : s / double(values.size());
}

std::string decimals(double v, int digits) {
  if (std::isnan(v)) return "-";
  return std::fabs(v) < 1e6 ? fmt::format("{:.{}f}", v, digits) : fmt::format("{:.3e}", v);
}

std::string mean_std(const std::vector<double>& values, int digits, double scale) {
  if (values.empty()) return "-";
  const double m = mean(values);
  if (values.size() == 1) return decimals(m * scale, digits);
  double sq = 0;
  for (double v : values) sq += (v - m) * (v - m);
  const double sd = std::sqrt(sq / double(values.size() - 1));
  return decimals(m * scale, digits) + " ± " + decimals(sd * scale, digits);
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
    throw OutputError(fmt::format("--out: cannot create the directory '{}': {}", dir,
                                  ec ? ec.message() : "a file of that name exists"));
  check_writable(dir + "/results.csv", "--out");
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
