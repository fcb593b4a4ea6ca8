// nn::Linear, nn::Sequential, nn::Dropout, nn::Residual.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "xgrad/nn/dropout.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/residual.hpp"
#include "xgrad/nn/sequential.hpp"
#include "xgrad/ops.hpp"

namespace xg::nn {
namespace {

template <class T>
BasicTensor<T> uniform_tensor(const Shape& shape, double bound, Generator& rng) {
  Array<T> v = Array<T>::from_shape(shape);
  for (auto& e : v) e = T(rng.uniform(-bound, bound));
  return BasicTensor<T>(std::move(v));
}

// The saved mask holds 0 or 1/(1-p) per element: backward is one multiplication.
template <class T>
struct DropoutNode final : Node<T> {
  explicit DropoutNode(Array<T>&& m) : mask(std::move(m)) {}
  const char* name() const override { return "DropoutBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    const T *gd = g.data(), *md = mask.data();
    this->accumulate(0, [&](std::size_t j) { return gd[j] * md[j]; });
  }
  void release_saved() override { mask = Array<T>(); }
  Array<T> mask;
};

}  // namespace

// ---- Linear ----

template <class T>
LinearT<T>::LinearT(std::size_t in, std::size_t out, bool with_bias,
                    std::optional<std::uint64_t> seed)
    : in_features(in), out_features(out) {
  if (in == 0 || out == 0)
    throw std::invalid_argument(
        fmt::format("Linear: in_features and out_features must be >= 1, got {} and {}", in, out));
  Generator local(seed.value_or(0));
  Generator& rng = seed ? local : default_generator();
  const double bound = 1 / std::sqrt(double(in));
  weight = this->register_parameter("weight", uniform_tensor<T>({out, in}, bound, rng));
  if (with_bias) bias = this->register_parameter("bias", uniform_tensor<T>({out}, bound, rng));
}

template <class T>
BasicTensor<T> LinearT<T>::forward(const BasicTensor<T>& x) {
  if (x.dim() == 0 || x.shape().back() != in_features)
    throw std::invalid_argument(fmt::format(
        "Linear: input shape {} does not match weight shape {} (the input's last dimension must be "
        "in_features = {})",
        shape_str(x.shape()), shape_str(weight.shape()), in_features));
  return xg::linear(x, weight, bias);
}

template <class T>
std::string LinearT<T>::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", in_features, out_features,
                     bias.defined());
}

// ---- Sequential ----

template <class T>
SequentialT<T>& SequentialT<T>::push_back(std::shared_ptr<ModuleT<T>> module) {
  if (!module) throw std::invalid_argument("Sequential: cannot add a null module");
  this->register_module(std::to_string(layers_.size()), module);
  layers_.push_back(std::move(module));
  return *this;
}

template <class T>
BasicTensor<T> SequentialT<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> h = x;
  for (const auto& layer : layers_) h = layer->forward(h);
  return h;
}

template <class T>
std::string SequentialT<T>::describe() const {
  return fmt::format("Sequential({} modules)", layers_.size());
}

// ---- Dropout ----

template <class T>
BasicTensor<T> dropout(const BasicTensor<T>& x, double p, bool training, Generator& rng) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument(fmt::format("dropout: p must be in [0, 1], got {}", p));
  if (!training || p == 0) return x;
  const T scale = p < 1 ? T(1 / (1 - p)) : T(0);  // p = 1 drops everything (PyTorch)
  Array<T> mask = Array<T>::from_shape(x.shape()), y = Array<T>::from_shape(x.shape());
  const T* xd = x.data().data();
  for (std::size_t j = 0; j < mask.size(); ++j) {
    mask.data()[j] = rng.uniform() < p ? T(0) : scale;
    y.data()[j] = xd[j] * mask.data()[j];
  }
  if (!needs_graph<T>({x})) return BasicTensor<T>(std::move(y));
  return record<DropoutNode<T>>(std::move(y), {x}, std::move(mask));
}

template <class T>
DropoutT<T>::DropoutT(double p, std::optional<std::uint64_t> seed)
    : p_(p), rng_(seed ? *seed : default_generator().next_u64()) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument(fmt::format("Dropout: p must be in [0, 1], got {}", p));
}

template <class T>
BasicTensor<T> DropoutT<T>::forward(const BasicTensor<T>& x) {
  return dropout(x, p_, this->is_training(), rng_);
}

template <class T>
std::string DropoutT<T>::describe() const {
  return fmt::format("Dropout(p={})", p_);
}

// ---- Residual ----

template <class T>
ResidualT<T>::ResidualT(std::shared_ptr<ModuleT<T>> block) : block_(std::move(block)) {
  if (!block_) throw std::invalid_argument("Residual: the block is null");
  this->register_module("block", block_);
}

template <class T>
BasicTensor<T> ResidualT<T>::forward(const BasicTensor<T>& x) {
  BasicTensor<T> y = block_->forward(x);
  if (y.shape() != x.shape())
    throw std::invalid_argument(
        fmt::format("Residual: the block maps shape {} to {}; a residual block must keep the shape",
                    shape_str(x.shape()), shape_str(y.shape())));
  return x + y;
}

template <class T>
std::string ResidualT<T>::describe() const {
  return "Residual(x + block(x))";
}

template class LinearT<float>;
template class LinearT<double>;
template class SequentialT<float>;
template class SequentialT<double>;
template class DropoutT<float>;
template class DropoutT<double>;
template class ResidualT<float>;
template class ResidualT<double>;
template BasicTensor<float> dropout(const BasicTensor<float>&, double, bool, Generator&);
template BasicTensor<double> dropout(const BasicTensor<double>&, double, bool, Generator&);

}  // namespace xg::nn
