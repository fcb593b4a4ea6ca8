// Dead units, saturation and gradient flow.
#include "xgrad/diagnostics/probes.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "xgrad/ops/reduce.hpp"

namespace xg::diagnostics {

namespace {

void collect_layers(nn::Module& m, const std::string& name,
                    std::vector<std::pair<std::string, nn::Module*>>& out) {
  if (m.children().empty()) {
    out.emplace_back(name, &m);
    return;
  }
  for (const auto& [child_name, child] : m.children())
    collect_layers(*child, name.empty() ? child_name : name + "." + child_name, out);
}

// Switches a module to eval mode for its lifetime, then back to what it was.
class EvalMode {
 public:
  explicit EvalMode(nn::Module& m) : m_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalMode() { m_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  nn::Module& m_;
  bool was_training_;
};

// Stops `params` from requiring grad for its lifetime (restoring each one's flag).
class FrozenParameters {
 public:
  explicit FrozenParameters(std::vector<Tensor> params) : params_(std::move(params)) {
    for (Tensor& p : params_) {
      was_.push_back(p.requires_grad());
      p.requires_grad_(false);
    }
  }
  ~FrozenParameters() {
    for (std::size_t i = 0; i < params_.size(); ++i) params_[i].requires_grad_(was_[i]);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<Tensor> params_;
  std::vector<bool> was_;
};

double l2_norm(const Array<float>& a) {
  double s = 0;
  for (float v : a) s += double(v) * double(v);
  return std::sqrt(s);
}

}  // namespace

std::vector<std::pair<std::string, nn::Module*>> named_layers(nn::Module& model) {
  std::vector<std::pair<std::string, nn::Module*>> out;
  collect_layers(model, "", out);
  return out;
}

bool saturates(const nn::ActivationInfo& info) {
  return info.saturation.find("both sides") != std::string::npos;
}

bool saturates(const std::string& activation) {
  for (const auto& info : nn::activation_catalogue())
    if (info.name == activation) return saturates(info);
  return false;
}

double saturated_fraction(nn::Module& activation, const Tensor& x, double threshold) {
  if (x.numel() == 0) return 0.0;
  FrozenParameters frozen(activation.parameters());
  struct GradMode {  // on for the lifetime of this measurement, whatever the caller's mode
    bool was = grad_enabled();
    GradMode() { set_grad_enabled(true); }
    ~GradMode() { set_grad_enabled(was); }
  } grad_mode;
  Tensor input = x.detach().requires_grad_();
  const Tensor y = activation.forward(input);  // forward(), not operator(): no hooks run
  if (y.shape() != x.shape())
    throw std::invalid_argument(fmt::format(
        "saturated_fraction: {} maps shape {} to {}; only elementwise activations have a "
        "per-element derivative",
        activation.describe(), shape_str(x.shape()), shape_str(y.shape())));
  // Elementwise, d(sum f(x))/dx_i = f'(x_i). A layer that records no graph has f' = 0.
  if (y.requires_grad()) xg::sum(y).backward();
  const Tensor g = input.grad();
  if (!g.defined()) return 1.0;
  std::size_t flat = 0;
  for (float v : g.data()) flat += std::abs(v) < threshold;
  return double(flat) / double(x.numel());
}

std::vector<DeadUnits> dead_units(nn::Module& model, const Tensor& x) {
  std::vector<DeadUnits> result;
  std::vector<RemovableHandle> handles;
  for (auto& [name, layer] : named_layers(model)) {
    const std::string activation = layer->activation_name();
    if (activation.empty()) continue;
    const std::size_t index = result.size();
    result.push_back({name, activation, {}, 0});
    handles.push_back(layer->register_forward_hook(
        [&result, index](nn::Module&, const Tensor&, const Tensor& out) {
          DeadUnits& d = result[index];
          const std::size_t rows = out.dim() ? out.size(0) : 1;
          d.total = rows ? out.numel() / rows : 0;
          std::vector<bool> alive(d.total, false);
          const float* v = out.data().data();
          for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t u = 0; u < d.total; ++u)
              alive[u] = alive[u] || v[r * d.total + u] != 0;
          d.units.clear();
          for (std::size_t u = 0; u < d.total; ++u)
            if (!alive[u]) d.units.push_back(u);
        }));
  }
  try {
    EvalMode eval(model);
    NoGradGuard no_grad;
    model(x);
  } catch (...) {
    for (auto& h : handles) h.remove();
    throw;
  }
  for (auto& h : handles) h.remove();
  return result;
}

double dead_fraction(const std::vector<DeadUnits>& layers) {
  std::size_t dead = 0, total = 0;
  for (const auto& d : layers) {
    dead += d.units.size();
    total += d.total;
  }
  return total ? double(dead) / double(total) : 0.0;
}

double GradientFlow::ratio() const {
  if (layers.size() < 2 || layers.back().second == 0)
    return std::numeric_limits<double>::quiet_NaN();
  return layers.front().second / layers.back().second;
}

std::string GradientFlow::verdict() const {
  const double r = ratio();
  if (std::isnan(r)) return "undefined (fewer than two weight gradients)";
  if (r < 1e-2) return fmt::format("vanishing: {:.1e}", r);
  if (r > 1e2) return fmt::format("exploding: {:.1e}", r);
  return fmt::format("ok: {:.2g}", r);
}

GradientFlow gradient_flow(nn::Module& model) {
  GradientFlow flow;
  for (const auto& [name, p] : model.named_parameters()) {
    const bool is_weight =
        name == "weight" || (name.size() > 7 && name.rfind(".weight") == name.size() - 7);
    if (!is_weight || p.dim() < 2) continue;
    const Tensor g = p.grad();
    flow.layers.emplace_back(name, g.defined() ? l2_norm(g.data()) : 0.0);
  }
  return flow;
}

}  // namespace xg::diagnostics
