// softmax and log_softmax along an axis, each one fused node computed with the maximum
// subtracted (smooth everywhere; no overflow).
#pragma once

#include <cstddef>

#include "xgrad/core/tensor.hpp"

namespace xg {

// Along `axis` (negative counts from the end), with the maximum subtracted (no overflow).
template <class T>
BasicTensor<T> softmax(const BasicTensor<T>& x, int axis = -1);
template <class T>
BasicTensor<T> log_softmax(const BasicTensor<T>& x, int axis = -1);

}  // namespace xg
