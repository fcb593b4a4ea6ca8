// xgrad_bench_gemm: xgrad's GEMM against OpenBLAS's sgemm on the GEMMs of one training step of
// each MLP workload (workloads.hpp): per Linear layer Y = X Wᵀ, dW = dYᵀ X and, except for the
// first layer (its input needs no gradient), dX = dY W.
//
//   xgrad_bench_gemm [--threads N] [--workload NAME] [--repeats R]
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

struct Buffers {
  std::vector<float> a, b, c;
};

Buffers buffers(const Gemm& g) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  Buffers x{std::vector<float>(g.m * g.k), std::vector<float>(g.k * g.n),
            std::vector<float>(g.m * g.n)};
  for (auto* v : {&x.a, &x.b, &x.c})
    for (float& e : *v) e = u(rng);
  return x;
}

void run_xgrad(const Gemm& g, Buffers& x, float* workspace) {
  xg::kernels::GemmArgs args;
  args.trans_a = g.ta;
  args.trans_b = g.tb;
  args.m = g.m;
  args.n = g.n;
  args.k = g.k;
  args.a = x.a.data();
  args.lda = g.ta ? g.m : g.k;
  args.b = x.b.data();
  args.ldb = g.tb ? g.k : g.n;
  args.c = x.c.data();
  args.ldc = g.n;
  xg::kernels::sgemm(args, workspace, &xg::detail::parallel_tasks);
}

void run_openblas(const Gemm& g, Buffers& x) {
  cblas_sgemm(CblasRowMajor, g.ta ? CblasTrans : CblasNoTrans, g.tb ? CblasTrans : CblasNoTrans,
              int(g.m), int(g.n), int(g.k), 1.0f, x.a.data(), int(g.ta ? g.m : g.k), x.b.data(),
              int(g.tb ? g.k : g.n), 0.0f, x.c.data(), int(g.n));
}

// Median over `repeats` of the time of one pass over all the step's GEMMs.
template <class Run>
double step_us(std::vector<Buffers>& data, const std::vector<Gemm>& gemms, int repeats, Run&& run) {
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

}  // namespace

int main(int argc, char** argv) {
  int threads = 1, repeats = 0;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads")
      threads = bench::parse_int(argv[0], flag, value, 1);
    else if (flag == "--repeats")
      repeats = bench::parse_int(argv[0], flag, value, 1);
    else if (flag == "--workload")
      only = value;
    else
      bench::usage(argv[0], "unknown flag " + flag);
  }
  xg::set_num_threads(threads);
  for (const wl::Mlp& mlp : wl::mlps()) {
    if (!only.empty() && mlp.name != only) continue;
    const std::vector<Gemm> gemms = step_gemms(mlp);
    std::vector<Buffers> data;
    double flops = 0;
    std::size_t workspace_floats = 0;
    for (const Gemm& g : gemms) {
      data.push_back(buffers(g));
      flops += 2.0 * double(g.m) * double(g.n) * double(g.k);
      xg::kernels::GemmArgs args;
      args.m = g.m;
      args.n = g.n;
      args.k = g.k;
      workspace_floats = std::max(workspace_floats, xg::kernels::sgemm_workspace(args));
    }
    float* workspace =
        static_cast<float*>(std::aligned_alloc(64, (workspace_floats * 4 + 63) / 64 * 64));
    // Enough passes for about a second per implementation.
    const int r = repeats ? repeats : std::max(5, int(1e11 / flops));
    const double xg_us =
        step_us(data, gemms, r, [&](const Gemm& g, Buffers& x) { run_xgrad(g, x, workspace); });
    const double blas_us =
        step_us(data, gemms, r, [&](const Gemm& g, Buffers& x) { run_openblas(g, x); });
    std::free(workspace);
    for (const auto& [impl, us] : {std::pair{"xgrad", xg_us}, std::pair{"openblas", blas_us}})
      std::printf(
          "{\"impl\":\"%s\",\"bench\":\"gemm\",\"workload\":\"gemms_%s\",\"threads\":%d,"
          "\"median_step_us\":%.7g,\"gflops\":%.7g,\"flops_per_step\":%.0f,\"isa\":\"%s\","
          "\"blas\":\"%s\"}\n",
          impl, mlp.name.c_str(), threads, us, flops / us / 1e3, flops, xg::simd_isa(),
          openblas_get_corename());
  }
  return 0;
}
