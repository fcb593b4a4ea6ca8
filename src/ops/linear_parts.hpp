// The pieces of xg::linear (internal header): its checks, its forward product and its backward,
// shared with the fused Linear + activation of src/activations/linear_activation.cpp.
#pragma once

#include <cstddef>
#include <utility>

#include "xgrad/core/tensor.hpp"
#include "xgrad/extend.hpp"

namespace xg::detail {

// x [..., in] · Wᵀ [in, out] + b seen as a [rows, in] by [in, out] product.
struct LinearDims {
  std::size_t rows = 1, in = 0, out = 0;
  Shape out_shape;  // x's shape with the last dimension out
};

// Checks x, W and b as xg::linear does (errors name the op and the shapes) and returns the sizes.
template <class T>
LinearDims linear_dims(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                       const BasicTensor<T>& bias);

// y [rows, out] = x Wᵀ + b (b when defined).
template <class T>
void linear_forward(const LinearDims& d, const BasicTensor<T>& x, const BasicTensor<T>& weight,
                    const BasicTensor<T>& bias, T* y);

// A node whose inputs are x, W and, with a bias, b, and whose backward ends in the Linear's.
template <class T>
class LinearNodeBase : public Node<T> {
 public:
  // dx reads W and dW reads x; the bias gradient reads neither (what PyTorch's addmm saves).
  bool reads_input(std::size_t i) const override { return i < 2 && this->needs_grad(1 - i); }

 protected:
  explicit LinearNodeBase(LinearDims dims) : dims_(std::move(dims)) {}
  // Given g = dL/dy [rows, out], adds dL/dx, dL/dW and dL/db to the inputs that need them.
  void linear_backward(const T* g);
  const LinearDims& dims() const { return dims_; }

 private:
  LinearDims dims_;
};

}  // namespace xg::detail
