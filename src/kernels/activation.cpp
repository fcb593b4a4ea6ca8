// Elementwise activation kernels: one functor per activation with its value f(x) and its
// derivative f'(x, y), both written once on xsimd batches and run by two generic loops.
//
// Stability: every form below stays finite for |x| up to 1e4 in float32. Where a branch's
// expression overflows on the side it is not used (exp(x) for large x in ELU), select() throws
// the overflowed lane away; no lane ever divides 0 by 0 on the side that is kept.
#include "kernels/activation.hpp"

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace xg::kernels::XGRAD_ISA_NS {  // one copy per instruction set (kernels/isa.hpp)
namespace {

template <class T>
using B = xsimd::batch<T>;

// [first, last) to out, for the padded tails. Not std::copy: unoptimised, its out-of-line helper
// is a weak symbol the linker would share between the instruction-set copies of this file.
template <class T>
void copy_range(const T* first, const T* last, T* out) {
  std::memcpy(out, first, std::size_t(last - first) * sizeof(T));
}

template <class T>
B<T> k(double v) {
  return B<T>(static_cast<T>(v));
}

// f(x) and f'(x) of one batch, from a functor's f_df (see Elu).
template <class T>
struct ValueAndDerivative {
  B<T> y, d;
};

// Adding 1.5 * 2^23 + b to a float of magnitude below 2^22 rounds it to an integer m, and the
// sum's low bits then hold m + b: shifted left by 23 they are the float 2^(m + b - 127) when
// 1 <= m + b <= 254. Folding the exponent bias b into the constant saves an integer add per
// vector (4% of the sigmoid's loop on an AMD Zen 5).
B<float> rounding_magic(int b) { return B<float>(12582912.f + float(b)); }

B<float> power_of_two(B<float> shifted) {
  using I = xsimd::batch<std::int32_t>;
  return xsimd::bitwise_cast<B<float>>(xsimd::bitwise_cast<I>(shifted) << 23);
}

// a * b + c rounded once. xsimd 8's fma has no AVX-512 form: there it is a * b + c, fused only
// where the compiler contracts it (not in the sanitizer build, whose batches live in memory);
// the table-driven exp below needs its products fused to stay within 2 ulps.
B<float> fused_fma(B<float> a, B<float> b, B<float> c) {
#if defined(__AVX512F__)
  return _mm512_fmadd_ps(a, b, c);
#else
  return xsimd::fma(a, b, c);
#endif
}

// xgrad's float exp, in about half the instructions of xsimd::exp: -x = n ln2 - s with n an
// integer and |s| <= ln2/2, e^-x = 2^(n-1) * 2 e^-s. 2 e^-s comes from a degree-6 polynomial
// (minimax for relative error on that interval: 3e-9, far below float's 6e-8); the factor 2
// moved into the polynomial keeps 2^(n-1) a float's exponent (<= 127) up to n = 128. This is
// the reduction, for x in [-89, 104]: it returns p = 2 e^-s, and in `shifted` n for
// power_of_two, which then gives 2^(n - 1 + bias) (n - 1 + bias within [-126, 127]).
[[gnu::always_inline]] inline B<float> exp_neg_reduced(B<float> x, B<float>& shifted, int bias) {
  using F = B<float>;
  const F magic = rounding_magic(126 + bias);
  shifted = xsimd::fma(x, F(-1.44269504088896341f), magic);  // n = round(-x / ln2)
  const F n = shifted - magic;
  // s = x + n ln2 with ln2 split in two (n * 0.693359375 is exact), accurate with or without FMA.
  const F s = xsimd::fma(n, F(-2.12194440e-4f), xsimd::fma(n, F(0.693359375f), x));
  F p(2 * 0.001381461275741458f);
  p = xsimd::fma(p, s, F(2 * -0.008368710055947304f));
  p = xsimd::fma(p, s, F(2 * 0.04166838899254799f));
  p = xsimd::fma(p, s, F(2 * -0.1666652113199234f));
  p = xsimd::fma(p, s, F(2 * 0.4999999403953552f));
  p = xsimd::fma(p, s, F(-2.f));
  return xsimd::fma(p, s, F(2.f));
}

// e^-x = p * scale for the sigmoid 1 / (1 + e^-x), tanh and mish, which take 1 +- e^-x as one
// fused_fma: where scale is not a power of two (the AVX-512 form below), rounding the product first
// would cost the sigmoid a third ulp. Special cases are clamps instead of branches: x is kept in
// [-89, 86]. Below -88.73, e^-x overflows to inf and the sigmoid is 0, as with an exact exp;
// above 86, e^-x < 2^-124 and 1 + e^-x rounds to 1 as with the exact value. NaN stays NaN: the
// x86 min/max instructions return their second operand when one is NaN. The sigmoid stays within
// 2 ulps of the exact value.
struct ExpNeg {
  B<float> p, scale;
};

#if defined(__AVX512F__)
// With AVX-512 a 16-entry table fits in one register and one permute reads it, so the reduction
// can be 16 times finer: -x = (m/16) ln2 - s with m an integer, |s| <= ln2/32, and
// e^-x = 2^(k-1) T_j 2 e^-s for k = m >> 4, j = m & 15 and T_j = 2^(j/16) rounded to float.
// 2 e^-s then needs a polynomial of degree 3 instead of 6 (on an AMD Zen 5 the sigmoid over 16 K
// floats in cache 9% faster, its eltwise training step 7%). T_j's rounding (up to 0.8 of float's
// 2^-24) would cost the sigmoid an ulp, so s is corrected by d_j = ln T_j - (j/16) ln2 from a
// second table: then e^-x = 2^(k-1) T_j 2 e^-(s + d_j) exactly. The permutes take j from the low 4
// bits of `shifted` (m's bits); shifting those bits left by 19 puts k + 126 in the exponent field
// and j just below it, which the scale table takes away again: its entries are T_j's bits minus
// (j << 19) and minus (127 << 23).
ExpNeg exp_neg_parts(B<float> x) {
  using F = B<float>;
  const __m512i scale_bits =
      _mm512_setr_epi32(0x00000000, 0xfffdaac3, 0xfffb95c2, 0xfff9c3d3, 0xfff837f0, 0xfff6f532,
                        0xfff5fed7, 0xfff5583f, 0xfff504f3, 0xfff508a4, 0xfff5672a, 0xfff6248c,
                        0xfff744fd, 0xfff8ccdf, 0xfffac0c7, 0xfffd257d);
  const __m512 correction = _mm512_setr_ps(
      0.f, -4.6285471e-08f, 1.1992157e-08f, -4.7297821e-08f, -3.1934182e-08f, -3.6210572e-08f,
      3.0990723e-08f, 7.4752133e-09f, -1.7114271e-08f, 3.0476834e-08f, -5.2333342e-09f,
      -6.1075918e-09f, 1.4719606e-08f, 5.2587952e-09f, 6.1282597e-09f, -5.1406093e-09f);
  x = xsimd::min(F(86.f), xsimd::max(F(-89.f), x));
  const F magic = rounding_magic(16 * 126);
  const F shifted = fused_fma(x, F(-16 * 1.44269504088896341f), magic);  // m = round(-16x/ln2)
  const F m = shifted - magic;
  const __m512i bits = _mm512_castps_si512(shifted);
  // s = x + m ln2/16, ln2/16 split in two as in exp_neg_reduced (m * 0.0433349609375 is exact).
  F s = fused_fma(m, F(-1.3262152503e-05f), fused_fma(m, F(0.0433349609375f), x));
  s = s + F(_mm512_permutexvar_ps(bits, correction));
  // 2 e^-s = 2 - 2s + c2 s^2 + c3 s^3, c2 and c3 fitted for minimax relative error (1.6e-9).
  F p = fused_fma(F(-0.333334356546402f), s, F(1.0000324249267578f));
  p = fused_fma(p, s, F(-2.f));
  p = fused_fma(p, s, F(2.f));
  const __m512i scale =
      _mm512_add_epi32(_mm512_permutexvar_epi32(bits, scale_bits), _mm512_slli_epi32(bits, 19));
  return {p, F(_mm512_castsi512_ps(scale))};
}
#else
// 2^(n-1) written into the exponent bits (a power of two: the product is exact).
ExpNeg exp_neg_parts(B<float> x) {
  using F = B<float>;
  B<float> shifted;
  const F p = exp_neg_reduced(xsimd::min(F(86.f), xsimd::max(F(-89.f), x)), shifted, 0);
  return {p, power_of_two(shifted)};
}
#endif

// e^z for z <= 0 in float on the same reduction, subnormal results included (xsimd's exp
// flushes results below 2^-126 to 0): AVX-512's scalef applies 2^(n-1) to p exactly, rounding
// once where the result is subnormal (18% faster than xsimd::exp over 16 K floats in cache on
// an AMD Zen 5); elsewhere 2^(n-1) is applied as 2^(n+31) 2^-32, normal down to n = -150. z is
// clamped to [-104, 0]: e^z rounds to 0 below -103.98, and z > 0 gives 1 (callers select
// another branch there). NaN stays NaN.
[[gnu::always_inline]] inline B<float> exp_nonpositive(B<float> z) {
  using F = B<float>;
  F shifted;
#if defined(__AVX512F__)
  const F p = exp_neg_reduced(-xsimd::max(F(-104.f), xsimd::min(F(0.f), z)), shifted, 0);
  return _mm512_scalef_ps(p, shifted - rounding_magic(127));  // n - 1
#else
  const F p = exp_neg_reduced(-xsimd::max(F(-104.f), xsimd::min(F(0.f), z)), shifted, 32);
  return p * power_of_two(shifted) * F(0x1p-32f);
#endif
}

// tanh in float on the same exp, in about half the time of xsimd::tanh. For |x| >= 0.625,
// tanh|x| = 1 - 2 e^-2|x| / (1 + e^-2|x|): e^-2|x| <= 0.29, so no cancellation, the subtraction
// rounds once (near 1 within half an ulp: tanh' = 1 - y^2 needs the digits of 1 - y there), and
// it rounds to exactly 1 from |x| = 13 ln2 = 9.0109 on (and for infinite x: exp_neg_parts clamps).
// Below 0.625, tanh x = x (1 + z Q(z)), z = x^2, with Q of degree 4 fitted for minimax relative
// error (4e-9) on that interval; the product keeps the sign of zero. NaN stays NaN. Within 2 ulps.
B<float> tanh_float(B<float> x) {
  using F = B<float>;
  const F a = xsimd::abs(x);
  const ExpNeg e = exp_neg_parts(a + a);
  const F large =
      xsimd::copysign(F(1.f) - ((e.p + e.p) * e.scale) / fused_fma(e.p, e.scale, F(1.f)), x);
  const F z = x * x;
  F q(-0.005717052232076727f);
  q = xsimd::fma(q, z, F(0.02065059424351582f));
  q = xsimd::fma(q, z, F(-0.05374350041165483f));
  q = xsimd::fma(q, z, F(0.13331491318069896f));
  q = xsimd::fma(q, z, F(-0.3333328392659245f));
  const F small = x * xsimd::fma(q, z, F(1.f));
  return xsimd::select(a < F(0.625f), small, large);
}

// Named apart from xsimd::tanh, which argument-dependent lookup would also find.
template <class T>
B<T> hyperbolic_tangent(B<T> x) {
  if constexpr (std::is_same_v<T, float>) {
    return tanh_float(x);
  } else {
    return xsimd::tanh(x);
  }
}

// e^z for z <= 0 (any value for z > 0), subnormal results kept: xgrad's exp in float; in double
// xsimd's, which flushes results below 2^-1022 (z < -708.4) to 0, and there e^(z/2) squared
// (a branch that inputs of ordinary size never take).
template <class T>
[[gnu::always_inline]] inline B<T> exp_nonpositive_any(B<T> z) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_nonpositive(z);
  } else {
    const B<T> e = xsimd::exp(z);
    const auto tiny = z < k<T>(-708);
    if (!xsimd::any(tiny)) return e;
    const B<T> half = xsimd::exp(k<T>(0.5) * z);
    return xsimd::select(tiny, half * half, e);
  }
}

// e^z and e^z - 1 for any z, finite up to the largest value: xsimd's overflow from z = 88.38 in
// float (709.44 in double), short of log(max) = 88.72 (709.78); there e^(z/2) squared, within
// 2 ulps (e^z - 1 rounds to e^z there). Only CELU with alpha < 0 needs them on this side.
template <class T>
constexpr T kExpSquaredFrom = std::is_same_v<T, float> ? 88 : 709;
template <class T>
B<T> exp_any(B<T> z) {
  const B<T> e = xsimd::exp(z);
  const auto large = z > k<T>(kExpSquaredFrom<T>);
  if (!xsimd::any(large)) return e;
  const B<T> half = xsimd::exp(k<T>(0.5) * z);
  return xsimd::select(large, half * half, e);
}
template <class T>
B<T> expm1_any(B<T> z) {
  const B<T> e = xsimd::expm1(z);
  const auto large = z > k<T>(kExpSquaredFrom<T>);
  if (!xsimd::any(large)) return e;
  return xsimd::select(large, exp_any<T>(z), e);
}

// exp(-x) = inf for x << 0 gives 1/inf = 0: no NaN. In double, below x = -708 (a branch that
// inputs of ordinary size never take) sigmoid(x) = e^x to double precision, kept where it is
// subnormal: 1/(1 + e^-x) was 0 there, and silu(-709.5) = -0 instead of -5.2e-306.
template <class T>
B<T> sigmoid(B<T> x) {
  if constexpr (std::is_same_v<T, float>) {
    const ExpNeg e = exp_neg_parts(x);
    return k<T>(1) / fused_fma(e.p, e.scale, k<T>(1));
  } else {
    const B<T> s = k<T>(1) / (k<T>(1) + xsimd::exp(-x));
    const auto tiny = x < k<T>(-708);
    if (!xsimd::any(tiny)) return s;
    return xsimd::select(tiny, exp_nonpositive_any<T>(x), s);
  }
}

// sigmoid(z) and 1 - sigmoid(z) from one exponential: with t = e^-|z|, they are 1 / (1 + t) and
// t / (1 + t) in the order of z's sign. Neither subtracts, so 1 - s keeps its digits in the
// right tail, where 1 - s computed as such is 0 from z = 17 in float (37 in double).
template <class T>
struct SigmoidPair {
  B<T> s, one_minus_s;
};
// In float t comes from the sigmoid's exp (the table one with AVX-512), which clamps |z| to 86;
// beyond (a branch that inputs of ordinary size never take) from exp_nonpositive, which keeps
// subnormal results: x (1 - s) is still a normal number there for |x| up to 88.7.
template <class T>
[[gnu::always_inline]] inline SigmoidPair<T> sigmoid_pair(B<T> z) {
  const B<T> a = xsimd::abs(z);
  B<T> near, far;
  if constexpr (std::is_same_v<T, float>) {
    const ExpNeg e = exp_neg_parts(a);
    near = k<T>(1) / fused_fma(e.p, e.scale, k<T>(1));
    far = (e.p * e.scale) * near;
    const auto beyond = a > k<T>(86);
    if (xsimd::any(beyond)) far = xsimd::select(beyond, exp_nonpositive(-a), far);  // near = 1
  } else {
    const B<T> t = exp_nonpositive_any<T>(-a);
    near = k<T>(1) / (k<T>(1) + t);
    far = t * near;
  }
  const auto right = z >= k<T>(0);
  return {xsimd::select(right, near, far), xsimd::select(right, far, near)};
}

// s + slope s (1 - s) with s = sigmoid(z): the derivatives of silu (z = x, slope = x) and of
// gelu's tanh form. With t = e^-z and s = 1 / (1 + t), s (1 - s) = t s^2: nothing subtracts (1 - s
// keeps its digits where s rounds to 1), for z < 0 the error of t cancels in t s, and no select
// on the sign of z is needed (sigmoid_pair's two: 9% of the eltwise silu step over 16 K floats
// on an AMD Zen 5). Beyond |z| = 80, where t is clamped (float) or overflows, lanes take
// sigmoid_pair's values and the slope far_slope() gives (one that cannot overflow where
// s (1 - s) is 0): a branch that inputs of ordinary size never take and that leaves the other
// lanes' bits as they are.
template <class T, class FarSlope>
[[gnu::always_inline]] inline B<T> sigmoid_plus_slope(B<T> z, B<T> slope,
                                                      const FarSlope& far_slope) {
  B<T> t, s;
  if constexpr (std::is_same_v<T, float>) {
    const ExpNeg e = exp_neg_parts(z);
    t = e.p * e.scale;
    s = k<T>(1) / fused_fma(e.p, e.scale, k<T>(1));
  } else {
    t = xsimd::exp(-z);
    s = k<T>(1) / (k<T>(1) + t);
  }
  const B<T> near = xsimd::fma(slope, (t * s) * s, s);
  const auto far = xsimd::abs(z) > k<T>(80);
  if (!xsimd::any(far)) return near;
  const SigmoidPair<T> sp = sigmoid_pair<T>(z);
  return xsimd::select(far, sp.s + far_slope() * (sp.s * sp.one_minus_s), near);
}
template <class T>
[[gnu::always_inline]] inline B<T> sigmoid_plus_slope(B<T> z, B<T> slope) {
  return sigmoid_plus_slope<T>(z, slope, [slope] { return slope; });
}

template <class T>
B<T> softplus(B<T> x) {  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), e^-|x| kept if subnormal
  return xsimd::max(x, k<T>(0)) + xsimd::log1p(exp_nonpositive_any<T>(-xsimd::abs(x)));
}

// clamp(x, lo, hi) that keeps NaN (PyTorch's clamp propagates it; max/min instructions do not).
template <class T>
B<T> clamp(B<T> x, B<T> lo, B<T> hi) {
  return xsimd::select(x < lo, lo, xsimd::select(x > hi, hi, x));
}

// Each functor: f(x), df(x, y) = f'(x) given y = f(x); uses_x/uses_y say what df reads. A functor
// with hyper-parameters is constructed from ActParams (a the first, b the second, in the order
// of its row in the activation list); the others are default-constructed.
template <class T>
struct Identity {
  static constexpr bool uses_x = false, uses_y = false;
  B<T> f(B<T> x) const { return x; }
  B<T> df(B<T>, B<T>) const { return k<T>(1); }
};
template <class T>
struct BinaryStep {  // no gradient flows
  static constexpr bool uses_x = false, uses_y = false;
  B<T> f(B<T> x) const { return xsimd::select(x >= k<T>(0), k<T>(1), k<T>(0)); }
  B<T> df(B<T>, B<T>) const { return k<T>(0); }
};
template <class T>
struct Sigmoid {
  static constexpr bool uses_x = false, uses_y = true;
  B<T> f(B<T> x) const { return sigmoid<T>(x); }
  B<T> df(B<T>, B<T> y) const { return y * (k<T>(1) - y); }
};
template <class T>
struct Tanh {
  static constexpr bool uses_x = false, uses_y = true;
  B<T> f(B<T> x) const { return hyperbolic_tangent(x); }
  B<T> df(B<T>, B<T> y) const { return k<T>(1) - y * y; }
};
template <class T>
struct Arctan {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const { return xsimd::atan(x); }
  B<T> df(B<T> x, B<T>) const { return k<T>(1) / (k<T>(1) + x * x); }
};
template <class T>
struct Softsign {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const { return x / (k<T>(1) + xsimd::abs(x)); }
  B<T> df(B<T> x, B<T>) const {
    const B<T> d = k<T>(1) + xsimd::abs(x);
    return k<T>(1) / (d * d);
  }
};
// (h - 1)/2 + x with h = sqrt(x^2 + 1). Below |x| = 1 as x^2 / (2 (h + 1)) + x: h - 1 cancels
// near 0 (f(1e-8) was 1e-8, 1.5e7 ulps off). From |x| = 1 on, h = |x| q with q = sqrt(1 + 1/x^2),
// f = x (1 + sign(x) q / 2) - 1/2 and f' = 1 + sign(x) / (2 q): x^2 would overflow from 1.3e154
// (double) or 1.8e19 (float), and x = -inf would give inf - inf.
template <class T>
struct BentIdentity {
  static constexpr bool uses_x = true, uses_y = false;
  static B<T> q(B<T> x) { return xsimd::sqrt(k<T>(1) + k<T>(1) / (x * x)); }
  B<T> f(B<T> x) const {
    const B<T> small = x * x / (k<T>(2) * (xsimd::sqrt(x * x + k<T>(1)) + k<T>(1))) + x;
    const B<T> large = x * (k<T>(1) + xsimd::copysign(k<T>(0.5) * q(x), x)) - k<T>(0.5);
    return xsimd::select(xsimd::abs(x) < k<T>(1), small, large);
  }
  B<T> df(B<T> x, B<T>) const {
    const B<T> small = x / (k<T>(2) * xsimd::sqrt(x * x + k<T>(1)));
    const B<T> large = xsimd::copysign(k<T>(0.5) / q(x), x);
    return k<T>(1) + xsimd::select(xsimd::abs(x) < k<T>(1), small, large);
  }
};
template <class T>
struct Silu {  // f' = s (1 + x (1 - s)), as PyTorch's backward
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const { return x * sigmoid<T>(x); }
  // As s + x s (1 - s), 1 - s from the exponential: f'(12) = 1 + 12 (1 - s) to the last bits. In
  // float within 2 ulps for x > 0 (1 over [2, 40]) and 5 for x < 0 away from its zero at -1.28.
  [[gnu::always_inline]] B<T> df(B<T> x, B<T>) const { return sigmoid_plus_slope<T>(x, x); }
};
template <class T>
struct Mish {  // x tanh(softplus(x)); f' = t + x sigmoid(x) (1 - t^2)
  // With v = e^-|x|, t = tanh(softplus(x)) is rational in v: (1 + 2v) / (1 + 2v + 2v^2) for
  // x >= 0, n / (n + 2) with n = v (v + 2) for x < 0; and sigmoid(x) (1 - t^2) is
  // 4 v^2 (1 + v) / den^2, resp. 4 v (1 + v) / den^2. One exponential, no overflow, and for
  // x >= 0 the distance to 1 (1 - t = 2 v^2 / den) is kept, which 1 - t^2 needs.
  static constexpr bool uses_x = true, uses_y = false;
  struct Parts {
    B<T> t, slope;  // t and sigmoid(x) (1 - t^2)
  };
  [[gnu::always_inline]] static Parts parts(B<T> x) {
    const B<T> v = exp_nonpositive_any<T>(-xsimd::abs(x)), one = k<T>(1);
    const auto right = x >= k<T>(0);
    const B<T> n = v * (v + k<T>(2)), v2 = v * v;
    const B<T> den = xsimd::select(right, xsimd::fma(k<T>(2), v2, one + (v + v)), n + k<T>(2));
    const B<T> r = one / den;
    const B<T> t = xsimd::select(right, one - (v2 + v2) * r, n * r);
    const B<T> slope = k<T>(4) * xsimd::select(right, v2, v) * (one + v) * (r * r);
    return {t, slope};
  }
  B<T> f(B<T> x) const { return x * parts(x).t; }
  B<T> df(B<T> x, B<T>) const {
    const Parts p = parts(x);
    return p.t + x * p.slope;
  }
};
template <class T>
struct LogSigmoid {  // -softplus(-x) = min(x, 0) - log1p(e^-|x|); f' = 1 - sigmoid(x)
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const {
    return xsimd::min(x, k<T>(0)) - xsimd::log1p(exp_nonpositive_any<T>(-xsimd::abs(x)));
  }
  B<T> df(B<T> x, B<T>) const { return sigmoid<T>(-x); }
};
// xsimd's sin and cos choose one argument reduction for a whole vector from its largest |x|
// (a scalar loop for every lane if any is above `mediumpi` or NaN), so a value's last bit
// depended on the values beside it: in float, 7% of x in [-62, 62] had another cos(x) beside a
// NaN. Each class of |x| goes through its own call instead: up to 20 pi (ordinary inputs, one
// call), up to mediumpi, and beyond, with inf and NaN; the other lanes of a call hold a value of
// the same class.
template <class T, class Trig>
[[gnu::always_inline]] inline B<T> trig_per_lane(B<T> x, Trig trig) {
  const B<T> a = xsimd::abs(x);
  const auto low = a <= xsimd::constants::twentypi<B<T>>();
  if (xsimd::all(low)) return trig(x);
  const auto medium = !low && a <= xsimd::constants::mediumpi<B<T>>();
  const auto high = !(low || medium);
  B<T> r = trig(xsimd::select(low, x, k<T>(0)));
  if (xsimd::any(medium)) r = xsimd::select(medium, trig(xsimd::select(medium, x, k<T>(100))), r);
  if (xsimd::any(high)) r = xsimd::select(high, trig(xsimd::select(high, x, k<T>(1e30))), r);
  return r;
}
template <class T>
B<T> sine(B<T> x) {
  return trig_per_lane(x, [](B<T> v) { return xsimd::sin(v); });
}
template <class T>
B<T> cosine(B<T> x) {
  return trig_per_lane(x, [](B<T> v) { return xsimd::cos(v); });
}

template <class T>
struct Sinusoid {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const { return sine(x); }
  B<T> df(B<T> x, B<T>) const { return cosine(x); }
};
template <class T>
struct Sinc {  // Taylor series near 0, where sin(x)/x and its derivative lose digits
  static constexpr bool uses_x = true, uses_y = false;
  B<T> f(B<T> x) const {
    const B<T> z = x * x;
    const B<T> series =
        k<T>(1) + z * (k<T>(-1.0 / 6) +
                       z * (k<T>(1.0 / 120) +
                            z * (k<T>(-1.0 / 5040) +
                                 z * (k<T>(1.0 / 362880) +
                                      z * (k<T>(-1.0 / 39916800) + z * k<T>(1.0 / 6227020800))))));
    return xsimd::select(xsimd::abs(x) < k<T>(0.5), series, sine(x) / x);
  }
  // The series sum_k (-1)^k 2k x^(2k-1) / (2k+1)! for |x| < 1, to k = 10 (the next term is
  // below 2e-18 of the sum): cos(x)/x - sin(x)/x^2 cancels by a factor x^2/3 near 0 (15 ulps
  // at x = 0.58, 3 at 1).
  B<T> df(B<T> x, B<T>) const {
    static constexpr double c[] = {-1.0 / 3,
                                   1.0 / 30,
                                   -1.0 / 840,
                                   1.0 / 45360,
                                   -1.0 / 3991680,
                                   1.0 / 518918400,
                                   -1.0 / 93405312000,
                                   1.0 / 22230464256000,
                                   -1.0 / 6758061133824000,
                                   1.0 / 2554547108585472000};
    const B<T> z = x * x;
    B<T> series = k<T>(c[9]);
    for (int i = 8; i >= 0; --i) series = series * z + k<T>(c[i]);
    const B<T> direct = cosine(x) / x - sine(x) / z;
    return xsimd::select(xsimd::abs(x) < k<T>(1), x * series, direct);
  }
};
template <class T>
struct Gaussian {
  static constexpr bool uses_x = true, uses_y = true;
  // e^-x^2 kept where subnormal (float); f' = 0 where f is, also at +-inf (not inf * 0).
  B<T> f(B<T> x) const { return exp_nonpositive_any<T>(-(x * x)); }
  B<T> df(B<T> x, B<T> y) const {
    return k<T>(-2) * xsimd::select(y == k<T>(0), xsimd::copysign(k<T>(0), x), x * y);
  }
};
// x / sqrt(1 + a x^2); f' = r^3 with r = 1 / sqrt(1 + a x^2). From |x| = 1 on, written with
// 1/x: r = (1/|x|) / sqrt(1/x^2 + a), f = sign(x) / sqrt(1/x^2 + a), so that a x^2 cannot
// overflow and f(+-inf) = +-1/sqrt(a).
template <class T>
struct Isru {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> a;
  explicit Isru(ActParams p) : a(k<T>(p.a)) {}
  B<T> f(B<T> x) const {
    const B<T> inv = k<T>(1) / x;
    const B<T> small = x / xsimd::sqrt(k<T>(1) + a * x * x);
    const B<T> large = xsimd::copysign(k<T>(1) / xsimd::sqrt(inv * inv + a), x);
    return xsimd::select(xsimd::abs(x) < k<T>(1), small, large);
  }
  B<T> df(B<T> x, B<T>) const {
    const B<T> inv = xsimd::abs(k<T>(1) / x);
    const B<T> r =
        xsimd::select(xsimd::abs(x) < k<T>(1), k<T>(1) / xsimd::sqrt(k<T>(1) + a * x * x),
                      inv / xsimd::sqrt(inv * inv + a));
    return r * r * r;
  }
};
template <class T>
struct Softplus {  // PyTorch: x where beta x > threshold, else log1p(exp(beta x)) / beta
  static constexpr bool uses_x = true, uses_y = false;
  B<T> beta, threshold;
  explicit Softplus(ActParams p) : beta(k<T>(p.a)), threshold(k<T>(p.b)) {}
  B<T> f(B<T> x) const {
    const B<T> z = beta * x;
    return xsimd::select(z > threshold, x, softplus<T>(z) / beta);
  }
  B<T> df(B<T> x, B<T>) const {
    const B<T> z = beta * x;
    return xsimd::select(z > threshold, k<T>(1), sigmoid<T>(z));
  }
};
// erfc; in double lane by lane with the C library's: xsimd 8's double erfc is NaN from |z| about
// 1e100 on and up to 6e-9 relative off in the tail (z = 26.5), 1e4 ulps in GELU at x = -4.1.
// Its float erfc is within float's rounding.
template <class T>
B<T> erfc_accurate(B<T> z) {
  if constexpr (std::is_same_v<T, float>) {
    return xsimd::erfc(z);
  } else {
    alignas(64) T lanes[B<T>::size];
    z.store_aligned(lanes);
    for (T& v : lanes) v = std::erfc(v);
    return B<T>::load_aligned(lanes);
  }
}
template <class T>
struct GeluErf {  // x Phi(x), Phi(x) = erfc(-x/sqrt 2) / 2 (erfc keeps the left tail's digits)
  static constexpr bool uses_x = true, uses_y = false;
  static B<T> cdf(B<T> x) { return k<T>(0.5) * erfc_accurate(x * k<T>(-0.70710678118654752440)); }
  B<T> f(B<T> x) const { return x * cdf(x); }
  B<T> df(B<T> x, B<T>) const {
    return cdf(x) + x * k<T>(0.39894228040143267794) * density_exp(k<T>(-0.5) * x * x);
  }
  // e^z (z <= 0) with subnormal results kept, where x phi(x) is still a normal number
  // (f'(-37.7) = -3.5e-308 in double; flushed, the sum was cdf's +2.5e-311). xsimd's exp
  // elsewhere: xgrad's float exp for z <= 0 made eltwise gelu 5% slower.
  static B<T> density_exp(B<T> z) {
    const B<T> e = xsimd::exp(z);
    const auto tiny = z < k<T>(std::is_same_v<T, float> ? -87 : -708);
    if (!xsimd::any(tiny)) return e;
    return xsimd::select(tiny, exp_nonpositive_any<T>(z), e);
  }
};
template <class T>
struct GeluTanh {  // 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3)
  // 0.5 (1 + tanh(u)) = sigmoid(2u): one exp instead of a tanh, no cancellation anywhere.
  static constexpr bool uses_x = true, uses_y = false;
  static B<T> inner(B<T> x) {
    return k<T>(0.79788456080286535588) * (x + k<T>(0.044715) * x * x * x);
  }
  B<T> f(B<T> x) const { return x * sigmoid<T>(k<T>(2) * inner(x)); }
  // s + x (1 - tanh^2) u' / 2 with 1 - tanh^2 = 4 s (1 - s), s = sigmoid(2u).
  static B<T> slope(B<T> x) {
    return (k<T>(2) * x) * (k<T>(0.79788456080286535588) * (k<T>(1) + k<T>(3 * 0.044715) * x * x));
  }
  // Where s (1 - s) is 0 the slope takes x limited to |x| <= 1e4: beyond, x^3 overflowed and
  // inf * 0 made f' NaN for finite x (from |x| = 1.5e13 in float). At +-inf it stays NaN, as in
  // PyTorch (x * 0 adds NaN).
  [[gnu::always_inline]] B<T> df(B<T> x, B<T>) const {
    return sigmoid_plus_slope<T>(k<T>(2) * inner(x), slope(x), [x] {
      const auto large = xsimd::abs(x) > k<T>(1e4);
      return slope(xsimd::select(large, xsimd::copysign(k<T>(1e4), x) + x * k<T>(0), x));
    });
  }
};
// Two-valued derivatives: f'(x) = keep(x) ? on : off. Forward saves keep(x) as one bit per
// element (two_valued = true), so backward reads 1/32 (float) of the bytes of x. keep follows
// PyTorch's backward test at NaN, so a NaN input's gradient is the one PyTorch gives.
template <class T>
using Bool = xsimd::batch_bool<T>;

template <class F, class T>
B<T> two_valued_df(const F& op, B<T> x) {
  return xsimd::select(op.keep(x), op.on(), op.off());
}

template <class T>
struct Relu {  // select keeps NaN (relu(NaN) = NaN in PyTorch); f'(0) = 0
  // PyTorch's backward zeroes the gradient where x <= 0, so it passes at NaN.
  static constexpr bool uses_x = true, uses_y = false, two_valued = true;
  B<T> f(B<T> x) const { return xsimd::select(x < k<T>(0), k<T>(0), x); }
  Bool<T> keep(B<T> x) const { return !(x <= k<T>(0)); }
  B<T> on() const { return k<T>(1); }
  B<T> off() const { return k<T>(0); }
  B<T> df(B<T> x, B<T>) const { return two_valued_df(*this, x); }
};
template <class T>
struct Hardtanh {  // PyTorch: gradient only strictly inside (min, max), and at NaN
  static constexpr bool uses_x = true, uses_y = false, two_valued = true;
  B<T> lo, hi;
  explicit Hardtanh(ActParams p) : lo(k<T>(p.a)), hi(k<T>(p.b)) {}
  B<T> f(B<T> x) const { return clamp<T>(x, lo, hi); }
  Bool<T> keep(B<T> x) const { return !((x <= lo) | (x >= hi)); }
  B<T> on() const { return k<T>(1); }
  B<T> off() const { return k<T>(0); }
  B<T> df(B<T> x, B<T>) const { return two_valued_df(*this, x); }
};
template <class T>
struct LeakyRelu {  // f'(0) = slope (left derivative, as PyTorch), and at NaN
  static constexpr bool uses_x = true, uses_y = false, two_valued = true;
  B<T> slope;
  explicit LeakyRelu(ActParams p) : slope(k<T>(p.a)) {}
  B<T> f(B<T> x) const { return xsimd::select(x > k<T>(0), x, slope * x); }
  Bool<T> keep(B<T> x) const { return x > k<T>(0); }
  B<T> on() const { return k<T>(1); }
  B<T> off() const { return slope; }
  B<T> df(B<T> x, B<T>) const { return two_valued_df(*this, x); }
};
template <class T>
struct Isrlu {
  static constexpr bool uses_x = true, uses_y = false;
  Isru<T> isru;
  explicit Isrlu(ActParams p) : isru(p) {}
  B<T> f(B<T> x) const { return xsimd::select(x >= k<T>(0), x, isru.f(x)); }
  B<T> df(B<T> x, B<T> y) const { return xsimd::select(x >= k<T>(0), k<T>(1), isru.df(x, y)); }
};
// e^z - 1 for z <= 0 in float, as expm1 libraries do it: z = n ln2 + s with |s| <= ln2/2, then
// e^z - 1 = 2^n (e^s - 1) + (2^n - 1), with e^s - 1 from its Taylor series to degree 7 (error
// below 1e-9 relative: no cancellation near z = 0, where n = 0) and 2^n - 1 exact; one code path
// for every z, about half the instructions of e^z - 1 beside a series near 0. z is clamped to
// [-87, 0]: from -17.4 on the result rounds to -1 (2^n >= 2^-126 stays a normal float), and
// z > 0 gives 0 (callers select another branch there). NaN stays NaN (see ExpNeg).
// It also gives e^z = 2^n (e^s - 1) + 2^n for one multiply-add more (ELU's value and derivative
// together), within an ulp for z >= -87; below, where e^z is subnormal, the clamp holds it at
// e^-87 (callers take exp_nonpositive there).
struct Expm1Exp {
  B<float> expm1, exp;
};
[[gnu::always_inline]] inline Expm1Exp expm1_exp_nonpositive_float(B<float> z) {
  using F = B<float>;
  z = xsimd::max(F(-87.f), xsimd::min(F(0.f), z));
  const F magic = rounding_magic(127);  // n = round(z / ln2), see power_of_two
  const F shifted = xsimd::fma(z, F(1.44269504088896341f), magic);
  const F n = shifted - magic;
  const F s = xsimd::fma(n, F(2.12194440e-4f), xsimd::fma(n, F(-0.693359375f), z));
  F p(1.f / 5040);
  p = xsimd::fma(p, s, F(1.f / 720));
  p = xsimd::fma(p, s, F(1.f / 120));
  p = xsimd::fma(p, s, F(1.f / 24));
  p = xsimd::fma(p, s, F(1.f / 6));
  p = xsimd::fma(p, s, F(0.5f));
  const F e_s_minus_1 = xsimd::fma(p * s, s, s);
  const F two_n = power_of_two(shifted);
  return {xsimd::fma(two_n, e_s_minus_1, two_n - F(1.f)), xsimd::fma(two_n, e_s_minus_1, two_n)};
}
[[gnu::always_inline]] inline B<float> expm1_nonpositive_float(B<float> z) {
  return expm1_exp_nonpositive_float(z).expm1;
}
// e^z from expm1_exp_nonpositive_float(z), with exp_nonpositive's where it is subnormal (z < -87,
// a branch inputs of ordinary size never take).
[[gnu::always_inline]] inline B<float> exp_beside_expm1(B<float> z, const Expm1Exp& both) {
  const auto subnormal = z < B<float>(-87.f);
  if (!xsimd::any(subnormal)) return both.exp;
  return xsimd::select(subnormal, exp_nonpositive(z), both.exp);
}

// e^z - 1 for z <= 0 (any value for z > 0): xgrad's above in float, xsimd::expm1 in double.
template <class T>
[[gnu::always_inline]] inline B<T> expm1_nonpositive(B<T> z) {
  if constexpr (std::is_same_v<T, float>) {
    return expm1_nonpositive_float(z);
  } else {
    return xsimd::expm1(z);
  }
}

// scale * (x > 0 ? x : alpha (e^(x/width) - 1)): ELU (scale 1, width 1), SELU (kScaled), CELU
// (kWidened). ELU skips the multiplies by 1 (an eighth of its instructions; the same bits). The
// exponent x/width is <= 0 there unless width < 0 (CELU with a negative alpha), which takes
// exp_any and expm1_any instead of the faster ones for z <= 0.
template <class T, bool kScaled = false, bool kWidened = false>
struct Elu {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> alpha, scale, inv_width, slope;  // slope = alpha / width, the factor of e^z in f'
  bool positive_width;
  Elu(double a, double s, double w)
      : alpha(k<T>(a)),
        scale(k<T>(s)),
        inv_width(k<T>(1 / w)),
        slope(alpha * inv_width),
        positive_width(w > 0) {}
  explicit Elu(ActParams p) : Elu(p.a, 1, 1) {}
  B<T> exponent(B<T> x) const {
    if constexpr (kWidened) return x * inv_width;
    return x;
  }
  B<T> scaled(B<T> v) const {
    if constexpr (kScaled) return scale * v;
    return v;
  }
  bool fast_exp() const { return !kWidened || positive_width; }
  B<T> f(B<T> x) const {
    const B<T> z = exponent(x);
    const B<T> e = fast_exp() ? expm1_nonpositive<T>(z) : expm1_any<T>(z);
    return scaled(xsimd::select(x > k<T>(0), x, alpha * e));
  }
  // f'(0) = scale alpha / width, the left derivative; at NaN scale, as PyTorch's test x <= 0
  // gives. Forced inline, as derivative() below.
  [[gnu::always_inline]] B<T> df(B<T> x, B<T>) const {
    const B<T> z = exponent(x);
    return derivative_from(x, fast_exp() ? exp_nonpositive_any<T>(z) : exp_any<T>(z));
  }
  // f and f' from one range reduction in float (e^z - 1 and e^z share it), for the forward pass
  // that saves f' (the fused Linear + ELU): in the deep benchmark's 20 ELU layers 6.8 us on a
  // Zen 4, where f and df apart took 5.6 + 4.8. f' may differ from df's in the last bit (another
  // exp, also within an ulp of e^z): df keeps its own, faster where it runs alone (the ELU
  // node's backward).
  [[gnu::always_inline]] ValueAndDerivative<T> f_df(B<T> x) const {
    if constexpr (std::is_same_v<T, float>) {
      if (fast_exp()) {
        const B<T> z = exponent(x);
        const Expm1Exp both = expm1_exp_nonpositive_float(z);
        return {scaled(xsimd::select(x > k<T>(0), x, alpha * both.expm1)),
                derivative_from(x, exp_beside_expm1(z, both))};
      }
    }
    const B<T> y = f(x);
    return {y, df(x, y)};
  }
  B<T> derivative_from(B<T> x, B<T> e) const {
    return scaled(xsimd::select(x <= k<T>(0), slope * e, k<T>(1)));
  }
};
template <class T>
struct Selu : Elu<T, true> {  // the self-normalising constants (Klambauer et al. 2017)
  Selu() : Elu<T, true>(1.6732632423543772848170429916717, 1.0507009873554804934193349852946, 1) {}
};
template <class T>
struct Celu : Elu<T, false, true> {  // PyTorch: max(0, x) + min(0, alpha (e^(x/alpha) - 1))
  explicit Celu(ActParams p) : Elu<T, false, true>(p.a, 1, p.a) {}
};
template <class T>
struct Relu6 : Hardtanh<T> {
  Relu6() : Hardtanh<T>(ActParams{0, 6}) {}
};
template <class T>
struct Hardsigmoid {  // relu6(x + 3) / 6; PyTorch: gradient 1/6 strictly inside (-3, 3), 0 at NaN
  static constexpr bool uses_x = true, uses_y = false, two_valued = true;
  // Divided, as PyTorch's kernel: times a rounded 1/6 differs in the last bit for some x.
  B<T> f(B<T> x) const { return clamp<T>(x + k<T>(3), k<T>(0), k<T>(6)) / k<T>(6); }
  Bool<T> keep(B<T> x) const { return (x > k<T>(-3)) & (x < k<T>(3)); }
  B<T> on() const { return k<T>(1.0 / 6); }
  B<T> off() const { return k<T>(0); }
  B<T> df(B<T> x, B<T>) const { return two_valued_df(*this, x); }
};
template <class T>
struct Hardswish {  // x relu6(x + 3) / 6; PyTorch: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above
  static constexpr bool uses_x = true, uses_y = false;
  // Divided, as PyTorch's kernels: with a rounded 1/3, f'(-3) was 1 ulp from -1/2 and f'(-1.5)
  // 2.8e-17 instead of 0.
  B<T> f(B<T> x) const { return x * clamp<T>(x + k<T>(3), k<T>(0), k<T>(6)) / k<T>(6); }
  B<T> df(B<T> x, B<T>) const {
    return xsimd::select(x < k<T>(-3), k<T>(0),
                         xsimd::select(x <= k<T>(3), x / k<T>(3) + k<T>(0.5), k<T>(1)));
  }
};

// (x + s) / 2 with s = sqrt(x^2 + b); below 0 as b / (2 (s - x)), the same value without the
// cancellation of x + s. f' = (1 + x/s) / 2, below 0 as y / s (again no cancellation). From
// |x| = 1 on, s = |x| sqrt(1 + b/x^2) and x/s = sign(x) / sqrt(1 + b/x^2), so that x^2 cannot
// overflow and f'(inf) = 1.
template <class T>
struct Squareplus {
  static constexpr bool uses_x = true, uses_y = true;
  B<T> b;
  explicit Squareplus(ActParams p) : b(k<T>(p.a)) {}
  B<T> root(B<T> x) const { return xsimd::sqrt(k<T>(1) + b / x / x); }  // s / |x|, for |x| >= 1
  B<T> s(B<T> x, B<T> root_x) const {
    return xsimd::select(xsimd::abs(x) < k<T>(1), xsimd::sqrt(x * x + b), xsimd::abs(x) * root_x);
  }
  B<T> f(B<T> x) const {  // b / (2 (s - x)) from x = -1 on as (b / 2|x|) / (s/|x| + 1): no overflow
    const B<T> q = root(x), r = s(x, q);
    const B<T> left = xsimd::select(x > k<T>(-1), b / (k<T>(2) * (r - x)),
                                    b * k<T>(0.5) / xsimd::abs(x) / (q + k<T>(1)));
    return xsimd::select(x > k<T>(0), x * k<T>(0.5) + r * k<T>(0.5), left);
  }
  B<T> df(B<T> x, B<T> y) const {
    const B<T> q = root(x), r = s(x, q);
    const B<T> x_over_s = xsimd::select(x < k<T>(1), x / r, k<T>(1) / q);
    return xsimd::select(x > k<T>(0), k<T>(0.5) + k<T>(0.5) * x_over_s, y / r);
  }
};

// ---- the two loops; the tail is padded into a full batch so every lane runs the same code ----
// The loops are flattened (every call in them inlined, recursively): in the large dispatch
// functions GCC's growth limits otherwise left some activations' f or f' out of line, a call per
// vector that reloads every constant (tanh, softplus, mish and others; inlined, eltwise tanh's
// step took 6-9% less and the tiny MLP's 3%).

template <class T, class F>
[[gnu::flatten]] void forward_loop(const F& op, const T* x, T* y, std::size_t n) {
  constexpr std::size_t L = B<T>::size;
  std::size_t i = 0;
  for (; i + L <= n; i += L) op.f(B<T>::load_unaligned(x + i)).store_unaligned(y + i);
  if (i < n) {
    alignas(64) T xt[L] = {}, yt[L];
    copy_range(x + i, x + n, xt);
    op.f(B<T>::load_aligned(xt)).store_aligned(yt);
    copy_range(yt, yt + (n - i), y + i);
  }
}

// The incoming gradient: an array, or one value everywhere.
// at(i): the same seen from element i; copy_tail(i, n, t) / padded(t): elements [i, n) copied
// into a zero-padded buffer t, and the gradient read from it.
template <class T>
struct ArrayGrad {
  const T* g;
  B<T> load(std::size_t i) const { return B<T>::load_unaligned(g + i); }
  B<T> load_tail(std::size_t i, std::size_t n) const {
    alignas(64) T t[B<T>::size] = {};
    copy_range(g + i, g + n, t);
    return B<T>::load_aligned(t);
  }
  ArrayGrad at(std::size_t i) const { return {g + i}; }
  void copy_tail(std::size_t i, std::size_t n, T* t) const { copy_range(g + i, g + n, t); }
  ArrayGrad padded(const T* t) const { return {t}; }
};
template <class T>
struct UniformGrad {
  B<T> value;
  B<T> load(std::size_t) const { return value; }
  B<T> load_tail(std::size_t, std::size_t) const { return value; }
  UniformGrad at(std::size_t) const { return *this; }
  void copy_tail(std::size_t, std::size_t, T*) const {}
  UniformGrad padded(const T*) const { return *this; }
};

template <class T, class F>
B<T> derivative(const F& op, const T* x, const T* y) {
  const B<T> xv = F::uses_x ? B<T>::load_unaligned(x) : k<T>(0);
  const B<T> yv = F::uses_y ? B<T>::load_unaligned(y) : k<T>(0);
  return op.df(xv, yv);
}

template <class T, class F, class G>
[[gnu::flatten]] void backward_loop(const F& op, const T* x, const T* y, const G& g, T* dx,
                                    std::size_t n, bool accumulate) {
  constexpr std::size_t L = B<T>::size;
  std::size_t i = 0;
  if (accumulate) {
    for (; i + L <= n; i += L)
      (B<T>::load_unaligned(dx + i) + g.load(i) * derivative(op, x + i, y + i))
          .store_unaligned(dx + i);
  } else {
    for (; i + L <= n; i += L) (g.load(i) * derivative(op, x + i, y + i)).store_unaligned(dx + i);
  }
  if (i < n) {
    alignas(64) T xt[L] = {}, yt[L] = {}, dt[L];
    copy_range(x + i, x + n, xt);
    copy_range(y + i, y + n, yt);
    (g.load_tail(i, n) * derivative(op, xt, yt)).store_aligned(dt);
    for (std::size_t j = i; j < n; ++j) dx[j] = accumulate ? dx[j] + dt[j - i] : dt[j - i];
  }
}

// ---- saved derivatives: forward writes f'(x) beside f(x), backward multiplies by it ----

// Whether F computes f and f' together (f_df) in fewer instructions than apart.
template <class F, class = void>
struct HasFdf : std::false_type {};
template <class F>
struct HasFdf<F, std::void_t<decltype(&F::f_df)>> : std::true_type {};

template <class T, class F>
[[gnu::flatten]] void forward_derivative_loop(const F& op, const T* x, T* y, T* d, std::size_t n) {
  constexpr std::size_t L = B<T>::size;
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const ValueAndDerivative<T> v = op.f_df(B<T>::load_unaligned(x + i));
    v.y.store_unaligned(y + i);
    v.d.store_unaligned(d + i);
  }
  if (i < n) {
    alignas(64) T xt[L] = {}, yt[L], dt[L];
    copy_range(x + i, x + n, xt);
    const ValueAndDerivative<T> v = op.f_df(B<T>::load_aligned(xt));
    v.y.store_aligned(yt);
    v.d.store_aligned(dt);
    copy_range(yt, yt + (n - i), y + i);
    copy_range(dt, dt + (n - i), d + i);
  }
}

// The derivative forward_derivative_loop saved, read by backward_loop in place of x.
template <class T>
struct SavedDerivative {
  static constexpr bool uses_x = true, uses_y = false;
  B<T> df(B<T> d, B<T>) const { return d; }
};

// ---- two-valued derivatives: forward saves a bit per element, backward reads only the bits ----

// Whether F's derivative takes two values picked by keep(x) (see Relu).
template <class F, class = void>
struct TwoValued : std::false_type {};
template <class F>
struct TwoValued<F, std::void_t<decltype(F::two_valued)>> : std::bool_constant<F::two_valued> {};

// A fused Linear + activation saves f'(x) instead of x when F computes f and f' together (f_df:
// ELU's exponential); backward is then one multiply. For the others it would only move f' from
// backward to forward.
template <class F>
constexpr bool saves_derivative = HasFdf<F>::value;

// A comparison's lanes as bits (lane j = bit j) and back, with each instruction set's own
// instructions: a compare already is a bit mask in AVX-512; movemask gathers the lanes' sign
// bits in SSE2/AVX2, and one AND + compare of the broadcast bits spreads them out again.
template <class T>
std::uint64_t to_bits(Bool<T> b) {
#if defined(__AVX512F__)
  return std::uint64_t(b.data);
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>)
    return std::uint64_t(_mm256_movemask_ps(b));
  else
    return std::uint64_t(_mm256_movemask_pd(b));
#elif defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>)
    return std::uint64_t(_mm_movemask_ps(b));
  else
    return std::uint64_t(_mm_movemask_pd(b));
#else
  alignas(64) bool lanes[B<T>::size];
  b.store_aligned(lanes);
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < B<T>::size; ++j) bits |= std::uint64_t(lanes[j]) << j;
  return bits;
#endif
}

template <class T>
Bool<T> from_bits(std::uint64_t bits) {
#if defined(__AVX512F__)
  return Bool<T>(typename Bool<T>::register_type(bits));
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<T, float>) {
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i set = _mm256_and_si256(_mm256_set1_epi32(int(bits & 0xff)), lanes);
    return Bool<T>(_mm256_castsi256_ps(_mm256_cmpeq_epi32(set, lanes)));
  } else {
    const __m256i lanes = _mm256_setr_epi64x(1, 2, 4, 8);
    const __m256i set =
        _mm256_and_si256(_mm256_set1_epi64x(static_cast<long long>(bits & 0xf)), lanes);
    return Bool<T>(_mm256_castsi256_pd(_mm256_cmpeq_epi64(set, lanes)));
  }
#elif defined(__SSE2__)
  if constexpr (std::is_same_v<T, float>) {
    const __m128i lanes = _mm_setr_epi32(1, 2, 4, 8);
    const __m128i set = _mm_and_si128(_mm_set1_epi32(int(bits & 0xf)), lanes);
    return Bool<T>(_mm_castsi128_ps(_mm_cmpeq_epi32(set, lanes)));
  } else {  // both 32-bit halves of a lane test the lane's bit
    const __m128i lanes = _mm_setr_epi32(1, 1, 2, 2);
    const __m128i set = _mm_and_si128(_mm_set1_epi32(int(bits & 0x3)), lanes);
    return Bool<T>(_mm_castsi128_pd(_mm_cmpeq_epi32(set, lanes)));
  }
#else
  alignas(64) bool lanes[B<T>::size];
  for (std::size_t j = 0; j < B<T>::size; ++j) lanes[j] = (bits >> j) & 1;
  return Bool<T>::load_aligned(lanes);
#endif
}

// Elements per mask word: bit i % 64 of word i / 64 is element i's.
constexpr std::size_t kWord = 64;

// y = f(x) and the bits keep(x) of 64 elements at x (all readable), the bits past `count` 0.
template <class T, class F>
[[gnu::flatten]] std::uint64_t forward_word(const F& op, const T* x, T* y, std::size_t count) {
  constexpr std::size_t L = B<T>::size;
  std::uint64_t bits = 0;
  for (std::size_t j = 0; j < kWord; j += L) {
    const B<T> xv = B<T>::load_unaligned(x + j);
    op.f(xv).store_unaligned(y + j);
    bits |= to_bits<T>(op.keep(xv)) << j;
  }
  return count == kWord ? bits : bits & ((std::uint64_t(1) << count) - 1);
}

template <class T, class F>
void forward_mask_loop(const F& op, const T* x, T* y, std::uint64_t* mask, std::size_t n) {
  std::size_t i = 0;
  for (; i + kWord <= n; i += kWord) mask[i / kWord] = forward_word(op, x + i, y + i, kWord);
  if (i < n) {  // padded to a whole word
    alignas(64) T xt[kWord] = {}, yt[kWord];
    copy_range(x + i, x + n, xt);
    mask[i / kWord] = forward_word(op, xt, yt, n - i);
    copy_range(yt, yt + (n - i), y + i);
  }
}

// dx = g f' (or += when accumulate) over 64 elements, f' picked by the bits.
template <class T, class F, class G>
[[gnu::flatten]] void backward_word(const F& op, std::uint64_t bits, const G& g, T* dx,
                                    bool accumulate) {
  constexpr std::size_t L = B<T>::size;
  for (std::size_t j = 0; j < kWord; j += L) {
    const B<T> gv = g.load(j);
    B<T> d = xsimd::select(from_bits<T>(bits >> j), gv * op.on(), gv * op.off());
    if (accumulate) d += B<T>::load_unaligned(dx + j);
    d.store_unaligned(dx + j);
  }
}

template <class T, class F, class G>
void backward_mask_loop(const F& op, const std::uint64_t* mask, const G& g, T* dx, std::size_t n,
                        bool accumulate) {
  std::size_t i = 0;
  for (; i + kWord <= n; i += kWord)
    backward_word(op, mask[i / kWord], g.at(i), dx + i, accumulate);
  if (i < n) {  // padded to a whole word
    alignas(64) T gt[kWord] = {}, dt[kWord] = {};
    g.copy_tail(i, n, gt);
    if (accumulate) copy_range(dx + i, dx + n, dt);
    backward_word(op, mask[i / kWord], g.padded(gt), dt, accumulate);
    copy_range(dt, dt + (n - i), dx + i);
  }
}

// The functor of F's row, from the call's hyper-parameters.
template <class F>
F make_functor(ActParams p) {
  if constexpr (std::is_constructible_v<F, ActParams>) {
    return F(p);
  } else {
    return F();
  }
}

// Calls fn(functor) with the functor of `act`: one case per fused row of the activation list.
template <class T, class Fn>
void with_activation(Act act, ActParams p, Fn&& fn) {
#define XG_KERNEL_CASE(name, Layer, Functor, ...) \
  case Act::Functor:                              \
    return fn(make_functor<Functor<T>>(p));
  switch (act) { XG_ACTIVATION_LIST(XG_KERNEL_CASE, XG_KERNEL_CASE, XG_ACTIVATION_SKIP) }
#undef XG_KERNEL_CASE
}

}  // namespace

template <class T>
void activation_forward(Act act, ActParams p, const T* x, T* y, std::size_t n) {
  with_activation<T>(act, p, [&](const auto& op) { forward_loop(op, x, y, n); });
}

template <class T>
void activation_backward(Act act, ActParams p, const T* x, const T* y, const T* g, T* dx,
                         std::size_t n, bool accumulate) {
  with_activation<T>(
      act, p, [&](const auto& op) { backward_loop(op, x, y, ArrayGrad<T>{g}, dx, n, accumulate); });
}

template <class T>
void activation_backward_uniform(Act act, ActParams p, const T* x, const T* y, T g, T* dx,
                                 std::size_t n, bool accumulate) {
  with_activation<T>(act, p, [&](const auto& op) {
    backward_loop(op, x, y, UniformGrad<T>{B<T>(g)}, dx, n, accumulate);
  });
}

template <class T>
void activation_forward_derivative(Act act, ActParams p, const T* x, T* y, T* d, std::size_t n) {
  with_activation<T>(act, p, [&](const auto& op) {
    if constexpr (saves_derivative<std::decay_t<decltype(op)>>)
      forward_derivative_loop(op, x, y, d, n);
  });
}

template <class T>
void derivative_backward(const T* d, const T* g, T* dx, std::size_t n, bool accumulate) {
  backward_loop(SavedDerivative<T>{}, d, d, ArrayGrad<T>{g}, dx, n, accumulate);
}

template <class T>
void derivative_backward_uniform(const T* d, T g, T* dx, std::size_t n, bool accumulate) {
  backward_loop(SavedDerivative<T>{}, d, d, UniformGrad<T>{B<T>(g)}, dx, n, accumulate);
}

bool activation_saves_derivative(Act act) {
  bool saves = false;
  with_activation<float>(act, ActParams{}, [&](const auto& op) {
    saves = saves_derivative<std::decay_t<decltype(op)>>;
  });
  return saves;
}

bool activation_has_mask(Act act) {
  bool two_valued = false;
  with_activation<float>(act, ActParams{}, [&](const auto& op) {
    two_valued = TwoValued<std::decay_t<decltype(op)>>::value;
  });
  return two_valued;
}

bool activation_reads_input(Act act) {
  bool reads = false;
  with_activation<float>(act, ActParams{},
                         [&](const auto& op) { reads = std::decay_t<decltype(op)>::uses_x; });
  return reads;
}

template <class T>
void activation_forward_mask(Act act, ActParams p, const T* x, T* y, std::uint64_t* mask,
                             std::size_t n) {
  with_activation<T>(act, p, [&](const auto& op) {
    if constexpr (TwoValued<std::decay_t<decltype(op)>>::value)
      forward_mask_loop(op, x, y, mask, n);
  });
}

template <class T>
void activation_backward_mask(Act act, ActParams p, const std::uint64_t* mask, const T* g, T* dx,
                              std::size_t n, bool accumulate) {
  with_activation<T>(act, p, [&](const auto& op) {
    if constexpr (TwoValued<std::decay_t<decltype(op)>>::value)
      backward_mask_loop(op, mask, ArrayGrad<T>{g}, dx, n, accumulate);
  });
}

template <class T>
void activation_backward_mask_uniform(Act act, ActParams p, const std::uint64_t* mask, T g, T* dx,
                                      std::size_t n, bool accumulate) {
  with_activation<T>(act, p, [&](const auto& op) {
    if constexpr (TwoValued<std::decay_t<decltype(op)>>::value)
      backward_mask_loop(op, mask, UniformGrad<T>{B<T>(g)}, dx, n, accumulate);
  });
}

// ---- activations with a parameter per channel (PReLU, Swish-beta) ----
namespace {

template <class T>
B<T> load_partial(const T* p, std::size_t count) {
  if (count == B<T>::size) return B<T>::load_unaligned(p);
  alignas(64) T t[B<T>::size] = {};
  copy_range(p, p + count, t);
  return B<T>::load_aligned(t);
}

template <class T>
void store_partial(B<T> v, T* p, std::size_t count) {
  if (count == B<T>::size) return v.store_unaligned(p);
  alignas(64) T t[B<T>::size];
  v.store_aligned(t);
  copy_range(t, t + count, p);
}

// Calls fn(offset, count, w_batch, channel_of_lane0) over x's elements in runs of at most one
// batch. With inner == 1 the channel varies along the run (w is loaded as a vector); otherwise it
// is constant along the run (w is broadcast).
template <class T, class Fn>
void channel_runs(const T* w, std::size_t outer, std::size_t channels, std::size_t inner, Fn&& fn) {
  constexpr std::size_t L = B<T>::size;
  if (inner == 1) {
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t c = 0; c < channels; c += L) {
        const std::size_t count = std::min(L, channels - c);
        fn(o * channels + c, count, load_partial(w + c, count), c);
      }
    return;
  }
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t c = 0; c < channels; ++c)
      for (std::size_t i = 0; i < inner; i += L)
        fn((o * channels + c) * inner + i, std::min(L, inner - i), B<T>(w[c]), c);
}

// Activations with one parameter p per channel, on batches: f(x, p), and d(x, p) = {df/dx,
// df/dp}.
template <class T>
struct Derivatives {
  B<T> dx, dp;
};
// At 0 the left piece: df/dx = p, df/dp = 0. Neither selects x itself: the compilers fold that
// select into a masked load, which made the forward take 1.5 times as long on an AMD Zen 4.
template <class T>
struct Prelu {
  B<T> f(B<T> x, B<T> p) const { return x * xsimd::select(x > k<T>(0), k<T>(1), p); }  // x 1 = x
  Derivatives<T> d(B<T> x, B<T> p) const {
    // min(0, x) is x where x <= 0 and 0 where x > 0; for NaN x it is x (the min instructions
    // return their second operand when either is NaN), as the left piece gives.
    return {xsimd::select(x > k<T>(0), k<T>(1), p), xsimd::min(k<T>(0), x)};
  }
};

// x sigmoid(p x): df/dx = s + p x s (1 - s), df/dp = x^2 s (1 - s), as x (x s (1 - s)): x^2
// overflows first (from |x| = 1.8e19 in float) where s (1 - s) is 0.
template <class T>
struct SwishBeta {
  B<T> f(B<T> x, B<T> p) const { return x * sigmoid<T>(p * x); }
  Derivatives<T> d(B<T> x, B<T> p) const {
    const SigmoidPair<T> sp = sigmoid_pair<T>(p * x);
    const B<T> slope = sp.s * sp.one_minus_s;
    return {sp.s + p * x * slope, x * (x * slope)};
  }
};

template <class T, class Fn>
void with_channel_op(ChannelAct act, Fn&& fn) {
  if (act == ChannelAct::PReLU) return fn(Prelu<T>{});
  return fn(SwishBeta<T>{});
}

}  // namespace

template <class T>
void channel_forward(ChannelAct act, const T* x, const T* w, T* y, std::size_t outer,
                     std::size_t channels, std::size_t inner) {
  with_channel_op<T>(act, [&](const auto& op) {
    channel_runs<T>(w, outer, channels, inner,
                    [&](std::size_t off, std::size_t n, B<T> wv, std::size_t) {
                      store_partial(op.f(load_partial(x + off, n), wv), y + off, n);
                    });
  });
}

// One element batch of the backward: dx (op)= g df/dx; returns g df/dp.
template <class T, class Op>
B<T> channel_backward_batch(const Op& op, const T* x, const T* g, T* dx, std::size_t n, B<T> wv,
                            bool accumulate) {
  const B<T> xv = load_partial(x, n), gv = load_partial(g, n);
  const Derivatives<T> dv = op.d(xv, wv);
  if (dx) {
    B<T> d = gv * dv.dx;
    if (accumulate) d += load_partial(dx, n);
    store_partial(d, dx, n);
  }
  return gv * dv.dp;
}

// The backward of a [outer, channels] input (inner == 1), a block of kBlock vectors of channels
// at a time, down all the rows: each vector's parameter gradient is summed in a register (a sum
// in memory would make every row wait for the store of the one before). Each lane adds the rows
// in order, as the row-major loop did.
template <class T, class Op>
void channel_backward_rows(const Op& op, const T* x, const T* w, const T* g, T* dx, T* dw,
                           std::size_t outer, std::size_t channels, bool accumulate) {
  constexpr std::size_t L = B<T>::size, kBlock = 4;
  for (std::size_t c0 = 0; c0 < channels; c0 += kBlock * L) {
    std::size_t count[kBlock];
    B<T> wv[kBlock], sum[kBlock];
    for (std::size_t v = 0; v < kBlock; ++v) {
      count[v] = std::min(L, channels - std::min(channels, c0 + v * L));
      wv[v] = count[v] ? load_partial(w + c0 + v * L, count[v]) : B<T>(T(0));
      sum[v] = B<T>(T(0));
    }
    for (std::size_t o = 0; o < outer; ++o) {
      const std::size_t row = o * channels + c0;
#pragma GCC unroll 4
      for (std::size_t v = 0; v < kBlock; ++v)
        if (count[v])
          sum[v] +=
              channel_backward_batch(op, x + row + v * L, g + row + v * L,
                                     dx ? dx + row + v * L : nullptr, count[v], wv[v], accumulate);
    }
    if (dw)
      for (std::size_t v = 0; v < kBlock && count[v]; ++v) {
        T* d = dw + c0 + v * L;
        store_partial(load_partial(d, count[v]) + sum[v], d, count[v]);
      }
  }
}

template <class T>
void channel_backward(ChannelAct act, const T* x, const T* w, const T* g, T* dx, T* dw,
                      std::size_t outer, std::size_t channels, std::size_t inner, bool accumulate) {
  if (inner == 1)
    return with_channel_op<T>(act, [&](const auto& op) {
      channel_backward_rows(op, x, w, g, dx, dw, outer, channels, accumulate);
    });
  // Channels along the outer axes: one sum per run. Padded lanes have x = g = 0 and add 0.
  with_channel_op<T>(act, [&](const auto& op) {
    channel_runs<T>(w, outer, channels, inner,
                    [&](std::size_t off, std::size_t n, B<T> wv, std::size_t c) {
                      const B<T> dp = channel_backward_batch(
                          op, x + off, g + off, dx ? dx + off : nullptr, n, wv, accumulate);
                      if (dw) dw[c] += xsimd::hadd(dp);
                    });
  });
}

template void channel_forward(ChannelAct, const float*, const float*, float*, std::size_t,
                              std::size_t, std::size_t);
template void channel_forward(ChannelAct, const double*, const double*, double*, std::size_t,
                              std::size_t, std::size_t);
template void channel_backward(ChannelAct, const float*, const float*, const float*, float*, float*,
                               std::size_t, std::size_t, std::size_t, bool);
template void channel_backward(ChannelAct, const double*, const double*, const double*, double*,
                               double*, std::size_t, std::size_t, std::size_t, bool);

template void activation_forward(Act, ActParams, const float*, float*, std::size_t);
template void activation_forward(Act, ActParams, const double*, double*, std::size_t);
template void activation_backward(Act, ActParams, const float*, const float*, const float*, float*,
                                  std::size_t, bool);
template void activation_backward(Act, ActParams, const double*, const double*, const double*,
                                  double*, std::size_t, bool);
template void activation_backward_uniform(Act, ActParams, const float*, const float*, float, float*,
                                          std::size_t, bool);
template void activation_backward_uniform(Act, ActParams, const double*, const double*, double,
                                          double*, std::size_t, bool);
template void activation_forward_derivative(Act, ActParams, const float*, float*, float*,
                                            std::size_t);
template void activation_forward_derivative(Act, ActParams, const double*, double*, double*,
                                            std::size_t);
template void derivative_backward(const float*, const float*, float*, std::size_t, bool);
template void derivative_backward(const double*, const double*, double*, std::size_t, bool);
template void derivative_backward_uniform(const float*, float, float*, std::size_t, bool);
template void derivative_backward_uniform(const double*, double, double*, std::size_t, bool);
template void activation_forward_mask(Act, ActParams, const float*, float*, std::uint64_t*,
                                      std::size_t);
template void activation_forward_mask(Act, ActParams, const double*, double*, std::uint64_t*,
                                      std::size_t);
template void activation_backward_mask(Act, ActParams, const std::uint64_t*, const float*, float*,
                                       std::size_t, bool);
template void activation_backward_mask(Act, ActParams, const std::uint64_t*, const double*, double*,
                                       std::size_t, bool);
template void activation_backward_mask_uniform(Act, ActParams, const std::uint64_t*, float, float*,
                                               std::size_t, bool);
template void activation_backward_mask_uniform(Act, ActParams, const std::uint64_t*, double,
                                               double*, std::size_t, bool);

}  // namespace xg::kernels::XGRAD_ISA_NS
