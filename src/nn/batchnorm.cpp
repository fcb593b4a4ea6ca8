// BatchNorm1d: a fused node that saves the normalised input and 1/std, with the analytic
// backward  dx = (1/std)/m (m dxhat - sum dxhat - xhat sum(dxhat xhat)).
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "norm_inputs.hpp"
#include "xgrad/extend.hpp"
#include "xgrad/nn/batchnorm.hpp"

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
  bool reads_input(std::size_t i) const override { return i < 2; }  // not the bias
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

}  // namespace

// ---- BatchNorm1d ----

template <class T>
BasicBatchNorm1d<T>::BasicBatchNorm1d(std::size_t features, BatchNormOptions o)
    : num_features(features), options(o) {
  if (features == 0) throw std::invalid_argument("BatchNorm1d: num_features must be >= 1, got 0");
  shape_numel({features}, "BatchNorm1d(num_features)");
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
BasicTensor<T> BasicBatchNorm1d<T>::forward(const BasicTensor<T>& x) {
  if ((x.dim() != 2 && x.dim() != 3) || x.size(1) != num_features)
    throw std::invalid_argument(
        fmt::format("BatchNorm1d: expected input [N, {0}] or [N, {0}, L], got {1}", num_features,
                    shape_str(x.shape())));
  const std::size_t C = num_features;
  const ChannelsView v{x.size(0), C, x.dim() == 3 ? x.size(2) : 1};
  const bool batch_stats = this->is_training() || !options.track_running_stats;
  const std::size_t m = v.n * v.l;
  if (batch_stats && m == 1)  // PyTorch's check and wording
    throw std::invalid_argument(fmt::format(
        "BatchNorm1d: expected more than 1 value per channel when training, got input {}",
        shape_str(x.shape())));
  const T* xd = x.data().data();
  CachedVector<double> mean(C, 0), var(C, 0);  // double sums: a long batch keeps its digits
  if (batch_stats && m == 0) {
    // An empty batch (PyTorch): an empty output, no statistics, the running ones untouched, but
    // the batch still counts in num_batches_tracked.
    if (this->is_training() && options.track_running_stats) num_batches_tracked.data()() += 1;
  } else if (batch_stats) {
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
std::string BasicBatchNorm1d<T>::describe() const {
  return fmt::format("BatchNorm1d({}, eps={}, momentum={}, affine={}, track_running_stats={})",
                     num_features, options.eps,
                     options.momentum ? fmt::format("{}", *options.momentum) : std::string("None"),
                     options.affine, options.track_running_stats);
}

template class BasicBatchNorm1d<float>;
template class BasicBatchNorm1d<double>;

}  // namespace xg::nn
