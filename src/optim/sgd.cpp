// SGD with momentum, dampening, Nesterov and weight decay (PyTorch's update rule).
#include <algorithm>
#include <cmath>

#include "option_fields.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::optim {

using detail::for_each_with_grad;
using detail::require;
using detail::set_option;
using detail::single_group;
using detail::with_decay;

void SGDOptions::set(SGDOptions& o, const std::string& k, double v) { set_option(o, k, v, "SGD"); }
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
BasicSGD<T>::BasicSGD(std::vector<BasicTensor<T>> params, SGDOptions o)
    : BasicSGD(single_group(std::move(params)), o) {}
template <class T>
BasicSGD<T>::BasicSGD(std::vector<ParamGroupSpec<T>> groups, SGDOptions o)
    : BasicOptimizer<T, SGDOptions>("SGD", std::move(groups), o) {}

// One SGD update over n values. A function of its own with distinct (__restrict) buffers and
// its scalars by value, so that the compiler vectorises it (through a lambda capturing by
// reference, every store could change lr or the momentum, and the loop stayed scalar).
template <class T>
struct SgdStep {
  T lr, wd, mu, damp;

  // Decay: wd != 0 (PyTorch reads p for the decay only then).
  template <bool Decay>
  XG_UPDATE_CLONES void plain(std::size_t n, T* __restrict p, const T* __restrict g) const {
    for (std::size_t j = 0; j < n; ++j) p[j] -= lr * (Decay ? g[j] + wd * p[j] : g[j]);
  }
  // PyTorch: the momentum buffer starts as the first gradient.
  template <bool Decay, bool First, bool Nesterov>
  XG_UPDATE_CLONES void momentum(std::size_t n, T* __restrict p, const T* __restrict g,
                                 T* __restrict b) const {
    for (std::size_t j = 0; j < n; ++j) {
      const T d = Decay ? g[j] + wd * p[j] : g[j];
      b[j] = First ? d : mu * b[j] + damp * d;
      p[j] -= lr * (Nesterov ? d + mu * b[j] : b[j]);
    }
  }
  // The loop for one tensor (b: its momentum buffer, or null without momentum).
  template <bool Decay>
  void update(std::size_t n, T* p, const T* g, T* b, bool first, bool nesterov) const {
    if (!b) return plain<Decay>(n, p, g);
    if (first)
      nesterov ? momentum<Decay, true, true>(n, p, g, b) : momentum<Decay, true, false>(n, p, g, b);
    else
      nesterov ? momentum<Decay, false, true>(n, p, g, b)
               : momentum<Decay, false, false>(n, p, g, b);
  }
};

template <class T>
void BasicSGD<T>::step() {
  for (auto& group : this->groups_) {
    const SGDOptions& o = group.options;
    const SgdStep<T> s{T(o.lr), T(o.weight_decay), T(o.momentum), T(1 - o.dampening)};
    const bool momentum = o.momentum != 0, nesterov = o.nesterov;
    for_each_with_grad<T>(group, momentum ? 1 : 0, 0,
                          [&](T* p, const T* g, std::size_t n, auto& st) {
                            T* b = momentum ? st.buffers[0].data() : nullptr;
                            with_decay(o.weight_decay, [&](auto decay) {
                              s.template update<decay()>(n, p, g, b, st.steps == 1, nesterov);
                            });
                          });
  }
}

template class BasicOptimizer<float, SGDOptions>;
template class BasicOptimizer<double, SGDOptions>;
template class BasicSGD<float>;
template class BasicSGD<double>;

}  // namespace xg::optim
