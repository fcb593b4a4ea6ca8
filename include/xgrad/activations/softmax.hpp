// softmax and log_softmax along a dimension, each one fused node computed with the maximum
// subtracted (smooth everywhere; no overflow).
#pragma once

#include <cstddef>

#include "xgrad/core/tensor.hpp"

namespace xg {

// Along `dim` (an axis; negative counts from the end), with the maximum subtracted.
template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x, int dim = -1);
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x, int dim = -1);

}  // namespace xg
