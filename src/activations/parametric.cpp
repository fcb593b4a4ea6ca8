// Activations with trainable parameters (PReLU, Swish-beta, SoftExponential, SReLU, APL) and
// Maxout. A parameter is shared (1 element) or per channel (one per entry of axis 1).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "kernels/activation.hpp"
#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/extend.hpp"

namespace xg {
namespace {

// x seen as [outer, channels, inner]; a shared parameter sees everything as one channel.
struct ChannelLayout {
  std::size_t outer = 1, channels = 1, inner = 1;
};

ChannelLayout channel_layout(const Shape& x, std::size_t param_size, const char* op,
                             const char* param) {
  ChannelLayout l;
  if (param_size == 1) {
    l.inner = shape_numel(x);
    return l;
  }
  if (x.size() < 2)
    throw std::invalid_argument(
        fmt::format("{}: input {} has no channel axis (axis 1), so {} must have 1 element, not {}",
                    op, shape_str(x), param, param_size));
  if (x[1] != param_size)
    throw std::invalid_argument(
        fmt::format("{}: {} has {} elements but input {} has {} channels on axis 1", op, param,
                    param_size, shape_str(x), x[1]));
  l.outer = x[0];
  l.channels = x[1];
  l.inner = shape_numel(x) / (l.outer * l.channels);
  return l;
}

// Calls fn(flat index, channel) over every element; the inner == 1 case ([N, C]) runs over
// contiguous channels, so the compiler vectorises it.
template <class Fn>
void for_each_element(const ChannelLayout& l, Fn&& fn) {
  if (l.inner == 1) {
    for (std::size_t o = 0; o < l.outer; ++o)
      for (std::size_t c = 0; c < l.channels; ++c) fn(o * l.channels + c, c);
    return;
  }
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t c = 0; c < l.channels; ++c) {
      const std::size_t base = (o * l.channels + c) * l.inner;
      for (std::size_t i = 0; i < l.inner; ++i) fn(base + i, c);
    }
}

// An activation f(x; p) with one parameter p per channel. Op: f(x, p), df(x, p) = df/dx and
// df_dp(x, p) = df/dp.
template <class T, class Op>
struct ChannelParamNode final : Node<T> {
  ChannelParamNode(Op o, ChannelLayout l, const char* n) : op(o), layout(l), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *p = this->input(1).data(), *gd = g.data();
    bool fresh = false;
    if (this->needs_grad(0)) {
      T* dx = this->grad_buffer(0, fresh).data();
      if (fresh)
        for_each_element(layout,
                         [&](std::size_t j, std::size_t c) { dx[j] = gd[j] * op.df(x[j], p[c]); });
      else
        for_each_element(layout,
                         [&](std::size_t j, std::size_t c) { dx[j] += gd[j] * op.df(x[j], p[c]); });
    }
    if (this->needs_grad(1)) {
      CachedVector<T> sums(layout.channels, T(0));
      for_each_element(
          layout, [&](std::size_t j, std::size_t c) { sums[c] += gd[j] * op.df_dp(x[j], p[c]); });
      this->accumulate(1, [&](std::size_t c) { return sums[c]; });
    }
  }
  Op op;
  ChannelLayout layout;
  const char* label;
};

template <class T, class Op>
BasicTensor<T> channel_param_op(const BasicTensor<T>& x, const BasicTensor<T>& p, Op op,
                                const char* name, const char* param, const char* node_name) {
  const ChannelLayout l = channel_layout(x.shape(), p.numel(), name, param);
  Array<T> y = Array<T>::from_shape(x.shape());
  const T *xd = x.data().data(), *pd = p.data().data();
  T* yd = y.data();
  for_each_element(l, [&](std::size_t j, std::size_t c) { yd[j] = op.f(xd[j], pd[c]); });
  return record<ChannelParamNode<T, Op>>(std::move(y), {x, p}, op, l, node_name);
}

// PReLU and Swish-beta: the vectorised kernels of src/kernels/activation.cpp, forward and backward.
template <class T>
struct ChannelKernelNode final : Node<T> {  // inputs: x, the parameter
  ChannelKernelNode(kernels::ChannelAct a, ChannelLayout l, const char* n)
      : act(a), layout(l), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>&) override {
    bool fresh_x = false, fresh_w = false;
    T* dx = this->needs_grad(0) ? this->grad_buffer(0, fresh_x).data() : nullptr;
    CachedVector<T> dw(this->needs_grad(1) ? layout.channels : 0, T(0));
    kernels::channel_backward(act, this->input(0).data(), this->input(1).data(), g.data(), dx,
                              dw.empty() ? nullptr : dw.data(), layout.outer, layout.channels,
                              layout.inner, !fresh_x);
    if (!dw.empty()) {
      T* d = this->grad_buffer(1, fresh_w).data();
      for (std::size_t c = 0; c < dw.size(); ++c) d[c] = fresh_w ? dw[c] : d[c] + dw[c];
    }
  }
  kernels::ChannelAct act;
  ChannelLayout layout;
  const char* label;
};

template <class T>
BasicTensor<T> channel_kernel_op(const BasicTensor<T>& x, const BasicTensor<T>& p,
                                 kernels::ChannelAct act, const char* op, const char* param,
                                 const char* node_name) {
  const ChannelLayout l = channel_layout(x.shape(), p.numel(), op, param);
  Array<T> y = Array<T>::from_shape(x.shape());
  kernels::channel_forward(act, x.data().data(), p.data().data(), y.data(), l.outer, l.channels,
                           l.inner);
  return record<ChannelKernelNode<T>>(std::move(y), {x, p}, act, l, node_name);
}

// Below this |alpha| (1 + |x|) the alpha != 0 formulas lose digits to cancellation; the
// first-order expansion around alpha = 0 is exact there to the type's precision.
template <class T>
constexpr T soft_exponential_small() {
  return std::is_same_v<T, float> ? T(1e-4) : T(1e-8);
}

// The alpha gradient near alpha x = 0, where the closed forms add terms of size 1/alpha^2 to get
// a result near 1 + x^2/2. alpha > 0: d/dalpha = 1 + x^2 S(z), z = alpha x,
// S(z) = sum_{n>=2} (n-1)/n! z^(n-2); alpha < 0: d/dalpha = 1/(1-w) + v^2 R(w), v = x + alpha,
// w = alpha v, R(w) = sum_{j>=0} (j+1)/(j+2) w^j (from -log(1-w)/alpha = sum_k w^k/(k alpha)).
// Summed to below 1e-17 relative: S for |z| < 1 to n = 20, R for |w| < 1/4 to j = 29.
template <class T>
T soft_exponential_series_positive(T z) {
  static const std::array<double, 19> c = [] {
    std::array<double, 19> out{};
    double factorial = 2;  // (m + 2)!
    for (std::size_t m = 0; m < out.size(); ++m) {
      out[m] = double(m + 1) / factorial;
      factorial *= double(m + 3);
    }
    return out;
  }();
  T sum = T(c.back());
  for (std::size_t m = c.size() - 1; m-- > 0;) sum = sum * z + T(c[m]);
  return sum;
}
template <class T>
T soft_exponential_series_negative(T w) {
  T sum = T(30) / T(31);
  for (int j = 28; j >= 0; --j) sum = sum * w + T(j + 1) / T(j + 2);
  return sum;
}

template <class T>
struct SoftExponentialOp {
  static bool near_zero(T x, T a) {
    return std::abs(a) * (1 + std::abs(x)) < soft_exponential_small<T>();
  }
  static T nan() { return std::numeric_limits<T>::quiet_NaN(); }
  // alpha < 0: u = 1 - alpha (x + alpha) must be > 0.
  static T log_u(T x, T a) { return std::log1p(-a * (x + a)); }
  // Where e^(alpha x) or 1 - alpha (x + alpha) overflows T at a finite x, f and its derivatives
  // are finite or overflow only in the end (at alpha = 2, f(44.5) = 2.2e38 in float, e^89 is
  // not; at alpha = -2, f(3e38) = 44.6): they are then computed in long double.
  using Wide = SoftExponentialOp<long double>;
  static bool overflows(T x, T a) {
    if (!std::isfinite(x)) return false;
    constexpr T log_max = std::is_same_v<T, float> ? T(88.72) : T(709.78);
    return a > 0 ? a * x > log_max : !std::isfinite(a * (x + a));
  }
  T f(T x, T a) const { return overflows(x, a) ? T(Wide::f_at(x, a)) : f_at(x, a); }
  T df(T x, T a) const { return overflows(x, a) ? T(Wide::df_at(x, a)) : df_at(x, a); }
  T df_dp(T x, T a) const { return overflows(x, a) ? T(Wide::df_dp_at(x, a)) : df_dp_at(x, a); }
  static T f_at(T x, T a) {
    if (a == 0) return x;  // not through the expansion: x^2 overflows for large |x|
    if (near_zero(x, a)) return x + a * (1 + x * x / 2);
    if (a > 0) return std::expm1(a * x) / a + a;
    const T u = 1 - a * (x + a);
    return u > 0 ? -log_u(x, a) / a : nan();
  }
  static T df_at(T x, T a) {
    if (a == 0) return 1;  // f = x; near_zero would compute 0 * inf at x = +-inf
    if (near_zero(x, a)) return 1 + a * x;
    if (a > 0) return std::exp(a * x);
    const T u = 1 - a * (x + a);
    return u > 0 ? 1 / u : nan();
  }
  static T df_dp_at(T x, T a) {
    if (a == 0) return 1 + x * (x / 2);  // both sides' limit; x^2 would overflow from 1.3e154
    if (a > 0) {
      const T z = a * x;
      if (std::abs(z) < 1) return 1 + x * x * soft_exponential_series_positive(z);
      // (z e^z - (e^z - 1)) / a^2 + 1, with e^z = 0 (z = -inf) kept out of 0 * inf.
      const T e = std::exp(z);
      return (e == 0 ? T(1) : e * (z - 1) + 1) / (a * a) + 1;
    }
    const T v = x + a, w = a * v, u = 1 - w;
    if (!(u > 0)) return nan();
    if (std::abs(w) < T(0.25)) return 1 / u + v * v * soft_exponential_series_negative(w);
    return (x + 2 * a) / (a * u) + log_u(x, a) / (a * a);
  }
};

// ---- SReLU: four parameters per channel -----------------------------------------------------

// SReLU at one channel's parameters (t_left, a_left, t_right, a_right): f, df = df/dx and df_dp,
// the derivatives with respect to the parameters of the piece x falls on. A kink takes the piece
// just below it (left derivative): x <= t_left: left; t_left < x <= t_right: middle (no
// parameter); x > t_right: right.
template <class T>
struct SRelu {
  T tl, al, tr, ar;
  // d/dt and d/da of the piece's hinge and slope; `first` indexes t_left (0) or t_right (2).
  struct PieceGrad {
    std::size_t first;
    T d_t, d_a;
  };
  T f(T x) const { return x <= tl ? tl + al * (x - tl) : x < tr ? x : tr + ar * (x - tr); }
  T df(T x) const { return x <= tl ? al : x <= tr ? T(1) : ar; }
  std::optional<PieceGrad> df_dp(T x) const {
    if (x <= tl) return PieceGrad{0, 1 - al, x - tl};
    if (x <= tr) return std::nullopt;
    return PieceGrad{2, 1 - ar, x - tr};
  }
};
template <class T>
SRelu<T> srelu_at(const T* const p[4], std::size_t c) {
  return {p[0][c], p[1][c], p[2][c], p[3][c]};
}

template <class T>
struct SReluNode final : Node<T> {  // inputs: x, t_left, a_left, t_right, a_right
  explicit SReluNode(ChannelLayout l) : layout(l) {}
  const char* name() const override { return "SReluBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T* x = this->input(0).data();
    const T* const p[4] = {this->input(1).data(), this->input(2).data(), this->input(3).data(),
                           this->input(4).data()};
    const T* gd = g.data();
    const std::size_t C = layout.channels;
    CachedVector<T> dx(this->needs_grad(0) ? this->input(0).size() : 0), sums(4 * C, T(0));
    for_each_element(layout, [&](std::size_t j, std::size_t c) {
      const SRelu<T> op = srelu_at(p, c);
      if (const auto d = op.df_dp(x[j])) {
        sums[d->first * C + c] += gd[j] * d->d_t;
        sums[(d->first + 1) * C + c] += gd[j] * d->d_a;
      }
      if (!dx.empty()) dx[j] = gd[j] * op.df(x[j]);
    });
    if (!dx.empty()) this->accumulate(0, [&](std::size_t j) { return dx[j]; });
    for (std::size_t k = 0; k < 4; ++k)
      if (this->needs_grad(k + 1))
        this->accumulate(k + 1, [&](std::size_t c) { return sums[k * C + c]; });
  }
  ChannelLayout layout;
};

// ---- APL: S hinges per channel, a and b of shape [S, C] or [S, 1] --------------------------

// APL at one channel: a_s = a[s * stride], b_s = b[s * stride]. f, df = df/dx, and df_dp(x, fn)
// calls fn(s, df/da_s, df/db_s) for every hinge. A kink takes the piece below it: max(0, x) has
// slope 0 at 0; max(0, b_s - x) is active at x = b_s. A NaN x counts as active in every piece,
// as PyTorch's relu passes the gradient at NaN: df/dx = 1 - sum a_s, df/da_s = NaN.
template <class T>
struct Apl {
  const T *a, *b;
  std::size_t hinges, stride;
  T f(T x) const {
    T v = std::max(x, T(0));
    for (std::size_t s = 0; s < hinges; ++s) v += a[s * stride] * std::max(b[s * stride] - x, T(0));
    return v;
  }
  // Negated tests, so that NaN is active: !(x <= 0) for max(0, x), !(x > b_s) for the hinges.
  T df(T x) const {
    T slope = !(x <= 0) ? T(1) : T(0);
    for (std::size_t s = 0; s < hinges; ++s)
      if (!(x > b[s * stride])) slope -= a[s * stride];
    return slope;
  }
  template <class Fn>
  void df_dp(T x, Fn&& fn) const {
    for (std::size_t s = 0; s < hinges; ++s)
      if (!(x > b[s * stride])) fn(s, b[s * stride] - x, a[s * stride]);
  }
};

template <class T>
struct AplNode final : Node<T> {  // inputs: x, a, b
  AplNode(ChannelLayout l, std::size_t s) : layout(l), hinges(s) {}
  const char* name() const override { return "AplBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *a = this->input(1).data(), *b = this->input(2).data();
    const T* gd = g.data();
    const std::size_t C = layout.channels, S = hinges;
    CachedVector<T> dx(this->needs_grad(0) ? this->input(0).size() : 0), da(S * C), db(S * C);
    for_each_element(layout, [&](std::size_t j, std::size_t c) {
      const Apl<T> op{a + c, b + c, S, C};
      op.df_dp(x[j], [&](std::size_t s, T d_da, T d_db) {
        da[s * C + c] += gd[j] * d_da;
        db[s * C + c] += gd[j] * d_db;
      });
      if (!dx.empty()) dx[j] = gd[j] * op.df(x[j]);
    });
    if (!dx.empty()) this->accumulate(0, [&](std::size_t j) { return dx[j]; });
    if (this->needs_grad(1)) this->accumulate(1, [&](std::size_t k) { return da[k]; });
    if (this->needs_grad(2)) this->accumulate(2, [&](std::size_t k) { return db[k]; });
  }
  ChannelLayout layout;
  std::size_t hinges;
};

// ---- Maxout ---------------------------------------------------------------------------------

struct MaxoutLayout {
  std::size_t outer, groups, k, inner;
};

template <class T>
std::size_t first_max(const T* x, const MaxoutLayout& l, std::size_t o, std::size_t g,
                      std::size_t i) {
  const std::size_t base = (o * l.groups * l.k + g * l.k) * l.inner + i;
  std::size_t best = 0;
  for (std::size_t j = 1; j < l.k; ++j)
    if (x[base + j * l.inner] > x[base + best * l.inner]) best = j;
  return base + best * l.inner;
}

// Saves nothing: backward finds the (first) maximum again in the input.
template <class T>
struct MaxoutNode final : Node<T> {
  explicit MaxoutNode(MaxoutLayout l) : layout(l) {}
  const char* name() const override { return "MaxoutBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *gd = g.data();
    CachedVector<T> dx(this->input(0).size(), T(0));
    std::size_t out = 0;
    for (std::size_t o = 0; o < layout.outer; ++o)
      for (std::size_t gr = 0; gr < layout.groups; ++gr)
        for (std::size_t i = 0; i < layout.inner; ++i)
          dx[first_max(x, layout, o, gr, i)] += gd[out++];
    this->accumulate(0, [&](std::size_t j) { return dx[j]; });
  }
  MaxoutLayout layout;
};

template <class T>
void check_same_size(const BasicTensor<T>& p, const BasicTensor<T>& ref, const char* op,
                     const char* name, const char* ref_name) {
  if (p.numel() != ref.numel())
    throw std::invalid_argument(fmt::format("{}: {} has shape {} but {} has shape {}", op, name,
                                            shape_str(p.shape()), ref_name,
                                            shape_str(ref.shape())));
}

}  // namespace

template <class T>
BasicTensor<T> prelu(const BasicTensor<T>& x, const BasicTensor<T>& weight) {
  return channel_kernel_op(x, weight, kernels::ChannelAct::PReLU, "prelu", "weight",
                           "PreluBackward");
}

template <class T>
BasicTensor<T> swish_beta(const BasicTensor<T>& x, const BasicTensor<T>& beta) {
  return channel_kernel_op(x, beta, kernels::ChannelAct::SwishBeta, "swish_beta", "beta",
                           "SwishBetaBackward");
}

template <class T>
BasicTensor<T> soft_exponential(const BasicTensor<T>& x, const BasicTensor<T>& alpha) {
  return channel_param_op(x, alpha, SoftExponentialOp<T>{}, "soft_exponential", "alpha",
                          "SoftExponentialBackward");
}

template <class T>
BasicTensor<T> srelu(const BasicTensor<T>& x, const BasicTensor<T>& t_left,
                     const BasicTensor<T>& a_left, const BasicTensor<T>& t_right,
                     const BasicTensor<T>& a_right) {
  check_same_size(a_left, t_left, "srelu", "a_left", "t_left");
  check_same_size(t_right, t_left, "srelu", "t_right", "t_left");
  check_same_size(a_right, t_left, "srelu", "a_right", "t_left");
  const ChannelLayout l = channel_layout(x.shape(), t_left.numel(), "srelu", "t_left");
  const T* const p[4] = {t_left.data().data(), a_left.data().data(), t_right.data().data(),
                         a_right.data().data()};
  const T* xd = x.data().data();
  Array<T> y = Array<T>::from_shape(x.shape());
  T* yd = y.data();
  for_each_element(l, [&](std::size_t j, std::size_t c) { yd[j] = srelu_at(p, c).f(xd[j]); });
  return record<SReluNode<T>>(std::move(y), {x, t_left, a_left, t_right, a_right}, l);
}

template <class T>
BasicTensor<T> apl(const BasicTensor<T>& x, const BasicTensor<T>& a, const BasicTensor<T>& b) {
  if (a.dim() != 2 || a.size(0) == 0)
    throw std::invalid_argument(
        fmt::format("apl: a must have shape [S, C] or [S, 1] with S >= 1 hinges, got {}",
                    shape_str(a.shape())));
  if (a.shape() != b.shape())
    throw std::invalid_argument(fmt::format("apl: a has shape {} but b has shape {}",
                                            shape_str(a.shape()), shape_str(b.shape())));
  const std::size_t S = a.size(0);
  const ChannelLayout l = channel_layout(x.shape(), a.size(1), "apl", "a's axis 1");
  const T *ad = a.data().data(), *bd = b.data().data(), *xd = x.data().data();
  Array<T> y = Array<T>::from_shape(x.shape());
  T* yd = y.data();
  const std::size_t C = l.channels;
  for_each_element(l, [&](std::size_t j, std::size_t c) {
    yd[j] = Apl<T>{ad + c, bd + c, S, C}.f(xd[j]);
  });
  return record<AplNode<T>>(std::move(y), {x, a, b}, l, S);
}

template <class T>
BasicTensor<T> maxout(const BasicTensor<T>& x, std::size_t k) {
  if (k == 0) throw std::invalid_argument("maxout: k must be >= 1, got 0");
  if (x.dim() < 2 || x.size(1) % k != 0)
    throw std::invalid_argument(fmt::format(
        "maxout: input {} must have an axis 1 divisible by k = {}", shape_str(x.shape()), k));
  const MaxoutLayout l{x.size(0), x.size(1) / k, k, x.numel() / (x.size(0) * x.size(1))};
  Shape out_shape = x.shape();
  out_shape[1] = l.groups;
  Array<T> y = Array<T>::from_shape(out_shape);
  const T* xd = x.data().data();
  std::size_t out = 0;
  for (std::size_t o = 0; o < l.outer; ++o)
    for (std::size_t g = 0; g < l.groups; ++g)
      for (std::size_t i = 0; i < l.inner; ++i) y.data()[out++] = xd[first_max(xd, l, o, g, i)];
  return record<MaxoutNode<T>>(std::move(y), {x}, l);
}

#define XG_INSTANTIATE(T)                                                                 \
  template BasicTensor<T> prelu(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> swish_beta(const BasicTensor<T>&, const BasicTensor<T>&);       \
  template BasicTensor<T> soft_exponential(const BasicTensor<T>&, const BasicTensor<T>&); \
  template BasicTensor<T> srelu(const BasicTensor<T>&, const BasicTensor<T>&,             \
                                const BasicTensor<T>&, const BasicTensor<T>&,             \
                                const BasicTensor<T>&);                                   \
  template BasicTensor<T> apl(const BasicTensor<T>&, const BasicTensor<T>&,               \
                              const BasicTensor<T>&);                                     \
  template BasicTensor<T> maxout(const BasicTensor<T>&, std::size_t);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg
