// The GEMM of gemm.hpp for one instruction set (this file is compiled once per ISA, into the
// namespace XGRAD_ISA_NS; see kernels/isa.hpp).
//
// Per block of kc values of k: (1) pack op(A) into MR-row panels (k-major, MR values per k) and
// op(B) into NR-column panels (NR values per k), zero-padded at the edges, so the micro-kernel
// reads both with aligned unit-stride loads whatever the transpositions and strides; (2) cover C
// with tiles of MC x NC, each a loop over NR-wide B panels (kept in L1) and MR-high A panels
// (kept in L2), where the micro-kernel holds an MR x NR block of C in registers for the whole
// kc loop: per k it loads NR/W vectors of B and broadcasts MR values of A (MR * NR/W FMAs).
// Both phases are lists of independent tasks handed to the caller's ParallelFor.
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "kernels/gemm.hpp"

namespace xg::kernels::XGRAD_ISA_NS {
namespace {

using V = xsimd::batch<float>;
constexpr std::size_t W = V::size;

// Register blocking: MR * NV accumulators + NV vectors of B + one broadcast must fit the
// register file (32 vector registers with AVX-512, 16 below).
#if defined(__AVX512F__)
constexpr std::size_t MR = 12, NV = 2;
#else
constexpr std::size_t MR = 6, NV = 2;
#endif
constexpr std::size_t NR = NV * W;
constexpr std::size_t KC = 256;       // one B panel (KC x NR floats) stays in L1
constexpr std::size_t MC = 16 * MR;   // A panels of one tile stay in L2
constexpr std::size_t NC_PANELS = 8;  // B panels per tile
constexpr std::size_t kAlign = 64;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// dst[k * MR + r] = op(A)(i0 + r, pc + k); rows past m are zero.
void pack_a_panel(const GemmArgs& g, std::size_t i0, std::size_t pc, std::size_t kc,
                  float* __restrict dst) {
  const std::size_t rows = std::min(MR, g.m - i0);
  if (g.trans_a) {  // op(A)(i, k) = a[k lda + i]: rows are contiguous
    for (std::size_t k = 0; k < kc; ++k) {
      const float* src = g.a + (pc + k) * g.lda + i0;
      for (std::size_t r = 0; r < rows; ++r) dst[k * MR + r] = src[r];
      for (std::size_t r = rows; r < MR; ++r) dst[k * MR + r] = 0;
    }
    return;
  }
  for (std::size_t r = 0; r < rows; ++r) {  // op(A)(i, k) = a[i lda + k]
    const float* src = g.a + (i0 + r) * g.lda + pc;
    for (std::size_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
  }
  for (std::size_t r = rows; r < MR; ++r)
    for (std::size_t k = 0; k < kc; ++k) dst[k * MR + r] = 0;
}

// dst[k * NR + c] = op(B)(pc + k, j0 + c); columns past n are zero.
void pack_b_panel(const GemmArgs& g, std::size_t j0, std::size_t pc, std::size_t kc,
                  float* __restrict dst) {
  const std::size_t cols = std::min(NR, g.n - j0);
  if (!g.trans_b) {  // op(B)(k, j) = b[k ldb + j]: columns are contiguous
    for (std::size_t k = 0; k < kc; ++k) {
      const float* src = g.b + (pc + k) * g.ldb + j0;
      for (std::size_t c = 0; c < cols; ++c) dst[k * NR + c] = src[c];
      for (std::size_t c = cols; c < NR; ++c) dst[k * NR + c] = 0;
    }
    return;
  }
  for (std::size_t c = 0; c < cols; ++c) {  // op(B)(k, j) = b[j ldb + k]
    const float* src = g.b + (j0 + c) * g.ldb + pc;
    for (std::size_t k = 0; k < kc; ++k) dst[k * NR + c] = src[k];
  }
  for (std::size_t c = cols; c < NR; ++c)
    for (std::size_t k = 0; k < kc; ++k) dst[k * NR + c] = 0;
}

// How one tile's results reach C: the first k block applies beta and the bias, later blocks add.
struct Epilogue {
  float beta;
  const float* bias;  // at the tile's first column, or null
};

// C[0:R, 0:cols] (op)= the product of an A panel and a B panel over kc.
template <std::size_t R>
void micro_kernel(std::size_t kc, const float* __restrict a, const float* __restrict b,
                  float* __restrict c, std::size_t ldc, std::size_t cols, Epilogue e) {
  V acc[R][NV];
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t v = 0; v < NV; ++v) acc[r][v] = V(0.0f);
  for (std::size_t k = 0; k < kc; ++k) {
    V bv[NV];
    for (std::size_t v = 0; v < NV; ++v) bv[v] = V::load_aligned(b + k * NR + v * W);
    for (std::size_t r = 0; r < R; ++r) {
      const V av(a[k * MR + r]);
      for (std::size_t v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
  }
  if (e.bias)
    for (std::size_t v = 0; v < NV; ++v) {
      alignas(kAlign) float lane[W] = {};
      const std::size_t start = v * W;
      for (std::size_t j = start; j < std::min(cols, start + W); ++j) lane[j - start] = e.bias[j];
      const V bias = V::load_aligned(lane);
      for (std::size_t r = 0; r < R; ++r) acc[r][v] += bias;
    }
  if (cols == NR) {
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t v = 0; v < NV; ++v) {
        float* p = c + r * ldc + v * W;
        V x = acc[r][v];
        if (e.beta != 0.0f) x = xsimd::fma(V(e.beta), V::load_unaligned(p), x);
        x.store_unaligned(p);
      }
    return;
  }
  for (std::size_t r = 0; r < R; ++r) {
    alignas(kAlign) float row[NR];
    for (std::size_t v = 0; v < NV; ++v) acc[r][v].store_aligned(row + v * W);
    float* p = c + r * ldc;
    for (std::size_t j = 0; j < cols; ++j) p[j] = e.beta != 0.0f ? row[j] + e.beta * p[j] : row[j];
  }
}

template <std::size_t... R>
void micro_kernel_rows(std::size_t rows, std::size_t kc, const float* a, const float* b, float* c,
                       std::size_t ldc, std::size_t cols, Epilogue e, std::index_sequence<R...>) {
  using Fn =
      void (*)(std::size_t, const float*, const float*, float*, std::size_t, std::size_t, Epilogue);
  static constexpr Fn table[] = {&micro_kernel<R + 1>...};
  table[rows - 1](kc, a, b, c, ldc, cols, e);
}

// One GEMM over one k block, as task lists: packing, then tiles of C.
struct Block {
  const GemmArgs* g;
  std::size_t pc, kc;
  bool first;  // the first k block: apply beta and the bias
  float *apack, *bpack;
  std::size_t m_panels, n_panels, tiles_m, tiles_n;

  void pack(std::size_t task) const {
    if (task < m_panels)
      pack_a_panel(*g, task * MR, pc, kc, apack + task * MR * kc);
    else
      pack_b_panel(*g, (task - m_panels) * NR, pc, kc, bpack + (task - m_panels) * NR * kc);
  }

  void tile(std::size_t task) const {
    const std::size_t tm = task % tiles_m, tn = task / tiles_m;
    const std::size_t p0 = tm * (MC / MR), p1 = std::min(m_panels, p0 + MC / MR);
    const std::size_t q0 = tn * NC_PANELS, q1 = std::min(n_panels, q0 + NC_PANELS);
    for (std::size_t q = q0; q < q1; ++q) {
      const std::size_t j0 = q * NR, cols = std::min(NR, g->n - j0);
      const Epilogue e{first ? g->beta : 1.0f, first && g->bias ? g->bias + j0 : nullptr};
      for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t i0 = p * MR, rows = std::min(MR, g->m - i0);
        micro_kernel_rows(rows, kc, apack + p * MR * kc, bpack + q * NR * kc,
                          g->c + i0 * g->ldc + j0, g->ldc, cols, e, std::make_index_sequence<MR>());
      }
    }
  }
};

void run(ParallelFor parallel, std::size_t count, void (*task)(void*, std::size_t), void* ctx) {
  if (parallel && count > 1) return parallel(count, task, ctx);
  for (std::size_t i = 0; i < count; ++i) task(ctx, i);
}

// Products below this many multiply-adds run on the calling thread: handing work to another
// thread costs more than it saves.
constexpr std::size_t kParallelMacs = std::size_t(1) << 20;

// C = beta C + bias when there is nothing to multiply (k = 0).
void scale_only(const GemmArgs& g) {
  for (std::size_t i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    for (std::size_t j = 0; j < g.n; ++j)
      row[j] = (g.beta != 0.0f ? g.beta * row[j] : 0.0f) + (g.bias ? g.bias[j] : 0.0f);
  }
}

// The k blocks: as few as fit KC, of equal size.
std::size_t kc_max(std::size_t k) { return ceil_div(k, ceil_div(k, KC)); }

// The packed A panels, rounded up so the B panels after them start 64-byte aligned.
std::size_t a_pack_floats(const GemmArgs& g) {
  return ceil_div(ceil_div(g.m, MR) * MR * kc_max(g.k), kAlign) * kAlign;
}

}  // namespace

std::size_t sgemm_workspace(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0 || g.k == 0) return 0;
  return a_pack_floats(g) + ceil_div(g.n, NR) * NR * kc_max(g.k);
}

void sgemm(const GemmArgs& g, float* workspace, ParallelFor parallel) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0) return scale_only(g);
  if (g.m * g.n * g.k < kParallelMacs) parallel = nullptr;
  Block blk{};
  blk.g = &g;
  blk.m_panels = ceil_div(g.m, MR);
  blk.n_panels = ceil_div(g.n, NR);
  blk.tiles_m = ceil_div(blk.m_panels, MC / MR);
  blk.tiles_n = ceil_div(blk.n_panels, NC_PANELS);
  const std::size_t kc = kc_max(g.k);
  blk.apack = workspace;
  blk.bpack = workspace + a_pack_floats(g);
  for (blk.pc = 0; blk.pc < g.k; blk.pc += blk.kc) {
    blk.kc = std::min(kc, g.k - blk.pc);
    blk.first = blk.pc == 0;
    run(
        parallel, blk.m_panels + blk.n_panels,
        [](void* b, std::size_t t) { static_cast<Block*>(b)->pack(t); }, &blk);
    run(
        parallel, blk.tiles_m * blk.tiles_n,
        [](void* b, std::size_t t) { static_cast<Block*>(b)->tile(t); }, &blk);
  }
}

}  // namespace xg::kernels::XGRAD_ISA_NS
