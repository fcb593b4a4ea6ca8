// nn::Dropout and nn::dropout: inverted dropout, x times a saved mask of 0 or 1/(1-p).
#include <fmt/format.h>

#include <stdexcept>

#include "ops/mask.hpp"
#include "seed.hpp"
#include "xgrad/nn/dropout.hpp"

namespace xg::nn {

template <class T>
BasicTensor<T> dropout(const BasicTensor<T>& x, double p, bool training, Generator& rng) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument(fmt::format("dropout: p must be in [0, 1], got {}", p));
  if (!training || p == 0) return x;
  const T scale = p < 1 ? T(1 / (1 - p)) : T(0);  // p = 1 drops everything (PyTorch)
  Array<T> mask = Array<T>::from_shape(x.shape());
  for (auto& m : mask) m = rng.uniform() < p ? T(0) : scale;
  return xg::detail::multiply_by_mask(x, std::move(mask), "DropoutBackward");
}

template <class T>
BasicDropout<T>::BasicDropout(double p, std::optional<std::uint64_t> seed)
    : p_(p), rng_(this->register_generator("generator", detail::stream_generator(seed))) {
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
