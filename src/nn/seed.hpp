// How layers with an optional seed draw their random numbers (internal).
#pragma once

#include <cstdint>
#include <optional>

#include "xgrad/core/random.hpp"

namespace xg::nn::detail {

// Initial values come from Generator(seed), or without a seed from the default generator
// itself, so xg::manual_seed(s) fixes every layer built after it (PyTorch's convention).
class InitGenerator {
 public:
  explicit InitGenerator(std::optional<std::uint64_t> seed)
      : seeded_(seed.has_value()), local_(seed.value_or(0)) {}
  Generator& get() { return seeded_ ? local_ : default_generator(); }

 private:
  bool seeded_;
  Generator local_;
};

// A layer that draws at every forward (RReLU's slopes, Dropout's mask) owns its stream:
// Generator(seed), or without a seed one seeded from the default generator.
inline Generator stream_generator(std::optional<std::uint64_t> seed) {
  return Generator(seed ? *seed : default_generator().next_u64());
}

}  // namespace xg::nn::detail
