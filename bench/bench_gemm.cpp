// xgrad_bench_gemm: xgrad's GEMM against OpenBLAS's sgemm (dgemm with --dtype double) on the
// GEMMs of one training step of each MLP workload (workloads.hpp): per Linear layer Y = X Wᵀ,
// dW = dYᵀ X and, except for the first layer (its input needs no gradient), dX = dY W.
//
//   xgrad_bench_gemm [--threads N] [--workload NAME] [--repeats R] [--dtype float|double]
//
// Prints one JSON line per (workload, implementation): the step's GEMMs' median time and
// GFLOP/s (FLOPs executed). OpenBLAS runs the kernel OPENBLAS_CORETYPE selects (field "blas"),
// xgrad the instruction set it picked (field "isa"; XGRAD_ISA forces a lower one).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <xgrad/xgrad.hpp>

#include "bench_common.hpp"
#include "core/parallel.hpp"
#include "kernels/gemm.hpp"

namespace {

namespace wl = workloads;
using Clock = std::chrono::steady_clock;

struct Gemm {
  bool ta, tb;
  std::size_t m, n, k;
};

// The GEMMs of one training step of m, with their transpositions (row-major).
std::vector<Gemm> step_gemms(const wl::Mlp& mlp) {
  std::vector<Gemm> out;
  const std::size_t b = std::size_t(mlp.batch);
  for (std::size_t l = 0; l < mlp.layers(); ++l) {
    const std::size_t in = std::size_t(mlp.widths[l]), o = std::size_t(mlp.widths[l + 1]);
    out.push_back({false, true, b, o, in});              // Y = X Wᵀ
    out.push_back({true, false, o, in, b});              // dW = dYᵀ X
    if (l > 0) out.push_back({false, false, b, in, o});  // dX = dY W
  }
  return out;
}

template <class T>
struct Buffers {
  std::vector<T> a, b, c;
};

template <class T>
Buffers<T> buffers(const Gemm& g) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<T> u(-1, 1);
  Buffers<T> x{std::vector<T>(g.m * g.k), std::vector<T>(g.k * g.n), std::vector<T>(g.m * g.n)};
  for (auto* v : {&x.a, &x.b, &x.c})
    for (T& e : *v) e = u(rng);
  return x;
}

// The product's operands for xgrad (pointers null: enough for its workspace size).
template <class T>
xg::kernels::GemmOperands<T> operands(const Gemm& g, Buffers<T>* x = nullptr) {
  xg::kernels::GemmOperands<T> args;
  args.trans_a = g.ta;
  args.trans_b = g.tb;
  args.m = g.m;
  args.n = g.n;
  args.k = g.k;
  args.lda = g.ta ? g.m : g.k;
  args.ldb = g.tb ? g.k : g.n;
  args.ldc = g.n;
  if (x) {
    args.a = x->a.data();
    args.b = x->b.data();
    args.c = x->c.data();
  }
  return args;
}

template <class T>
void run_xgrad(const Gemm& g, Buffers<T>& x, T* workspace) {
  xg::kernels::multiply(operands(g, &x), workspace, &xg::detail::parallel_tasks);
}

CBLAS_TRANSPOSE trans(bool t) { return t ? CblasTrans : CblasNoTrans; }
void run_openblas(const Gemm& g, Buffers<float>& x) {
  cblas_sgemm(CblasRowMajor, trans(g.ta), trans(g.tb), int(g.m), int(g.n), int(g.k), 1.0f,
              x.a.data(), int(g.ta ? g.m : g.k), x.b.data(), int(g.tb ? g.k : g.n), 0.0f,
              x.c.data(), int(g.n));
}
void run_openblas(const Gemm& g, Buffers<double>& x) {
  cblas_dgemm(CblasRowMajor, trans(g.ta), trans(g.tb), int(g.m), int(g.n), int(g.k), 1.0,
              x.a.data(), int(g.ta ? g.m : g.k), x.b.data(), int(g.tb ? g.k : g.n), 0.0, x.c.data(),
              int(g.n));
}

// Median over `repeats` of the time of one pass over all the step's GEMMs.
template <class T, class Run>
double step_us(std::vector<Buffers<T>>& data, const std::vector<Gemm>& gemms, int repeats,
               Run&& run) {
  std::vector<double> us;
  for (int r = 0; r < repeats + 3; ++r) {  // 3 warm-up passes
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < gemms.size(); ++i) run(gemms[i], data[i]);
    const auto t1 = Clock::now();
    if (r >= 3) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  return bench::percentile(us, 0.5);
}

// Both implementations on the GEMMs of each workload (or only `only`), one JSON line each.
template <class T>
void compare(const std::string& only, int threads, int repeats) {
  for (const wl::Mlp& mlp : wl::mlps()) {
    if (!only.empty() && mlp.name != only) continue;
    const std::vector<Gemm> gemms = step_gemms(mlp);
    std::vector<Buffers<T>> data;
    double flops = 0;
    std::size_t workspace_elements = 0;
    for (const Gemm& g : gemms) {
      data.push_back(buffers<T>(g));
      flops += 2.0 * double(g.m) * double(g.n) * double(g.k);
      workspace_elements =
          std::max(workspace_elements, xg::kernels::workspace_size(operands<T>(g)));
    }
    T* workspace =
        static_cast<T*>(std::aligned_alloc(64, (workspace_elements * sizeof(T) + 63) / 64 * 64));
    // Enough passes for about a second per implementation.
    const int r = repeats ? repeats : std::max(5, int(1e11 / flops));
    const double xg_us =
        step_us(data, gemms, r, [&](const Gemm& g, Buffers<T>& x) { run_xgrad(g, x, workspace); });
    const double blas_us =
        step_us(data, gemms, r, [&](const Gemm& g, Buffers<T>& x) { run_openblas(g, x); });
    std::free(workspace);
    for (const auto& [impl, us] : {std::pair{"xgrad", xg_us}, std::pair{"openblas", blas_us}})
      std::printf(
          "{\"impl\":\"%s\",\"bench\":\"gemm\",\"workload\":\"gemms_%s\",\"threads\":%d,"
          "\"dtype\":\"%s\",\"median_step_us\":%.7g,\"gflops\":%.7g,\"flops_per_step\":%.0f,"
          "\"isa\":\"%s\",\"blas\":\"%s\"}\n",
          impl, mlp.name.c_str(), threads, sizeof(T) == 4 ? "float" : "double", us,
          flops / us / 1e3, flops, xg::simd_isa(), openblas_get_corename());
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, repeats = 0;
  std::string only, dtype = "float";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads")
      threads = bench::parse_int(argv[0], flag, value, 1);
    else if (flag == "--repeats")
      repeats = bench::parse_int(argv[0], flag, value, 1);
    else if (flag == "--workload")
      only = value;
    else if (flag == "--dtype" && (value == "float" || value == "double"))
      dtype = value;
    else
      bench::usage(argv[0], "unknown flag or value: " + flag + " " + value);
  }
  xg::set_num_threads(threads);
  if (dtype == "float")
    compare<float>(only, threads, repeats);
  else
    compare<double>(only, threads, repeats);
  return 0;
}
