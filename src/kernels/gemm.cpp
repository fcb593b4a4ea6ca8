// The GEMM of gemm.hpp for one instruction set (this file is compiled once per ISA, into the
// namespace XGRAD_ISA_NS; see kernels/isa.hpp).
//
// The micro-kernel holds an MR x NR block of C in registers (12 x 32 floats with AVX-512, 6 x 16
// with AVX2, 6 x 8 with SSE2) for a whole block of kc values of k: per k it loads NR/W vectors of
// a B panel and broadcasts MR values of A, MR NR/W FMAs. Around it, BLIS-style: per k block, B is
// packed into NR-column panels (k-major, zero-padded), so that transposed and strided B read as
// unit-stride vectors; then tiles of C (a few A panels by a few B panels) run the micro-kernel.
// What the small products of small networks cannot amortise is skipped: A is read where it lies
// unless C is wide (then it is packed too, into MR-row panels), B is read in place when its rows
// already hold whole vectors, and a C of a few columns is computed as Cᵀ, or as dot products
// when both operands run along k (an output layer's forward). Packing and tiles are
// lists of independent tasks handed to the caller's ParallelFor, with the same result in any
// order.
#include <xsimd/xsimd.hpp>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstddef>
#include <utility>

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
constexpr std::size_t KC = 256;                             // a B panel (KC x NR floats) fits L1
constexpr std::size_t MC = 16 * MR;                         // the A panels of a tile fit L2
constexpr std::size_t NC_PANELS = 8;                        // B panels per tile
constexpr std::size_t kPackAColumns = 4 * NR;               // see pack_a
constexpr std::size_t kParallelTiles = 16;                  // see choose_tiles
constexpr std::size_t kRoundFloats = std::size_t(1) << 22;  // see blocks_per_round
constexpr std::size_t kAlign = 64;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// The first `count` (<= W) floats at p; the other lanes read as 0 / are not written.
V load_first(const float* p, std::size_t count) {
#if defined(__AVX512F__)
  return _mm512_maskz_loadu_ps(__mmask16((1u << count) - 1), p);
#elif defined(__AVX2__)
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes));
#else
  alignas(kAlign) float t[W] = {};
  for (std::size_t i = 0; i < count; ++i) t[i] = p[i];
  return V::load_aligned(t);
#endif
}
void store_first(V x, float* p, std::size_t count) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(p, __mmask16((1u << count) - 1), x);
#elif defined(__AVX2__)
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes), x);
#else
  alignas(kAlign) float t[W];
  x.store_aligned(t);
  for (std::size_t i = 0; i < count; ++i) p[i] = t[i];
#endif
}

// dst[k * P + r] = src[r * ld + k] for r < rows, k < kc (a transposing copy); rows up to P are
// zero. Whole 8 x 8 (AVX) or 4 x 4 (SSE) blocks are transposed in registers.
void pack_transposed(const float* __restrict src, std::size_t ld, std::size_t rows, std::size_t kc,
                     std::size_t P, float* __restrict dst) {
  std::size_t r0 = 0;
#if defined(__AVX__)
  constexpr std::size_t T = 8;
  for (; r0 + T <= rows; r0 += T) {
    std::size_t k = 0;
    for (; k + T <= kc; k += T) {
      __m256 r[T], t[T];
      for (std::size_t i = 0; i < T; ++i) r[i] = _mm256_loadu_ps(src + (r0 + i) * ld + k);
      for (std::size_t i = 0; i < T; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      for (std::size_t i = 0; i < T; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      for (std::size_t i = 0; i < 4; ++i) {
        _mm256_storeu_ps(dst + (k + i) * P + r0, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(dst + (k + i + 4) * P + r0, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
      }
    }
    for (; k < kc; ++k)
      for (std::size_t i = 0; i < T; ++i) dst[k * P + r0 + i] = src[(r0 + i) * ld + k];
  }
#elif defined(__SSE2__)
  constexpr std::size_t T = 4;
  for (; r0 + T <= rows; r0 += T) {
    std::size_t k = 0;
    for (; k + T <= kc; k += T) {
      __m128 r[T];
      for (std::size_t i = 0; i < T; ++i) r[i] = _mm_loadu_ps(src + (r0 + i) * ld + k);
      _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
      for (std::size_t i = 0; i < T; ++i) _mm_storeu_ps(dst + (k + i) * P + r0, r[i]);
    }
    for (; k < kc; ++k)
      for (std::size_t i = 0; i < T; ++i) dst[k * P + r0 + i] = src[(r0 + i) * ld + k];
  }
#endif
  for (std::size_t k = 0; k < kc; ++k) {
    for (std::size_t r = r0; r < rows; ++r) dst[k * P + r] = src[r * ld + k];
    for (std::size_t r = rows; r < P; ++r) dst[k * P + r] = 0;
  }
}

// B's panels: dst[k * P + c] = op(B)(pc + k, j0 + c) with P = NR, or P = W for a last panel of
// at most W columns (the micro-kernel then reads one vector per k); columns past n are zero.
std::size_t panel_width(std::size_t cols) { return cols <= W ? W : NR; }

// Row `row` of op(B) into a panel's row: dst[c] = b[row ldb + j0 + c] (B not transposed: rows
// are contiguous).
void pack_b_row(const GemmArgs& g, std::size_t j0, std::size_t row, float* __restrict dst) {
  const std::size_t cols = std::min(NR, g.n - j0), P = panel_width(cols);
  const float* src = g.b + row * g.ldb + j0;
  for (std::size_t v = 0; v < P / W; ++v) {
    const std::size_t lanes = std::min(W, cols - std::min(cols, v * W));
    const V x = lanes == W ? V::load_unaligned(src + v * W) : load_first(src + v * W, lanes);
    x.store_aligned(dst + v * W);
  }
}

// The panel of columns j0... of op(B) = Bᵀ (rows of B become the panel's columns).
void pack_bt_panel(const GemmArgs& g, std::size_t j0, std::size_t pc, std::size_t kc,
                   float* __restrict dst) {
  const std::size_t cols = std::min(NR, g.n - j0);
  pack_transposed(g.b + j0 * g.ldb + pc, g.ldb, cols, kc, panel_width(cols), dst);
}

// How one tile's results reach C: the first k block applies beta and the bias, later blocks add.
struct Epilogue {
  float beta;
  const float* bias;  // at the tile's first column (row when transposed), or null
};

// The transposed epilogue, for the narrow products that swap their operands: t holds the tile's
// R rows of `width` floats; scalar stores.
void store_transposed(const float* t, std::size_t R, std::size_t width, float* c, std::size_t ldc,
                      std::size_t cols, Epilogue e) {
  for (std::size_t j = 0; j < cols; ++j)
    for (std::size_t r = 0; r < R; ++r) {
      float* p = c + j * ldc + r;
      const float x = t[r * width + j] + (e.bias ? e.bias[r] : 0.0f);
      *p = e.beta != 0.0f ? x + e.beta * *p : x;
    }
}

// C[0:R, 0:cols] (op)= A[0:R, 0:kc] times a packed B panel Nv vectors wide (cols <= Nv W; a
// narrow last panel costs no FMAs on padding). A is read where it lies (no packing):
// A(r, k) = a[r lda + k], or a[k lda + r] when TransA; each value is broadcast to a vector once
// per k. The tile (r, j) goes to c[r ldc + j], or to c[j ldc + r] when TransC (the operands were
// swapped, see sgemm; the bias is then per row r).
template <std::size_t R, std::size_t Nv, bool TransA, bool TransC>
void micro_kernel(std::size_t kc, const float* __restrict a, std::size_t lda,
                  const float* __restrict b, std::size_t ldb, float* __restrict c, std::size_t ldc,
                  std::size_t cols, Epilogue e) {
  V acc[R][Nv];
  for (std::size_t v = 0; v < Nv; ++v) {  // k = 0 sets the accumulators (kc >= 1)
    const V bv = V::load_unaligned(b + v * W);
    for (std::size_t r = 0; r < R; ++r) acc[r][v] = V(TransA ? a[r] : a[r * lda]) * bv;
  }
  for (std::size_t k = 1; k < kc; ++k) {
    V bv[Nv];
    for (std::size_t v = 0; v < Nv; ++v) bv[v] = V::load_unaligned(b + k * ldb + v * W);
    for (std::size_t r = 0; r < R; ++r) {
      const V av(TransA ? a[k * lda + r] : a[r * lda + k]);
      for (std::size_t v = 0; v < Nv; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
  }
  if (TransC) {
    alignas(kAlign) float t[R * Nv * W];
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t v = 0; v < Nv; ++v) acc[r][v].store_aligned(t + (r * Nv + v) * W);
    return store_transposed(t, R, Nv * W, c, ldc, cols, e);
  }
  V bias[Nv];
#pragma GCC unroll 4
  for (std::size_t v = 0; v < Nv; ++v)
    bias[v] = e.bias ? load_first(e.bias + v * W, std::min(W, cols - v * W)) : V(0.0f);
  if (cols == Nv * W) {  // whole vectors (fully unrolled: acc stays in registers)
    const V beta(e.beta);
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (std::size_t v = 0; v < Nv; ++v) {
        float* p = c + r * ldc + v * W;
        V x = acc[r][v] + bias[v];
        if (e.beta != 0.0f) x = xsimd::fma(beta, V::load_unaligned(p), x);
        x.store_unaligned(p);
      }
    return;
  }
#pragma GCC unroll 16
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < Nv; ++v) {
      const std::size_t lanes = std::min(W, cols - v * W);
      float* p = c + r * ldc + v * W;
      V x = acc[r][v] + bias[v];
      if (e.beta != 0.0f) x = xsimd::fma(V(e.beta), load_first(p, lanes), x);
      store_first(x, p, lanes);
    }
}

using MicroKernel = void (*)(std::size_t, const float*, std::size_t, const float*, std::size_t,
                             float*, std::size_t, std::size_t, Epilogue);

template <bool TransA, std::size_t... R>
MicroKernel transposed_kernel_for(std::size_t rows, std::size_t cols, std::index_sequence<R...>) {
  static constexpr MicroKernel narrow[] = {&micro_kernel<R + 1, 1, TransA, true>...};
  static constexpr MicroKernel full[] = {&micro_kernel<R + 1, NV, TransA, true>...};
  return (cols <= W ? narrow : full)[rows - 1];
}

// The micro-kernel for `rows` (1..MR) rows and `cols` (1..NR) columns; with TransC, rows is at
// most kSwapRows.
constexpr std::size_t kSwapRows = W / 4;
template <bool TransA, std::size_t... R>
MicroKernel micro_kernel_for(std::size_t rows, std::size_t cols, bool trans_c,
                             std::index_sequence<R...>) {
  static_assert(NV == 2, "a panel is one or two vectors wide");
  static constexpr MicroKernel narrow[] = {&micro_kernel<R + 1, 1, TransA, false>...};
  static constexpr MicroKernel full[] = {&micro_kernel<R + 1, NV, TransA, false>...};
  if (!trans_c) return (cols <= W ? narrow : full)[rows - 1];
  using Small = std::make_index_sequence<kSwapRows>;
  return transposed_kernel_for<TransA>(rows, cols, Small());
}

// dst[k * MR + r] = op(A)(i0 + r, pc + k), rows past m zero: the layout the micro-kernel reads
// as a transposed A with lda = MR.
void pack_a_panel(const GemmArgs& g, std::size_t i0, std::size_t pc, std::size_t kc,
                  float* __restrict dst) {
  const std::size_t rows = std::min(MR, g.m - i0);
  if (!g.trans_a) return pack_transposed(g.a + i0 * g.lda + pc, g.lda, rows, kc, MR, dst);
  for (std::size_t k = 0; k < kc; ++k) {  // op(A)(i, k) = a[k lda + i]: rows are contiguous
    const float* src = g.a + (pc + k) * g.lda + i0;
    for (std::size_t r = 0; r < MR; ++r) dst[k * MR + r] = r < rows ? src[r] : 0.0f;
  }
}

// The product over a run of k blocks, as two task lists: packing (B's panels, and A's when
// apack is set, for every block of the run), then tiles of C, each going through all the run's k
// blocks (so its part of C stays in cache from one block to the next).
struct Round {
  const GemmArgs* g;
  bool transposed;       // g is the swapped product (see sgemm)
  std::size_t k0, k1;    // the run's values of k
  std::size_t kc;        // k block size (the last block may be shorter)
  float *bpack, *apack;  // null: read where it lies
  std::size_t m_panels, n_panels;
  std::size_t tile_m, tile_n;    // panels of A and B per tile of C
  std::size_t tiles_m, tiles_n;  // tiles across C

  std::size_t blocks() const { return ceil_div(k1 - k0, kc); }
  std::size_t block_kc(std::size_t b) const { return std::min(kc, k1 - k0 - b * kc); }
  float* b_block(std::size_t b) const { return bpack + b * n_panels * NR * kc; }
  float* a_block(std::size_t b) const { return apack + b * m_panels * MR * kc; }

  // Per block, B's tasks: one panel each when B is transposed; otherwise kRowsPerTask rows of B
  // across all panels, so that each row of B is read once, front to back. Then A's panels.
  static constexpr std::size_t kRowsPerTask = 16;
  std::size_t b_slots() const {
    if (!bpack) return 0;
    return g->trans_b ? n_panels : ceil_div(kc, kRowsPerTask);
  }
  std::size_t tasks_per_block() const { return b_slots() + (apack ? m_panels : 0); }
  std::size_t pack_tasks() const { return blocks() * tasks_per_block(); }
  void pack(std::size_t task) const {
    const std::size_t b = task / tasks_per_block(), t = task % tasks_per_block();
    const std::size_t pc = k0 + b * kc, kcb = block_kc(b);
    if (t < b_slots()) {
      if (g->trans_b) return pack_bt_panel(*g, t * NR, pc, kcb, b_block(b) + t * NR * kcb);
      const std::size_t r0 = t * kRowsPerTask,
                        r1 = std::min(kcb, r0 + kRowsPerTask);  // may be empty
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t q = 0; q < n_panels; ++q)
          pack_b_row(*g, q * NR, pc + r,
                     b_block(b) + q * NR * kcb + r * panel_width(std::min(NR, g->n - q * NR)));
      return;
    }
    const std::size_t p = t - b_slots();
    pack_a_panel(*g, p * MR, pc, kcb, a_block(b) + p * MR * kcb);
  }

  void tile(std::size_t task) const {
    const std::size_t tm = task % tiles_m, tn = task / tiles_m;
    const std::size_t p0 = tm * tile_m, p1 = std::min(m_panels, p0 + tile_m);
    const std::size_t q0 = tn * tile_n, q1 = std::min(n_panels, q0 + tile_n);
    for (std::size_t b = 0; b < blocks(); ++b)
      for (std::size_t q = q0; q < q1; ++q)
        for (std::size_t p = p0; p < p1; ++p) micro_tile(b, p, q);
  }

  // The micro-kernel on A's panel p, B's panel q, k block b.
  void micro_tile(std::size_t b, std::size_t p, std::size_t q) const {
    const std::size_t pc = k0 + b * kc, kcb = block_kc(b);
    const std::size_t j0 = q * NR, cols = std::min(NR, g->n - j0);
    const std::size_t i0 = p * MR, rows = std::min(MR, g->m - i0);
    const float* bp = bpack ? b_block(b) + q * NR * kcb : g->b + pc * g->ldb + j0;
    const std::size_t ldb = bpack ? panel_width(cols) : g->ldb;
    const bool first = pc == 0;  // apply beta and the bias; later blocks add
    const float* bias = first && g->bias ? g->bias + (transposed ? i0 : j0) : nullptr;
    const Epilogue e{first ? g->beta : 1.0f, bias};
    float* c = g->c + (transposed ? j0 * g->ldc + i0 : i0 * g->ldc + j0);
    const auto rows_seq = std::make_index_sequence<MR>();
    if (apack)
      micro_kernel_for<true>(rows, cols, transposed, rows_seq)(kcb, a_block(b) + p * MR * kcb, MR,
                                                               bp, ldb, c, g->ldc, cols, e);
    else if (g->trans_a)
      micro_kernel_for<true>(rows, cols, transposed, rows_seq)(kcb, g->a + pc * g->lda + i0, g->lda,
                                                               bp, ldb, c, g->ldc, cols, e);
    else
      micro_kernel_for<false>(rows, cols, transposed, rows_seq)(
          kcb, g->a + i0 * g->lda + pc, g->lda, bp, ldb, c, g->ldc, cols, e);
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

// Tiles of at most MC rows and NC_PANELS panels; split further when the tiles are shared among
// threads, so that there are several per thread (a thread that starts late, or is preempted,
// then holds up little) but none smaller than 2 x 2 micro-tiles.
void choose_tiles(Round& r, bool parallel) {
  r.tile_m = std::min(r.m_panels, MC / MR);
  r.tile_n = std::min(r.n_panels, NC_PANELS);
  auto count = [&] { return ceil_div(r.m_panels, r.tile_m) * ceil_div(r.n_panels, r.tile_n); };
  while (parallel && count() < kParallelTiles && (r.tile_m > 2 || r.tile_n > 2)) {
    if (r.tile_m * MR >= r.tile_n * NR && r.tile_m > 2)
      r.tile_m = ceil_div(r.tile_m, 2);
    else if (r.tile_n > 2)
      r.tile_n = ceil_div(r.tile_n, 2);
    else
      r.tile_m = ceil_div(r.tile_m, 2);
  }
  r.tiles_m = ceil_div(r.m_panels, r.tile_m);
  r.tiles_n = ceil_div(r.n_panels, r.tile_n);
}

// The k blocks: as few as fit KC, of equal size.
std::size_t kc_max(std::size_t k) { return ceil_div(k, ceil_div(k, KC)); }

// A C of a few columns (n <= W / 4, like a 3-class output layer or a 2-feature input) would
// waste most vector lanes; Cᵀ = op(B)ᵀ op(A)ᵀ has as few rows instead, which costs nothing.
bool swap_operands(const GemmArgs& g) { return g.n <= kSwapRows && g.m > g.n; }

// C = A Bᵀ for a C of at most kDotColumns columns, A not transposed and B transposed (an
// output layer's [n, k] weight): every value of C is the dot product of a row of A and a row of
// B, both contiguous along k. W rows of A at a time, against each row of B in turn, their W
// dot products folded into one vector (transposed_sums). Swapping the operands instead would
// transpose all of A into panels: for the 128 x 64 activations of a 3-class output layer, more time
// than its multiply-adds.
// Each block of W rows of A is read once per row of B: up to kDotMaxK values of k it stays in
// L2 meanwhile (16 rows of 4096 floats: 256 KB); a longer k takes the packed path.
constexpr std::size_t kDotColumns = 4, kDotMaxK = 4096;
bool dot_products(const GemmArgs& g) {
  return g.n <= kDotColumns && g.k <= kDotMaxK && !g.trans_a && g.trans_b;
}

constexpr std::size_t kDotTaskRows = 16 * W;  // rows per task when the threads share them

// The W vectors' sums: lane r of the result is the sum of v[r]'s lanes.
V transposed_sums(const V* v) {
#if defined(__AVX512F__)
  // Folded in halves four times (xsimd 8's AVX-512 haddp returns its sums in another order).
  // 512 -> 256 bits: t[i] holds row i's 8 partial sums, then row i + 8's.
  __m512 t[8], u[4], w[2];
  for (int i = 0; i < 8; ++i)
    t[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[i], v[i + 8], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_f32x4(v[i], v[i + 8], _MM_SHUFFLE(3, 2, 3, 2)));
  // -> 128: u[i]'s four 128-bit lanes hold rows i, i + 8, i + 4, i + 12.
  for (int i = 0; i < 4; ++i)
    u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(t[i], t[i + 4], _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(t[i], t[i + 4], _MM_SHUFFLE(3, 1, 3, 1)));
  // -> 64: in lane L, w[i] holds two sums of u[i]'s row L, then two of u[i + 2]'s.
  for (int i = 0; i < 2; ++i)
    w[i] = _mm512_add_ps(_mm512_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(3, 2, 3, 2)));
  // -> 32: lane L holds the rows of u[0], u[2], u[1], u[3] at L, i.e. rows 0 2 1 3 | 8 10 9 11 |
  // 4 6 5 7 | 12 14 13 15; the permutation is its own inverse.
  const __m512 x = _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(w[0], w[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm512_permutexvar_ps(
      _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15), x);
#else
  return xsimd::haddp(v);
#endif
}

// Rows [i0, i1) of C by dot products (see dot_products).
void dot_rows(const GemmArgs& g, std::size_t i0, std::size_t i1) {
  const std::size_t whole = g.k / W * W, tail = g.k - whole;
  for (std::size_t r0 = i0; r0 < i1; r0 += W) {
    const std::size_t rows = std::min(W, i1 - r0);
    // One pointer walks down the rows (W of them would not fit the registers); rows past i1
    // repeat the last one, their sums not stored.
    const float* first = g.a + r0 * g.lda;
    auto step = [&](std::size_t r) { return r + 1 < rows ? g.lda : 0; };
    for (std::size_t j = 0; j < g.n; ++j) {
      const float* b = g.b + j * g.ldb;
      V acc[W];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < W; ++r) acc[r] = V(0.0f);
      for (std::size_t k = 0; k < whole; k += W) {
        const V bv = V::load_unaligned(b + k);
        const float* a = first + k;
#pragma GCC unroll 16
        for (std::size_t r = 0; r < W; a += step(r), ++r)
          acc[r] = xsimd::fma(V::load_unaligned(a), bv, acc[r]);
      }
      if (tail) {
        const V bv = load_first(b + whole, tail);
        const float* a = first + whole;
#pragma GCC unroll 16
        for (std::size_t r = 0; r < W; a += step(r), ++r)
          acc[r] = xsimd::fma(load_first(a, tail), bv, acc[r]);
      }
      alignas(kAlign) float sums[W];
      (transposed_sums(acc) + V(g.bias ? g.bias[j] : 0.0f)).store_aligned(sums);
      float* c = g.c + r0 * g.ldc + j;
      if (g.beta == 0.0f)
        for (std::size_t r = 0; r < rows; ++r) c[r * g.ldc] = sums[r];
      else
        for (std::size_t r = 0; r < rows; ++r) c[r * g.ldc] = sums[r] + g.beta * c[r * g.ldc];
    }
  }
}

// A is packed when each of its panels meets many panels of B: then one contiguous copy beats
// re-reading rows that lie far apart (a power-of-two row stride maps them onto a few cache
// sets). Small products read A where it lies.
bool pack_a(std::size_t n) { return n >= kPackAColumns; }

// B is read where it lies (no packing) when its rows hold whole vectors of every panel and it
// is small enough to stay in cache: the small products of small networks, whose packing would
// cost as much as their multiply-adds.
bool pack_b(const GemmArgs& g) { return g.trans_b || g.n % W != 0 || pack_a(g.n); }

GemmArgs swapped(const GemmArgs& g) {
  GemmArgs s = g;
  s.trans_a = !g.trans_b;
  s.trans_b = !g.trans_a;
  s.m = g.n;
  s.n = g.m;
  s.a = g.b;
  s.lda = g.ldb;
  s.b = g.a;
  s.ldb = g.lda;
  return s;
}

// Floats of packed panels per k block.
std::size_t packed_per_block(const GemmArgs& g) {
  const std::size_t b = pack_b(g) ? ceil_div(g.n, NR) * NR : 0;
  const std::size_t a = pack_a(g.n) ? ceil_div(g.m, MR) * MR : 0;
  return (b + a) * kc_max(g.k);
}

// k blocks packed at once: all of them (two hand-offs to the threads per product) unless that
// would take more than kRoundFloats of scratch memory.
std::size_t blocks_per_round(const GemmArgs& g) {
  const std::size_t blocks = ceil_div(g.k, kc_max(g.k)), per_block = packed_per_block(g);
  if (per_block == 0) return blocks;
  return std::max<std::size_t>(1, std::min(blocks, kRoundFloats / per_block));
}

}  // namespace

std::size_t sgemm_workspace(const GemmArgs& args) {
  if (args.m == 0 || args.n == 0 || args.k == 0 || dot_products(args)) return 0;
  const GemmArgs g = swap_operands(args) ? swapped(args) : args;
  return packed_per_block(g) * blocks_per_round(g);
}

void sgemm(const GemmArgs& args, float* workspace, ParallelFor parallel) {
  if (args.m == 0 || args.n == 0) return;
  if (args.k == 0) return scale_only(args);
  if (args.m * args.n * args.k < kParallelMacs) parallel = nullptr;
  if (dot_products(args)) {
    GemmArgs g = args;
    run(
        parallel, ceil_div(g.m, kDotTaskRows),
        [](void* ctx, std::size_t t) {
          const auto& a = *static_cast<const GemmArgs*>(ctx);
          dot_rows(a, t * kDotTaskRows, std::min(a.m, (t + 1) * kDotTaskRows));
        },
        &g);
    return;
  }
  const bool transposed = swap_operands(args);
  const GemmArgs g = transposed ? swapped(args) : args;
  Round round{};
  round.g = &g;
  round.transposed = transposed;
  round.kc = kc_max(g.k);
  round.m_panels = ceil_div(g.m, MR);
  round.n_panels = ceil_div(g.n, NR);
  choose_tiles(round, parallel != nullptr);
  round.bpack = pack_b(g) ? workspace : nullptr;
  round.apack = pack_a(g.n) ? workspace + (round.bpack ? round.n_panels * NR * round.kc : 0) *
                                              blocks_per_round(g)
                            : nullptr;
  const std::size_t span = blocks_per_round(g) * round.kc;
  for (round.k0 = 0; round.k0 < g.k; round.k0 += span) {
    round.k1 = std::min(g.k, round.k0 + span);
    run(
        parallel, round.pack_tasks(),
        [](void* r, std::size_t t) { static_cast<Round*>(r)->pack(t); }, &round);
    run(
        parallel, round.tiles_m * round.tiles_n,
        [](void* r, std::size_t t) { static_cast<Round*>(r)->tile(t); }, &round);
  }
}

void column_sums(const float* g, std::size_t rows, std::size_t cols, std::size_t ld, float* out,
                 bool accumulate) {
  constexpr std::size_t U = 4;  // vectors of columns summed at once
  for (std::size_t j0 = 0; j0 < cols; j0 += U * W) {
    V acc[U] = {V(0.0f), V(0.0f), V(0.0f), V(0.0f)};
    std::size_t lanes[U];
    for (std::size_t v = 0; v < U; ++v) lanes[v] = std::min(W, cols - std::min(cols, j0 + v * W));
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = g + r * ld + j0;
      for (std::size_t v = 0; v < U; ++v)
        if (lanes[v] == W)
          acc[v] += V::load_unaligned(row + v * W);
        else if (lanes[v] > 0)
          acc[v] += load_first(row + v * W, lanes[v]);
    }
    for (std::size_t v = 0; v < U && lanes[v] > 0; ++v) {
      float* o = out + j0 + v * W;
      if (accumulate) acc[v] += load_first(o, lanes[v]);
      store_first(acc[v], o, lanes[v]);
    }
  }
}

}  // namespace xg::kernels::XGRAD_ISA_NS
