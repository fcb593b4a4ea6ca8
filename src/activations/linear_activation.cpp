#include "activations/linear_activation.hpp"

#include <optional>
#include <utility>

#include "activations/activation_pass.hpp"
#include "kernels/activation.hpp"
#include "ops/linear_parts.hpp"
#include "xgrad/extend.hpp"

namespace xg::detail {
namespace {

using kernels::Act;
using kernels::ActParams;

// "LinearReluBackward": the name of the fused node of each list activation.
const char* fused_name(Act act) {
#define XG_FUSED_NAME(name, Layer, Functor, ...) \
  case Act::Functor:                             \
    return "Linear" #Functor "Backward";
  switch (act) { XG_ACTIVATION_LIST(XG_FUSED_NAME, XG_FUSED_NAME, XG_ACTIVATION_SKIP) }
#undef XG_FUSED_NAME
  return "LinearActivationBackward";
}

// Inputs x, W and, with a bias, b. What the derivative needs is saved as forward computed it:
// one bit per element (two-valued derivatives), f'(z) itself (activations that compute f and f'
// together: backward is one multiply), z = x Wᵀ + b (other derivatives that read it), or nothing
// (y gives the derivative, or it is constant).
template <class T>
struct LinearActivationNode final : LinearNodeBase<T> {
  LinearActivationNode(LinearDims dims, ActivationPass p, std::optional<Array<T>> s, bool is_df,
                       MaskBits m)
      : LinearNodeBase<T>(std::move(dims)),
        pass(p),
        saved(std::move(s)),
        saved_is_derivative(is_df),
        mask(std::move(m)) {}
  const char* name() const override { return fused_name(pass.act); }
  void backward(const Array<T>& g, const Array<T>& y) override {
    Array<T> gz = Array<T>::from_shape(y.shape());
    if (saved_is_derivative)
      ActivationPass::backward_derivative(saved->data(), g.data(), gz.data(), y.size());
    else
      pass.backward(mask, input(y), y.data(), g.data(), gz.data(), y.size(), false);
    this->linear_backward(gz.data());
  }
  void backward_uniform(T g, const Array<T>& y) override {
    Array<T> gz = Array<T>::from_shape(y.shape());
    if (saved_is_derivative)
      ActivationPass::backward_derivative_uniform(saved->data(), g, gz.data(), y.size());
    else
      pass.backward_uniform(mask, input(y), y.data(), g, gz.data(), y.size(), false);
    this->linear_backward(gz.data());
  }
  void release_saved() override {
    saved.reset();
    mask = MaskBits();
  }

  // The activation's input for its derivative: without a saved z the derivative does not read it,
  // and y stands in (the kernels' tails copy it all the same).
  const T* input(const Array<T>& y) const { return saved ? saved->data() : y.data(); }

  ActivationPass pass;
  std::optional<Array<T>> saved;  // not an empty Array: a default xarray holds one element
  bool saved_is_derivative;
  MaskBits mask;
};

}  // namespace

bool is_list_kernel(const nn::ActivationKernel& act) {
#define XG_COUNT_ROW(...) +1
  constexpr int kRows = 0 XG_ACTIVATION_LIST(XG_COUNT_ROW, XG_COUNT_ROW, XG_ACTIVATION_SKIP);
#undef XG_COUNT_ROW
  return act.id >= 0 && act.id < kRows;
}

template <class T>
BasicTensor<T> linear_activation(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                                 const BasicTensor<T>& bias, const nn::ActivationKernel& kernel) {
  const ActivationPass pass{Act(kernel.id), ActParams{kernel.a, kernel.b}};
  LinearDims d = linear_dims(x, weight, bias);
  const bool graph =
      bias.defined() ? needs_graph<T>({x, weight, bias}) : needs_graph<T>({x, weight});
  const bool masked = graph && kernels::activation_has_mask(pass.act);
  const bool saves_derivative = graph && kernels::activation_saves_derivative(pass.act);
  const bool keep_pre =
      graph && !masked && !saves_derivative && kernels::activation_reads_input(pass.act);
  // Without a kept pre-activation the activation runs in place on the product.
  Array<T> y = Array<T>::from_shape(d.out_shape);
  std::optional<Array<T>> saved;
  if (keep_pre || saves_derivative) saved.emplace(d.out_shape);
  T* z = keep_pre ? saved->data() : y.data();
  linear_forward(d, x, weight, bias, z);
  MaskBits mask(masked ? y.size() : 0);
  if (saves_derivative)
    pass.forward_derivative(z, y.data(), saved->data(), y.size());
  else
    pass.forward(z, y.data(), mask, y.size());
  if (bias.defined())
    return record<LinearActivationNode<T>>(std::move(y), {x, weight, bias}, std::move(d), pass,
                                           std::move(saved), saves_derivative, std::move(mask));
  return record<LinearActivationNode<T>>(std::move(y), {x, weight}, std::move(d), pass,
                                         std::move(saved), saves_derivative, std::move(mask));
}

template BasicTensor<float> linear_activation(const BasicTensor<float>&, const BasicTensor<float>&,
                                              const BasicTensor<float>&,
                                              const nn::ActivationKernel&);
template BasicTensor<double> linear_activation(const BasicTensor<double>&,
                                               const BasicTensor<double>&,
                                               const BasicTensor<double>&,
                                               const nn::ActivationKernel&);

}  // namespace xg::detail
