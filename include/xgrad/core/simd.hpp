// The instruction set xgrad's kernels (activations, losses, matrix products) run with: chosen
// once per process from what the CPU reports, so one binary uses AVX-512 where the CPU has it,
// AVX2+FMA or SSE2 elsewhere. Setting the environment variable XGRAD_ISA to sse2, avx2 or avx512
// before the first kernel call asks for a lower one (for testing and comparison).
#pragma once

namespace xg {
const char* simd_isa();  // "avx512", "avx2", "sse2" (x86-64) or "generic"
}  // namespace xg
