// Thread settings: the size of xgrad's pool, which splits matrix products (2^20 multiply-adds
// and more) and elementwise work on large tensors (2^18 elements and more; smaller ones run on
// the calling thread). It defaults to every core; its workers start at the first job split, and
// they are the only threads xgrad starts. While other programs keep the cores busy, xgrad's pool
// notices (its workers start late or lose their core mid-task) and runs on the calling thread alone
// for a while, so the default is never much slower than one thread.
#pragma once

namespace xg {
void set_num_threads(int threads);  // threads >= 1
int num_threads();
}  // namespace xg
