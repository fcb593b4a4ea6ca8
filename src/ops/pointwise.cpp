// Elementwise ops: forward kernel and backward kernel side by side, one functor per op.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "core/broadcast.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {
namespace {

using detail::broadcast_shapes;
using detail::broadcast_strides;
using detail::for_each_broadcast;
using detail::for_each_broadcast_row;
using Idx2 = std::array<std::size_t, 2>;

// ---- one input ---------------------------------------------------------------------------

// Whether an op's derivatives depend on the values (false for ops declaring kIgnoresValues: a
// sum or a difference passes the gradient on unchanged).
template <class Op, class = void>
constexpr bool kReadsValues = true;
template <class Op>
constexpr bool kReadsValues<Op, std::void_t<decltype(Op::kIgnoresValues)>> = false;
// Whether each input's derivative reads only the other input (a product: d(ab)/da = b), so that
// an input's values matter only when the other one needs a gradient (PyTorch saves them so).
template <class Op, class = void>
constexpr bool kReadsOnlyOther = false;
template <class Op>
constexpr bool kReadsOnlyOther<Op, std::void_t<decltype(Op::kDerivativeIsOther)>> = true;

// Op: T f(T x) const (the value) and T df(T x, T y) const (df/dx given x and y = f(x)).
template <class T, class Op>
struct MapNode final : Node<T> {
  MapNode(Op o, const char* n) : op(o), label(n) {}
  const char* name() const override { return label; }
  bool reads_input(std::size_t) const override { return kReadsValues<Op>; }
  void backward(const Array<T>& g, const Array<T>& y) override {
    const T *x = this->input(0).data(), *gd = g.data(), *yd = y.data();
    this->accumulate(0, [&](std::size_t j) { return gd[j] * op.df(x[j], yd[j]); });
  }
  Op op;
  const char* label;
};

template <class T, class Op>
BasicTensor<T> map(const BasicTensor<T>& x, Op op, const char* name) {
  const Array<T>& xv = x.data();
  Array<T> y = Array<T>::from_shape(xv.shape());
  const T* xd = xv.data();
  T* yd = y.data();
  for (std::size_t j = 0, n = xv.size(); j < n; ++j) yd[j] = op.f(xd[j]);
  return record<MapNode<T, Op>>(std::move(y), {x}, op, name);
}

template <class T>
struct AddS {
  static constexpr bool kIgnoresValues = true;
  T s;
  T f(T x) const { return x + s; }
  T df(T, T) const { return 1; }
};
template <class T>
struct MulS {
  static constexpr bool kIgnoresValues = true;
  T s;
  T f(T x) const { return x * s; }
  T df(T, T) const { return s; }
};
template <class T>
struct DivS {
  static constexpr bool kIgnoresValues = true;
  T s;
  T f(T x) const { return x / s; }
  T df(T, T) const { return T(1) / s; }
};
template <class T>
struct RSubS {
  static constexpr bool kIgnoresValues = true;
  T s;
  T f(T x) const { return s - x; }
  T df(T, T) const { return -1; }
};
template <class T>
struct RDivS {
  T s;
  T f(T x) const { return s / x; }
  T df(T x, T) const { return -(s / x) / x; }  // not s / x^2: x^2 under- or overflows first
};
// x^p as PyTorch's pow(tensor, scalar) computes it: sqrt, 1/sqrt, x*x, x*x*x, 1/x and 1/(x*x) for
// p = 0.5, -0.5, 2, 3, -1, -2, std::pow otherwise. The special forms differ from std::pow in
// the last bit or at signed zeros and -inf (sqrt(-0) = -0 and 1/sqrt(-0) = -inf where pow gives
// +0 and +inf; sqrt(-inf) = NaN where pow gives +inf).
template <class T>
T torch_pow(T x, T p) {
  if (p == T(0.5)) return std::sqrt(x);
  if (p == T(-0.5)) return T(1) / std::sqrt(x);
  if (p == T(2)) return x * x;
  if (p == T(3)) return x * x * x;
  if (p == T(-1)) return T(1) / x;
  if (p == T(-2)) return T(1) / (x * x);
  return std::pow(x, p);
}
template <class T>
struct PowS {  // x^p; the gradient p x^(p-1) with the same forms; 0 when p == 0 (PyTorch)
  T p;
  T f(T x) const { return torch_pow(x, p); }
  T df(T x, T) const { return p == T(0) ? T(0) : p * torch_pow(x, p - T(1)); }
};
template <class T>
struct RPowS {  // base^x; PyTorch's mask as in PowOp: base == 0 && x >= 0 -> 0
  T base;
  T f(T x) const { return std::pow(base, x); }
  T df(T x, T y) const { return (base == T(0) && x >= T(0)) ? T(0) : y * std::log(base); }
};
template <class T>
struct Neg {
  static constexpr bool kIgnoresValues = true;
  T f(T x) const { return -x; }
  T df(T, T) const { return -1; }
};
template <class T>
struct Exp {
  T f(T x) const { return std::exp(x); }
  T df(T, T y) const { return y; }
};
template <class T>
struct Log {
  T f(T x) const { return std::log(x); }
  T df(T x, T) const { return T(1) / x; }
};
template <class T>
struct Sqrt {
  T f(T x) const { return std::sqrt(x); }
  T df(T, T y) const { return T(1) / (T(2) * y); }
};
template <class T>
struct Sin {
  T f(T x) const { return std::sin(x); }
  T df(T x, T) const { return std::cos(x); }
};
template <class T>
struct Cos {
  T f(T x) const { return std::cos(x); }
  T df(T x, T) const { return -std::sin(x); }
};
template <class T>
struct Abs {
  T f(T x) const { return std::abs(x); }
  T df(T x, T) const { return x > 0 ? T(1) : (x < 0 ? T(-1) : T(0)); }
};
template <class T>
struct Clamp {  // the bounds themselves pass the gradient (PyTorch)
  T lo, hi;
  T f(T x) const { return std::isnan(x) ? x : std::min(std::max(x, lo), hi); }
  T df(T x, T) const { return (x >= lo && x <= hi) ? T(1) : T(0); }
};

// ---- two inputs, broadcasting --------------------------------------------------------------

// Op: T f(T a, T b) const, and the partial derivatives T df_da(T a, T b, T y) const and
// T df_db(T a, T b, T y) const given y = f(a, b).
template <class T, class Op>
struct BinaryNode final : Node<T> {
  explicit BinaryNode(const char* n) : label(n) {}
  const char* name() const override { return label; }
  bool reads_input(std::size_t i) const override {
    return kReadsOnlyOther<Op> ? this->needs_grad(1 - i) : kReadsValues<Op>;
  }
  void backward(const Array<T>& g, const Array<T>& y) override {
    const Array<T>&a = this->input(0), &b = this->input(1);
    const T *ad = a.data(), *bd = b.data(), *gd = g.data(), *yd = y.data();
    const Op op{};
    if (a.shape() == b.shape()) {  // the common case: no broadcasting
      if (this->needs_grad(0))
        this->accumulate(0, [&](std::size_t j) { return gd[j] * op.df_da(ad[j], bd[j], yd[j]); });
      if (this->needs_grad(1))
        this->accumulate(1, [&](std::size_t j) { return gd[j] * op.df_db(ad[j], bd[j], yd[j]); });
      return;
    }
    const std::array<Shape, 2> strides{broadcast_strides(a.shape(), y.shape()),
                                       broadcast_strides(b.shape(), y.shape())};
    if (this->needs_grad(0))
      broadcast_backward<0>(strides, y.shape(), [&](T av, T bv, std::size_t o) {
        return gd[o] * op.df_da(av, bv, yd[o]);
      });
    if (this->needs_grad(1))
      broadcast_backward<1>(strides, y.shape(), [&](T av, T bv, std::size_t o) {
        return gd[o] * op.df_db(av, bv, yd[o]);
      });
  }
  const char* label;

 private:
  // Adds term(a, b, o) for every element o of the output (a and b: the inputs' values there)
  // into input K's gradient: a sum over the axes input K was broadcast along. K is a template
  // argument so that the loop indexes with a constant (a runtime choice of input in the loop made
  // it 2-3 times slower), and a run along which K is broadcast (a bias per row) is summed in a
  // local before its one store (adding into memory element by element waited on each store).
  template <std::size_t K, class Term>
  void broadcast_backward(const std::array<Shape, 2>& strides, const Shape& out, Term term) {
    bool fresh = false;
    Array<T>& dst = this->grad_buffer(K, fresh);
    T* dd = dst.data();
    if (fresh) std::fill(dd, dd + dst.size(), T(0));
    const T *ad = this->input(0).data(), *bd = this->input(1).data();
    // The inputs' shapes differ, so the output has at least one axis: the last one's steps.
    const auto step = [&](std::size_t k) { return strides[k].back(); };
    if (step(K) != 0) {
      for_each_broadcast<2>(out, strides, [&](std::size_t o, const Idx2& i) {
        dd[i[K]] += term(ad[i[0]], bd[i[1]], o);
      });
      return;
    }
    const std::size_t sa = step(0), sb = step(1);
    for_each_broadcast_row<2>(out, strides, [&](std::size_t o, Idx2 i, std::size_t n) {
      T run = 0;
      for (std::size_t j = 0; j < n; ++j) run += term(ad[i[0] + j * sa], bd[i[1] + j * sb], o + j);
      dd[i[K]] += run;
    });
  }
};

// Evaluates op over the broadcast of a and b into a fresh array.
template <class T, class F>
Array<T> broadcast_apply(const Array<T>& a, const Array<T>& b, F f, const char* name) {
  if (a.shape() == b.shape()) {
    Array<T> y = Array<T>::from_shape(a.shape());
    const T *ad = a.data(), *bd = b.data();
    T* yd = y.data();
    for (std::size_t j = 0, n = a.size(); j < n; ++j) yd[j] = f(ad[j], bd[j]);
    return y;
  }
  const Shape out = broadcast_shapes(a.shape(), b.shape(), name);
  Array<T> y = Array<T>::from_shape(out);
  const std::array<Shape, 2> strides{broadcast_strides(a.shape(), out),
                                     broadcast_strides(b.shape(), out)};
  const T *ad = a.data(), *bd = b.data();
  T* yd = y.data();
  for_each_broadcast<2>(out, strides,
                        [&](std::size_t o, const Idx2& i) { yd[o] = f(ad[i[0]], bd[i[1]]); });
  return y;
}

template <class T, class Op>
BasicTensor<T> binary(const BasicTensor<T>& a, const BasicTensor<T>& b, const char* op_name,
                      const char* node_name) {
  const Op op{};
  Array<T> y = broadcast_apply(
      a.data(), b.data(), [&](T x, T z) { return op.f(x, z); }, op_name);
  return record<BinaryNode<T, Op>>(std::move(y), {a, b}, node_name);
}

template <class T>
struct AddOp {
  static constexpr bool kIgnoresValues = true;
  T f(T a, T b) const { return a + b; }
  T df_da(T, T, T) const { return 1; }
  T df_db(T, T, T) const { return 1; }
};
template <class T>
struct SubOp {
  static constexpr bool kIgnoresValues = true;
  T f(T a, T b) const { return a - b; }
  T df_da(T, T, T) const { return 1; }
  T df_db(T, T, T) const { return -1; }
};
template <class T>
struct MulOp {
  static constexpr bool kDerivativeIsOther = true;
  T f(T a, T b) const { return a * b; }
  T df_da(T, T b, T) const { return b; }
  T df_db(T a, T, T) const { return a; }
};
template <class T>
struct DivOp {
  T f(T a, T b) const { return a / b; }
  T df_da(T, T b, T) const { return T(1) / b; }
  T df_db(T a, T b, T) const { return -(a / b) / b; }  // b^2 would under- or overflow first
};
template <class T>
struct PowOp {  // PyTorch's masks: b == 0 -> da 0; a == 0 && b >= 0 -> db 0
  T f(T a, T b) const { return std::pow(a, b); }
  T df_da(T a, T b, T) const { return b == T(0) ? T(0) : b * std::pow(a, b - T(1)); }
  T df_db(T a, T b, T y) const { return (a == T(0) && b >= T(0)) ? T(0) : y * std::log(a); }
};
template <class T>
struct MaxOp {  // PyTorch's masks: ties split the gradient equally; a NaN passes it to both
  T f(T a, T b) const { return (a >= b || std::isnan(a)) ? a : b; }
  T df_da(T a, T b, T) const { return a < b ? T(0) : (a == b ? T(0.5) : T(1)); }
  T df_db(T a, T b, T) const { return a > b ? T(0) : (a == b ? T(0.5) : T(1)); }
};
template <class T>
struct MinOp {
  T f(T a, T b) const { return (a <= b || std::isnan(a)) ? a : b; }
  T df_da(T a, T b, T) const { return a > b ? T(0) : (a == b ? T(0.5) : T(1)); }
  T df_db(T a, T b, T) const { return a < b ? T(0) : (a == b ? T(0.5) : T(1)); }
};

// ---- selection -----------------------------------------------------------------------------

template <class T>
struct WhereNode final : Node<T> {  // inputs: cond, a, b
  const char* name() const override { return "WhereBackward"; }
  void backward(const Array<T>& g, const Array<T>& y) override {
    const T* cd = this->input(0).data();
    const T* gd = g.data();
    std::array<Shape, 3> strides;
    for (std::size_t k = 0; k < 3; ++k)
      strides[k] = broadcast_strides(this->input(k).shape(), y.shape());
    for (std::size_t k = 1; k < 3; ++k) {
      if (!this->needs_grad(k)) continue;
      bool fresh = false;
      Array<T>& dst = this->grad_buffer(k, fresh);
      T* dd = dst.data();
      if (fresh) std::fill(dd, dd + dst.size(), T(0));
      const bool want_true = k == 1;
      for_each_broadcast<3>(y.shape(), strides,
                            [&](std::size_t o, const std::array<std::size_t, 3>& i) {
                              if ((cd[i[0]] != T(0)) == want_true) dd[i[k]] += gd[o];
                            });
    }
  }
};

template <class T>
struct MaskedSelectNode final : Node<T> {  // inputs: x; saved: the flat positions selected
  explicit MaskedSelectNode(std::vector<std::size_t> p) : positions(std::move(p)) {}
  const char* name() const override { return "MaskedSelectBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    bool fresh = false;
    Array<T>& dst = this->grad_buffer(0, fresh);
    if (fresh) std::fill(dst.data(), dst.data() + dst.size(), T(0));
    for (std::size_t j = 0; j < positions.size(); ++j) dst.data()[positions[j]] += g.data()[j];
  }
  void release_saved() override { positions = {}; }
  std::vector<std::size_t> positions;
};

template <class T, class F>
BasicTensor<T> compare(const BasicTensor<T>& a, const BasicTensor<T>& b, F f, const char* name) {
  return BasicTensor<T>(broadcast_apply(
      a.data(), b.data(), [&](T x, T z) { return f(x, z) ? T(1) : T(0); }, name));
}

// Checks that `mask` broadcasts to exactly x's shape.
template <class T>
void check_mask(const BasicTensor<T>& x, const BasicTensor<T>& mask, const char* op) {
  if (broadcast_shapes(x.shape(), mask.shape(), op) != x.shape())
    throw std::invalid_argument(
        fmt::format("{}: mask of shape {} does not broadcast to the input's "
                    "shape {}",
                    op, shape_str(mask.shape()), shape_str(x.shape())));
}

}  // namespace

template <class T>
BasicTensor<T> add(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, AddOp<T>>(a, b, "add", "AddBackward");
}
template <class T>
BasicTensor<T> sub(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, SubOp<T>>(a, b, "sub", "SubBackward");
}
template <class T>
BasicTensor<T> mul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, MulOp<T>>(a, b, "mul", "MulBackward");
}
template <class T>
BasicTensor<T> div(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, DivOp<T>>(a, b, "div", "DivBackward");
}
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, PowOp<T>>(a, b, "pow", "PowBackward");
}
template <class T>
BasicTensor<T> maximum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, MaxOp<T>>(a, b, "maximum", "MaximumBackward");
}
template <class T>
BasicTensor<T> minimum(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return binary<T, MinOp<T>>(a, b, "minimum", "MinimumBackward");
}

template <class T>
BasicTensor<T> add_scalar(const BasicTensor<T>& a, NoDeduce<T> s) {
  return map(a, AddS<T>{s}, "AddBackward");
}
template <class T>
BasicTensor<T> mul_scalar(const BasicTensor<T>& a, NoDeduce<T> s) {
  return map(a, MulS<T>{s}, "MulBackward");
}
template <class T>
BasicTensor<T> div_scalar(const BasicTensor<T>& a, NoDeduce<T> s) {
  return map(a, DivS<T>{s}, "DivBackward");
}
template <class T>
BasicTensor<T> rsub_scalar(const BasicTensor<T>& a, NoDeduce<T> s) {
  return map(a, RSubS<T>{s}, "RsubBackward");
}
template <class T>
BasicTensor<T> rdiv_scalar(const BasicTensor<T>& a, NoDeduce<T> s) {
  return map(a, RDivS<T>{s}, "DivBackward");
}
template <class T>
BasicTensor<T> pow(const BasicTensor<T>& a, NoDeduce<T> p) {
  return map(a, PowS<T>{p}, "PowBackward");
}
template <class T>
BasicTensor<T> rpow_scalar(const BasicTensor<T>& a, NoDeduce<T> base) {
  return map(a, RPowS<T>{base}, "PowBackward");
}
template <class T>
BasicTensor<T> neg(const BasicTensor<T>& x) {
  return map(x, Neg<T>{}, "NegBackward");
}
template <class T>
BasicTensor<T> exp(const BasicTensor<T>& x) {
  return map(x, Exp<T>{}, "ExpBackward");
}
template <class T>
BasicTensor<T> log(const BasicTensor<T>& x) {
  return map(x, Log<T>{}, "LogBackward");
}
template <class T>
BasicTensor<T> sqrt(const BasicTensor<T>& x) {
  return map(x, Sqrt<T>{}, "SqrtBackward");
}
template <class T>
BasicTensor<T> sin(const BasicTensor<T>& x) {
  return map(x, Sin<T>{}, "SinBackward");
}
template <class T>
BasicTensor<T> cos(const BasicTensor<T>& x) {
  return map(x, Cos<T>{}, "CosBackward");
}
template <class T>
BasicTensor<T> abs(const BasicTensor<T>& x) {
  return map(x, Abs<T>{}, "AbsBackward");
}

namespace {
// A NaN bound is refused (PyTorch would make every result NaN), as are reversed bounds.
template <class T>
void check_bound(const char* op, const char* name, T bound) {
  if (std::isnan(bound))
    throw std::invalid_argument(fmt::format("{}: {} must be a number, got nan", op, name));
}
}  // namespace
template <class T>
BasicTensor<T> clamp(const BasicTensor<T>& x, NoDeduce<T> low, NoDeduce<T> high) {
  check_bound<T>("clamp", "low", low);
  check_bound<T>("clamp", "high", high);
  if (!(low <= high))
    throw std::invalid_argument(fmt::format("clamp: low ({}) must be <= high ({})", low, high));
  return map(x, Clamp<T>{low, high}, "ClampBackward");
}
template <class T>
BasicTensor<T> clamp_min(const BasicTensor<T>& x, NoDeduce<T> low) {
  check_bound<T>("clamp_min", "min", low);
  return clamp(x, low, std::numeric_limits<T>::infinity());
}
template <class T>
BasicTensor<T> clamp_max(const BasicTensor<T>& x, NoDeduce<T> high) {
  check_bound<T>("clamp_max", "max", high);
  return clamp(x, -std::numeric_limits<T>::infinity(), high);
}

template <class T>
BasicTensor<T> gt(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare(
      a, b, [](T x, T y) { return x > y; }, "gt");
}
template <class T>
BasicTensor<T> ge(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare(
      a, b, [](T x, T y) { return x >= y; }, "ge");
}
template <class T>
BasicTensor<T> lt(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare(
      a, b, [](T x, T y) { return x < y; }, "lt");
}
template <class T>
BasicTensor<T> le(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare(
      a, b, [](T x, T y) { return x <= y; }, "le");
}
template <class T>
BasicTensor<T> eq(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  return compare(
      a, b, [](T x, T y) { return x == y; }, "eq");
}

template <class T>
BasicTensor<T> where(const BasicTensor<T>& cond, const BasicTensor<T>& a, const BasicTensor<T>& b) {
  const Shape ab = broadcast_shapes(a.shape(), b.shape(), "where");
  const Shape out = broadcast_shapes(cond.shape(), ab, "where");
  std::array<Shape, 3> strides{broadcast_strides(cond.shape(), out),
                               broadcast_strides(a.shape(), out),
                               broadcast_strides(b.shape(), out)};
  Array<T> y = Array<T>::from_shape(out);
  const T *cd = cond.data().data(), *ad = a.data().data(), *bd = b.data().data();
  T* yd = y.data();
  for_each_broadcast<3>(out, strides, [&](std::size_t o, const std::array<std::size_t, 3>& i) {
    yd[o] = cd[i[0]] != T(0) ? ad[i[1]] : bd[i[2]];
  });
  return record<WhereNode<T>>(std::move(y), {cond.detach(), a, b});
}

template <class T>
BasicTensor<T> masked_fill(const BasicTensor<T>& x, const BasicTensor<T>& mask, NoDeduce<T> value) {
  check_mask(x, mask, "masked_fill");
  return where(mask, BasicTensor<T>::scalar(value), x);
}

template <class T>
BasicTensor<T> masked_select(const BasicTensor<T>& x, const BasicTensor<T>& mask) {
  check_mask(x, mask, "masked_select");
  const std::array<Shape, 1> strides{broadcast_strides(mask.shape(), x.shape())};
  std::vector<std::size_t> positions;
  const T* md = mask.data().data();
  for_each_broadcast<1>(x.shape(), strides,
                        [&](std::size_t o, const std::array<std::size_t, 1>& i) {
                          if (md[i[0]] != T(0)) positions.push_back(o);
                        });
  Array<T> y = Array<T>::from_shape(Shape{positions.size()});
  for (std::size_t j = 0; j < positions.size(); ++j) y.data()[j] = x.data().data()[positions[j]];
  return record<MaskedSelectNode<T>>(std::move(y), {x}, std::move(positions));
}

#define XG_INSTANTIATE(T)                                                               \
  template BasicTensor<T> add(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> sub(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> mul(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> div(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> pow(const BasicTensor<T>&, const BasicTensor<T>&);            \
  template BasicTensor<T> maximum(const BasicTensor<T>&, const BasicTensor<T>&);        \
  template BasicTensor<T> minimum(const BasicTensor<T>&, const BasicTensor<T>&);        \
  template BasicTensor<T> add_scalar(const BasicTensor<T>&, T);                         \
  template BasicTensor<T> mul_scalar(const BasicTensor<T>&, T);                         \
  template BasicTensor<T> div_scalar(const BasicTensor<T>&, T);                         \
  template BasicTensor<T> rsub_scalar(const BasicTensor<T>&, T);                        \
  template BasicTensor<T> rdiv_scalar(const BasicTensor<T>&, T);                        \
  template BasicTensor<T> pow(const BasicTensor<T>&, T);                                \
  template BasicTensor<T> rpow_scalar(const BasicTensor<T>&, T);                        \
  template BasicTensor<T> neg(const BasicTensor<T>&);                                   \
  template BasicTensor<T> exp(const BasicTensor<T>&);                                   \
  template BasicTensor<T> log(const BasicTensor<T>&);                                   \
  template BasicTensor<T> sqrt(const BasicTensor<T>&);                                  \
  template BasicTensor<T> sin(const BasicTensor<T>&);                                   \
  template BasicTensor<T> cos(const BasicTensor<T>&);                                   \
  template BasicTensor<T> abs(const BasicTensor<T>&);                                   \
  template BasicTensor<T> clamp(const BasicTensor<T>&, T, T);                           \
  template BasicTensor<T> clamp_min(const BasicTensor<T>&, T);                          \
  template BasicTensor<T> clamp_max(const BasicTensor<T>&, T);                          \
  template BasicTensor<T> gt(const BasicTensor<T>&, const BasicTensor<T>&);             \
  template BasicTensor<T> ge(const BasicTensor<T>&, const BasicTensor<T>&);             \
  template BasicTensor<T> lt(const BasicTensor<T>&, const BasicTensor<T>&);             \
  template BasicTensor<T> le(const BasicTensor<T>&, const BasicTensor<T>&);             \
  template BasicTensor<T> eq(const BasicTensor<T>&, const BasicTensor<T>&);             \
  template BasicTensor<T> where(const BasicTensor<T>&, const BasicTensor<T>&,           \
                                const BasicTensor<T>&);                                 \
  template BasicTensor<T> masked_fill(const BasicTensor<T>&, const BasicTensor<T>&, T); \
  template BasicTensor<T> masked_select(const BasicTensor<T>&, const BasicTensor<T>&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)

}  // namespace xg
