// The GEMM of gemm.hpp for one instruction set (this file is compiled once per ISA, into the
// namespace XGRAD_ISA_NS; see kernels/isa.hpp).
//
// The micro-kernel holds an MR x NR block of C in registers (12 x 32 floats with AVX-512, 6 x 16
// with AVX2, 6 x 8 with SSE2; half as many columns of doubles) for a whole block of kc values of k:
// per k it loads NR/W vectors of a B panel and broadcasts MR values of A, MR NR/W FMAs. Around it,
// BLIS-style: per k block, B is packed into NR-column panels (k-major, zero-padded), so that
// transposed and strided B read as unit-stride vectors; then tiles of C (a few A panels by a few B
// panels) run the micro-kernel. What the small products of small networks cannot amortise is
// skipped: A is read where it lies unless C is wide (then it is packed too, into MR-row panels), B
// is read in place when its rows already hold whole vectors, and a C of a few columns is computed
// as Cᵀ, or as dot products when both operands run along k (an output layer's forward). Packing and
// tiles are lists of independent tasks handed to the caller's ParallelFor, with the same result in
// any order. float and double share the code (templates on the element type T); double's vectors
// hold half as many values, and its few-column products take the transposed path instead of
// dot products.
#include <xsimd/xsimd.hpp>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "kernels/gemm.hpp"

namespace xg::kernels::XGRAD_ISA_NS {
namespace {

template <class T>
using Vec = xsimd::batch<T>;
template <class T>
constexpr std::size_t W = Vec<T>::size;
using V = Vec<float>;  // the float-only code: dot products, column sums
constexpr std::size_t WF = V::size;

// Register blocking: MR * NV accumulators + NV vectors of B + one broadcast must fit the
// register file (32 vector registers with AVX-512, 16 below).
#if defined(__AVX512F__)
constexpr std::size_t MR = 12, NV = 2;
#else
constexpr std::size_t MR = 6, NV = 2;
#endif
template <class T>
constexpr std::size_t NR = NV* W<T>;
constexpr std::size_t KC = 256;                               // a B panel (KC x NR) fits L1
constexpr std::size_t MC = 16 * MR;                           // the A panels of a tile fit L2
constexpr std::size_t NC_PANELS = 8;                          // B panels per tile
constexpr std::size_t kParallelTiles = 16;                    // see choose_tiles
constexpr std::size_t kRoundElements = std::size_t(1) << 22;  // see blocks_per_round
constexpr std::size_t kAlign = 64;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// The first `count` (<= W) values at p; the other lanes read as 0 / are not written.
template <class T>
Vec<T> load_first(const T* p, std::size_t count) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>)
    return _mm512_maskz_loadu_ps(__mmask16((1u << count) - 1), p);
  else
    return _mm512_maskz_loadu_pd(__mmask8((1u << count) - 1), p);
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes));
  } else {
    const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_maskload_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(long(count)), lanes));
  }
#else
  alignas(kAlign) T t[W<T>] = {};
  for (std::size_t i = 0; i < count; ++i) t[i] = p[i];
  return Vec<T>::load_aligned(t);
#endif
}
template <class T>
void store_first(Vec<T> x, T* p, std::size_t count) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>)
    _mm512_mask_storeu_ps(p, __mmask16((1u << count) - 1), x);
  else
    _mm512_mask_storeu_pd(p, __mmask8((1u << count) - 1), x);
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(int(count)), lanes), x);
  } else {
    const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    _mm256_maskstore_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(long(count)), lanes), x);
  }
#else
  alignas(kAlign) T t[W<T>];
  x.store_aligned(t);
  for (std::size_t i = 0; i < count; ++i) p[i] = t[i];
#endif
}

// The whole 8 x 8 (AVX) or 4 x 4 (SSE) blocks of pack_transposed in float, transposed in
// registers; returns the rows done.
std::size_t pack_transposed_blocks(const float* __restrict src, std::size_t ld, std::size_t rows,
                                   std::size_t kc, std::size_t P, float* __restrict dst) {
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
  return r0;
}

// dst[k * P + r] = src[r * ld + k] for r < rows, k < kc (a transposing copy); rows up to P are
// zero. In float, whole 8 x 8 (AVX) or 4 x 4 (SSE) blocks are transposed in registers; double
// (gradient checks, mostly) copies value by value.
template <class T>
void pack_transposed(const T* __restrict src, std::size_t ld, std::size_t rows, std::size_t kc,
                     std::size_t P, T* __restrict dst) {
  std::size_t r0 = 0;
  if constexpr (std::is_same_v<T, float>) r0 = pack_transposed_blocks(src, ld, rows, kc, P, dst);
  if (r0 == P) return;  // the blocks filled the panel: no pass over k (12 ns of a 32 x 32 one)
  for (std::size_t k = 0; k < kc; ++k) {
    for (std::size_t r = r0; r < rows; ++r) dst[k * P + r] = src[r * ld + k];
    for (std::size_t r = rows; r < P; ++r) dst[k * P + r] = 0;
  }
}

// B's panels: dst[k * P + c] = op(B)(pc + k, j0 + c) with P = NR, or P = W for a last panel of
// at most W columns (the micro-kernel then reads one vector per k); columns past n are zero.
template <class T>
std::size_t panel_width(std::size_t cols) {
  return cols <= W<T> ? W<T> : NR<T>;
}

// Row `row` of op(B) into a panel's row: dst[c] = b[row ldb + j0 + c] (B not transposed: rows
// are contiguous).
template <class T>
void pack_b_row(const GemmOperands<T>& g, std::size_t j0, std::size_t row, T* __restrict dst) {
  constexpr std::size_t w = W<T>;
  const std::size_t cols = std::min(NR<T>, g.n - j0), P = panel_width<T>(cols);
  const T* src = g.b + row * g.ldb + j0;
  for (std::size_t v = 0; v < P / w; ++v) {
    const std::size_t lanes = std::min(w, cols - std::min(cols, v * w));
    const Vec<T> x =
        lanes == w ? Vec<T>::load_unaligned(src + v * w) : load_first(src + v * w, lanes);
    x.store_aligned(dst + v * w);
  }
}

// The panel of columns j0... of op(B) = Bᵀ (rows of B become the panel's columns).
template <class T>
void pack_bt_panel(const GemmOperands<T>& g, std::size_t j0, std::size_t pc, std::size_t kc,
                   T* __restrict dst) {
  const std::size_t cols = std::min(NR<T>, g.n - j0);
  pack_transposed(g.b + j0 * g.ldb + pc, g.ldb, cols, kc, panel_width<T>(cols), dst);
}

// How one tile's results reach C: the first k block applies beta and the bias, later blocks add.
template <class T>
struct Epilogue {
  T beta;
  const T* bias;  // at the tile's first column (row when transposed), or null
};

// The transposed epilogue, for the narrow products that swap their operands: t holds the tile's
// R rows of `width` floats; scalar stores.
template <class T>
void store_transposed(const T* t, std::size_t R, std::size_t width, T* c, std::size_t ldc,
                      std::size_t cols, Epilogue<T> e) {
  for (std::size_t j = 0; j < cols; ++j)
    for (std::size_t r = 0; r < R; ++r) {
      T* p = c + j * ldc + r;
      const T x = t[r * width + j] + (e.bias ? e.bias[r] : T(0));
      *p = e.beta != T(0) ? x + e.beta * *p : x;
    }
}

// C[0:R, 0:cols] (op)= A[0:R, 0:kc] times a packed B panel Nv vectors wide (cols <= Nv W; a
// narrow last panel costs no FMAs on padding). A is read where it lies (no packing):
// A(r, k) = a[r lda + k], or a[k lda + r] when TransA; each value is broadcast to a vector once
// per k. The tile (r, j) goes to c[r ldc + j], or to c[j ldc + r] when TransC (the operands were
// swapped, see sgemm; the bias is then per row r).
template <class T, std::size_t R, std::size_t Nv, bool TransA, bool TransC>
void micro_kernel(std::size_t kc, const T* __restrict a, std::size_t lda, const T* __restrict b,
                  std::size_t ldb, T* __restrict c, std::size_t ldc, std::size_t cols,
                  Epilogue<T> e) {
  using VT = Vec<T>;
  constexpr std::size_t w = W<T>;
  VT acc[R][Nv];
  for (std::size_t v = 0; v < Nv; ++v) {  // k = 0 sets the accumulators (kc >= 1)
    const VT bv = VT::load_unaligned(b + v * w);
    for (std::size_t r = 0; r < R; ++r) acc[r][v] = VT(TransA ? a[r] : a[r * lda]) * bv;
  }
  for (std::size_t k = 1; k < kc; ++k) {
    VT bv[Nv];
    for (std::size_t v = 0; v < Nv; ++v) bv[v] = VT::load_unaligned(b + k * ldb + v * w);
    for (std::size_t r = 0; r < R; ++r) {
      const VT av(TransA ? a[k * lda + r] : a[r * lda + k]);
      for (std::size_t v = 0; v < Nv; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
  }
  if (TransC) {
    alignas(kAlign) T t[R * Nv * w];
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t v = 0; v < Nv; ++v) acc[r][v].store_aligned(t + (r * Nv + v) * w);
    return store_transposed(t, R, Nv * w, c, ldc, cols, e);
  }
  VT bias[Nv];
#pragma GCC unroll 4
  for (std::size_t v = 0; v < Nv; ++v)
    bias[v] = e.bias ? load_first(e.bias + v * w, std::min(w, cols - v * w)) : VT(T(0));
  if (cols == Nv * w) {  // whole vectors (fully unrolled: acc stays in registers)
    const VT beta(e.beta);
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (std::size_t v = 0; v < Nv; ++v) {
        T* p = c + r * ldc + v * w;
        VT x = acc[r][v] + bias[v];
        if (e.beta != T(0)) x = xsimd::fma(beta, VT::load_unaligned(p), x);
        x.store_unaligned(p);
      }
    return;
  }
#pragma GCC unroll 16
  for (std::size_t r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (std::size_t v = 0; v < Nv; ++v) {
      const std::size_t lanes = std::min(w, cols - v * w);
      T* p = c + r * ldc + v * w;
      VT x = acc[r][v] + bias[v];
      if (e.beta != T(0)) x = xsimd::fma(VT(e.beta), load_first(p, lanes), x);
      store_first(x, p, lanes);
    }
}

template <class T>
using MicroKernel = void (*)(std::size_t, const T*, std::size_t, const T*, std::size_t, T*,
                             std::size_t, std::size_t, Epilogue<T>);

template <class T, bool TransA, std::size_t... R>
MicroKernel<T> transposed_kernel_for(std::size_t rows, std::size_t cols,
                                     std::index_sequence<R...>) {
  static constexpr MicroKernel<T> narrow[] = {&micro_kernel<T, R + 1, 1, TransA, true>...};
  static constexpr MicroKernel<T> full[] = {&micro_kernel<T, R + 1, NV, TransA, true>...};
  return (cols <= W<T> ? narrow : full)[rows - 1];
}

// The micro-kernel for `rows` (1..MR) rows and `cols` (1..NR) columns; with TransC, rows is at
// most kSwapRows (at least 1: double's SSE2 vectors hold 2 values).
template <class T>
constexpr std::size_t kSwapRows = std::max<std::size_t>(1, W<T> / 4);
template <class T, bool TransA, std::size_t... R>
MicroKernel<T> micro_kernel_for(std::size_t rows, std::size_t cols, bool trans_c,
                                std::index_sequence<R...>) {
  static_assert(NV == 2, "a panel is one or two vectors wide");
  static constexpr MicroKernel<T> narrow[] = {&micro_kernel<T, R + 1, 1, TransA, false>...};
  static constexpr MicroKernel<T> full[] = {&micro_kernel<T, R + 1, NV, TransA, false>...};
  if (!trans_c) return (cols <= W<T> ? narrow : full)[rows - 1];
  using Small = std::make_index_sequence<kSwapRows<T>>;
  return transposed_kernel_for<T, TransA>(rows, cols, Small());
}

// dst[k * MR + r] = op(A)(i0 + r, pc + k), rows past m zero: the layout the micro-kernel reads
// as a transposed A with lda = MR.
template <class T>
void pack_a_panel(const GemmOperands<T>& g, std::size_t i0, std::size_t pc, std::size_t kc,
                  T* __restrict dst) {
  const std::size_t rows = std::min(MR, g.m - i0);
  if (!g.trans_a) return pack_transposed(g.a + i0 * g.lda + pc, g.lda, rows, kc, MR, dst);
  for (std::size_t k = 0; k < kc; ++k) {  // op(A)(i, k) = a[k lda + i]: rows are contiguous
    const T* src = g.a + (pc + k) * g.lda + i0;
    for (std::size_t r = 0; r < MR; ++r) dst[k * MR + r] = r < rows ? src[r] : T(0);
  }
}

// The product over a run of k blocks, as two task lists: packing (B's panels, and A's when
// apack is set, for every block of the run), then tiles of C, each going through all the run's k
// blocks (so its part of C stays in cache from one block to the next).
template <class T>
struct Round {
  const GemmOperands<T>* g;
  bool transposed;     // g is the swapped product (see gemm)
  std::size_t k0, k1;  // the run's values of k
  std::size_t kc;      // k block size (the last block may be shorter)
  T *bpack, *apack;    // null: read where it lies
  std::size_t m_panels, n_panels;
  std::size_t tile_m, tile_n;    // panels of A and B per tile of C
  std::size_t tiles_m, tiles_n;  // tiles across C

  std::size_t blocks() const { return ceil_div(k1 - k0, kc); }
  std::size_t block_kc(std::size_t b) const { return std::min(kc, k1 - k0 - b * kc); }
  T* b_block(std::size_t b) const { return bpack + b * n_panels * NR<T> * kc; }
  T* a_block(std::size_t b) const { return apack + b * m_panels * MR * kc; }

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
      if (g->trans_b) return pack_bt_panel(*g, t * NR<T>, pc, kcb, b_block(b) + t * NR<T> * kcb);
      const std::size_t r0 = t * kRowsPerTask,
                        r1 = std::min(kcb, r0 + kRowsPerTask);  // may be empty
      for (std::size_t r = r0; r < r1; ++r)
        for (std::size_t q = 0; q < n_panels; ++q)
          pack_b_row(
              *g, q * NR<T>, pc + r,
              b_block(b) + q * NR<T> * kcb + r * panel_width<T>(std::min(NR<T>, g->n - q * NR<T>)));
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

  // The whole product when it is one k block and one tile (see is_single_tile), on this thread.
  void single_tile() {
    k1 = g->k;
    for (std::size_t t = 0, tasks = pack_tasks(); t < tasks; ++t) pack(t);
    for (std::size_t q = 0; q < n_panels; ++q)
      for (std::size_t p = 0; p < m_panels; ++p) micro_tile(0, p, q);
  }

  // The micro-kernel on A's panel p, B's panel q, k block b.
  void micro_tile(std::size_t b, std::size_t p, std::size_t q) const {
    const std::size_t pc = k0 + b * kc, kcb = block_kc(b);
    const std::size_t j0 = q * NR<T>, cols = std::min(NR<T>, g->n - j0);
    const std::size_t i0 = p * MR, rows = std::min(MR, g->m - i0);
    const T* bp = bpack ? b_block(b) + q * NR<T> * kcb : g->b + pc * g->ldb + j0;
    const std::size_t ldb = bpack ? panel_width<T>(cols) : g->ldb;
    const bool first = pc == 0;  // apply beta and the bias; later blocks add
    const T* bias = first && g->bias ? g->bias + (transposed ? i0 : j0) : nullptr;
    const Epilogue<T> e{first ? g->beta : T(1), bias};
    T* c = g->c + (transposed ? j0 * g->ldc + i0 : i0 * g->ldc + j0);
    const auto rows_seq = std::make_index_sequence<MR>();
    if (apack)
      micro_kernel_for<T, true>(rows, cols, transposed, rows_seq)(kcb, a_block(b) + p * MR * kcb,
                                                                  MR, bp, ldb, c, g->ldc, cols, e);
    else if (g->trans_a)
      micro_kernel_for<T, true>(rows, cols, transposed, rows_seq)(
          kcb, g->a + pc * g->lda + i0, g->lda, bp, ldb, c, g->ldc, cols, e);
    else
      micro_kernel_for<T, false>(rows, cols, transposed, rows_seq)(
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
template <class T>
void scale_only(const GemmOperands<T>& g) {
  for (std::size_t i = 0; i < g.m; ++i) {
    T* row = g.c + i * g.ldc;
    for (std::size_t j = 0; j < g.n; ++j)
      row[j] = (g.beta != T(0) ? g.beta * row[j] : T(0)) + (g.bias ? g.bias[j] : T(0));
  }
}

// Tiles of at most MC rows and NC_PANELS panels; split further when the tiles are shared among
// threads, so that there are several per thread (a thread that starts late, or is preempted,
// then holds up little) but none smaller than 2 x 2 micro-tiles.
template <class T>
void choose_tiles(Round<T>& r, bool parallel) {
  r.tile_m = std::min(r.m_panels, MC / MR);
  r.tile_n = std::min(r.n_panels, NC_PANELS);
  auto count = [&] { return ceil_div(r.m_panels, r.tile_m) * ceil_div(r.n_panels, r.tile_n); };
  while (parallel && count() < kParallelTiles && (r.tile_m > 2 || r.tile_n > 2)) {
    if (r.tile_m * MR >= r.tile_n * NR<T> && r.tile_m > 2)
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
template <class T>
bool swap_operands(const GemmOperands<T>& g) {
  return g.n <= kSwapRows<T> && g.m > g.n;
}

// C = A Bᵀ for a C of at most kDotColumns columns, A not transposed and B transposed (an
// output layer's [n, k] weight): every value of C is the dot product of a row of A and a row of
// B, both contiguous along k. W rows of A at a time, against each row of B in turn, their W
// dot products folded into one vector (transposed_sums). Swapping the operands instead would
// transpose all of A into panels: for the 128 x 64 activations of a 3-class output layer, more time
// than its multiply-adds.
// Each block of W rows of A is read once per row of B: up to kDotMaxK values of k it stays in
// L2 meanwhile (16 rows of 4096 floats: 256 KB); a longer k takes the packed path.
// float only: double takes the transposed path.
constexpr std::size_t kDotColumns = 4, kDotMaxK = 4096;
template <class T>
bool dot_products(const GemmOperands<T>& g) {
  return std::is_same_v<T, float> && g.n <= kDotColumns && g.k <= kDotMaxK && !g.trans_a &&
         g.trans_b;
}

constexpr std::size_t kDotTaskRows = 16 * W<float>;  // rows per task when the threads share them

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
  const std::size_t whole = g.k / WF * WF, tail = g.k - whole;
  for (std::size_t r0 = i0; r0 < i1; r0 += WF) {
    const std::size_t rows = std::min(WF, i1 - r0);
    // One pointer walks down the rows (WF of them would not fit the registers); rows past i1
    // repeat the last one, their sums not stored.
    const float* first = g.a + r0 * g.lda;
    auto step = [&](std::size_t r) { return r + 1 < rows ? g.lda : 0; };
    for (std::size_t j = 0; j < g.n; ++j) {
      const float* b = g.b + j * g.ldb;
      V acc[WF];
#pragma GCC unroll 16
      for (std::size_t r = 0; r < WF; ++r) acc[r] = V(0.0f);
      for (std::size_t k = 0; k < whole; k += WF) {
        const V bv = V::load_unaligned(b + k);
        const float* a = first + k;
#pragma GCC unroll 16
        for (std::size_t r = 0; r < WF; a += step(r), ++r)
          acc[r] = xsimd::fma(V::load_unaligned(a), bv, acc[r]);
      }
      if (tail) {
        const V bv = load_first(b + whole, tail);
        const float* a = first + whole;
#pragma GCC unroll 16
        for (std::size_t r = 0; r < WF; a += step(r), ++r)
          acc[r] = xsimd::fma(load_first(a, tail), bv, acc[r]);
      }
      alignas(kAlign) float sums[WF];
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
template <class T>
bool pack_a(std::size_t n) {
  return n >= 4 * NR<T>;
}

// B is read where it lies (no packing) when its rows hold whole vectors of every panel and it
// is small enough to stay in cache: the small products of small networks, whose packing would
// cost as much as their multiply-adds.
template <class T>
bool pack_b(const GemmOperands<T>& g) {
  return g.trans_b || g.n % W<T> != 0 || pack_a<T>(g.n);
}

template <class T>
GemmOperands<T> swapped(const GemmOperands<T>& g) {
  GemmOperands<T> s = g;
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

// Elements of packed panels per k block.
template <class T>
std::size_t packed_per_block(const GemmOperands<T>& g) {
  const std::size_t b = pack_b(g) ? ceil_div(g.n, NR<T>) * NR<T> : 0;
  const std::size_t a = pack_a<T>(g.n) ? ceil_div(g.m, MR) * MR : 0;
  return (b + a) * kc_max(g.k);
}

// k blocks packed at once: all of them (two hand-offs to the threads per product) unless that
// would take more than kRoundElements of scratch memory.
template <class T>
std::size_t blocks_per_round(const GemmOperands<T>& g) {
  const std::size_t blocks = ceil_div(g.k, kc_max(g.k)), per_block = packed_per_block(g);
  if (per_block == 0) return blocks;
  return std::max<std::size_t>(1, std::min(blocks, kRoundElements / per_block));
}

template <class T>
std::size_t gemm_workspace(const GemmOperands<T>& args) {
  if (args.m == 0 || args.n == 0 || args.k == 0 || dot_products(args)) return 0;
  const GemmOperands<T> g = swap_operands(args) ? swapped(args) : args;
  return packed_per_block(g) * blocks_per_round(g);
}

// A C of a few columns from A Bᵀ, by rows of dot products (float).
void dot_product_gemm(const GemmArgs& args, ParallelFor parallel) {
  GemmArgs g = args;
  run(
      parallel, ceil_div(g.m, kDotTaskRows),
      [](void* ctx, std::size_t t) {
        const auto& a = *static_cast<const GemmArgs*>(ctx);
        dot_rows(a, t * kDotTaskRows, std::min(a.m, (t + 1) * kDotTaskRows));
      },
      &g);
}

// A product of one k block and one tile on the calling thread (a small layer's; A is not packed,
// so B has fewer than 4 panels) runs its packing and micro-tiles directly, without the task lists,
// choice of tiles and k rounds of the general path (on an AMD Zen 5 a 32 x 32 x 32 product took
// 5-30 ns less, of 310-410).
template <class T>
bool is_single_tile(const GemmOperands<T>& g, ParallelFor parallel) {
  return !parallel && g.k <= KC && g.m <= MC && !pack_a<T>(g.n);
}

template <class T>
void gemm(const GemmOperands<T>& args, T* workspace, ParallelFor parallel) {
  if (args.m == 0 || args.n == 0) return;
  if (args.k == 0) return scale_only(args);
  if (args.m * args.n * args.k < kParallelMacs) parallel = nullptr;
  if constexpr (std::is_same_v<T, float>)
    if (dot_products(args)) return dot_product_gemm(args, parallel);
  const bool transposed = swap_operands(args);
  const GemmOperands<T> g = transposed ? swapped(args) : args;
  Round<T> round{};
  round.g = &g;
  round.transposed = transposed;
  round.kc = kc_max(g.k);
  round.m_panels = ceil_div(g.m, MR);
  round.n_panels = ceil_div(g.n, NR<T>);
  round.bpack = pack_b(g) ? workspace : nullptr;
  if (is_single_tile(g, parallel)) return round.single_tile();
  choose_tiles(round, parallel != nullptr);
  round.apack = pack_a<T>(g.n) ? workspace + (round.bpack ? round.n_panels * NR<T> * round.kc : 0) *
                                                 blocks_per_round(g)
                               : nullptr;
  const std::size_t span = blocks_per_round(g) * round.kc;
  for (round.k0 = 0; round.k0 < g.k; round.k0 += span) {
    round.k1 = std::min(g.k, round.k0 + span);
    run(
        parallel, round.pack_tasks(),
        [](void* r, std::size_t t) { static_cast<Round<T>*>(r)->pack(t); }, &round);
    run(
        parallel, round.tiles_m * round.tiles_n,
        [](void* r, std::size_t t) { static_cast<Round<T>*>(r)->tile(t); }, &round);
  }
}

}  // namespace

std::size_t sgemm_workspace(const GemmArgs& args) { return gemm_workspace(args); }
std::size_t dgemm_workspace(const DgemmArgs& args) { return gemm_workspace(args); }

void sgemm(const GemmArgs& args, float* workspace, ParallelFor parallel) {
  gemm(args, workspace, parallel);
}
void dgemm(const DgemmArgs& args, double* workspace, ParallelFor parallel) {
  gemm(args, workspace, parallel);
}

void column_sums(const float* g, std::size_t rows, std::size_t cols, std::size_t ld, float* out,
                 bool accumulate) {
  constexpr std::size_t U = 4;  // vectors of columns summed at once
  for (std::size_t j0 = 0; j0 < cols; j0 += U * WF) {
    V acc[U] = {V(0.0f), V(0.0f), V(0.0f), V(0.0f)};
    std::size_t lanes[U];
    for (std::size_t v = 0; v < U; ++v) lanes[v] = std::min(WF, cols - std::min(cols, j0 + v * WF));
    for (std::size_t r = 0; r < rows; ++r) {
      const float* row = g + r * ld + j0;
      for (std::size_t v = 0; v < U; ++v)
        if (lanes[v] == WF)
          acc[v] += V::load_unaligned(row + v * WF);
        else if (lanes[v] > 0)
          acc[v] += load_first(row + v * WF, lanes[v]);
    }
    for (std::size_t v = 0; v < U && lanes[v] > 0; ++v) {
      float* o = out + j0 + v * WF;
      if (accumulate) acc[v] += load_first(o, lanes[v]);
      store_first(acc[v], o, lanes[v]);
    }
  }
}

}  // namespace xg::kernels::XGRAD_ISA_NS
