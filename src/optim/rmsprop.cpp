// RMSprop (centered, momentum), PyTorch's update rule.
#include <algorithm>
#include <cmath>

#include "option_fields.hpp"
#include "xgrad/optim/rmsprop.hpp"

namespace xg::optim {

using detail::for_each_with_grad;
using detail::require;
using detail::set_option;
using detail::single_group;
using detail::with_decay;

void RMSpropOptions::set(RMSpropOptions& o, const std::string& k, double v) {
  set_option(o, k, v, "RMSprop");
}
void RMSpropOptions::validate(const char* n) const {
  require(lr >= 0, n, "lr", ">= 0", lr);
  require(alpha >= 0, n, "alpha", ">= 0", alpha);
  require(eps >= 0, n, "eps", ">= 0", eps);
  require(weight_decay >= 0, n, "weight_decay", ">= 0", weight_decay);
  require(momentum >= 0, n, "momentum", ">= 0", momentum);
}

template <class T>
BasicRMSprop<T>::BasicRMSprop(std::vector<BasicTensor<T>> params, RMSpropOptions o)
    : BasicRMSprop(single_group(std::move(params)), o) {}
template <class T>
BasicRMSprop<T>::BasicRMSprop(std::vector<ParamGroupSpec<T>> groups, RMSpropOptions o)
    : BasicOptimizer<T, RMSpropOptions>("RMSprop", std::move(groups), o) {}

template <class T>
void BasicRMSprop<T>::step() {
  for (auto& group : this->groups_) {
    const RMSpropOptions& o = group.options;
    const T lr = T(o.lr), a = T(o.alpha), eps = T(o.eps), wd = T(o.weight_decay),
            mu = T(o.momentum);
    const bool momentum = o.momentum > 0;
    // buffers: square_avg, momentum_buffer, grad_avg
    for_each_with_grad<T>(group, 3, 0, [&](T* p, const T* g, std::size_t n, auto& st) {
      T *s = st.buffers[0].data(), *b = st.buffers[1].data(), *ga = st.buffers[2].data();
      with_decay(o.weight_decay, [&](auto decay) {
        for (std::size_t j = 0; j < n; ++j) {
          const T d = decay() ? g[j] + wd * p[j] : g[j];
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
    });
  }
}

template class BasicOptimizer<float, RMSpropOptions>;
template class BasicOptimizer<double, RMSpropOptions>;
template class BasicRMSprop<float>;
template class BasicRMSprop<double>;

}  // namespace xg::optim
