// Parameter-free (hyper-parameters only) activations: one graph node type that runs the
// vectorised kernels of src/kernels/activation.cpp forward and backward, and RReLU.
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "activations/activation_pass.hpp"
#include "kernels/activation.hpp"
#include "ops/mask.hpp"
#include "xgrad/activations/elementwise.hpp"
#include "xgrad/activations/parametric.hpp"
#include "xgrad/activations/softmax.hpp"
#include "xgrad/extend.hpp"

namespace xg {
namespace {

using kernels::Act;
using kernels::ActParams;

// Backward reads x (the input) and y (the output it is given) through the graph's own
// references, or only the bits forward saved (detail::ActivationPass).
template <class T>
struct ActivationNode final : Node<T> {
  ActivationNode(detail::ActivationPass p, const char* n, detail::MaskBits m)
      : pass(p), label(n), mask(std::move(m)) {}
  const char* name() const override { return label; }
  // x itself only when the derivative is a function of x and no mask stands in for it.
  bool reads_input(std::size_t) const override {
    return !kernels::activation_has_mask(pass.act) && kernels::activation_reads_input(pass.act);
  }
  void backward(const Array<T>& g, const Array<T>& y) override {
    bool fresh = false;
    T* dx = this->grad_buffer(0, fresh).data();
    pass.backward(mask, this->input(0).data(), y.data(), g.data(), dx, y.size(), !fresh);
  }
  void backward_uniform(T g, const Array<T>& y) override {
    bool fresh = false;
    T* dx = this->grad_buffer(0, fresh).data();
    pass.backward_uniform(mask, this->input(0).data(), y.data(), g, dx, y.size(), !fresh);
  }
  void release_saved() override { mask = detail::MaskBits(); }
  detail::ActivationPass pass;
  const char* label;
  detail::MaskBits mask;
};

template <class T>
BasicTensor<T> apply(const BasicTensor<T>& x, Act act, const char* name, ActParams p = {}) {
  Array<T> y = Array<T>::from_shape(x.shape());
  const std::size_t n = x.numel();
  // The mask only when a node is recorded: otherwise no backward will read it.
  const bool masked = kernels::activation_has_mask(act) && needs_graph<T>({x});
  detail::MaskBits mask(masked ? n : 0);
  const detail::ActivationPass pass{act, p};
  pass.forward(x.data().data(), y.data(), mask, n);
  return record<ActivationNode<T>>(std::move(y), {x}, pass, name, std::move(mask));
}

[[noreturn]] void bad_parameter(const char* op, const char* param, const char* range, double v) {
  throw std::invalid_argument(fmt::format("{}: {} must be {}, got {}", op, param, range, v));
}

template <class T>
void check_rrelu_bounds(T lower, T upper) {
  if (!(lower >= 0)) bad_parameter("rrelu", "lower", ">= 0", double(lower));
  if (!(upper >= lower))
    throw std::invalid_argument(
        fmt::format("rrelu: lower must be <= upper, got lower={} upper={}", lower, upper));
}

}  // namespace

// One definition per fused row of the activation list: the row's checks, then the kernel with
// the hyper-parameters in the row's order (kernels::ActParams a, b).
#define XG_DEFINE_PARAM(name, default_value) , NoDeduce<T> name
#define XG_DEFINE_CHECK(param, condition, range) \
  if (!(condition)) bad_parameter(op, #param, range, double(param));
#define XG_DEFINE_VALUE(name, default_value) double(name)
#define XG_DEFINE(name, Layer, Functor, hyper, checks, ...)                                 \
  template <class T>                                                                        \
  BasicTensor<T> name(const BasicTensor<T>& x XG_PP_SEQ_FOR_EACH(XG_DEFINE_PARAM, hyper)) { \
    [[maybe_unused]] constexpr const char* op = #name;                                      \
    XG_PP_SEQ_FOR_EACH(XG_DEFINE_CHECK, checks)                                             \
    return apply(x, Act::Functor, #Functor "Backward",                                      \
                 ActParams{XG_PP_SEQ_ENUM(XG_DEFINE_VALUE, hyper)});                        \
  }
XG_ACTIVATION_LIST(XG_DEFINE, XG_DEFINE, XG_ACTIVATION_SKIP)
#undef XG_DEFINE_PARAM
#undef XG_DEFINE_CHECK
#undef XG_DEFINE_VALUE
#undef XG_DEFINE

template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, NoDeduce<T> lower, NoDeduce<T> upper) {
  check_rrelu_bounds(lower, upper);
  return apply(x, Act::LeakyRelu, "RreluWithNoiseBackward", {(double(lower) + upper) / 2, 0});
}

template <class T>
BasicTensor<T> rrelu(const BasicTensor<T>& x, NoDeduce<T> lower, NoDeduce<T> upper,
                     Generator& rng) {
  check_rrelu_bounds(lower, upper);
  Array<T> slopes = Array<T>::from_shape(x.shape());
  const T* xd = x.data().data();
  for (std::size_t j = 0, n = slopes.size(); j < n; ++j)  // PyTorch draws where x <= 0
    slopes.data()[j] = xd[j] <= 0 ? T(rng.uniform(double(lower), double(upper))) : T(1);
  return detail::multiply_by_mask(x, std::move(slopes), "RreluWithNoiseBackward");
}

// Explicit instantiations for float and double (XG_REAL), every fused row and RReLU.
#define XG_INSTANTIATE_PARAM(name, default_value) , XG_REAL
#define XG_INSTANTIATE(name, Layer, Functor, hyper, ...) \
  template BasicTensor<XG_REAL> name(                    \
      const BasicTensor<XG_REAL>& x XG_PP_SEQ_FOR_EACH(XG_INSTANTIATE_PARAM, hyper));
#define XG_REAL float
XG_ACTIVATION_LIST(XG_INSTANTIATE, XG_INSTANTIATE, XG_ACTIVATION_SKIP)
#undef XG_REAL
#define XG_REAL double
XG_ACTIVATION_LIST(XG_INSTANTIATE, XG_INSTANTIATE, XG_ACTIVATION_SKIP)
#undef XG_REAL
#undef XG_INSTANTIATE_PARAM
#undef XG_INSTANTIATE

template BasicTensor<float> rrelu(const BasicTensor<float>&, float, float);
template BasicTensor<float> rrelu(const BasicTensor<float>&, float, float, Generator&);
template BasicTensor<double> rrelu(const BasicTensor<double>&, double, double);
template BasicTensor<double> rrelu(const BasicTensor<double>&, double, double, Generator&);

}  // namespace xg
