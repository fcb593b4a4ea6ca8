// Thread settings: the size of OpenBLAS's pool (matmul, Linear) and of xgrad's own, which
// splits elementwise work on large tensors (2^18 elements and more; smaller ones run on the
// calling thread). Both default to every core.
#pragma once

namespace xg {
void set_num_threads(int threads);  // threads >= 1
int num_threads();
}  // namespace xg
