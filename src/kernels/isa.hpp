// Which instruction set the kernels run with (internal header).
//
// Every source of src/kernels/ except dispatch.cpp is compiled once per instruction set, each
// time into its own namespace xg::kernels::<isa> (the macro XGRAD_ISA_NS, set by CMake), so one
// binary holds an AVX-512, an AVX2+FMA and an SSE2 version of every kernel. dispatch.cpp
// defines the entry points of xg::kernels (activation.hpp, loss.hpp, gemm.hpp), which call the
// version chosen here once per process: the best the CPU supports (CPUID, and the OS saving the
// wider registers), or the XGRAD_ISA environment variable (sse2, avx2, avx512) when it names one
// the CPU supports, so every path can be tested on one machine. Outside x86-64 there is one
// copy, "generic", compiled for the target's baseline.
#pragma once

namespace xg::kernels {

enum class Isa { Generic, Sse2, Avx2, Avx512 };

Isa cpu_isa();     // the best instruction set this CPU runs
Isa active_isa();  // the one the kernels use
const char* isa_name(Isa isa);

}  // namespace xg::kernels
