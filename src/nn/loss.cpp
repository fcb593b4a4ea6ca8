// Loss functions: one node per loss, value and derivative side by side in a small functor.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "kernels/loss.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/nn/loss.hpp"

namespace xg::nn {
namespace {

template <class T>
T sign(T v) {
  return T((v > 0) - (v < 0));
}

// Each op, for an input x and a target t: f(x, t), df(x, t) = df/dx, df_dt(x, t) = df/dt.
template <class T>
struct Mse {
  T f(T x, T t) const { return (x - t) * (x - t); }
  T df(T x, T t) const { return 2 * (x - t); }
  T df_dt(T x, T t) const { return -df(x, t); }
};
template <class T>
struct L1 {
  T f(T x, T t) const { return std::abs(x - t); }
  T df(T x, T t) const { return sign(x - t); }
  T df_dt(T x, T t) const { return -df(x, t); }
};
template <class T>
struct Huber {
  T delta;
  T f(T x, T t) const {
    const T d = std::abs(x - t);
    return d <= delta ? T(0.5) * d * d : delta * (d - T(0.5) * delta);
  }
  T df(T x, T t) const { return std::clamp(x - t, -delta, delta); }
  T df_dt(T x, T t) const { return -df(x, t); }
};
template <class T>
struct SmoothL1 {
  T beta;
  T f(T x, T t) const {
    const T d = std::abs(x - t);
    return d < beta ? T(0.5) * d * d / beta : d - T(0.5) * beta;
  }
  // PyTorch's: sign(d) beyond beta, d / beta within, so that a NaN difference gives NaN (a
  // test |d| < beta sent it to sign(NaN) = 0). With beta = 0 it is L1's (0 at d = 0).
  T df(T x, T t) const {
    const T d = x - t;
    if (beta == 0) return sign(d);
    return d <= -beta ? T(-1) : d >= beta ? T(1) : d / beta;
  }
  T df_dt(T x, T t) const { return -df(x, t); }
};
template <class T>
struct Bce {  // PyTorch clamps the logs at -100 and the gradient's denominator at 1e-12
  static T clamped_log(T v) { return std::max(std::log(v), T(-100)); }
  T f(T p, T t) const { return -(t * clamped_log(p) + (1 - t) * clamped_log(1 - p)); }
  T df(T p, T t) const { return (p - t) / std::max((1 - p) * p, T(1e-12)); }
  // -logit(p), unclamped as in PyTorch: +inf at p = 0, -inf at p = 1.
  T df_dt(T p, T) const { return std::log(1 - p) - std::log(p); }
};
// Float computed in double, rounded once: sigmoid(x) - y and similar differences cancel for
// some inputs whatever the order, and a float sigmoid's rounding would then dominate.
template <class T>
using Wide = std::conditional_t<std::is_same_v<T, float>, double, T>;

// e^-|x| for every x, in double: BCE with logits needs it per element, and one pass through the
// vectorised exp is several times faster than a call to std::exp per element.
template <class T>
CachedVector<double> exp_neg_abs(const T* x, std::size_t n) {
  CachedVector<double> e(n);
  for (std::size_t j = 0; j < n; ++j) e[j] = -std::abs(double(x[j]));
  kernels::exp_inplace(e.data(), n);
  return e;
}

// BCE with logits from e = e^-|x|, in double (see Wide). The loss max(x, 0) - x y + log1p(e) is
// written without the subtraction: (1 - y) x for x >= 0 and -x y below, while max(x, 0) - x y
// cancels (1000 - 999 keeps only the digits 999 had left).
double bce_with_logits(double x, double y, double log1p_e) {
  return (x >= 0 ? (1 - y) * x : -x * y) + log1p_e;
}
// d/dx = sigmoid(x) - y with sigmoid(-|x|) = e / (1 + e): (1 - y) - sigmoid(-x) for x >= 0
// (sigmoid(20) is 1 - 2e-9: its difference with y would cancel), sigmoid(x) - y below.
double bce_with_logits_dx(double x, double y, double e) {
  const double s = e / (1 + e);
  return x >= 0 ? (1 - y) - s : s - y;
}

// `count`: what a mean divides by (the element count, or the rows' weights summed).
template <class T>
T reduction_scale(Reduction r, double count) {
  return r == Reduction::Mean ? T(1) / T(count) : T(1);
}

// The gradient reaching element j: per element for Reduction::None, else the scalar's, scaled.
template <class T>
struct UpstreamGrad {
  const T* g;
  bool per_element;
  T scale;
  T operator()(std::size_t j) const { return per_element ? g[j] : g[0] * scale; }
};

template <class T>
UpstreamGrad<T> upstream(const Array<T>& g, Reduction r, double count) {
  return {g.data(), r == Reduction::None, reduction_scale<T>(r, count)};
}

template <class T, class Op>
struct PointwiseLossNode final : Node<T> {  // inputs: input, target
  PointwiseLossNode(Op o, Reduction r, const char* n) : op(o), reduction(r), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *y = this->input(1).data();
    const auto up = upstream(g, reduction, this->input(0).size());
    if (this->needs_grad(0))
      this->accumulate(0, [&](std::size_t j) { return up(j) * op.df(x[j], y[j]); });
    if (this->needs_grad(1))
      this->accumulate(1, [&](std::size_t j) { return up(j) * op.df_dt(x[j], y[j]); });
  }
  Op op;
  Reduction reduction;
  const char* label;
};

template <class T>
void check_same_shape(const BasicTensor<T>& input, const BasicTensor<T>& target, const char* loss) {
  if (input.shape() != target.shape())
    throw std::invalid_argument(fmt::format("{}: input shape {} and target shape {} differ", loss,
                                            shape_str(input.shape()), shape_str(target.shape())));
}

template <class T, class Op>
BasicTensor<T> pointwise_loss(const BasicTensor<T>& input, const BasicTensor<T>& target, Op op,
                              Reduction reduction, const char* loss, const char* node) {
  check_same_shape(input, target, loss);
  const T *x = input.data().data(), *y = target.data().data();
  const std::size_t n = input.numel();
  Array<T> out;
  if (reduction == Reduction::None) {
    out = Array<T>::from_shape(input.shape());
    for (std::size_t j = 0; j < n; ++j) out.data()[j] = op.f(x[j], y[j]);
  } else {
    double s = 0;  // double accumulation: a mean over many elements keeps its digits
    for (std::size_t j = 0; j < n; ++j) s += double(op.f(x[j], y[j]));
    out = Array<T>::from_shape(Shape{});
    out() = T(s) * reduction_scale<T>(reduction, double(n));
  }
  return record<PointwiseLossNode<T, Op>>(std::move(out), {input, target}, op, reduction, node);
}

// BCE with logits and pos_weight w (PyTorch): with lw = 1 + (w - 1) y,
//   loss = (1 - y) x + lw softplus(-x),  softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)
//   d/dx = (1 - y) - lw sigmoid(-x),  d/dy = -x + (w - 1) softplus(-x),  d/dw = y softplus(-x).
// The value is computed as (1 - y) x + lw log1p(e^-|x|) for x >= 0 and -x y w + lw log1p(e^-|x|)
// below: the same, without (1 - y) x cancelling against lw (-x) when x << 0.
template <class T>
struct PosWeightBce {
  using W = Wide<T>;
  static T f(T xt, T yt, T wt) {
    const W x = xt, y = yt, w = wt, lw = 1 + (w - 1) * y;
    return T((x >= 0 ? (1 - y) * x : -x * y * w) + lw * std::log1p(std::exp(-std::abs(x))));
  }
  static T softplus_neg(T x) { return std::log1p(std::exp(-std::abs(x))) + std::max(-x, T(0)); }
  // (1 - y) - lw sigmoid(-x); for x < 0 as lw sigmoid(x) - w y, the same without the
  // cancellation of 1 - y against lw (1 - sigmoid(x)).
  static T df(T xt, T yt, T wt) {
    const W x = xt, y = yt, w = wt, lw = 1 + (w - 1) * y;
    return T(x >= 0 ? (1 - y) - lw / (1 + std::exp(x))
                    : lw * std::exp(x) / (1 + std::exp(x)) - w * y);
  }
};

template <class T>
struct PosWeightBceNode final : Node<T> {  // inputs: input, target, pos_weight
  explicit PosWeightBceNode(Reduction r) : reduction(r) {}
  const char* name() const override { return "BinaryCrossEntropyWithLogitsBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *y = this->input(1).data(), *w = this->input(2).data();
    const std::size_t n = this->input(0).size(), k = this->input(2).size();
    const auto up = upstream(g, reduction, n);
    using F = PosWeightBce<T>;
    if (this->needs_grad(0))
      this->accumulate(0, [&](std::size_t j) { return up(j) * F::df(x[j], y[j], w[j % k]); });
    if (this->needs_grad(1))
      this->accumulate(1, [&](std::size_t j) {
        return up(j) * (-x[j] + (w[j % k] - 1) * F::softplus_neg(x[j]));
      });
    if (this->needs_grad(2)) {
      CachedVector<T> dw(k, 0);
      for (std::size_t j = 0; j < n; ++j) dw[j % k] += up(j) * y[j] * F::softplus_neg(x[j]);
      this->accumulate(2, [&](std::size_t i) { return dw[i]; });
    }
  }
  Reduction reduction;
};

// ---- class-index losses ---------------------------------------------------------------------

constexpr std::size_t kIgnored = std::size_t(-1);

// The targets of a class-index loss with PyTorch's ignore_index and class weights.
struct ClassTargets {
  CachedVector<std::size_t> index;  // the class of each row, kIgnored for an ignored row
  CachedVector<double> weight;      // per class; empty: every class weighs 1
  double total = 0;                 // the rows' weights summed: what a mean divides by
  double mean_weight = 1;           // mean_j weight[j]: label smoothing's share per class
  // The weight of row i's class (0 for an ignored row).
  double row_weight(std::size_t i) const {
    return index[i] == kIgnored ? 0 : weight.empty() ? 1 : weight[index[i]];
  }
};

template <class T>
ClassTargets class_targets(const BasicTensor<T>& input, const BasicTensor<T>& target,
                           const NllLossOptions& o, const char* loss) {
  if (input.dim() != 2 || target.dim() != 1 || target.size(0) != input.size(0))
    throw std::invalid_argument(fmt::format(
        "{}: input must be [N, C] and target [N] (class indices), got input {} and target {}", loss,
        shape_str(input.shape()), shape_str(target.shape())));
  const std::size_t classes = input.size(1);
  ClassTargets c;
  if (!o.weight.empty()) {
    if (o.weight.size() != classes)
      throw std::invalid_argument(
          fmt::format("{}: weight has {} values for {} classes", loss, o.weight.size(), classes));
    for (std::size_t j = 0; j < classes; ++j)
      if (!std::isfinite(o.weight[j]))
        throw std::invalid_argument(
            fmt::format("{}: weight[{}] = {} is not a finite number", loss, j, o.weight[j]));
    c.weight.assign(o.weight.begin(), o.weight.end());
    c.mean_weight = 0;
    for (double w : c.weight) c.mean_weight += w / double(classes);
  }
  c.index.resize(target.numel());
  const T* targets = target.data().data();
  const T ignored = T(o.ignore_index);
  for (std::size_t i = 0; i < c.index.size(); ++i) {
    const T t = targets[i];
    if (t == ignored) {
      c.index[i] = kIgnored;
      continue;
    }
    // In range first: then the conversion is defined, and converting back tests for a fraction.
    const bool in_range = t >= 0 && t < T(classes);
    if (!in_range || T(std::size_t(t)) != t)
      throw std::invalid_argument(
          fmt::format("{}: target[{}] = {} is not a class index in [0, {}) nor ignore_index ({})",
                      loss, i, t, classes, o.ignore_index));
    c.index[i] = std::size_t(t);
  }
  if (c.weight.empty())
    c.total = double(
        std::count_if(c.index.begin(), c.index.end(), [](std::size_t k) { return k != kIgnored; }));
  else
    for (std::size_t i = 0; i < c.index.size(); ++i) c.total += c.row_weight(i);
  return c;
}

// Saves the softmax probabilities (in double: p - 1 for a confident row is a small number that a
// float p would round away): backward is (p - onehot) times the upstream gradient. With label
// smoothing eps the target distribution is (1 - eps) onehot + eps / C. With class weights w (W
// their sum) row i's gradient is u_i [p_ij ((1 - eps) w_t + eps W / C) - eps w_j / C
// - (1 - eps) w_t [j = t]]; without weights the factor of p_ij is (1 - eps) + eps = 1.
template <class T>
struct CrossEntropyNode final : Node<T> {
  CrossEntropyNode(CachedVector<double>&& p, ClassTargets&& t, Reduction r, T eps)
      : probs(std::move(p)), targets(std::move(t)), reduction(r), smoothing(eps) {}
  const char* name() const override { return "CrossEntropyLossBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    if (!this->needs_grad(0)) return;
    const std::size_t n = targets.index.size(), c = probs.size() / std::max<std::size_t>(n, 1);
    const auto up = upstream(g, reduction, targets.total);
    const double eps = double(smoothing), hit = 1 - eps;
    CachedVector<double> floor(c, eps / double(c));  // eps w_j / C
    if (!targets.weight.empty())
      for (std::size_t j = 0; j < c; ++j) floor[j] = eps * targets.weight[j] / double(c);
    bool fresh = false;
    T* dx = this->grad_buffer(0, fresh).data();
    for (std::size_t row = 0; row < n; ++row) {  // row by row: no division per element
      T* dr = dx + row * c;
      const std::size_t t = targets.index[row];
      if (t == kIgnored) {  // 0 (p - onehot): NaN where the row's probabilities are, as PyTorch
        for (std::size_t j = 0; j < c; ++j)
          dr[j] = (fresh ? T(0) : dr[j]) + T(0 * probs[row * c + j]);
        continue;
      }
      const double u = up(row), w = targets.row_weight(row);
      const double scale = targets.weight.empty() ? 1 : hit * w + eps * targets.mean_weight;
      const double* pr = probs.data() + row * c;
      const T before = fresh ? T(0) : dr[t];
      if (fresh)
        for (std::size_t j = 0; j < c; ++j) dr[j] = T(u * (pr[j] * scale - floor[j]));
      else
        for (std::size_t j = 0; j < c; ++j) dr[j] += T(u * (pr[j] * scale - floor[j]));
      // p - 1 in double: no digits lost
      dr[t] = before + T(u * ((pr[t] * scale - floor[t]) - hit * w));
    }
  }
  void release_saved() override { probs = {}; }
  CachedVector<double> probs;
  ClassTargets targets;
  Reduction reduction;
  T smoothing;
};

template <class T>
struct NllNode final : Node<T> {
  NllNode(ClassTargets&& t, Reduction r) : targets(std::move(t)), reduction(r) {}
  const char* name() const override { return "NllLossBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    if (!this->needs_grad(0)) return;
    const std::size_t n = targets.index.size();
    const std::size_t c = this->input(0).size() / std::max<std::size_t>(n, 1);
    const auto up = upstream(g, reduction, targets.total);
    this->accumulate(0, [&](std::size_t j) {
      const std::size_t row = j / c;
      return j - row * c == targets.index[row] ? -up(row) * T(targets.row_weight(row)) : T(0);
    });
  }
  ClassTargets targets;
  Reduction reduction;
};

// Per-row losses -> the reduced output (or the [N] vector for Reduction::None).
template <class T>
struct BceWithLogitsNode final : Node<T> {  // inputs: input (logits), target
  explicit BceWithLogitsNode(Reduction r) : reduction(r) {}
  const char* name() const override { return "BinaryCrossEntropyWithLogitsBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *y = this->input(1).data();
    const std::size_t n = this->input(0).size();
    const auto up = upstream(g, reduction, n);
    if (this->needs_grad(0)) {
      const CachedVector<double> e = exp_neg_abs(x, n);
      this->accumulate(
          0, [&](std::size_t j) { return up(j) * T(bce_with_logits_dx(x[j], y[j], e[j])); });
    }
    if (this->needs_grad(1)) this->accumulate(1, [&](std::size_t j) { return up(j) * -x[j]; });
  }
  Reduction reduction;
};

// `count`: what a mean divides by (the row count, or the rows' weights summed).
template <class T>
Array<T> reduce_rows(const CachedVector<T>& rows, Reduction reduction, double count) {
  if (reduction == Reduction::None) {
    Array<T> out = Array<T>::from_shape(Shape{rows.size()});
    std::copy(rows.begin(), rows.end(), out.data());
    return out;
  }
  // Four running sums in double: one would make every add wait for the previous one.
  double s[4] = {0, 0, 0, 0};
  const std::size_t n = rows.size(), quads = n / 4 * 4;
  for (std::size_t i = 0; i < quads; i += 4)
    for (std::size_t j = 0; j < 4; ++j) s[j] += double(rows[i + j]);
  for (std::size_t i = quads; i < n; ++i) s[0] += double(rows[i]);
  Array<T> out = Array<T>::from_shape(Shape{});
  // A mean over no weight is NaN, as PyTorch's 0/0 (label smoothing's term is not 0 there).
  out() = reduction == Reduction::Mean && count == 0
              ? std::numeric_limits<T>::quiet_NaN()
              : T((s[0] + s[1]) + (s[2] + s[3])) * reduction_scale<T>(reduction, count);
  return out;
}

// The same for per-element losses: Reduction::None keeps the input's shape.
template <class T>
Array<T> reduce_elements(const CachedVector<T>& per, Reduction reduction, const Shape& shape) {
  if (reduction != Reduction::None) return reduce_rows(per, reduction, double(per.size()));
  Array<T> out = Array<T>::from_shape(shape);
  std::copy(per.begin(), per.end(), out.data());
  return out;
}

}  // namespace

template <class T>
BasicTensor<T> mse_loss(const BasicTensor<T>& input, const BasicTensor<T>& target, Reduction r) {
  return pointwise_loss(input, target, Mse<T>{}, r, "mse_loss", "MseLossBackward");
}
template <class T>
BasicTensor<T> l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target, Reduction r) {
  return pointwise_loss(input, target, L1<T>{}, r, "l1_loss", "L1LossBackward");
}
template <class T>
BasicTensor<T> huber_loss(const BasicTensor<T>& input, const BasicTensor<T>& target, Reduction r,
                          T delta) {
  if (!(delta > 0))
    throw std::invalid_argument(fmt::format("huber_loss: delta must be > 0, got {}", delta));
  return pointwise_loss(input, target, Huber<T>{delta}, r, "huber_loss", "HuberLossBackward");
}
template <class T>
BasicTensor<T> smooth_l1_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                              Reduction r, T beta) {
  if (!(beta >= 0))
    throw std::invalid_argument(fmt::format("smooth_l1_loss: beta must be >= 0, got {}", beta));
  return pointwise_loss(input, target, SmoothL1<T>{beta}, r, "smooth_l1_loss",
                        "SmoothL1LossBackward");
}
template <class T>
BasicTensor<T> binary_cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target,
                                    Reduction r) {
  for (T p : input.data())
    if (!(p >= 0 && p <= 1))
      throw std::invalid_argument(fmt::format(
          "binary_cross_entropy: input values must be probabilities in [0, 1], got {} (use "
          "binary_cross_entropy_with_logits for logits)",
          p));
  return pointwise_loss(input, target, Bce<T>{}, r, "binary_cross_entropy",
                        "BinaryCrossEntropyBackward");
}
template <class T>
BasicTensor<T> binary_cross_entropy_with_logits(const BasicTensor<T>& input,
                                                const BasicTensor<T>& target, Reduction r,
                                                const BasicTensor<T>& pos_weight) {
  check_same_shape(input, target, "binary_cross_entropy_with_logits");
  if (!pos_weight.defined()) {
    const T *x = input.data().data(), *y = target.data().data();
    const std::size_t n = input.numel();
    CachedVector<double> log1p_e = exp_neg_abs(x, n);
    kernels::log1p_inplace(log1p_e.data(), n);
    CachedVector<T> per(n);
    for (std::size_t j = 0; j < n; ++j) per[j] = T(bce_with_logits(x[j], y[j], log1p_e[j]));
    return record<BceWithLogitsNode<T>>(reduce_elements(per, r, input.shape()), {input, target}, r);
  }
  const Shape &xs = input.shape(), &ws = pos_weight.shape();
  bool trailing = ws.size() <= xs.size();
  for (std::size_t i = 0; trailing && i < ws.size(); ++i)
    trailing = ws[i] == xs[xs.size() - ws.size() + i];
  if (!trailing && pos_weight.numel() != 1)
    throw std::invalid_argument(
        fmt::format("binary_cross_entropy_with_logits: pos_weight shape {} must match the trailing "
                    "dimensions of "
                    "the input shape {} (e.g. [C] for [N, C])",
                    shape_str(ws), shape_str(xs)));
  const T *x = input.data().data(), *y = target.data().data(), *w = pos_weight.data().data();
  const std::size_t n = input.numel(), k = pos_weight.numel();
  CachedVector<T> per(n);
  for (std::size_t j = 0; j < n; ++j) {
    per[j] = PosWeightBce<T>::f(x[j], y[j], w[j % k]);
  }
  return record<PosWeightBceNode<T>>(reduce_elements(per, r, xs), {input, target, pos_weight}, r);
}

template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target, Reduction r,
                             double label_smoothing) {
  CrossEntropyOptions o;
  o.reduction = r;
  o.label_smoothing = label_smoothing;
  return cross_entropy(input, target, o);
}

template <class T>
BasicTensor<T> cross_entropy(const BasicTensor<T>& input, const BasicTensor<T>& target,
                             const CrossEntropyOptions& o) {
  if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
    throw std::invalid_argument(
        fmt::format("cross_entropy: label_smoothing must be in [0, 1], got {}", o.label_smoothing));
  ClassTargets t = class_targets(input, target, o, "cross_entropy");
  const std::size_t n = input.size(0), c = input.size(1);
  const T eps = T(o.label_smoothing);
  // In double, rounded once per value: x - max is exact there (in float, 0.1 - 20 is not), so a
  // float loss and its probabilities are within an ulp of the exact ones at any magnitude.
  CachedVector<double> e(n * c);
  CachedVector<std::size_t> top(n);     // the first maximum of each row
  CachedVector<double> log_sum(n);      // log(sum_j exp(x_j - max)), per row
  CachedVector<double> mean_gap(n, 0);  // mean_j w_j (max - x_j), for label smoothing
  const T* x = input.data().data();
  for (std::size_t i = 0; i < n; ++i) {  // shift each row by its maximum: exp never overflows
    const T* xi = x + i * c;
    top[i] = std::size_t(std::max_element(xi, xi + c) - xi);
    const double m = xi[top[i]];
    for (std::size_t j = 0; j < c; ++j) e[i * c + j] = double(xi[j]) - m;
    if (eps > 0)
      for (std::size_t j = 0; j < c; ++j)
        mean_gap[i] -= (t.weight.empty() ? 1 : t.weight[j]) * e[i * c + j] / double(c);
  }
  kernels::exp_inplace(e.data(), e.size());  // one vectorised pass over the block
  // log(sum) = log1p(rest), rest the sum without the maximum's term (exactly 1): it keeps its
  // digits when the maximum dominates (log p of the top class is then -rest, not 0).
  CachedVector<double> inv(n);
  for (std::size_t i = 0; i < n; ++i) {
    double* ei = e.data() + i * c;
    ei[top[i]] = 0;
    double rest = 0;
    for (std::size_t j = 0; j < c; ++j) rest += ei[j];
    // A maximum of +-inf or NaN: x - max is NaN for it and the row's loss and probabilities are
    // NaN, as PyTorch's log_softmax gives (not inf, or a gradient of 0 that hides the NaN).
    if (!std::isfinite(x[i * c + top[i]])) rest = std::numeric_limits<double>::quiet_NaN();
    log_sum[i] = inv[i] = rest;
  }
  for (std::size_t i = 0; i < n; ++i) inv[i] = 1 / (1 + inv[i]);  // vectorised divisions
  kernels::log1p_inplace(log_sum.data(), n);
  for (std::size_t i = 0; i < n; ++i) {  // e becomes the probabilities
    double* ei = e.data() + i * c;
    for (std::size_t j = 0; j < c; ++j) ei[j] *= inv[i];
    ei[top[i]] = inv[i];
  }
  CachedVector<T> rows(n);
  for (std::size_t i = 0; i < n; ++i) {
    // -log p[target] = (max - x[target]) + log(sum): the difference first, exact, then the log
    // (rounding max + log(sum) first would lose an ulp of max). The smoothing term
    // -mean_j w_j log p_j = mean_j w_j (max - x_j) + mean_j w_j log(sum).
    const std::size_t ti = t.index[i];
    if (ti == kIgnored) {
      rows[i] = 0;
      continue;
    }
    const T* xi = x + i * c;
    double row = (double(xi[top[i]]) - double(xi[ti])) + log_sum[i];
    if (!t.weight.empty()) row *= t.weight[ti];
    if (eps > 0)
      row = (1 - double(eps)) * row + double(eps) * (mean_gap[i] + t.mean_weight * log_sum[i]);
    rows[i] = T(row);
  }
  Array<T> out = reduce_rows(rows, o.reduction, t.total);
  if (!needs_graph<T>({input})) return BasicTensor<T>(std::move(out));
  return record<CrossEntropyNode<T>>(std::move(out), {input}, std::move(e), std::move(t),
                                     o.reduction, eps);
}

template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& input, const BasicTensor<T>& target, Reduction r) {
  NllLossOptions o;
  o.reduction = r;
  return nll_loss(input, target, o);
}

template <class T>
BasicTensor<T> nll_loss(const BasicTensor<T>& input, const BasicTensor<T>& target,
                        const NllLossOptions& o) {
  ClassTargets t = class_targets(input, target, o, "nll_loss");
  const std::size_t c = input.size(1);
  CachedVector<T> rows(t.index.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    rows[i] = t.index[i] == kIgnored
                  ? T(0)
                  : -input.data().data()[i * c + t.index[i]] * T(t.row_weight(i));
  Array<T> out = reduce_rows(rows, o.reduction, t.total);
  return record<NllNode<T>>(std::move(out), {input}, std::move(t), o.reduction);
}

#define XG_INSTANTIATE(T)                                                                         \
  template BasicTensor<T> mse_loss(const BasicTensor<T>&, const BasicTensor<T>&, Reduction);      \
  template BasicTensor<T> l1_loss(const BasicTensor<T>&, const BasicTensor<T>&, Reduction);       \
  template BasicTensor<T> huber_loss(const BasicTensor<T>&, const BasicTensor<T>&, Reduction, T); \
  template BasicTensor<T> smooth_l1_loss(const BasicTensor<T>&, const BasicTensor<T>&, Reduction, \
                                         T);                                                      \
  template BasicTensor<T> binary_cross_entropy(const BasicTensor<T>&, const BasicTensor<T>&,      \
                                               Reduction);                                        \
  template BasicTensor<T> binary_cross_entropy_with_logits(                                       \
      const BasicTensor<T>&, const BasicTensor<T>&, Reduction, const BasicTensor<T>&);            \
  template BasicTensor<T> cross_entropy(const BasicTensor<T>&, const BasicTensor<T>&, Reduction,  \
                                        double);                                                  \
  template BasicTensor<T> cross_entropy(const BasicTensor<T>&, const BasicTensor<T>&,             \
                                        const CrossEntropyOptions&);                              \
  template BasicTensor<T> nll_loss(const BasicTensor<T>&, const BasicTensor<T>&, Reduction);      \
  template BasicTensor<T> nll_loss(const BasicTensor<T>&, const BasicTensor<T>&,                  \
                                   const NllLossOptions&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)
#undef XG_INSTANTIATE

}  // namespace xg::nn
