// Reductions: sums, means, max/min over all elements or along an axis (negative axes count
// from the end).
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg {

// ---- reductions (keepdim keeps the reduced axis with size 1) ----
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, int axis, bool keepdim = false);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, int axis, bool keepdim = false);
// Over all elements the gradient is split equally among tied maxima (torch.max(x)); along an
// axis it goes to the first maximal element (torch.max(x, dim), whose indices argmax returns).
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, int axis, bool keepdim = false);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, int axis, bool keepdim = false);
// Index of the first maximum / minimum along `axis` (no gradient).
template <class T>
std::vector<std::int64_t> argmax(const BasicTensor<T>& x, int axis);
template <class T>
std::vector<std::int64_t> argmin(const BasicTensor<T>& x, int axis);
}  // namespace xg
