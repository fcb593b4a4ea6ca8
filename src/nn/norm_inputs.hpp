// The graph inputs of a normalisation node: x, plus weight and bias when it is affine.
#pragma once

#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::nn {

template <class T>
std::vector<BasicTensor<T>> node_inputs(const BasicTensor<T>& x, const BasicTensor<T>& w,
                                        const BasicTensor<T>& b) {
  if (w.defined()) return {x, w, b};
  return {x};
}

}  // namespace xg::nn
