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

// Visits the elements in memory order (i, channel, k), so [N, C] inputs are read row by row
// instead of with a stride of C per channel.
struct ChannelsView {
  std::size_t n, c, l;
  template <class Fn>  // fn(flat index, channel)
  void each(Fn&& fn) const {
    if (l == 1) {  // [N, C]: the channel loop is innermost and contiguous, so it vectorises
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t ch = 0, base = i * c; ch < c; ++ch) fn(base + ch, ch);
      return;
    }
    std::size_t j = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t ch = 0; ch < c; ++ch)
        for (std::size_t k = 0; k < l; ++k, ++j) fn(j, ch);
  }
};

template <class T>
struct BatchNormNode final : Node<T> {  // inputs: x [, weight, bias]
  BatchNormNode(ChannelsView v, Array<T>&& xh, CachedVector<T>&& is, bool batch)
      : view(v), xhat(std::move(xh)), inv_std(std::move(is)), batch_stats(batch) {}
  const char* name() const override { return "NativeBatchNormBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const bool affine = this->inputs.size() == 3;
    const T* w = affine ? this->input(1).data() : nullptr;
    const T *gd = g.data(), *xh = xhat.data();
    const std::size_t C = view.c;
    CachedVector<T> sum_g(C, 0), sum_gx(C, 0);  // dbias and dweight
    view.each([&](std::size_t j, std::size_t ch) {
      sum_g[ch] += gd[j];
      sum_gx[ch] += gd[j] * xh[j];
    });
    if (this->needs_grad(0)) {
      // dx = w inv_std (g - mean(g) - xhat mean(g xhat)) with batch statistics; in eval mode the
      // statistics are constants and dx = w inv_std g.
      const T m = T(view.n * view.l);
      CachedVector<T> k(C), mg(C), mgx(C);
      for (std::size_t ch = 0; ch < C; ++ch) {
        k[ch] = (affine ? w[ch] : T(1)) * inv_std[ch];
        mg[ch] = batch_stats ? sum_g[ch] / m : T(0);
        mgx[ch] = batch_stats ? sum_gx[ch] / m : T(0);
      }
      bool fresh = false;
      T* dx = this->grad_buffer(0, fresh).data();
      if (fresh)
        view.each([&](std::size_t j, std::size_t ch) {
          dx[j] = k[ch] * (gd[j] - mg[ch] - xh[j] * mgx[ch]);
        });
      else
        view.each([&](std::size_t j, std::size_t ch) {
          dx[j] += k[ch] * (gd[j] - mg[ch] - xh[j] * mgx[ch]);
        });
    }
    if (affine && this->needs_grad(1))
      this->accumulate(1, [&](std::size_t c) { return sum_gx[c]; });
    if (affine && this->needs_grad(2)) this->accumulate(2, [&](std::size_t c) { return sum_g[c]; });
  }
  void release_saved() override { xhat = Array<T>(); }
  ChannelsView view;
  Array<T> xhat;
  CachedVector<T> inv_std;
  bool batch_stats;
};

// ---- LayerNorm: x as [rows, D] ----

template <class T>
struct LayerNormNode final : Node<T> {  // inputs: x [, weight, bias]
  LayerNormNode(std::size_t d, Array<T>&& xh, CachedVector<T>&& is)
      : dim(d), xhat(std::move(xh)), inv_std(std::move(is)) {}
  const char* name() const override { return "NativeLayerNormBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const bool affine = this->inputs.size() == 3;
    const T* w = affine ? this->input(1).data() : nullptr;
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
          const T d = affine ? gr[j] * w[j] : gr[j];
          sum_d += d;
          sum_dx += d * xr[j];
        }
        const T md = sum_d / m, mdx = sum_dx / m, is = inv_std[r];
        for (std::size_t j = 0; j < dim; ++j) {
          const T v = is * ((affine ? gr[j] * w[j] : gr[j]) - md - xr[j] * mdx);
          out[j] = fresh ? v : out[j] + v;
        }
      }
    }
    if (!affine) return;
    for (std::size_t k = 1; k < 3; ++k) {  // dweight = sum over rows of g xhat, dbias of g
      if (!this->needs_grad(k)) continue;
      CachedVector<T> acc(dim, 0);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < dim; ++j)
          acc[j] += k == 1 ? gd[r * dim + j] * xh[r * dim + j] : gd[r * dim + j];
      this->accumulate(k, [&](std::size_t j) { return acc[j]; });
    }
  }
  void release_saved() override { xhat = Array<T>(); }
  std::size_t dim;
  Array<T> xhat;
  CachedVector<T> inv_std;
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
  if (!(o.eps > 0))
    throw std::invalid_argument(fmt::format("BatchNorm1d: eps must be > 0, got {}", o.eps));
  if (o.momentum && !(*o.momentum >= 0 && *o.momentum <= 1))
    throw std::invalid_argument(
        fmt::format("BatchNorm1d: momentum must be in [0, 1], got {}", *o.momentum));
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
    throw std::invalid_argument(
        fmt::format("BatchNorm1d: expected input [N, {0}] or [N, {0}, L], got {1}", num_features,
                    shape_str(x.shape())));
  const std::size_t C = num_features;
  const ChannelsView v{x.size(0), C, x.dim() == 3 ? x.size(2) : 1};
  const bool batch_stats = this->is_training() || !options.track_running_stats;
  const std::size_t m = v.n * v.l;
  if (batch_stats && m <= 1)  // PyTorch's check and wording
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d: expected more than 1 value per channel when training, got input {}",
        shape_str(x.shape())));
  const T* xd = x.data().data();
  CachedVector<double> mean(C, 0), var(C, 0);  // double sums: a long batch keeps its digits
  if (batch_stats) {
    v.each([&](std::size_t j, std::size_t ch) { mean[ch] += xd[j]; });
    for (auto& s : mean) s /= double(m);
    v.each([&](std::size_t j, std::size_t ch) {  // two passes: no cancellation in E[x^2] - E[x]^2
      const double d = xd[j] - mean[ch];
      var[ch] += d * d;
    });
    for (auto& s : var) s /= double(m);  // biased: what normalises the batch
    if (this->is_training() && options.track_running_stats) {
      num_batches_tracked.data()() += 1;
      // PyTorch: the running variance takes the UNBIASED batch variance.
      const double f =
          options.momentum ? *options.momentum : 1 / double(num_batches_tracked.data()());
      const double unbias = double(m) / double(m - 1);
      T *rm = running_mean.data().data(), *rv = running_var.data().data();
      for (std::size_t ch = 0; ch < C; ++ch) {
        rm[ch] = T((1 - f) * rm[ch] + f * mean[ch]);
        rv[ch] = T((1 - f) * rv[ch] + f * var[ch] * unbias);
      }
    }
  } else {
    for (std::size_t ch = 0; ch < C; ++ch) {
      mean[ch] = running_mean.data()(ch);
      var[ch] = running_var.data()(ch);
    }
  }
  CachedVector<T> inv_std(C), mean_t(C), w(C, T(1)), b(C, T(0));
  for (std::size_t ch = 0; ch < C; ++ch) {
    inv_std[ch] = T(1 / std::sqrt(var[ch] + options.eps));
    mean_t[ch] = T(mean[ch]);
    if (options.affine) {
      w[ch] = weight.data()(ch);
      b[ch] = bias.data()(ch);
    }
  }
  Array<T> xhat = Array<T>::from_shape(x.shape()), y = Array<T>::from_shape(x.shape());
  T *xh = xhat.data(), *yd = y.data();
  v.each([&](std::size_t j, std::size_t ch) {
    xh[j] = (xd[j] - mean_t[ch]) * inv_std[ch];
    yd[j] = w[ch] * xh[j] + b[ch];
  });
  return record<BatchNormNode<T>>(std::move(y), node_inputs(x, weight, bias), v, std::move(xhat),
                                  std::move(inv_std), batch_stats);
}

template <class T>
std::string BatchNorm1dT<T>::describe() const {
  return fmt::format("BatchNorm1d({}, eps={}, momentum={}, affine={}, track_running_stats={})",
                     num_features, options.eps,
                     options.momentum ? fmt::format("{}", *options.momentum) : std::string("None"),
                     options.affine, options.track_running_stats);
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
  if (!(eps > 0))
    throw std::invalid_argument(fmt::format("LayerNorm: eps must be > 0, got {}", eps));
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
    throw std::invalid_argument(fmt::format(
        "LayerNorm: input {} does not end with normalized_shape {}", shape_str(x.shape()),
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
template BasicTensor<float> layer_norm(const BasicTensor<float>&, std::size_t,
                                       const BasicTensor<float>&, const BasicTensor<float>&,
                                       double);
template BasicTensor<double> layer_norm(const BasicTensor<double>&, std::size_t,
                                        const BasicTensor<double>&, const BasicTensor<double>&,
                                        double);

}  // namespace xg::nn
