// xgrad's GEMM (src/kernels/gemm.hpp), float and double, against a reference summed in long
// double (64-bit significand): odd sizes around the register and cache blocks, every
// transposition, strided and unaligned operands, beta = 0 / 1 / other, the fused bias, and the
// same bits whatever the threads. ctest runs this program once per instruction set
// (XGRAD_ISA=sse2, avx2, avx512) so every copy of the kernel is checked.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "kernels/gemm.hpp"
#include "kernels/isa.hpp"
#include "test_helpers.hpp"

namespace kernels = xg::kernels;

namespace {

// One product to check: op(A) is m x k, op(B) is k x n; `pad` extra floats at the end of every
// stored row and `offset` floats before each matrix (so rows are not 64-byte aligned). Built
// field by field, or in order: Case{ta, tb, m, n, k, beta, bias}.
struct Case {
  bool ta = false, tb = false;
  std::size_t m = 1, n = 1, k = 1;
  float beta = 0;
  bool bias = false;
  std::size_t pad = 0, offset = 0;
};

template <class T>
struct Operands {
  std::vector<T> a, b, c, bias;
  kernels::GemmOperands<T> args;
};

template <class T = float>
T uniform(std::mt19937& rng) {
  return std::uniform_real_distribution<T>(-1, 1)(rng);
}

template <class T>
Operands<T> make_operands(const Case& t, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Operands<T> o;
  kernels::GemmOperands<T>& g = o.args;
  g.trans_a = t.ta;
  g.trans_b = t.tb;
  g.m = t.m;
  g.n = t.n;
  g.k = t.k;
  g.lda = (t.ta ? t.m : t.k) + t.pad;
  g.ldb = (t.tb ? t.k : t.n) + t.pad;
  g.ldc = t.n + t.pad;
  const std::size_t a_rows = t.ta ? t.k : t.m, b_rows = t.tb ? t.n : t.k;
  o.a.resize(t.offset + a_rows * g.lda);
  o.b.resize(t.offset + b_rows * g.ldb);
  o.c.resize(t.offset + t.m * g.ldc);
  for (T& v : o.a) v = uniform<T>(rng);
  for (T& v : o.b) v = uniform<T>(rng);
  for (T& v : o.c) v = uniform<T>(rng);
  if (t.bias) {
    o.bias.resize(t.n);
    for (T& v : o.bias) v = uniform<T>(rng);
    g.bias = o.bias.data();
  }
  g.a = o.a.data() + t.offset;
  g.b = o.b.data() + t.offset;
  g.c = o.c.data() + t.offset;
  g.beta = t.beta;
  return o;
}

template <class T>
T a_at(const kernels::GemmOperands<T>& g, std::size_t i, std::size_t p) {
  return g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
}
template <class T>
T b_at(const kernels::GemmOperands<T>& g, std::size_t p, std::size_t j) {
  return g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
}

template <class T>
void run(const kernels::GemmOperands<T>& g, kernels::ParallelFor parallel) {
  std::vector<T> workspace(kernels::workspace_size(g) + 16);
  // The kernel needs 64-byte aligned scratch space.
  void* p = workspace.data();
  std::size_t space = workspace.size() * sizeof(T);
  REQUIRE(std::align(64, sizeof(T), p, space) != nullptr);
  kernels::multiply(g, static_cast<T*>(p), parallel);
}

// Checks C after the call against the sum in long double, with T's error bound of a k-term dot
// product plus beta C and the bias (each of k + 3 roundings at most u = 2^-24 (float) or 2^-53
// (double) of the magnitudes involved), and checks that nothing outside C's m x n window
// changed.
template <class T>
void check(const Case& t, std::uint32_t seed) {
  Operands<T> o = make_operands<T>(t, seed);
  const std::vector<T> c0 = o.c;
  const kernels::GemmOperands<T>& g = o.args;
  run(g, nullptr);
  INFO((sizeof(T) == 4 ? "float" : "double")
       << " ta " << t.ta << " tb " << t.tb << " m " << t.m << " n " << t.n << " k " << t.k
       << " beta " << t.beta << " bias " << t.bias << " pad " << t.pad << " offset " << t.offset);
  using Exact = long double;
  const Exact u = std::ldexp(Exact(1), -std::numeric_limits<T>::digits);
  for (std::size_t i = 0; i < t.m; ++i)
    for (std::size_t j = 0; j < t.n; ++j) {
      const std::size_t at = t.offset + i * g.ldc + j;
      const Exact scaled = Exact(g.beta) * c0[at], bias = t.bias ? o.bias[j] : 0;
      Exact exact = scaled + bias, magnitude = std::fabs(scaled) + std::fabs(bias);
      for (std::size_t p = 0; p < t.k; ++p) {
        const Exact prod = Exact(a_at(g, i, p)) * b_at(g, p, j);
        exact += prod;
        magnitude += std::fabs(prod);
      }
      const Exact tol = Exact(t.k + 3) * u * magnitude + 1e-300L;
      if (std::fabs(o.c[at] - exact) > tol) {
        INFO("C(" << i << ", " << j << ") = " << o.c[at] << ", exact " << exact << ", tol " << tol);
        REQUIRE(std::fabs(o.c[at] - exact) <= tol);
      }
    }
  for (std::size_t at = 0; at < o.c.size(); ++at) {
    const bool inside = at >= t.offset && (at - t.offset) % g.ldc < t.n;
    if (!inside && o.c[at] != c0[at]) {
      INFO("value " << at << " outside C changed");
      REQUIRE(o.c[at] == c0[at]);
    }
  }
}

// A ParallelFor that runs the tasks last to first: the result must not depend on the order.
void reversed(std::size_t count, void (*task)(void*, std::size_t), void* context) {
  for (std::size_t i = count; i-- > 0;) task(context, i);
}

}  // namespace

TEST_CASE("the kernels run the instruction set XGRAD_ISA asks for", "[gemm][isa]") {
  const char* wanted = std::getenv("XGRAD_ISA");
  const kernels::Isa cpu = kernels::cpu_isa();
  INFO("CPU's best: " << kernels::isa_name(cpu) << ", active: " << xg::simd_isa());
  if (!wanted || !*wanted) {
    REQUIRE(kernels::active_isa() == cpu);
    return;
  }
  for (kernels::Isa isa : {kernels::Isa::Sse2, kernels::Isa::Avx2, kernels::Isa::Avx512})
    if (std::string(wanted) == kernels::isa_name(isa)) {
      if (int(isa) <= int(cpu) && cpu != kernels::Isa::Generic)
        REQUIRE(std::string(xg::simd_isa()) == wanted);
      else
        WARN("this CPU cannot run " << wanted << "; the test covers " << xg::simd_isa());
    }
}

TEMPLATE_TEST_CASE("gemm: odd sizes, every transposition, against long double", "[gemm]", float,
                   double) {
  // 16 and 32: whole vectors of every instruction set (B is then read in place, not packed).
  const std::size_t sizes[] = {1, 3, 16, 17, 32, 63, 65, 127};
  std::uint32_t seed = 1;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (std::size_t m : sizes)
        for (std::size_t n : sizes)
          for (std::size_t k : sizes) {
            Case t;
            t.ta = ta;
            t.tb = tb;
            t.m = m;
            t.n = n;
            t.k = k;
            check<TestType>(t, seed++);
          }
}

TEMPLATE_TEST_CASE("gemm: beyond one cache block (sizes 1000+), strided and unaligned operands",
                   "[gemm]", float, double) {
  std::uint32_t seed = 100;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Case t;
      t.ta = ta;
      t.tb = tb;
      t.m = 1031;
      t.n = 67;
      t.k = 1029;
      t.pad = 5;
      t.offset = 3;
      check<TestType>(t, seed++);
      t.m = 45;
      t.n = 1027;
      t.k = 301;  // two k blocks of uneven size
      check<TestType>(t, seed++);
      t.n = 48;  // B read in place through its row stride
      t.k = 37;
      check<TestType>(t, seed++);
    }
  Case deep_k;  // k = 5000: the packed k blocks do not all fit the scratch budget at once
  deep_k.m = 3;
  deep_k.n = 1030;
  deep_k.k = 5000;
  deep_k.tb = true;
  deep_k.beta = 1;
  deep_k.bias = true;
  check<TestType>(deep_k, 8);
  Case wide;  // many tiles of C in both directions
  wide.m = 517;
  wide.n = 1003;
  wide.k = 77;
  wide.tb = true;
  check<TestType>(wide, 7);
}

TEMPLATE_TEST_CASE("gemm: either side of the single-tile path's limits", "[gemm]", float, double) {
  // A product of one k block (k <= 256) and one tile (m <= 192 rows, fewer than 4 B panels)
  // skips the task lists. These shapes cross each limit of AVX-512's float path once (the
  // narrower vectors cross theirs within the odd sizes above), with beta 1 and the bias.
  struct Shape3 {
    std::size_t m, n, k;
  };
  const Shape3 shapes[] = {{192, 127, 256}, {193, 127, 256}, {192, 128, 256}, {192, 127, 257}};
  std::uint32_t seed = 300;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Shape3& s : shapes) {
        Case t;
        t.ta = ta;
        t.tb = tb;
        t.m = s.m;
        t.n = s.n;
        t.k = s.k;
        t.beta = 1;
        t.bias = true;
        check<TestType>(t, seed++);
      }
}

TEMPLATE_TEST_CASE("gemm: beta accumulates into C, beta 0 never reads C, the bias is added",
                   "[gemm]", float, double) {
  std::uint32_t seed = 200;
  // n = 1 and 3: C of a few columns is computed as Cᵀ (the operands swap), bias per row.
  for (float beta : {1.0f, -0.5f, 0.0f})
    for (bool bias : {false, true})
      for (std::size_t n : {std::size_t(1), std::size_t(3), std::size_t(71)})
        for (std::size_t k : {std::size_t(1), std::size_t(33), std::size_t(700)}) {
          Case t;
          t.m = 29;
          t.n = n;
          t.k = k;
          t.beta = beta;
          t.bias = bias;
          t.pad = 2;
          t.offset = 1;
          check<TestType>(t, seed++);
        }
  // beta = 0 must overwrite C: NaN and infinity there do not reach the result.
  Case t;
  t.m = 13;
  t.n = 40;
  t.k = 9;
  auto o = make_operands<TestType>(t, 9);
  for (TestType& v : o.c) v = std::numeric_limits<TestType>::quiet_NaN();
  o.c[5] = std::numeric_limits<TestType>::infinity();
  run(o.args, nullptr);
  for (TestType v : o.c) REQUIRE(std::isfinite(v));
  // k = 0: C = beta C + bias (PyTorch's addmm over an empty inner dimension).
  Case e;
  e.m = 3;
  e.n = 5;
  e.k = 0;
  e.beta = 1;
  e.bias = true;
  check<TestType>(e, 10);
}

TEMPLATE_TEST_CASE(
    "gemm: a C of at most 4 columns from A Bᵀ (float: dot products), every tail and epilogue",
    "[gemm]", float, double) {
  // An output layer's forward: A [m, k] as stored, B [n, k] transposed. Rows in blocks of a
  // vector's width and k in vectors with a tail: sizes on both sides of 4, 8 and 16.
  std::uint32_t seed = 300;
  for (std::size_t n : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(4)})
    for (std::size_t m : {std::size_t(1), std::size_t(7), std::size_t(17), std::size_t(128)})
      for (std::size_t k :
           {std::size_t(1), std::size_t(15), std::size_t(16), std::size_t(64), std::size_t(701)})
        for (float beta : {0.0f, 1.0f, -0.5f}) {
          Case t{false, true, m, n, k, beta, beta != 0.0f};
          t.pad = m % 2 ? 3 : 0;
          t.offset = m % 2;
          check<TestType>(t, seed++);
        }
  // k beyond the dot products' limit (4096) takes the packed path: the same results.
  check<TestType>(Case{false, true, 40, 3, 5000, 1.0f, true}, 12);
  // beta = 0 overwrites C without reading it.
  auto o = make_operands<TestType>(Case{false, true, 21, 3, 40}, 11);
  for (TestType& v : o.c) v = std::numeric_limits<TestType>::quiet_NaN();
  run(o.args, nullptr);
  for (TestType v : o.c) REQUIRE(std::isfinite(v));
}

namespace {
// The product's C on one thread, with its tasks in reverse order and on xgrad's two threads: the
// same bits every way.
template <class T>
void require_same_bits_split(const Case& t, std::uint32_t seed) {
  Operands<T> serial = make_operands<T>(t, seed), other = make_operands<T>(t, seed),
              pooled = make_operands<T>(t, seed);
  run(serial.args, nullptr);
  run(other.args, &reversed);
  xg::set_num_threads(2);
  run(pooled.args, &xg::detail::parallel_tasks);
  xg::set_num_threads(1);
  REQUIRE(serial.c == other.c);
  REQUIRE(serial.c == pooled.c);
}
}  // namespace

TEMPLATE_TEST_CASE("gemm: the same bits in any task order and on xgrad's threads",
                   "[gemm][threads]", float, double) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Case t;
      t.ta = ta;
      t.tb = tb;
      t.m = 300;
      t.n = 515;
      t.k = 600;
      t.bias = true;
      require_same_bits_split<TestType>(t, 42);
    }
  // Dot products (a C of 3 columns from A Bᵀ) split by rows: 4000 x 3 x 100 multiply-adds.
  const Case d{false, true, 4000, 3, 100, 0.0f, true};
  require_same_bits_split<TestType>(d, 43);
  check<TestType>(d, 43);
}

TEST_CASE("column sums (Linear's bias gradient) against double", "[gemm][bias]") {
  std::mt19937 rng(5);
  for (std::size_t rows : {std::size_t(1), std::size_t(7), std::size_t(129)})
    for (std::size_t cols : {1, 3, 16, 17, 63, 65, 100})
      for (bool accumulate : {false, true}) {
        const std::size_t ld = cols + 3;
        std::vector<float> g(rows * ld), out(cols + 1);
        for (float& v : g) v = uniform(rng);
        for (float& v : out) v = uniform(rng);
        const std::vector<float> before = out;
        kernels::column_sums(g.data(), rows, cols, ld, out.data(), accumulate);
        INFO("rows " << rows << " cols " << cols << " accumulate " << accumulate);
        for (std::size_t j = 0; j < cols; ++j) {
          double exact = accumulate ? before[j] : 0.0, magnitude = std::fabs(exact);
          for (std::size_t r = 0; r < rows; ++r) {
            exact += g[r * ld + j];
            magnitude += std::fabs(g[r * ld + j]);
          }
          REQUIRE(std::fabs(out[j] - exact) <= double(rows + 1) * std::ldexp(1.0, -24) * magnitude);
        }
        REQUIRE(out[cols] == before[cols]);  // nothing past the last column
      }
}
