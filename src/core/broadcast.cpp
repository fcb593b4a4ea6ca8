#include "core/broadcast.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace xg::detail {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t i = 0; i < nd; ++i) {
    const std::size_t da = i < nd - a.size() ? 1 : a[i - (nd - a.size())];
    const std::size_t db = i < nd - b.size() ? 1 : b[i - (nd - b.size())];
    if (da != db && da != 1 && db != 1)
      throw std::invalid_argument(
          fmt::format("{}: shapes {} and {} cannot be broadcast", op, shape_str(a), shape_str(b)));
    out[i] = da == 1 ? db : da;
  }
  shape_numel(out, op);  // [2^21, 1] + [1, 2^21] is small in, huge out
  return out;
}

Shape broadcast_strides(const Shape& in, const Shape& out) {
  const std::size_t nd = out.size(), lead = nd - in.size();
  Shape strides(nd, 0);
  std::size_t stride = 1;
  for (std::size_t i = in.size(); i-- > 0;) {
    strides[lead + i] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

}  // namespace xg::detail
