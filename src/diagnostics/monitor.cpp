// diagnostics::Monitor: hooks that measure every layer on recorded steps.
#include "xgrad/diagnostics/monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "xgrad/diagnostics/probes.hpp"
#include "xgrad/io/text_file.hpp"

namespace xg::diagnostics {

namespace {

double l2_norm(const float* v, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += double(v[i]) * double(v[i]);
  return std::sqrt(s);
}

// Mean, population standard deviation and fraction of zeros of a layer's output.
void output_stats(const Array<float>& out, LayerStats& s) {
  const std::size_t n = out.size();
  if (n == 0) return;
  const float* v = out.data();
  double sum = 0;
  std::size_t zeros = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += v[i];
    zeros += v[i] == 0.f;
  }
  const double mean = sum / double(n);
  double sq = 0;
  for (std::size_t i = 0; i < n; ++i) sq += (v[i] - mean) * (v[i] - mean);
  s.mean = mean;
  s.std = std::sqrt(sq / double(n));
  s.zero_fraction = double(zeros) / double(n);
}

std::string number(double v) { return std::isnan(v) ? "-" : fmt::format("{:.3g}", v); }
std::string percent(double v) { return std::isnan(v) ? "-" : fmt::format("{:.1f}", 100 * v); }
std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{:.9g}", v); }
std::string csv_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + '"';
}

}  // namespace

struct Monitor::State {
  struct Layer {
    std::string name;
    nn::Module* module;
    bool saturating;
  };
  MonitorOptions options;
  std::vector<Layer> layers;
  nn::NamedTensors<float> params;
  std::vector<Array<float>> before;  // parameter values at the recorded step's first forward
  bool have_before = false;
  std::size_t step = 0;
  MonitorRecord current;  // the recorded step in progress
  std::vector<MonitorRecord> records;
  std::vector<RemovableHandle> handles;

  bool recording() const { return step % options.every == 0; }

  void reset_current() {
    current = MonitorRecord{step, {}, {}};
    for (const Layer& l : layers)
      current.layers.push_back({l.name, l.module->describe(), l.module->activation_name()});
  }

  void snapshot_parameters() {
    before.resize(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) before[i] = params[i].second.data();
    have_before = true;
  }

  void measure_output(std::size_t i, const Tensor& input, const Tensor& output,
                      const std::weak_ptr<State>& self) {
    LayerStats& s = current.layers[i];
    output_stats(output.data(), s);
    if (layers[i].saturating)
      s.saturated_fraction =
          saturated_fraction(*layers[i].module, input, options.saturation_threshold);
    if (output.requires_grad())
      Tensor(output).register_hook([self, i](const Tensor& g) {
        if (auto state = self.lock())
          state->current.layers[i].grad_norm = l2_norm(g.data().data(), g.numel());
      });
  }

  void close_step() {
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Tensor& p = params[i].second;
      const Array<float>& w = p.data();
      ParameterStats s{params[i].first, l2_norm(w.data(), w.size())};
      if (const Tensor g = p.grad(); g.defined()) s.grad_norm = l2_norm(g.data().data(), g.numel());
      if (have_before) {
        const Array<float>& b = before[i];
        double delta = 0;
        for (std::size_t j = 0; j < w.size(); ++j)
          delta += (double(w.data()[j]) - b.data()[j]) * (double(w.data()[j]) - b.data()[j]);
        const double base = l2_norm(b.data(), b.size());
        if (base > 0) s.update_ratio = std::sqrt(delta) / base;
      }
      current.parameters.push_back(s);
    }
    records.push_back(std::move(current));
  }
};

Monitor::Monitor(nn::Module& model, MonitorOptions options) : state_(std::make_shared<State>()) {
  if (options.every < 1)
    throw std::invalid_argument(fmt::format("Monitor: every must be >= 1, got {}", options.every));
  if (!(options.saturation_threshold > 0))
    throw std::invalid_argument(fmt::format("Monitor: saturation_threshold must be > 0, got {}",
                                            options.saturation_threshold));
  State& s = *state_;
  s.options = options;
  for (auto& [name, layer] : named_layers(model))
    s.layers.push_back({name, layer, saturates(layer->activation_name())});
  s.params = model.named_parameters();
  s.reset_current();

  // Hooks hold the state weakly: they may outlive the monitor on modules and live graphs.
  const std::weak_ptr<State> weak = state_;
  s.handles.push_back(model.register_forward_pre_hook([weak](nn::Module&, const Tensor&) {
    auto state = weak.lock();
    if (state && state->recording() && grad_enabled() && !state->have_before)
      state->snapshot_parameters();
  }));
  for (std::size_t i = 0; i < s.layers.size(); ++i)
    s.handles.push_back(s.layers[i].module->register_forward_hook(
        [weak, i](nn::Module&, const Tensor& input, const Tensor& output) {
          auto state = weak.lock();
          if (state && state->recording() && grad_enabled())
            state->measure_output(i, input, output, weak);
        }));
}

Monitor::~Monitor() {
  for (auto& h : state_->handles) h.remove();
}

void Monitor::step() {
  State& s = *state_;
  if (s.recording()) s.close_step();
  ++s.step;
  s.have_before = false;
  if (s.recording()) s.reset_current();
}

bool Monitor::recording() const { return state_->recording(); }
std::size_t Monitor::steps() const { return state_->step; }
const std::vector<MonitorRecord>& Monitor::records() const { return state_->records; }

std::string Monitor::summary() const {
  const State& s = *state_;
  if (s.records.empty()) return "Monitor: no step recorded yet (call step() after each update)\n";
  const MonitorRecord& r = s.records.back();
  std::size_t name_w = 5, module_w = 6, param_w = 9;
  for (const auto& l : r.layers) {
    name_w = std::max(name_w, l.name.size());
    module_w = std::max(module_w, l.module.size());
  }
  for (const auto& p : r.parameters) param_w = std::max(param_w, p.name.size());

  std::string out = fmt::format("Monitor: step {} (recorded every {} steps, {} records)\n", r.step,
                                s.options.every, s.records.size());
  out += fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>6}  {:>6}  {:>9}\n", "layer", name_w,
                     "module", module_w, "mean", "std", "zero%", "sat%", "grad_out");
  for (const auto& l : r.layers)
    out += fmt::format("{:<{}}  {:<{}}  {:>9}  {:>9}  {:>6}  {:>6}  {:>9}\n", l.name, name_w,
                       l.module, module_w, number(l.mean), number(l.std), percent(l.zero_fraction),
                       percent(l.saturated_fraction), number(l.grad_norm));
  out += fmt::format("\n{:<{}}  {:>9}  {:>9}  {:>9}\n", "parameter", param_w, "norm", "grad",
                     "update/w");
  for (const auto& p : r.parameters)
    out += fmt::format("{:<{}}  {:>9}  {:>9}  {:>9}\n", p.name, param_w, number(p.norm),
                       number(p.grad_norm), number(p.update_ratio));
  return out;
}

void Monitor::to_csv(const std::string& path) const {
  std::string out =
      "step,kind,name,module,mean,std,zero_fraction,saturated_fraction,grad_norm,norm,"
      "update_ratio\n";
  for (const auto& r : state_->records) {
    for (const auto& l : r.layers)
      out += fmt::format("{},layer,{},{},{},{},{},{},{},,\n", r.step, l.name, csv_text(l.module),
                         csv_number(l.mean), csv_number(l.std), csv_number(l.zero_fraction),
                         csv_number(l.saturated_fraction), csv_number(l.grad_norm));
    for (const auto& p : r.parameters)
      out += fmt::format("{},parameter,{},,,,,,{},{},{}\n", r.step, p.name, csv_number(p.grad_norm),
                         csv_number(p.norm), csv_number(p.update_ratio));
  }
  io::write_text_atomically(path, out);
}

}  // namespace xg::diagnostics
