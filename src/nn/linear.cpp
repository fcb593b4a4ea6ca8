// nn::Linear: x·Wᵀ + b with PyTorch's default init (nn::init::linear_default_).
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "seed.hpp"
#include "xgrad/nn/init.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/ops/linalg.hpp"

namespace xg::nn {

template <class T>
BasicLinear<T>::BasicLinear(std::size_t in, std::size_t out, bool with_bias,
                            std::optional<std::uint64_t> seed)
    : in_features(in), out_features(out) {
  if (in == 0 || out == 0)
    throw std::invalid_argument(
        fmt::format("Linear: in_features and out_features must be >= 1, got {} and {}", in, out));
  shape_numel({out, in}, "Linear(in_features, out_features)");
  weight = this->register_parameter("weight", BasicTensor<T>::zeros({out, in}));
  if (with_bias) bias = this->register_parameter("bias", BasicTensor<T>::zeros({out}));
  detail::InitGenerator rng(seed);
  init::linear_default_(weight, bias, rng.get());
}

template <class T>
void BasicLinear<T>::check_input(const BasicTensor<T>& x) const {
  if (x.dim() == 0 || x.shape().back() != in_features)
    throw std::invalid_argument(fmt::format(
        "Linear: input shape {} does not match weight shape {} (the input's last dimension must be "
        "in_features = {})",
        shape_str(x.shape()), shape_str(weight.shape()), in_features));
}

template <class T>
BasicTensor<T> BasicLinear<T>::forward(const BasicTensor<T>& x) {
  check_input(x);
  return xg::linear(x, weight, bias);
}

template <class T>
std::string BasicLinear<T>::describe() const {
  return fmt::format("Linear(in_features={}, out_features={}, bias={})", in_features, out_features,
                     bias.defined());
}

template class BasicLinear<float>;
template class BasicLinear<double>;

}  // namespace xg::nn
