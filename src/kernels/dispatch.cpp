// The entry points of xg::kernels: each calls the copy of the kernel compiled for the
// instruction set active_isa() picked (see isa.hpp). Compiled as general code (no ISA flags).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

#include "kernels/activation.hpp"
#include "kernels/gemm.hpp"
#include "kernels/isa.hpp"
#include "kernels/isa_api.hpp"
#include "kernels/loss.hpp"
#include "kernels/reduce.hpp"

#if XGRAD_KERNELS_X86
XGRAD_DECLARE_ISA_KERNELS(sse2)
XGRAD_DECLARE_ISA_KERNELS(avx2)
XGRAD_DECLARE_ISA_KERNELS(avx512)
#define XGRAD_DISPATCH(call) \
  switch (active_isa()) {    \
    case Isa::Avx512:        \
      return avx512::call;   \
    case Isa::Avx2:          \
      return avx2::call;     \
    default:                 \
      return sse2::call;     \
  }
#else
XGRAD_DECLARE_ISA_KERNELS(generic)
#define XGRAD_DISPATCH(call) return generic::call
#endif

namespace xg::kernels {
namespace {

Isa detect_cpu_isa() {
#if XGRAD_KERNELS_X86
  __builtin_cpu_init();  // also checks that the OS saves the AVX / AVX-512 registers
  // The copies are built for the x86-64 micro-architecture levels v4 (AVX-512 F/BW/CD/DQ/VL),
  // v3 (AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE) and the x86-64 baseline (SSE2).
#if defined(__clang__) && __clang_major__ < 15
  // clang 14 (the fuzz build) knows no level names: their features it can test. F16C, LZCNT and
  // MOVBE it cannot; every CPU with AVX2, FMA and BMI2 has them.
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                  __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                  __builtin_cpu_supports("avx512vl");
#else
  const bool v3 = __builtin_cpu_supports("x86-64-v3"), v4 = __builtin_cpu_supports("x86-64-v4");
#endif
  if (v4) return Isa::Avx512;
  if (v3) return Isa::Avx2;
  return Isa::Sse2;
#else
  return Isa::Generic;
#endif
}

// XGRAD_ISA, when set: the named instruction set if the CPU runs it, else the CPU's best (with a
// note on stderr, so a test that asked for a path it cannot get says so).
Isa choose_isa() {
  const Isa cpu = cpu_isa();
  const char* env = std::getenv("XGRAD_ISA");
  if (!env || !*env) return cpu;
  for (Isa isa : {Isa::Generic, Isa::Sse2, Isa::Avx2, Isa::Avx512}) {
    if (std::strcmp(env, isa_name(isa)) != 0) continue;
    const bool runs =
        cpu == Isa::Generic ? isa == Isa::Generic : isa != Isa::Generic && int(isa) <= int(cpu);
    if (runs) return isa;
    break;
  }
  std::fprintf(stderr, "xgrad: XGRAD_ISA=%s is not available on this CPU; using %s\n", env,
               isa_name(cpu));
  return cpu;
}

}  // namespace

Isa cpu_isa() {
  static const Isa isa = detect_cpu_isa();
  return isa;
}

Isa active_isa() {
  static const Isa isa = choose_isa();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    case Isa::Sse2:
      return "sse2";
    case Isa::Generic:
      break;
  }
  return "generic";
}

template <class T>
void activation_forward(Act act, ActParams p, const T* x, T* y, std::size_t n) {
  XGRAD_DISPATCH(activation_forward(act, p, x, y, n));
}

template <class T>
void activation_backward(Act act, ActParams p, const T* x, const T* y, const T* g, T* dx,
                         std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(activation_backward(act, p, x, y, g, dx, n, accumulate));
}

template <class T>
void activation_backward_uniform(Act act, ActParams p, const T* x, const T* y, T g, T* dx,
                                 std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(activation_backward_uniform(act, p, x, y, g, dx, n, accumulate));
}

bool activation_saves_derivative(Act act) { XGRAD_DISPATCH(activation_saves_derivative(act)); }

template <class T>
void activation_forward_derivative(Act act, ActParams p, const T* x, T* y, T* d, std::size_t n) {
  XGRAD_DISPATCH(activation_forward_derivative(act, p, x, y, d, n));
}

template <class T>
void derivative_backward(const T* d, const T* g, T* dx, std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(derivative_backward(d, g, dx, n, accumulate));
}

template <class T>
void derivative_backward_uniform(const T* d, T g, T* dx, std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(derivative_backward_uniform(d, g, dx, n, accumulate));
}

bool activation_has_mask(Act act) { XGRAD_DISPATCH(activation_has_mask(act)); }
bool activation_reads_input(Act act) { XGRAD_DISPATCH(activation_reads_input(act)); }

template <class T>
void activation_forward_mask(Act act, ActParams p, const T* x, T* y, std::uint64_t* mask,
                             std::size_t n) {
  XGRAD_DISPATCH(activation_forward_mask(act, p, x, y, mask, n));
}

template <class T>
void activation_backward_mask(Act act, ActParams p, const std::uint64_t* mask, const T* g, T* dx,
                              std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(activation_backward_mask(act, p, mask, g, dx, n, accumulate));
}

template <class T>
void activation_backward_mask_uniform(Act act, ActParams p, const std::uint64_t* mask, T g, T* dx,
                                      std::size_t n, bool accumulate) {
  XGRAD_DISPATCH(activation_backward_mask_uniform(act, p, mask, g, dx, n, accumulate));
}

template <class T>
void channel_forward(ChannelAct act, const T* x, const T* w, T* y, std::size_t outer,
                     std::size_t channels, std::size_t inner) {
  XGRAD_DISPATCH(channel_forward(act, x, w, y, outer, channels, inner));
}

template <class T>
void channel_backward(ChannelAct act, const T* x, const T* w, const T* g, T* dx, T* dw,
                      std::size_t outer, std::size_t channels, std::size_t inner, bool accumulate) {
  XGRAD_DISPATCH(channel_backward(act, x, w, g, dx, dw, outer, channels, inner, accumulate));
}

template <class T>
T sum(const T* x, std::size_t n) {
  XGRAD_DISPATCH(sum(x, n));
}

template <class T>
void exp_inplace(T* v, std::size_t n) {
  XGRAD_DISPATCH(exp_inplace(v, n));
}

template <class T>
void log1p_inplace(T* v, std::size_t n) {
  XGRAD_DISPATCH(log1p_inplace(v, n));
}

std::size_t sgemm_workspace(const GemmArgs& args) { XGRAD_DISPATCH(sgemm_workspace(args)); }

void sgemm(const GemmArgs& args, float* workspace, ParallelFor parallel) {
  XGRAD_DISPATCH(sgemm(args, workspace, parallel));
}

std::size_t dgemm_workspace(const DgemmArgs& args) { XGRAD_DISPATCH(dgemm_workspace(args)); }

void dgemm(const DgemmArgs& args, double* workspace, ParallelFor parallel) {
  XGRAD_DISPATCH(dgemm(args, workspace, parallel));
}

void column_sums(const float* g, std::size_t rows, std::size_t cols, std::size_t ld, float* out,
                 bool accumulate) {
  XGRAD_DISPATCH(column_sums(g, rows, cols, ld, out, accumulate));
}

#define XGRAD_INSTANTIATE(T)                                                                       \
  template void activation_forward(Act, ActParams, const T*, T*, std::size_t);                     \
  template void activation_backward(Act, ActParams, const T*, const T*, const T*, T*, std::size_t, \
                                    bool);                                                         \
  template void activation_backward_uniform(Act, ActParams, const T*, const T*, T, T*,             \
                                            std::size_t, bool);                                    \
  template void activation_forward_derivative(Act, ActParams, const T*, T*, T*, std::size_t);      \
  template void derivative_backward(const T*, const T*, T*, std::size_t, bool);                    \
  template void derivative_backward_uniform(const T*, T, T*, std::size_t, bool);                   \
  template void activation_forward_mask(Act, ActParams, const T*, T*, std::uint64_t*,              \
                                        std::size_t);                                              \
  template void activation_backward_mask(Act, ActParams, const std::uint64_t*, const T*, T*,       \
                                         std::size_t, bool);                                       \
  template void activation_backward_mask_uniform(Act, ActParams, const std::uint64_t*, T, T*,      \
                                                 std::size_t, bool);                               \
  template void channel_forward(ChannelAct, const T*, const T*, T*, std::size_t, std::size_t,      \
                                std::size_t);                                                      \
  template void channel_backward(ChannelAct, const T*, const T*, const T*, T*, T*, std::size_t,    \
                                 std::size_t, std::size_t, bool);                                  \
  template T sum(const T*, std::size_t);                                                           \
  template void exp_inplace(T*, std::size_t);                                                      \
  template void log1p_inplace(T*, std::size_t);
XGRAD_INSTANTIATE(float) XGRAD_INSTANTIATE(double)

}  // namespace xg::kernels
