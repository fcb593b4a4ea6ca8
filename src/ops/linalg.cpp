// matmul and linear: GEMMs on the raw row-major buffers with transposition flags (no transposed
// copies); backward accumulates straight into the gradient (beta = 1). Both float and double run
// on xgrad's own GEMM (src/kernels/gemm.cpp: its instruction set chosen from the CPU at run
// time, split across xgrad's threads).
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "xgrad/extend.hpp"
#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

#include "core/parallel.hpp"
#include "kernels/gemm.hpp"
#include "ops/linear_parts.hpp"

namespace xg {
namespace {

// The GEMM's packing space: one buffer per thread and element type that only grows, so a
// warmed-up training step allocates nothing.
template <class T>
T* gemm_workspace(std::size_t elements) {
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  static thread_local std::unique_ptr<void, Free> buffer;
  static thread_local std::size_t capacity = 0;  // bytes
  const std::size_t bytes = (elements * sizeof(T) + 63) / 64 * 64;
  if (bytes > capacity) {
    buffer.reset(std::aligned_alloc(64, bytes));
    if (!buffer) {
      capacity = 0;
      throw std::bad_alloc();
    }
    capacity = bytes;
  }
  return static_cast<T*>(buffer.get());
}

// C[m,n] = op(A) op(B) + beta C (+ bias[n] on every row), all row-major and contiguous.
template <class T>
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, const T* b,
          T beta, T* c, const T* bias = nullptr) {
  kernels::GemmOperands<T> g;
  g.trans_a = ta;
  g.trans_b = tb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.lda = ta ? m : k;
  g.b = b;
  g.ldb = tb ? k : n;
  g.beta = beta;
  g.c = c;
  g.ldc = n;
  g.bias = bias;
  const detail::JobKind shape((((m * 31 + n) * 31 + k) << 3) | (sizeof(T) == 8) << 2 | (ta << 1) |
                              tb);
  kernels::multiply(g, gemm_workspace<T>(kernels::workspace_size(g)), &detail::parallel_tasks);
}

// db (+)= the column sums of G [rows, cols].
void column_sums(const float* g, std::size_t rows, std::size_t cols, float* db, bool accumulate) {
  kernels::column_sums(g, rows, cols, cols, db, accumulate);
}
void column_sums(const double* g, std::size_t rows, std::size_t cols, double* db, bool accumulate) {
  if (!accumulate) std::fill(db, db + cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < cols; ++j) db[j] += g[r * cols + j];
}

// A: [batch*m, k] (batch_a) or [m, k]; B: [batch, k, n] (batch_b) or [k, n]; C: [batch, m, n].
struct MatmulDims {
  std::size_t batch = 1, m = 0, k = 0, n = 0;
  bool batch_a = false, batch_b = false;
};

MatmulDims matmul_dims(const Shape& a, const Shape& b) {
  auto fail = [&]() {
    return std::invalid_argument(
        fmt::format("matmul: shapes {} and {} are not aligned", shape_str(a), shape_str(b)));
  };
  MatmulDims d;
  if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3)
    throw std::invalid_argument(fmt::format(
        "matmul: shapes {} and {}: each operand must be a matrix [m, k] or a batch of them "
        "[batch, m, k] (2 or 3 dimensions)",
        shape_str(a), shape_str(b)));
  d.batch_a = a.size() == 3;
  d.batch_b = b.size() == 3;
  d.m = a[a.size() - 2];
  d.k = a[a.size() - 1];
  d.n = b[b.size() - 1];
  if (b[b.size() - 2] != d.k) throw fail();
  if (d.batch_a && d.batch_b && a[0] != b[0]) throw fail();
  d.batch = d.batch_a ? a[0] : (d.batch_b ? b[0] : 1);
  shape_numel(Shape{d.batch, d.m, d.n}, "matmul");
  return d;
}

template <class T>
struct MatmulNode final : Node<T> {
  explicit MatmulNode(MatmulDims dims) : d(dims) {}
  const char* name() const override { return "MatmulBackward"; }
  // da = g b^T reads b, db = a^T g reads a.
  bool reads_input(std::size_t i) const override { return this->needs_grad(1 - i); }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *a = this->input(0).data(), *b = this->input(1).data(), *gd = g.data();
    const std::size_t sa = d.batch_a ? d.m * d.k : 0, sb = d.batch_b ? d.k * d.n : 0,
                      sg = d.m * d.n;
    if (this->needs_grad(0)) {  // dA = G Bᵀ
      bool fresh = false;
      Array<T>& buffer = this->grad_buffer(0, fresh);
      T* da = buffer.data();
      if (fresh && d.batch == 0) std::fill(da, da + buffer.size(), T(0));  // no product to write it
      for (std::size_t i = 0; i < d.batch; ++i)
        gemm(false, true, d.m, d.k, d.n, gd + i * sg, b + i * sb,
             (fresh && (d.batch_a || i == 0)) ? T(0) : T(1), da + i * sa);
    }
    if (this->needs_grad(1)) {  // dB = Aᵀ G
      bool fresh = false;
      Array<T>& buffer = this->grad_buffer(1, fresh);
      T* db = buffer.data();
      if (fresh && d.batch == 0) std::fill(db, db + buffer.size(), T(0));
      for (std::size_t i = 0; i < d.batch; ++i)
        gemm(true, false, d.k, d.n, d.m, a + i * sa, gd + i * sg,
             (fresh && (d.batch_b || i == 0)) ? T(0) : T(1), db + i * sb);
    }
  }
  MatmulDims d;
};

template <class T>
struct LinearNode final : detail::LinearNodeBase<T> {  // x [rows, in], W [out, in], b [out]
  explicit LinearNode(detail::LinearDims dims) : detail::LinearNodeBase<T>(std::move(dims)) {}
  const char* name() const override { return "LinearBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override { this->linear_backward(g.data()); }
};

}  // namespace

template <class T>
BasicTensor<T> matmul(const BasicTensor<T>& a, const BasicTensor<T>& b) {
  const MatmulDims d = matmul_dims(a.shape(), b.shape());
  Shape out = d.batch_a || d.batch_b ? Shape{d.batch, d.m, d.n} : Shape{d.m, d.n};
  Array<T> y = Array<T>::from_shape(out);
  const std::size_t sa = d.batch_a ? d.m * d.k : 0, sb = d.batch_b ? d.k * d.n : 0;
  for (std::size_t i = 0; i < d.batch; ++i)
    gemm(false, false, d.m, d.n, d.k, a.data().data() + i * sa, b.data().data() + i * sb, T(0),
         y.data() + i * d.m * d.n);
  return record<MatmulNode<T>>(std::move(y), {a, b}, d);
}

namespace detail {

template <class T>
LinearDims linear_dims(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                       const BasicTensor<T>& bias) {
  if (weight.dim() != 2 || x.dim() < 1 || x.shape().back() != weight.shape()[1])
    throw std::invalid_argument(
        fmt::format("linear: input shape {} and weight shape {} are not aligned (the "
                    "input's last dimension must equal the weight's in_features)",
                    shape_str(x.shape()), shape_str(weight.shape())));
  LinearDims d;
  d.in = weight.shape()[1];
  d.out = weight.shape()[0];
  for (std::size_t i = 0; i + 1 < x.dim(); ++i) d.rows *= x.shape()[i];  // not size / in: in = 0
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != d.out))
    throw std::invalid_argument(
        fmt::format("linear: bias shape {} does not match weight shape {} (expected [{}])",
                    shape_str(bias.shape()), shape_str(weight.shape()), d.out));
  d.out_shape = x.shape();
  d.out_shape.back() = d.out;
  shape_numel(d.out_shape, "linear");
  return d;
}

template <class T>
void linear_forward(const LinearDims& d, const BasicTensor<T>& x, const BasicTensor<T>& weight,
                    const BasicTensor<T>& bias, T* y) {
  gemm(false, true, d.rows, d.out, d.in, x.data().data(), weight.data().data(), T(0), y,
       bias.defined() ? bias.data().data() : nullptr);
}

template <class T>
void LinearNodeBase<T>::linear_backward(const T* g) {
  const LinearDims& d = dims_;
  const T *x = this->input(0).data(), *w = this->input(1).data();
  bool fresh = false;
  if (this->needs_grad(0)) {  // dX = G W
    T* dx = this->grad_buffer(0, fresh).data();
    gemm(false, false, d.rows, d.in, d.out, g, w, fresh ? T(0) : T(1), dx);
  }
  if (this->needs_grad(1)) {  // dW = Gᵀ X
    T* dw = this->grad_buffer(1, fresh).data();
    gemm(true, false, d.out, d.in, d.rows, g, x, fresh ? T(0) : T(1), dw);
  }
  if (this->inputs.size() > 2 && this->needs_grad(2)) {  // db = column sums of G
    T* db = this->grad_buffer(2, fresh).data();
    column_sums(g, d.rows, d.out, db, !fresh);
  }
}

}  // namespace detail

template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias) {
  detail::LinearDims d = detail::linear_dims(x, weight, bias);
  Array<T> y = Array<T>::from_shape(d.out_shape);
  detail::linear_forward(d, x, weight, bias, y.data());
  if (bias.defined()) return record<LinearNode<T>>(std::move(y), {x, weight, bias}, std::move(d));
  return record<LinearNode<T>>(std::move(y), {x, weight}, std::move(d));
}

#define XG_INSTANTIATE(T)                                                                       \
  template BasicTensor<T> matmul(const BasicTensor<T>&, const BasicTensor<T>&);                 \
  template BasicTensor<T> linear(const BasicTensor<T>&, const BasicTensor<T>&,                  \
                                 const BasicTensor<T>&);                                        \
  template detail::LinearDims detail::linear_dims(const BasicTensor<T>&, const BasicTensor<T>&, \
                                                  const BasicTensor<T>&);                       \
  template void detail::linear_forward(const detail::LinearDims&, const BasicTensor<T>&,        \
                                       const BasicTensor<T>&, const BasicTensor<T>&, T*);       \
  template class detail::LinearNodeBase<T>;
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)

}  // namespace xg
