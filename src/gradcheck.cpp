#include "xgrad/gradcheck.hpp"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <stdexcept>

namespace xg {

std::string GradcheckReport::message() const {
  if (ok()) return fmt::format("gradcheck passed ({} Jacobian entries)", checked);
  std::string m = "gradcheck failed";
  if (!error.empty()) m += ": " + error;
  for (const auto& f : failures)
    m += fmt::format(
        "\n  input {}, element {} (output element {}): analytic {:.10g} vs numeric {:.10g} "
        "(difference {:.3g})",
        f.input, f.element, f.output, f.analytic, f.numeric, f.analytic - f.numeric);
  return m;
}

namespace {

using Jacobian = std::vector<std::vector<double>>;  // [input][element * outputs + output]

Jacobian analytic_jacobian(const std::function<TensorD()>& f, const std::vector<TensorD>& wrt,
                           std::size_t& outputs) {
  TensorD y = f();
  outputs = y.numel();
  Jacobian jac(wrt.size());
  for (std::size_t k = 0; k < wrt.size(); ++k) jac[k].assign(wrt[k].numel() * outputs, 0.0);
  if (!y.requires_grad()) return jac;  // no input reaches the output: all zeros
  for (std::size_t o = 0; o < outputs; ++o) {
    for (auto t : wrt) t.zero_grad();
    TensorD seed = TensorD::zeros(y.shape());
    seed.data().data()[o] = 1.0;
    y.backward(seed, /*retain_graph=*/true);
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      const TensorD g = wrt[k].grad();
      if (!g.defined()) continue;
      for (std::size_t j = 0; j < g.numel(); ++j) jac[k][j * outputs + o] = g.data().data()[j];
    }
  }
  return jac;
}

Jacobian numeric_jacobian(const std::function<TensorD()>& f, const std::vector<TensorD>& wrt,
                          std::size_t outputs, double eps) {
  NoGradGuard no_grad;
  Jacobian jac(wrt.size());
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    jac[k].assign(wrt[k].numel() * outputs, 0.0);
    double* v = const_cast<TensorD&>(wrt[k]).data().data();
    for (std::size_t j = 0; j < wrt[k].numel(); ++j) {
      const double saved = v[j];
      v[j] = saved + eps;
      const TensorD plus = f();
      v[j] = saved - eps;
      const TensorD minus = f();
      v[j] = saved;
      for (std::size_t o = 0; o < outputs; ++o)
        jac[k][j * outputs + o] = (plus.data().data()[o] - minus.data().data()[o]) / (2 * eps);
    }
  }
  return jac;
}

}  // namespace

GradcheckReport gradcheck(const std::function<TensorD()>& f, const std::vector<TensorD>& params,
                          const GradcheckOptions& options) {
  const auto require = [](bool ok, const char* option, const char* range, double v) {
    if (!ok || !std::isfinite(v))
      throw std::invalid_argument(
          fmt::format("gradcheck: {} must be finite and {}, got {}", option, range, v));
  };
  require(options.eps > 0, "eps", "> 0", options.eps);
  require(options.atol >= 0, "atol", ">= 0", options.atol);
  require(options.rtol >= 0, "rtol", ">= 0", options.rtol);
  GradcheckReport report;
  std::vector<TensorD> wrt;
  std::vector<std::size_t> position;
  for (std::size_t k = 0; k < params.size(); ++k)
    if (params[k].defined() && params[k].requires_grad()) {
      wrt.push_back(params[k]);
      position.push_back(k);
    }
  if (wrt.empty()) {
    report.error = "no input requires grad: nothing to check";
    return report;
  }
  std::vector<TensorD> saved_grads;  // the check must not disturb the callers' gradients
  for (const auto& t : wrt)
    saved_grads.push_back(t.grad().defined() ? t.grad().detach() : TensorD());
  try {
    std::size_t outputs = 0;
    const Jacobian analytic = analytic_jacobian(f, wrt, outputs);
    const Jacobian numeric = numeric_jacobian(f, wrt, outputs, options.eps);
    for (std::size_t k = 0; k < wrt.size(); ++k)
      for (std::size_t e = 0; e < analytic[k].size(); ++e) {
        ++report.checked;
        const double a = analytic[k][e], n = numeric[k][e];
        const bool close = std::abs(a - n) <= options.atol + options.rtol * std::abs(n);
        if (!close && report.failures.size() < options.max_failures)
          report.failures.push_back({position[k], e / outputs, e % outputs, a, n});
      }
  } catch (const std::exception& e) {
    report.error = e.what();
  }
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    wrt[k].zero_grad();
    if (saved_grads[k].defined())
      detail::TensorAccess::impl(wrt[k]).grad = detail::TensorAccess::impl_ptr(saved_grads[k]);
  }
  return report;
}

GradcheckReport gradcheck(const std::function<TensorD(const std::vector<TensorD>&)>& f,
                          const std::vector<TensorD>& inputs, const GradcheckOptions& options) {
  return gradcheck([&]() { return f(inputs); }, inputs, options);
}

}  // namespace xg
