// x times a mask drawn by the caller, with the mask saved for backward (internal): RReLU's
// random slopes in train mode, Dropout's 0 or 1/(1-p) per element.
#pragma once

#include <utility>

#include "xgrad/extend.hpp"

namespace xg::detail {

// dx = g * mask; the mask is freed with the graph.
template <class T>
struct MaskNode final : Node<T> {
  MaskNode(Array<T>&& m, const char* n) : mask(std::move(m)), label(n) {}
  const char* name() const override { return label; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *gd = g.data(), *md = mask.data();
    this->accumulate(0, [&](std::size_t j) { return gd[j] * md[j]; });
  }
  void release_saved() override { mask = Array<T>(); }
  Array<T> mask;
  const char* label;
};

// x * mask (mask has x's shape), recording a MaskNode named `node_name` when x needs a graph.
template <class T>
BasicTensor<T> multiply_by_mask(const BasicTensor<T>& x, Array<T>&& mask, const char* node_name) {
  Array<T> y = Array<T>::from_shape(x.shape());
  const T *xd = x.data().data(), *md = mask.data();
  T* yd = y.data();
  for (std::size_t j = 0, n = y.size(); j < n; ++j) yd[j] = xd[j] * md[j];
  if (!needs_graph<T>({x})) return BasicTensor<T>(std::move(y));
  return record<MaskNode<T>>(std::move(y), {x}, std::move(mask), node_name);
}

}  // namespace xg::detail
