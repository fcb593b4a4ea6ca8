// SGD, Adam/AdamW, RMSprop, Adagrad: PyTorch's update rules, one fused loop per parameter.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::optim {
namespace {

[[noreturn]] void unknown_option(const char* optimizer, const std::string& key, const char* known) {
  throw std::invalid_argument(
      fmt::format("{}: unknown option '{}' (options: {})", optimizer, key, known));
}

void require(bool ok, const char* optimizer, const char* option, const char* range, double v) {
  if (!ok)
    throw std::invalid_argument(
        fmt::format("{}: {} must be {}, got {}", optimizer, option, range, v));
}

// The parameters of a group that have a gradient, with their state; fn(p, g, n, state).
template <class T, class Group, class Fn>
void for_each_with_grad(Group& group, std::size_t buffers, double initial, Fn&& fn) {
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    BasicTensor<T>& p = group.params[i];
    const BasicTensor<T> g = p.grad();
    if (!g.defined()) continue;
    auto& state = group.state[i];
    if (state.buffers.size() != buffers) {  // first step: allocate this parameter's state
      state.buffers.assign(buffers, Array<T>());
      for (auto& b : state.buffers) b = Array<T>(p.shape(), T(initial));
    }
    ++state.steps;
    fn(p.data().data(), g.data().data(), p.size(), state);
  }
}

template <class T>
std::vector<ParamGroupSpec<T>> single_group(std::vector<BasicTensor<T>> params) {
  return {ParamGroupSpec<T>{std::move(params), {}}};
}

}  // namespace

// ---- the shared machinery ----

template <class T, class Options>
OptimizerT<T, Options>::OptimizerT(const char* name, std::vector<ParamGroupSpec<T>> groups,
                                   Options defaults)
    : name_(name), defaults_(defaults) {
  defaults_.validate(name_);
  for (auto& g : groups) add_param_group(std::move(g.params), g.options);
}

template <class T, class Options>
void OptimizerT<T, Options>::add_param_group(std::vector<BasicTensor<T>> params,
                                             const std::map<std::string, double>& overrides) {
  Options o = defaults_;
  for (const auto& [key, value] : overrides) Options::set(o, key, value);
  o.validate(name_);
  for (const auto& p : params)
    if (!p.defined() || !p.requires_grad())
      throw std::invalid_argument(
          fmt::format("{}: every parameter must be a defined tensor that requires grad", name_));
  const std::size_t n = params.size();
  groups_.push_back(Group{std::move(params), o, std::vector<State>(n)});
}

template <class T, class Options>
void OptimizerT<T, Options>::zero_grad(bool set_to_none) {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad(set_to_none);
}

// ---- SGD ----

void SGDOptions::set(SGDOptions& o, const std::string& k, double v) {
  if (k == "lr")
    o.lr = v;
  else if (k == "momentum")
    o.momentum = v;
  else if (k == "dampening")
    o.dampening = v;
  else if (k == "weight_decay")
    o.weight_decay = v;
  else if (k == "nesterov")
    o.nesterov = v != 0;
  else
    unknown_option("SGD", k, "lr, momentum, dampening, weight_decay, nesterov");
}
void SGDOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(momentum >= 0, n, "momentum", ">= 0", momentum);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
  if (nesterov && (momentum <= 0 || dampening != 0))
    throw std::invalid_argument(fmt::format(
        "{}: nesterov needs momentum > 0 and dampening = 0, got momentum={} dampening={}", n,
        momentum, dampening));
}

template <class T>
SGDT<T>::SGDT(std::vector<BasicTensor<T>> params, SGDOptions o)
    : SGDT(single_group(std::move(params)), o) {}
template <class T>
SGDT<T>::SGDT(std::vector<ParamGroupSpec<T>> groups, SGDOptions o)
    : OptimizerT<T, SGDOptions>("SGD", std::move(groups), o) {}

template <class T>
void SGDT<T>::step() {
  for (auto& group : this->groups_) {
    const SGDOptions& o = group.options;
    const T lr = T(o.lr), wd = T(o.weight_decay), mu = T(o.momentum), damp = T(1 - o.dampening);
    const bool momentum = o.momentum != 0, nesterov = o.nesterov;
    for_each_with_grad<T>(
        group, momentum ? 1 : 0, 0, [&](T* p, const T* g, std::size_t n, auto& st) {
          if (!momentum) {
            for (std::size_t j = 0; j < n; ++j) p[j] -= lr * (g[j] + wd * p[j]);
            return;
          }
          T* b = st.buffers[0].data();
          const bool first = st.steps == 1;  // PyTorch: the buffer starts as the first gradient
          for (std::size_t j = 0; j < n; ++j) {
            const T d = g[j] + wd * p[j];
            b[j] = first ? d : mu * b[j] + damp * d;
            p[j] -= lr * (nesterov ? d + mu * b[j] : b[j]);
          }
        });
  }
}

// ---- Adam / AdamW ----

void AdamOptions::set(AdamOptions& o, const std::string& k, double v) {
  if (k == "lr")
    o.lr = v;
  else if (k == "beta1")
    o.beta1 = v;
  else if (k == "beta2")
    o.beta2 = v;
  else if (k == "eps")
    o.eps = v;
  else if (k == "weight_decay")
    o.weight_decay = v;
  else if (k == "amsgrad")
    o.amsgrad = v != 0;
  else
    unknown_option("Adam", k, "lr, beta1, beta2, eps, weight_decay, amsgrad");
}
void AdamOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(beta1 >= 0 && beta1 < 1, n, "beta1", "in [0, 1)", beta1);
  require(beta2 >= 0 && beta2 < 1, n, "beta2", "in [0, 1)", beta2);
  require(eps >= 0, n, "eps", ">= 0", eps);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
}

template <class T>
AdamT<T>::AdamT(std::vector<BasicTensor<T>> params, AdamOptions o)
    : AdamT(single_group(std::move(params)), o) {}
template <class T>
AdamT<T>::AdamT(std::vector<ParamGroupSpec<T>> groups, AdamOptions o)
    : AdamT("Adam", std::move(groups), o, false) {}
template <class T>
AdamT<T>::AdamT(const char* name, std::vector<ParamGroupSpec<T>> groups, AdamOptions o,
                bool decoupled)
    : OptimizerT<T, AdamOptions>(name, std::move(groups), o), decoupled_(decoupled) {}

template <class T>
void AdamT<T>::step() {
  for (auto& group : this->groups_) {
    const AdamOptions& o = group.options;
    const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps);
    for_each_with_grad<T>(group, o.amsgrad ? 3 : 2, 0,
                          [&](T* p, const T* g, std::size_t n, auto& st) {
                            const double t = double(st.steps);
                            const T step_size = T(o.lr / (1 - std::pow(o.beta1, t)));
                            const T inv_sqrt_bc2 = T(1 / std::sqrt(1 - std::pow(o.beta2, t)));
                            const T decay = decoupled_ ? T(1 - o.lr * o.weight_decay) : T(1);
                            const T wd = decoupled_ ? T(0) : T(o.weight_decay);
                            T *m = st.buffers[0].data(), *v = st.buffers[1].data();
                            T* vmax = o.amsgrad ? st.buffers[2].data() : nullptr;
                            for (std::size_t j = 0; j < n; ++j) {
                              p[j] *= decay;
                              const T d = g[j] + wd * p[j];
                              m[j] = b1 * m[j] + (1 - b1) * d;
                              v[j] = b2 * v[j] + (1 - b2) * d * d;
                              T vj = v[j];
                              if (vmax) vj = vmax[j] = std::max(vmax[j], v[j]);
                              p[j] -= step_size * m[j] / (std::sqrt(vj) * inv_sqrt_bc2 + eps);
                            }
                          });
  }
}

template <class T>
AdamWT<T>::AdamWT(std::vector<BasicTensor<T>> params, AdamWOptions o)
    : AdamWT(single_group(std::move(params)), o) {}
template <class T>
AdamWT<T>::AdamWT(std::vector<ParamGroupSpec<T>> groups, AdamWOptions o)
    : AdamT<T>("AdamW", std::move(groups), o, true) {}

// ---- RMSprop ----

void RMSpropOptions::set(RMSpropOptions& o, const std::string& k, double v) {
  if (k == "lr")
    o.lr = v;
  else if (k == "alpha")
    o.alpha = v;
  else if (k == "eps")
    o.eps = v;
  else if (k == "weight_decay")
    o.weight_decay = v;
  else if (k == "momentum")
    o.momentum = v;
  else if (k == "centered")
    o.centered = v != 0;
  else
    unknown_option("RMSprop", k, "lr, alpha, eps, weight_decay, momentum, centered");
}
void RMSpropOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(alpha >= 0, n, "alpha", ">= 0", alpha);
  require(eps >= 0, n, "eps", ">= 0", eps);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
  require(momentum >= 0, n, "momentum", ">= 0", momentum);
}

template <class T>
RMSpropT<T>::RMSpropT(std::vector<BasicTensor<T>> params, RMSpropOptions o)
    : RMSpropT(single_group(std::move(params)), o) {}
template <class T>
RMSpropT<T>::RMSpropT(std::vector<ParamGroupSpec<T>> groups, RMSpropOptions o)
    : OptimizerT<T, RMSpropOptions>("RMSprop", std::move(groups), o) {}

template <class T>
void RMSpropT<T>::step() {
  for (auto& group : this->groups_) {
    const RMSpropOptions& o = group.options;
    const T lr = T(o.lr), a = T(o.alpha), eps = T(o.eps), wd = T(o.weight_decay),
            mu = T(o.momentum);
    const bool momentum = o.momentum > 0;
    // buffers: square_avg, momentum_buffer, grad_avg
    for_each_with_grad<T>(group, 3, 0, [&](T* p, const T* g, std::size_t n, auto& st) {
      T *s = st.buffers[0].data(), *b = st.buffers[1].data(), *ga = st.buffers[2].data();
      for (std::size_t j = 0; j < n; ++j) {
        const T d = g[j] + wd * p[j];
        s[j] = a * s[j] + (1 - a) * d * d;
        T avg;
        if (o.centered) {
          ga[j] = a * ga[j] + (1 - a) * d;
          avg = std::sqrt(s[j] - ga[j] * ga[j]) + eps;
        } else {
          avg = std::sqrt(s[j]) + eps;
        }
        if (momentum) {
          b[j] = mu * b[j] + d / avg;
          p[j] -= lr * b[j];
        } else {
          p[j] -= lr * d / avg;
        }
      }
    });
  }
}

// ---- Adagrad ----

void AdagradOptions::set(AdagradOptions& o, const std::string& k, double v) {
  if (k == "lr")
    o.lr = v;
  else if (k == "lr_decay")
    o.lr_decay = v;
  else if (k == "weight_decay")
    o.weight_decay = v;
  else if (k == "initial_accumulator_value")
    o.initial_accumulator_value = v;
  else if (k == "eps")
    o.eps = v;
  else
    unknown_option("Adagrad", k, "lr, lr_decay, weight_decay, initial_accumulator_value, eps");
}
void AdagradOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(lr_decay >= 0, n, "lr_decay", ">= 0", lr_decay);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
  require(initial_accumulator_value >= 0, n, "initial_accumulator_value", ">= 0",
          initial_accumulator_value);
  require(eps >= 0, n, "eps", ">= 0", eps);
}

template <class T>
AdagradT<T>::AdagradT(std::vector<BasicTensor<T>> params, AdagradOptions o)
    : AdagradT(single_group(std::move(params)), o) {}
template <class T>
AdagradT<T>::AdagradT(std::vector<ParamGroupSpec<T>> groups, AdagradOptions o)
    : OptimizerT<T, AdagradOptions>("Adagrad", std::move(groups), o) {}

template <class T>
void AdagradT<T>::step() {
  for (auto& group : this->groups_) {
    const AdagradOptions& o = group.options;
    const T wd = T(o.weight_decay), eps = T(o.eps);
    for_each_with_grad<T>(group, 1, o.initial_accumulator_value,
                          [&](T* p, const T* g, std::size_t n, auto& st) {
                            const T clr = T(o.lr / (1 + double(st.steps - 1) * o.lr_decay));
                            T* s = st.buffers[0].data();
                            for (std::size_t j = 0; j < n; ++j) {
                              const T d = g[j] + wd * p[j];
                              s[j] += d * d;
                              p[j] -= clr * d / (std::sqrt(s[j]) + eps);
                            }
                          });
  }
}

#define XG_INSTANTIATE(T)                       \
  template class OptimizerT<T, SGDOptions>;     \
  template class OptimizerT<T, AdamOptions>;    \
  template class OptimizerT<T, RMSpropOptions>; \
  template class OptimizerT<T, AdagradOptions>; \
  template class SGDT<T>;                       \
  template class AdamT<T>;                      \
  template class AdamWT<T>;                     \
  template class RMSpropT<T>;                   \
  template class AdagradT<T>;
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::optim
