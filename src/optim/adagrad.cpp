// Adagrad with learning-rate decay, PyTorch's update rule.
#include <algorithm>
#include <cmath>

#include "option_fields.hpp"
#include "xgrad/optim/adagrad.hpp"

namespace xg::optim {

using detail::for_each_with_grad;
using detail::require;
using detail::set_option;
using detail::single_group;
using detail::with_decay;

void AdagradOptions::set(AdagradOptions& o, const std::string& k, double v) {
  set_option(o, k, v, "Adagrad");
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
BasicAdagrad<T>::BasicAdagrad(std::vector<BasicTensor<T>> params, AdagradOptions o)
    : BasicAdagrad(single_group(std::move(params)), o) {}
template <class T>
BasicAdagrad<T>::BasicAdagrad(std::vector<ParamGroupSpec<T>> groups, AdagradOptions o)
    : BasicOptimizer<T, AdagradOptions>("Adagrad", std::move(groups), o) {}

template <class T>
void BasicAdagrad<T>::step() {
  for (auto& group : this->groups_) {
    const AdagradOptions& o = group.options;
    const T wd = T(o.weight_decay), eps = T(o.eps);
    for_each_with_grad<T>(group, 1, o.initial_accumulator_value,
                          [&](T* p, const T* g, std::size_t n, auto& st) {
                            const T clr = T(o.lr / (1 + double(st.steps - 1) * o.lr_decay));
                            T* s = st.buffers[0].data();
                            with_decay(o.weight_decay, [&](auto decay) {
                              for (std::size_t j = 0; j < n; ++j) {
                                const T d = decay() ? g[j] + wd * p[j] : g[j];
                                s[j] += d * d;
                                p[j] -= clr * d / (std::sqrt(s[j]) + eps);
                              }
                            });
                          });
  }
}

template class BasicOptimizer<float, AdagradOptions>;
template class BasicOptimizer<double, AdagradOptions>;
template class BasicAdagrad<float>;
template class BasicAdagrad<double>;

}  // namespace xg::optim
