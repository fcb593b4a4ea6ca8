// The safetensors reader and writer beneath io::save and io::load_tensors (internal), for files
// whose tensors mix F32 and F64: a float model's checkpoint stores its step counts as F64.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "xgrad/io/safetensors.hpp"

namespace xg::io::detail {

// One tensor to write: `numel` elements in host order at `data`, F64 (double) or F32 (float).
struct OutTensor {
  std::string name;
  bool f64 = false;
  std::vector<std::size_t> shape;
  const void* data = nullptr;
  std::size_t numel = 0;
};

template <class T>
OutTensor out_tensor(std::string name, const BasicTensor<T>& t) {
  return {std::move(name), std::is_same_v<T, double>,
          std::vector<std::size_t>(t.shape().begin(), t.shape().end()), t.data().data(), t.numel()};
}

// io::save's writer, in the given order (names unique and non-empty, not "__metadata__"; else
// std::invalid_argument). The tensors' data must live until it returns.
void write_tensors(const std::vector<OutTensor>& tensors, const std::string& path,
                   const Metadata& metadata);

// Every tensor of the file: F32 ones into `f32`, F64 ones into `f64`, each in file order. Before
// anything is allocated, every entry of another dtype is refused, and `refusal(entry)` is asked
// about each one: a non-empty answer refuses the file with it (std::runtime_error
// "safetensors: '{path}': {answer}").
MixedTensors read_tensors(const std::string& path, Metadata* metadata,
                          const std::function<std::string(const TensorInfo&)>& refusal);

// load_tensors<T>'s answer for an entry: "" when its dtype is T's, else why it is refused.
template <class T>
std::string dtype_refusal(const TensorInfo& t);

}  // namespace xg::io::detail
