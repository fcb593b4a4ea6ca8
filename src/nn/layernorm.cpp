// LayerNorm: a fused node over rows of D values that saves the normalised input and 1/std;
// backward per row: dx = (1/std) (d - mean(d) - xhat mean(d xhat)), d = g w.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "norm_inputs.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/nn/layernorm.hpp"

namespace xg::nn {
namespace {

template <class T>
struct LayerNormNode final : Node<T> {  // inputs: x [, weight] [, bias]
  LayerNormNode(std::size_t d, Array<T>&& xh, CachedVector<T>&& is, bool w, bool b)
      : dim(d), xhat(std::move(xh)), inv_std(std::move(is)), has_weight(w), has_bias(b) {}
  const char* name() const override { return "NativeLayerNormBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T* w = has_weight ? this->input(1).data() : nullptr;  // xhat's gradient is g w
    const T *gd = g.data(), *xh = xhat.data();
    const std::size_t rows = inv_std.size();
    if (this->needs_grad(0)) {
      // Per row, with d = g w (the gradient reaching xhat):
      // dx = inv_std (d - mean(d) - xhat mean(d xhat)).
      bool fresh = false;
      T* dx = this->grad_buffer(0, fresh).data();
      const T m = T(dim);
      for (std::size_t r = 0; r < rows; ++r) {
        const T *gr = gd + r * dim, *xr = xh + r * dim;
        T* out = dx + r * dim;
        T sum_d = 0, sum_dx = 0;
        for (std::size_t j = 0; j < dim; ++j) {
          const T d = w ? gr[j] * w[j] : gr[j];
          sum_d += d;
          sum_dx += d * xr[j];
        }
        const T md = sum_d / m, mdx = sum_dx / m, is = inv_std[r];
        for (std::size_t j = 0; j < dim; ++j) {
          const T v = is * ((w ? gr[j] * w[j] : gr[j]) - md - xr[j] * mdx);
          out[j] = fresh ? v : out[j] + v;
        }
      }
    }
    // dweight = sum over rows of g xhat, dbias of g
    if (has_weight) accumulate_over_rows(1, gd, xh);
    if (has_bias) accumulate_over_rows(has_weight ? 2 : 1, gd, nullptr);
  }
  // Input k's gradient: the sum over rows of g (times xhat when given).
  void accumulate_over_rows(std::size_t k, const T* gd, const T* xh) {
    if (!this->needs_grad(k)) return;
    CachedVector<T> acc(dim, 0);
    for (std::size_t r = 0; r < inv_std.size(); ++r)
      for (std::size_t j = 0; j < dim; ++j)
        acc[j] += xh ? gd[r * dim + j] * xh[r * dim + j] : gd[r * dim + j];
    this->accumulate(k, [&](std::size_t j) { return acc[j]; });
  }
  void release_saved() override { xhat = Array<T>(); }
  std::size_t dim;
  Array<T> xhat;
  CachedVector<T> inv_std;
  bool has_weight, has_bias;
};

}  // namespace

template <class T>
BasicTensor<T> layer_norm(const BasicTensor<T>& x, std::size_t d, const BasicTensor<T>& weight,
                          const BasicTensor<T>& bias, double eps) {
  if (d == 0 || x.numel() % d != 0)
    throw std::invalid_argument(fmt::format("layer_norm: input {} cannot be split into rows of {}",
                                            shape_str(x.shape()), d));
  const auto check_size = [d](const BasicTensor<T>& p, const char* name) {
    if (p.defined() && p.numel() != d)
      throw std::invalid_argument(
          fmt::format("layer_norm: {} {} must hold {} values, one per element of a row", name,
                      shape_str(p.shape()), d));
  };
  check_size(weight, "weight");
  check_size(bias, "bias");
  const std::size_t rows = x.numel() / d;
  const T* xd = x.data().data();
  const T* w = weight.defined() ? weight.data().data() : nullptr;
  const T* b = bias.defined() ? bias.data().data() : nullptr;
  Array<T> xhat = Array<T>::from_shape(x.shape()), y = Array<T>::from_shape(x.shape());
  CachedVector<T> inv_std(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    const T* xr = xd + r * d;
    double s = 0, ss = 0;
    for (std::size_t j = 0; j < d; ++j) s += xr[j];
    const double mean = s / double(d);
    for (std::size_t j = 0; j < d; ++j) ss += (xr[j] - mean) * (xr[j] - mean);
    inv_std[r] = T(1 / std::sqrt(ss / double(d) + eps));
    for (std::size_t j = 0; j < d; ++j) {
      const T xh = T(xr[j] - mean) * inv_std[r];
      xhat.data()[r * d + j] = xh;
      y.data()[r * d + j] = (w ? w[j] * xh : xh) + (b ? b[j] : T(0));
    }
  }
  return record<LayerNormNode<T>>(std::move(y), node_inputs(x, weight, bias), d, std::move(xhat),
                                  std::move(inv_std), weight.defined(), bias.defined());
}

template <class T>
BasicLayerNorm<T>::BasicLayerNorm(std::vector<std::size_t> shape, double e, bool affine)
    : normalized_shape(std::move(shape)), eps(e) {
  if (normalized_shape.empty())
    throw std::invalid_argument("LayerNorm: normalized_shape must have at least one dimension");
  if (!(eps > 0))
    throw std::invalid_argument(fmt::format("LayerNorm: eps must be > 0, got {}", eps));
  Shape s(normalized_shape.begin(), normalized_shape.end());
  shape_numel(s, "LayerNorm(normalized_shape)");
  if (affine) {
    weight = this->register_parameter("weight", BasicTensor<T>::ones(s));
    bias = this->register_parameter("bias", BasicTensor<T>::zeros(s));
  }
}

template <class T>
BasicTensor<T> BasicLayerNorm<T>::forward(const BasicTensor<T>& x) {
  const std::size_t k = normalized_shape.size();
  bool ok = x.dim() >= k;
  for (std::size_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!ok)
    throw std::invalid_argument(fmt::format(
        "LayerNorm: input {} does not end with normalized_shape {}", shape_str(x.shape()),
        shape_str(Shape(normalized_shape.begin(), normalized_shape.end()))));
  std::size_t d = 1;
  for (auto s : normalized_shape) d *= s;
  return layer_norm(x, d, weight, bias, eps);
}

template <class T>
std::string BasicLayerNorm<T>::describe() const {
  return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})",
                     shape_str(Shape(normalized_shape.begin(), normalized_shape.end())), eps,
                     weight.defined());
}

template class BasicLayerNorm<float>;
template class BasicLayerNorm<double>;
template BasicTensor<float> layer_norm(const BasicTensor<float>&, std::size_t,
                                       const BasicTensor<float>&, const BasicTensor<float>&,
                                       double);
template BasicTensor<double> layer_norm(const BasicTensor<double>&, std::size_t,
                                        const BasicTensor<double>&, const BasicTensor<double>&,
                                        double);

}  // namespace xg::nn
