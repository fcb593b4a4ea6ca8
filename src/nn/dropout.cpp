// nn::Dropout and nn::dropout: inverted dropout with a saved mask.
#include <fmt/format.h>

#include <stdexcept>

#include "xgrad/nn/dropout.hpp"

namespace xg::nn {
namespace {

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
BasicDropout<T>::BasicDropout(double p, std::optional<std::uint64_t> seed)
    : p_(p),
      rng_(this->register_generator("generator",
                                    Generator(seed ? *seed : default_generator().next_u64()))) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument(fmt::format("Dropout: p must be in [0, 1], got {}", p));
}

template <class T>
BasicTensor<T> BasicDropout<T>::forward(const BasicTensor<T>& x) {
  return dropout(x, p_, this->is_training(), *rng_);
}

template <class T>
std::string BasicDropout<T>::describe() const {
  return fmt::format("Dropout(p={})", p_);
}

template class BasicDropout<float>;
template class BasicDropout<double>;
template BasicTensor<float> dropout(const BasicTensor<float>&, double, bool, Generator&);
template BasicTensor<double> dropout(const BasicTensor<double>&, double, bool, Generator&);

}  // namespace xg::nn
