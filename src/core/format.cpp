#include "xgrad/core/format.hpp"

namespace xg {
namespace {

constexpr std::size_t kSummarizeAbove = 1000, kEdgeItems = 3;

template <class T>
void print_axis(std::string& out, const T* data, const Shape& shape, const Shape& strides,
                std::size_t axis, bool summarize) {
  if (axis == shape.size()) {
    fmt::format_to(std::back_inserter(out), "{:.4f}", data[0]);
    return;
  }
  out += '[';
  const std::size_t n = shape[axis];
  for (std::size_t i = 0; i < n; ++i) {
    if (summarize && n > 2 * kEdgeItems && i == kEdgeItems) {
      out += "..., ";
      i = n - kEdgeItems;
    }
    print_axis(out, data + i * strides[axis], shape, strides, axis + 1, summarize);
    if (i + 1 < n) out += ", ";
  }
  out += ']';
}

}  // namespace

template <class T>
std::string to_string(const BasicTensor<T>& t) {
  if (!t.defined()) return "tensor(undefined)";
  const Shape& shape = t.shape();
  Shape strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  std::string out = "tensor(";
  print_axis(out, t.data().data(), shape, strides, 0, t.numel() > kSummarizeAbove);
  if (t.numel() == 0) out += fmt::format(", shape={}", shape_str(shape));
  if (t.numel() > kSummarizeAbove) out += fmt::format(", shape={}", shape_str(shape));
  if (!t.is_leaf())
    out += fmt::format(", grad_fn={}", t.grad_fn_name());
  else if (t.requires_grad())
    out += ", requires_grad=true";
  out += ')';
  return out;
}

template std::string to_string(const BasicTensor<float>&);
template std::string to_string(const BasicTensor<double>&);

}  // namespace xg
