// Printing tensors with fmt: fmt::print("{}", t) gives
//   tensor([[1.0000, 2.0000], [3.0000, 4.0000]], requires_grad=true)
// Tensors of more than 1000 elements show the first and last 3 entries of each axis.
#pragma once

#include <fmt/format.h>

#include <string>

#include "xgrad/core/tensor.hpp"

namespace xg {
template <class T>
std::string to_string(const BasicTensor<T>& t);
}  // namespace xg

template <class T>
struct fmt::formatter<xg::BasicTensor<T>> : fmt::formatter<std::string> {
  template <class Context>
  auto format(const xg::BasicTensor<T>& t, Context& ctx) const {
    return fmt::formatter<std::string>::format(xg::to_string(t), ctx);
  }
};
