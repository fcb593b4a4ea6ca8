// The graph inputs of a normalisation node: x, then weight and bias where they are defined.
#pragma once

#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::nn {

template <class T>
std::vector<BasicTensor<T>> node_inputs(const BasicTensor<T>& x, const BasicTensor<T>& w,
                                        const BasicTensor<T>& b) {
  std::vector<BasicTensor<T>> inputs{x};
  if (w.defined()) inputs.push_back(w);
  if (b.defined()) inputs.push_back(b);
  return inputs;
}

}  // namespace xg::nn
