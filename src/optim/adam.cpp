// Adam (with amsgrad) and AdamW (decoupled weight decay), PyTorch's update rules.
#include <algorithm>
#include <cmath>

#include "option_fields.hpp"
#include "xgrad/optim/adam.hpp"

namespace xg::optim {

using detail::for_each_with_grad;
using detail::require;
using detail::set_option;
using detail::single_group;
using detail::with_decay;

void AdamOptions::set(AdamOptions& o, const std::string& k, double v) {
  set_option(o, k, v, "Adam");
}
void AdamOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(beta1 >= 0 && beta1 < 1, n, "beta1", "in [0, 1)", beta1);
  require(beta2 >= 0 && beta2 < 1, n, "beta2", "in [0, 1)", beta2);
  require(eps >= 0, n, "eps", ">= 0", eps);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
}

template <class T>
BasicAdam<T>::BasicAdam(std::vector<BasicTensor<T>> params, AdamOptions o)
    : BasicAdam(single_group(std::move(params)), o) {}
template <class T>
BasicAdam<T>::BasicAdam(std::vector<ParamGroupSpec<T>> groups, AdamOptions o)
    : BasicAdam("Adam", std::move(groups), o, false) {}
template <class T>
BasicAdam<T>::BasicAdam(const char* name, std::vector<ParamGroupSpec<T>> groups, AdamOptions o,
                        bool decoupled)
    : BasicOptimizer<T, AdamOptions>(name, std::move(groups), o), decoupled_(decoupled) {}

// One Adam update over n values. A function of its own with distinct (__restrict) buffers and
// no branch in the loop, so that the compiler vectorises it, square root and division included.
template <class T>
struct AdamStep {
  T decay, wd, b1, b2, step_size, inv_sqrt_bc2, eps;

  // Coupled: Adam's wd != 0, added to the gradient (PyTorch reads p for it only then).
  template <bool Amsgrad, bool Coupled>
  XG_UPDATE_CLONES void update(std::size_t n, T* __restrict p, const T* __restrict g,
                               T* __restrict m, T* __restrict v, T* __restrict vmax) const {
    for (std::size_t j = 0; j < n; ++j) {
      const T d = Coupled ? g[j] + wd * p[j] : g[j];
      m[j] = b1 * m[j] + (1 - b1) * d;
      v[j] = b2 * v[j] + (1 - b2) * d * d;
      T vj = v[j];
      // torch.maximum: NaN if either is (std::max(vmax, NaN) would keep vmax).
      if constexpr (Amsgrad) vj = vmax[j] = vmax[j] < v[j] || v[j] != v[j] ? v[j] : vmax[j];
      p[j] -= step_size * m[j] / (std::sqrt(vj) * inv_sqrt_bc2 + eps);
    }
  }
  XG_UPDATE_CLONES void scale(std::size_t n, T* __restrict p) const {
    for (std::size_t j = 0; j < n; ++j) p[j] *= decay;
  }
  // AdamW: p *= 1 - lr * wd, then the update, as PyTorch's two steps. In loops of their own, so
  // that the product is rounded (in one loop, an FMA fused it into the update's subtraction), a
  // block at a time, so that p is still in cache.
  template <bool Amsgrad>
  void decoupled(std::size_t n, T* p, const T* g, T* m, T* v, T* vmax) const {
    constexpr std::size_t block = 2048;
    for (std::size_t j = 0; j < n; j += block) {
      const std::size_t k = std::min(block, n - j);
      scale(k, p + j);
      update<Amsgrad, false>(k, p + j, g + j, m + j, v + j, Amsgrad ? vmax + j : nullptr);
    }
  }
};

template <class T>
void BasicAdam<T>::step() {
  for (auto& group : this->groups_) {
    const AdamOptions& o = group.options;
    const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps);
    // The bias corrections of the last step count seen: parameters of a group usually share it,
    // and two pow calls per tensor cost as much as updating a small one.
    double corrected_t = -1;
    T step_size = 0, inv_sqrt_bc2 = 0;
    for_each_with_grad<T>(
        group, o.amsgrad ? 3 : 2, 0, [&](T* p, const T* g, std::size_t n, auto& st) {
          const double t = double(st.steps);
          if (t != corrected_t) {
            step_size = T(o.lr / (1 - std::pow(o.beta1, t)));
            inv_sqrt_bc2 = T(1 / std::sqrt(1 - std::pow(o.beta2, t)));
            corrected_t = t;
          }
          const T decay = decoupled_ ? T(1 - o.lr * o.weight_decay) : T(1);
          const double wd = decoupled_ ? 0 : o.weight_decay;
          const AdamStep<T> s{decay, T(wd), b1, b2, step_size, inv_sqrt_bc2, eps};
          T *m = st.buffers[0].data(), *v = st.buffers[1].data();
          T* vmax = o.amsgrad ? st.buffers[2].data() : nullptr;
          if (decoupled_ && o.weight_decay != 0)
            o.amsgrad ? s.template decoupled<true>(n, p, g, m, v, vmax)
                      : s.template decoupled<false>(n, p, g, m, v, vmax);
          else
            with_decay(wd, [&](auto coupled) {
              o.amsgrad ? s.template update<true, coupled()>(n, p, g, m, v, vmax)
                        : s.template update<false, coupled()>(n, p, g, m, v, vmax);
            });
        });
  }
}

template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<BasicTensor<T>> params, AdamWOptions o)
    : BasicAdamW(single_group(std::move(params)), o) {}
template <class T>
BasicAdamW<T>::BasicAdamW(std::vector<ParamGroupSpec<T>> groups, AdamWOptions o)
    : BasicAdam<T>("AdamW", std::move(groups), o, true) {}

template class BasicOptimizer<float, AdamOptions>;
template class BasicOptimizer<double, AdamOptions>;
template class BasicAdam<float>;
template class BasicAdam<double>;
template class BasicAdamW<float>;
template class BasicAdamW<double>;

}  // namespace xg::optim
