// xgrad's GEMM (internal header): C = op(A) op(B) + beta C (+ bias), row-major, in float (sgemm)
// and double (dgemm).
//
// BLIS-style: for each block of KC values of k, A is packed into MR-row panels and B into
// NR-column panels, then an MR x NR register-blocked micro-kernel runs over the tiles of C.
// Compiled once per instruction set (AVX-512, AVX2+FMA, SSE2) and chosen at run time from what
// the CPU reports (kernels/isa.hpp), so its speed does not depend on a BLAS library's table of
// CPU models. Small products skip the blocking machinery (no parallel hand-off, one pass).
#pragma once

#include <cstddef>

namespace xg::kernels {

// Runs task(context, i) for every i in [0, count), on any threads, and returns when all are
// done. Supplied by the caller (xgrad's pool lives outside the kernels).
using ParallelFor = void (*)(std::size_t count, void (*task)(void*, std::size_t), void* context);

template <class T>
struct GemmOperands {
  bool trans_a = false, trans_b = false;  // op(A) = Aᵀ / op(B) = Bᵀ
  std::size_t m = 0, n = 0, k = 0;        // op(A) is m x k, op(B) is k x n, C is m x n
  const T* a = nullptr;
  std::size_t lda = 0;  // row stride of A as stored (k, or m when transposed, at least)
  const T* b = nullptr;
  std::size_t ldb = 0;
  T beta = 0;  // 0: C is written without being read (NaN in C does not propagate)
  T* c = nullptr;
  std::size_t ldc = 0;
  const T* bias = nullptr;  // n values added to every row of C, or null
};
using GemmArgs = GemmOperands<float>;
using DgemmArgs = GemmOperands<double>;

// Elements of scratch memory sgemm / dgemm(args, ...) needs (its packed panels), 64-byte aligned.
std::size_t sgemm_workspace(const GemmArgs& args);
std::size_t dgemm_workspace(const DgemmArgs& args);

// C = op(A) op(B) + beta C + bias. `parallel` may be null (one thread).
void sgemm(const GemmArgs& args, float* workspace, ParallelFor parallel);
void dgemm(const DgemmArgs& args, double* workspace, ParallelFor parallel);

// The two above chosen by the element type, for code templated on it.
inline std::size_t workspace_size(const GemmArgs& args) { return sgemm_workspace(args); }
inline std::size_t workspace_size(const DgemmArgs& args) { return dgemm_workspace(args); }
inline void multiply(const GemmArgs& args, float* workspace, ParallelFor parallel) {
  sgemm(args, workspace, parallel);
}
inline void multiply(const DgemmArgs& args, double* workspace, ParallelFor parallel) {
  dgemm(args, workspace, parallel);
}

// out[j] = (or +=, when accumulate) the sum over r < rows of g[r ld + j], for j < cols: the bias
// gradient of a Linear layer (Gᵀ times a vector of ones), with the column sums in registers.
void column_sums(const float* g, std::size_t rows, std::size_t cols, std::size_t ld, float* out,
                 bool accumulate);

}  // namespace xg::kernels
