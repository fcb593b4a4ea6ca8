// diagnostics::Monitor: per-layer statistics of a model while it trains, recorded every k steps.
//
//   diagnostics::Monitor mon(model, {/*every*/ 10});
//   for (...) {
//     opt.zero_grad();
//     nn::cross_entropy(model(xb), yb).backward();
//     opt.step();
//     mon.step();              // after opt.step(): closes this step's record
//   }
//   fmt::print("{}", mon.summary());
//   mon.to_csv("monitor.csv");
//
// It attaches hooks to every layer (named_layers(): the modules without children, however deeply
// nested) and detaches them when destroyed. On a recorded step it measures each layer's output
// (mean, standard deviation, fraction exactly 0, fraction saturated for the activations that
// saturate), the norm of the gradient reaching that output, and, at step(), each parameter's norm,
// gradient norm and update-to-weight ratio ‖Δw‖/‖w‖ of the optimizer step just taken. Steps that
// are not recorded cost one hook call per layer that returns at once. Forward passes under
// NoGradGuard (evaluation) are not recorded.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::diagnostics {

struct MonitorOptions {
  std::size_t every = 1;               // record steps 0, every, 2 every, ... (>= 1)
  double saturation_threshold = 1e-3;  // |f'(x)| below this counts as saturated
};

constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

// Statistics of one layer's output at one recorded step. NaN marks what was not measured.
struct LayerStats {
  std::string name;        // dotted name: "0", "block.1"
  std::string module;      // describe(): "Linear(in=2, out=16, bias=true)"
  std::string activation;  // catalogue name, "" for other layers
  // Over every element of the output (std: population, divides by n).
  double mean = kNotMeasured, std = kNotMeasured;
  double zero_fraction = kNotMeasured;       // elements exactly 0
  double saturated_fraction = kNotMeasured;  // |f'(input)| < threshold, if the activation saturates
  double grad_norm = kNotMeasured;  // ‖dL/d output‖, when a backward reached the output
};

// One parameter at one recorded step (taken at step(), after the optimizer's update).
struct ParameterStats {
  std::string name;                 // "0.weight"
  double norm = kNotMeasured;       // ‖w‖ after the update
  double grad_norm = kNotMeasured;  // ‖∇w‖, when it has a gradient
  double update_ratio = kNotMeasured;  // ‖w_after - w_before‖ / ‖w_before‖, when ‖w_before‖ > 0
};

struct MonitorRecord {
  std::size_t step = 0;
  std::vector<LayerStats> layers;
  std::vector<ParameterStats> parameters;
};

class Monitor {
 public:
  explicit Monitor(nn::Module& model, MonitorOptions options = {});
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Ends the current training step: on a recorded step, measures the parameters and stores the
  // record. Call it once per step, after the optimizer's step().
  void step();
  bool recording() const;     // whether the current step is recorded
  std::size_t steps() const;  // step() calls so far
  const std::vector<MonitorRecord>& records() const;

  // The last record as two aligned tables (layers, then parameters).
  std::string summary() const;
  // Every record: one row per step and layer (kind "layer") and per step and parameter (kind
  // "parameter"), with a header row; fields that do not apply are empty. Written atomically;
  // throws std::runtime_error naming the file when it cannot be written.
  void to_csv(const std::string& path) const;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the hooks on tensors of graphs still alive
};

}  // namespace xg::diagnostics
