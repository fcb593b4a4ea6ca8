// Thread settings. xgrad's own kernels run on the calling thread; matmul and Linear run on
// OpenBLAS, whose pool size this sets (OpenBLAS defaults to every core).
#pragma once

namespace xg {
void set_num_threads(int threads);  // threads >= 1
int num_threads();
}  // namespace xg
