// xgrad_bench_peak: the multiply-add peak of one core, in GFLOP/s, for each vector width the CPU
// runs (AVX-512, and AVX2 + FMA), so that a GEMM rate can be read against what the core can do
// at all. Twelve independent chains of FMAs (more than latency times throughput on any x86 core),
// three rounds of 0.1-0.3 s each; the best round is printed as one JSON line per width.
//
// On an AMD Zen 4 both widths give the same figure: it runs AVX-512 instructions as two 256-bit
// halves. No GEMM exceeds this rate, so against a BLAS that already runs near it a GEMM-bound
// training step cannot be much faster.
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace {

constexpr long kIterations = 40'000'000;
constexpr int kChains = 12;
volatile float g_sink;  // keeps the chains' results alive

// Seconds for kIterations x kChains FMAs on vectors of one width, the chains seeded apart so
// that the compiler cannot merge them. One function per width: a function compiled for an
// instruction set cannot hand its intrinsics to a template or lambda compiled without it.
[[gnu::target("avx512f")]] double avx512_seconds() {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1.0f + 1e-3f * float(c));
  const __m512 scale = _mm512_set1_ps(0.9999999f), shift = _mm512_set1_ps(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12  // fully: the chains stay in registers
    for (auto& a : acc) a = _mm512_fmadd_ps(a, scale, shift);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  for (auto& a : acc) g_sink = _mm512_cvtss_f32(a);
  return took.count();
}

[[gnu::target("avx2,fma")]] double avx2_seconds() {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(1.0f + 1e-3f * float(c));
  const __m256 scale = _mm256_set1_ps(0.9999999f), shift = _mm256_set1_ps(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < kIterations; ++i) {
#pragma GCC unroll 12  // fully: the chains stay in registers
    for (auto& a : acc) a = _mm256_fmadd_ps(a, scale, shift);
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  for (auto& a : acc) g_sink = _mm256_cvtss_f32(a);
  return took.count();
}

void report(const char* isa, int lanes, double (*seconds)()) {
  double best = 1e30;
  for (int round = 0; round < 3; ++round) best = std::min(best, seconds());
  const double flops = 2.0 * lanes * kChains * double(kIterations);
  std::printf("{\"impl\":\"cpu\",\"bench\":\"peak\",\"isa\":\"%s\",\"gflops\":%.1f}\n", isa,
              flops / best / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::fprintf(stderr, "usage: %s (no arguments)\n", argv[0]);
    return 2;
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) report("avx512", 16, avx512_seconds);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    report("avx2", 8, avx2_seconds);
  return 0;
}
