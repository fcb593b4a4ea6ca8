// matmul and linear on OpenBLAS: GEMMs on the raw row-major buffers with transposition flags
// (no transposed copies); backward accumulates straight into the gradient (beta = 1).
#include <cblas.h>
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "xgrad/ops/linalg.hpp"
#include "xgrad/ops/pointwise.hpp"
#include "xgrad/ops/reduce.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {
namespace {

// C[m,n] = op(A) op(B) + beta * C, all row-major. With k = 0 the product is a sum over nothing
// (BLAS would refuse the leading dimension 0 and leave C unwritten).
template <class T>
bool gemm_trivial(std::size_t m, std::size_t n, std::size_t k, T beta, T* c) {
  if (k != 0 && m != 0 && n != 0) return false;
  if (beta == T(0)) std::fill(c, c + m * n, T(0));
  return true;
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a,
          const float* b, float beta, float* c) {
  if (gemm_trivial(m, n, k, beta, c)) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m),
              int(n), int(k), 1.0f, a, ta ? int(m) : int(k), b, tb ? int(k) : int(n), beta, c,
              int(n));
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a,
          const double* b, double beta, double* c) {
  if (gemm_trivial(m, n, k, beta, c)) return;
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(m),
              int(n), int(k), 1.0, a, ta ? int(m) : int(k), b, tb ? int(k) : int(n), beta, c,
              int(n));
}

// OpenBLAS takes int sizes: a dimension beyond INT_MAX would be truncated silently.
void check_blas_dims(const char* op, const Shape& a, const Shape& b,
                     std::initializer_list<std::size_t> dims) {
  for (std::size_t d : dims)
    if (d > std::size_t(std::numeric_limits<int>::max()))
      throw std::length_error(
          fmt::format("{}: shapes {} and {}: a matrix dimension of {} exceeds "
                      "the BLAS limit of 2^31 - 1",
                      op, shape_str(a), shape_str(b), d));
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
  if (a.size() < 2 || a.size() > 3 || b.size() < 2 || b.size() > 3) throw fail();
  d.batch_a = a.size() == 3;
  d.batch_b = b.size() == 3;
  d.m = a[a.size() - 2];
  d.k = a[a.size() - 1];
  d.n = b[b.size() - 1];
  if (b[b.size() - 2] != d.k) throw fail();
  if (d.batch_a && d.batch_b && a[0] != b[0]) throw fail();
  d.batch = d.batch_a ? a[0] : (d.batch_b ? b[0] : 1);
  check_blas_dims("matmul", a, b, {d.m, d.k, d.n});
  shape_numel(Shape{d.batch, d.m, d.n}, "matmul");
  return d;
}

template <class T>
struct MatmulNode final : Node<T> {
  explicit MatmulNode(MatmulDims dims) : d(dims) {}
  const char* name() const override { return "MatmulBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *a = this->input(0).data(), *b = this->input(1).data(), *gd = g.data();
    const std::size_t sa = d.batch_a ? d.m * d.k : 0, sb = d.batch_b ? d.k * d.n : 0,
                      sg = d.m * d.n;
    if (this->needs_grad(0)) {  // dA = G Bᵀ
      bool fresh = false;
      T* da = this->grad_buffer(0, fresh).data();
      for (std::size_t i = 0; i < d.batch; ++i)
        gemm(false, true, d.m, d.k, d.n, gd + i * sg, b + i * sb,
             (fresh && (d.batch_a || i == 0)) ? T(0) : T(1), da + i * sa);
    }
    if (this->needs_grad(1)) {  // dB = Aᵀ G
      bool fresh = false;
      T* db = this->grad_buffer(1, fresh).data();
      for (std::size_t i = 0; i < d.batch; ++i)
        gemm(true, false, d.k, d.n, d.m, a + i * sa, gd + i * sg,
             (fresh && (d.batch_b || i == 0)) ? T(0) : T(1), db + i * sb);
    }
  }
  MatmulDims d;
};

template <class T>
struct LinearNode final : Node<T> {  // inputs: x [rows, in], W [out, in], optional b [out]
  LinearNode(std::size_t r, std::size_t i, std::size_t o) : rows(r), in(i), out(o) {}
  const char* name() const override { return "LinearBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *x = this->input(0).data(), *w = this->input(1).data(), *gd = g.data();
    bool fresh = false;
    if (this->needs_grad(0)) {  // dX = G W
      T* dx = this->grad_buffer(0, fresh).data();
      gemm(false, false, rows, in, out, gd, w, fresh ? T(0) : T(1), dx);
    }
    if (this->needs_grad(1)) {  // dW = Gᵀ X
      T* dw = this->grad_buffer(1, fresh).data();
      gemm(true, false, out, in, rows, gd, x, fresh ? T(0) : T(1), dw);
    }
    if (this->inputs.size() > 2 && this->needs_grad(2)) {  // db = column sums of G
      T* db = this->grad_buffer(2, fresh).data();
      if (fresh) std::fill(db, db + out, T(0));
      for (std::size_t r = 0; r < rows; ++r) {
        const T* row = gd + r * out;
        for (std::size_t j = 0; j < out; ++j) db[j] += row[j];
      }
    }
  }
  std::size_t rows, in, out;
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

template <class T>
BasicTensor<T> linear(const BasicTensor<T>& x, const BasicTensor<T>& weight,
                      const BasicTensor<T>& bias) {
  if (weight.dim() != 2 || x.dim() < 1 || x.shape().back() != weight.shape()[1])
    throw std::invalid_argument(
        fmt::format("linear: input shape {} and weight shape {} are not aligned (the "
                    "input's last dimension must equal the weight's in_features)",
                    shape_str(x.shape()), shape_str(weight.shape())));
  const std::size_t in = weight.shape()[1], out_f = weight.shape()[0];
  std::size_t rows = 1;  // not x.size() / in, which loses the rows when in = 0
  for (std::size_t i = 0; i + 1 < x.dim(); ++i) rows *= x.shape()[i];
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != out_f))
    throw std::invalid_argument(
        fmt::format("linear: bias shape {} does not match weight shape {} (expected [{}])",
                    shape_str(bias.shape()), shape_str(weight.shape()), out_f));
  check_blas_dims("linear", x.shape(), weight.shape(), {rows, in, out_f});
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  shape_numel(out_shape, "linear");
  Array<T> y = Array<T>::from_shape(out_shape);
  if (bias.defined()) {
    const T* bd = bias.data().data();
    for (std::size_t r = 0; r < rows; ++r) std::copy_n(bd, out_f, y.data() + r * out_f);
  }
  gemm(false, true, rows, out_f, in, x.data().data(), weight.data().data(),
       bias.defined() ? T(1) : T(0), y.data());
  if (bias.defined())
    return record<LinearNode<T>>(std::move(y), {x, weight, bias}, rows, in, out_f);
  return record<LinearNode<T>>(std::move(y), {x, weight}, rows, in, out_f);
}

#define XG_INSTANTIATE(T)                                                       \
  template BasicTensor<T> matmul(const BasicTensor<T>&, const BasicTensor<T>&); \
  template BasicTensor<T> linear(const BasicTensor<T>&, const BasicTensor<T>&,  \
                                 const BasicTensor<T>&);
XG_INSTANTIATE(float)
XG_INSTANTIATE(double)

}  // namespace xg
