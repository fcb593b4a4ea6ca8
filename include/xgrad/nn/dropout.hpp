// nn::Dropout (inverted dropout): in train mode each element is zeroed with probability p and
// the survivors are scaled by 1/(1-p); in eval mode it is the identity. p in [0, 1].
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "xgrad/core/random.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::nn {

template <class T>
class BasicDropout : public BasicModule<T> {
 public:
  explicit BasicDropout(double p = 0.5, std::optional<std::uint64_t> seed = std::nullopt);
  BasicTensor<T> forward(const BasicTensor<T>& x) override;
  std::string describe() const override;
  double p() const { return p_; }

 private:
  double p_;
  std::shared_ptr<Generator> rng_;  // registered as "generator"
};

// The functional form: `rng` draws the mask.
template <class T>
BasicTensor<T> dropout(const BasicTensor<T>& x, double p, bool training, Generator& rng);

using Dropout = BasicDropout<float>;
using DropoutD = BasicDropout<double>;

}  // namespace xg::nn
