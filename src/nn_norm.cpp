// BatchNorm1d and LayerNorm: fused nodes that save the normalised input and 1/std, with the
// analytic backward  dx = (1/std)/m (m dxhat - sum dxhat - xhat sum(dxhat xhat)).
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "xgrad/nn/batchnorm.hpp"
#include "xgrad/nn/layernorm.hpp"

namespace xg::nn {
namespace {

// ---- BatchNorm: x as [N, C, L]; statistics per channel over N and L ----

struct ChannelsView {
  std::size_t n, c, l;
  template <class Fn>  // fn(flat index) over channel ch
  void each(std::size_t ch, Fn&& fn) const {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0, base = (i * c + ch) * l; k < l; ++k) fn(base + k);
  }
};

template <class T>
struct BatchNormNode final : Node<T> {  // inputs: x [, weight, bias]
  BatchNormNode(ChannelsView v, Array<T>&& xh, std::vector<T>&& is, bool batch)
      : view(v), xhat(std::move(xh)), inv_std(std::move(is)), batch_stats(batch) {}
  const char* name() const override { return "NativeBatchNormBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const bool affine = this->inputs.size() == 3;
    const T* w = affine ? this->input(1).data() : nullptr;
    const T *gd = g.data(), *xh = xhat.data();
    const std::size_t C = view.c;
    std::vector<T> sum_g(C, 0), sum_gx(C, 0);
    for (std::size_t ch = 0; ch < C; ++ch)
      view.each(ch, [&](std::size_t j) {
        sum_g[ch] += gd[j];
        sum_gx[ch] += gd[j] * xh[j];
      });
    if (this->needs_grad(0)) {
      std::vector<T> dx(xhat.size());
      const T m = T(view.n * view.l);
      for (std::size_t ch = 0; ch < C; ++ch) {
        const T wc = affine ? w[ch] : T(1), k = wc * inv_std[ch];
        if (batch_stats)
          view.each(ch, [&](std::size_t j) { dx[j] = k * (gd[j] - sum_g[ch] / m - xh[j] * sum_gx[ch] / m); });
        else
          view.each(ch, [&](std::size_t j) { dx[j] = k * gd[j]; });
      }
      this->accumulate(0, [&](std::size_t j) { return dx[j]; });
    }
    if (affine && this->needs_grad(1)) this->accumulate(1, [&](std::size_t c) { return sum_gx[c]; });
    if (affine && this->needs_grad(2)) this->accumulate(2, [&](std::size_t c) { return sum_g[c]; });
  }
  void release_saved() override { xhat = Array<T>(); }
  ChannelsView view;
  Array<T> xhat;
  std::vector<T> inv_std;
  bool batch_stats;
};

// ---- LayerNorm: x as [rows, D] ----

template <class T>
struct LayerNormNode final : Node<T> {  // inputs: x [, weight, bias]
  LayerNormNode(std::size_t d, Array<T>&& xh, std::vector<T>&& is)
      : dim(d), xhat(std::move(xh)), inv_std(std::move(is)) {}
  const char* name() const override { return "NativeLayerNormBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const bool affine = this->inputs.size() == 3;
    const T* w = affine ? this->input(1).data() : nullptr;
    const T *gd = g.data(), *xh = xhat.data();
    const std::size_t rows = inv_std.size();
    std::vector<T> dx(this->needs_grad(0) ? xhat.size() : 0), dw(dim, 0), db(dim, 0);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t base = r * dim;
      T sum_d = 0, sum_dx = 0;  // sums of dxhat and dxhat * xhat over the row
      for (std::size_t j = 0; j < dim; ++j) {
        const T d = gd[base + j] * (affine ? w[j] : T(1));
        sum_d += d;
        sum_dx += d * xh[base + j];
        dw[j] += gd[base + j] * xh[base + j];
        db[j] += gd[base + j];
      }
      if (dx.empty()) continue;
      const T m = T(dim);
      for (std::size_t j = 0; j < dim; ++j) {
        const T d = gd[base + j] * (affine ? w[j] : T(1));
        dx[base + j] = inv_std[r] * (d - sum_d / m - xh[base + j] * sum_dx / m);
      }
    }
    if (!dx.empty()) this->accumulate(0, [&](std::size_t j) { return dx[j]; });
    if (affine && this->needs_grad(1)) this->accumulate(1, [&](std::size_t j) { return dw[j]; });
    if (affine && this->needs_grad(2)) this->accumulate(2, [&](std::size_t j) { return db[j]; });
  }
  void release_saved() override { xhat = Array<T>(); }
  std::size_t dim;
  Array<T> xhat;
  std::vector<T> inv_std;
};

template <class T>
std::vector<BasicTensor<T>> node_inputs(const BasicTensor<T>& x, const BasicTensor<T>& w,
                                        const BasicTensor<T>& b) {
  if (w.defined()) return {x, w, b};
  return {x};
}

}  // namespace

// ---- BatchNorm1d ----

template <class T>
BatchNorm1dT<T>::BatchNorm1dT(std::size_t features, BatchNormOptions o)
    : num_features(features), options(o) {
  if (features == 0) throw std::invalid_argument("BatchNorm1d: num_features must be >= 1, got 0");
  if (!(o.eps > 0)) throw std::invalid_argument(fmt::format("BatchNorm1d: eps must be > 0, got {}", o.eps));
  if (!(o.momentum >= 0 && o.momentum <= 1))
    throw std::invalid_argument(fmt::format("BatchNorm1d: momentum must be in [0, 1], got {}", o.momentum));
  if (o.affine) {
    weight = this->register_parameter("weight", BasicTensor<T>::ones({features}));
    bias = this->register_parameter("bias", BasicTensor<T>::zeros({features}));
  }
  if (o.track_running_stats) {
    running_mean = this->register_buffer("running_mean", BasicTensor<T>::zeros({features}));
    running_var = this->register_buffer("running_var", BasicTensor<T>::ones({features}));
    num_batches_tracked = this->register_buffer("num_batches_tracked", BasicTensor<T>::zeros({}));
  }
}

template <class T>
BasicTensor<T> BatchNorm1dT<T>::forward(const BasicTensor<T>& x) {
  if ((x.dim() != 2 && x.dim() != 3) || x.size(1) != num_features)
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d: expected input [N, {0}] or [N, {0}, L], got {1}", num_features, shape_str(x.shape())));
  const ChannelsView v{x.size(0), num_features, x.dim() == 3 ? x.size(2) : 1};
  const bool batch_stats = this->is_training() || !options.track_running_stats;
  const std::size_t m = v.n * v.l;
  if (batch_stats && m <= 1)
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d: expected more than 1 value per channel when training, got input {}",
        shape_str(x.shape())));
  const T* xd = x.data().data();
  Array<T> xhat = Array<T>::from_shape(x.shape()), y = Array<T>::from_shape(x.shape());
  std::vector<T> inv_std(num_features);
  for (std::size_t c = 0; c < num_features; ++c) {
    double mean, var;
    if (batch_stats) {
      double s = 0, ss = 0;
      v.each(c, [&](std::size_t j) { s += xd[j]; });
      mean = s / double(m);
      v.each(c, [&](std::size_t j) { ss += (xd[j] - mean) * (xd[j] - mean); });
      var = ss / double(m);
      if (this->is_training() && options.track_running_stats) {  // PyTorch: unbiased here
        NoGradGuard no_grad;
        T& rm = running_mean.data()(c);
        T& rv = running_var.data()(c);
        rm = T((1 - options.momentum) * rm + options.momentum * mean);
        rv = T((1 - options.momentum) * rv + options.momentum * ss / double(m - 1));
      }
    } else {
      mean = running_mean.data()(c);
      var = running_var.data()(c);
    }
    inv_std[c] = T(1 / std::sqrt(var + options.eps));
    const T wc = options.affine ? weight.data()(c) : T(1), bc = options.affine ? bias.data()(c) : T(0);
    v.each(c, [&](std::size_t j) {
      xhat.data()[j] = T((xd[j] - mean)) * inv_std[c];
      y.data()[j] = wc * xhat.data()[j] + bc;
    });
  }
  if (this->is_training() && options.track_running_stats) num_batches_tracked.data()() += 1;
  return record<BatchNormNode<T>>(std::move(y), node_inputs(x, weight, bias), v, std::move(xhat),
                                  std::move(inv_std), batch_stats);
}

template <class T>
std::string BatchNorm1dT<T>::describe() const {
  return fmt::format("BatchNorm1d({}, eps={}, momentum={}, affine={}, track_running_stats={})",
                     num_features, options.eps, options.momentum, options.affine,
                     options.track_running_stats);
}

// ---- LayerNorm ----

template <class T>
BasicTensor<T> layer_norm(const BasicTensor<T>& x, std::size_t d, const BasicTensor<T>& weight,
                          const BasicTensor<T>& bias, double eps) {
  if (d == 0 || x.size() % d != 0)
    throw std::invalid_argument(fmt::format("layer_norm: input {} cannot be split into rows of {}",
                                            shape_str(x.shape()), d));
  const std::size_t rows = x.size() / d;
  const T* xd = x.data().data();
  const T* w = weight.defined() ? weight.data().data() : nullptr;
  const T* b = bias.defined() ? bias.data().data() : nullptr;
  Array<T> xhat = Array<T>::from_shape(x.shape()), y = Array<T>::from_shape(x.shape());
  std::vector<T> inv_std(rows);
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
      y.data()[r * d + j] = w ? w[j] * xh + (b ? b[j] : T(0)) : xh;
    }
  }
  return record<LayerNormNode<T>>(std::move(y), node_inputs(x, weight, bias), d, std::move(xhat),
                                  std::move(inv_std));
}

template <class T>
LayerNormT<T>::LayerNormT(std::vector<std::size_t> shape, double e, bool affine)
    : normalized_shape(std::move(shape)), eps(e) {
  if (normalized_shape.empty())
    throw std::invalid_argument("LayerNorm: normalized_shape must have at least one dimension");
  if (!(eps > 0)) throw std::invalid_argument(fmt::format("LayerNorm: eps must be > 0, got {}", eps));
  Shape s(normalized_shape.begin(), normalized_shape.end());
  if (affine) {
    weight = this->register_parameter("weight", BasicTensor<T>::ones(s));
    bias = this->register_parameter("bias", BasicTensor<T>::zeros(s));
  }
}

template <class T>
BasicTensor<T> LayerNormT<T>::forward(const BasicTensor<T>& x) {
  const std::size_t k = normalized_shape.size();
  bool ok = x.dim() >= k;
  for (std::size_t i = 0; ok && i < k; ++i) ok = x.shape()[x.dim() - k + i] == normalized_shape[i];
  if (!ok)
    throw std::invalid_argument(fmt::format("LayerNorm: input {} does not end with normalized_shape {}",
                                            shape_str(x.shape()),
                                            shape_str(Shape(normalized_shape.begin(), normalized_shape.end()))));
  std::size_t d = 1;
  for (auto s : normalized_shape) d *= s;
  return layer_norm(x, d, weight, bias, eps);
}

template <class T>
std::string LayerNormT<T>::describe() const {
  return fmt::format("LayerNorm({}, eps={}, elementwise_affine={})",
                     shape_str(Shape(normalized_shape.begin(), normalized_shape.end())), eps,
                     weight.defined());
}

template class BatchNorm1dT<float>;
template class BatchNorm1dT<double>;
template class LayerNormT<float>;
template class LayerNormT<double>;
template BasicTensor<float> layer_norm(const BasicTensor<float>&, std::size_t, const BasicTensor<float>&,
                                       const BasicTensor<float>&, double);
template BasicTensor<double> layer_norm(const BasicTensor<double>&, std::size_t, const BasicTensor<double>&,
                                        const BasicTensor<double>&, double);

}  // namespace xg::nn
