// Gradient clipping and L1/L2 penalties.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"
#include "xgrad/optim/clip.hpp"

namespace xg::optim {

template <class T>
double clip_grad_norm_(const std::vector<BasicTensor<T>>& params, double max_norm,
                       double norm_type) {
  if (!(max_norm >= 0))
    throw std::invalid_argument(
        fmt::format("clip_grad_norm_: max_norm must be >= 0, got {}", max_norm));
  if (!(norm_type > 0))
    throw std::invalid_argument(
        fmt::format("clip_grad_norm_: norm_type must be > 0 or inf, got {}", norm_type));
  const bool inf = std::isinf(norm_type);
  double acc = 0;
  for (const auto& p : params) {
    const BasicTensor<T> g = p.grad();
    if (!g.defined()) continue;
    for (T v : g.data()) {
      const double a = std::abs(double(v));
      // The inf norm is NaN if a gradient is, as torch's max (std::max would skip the NaN).
      acc = inf ? (a > acc || std::isnan(a) ? a : acc) : acc + std::pow(a, norm_type);
    }
  }
  const double total = inf ? acc : std::pow(acc, 1 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  // PyTorch multiplies by clamp(coef, max=1) always: by NaN for a NaN norm (or inf / inf), by 0
  // for an infinite one; skipping the multiplication by 1 changes nothing.
  if (!(coef >= 1))
    for (const auto& p : params) {
      BasicTensor<T> g = p.grad();
      if (g.defined())
        for (T& v : g.data()) v *= T(coef);
    }
  return total;
}

template <class T>
void clip_grad_value_(const std::vector<BasicTensor<T>>& params, double clip_value) {
  if (!(clip_value >= 0))
    throw std::invalid_argument(
        fmt::format("clip_grad_value_: clip_value must be >= 0, got {}", clip_value));
  const T c = T(clip_value);
  for (const auto& p : params) {
    BasicTensor<T> g = p.grad();
    if (g.defined())
      for (T& v : g.data()) v = std::clamp(v, -c, c);
  }
}

template <class T>
BasicTensor<T> l1_penalty(const std::vector<BasicTensor<T>>& params) {
  BasicTensor<T> total = BasicTensor<T>::scalar(0);
  for (const auto& p : params) total = total + xg::abs(p).sum();
  return total;
}

template <class T>
BasicTensor<T> l2_penalty(const std::vector<BasicTensor<T>>& params) {
  BasicTensor<T> total = BasicTensor<T>::scalar(0);
  for (const auto& p : params) total = total + (p * p).sum();
  return total;
}

#define XG_INSTANTIATE(T)                                                              \
  template double clip_grad_norm_(const std::vector<BasicTensor<T>>&, double, double); \
  template void clip_grad_value_(const std::vector<BasicTensor<T>>&, double);          \
  template BasicTensor<T> l1_penalty(const std::vector<BasicTensor<T>>&);              \
  template BasicTensor<T> l2_penalty(const std::vector<BasicTensor<T>>&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::optim
