// Vectorised reductions of the ops in src/ops/reduce.cpp (internal header). Implemented in
// reduce.cpp, built once per instruction set like everything in src/kernels/.
#pragma once

#include <cstddef>

namespace xg::kernels {

// Sum of n contiguous values in 64 partial sums (partial k adds the elements i with i % 64 == k
// below the last whole block of 64, from the last block to the first), added in the same fixed
// order by every instruction set's copy, so the result does not depend on which copy runs: the
// values past the last whole block first, then partial 0, 1, ..., 63. Many independent sums keep
// the vector units busy (one running sum is a chain of dependent adds) and let the rounding error
// grow more slowly.
template <class T>
T sum(const T* x, std::size_t n);

}  // namespace xg::kernels
