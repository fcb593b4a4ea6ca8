#include "xgrad/core/simd.hpp"

#include "kernels/isa.hpp"

namespace xg {
const char* simd_isa() { return kernels::isa_name(kernels::active_isa()); }
}  // namespace xg
