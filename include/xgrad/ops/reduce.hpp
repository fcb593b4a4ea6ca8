// Reductions: sums, means, max/min over all elements or along a dimension `dim` (PyTorch's word
// for an axis; negative counts from the end).
#pragma once

#include <cstdint>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg {

// ---- reductions (keepdim keeps the reduced dimension with size 1) ----
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> sum(const BasicTensor<T>& x, int dim, bool keepdim = false);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> mean(const BasicTensor<T>& x, int dim, bool keepdim = false);
// Over all elements the gradient is split equally among tied maxima (torch.max(x)), or among the
// NaN elements when the result is NaN; along `dim` it goes to the first maximal element
// (torch.max(x, dim), whose indices argmax returns; a NaN counts as maximal).
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> max(const BasicTensor<T>& x, int dim, bool keepdim = false);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x);
template <class T>
BasicTensor<T> min(const BasicTensor<T>& x, int dim, bool keepdim = false);
// Index of the first maximum / minimum along `dim` (no gradient).
template <class T>
std::vector<std::int64_t> argmax(const BasicTensor<T>& x, int dim);
template <class T>
std::vector<std::int64_t> argmin(const BasicTensor<T>& x, int dim);
}  // namespace xg
