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

  XG_UPDATE_CLONES void plain(std::size_t n, T* __restrict p, const T* __restrict g) const {
    for (std::size_t j = 0; j < n; ++j) p[j] -= lr * (g[j] + wd * p[j]);
  }
  // PyTorch: the momentum buffer starts as the first gradient.
  template <bool First, bool Nesterov>
  XG_UPDATE_CLONES void momentum(std::size_t n, T* __restrict p, const T* __restrict g,
                                 T* __restrict b) const {
    for (std::size_t j = 0; j < n; ++j) {
      const T d = g[j] + wd * p[j];
      b[j] = First ? d : mu * b[j] + damp * d;
      p[j] -= lr * (Nesterov ? d + mu * b[j] : b[j]);
    }
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
                            if (!momentum) return s.plain(n, p, g);
                            T* b = st.buffers[0].data();
                            if (st.steps == 1)
                              nesterov ? s.template momentum<true, true>(n, p, g, b)
                                       : s.template momentum<true, false>(n, p, g, b);
                            else
                              nesterov ? s.template momentum<false, true>(n, p, g, b)
                                       : s.template momentum<false, false>(n, p, g, b);
                          });
  }
}

template class BasicOptimizer<float, SGDOptions>;
template class BasicOptimizer<double, SGDOptions>;
template class BasicSGD<float>;
template class BasicSGD<double>;

}  // namespace xg::optim
