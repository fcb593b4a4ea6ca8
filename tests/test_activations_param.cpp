// Activations with trainable parameters (PReLU, Swish-beta, SoftExponential, SReLU, APL),
// Maxout, RReLU's train mode, and softmax/log_softmax: hand-computed values, the derivative at
// kinks (left derivative), double gradchecks of input and parameter gradients, properties.
#include <array>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

namespace {
// N(0,1) values pushed away from 0 (the kink of the ReLU family) by at least 0.05.
TensorD away_from_zero(const Shape& shape, std::uint64_t seed) {
  TensorD t = TensorD::randn(shape, seed);
  for (auto& v : t.data()) v = v >= 0 ? v + 0.05 : v - 0.05;
  return t.requires_grad_();
}
TensorD param(std::vector<double> v) {
  const std::size_t n = v.size();
  return TensorD::from(std::move(v), {n}).requires_grad_();
}
}  // namespace

TEST_CASE("prelu: values, kink, shared and per-channel gradients", "[activations][prelu]") {
  TensorD x = TensorD::from({-2., -0.5, 0., 1.5}).requires_grad_();
  TensorD w = TensorD::from({0.25}).requires_grad_();
  TensorD y = xg::prelu(x, w);
  require_values(y, {-0.5, -0.125, 0, 1.5}, 1e-15);
  y.sum().backward();
  require_values(x.grad(), {0.25, 0.25, 0.25, 1}, 0);  // at 0: the left slope, alpha
  require_values(w.grad(), {-2 - 0.5 + 0}, 1e-15);     // d/dw = x on x <= 0 (0 at the kink)

  // Per channel: [2, 3] input, one alpha per column.
  TensorD x2 = TensorD::from({-1., -1., -1., 2., -2., 3.}, {2, 3});
  TensorD w3 = TensorD::from({0.1, 0.2, 0.3});
  require_values(xg::prelu(x2, w3), {-0.1, -0.2, -0.3, 2, -0.4, 3}, 1e-15);

  require_gradcheck([](const auto& in) { return xg::prelu(in[0], in[1]); },
                    {away_from_zero({4, 3}, 1), TensorD::from({0.1, 0.25, -0.3}).requires_grad_()});
  require_gradcheck(
      [](const auto& in) { return xg::prelu(in[0], in[1]); },
      {away_from_zero({2, 3, 4}, 2), TensorD::from({0.1, 0.25, 0.5}).requires_grad_()});
  require_gradcheck([](const auto& in) { return xg::prelu(in[0], in[1]); },
                    {away_from_zero({2, 3, 4}, 3), TensorD::from({0.2}).requires_grad_()});
}

TEST_CASE("prelu at signed zeros, infinities and NaN, per channel and shared",
          "[activations][prelu]") {
  // PyTorch: y = x if x > 0 else alpha x; dy/dx = 1 if x > 0 else alpha; dy/dalpha = 0 if x > 0
  // else x. So -0 gives alpha -0 = -0 (alpha > 0), -inf gives -inf and an alpha gradient of -inf,
  // NaN propagates to y and to alpha's gradient and takes the slope alpha for x.
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const std::vector<double> xs = {-0., 0., inf, -inf, nan, -3.};
  for (const std::size_t channels : {std::size_t(1), xs.size()}) {
    INFO(channels);
    TensorD x = TensorD::from(std::vector<double>(xs), {1, xs.size()}).requires_grad_();
    TensorD w = TensorD::full({channels}, 0.5).requires_grad_();
    TensorD y = xg::prelu(x, w);
    y.sum().backward();
    const auto yv = y.to_vector(), dx = x.grad().to_vector(), dw = w.grad().to_vector();
    REQUIRE((yv[0] == 0 && std::signbit(yv[0])));
    REQUIRE((yv[1] == 0 && !std::signbit(yv[1])));
    REQUIRE(yv[2] == inf);
    REQUIRE(yv[3] == -inf);
    REQUIRE(std::isnan(yv[4]));
    REQUIRE(yv[5] == -1.5);
    REQUIRE(dx == std::vector<double>{0.5, 0.5, 1, 0.5, 0.5, 0.5});
    if (channels == 1) {
      REQUIRE(std::isnan(dw[0]));  // -0 + 0 + 0 - inf + NaN - 3
    } else {
      REQUIRE(dw[0] == 0);
      REQUIRE(dw[1] == 0);
      REQUIRE(dw[2] == 0);
      REQUIRE(dw[3] == -inf);
      REQUIRE(std::isnan(dw[4]));
      REQUIRE(dw[5] == -3);
    }
  }
}

TEST_CASE("prelu with alpha 0 is relu, with alpha 0.01 is leaky_relu", "[activations][prelu]") {
  for (double alpha : {0.0, 0.01}) {
    TensorD a = TensorD::randn({5, 4}, 4).requires_grad_(), b = a.detach().requires_grad_();
    TensorD ya = xg::prelu(a, TensorD::from({alpha}));
    TensorD yb = alpha == 0 ? xg::relu(b) : xg::leaky_relu(b, 0.01);
    (ya * ya).sum().backward();
    (yb * yb).sum().backward();
    REQUIRE(ya.to_vector() == yb.to_vector());
    REQUIRE(a.grad().to_vector() == b.grad().to_vector());
  }
}

TEST_CASE("prelu per channel in float over whole vectors of channels and a partial one",
          "[activations][prelu]") {
  // 37 channels: 2 full AVX-512 vectors and 5 more (4 AVX2 vectors, 9 SSE ones, and 5); 70: more
  // than the 4 vectors the backward sums at once, on 3 rows. Expected values from the definition:
  // y = x for x > 0, a_c x otherwise; dy/dx = 1 or a_c; the weight's gradient under y.sum() is
  // the sum over rows of x where x <= 0. A second backward adds the same again.
  constexpr std::size_t kRows = 3;
  const std::size_t channels = GENERATE(std::size_t(37), std::size_t(70));
  std::vector<float> xs(kRows * channels), as(channels);
  for (std::size_t c = 0; c < channels; ++c) as[c] = 0.01f * float(c + 1);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = float(int(i % 7) - 3) * 0.5f;  // -1.5..1.5
  Tensor x = Tensor::from(std::vector<float>(xs), {kRows, channels}).requires_grad_();
  Tensor a = Tensor::from(std::vector<float>(as), {channels}).requires_grad_();
  Tensor y = xg::prelu(x, a);
  Tensor total = y.sum();
  total.backward({}, true);
  const std::vector<float> ys = y.to_vector(), dx = x.grad().to_vector(), da = a.grad().to_vector();
  std::vector<float> expected_da(channels, 0.f);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::size_t c = i % channels;
    REQUIRE(ys[i] == (xs[i] > 0 ? xs[i] : as[c] * xs[i]));
    REQUIRE(dx[i] == (xs[i] > 0 ? 1.f : as[c]));
    if (xs[i] <= 0) expected_da[c] += xs[i];  // sums of halves of small integers: exact
  }
  REQUIRE(da == expected_da);
  total.backward();
  const std::vector<float> dx2 = x.grad().to_vector(), da2 = a.grad().to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) REQUIRE(dx2[i] == 2 * dx[i]);
  for (std::size_t c = 0; c < channels; ++c) REQUIRE(da2[c] == 2 * expected_da[c]);
}

TEST_CASE("prelu rejects a weight that does not match the channels", "[activations][prelu]") {
  REQUIRE_THROWS_WITH(xg::prelu(Tensor::zeros({128, 32}), Tensor::zeros({64})),
                      "prelu: weight has 64 elements but input [128,32] has 32 channels on axis 1");
  REQUIRE_THROWS_WITH(xg::prelu(Tensor::zeros({5}), Tensor::zeros({5})),
                      Catch::Contains("no channel axis"));
}

TEST_CASE("swish_beta: x sigmoid(beta x), beta 1 is silu, gradients for x and beta",
          "[activations][swish_beta]") {
  const TensorD x = TensorD::from({2.});
  require_values(xg::swish_beta(x, TensorD::from({0.5})), {2 / (1 + std::exp(-1.0))}, 1e-15);
  const TensorD r = TensorD::randn({3, 4}, 5);
  const TensorD sw = xg::swish_beta(r, TensorD::from({1.})), si = xg::silu(r);
  for (std::size_t i = 0; i < r.numel(); ++i)
    REQUIRE(sw.data()[i] == Approx(si.data()[i]).epsilon(1e-15));
  require_gradcheck([](const auto& in) { return xg::swish_beta(in[0], in[1]); },
                    {randd({3, 4}, 6), TensorD::from({0.5, 1., 1.5, -0.7}).requires_grad_()});
  // float32 at +-1e4: finite, saturated.
  Tensor big = Tensor::from({-1e4f, 1e4f}).requires_grad_();
  Tensor beta = Tensor::from({1.f}).requires_grad_();
  Tensor y = xg::swish_beta(big, beta);
  y.sum().backward();
  require_values(y, {0, 1e4}, 0);
  REQUIRE(std::isfinite(beta.grad().item()));
  // d/dbeta = x^2 s (1 - s) in the right tail, where 1 - s rounded to 0 in double from beta x
  // = 37 on: 40-digit references (mpmath) at beta = 1, within 8 ulps.
  for (const auto& [x0, expected] :
       {std::pair{30., 8.4218606719545809725e-11}, std::pair{40., 6.7973668084665423348e-15}}) {
    TensorD b = TensorD::from({1.}).requires_grad_();
    xg::swish_beta(TensorD::from({x0}), b).backward();
    REQUIRE(b.grad().item() == Approx(expected).epsilon(8 * 2.2e-16));
  }
  // The left tail, where s itself is small: d/dx = s (1 + x (1 - s)) and d/dbeta = x^2 s (1 - s)
  // at beta = 1, 40-digit references (mpmath), within 8 ulps in double and 8 float ulps in float.
  for (const auto& [x0, dx, dbeta] :
       {std::tuple{-30., -2.7137106609631340013e-12, 8.4218606719545809725e-11},
        std::tuple{-40., -1.6568581595637196939e-16, 6.7973668084665423348e-15},
        std::tuple{-100., -3.6828752162606276033e-42, 3.720075976020835963e-40}}) {
    INFO("x = " << x0);
    TensorD xd = TensorD::from({x0}).requires_grad_(), b = TensorD::from({1.}).requires_grad_();
    xg::swish_beta(xd, b).backward();
    REQUIRE(xd.grad().item() == Approx(dx).epsilon(8 * 2.2e-16));
    REQUIRE(b.grad().item() == Approx(dbeta).epsilon(8 * 2.2e-16));
    if (x0 < -50) continue;  // float's s underflows near e^-88
    Tensor xf = Tensor::from({float(x0)}).requires_grad_(),
           bf = Tensor::from({1.f}).requires_grad_();
    xg::swish_beta(xf, bf).backward();
    REQUIRE(xf.grad().item() == Approx(dx).epsilon(8 * 1.2e-7));
    REQUIRE(bf.grad().item() == Approx(dbeta).epsilon(8 * 1.2e-7));
  }
}

TEST_CASE("float swish_beta's gradients in the tails, beta per channel",
          "[activations][swish_beta]") {
  // z = beta x from -85 to 100: the float kernels take e^-|z| from a clamped exponential up to
  // |z| = 86 and from one that keeps subnormal results beyond. d/dx = s + z s (1 - s), d/dbeta =
  // x^2 s (1 - s); references: 40-digit mpmath at beta = 2. At z = +-100 s (1 - s) = e^-100 is a
  // subnormal float, and so are the products made of it: within 3%.
  const std::vector<float> xs{-42.5f, -40.5f, -39.5f, 50.f, -50.f};
  Tensor x = Tensor::from(xs, {1, xs.size()}).requires_grad_();
  Tensor beta = Tensor::full({xs.size()}, 2.f).requires_grad_();
  xg::swish_beta(x, beta).sum().backward();
  const auto dx = x.grad().to_vector(), dbeta = beta.grad().to_vector();
  const double expected_dx[] = {-1.0215234113723735e-35, -5.3117417596645875e-34,
                                -3.8267538899064388e-33, 1, -3.6828752162606276e-42};
  const double expected_dbeta[] = {2.1965793592754162e-34, 1.08907305266123e-32,
                                   7.65473430349554e-32, 9.3001899400520899e-41,
                                   9.3001899400520899e-41};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    INFO("x = " << xs[i]);
    REQUIRE(dx[i] == Approx(expected_dx[i]).epsilon(i == 4 ? 0.03 : 1e-6));
    REQUIRE(dbeta[i] == Approx(expected_dbeta[i]).epsilon(i >= 3 ? 0.03 : 1e-6));
  }
}

TEST_CASE("swish_beta's beta gradient where x^2 overflows", "[activations][swish_beta]") {
  // d/dbeta = x^2 s (1 - s): at beta = 1 and x = 2e19 (float) or 1.5e154 (double) s (1 - s)
  // is 0 (e^-x), so the gradient is 0, not inf * 0. At beta = 0, s = 1/2 and it is x^2 / 4,
  // 5.625e307 at x = 1.5e154: finite although x^2 is not.
  Tensor bf = Tensor::from({1.f}).requires_grad_();
  xg::swish_beta(Tensor::from({2e19f, -2e19f}), bf).sum().backward();
  REQUIRE(bf.grad().item() == 0);
  TensorD bd = TensorD::from({1.}).requires_grad_();
  xg::swish_beta(TensorD::from({1.5e154, -1.5e154}), bd).sum().backward();
  REQUIRE(bd.grad().item() == 0);
  TensorD b0 = TensorD::from({0.}).requires_grad_();
  xg::swish_beta(TensorD::from({1.5e154}), b0).backward();
  REQUIRE(b0.grad().item() == Approx(5.625e307).epsilon(1e-15));
}

TEST_CASE("soft_exponential: the three branches, the limits at alpha 0, NaN off the domain",
          "[activations][soft_exponential]") {
  const double x0 = 0.7;
  auto at = [&](double alpha) {
    TensorD x = TensorD::from({x0}).requires_grad_(), a = TensorD::from({alpha}).requires_grad_();
    TensorD y = xg::soft_exponential(x, a);
    y.backward();
    return std::array<double, 3>{y.item(), x.grad().item(), a.grad().item()};
  };
  // alpha = 0: f = x, df/dx = 1, df/dalpha = 1 + x^2/2 (the limit of both sides).
  auto z = at(0);
  REQUIRE(z[0] == x0);
  REQUIRE(z[1] == 1);
  REQUIRE(z[2] == Approx(1 + x0 * x0 / 2).epsilon(1e-14));
  // alpha = 0.5: (e^{alpha x} - 1)/alpha + alpha, d/dx = e^{alpha x}.
  auto p = at(0.5);
  REQUIRE(p[0] == Approx((std::exp(0.35) - 1) / 0.5 + 0.5).epsilon(1e-14));
  REQUIRE(p[1] == Approx(std::exp(0.35)).epsilon(1e-14));
  // alpha = -0.5: -ln(1 - alpha (x + alpha)) / alpha, d/dx = 1 / (1 - alpha (x + alpha)).
  auto n = at(-0.5);
  REQUIRE(n[0] == Approx(-std::log(1 + 0.5 * (x0 - 0.5)) / -0.5).epsilon(1e-14));
  REQUIRE(n[1] == Approx(1 / (1 + 0.5 * (x0 - 0.5))).epsilon(1e-14));
  // Near 0 from both sides the gradient w.r.t. alpha tends to the same limit.
  REQUIRE(at(1e-5)[2] == Approx(1 + x0 * x0 / 2).epsilon(1e-4));
  REQUIRE(at(-1e-5)[2] == Approx(1 + x0 * x0 / 2).epsilon(1e-4));
  // d/dalpha near alpha x = 0, where the closed forms cancel: 40-digit references (mpmath, the
  // derivative of the formulas above), within 4 ulps. (x, alpha): (1, 1e-8), (3, -1e-8),
  // (2, 1e-3), (-2, -1e-3).
  const std::array<std::array<double, 3>, 4> near_zero{{{1, 1e-8, 1.5000000033333333458},
                                                        {3, -1e-8, 5.499999760000008925},
                                                        {2, 1e-3, 3.0026686677337779302},
                                                        {-2, -1e-3, 3.0093588990987440599}}};
  for (const auto& [xv, alpha, expected] : near_zero) {
    TensorD a = TensorD::from({alpha}).requires_grad_();
    xg::soft_exponential(TensorD::from({xv}), a).backward();
    REQUIRE(a.grad().item() == Approx(expected).epsilon(4 * 2.2e-16));
  }
  Tensor af = Tensor::from({5e-5f}).requires_grad_();  // float: 1.5000166669791708334
  xg::soft_exponential(Tensor::from({1.f}), af).backward();
  require_ulps(af.grad().item(), 1.5000166669791708334L, 4);
  // alpha = 0 (the default) is the identity for every x: x^2 overflows from 1.3e154.
  const double inf = std::numeric_limits<double>::infinity();
  require_values(xg::soft_exponential(TensorD::from({1e200, -inf, inf}), TensorD::from({0.})),
                 {1e200, -inf, inf}, 0);
  // ... and its derivatives there: df/dx = 1 also at +-inf; df/dalpha = 1 + x^2/2, finite at
  // x = 1.5e154 (1.125e308) although x^2 is not.
  TensorD xs = TensorD::from({-inf, inf}).requires_grad_();
  xg::soft_exponential(xs, TensorD::from({0.})).sum().backward();
  require_values(xs.grad(), {1, 1}, 0);
  TensorD a0 = TensorD::from({0.}).requires_grad_();
  xg::soft_exponential(TensorD::from({1.5e154}), a0).backward();
  REQUIRE(a0.grad().item() == Approx(1.125e308).epsilon(1e-15));
  // Where e^(alpha x) or 1 - alpha (x + alpha) overflows while f and its derivatives do not
  // (40-digit references, mpmath, of the formulas above): alpha = 2, x = 44.5 in float gives
  // f = 2.2448064095871726e38 (e^89 = 4.49e38 overflows float, and so do df/dx and df/dalpha);
  // alpha = -2, x = 3.0000000054977558e38 (the float nearest 3e38) gives f = 44.644996502417188,
  // df/dx = 1.6666666636e-39 (subnormal), df/dalpha = 22.072498251208594; in double alpha = -2,
  // x = 1e308: f = 354.94467791136301, df/dalpha = 177.2223389556815.
  {
    Tensor x = Tensor::from({44.5f}).requires_grad_(), a = Tensor::from({2.f}).requires_grad_();
    const Tensor y = xg::soft_exponential(x, a);
    y.backward();
    require_ulps(y.item(), 2.2448064095871726e38L, 1);
    REQUIRE(std::isinf(x.grad().item()));
    REQUIRE(std::isinf(a.grad().item()));
    Tensor xn = Tensor::from({3e38f}).requires_grad_(), an = Tensor::from({-2.f}).requires_grad_();
    const Tensor yn = xg::soft_exponential(xn, an);
    yn.backward();
    require_ulps(yn.item(), 44.644996502417188L, 1);
    REQUIRE(xn.grad().item() == Approx(1.6666666636e-39).epsilon(1e-5));  // subnormal: 2^-149 steps
    require_ulps(an.grad().item(), 22.072498251208594L, 1);
    TensorD xd = TensorD::from({1e308}), ad = TensorD::from({-2.}).requires_grad_();
    const TensorD yd = xg::soft_exponential(xd, ad);
    yd.backward();
    REQUIRE(yd.item() == Approx(354.94467791136301).epsilon(2.2e-16));
    REQUIRE(ad.grad().item() == Approx(177.2223389556815).epsilon(4.4e-16));
  }
  // Outside the domain (alpha < 0, 1 - alpha (x + alpha) <= 0): NaN, documented.
  REQUIRE(std::isnan(xg::soft_exponential(TensorD::from({-3.}), TensorD::from({-1.})).item()));
  for (double alpha : {0.3, -0.3})
    require_gradcheck(
        [](const auto& in) { return xg::soft_exponential(in[0], in[1]); },
        {randd({2, 3}, 7), TensorD::from({alpha, alpha / 2, alpha * 2}).requires_grad_()});
}

TEST_CASE("srelu: the three pieces, left derivatives at both hinges, gradcheck",
          "[activations][srelu]") {
  // t_l = -1, a_l = 0.2, t_r = 2, a_r = 0.5.
  TensorD x = TensorD::from({-3., -1., 0.5, 2., 4.}).requires_grad_();
  TensorD tl = param({-1.}), al = param({0.2}), tr = param({2.}), ar = param({0.5});
  TensorD y = xg::srelu(x, tl, al, tr, ar);
  require_values(y, {-1 + 0.2 * -2, -1, 0.5, 2, 2 + 0.5 * 2}, 1e-15);
  y.sum().backward();
  // x = -1 is the left hinge: left piece, slope a_l; x = 2 the right hinge: middle piece, slope 1.
  require_values(x.grad(), {0.2, 0.2, 1, 1, 0.5}, 0);
  require_values(tl.grad(), {2 * (1 - 0.2)}, 1e-15);  // x = -3 and x = -1 on the left piece
  require_values(al.grad(), {(-3 + 1) + 0}, 1e-15);
  require_values(tr.grad(), {1 - 0.5}, 1e-15);  // only x = 4
  require_values(ar.grad(), {4 - 2.}, 1e-15);
  require_gradcheck([](const auto& in) { return xg::srelu(in[0], in[1], in[2], in[3], in[4]); },
                    {randd({4, 3}, 8), TensorD::from({-0.5, -0.3, -0.8}).requires_grad_(),
                     TensorD::from({0.1, 0.2, 0.3}).requires_grad_(),
                     TensorD::from({0.4, 0.6, 0.9}).requires_grad_(),
                     TensorD::from({0.5, 1.5, 2.}).requires_grad_()});
  REQUIRE_THROWS_WITH(xg::srelu(Tensor::zeros({2, 3}), Tensor::zeros({3}), Tensor::zeros({2}),
                                Tensor::zeros({3}), Tensor::zeros({3})),
                      Catch::Contains("a_left has shape [2] but t_left has shape [3]"));
}

TEST_CASE("apl: relu plus hinges, gradients for a and b", "[activations][apl]") {
  // One hinge: a = 0.5, b = 1: f(x) = max(0, x) + 0.5 max(0, 1 - x).
  TensorD x = TensorD::from({-2., 0., 0.5, 1., 3.}).requires_grad_();
  TensorD a = TensorD::from({0.5}, {1, 1}).requires_grad_(),
          b = TensorD::from({1.}, {1, 1}).requires_grad_();
  TensorD y = xg::apl(x, a, b);
  require_values(y, {1.5, 0.5, 0.75, 1, 3}, 1e-15);
  y.sum().backward();
  // slopes: x < 0: -0.5; x = 0: left derivative -0.5; (0,1]: 1 - 0.5 (x = 1 takes the piece below);
  // > 1: 1
  require_values(x.grad(), {-0.5, -0.5, 0.5, 0.5, 1}, 0);
  require_values(a.grad(), {3 + 1 + 0.5 + 0 + 0}, 1e-15);  // sum of max(0, b - x)
  require_values(b.grad(), {0.5 * 4}, 1e-15);              // a where x <= b
  // A NaN input is active in every piece, as PyTorch's relu passes the gradient at NaN (written
  // with torch.relu: f = relu(x) + a relu(b - x)): df/dx = 1 - a, df/da = NaN, df/db = a.
  TensorD xn = TensorD::from({std::nan("")}).requires_grad_();
  TensorD an = TensorD::from({0.3}, {1, 1}).requires_grad_(),
          bn = TensorD::from({0.5}, {1, 1}).requires_grad_();
  TensorD yn = xg::apl(xn, an, bn);
  REQUIRE(std::isnan(yn.item()));
  yn.backward();
  REQUIRE(xn.grad().item() == Approx(0.7).epsilon(1e-15));
  REQUIRE(std::isnan(an.grad().item()));
  REQUIRE(bn.grad().item() == Approx(0.3).epsilon(1e-15));
  TensorD a2 = TensorD::from({0.2, -0.3, 0.4, 0.1, 0.5, -0.2}, {2, 3}).requires_grad_();
  TensorD b2 = TensorD::from({0.3, -0.6, 1.1, -0.2, 0.7, 0.05}, {2, 3}).requires_grad_();
  require_gradcheck([](const auto& in) { return xg::apl(in[0], in[1], in[2]); },
                    {away_from_zero({4, 3}, 9), a2, b2});
}

TEST_CASE("maxout: max over groups of k features, k = 2 with (x, 0) is relu",
          "[activations][maxout]") {
  TensorD x = TensorD::from({1., 3., 2., 2., -1., -5.}, {1, 6}).requires_grad_();
  TensorD y = xg::maxout(x, 2);
  require_values(y, {3, 2, -1}, 0);
  (y * TensorD::from({1., 2., 3.}, {1, 3})).sum().backward();
  require_values(x.grad(), {0, 1, 2, 0, 3, 0}, 0);  // ties: the first maximum
  // Interleave (x, 0): maxout over pairs is relu(x).
  const TensorD v = TensorD::randn({4, 5}, 10);
  const TensorD pairs =
      xg::stack(std::vector<TensorD>{v, TensorD::zeros({4, 5})}, 2).reshape({4, 10});
  REQUIRE(xg::maxout(pairs, 2).to_vector() == xg::relu(v).to_vector());
  require_gradcheck([](const auto& in) { return xg::maxout(in[0], 3); }, {randd({2, 6, 2}, 11)});
  REQUIRE_THROWS_WITH(xg::maxout(Tensor::zeros({2, 5}), 2), Catch::Contains("divisible by k = 2"));
}

TEST_CASE("rrelu train mode: slopes in [lower, upper], mean (l+u)/2, reproducible",
          "[activations][rrelu]") {
  const std::size_t n = 100000;
  Tensor x = Tensor::full({n}, -1.f).requires_grad_();
  xg::Generator rng(3);
  Tensor y = xg::rrelu(x, 0.125f, 1.f / 3, rng);
  y.sum().backward();
  double mean = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float slope = -y.data()[i];
    REQUIRE(slope >= 0.125f);
    REQUIRE(slope <= 1.f / 3);
    REQUIRE(x.grad().data()[i] == slope);  // backward uses the slopes drawn
    mean += slope / double(n);
  }
  // U(l, u) has sd (u - l)/sqrt(12) = 0.060; 5 standard errors of the mean over 1e5 draws.
  REQUIRE(std::fabs(mean - (0.125 + 1.0 / 3) / 2) < 5 * 0.060 / std::sqrt(double(n)));
  xg::Generator again(3);
  REQUIRE(xg::rrelu(x.detach(), 0.125f, 1.f / 3, again).to_vector() == y.to_vector());
  // Positive inputs pass unchanged; eval form is deterministic.
  xg::Generator other(4);
  REQUIRE(xg::rrelu(Tensor::from({2.f}), 0.1f, 0.3f, other).item() == 2.f);
  REQUIRE(xg::rrelu(Tensor::from({-2.f}), 0.1f, 0.3f).item() == Approx(-0.4f));
}

TEST_CASE("softmax and log_softmax along any axis", "[activations][softmax]") {
  require_values(xg::softmax(TensorD::from({0., std::log(3.)})), {0.25, 0.75}, 1e-15);
  const TensorD x = TensorD::randn({2, 3, 4}, 12);
  for (int axis : {0, 1, 2, -1}) {
    INFO("axis " << axis);
    const TensorD s = xg::softmax(x, axis);
    const TensorD sums = s.sum(axis);
    for (double v : sums.to_vector()) REQUIRE(v == Approx(1).epsilon(1e-14));
    // Shift invariance and log_softmax = log(softmax).
    const TensorD shifted = xg::softmax(x + 100.0, axis), ls = xg::log_softmax(x, axis);
    for (std::size_t i = 0; i < x.numel(); ++i) {
      REQUIRE(shifted.data()[i] == Approx(s.data()[i]).epsilon(1e-12));
      REQUIRE(ls.data()[i] == Approx(std::log(s.data()[i])).epsilon(1e-13));
    }
    require_gradcheck([axis](const auto& in) { return xg::softmax(in[0], axis) * in[1]; },
                      {randd({2, 3, 4}, 13), TensorD::randn({2, 3, 4}, 14)});
    require_gradcheck([axis](const auto& in) { return xg::log_softmax(in[0], axis) * in[1]; },
                      {randd({2, 3, 4}, 15), TensorD::randn({2, 3, 4}, 16)});
  }
  // No overflow in float32: logits 1e4 apart.
  const Tensor big = Tensor::from({1e4f, 0.f, -1e4f});
  require_values(xg::softmax(big), {1, 0, 0}, 0);
  require_values(xg::log_softmax(big), {0, -1e4, -2e4}, 0);
  REQUIRE_THROWS_WITH(xg::softmax(Tensor::zeros({2, 3}), 2), Catch::Contains("softmax"));
  // A +inf entry makes its whole slice NaN, value and gradient, as in PyTorch (inf - inf); a
  // slice of -inf only is NaN too (0 / 0). The other slice is unaffected.
  const double inf = std::numeric_limits<double>::infinity();
  for (bool log_form : {false, true}) {
    TensorD x = TensorD::from({inf, 0., -inf, -inf, 0., 0.}, {3, 2}).requires_grad_();
    const TensorD y = log_form ? xg::log_softmax(x, 1) : xg::softmax(x, 1);
    y.backward(TensorD::from({1., 2., 1., 2., 1., 2.}, {3, 2}));
    for (std::size_t i = 0; i < 4; ++i) {
      REQUIRE(std::isnan(y.data()[i]));
      REQUIRE(std::isnan(x.grad().data()[i]));
    }
    REQUIRE(y.data()[4] == Approx(log_form ? -std::log(2.) : 0.5));
  }
}

TEST_CASE("SELU self-normalises: N(0,1) through a LeCun-normal layer keeps mean 0, var 1",
          "[activations][selu]") {
  // Klambauer et al. 2017: with weights of variance 1/fan_in, SELU maps mean 0 / variance 1 to
  // mean 0 / variance 1. 4096 x 256 samples: the sample moments are within 0.03 of the ideal.
  const std::size_t n = 4096, width = 256;
  const Tensor x = Tensor::randn({n, width}, 17);
  const Tensor w = Tensor::randn({width, width}, 18, 0.f, 1.f / std::sqrt(float(width)));
  const Tensor y = xg::selu(xg::matmul(x, xg::transpose(w, 0, 1)));
  const double mean = y.mean().item();
  const double var = ((y - float(mean)) * (y - float(mean))).mean().item();
  REQUIRE(std::fabs(mean) < 0.03);
  REQUIRE(std::fabs(var - 1) < 0.03);
}

namespace {

// float32 rows where rounding matters: near ±1000 (an ulp of 1000 is 6e-5), mixed magnitudes,
// a dominant maximum (log_softmax of the top entry is -e^-30, not 0), ties.
const std::vector<std::vector<float>> kHardRows{
    {1000.f, 999.f, 998.5f, 1000.25f}, {-1000.f, -999.f, -1001.5f, -1000.125f},
    {1000.f, 0.5f, -3.f, 999.5f},      {20.f, 0.1234567f, -7.5f, 19.9f},
    {0.f, -30.f, -60.f, -15.5f},       {1e-3f, 2e-3f, -1e-3f, 0.f},
    {88.f, -88.f, 0.f, 87.9f},         {5.f, 5.f, -5.f, 4.999f},
};

// log_softmax of a row in long double: (x - max) - log(sum exp(x - max)).
std::vector<long double> log_softmax_ref(const std::vector<float>& row) {
  long double m = row[0], sum = 0;
  for (float v : row) m = std::max<long double>(m, v);
  for (float v : row) sum += std::exp((long double)v - m);
  std::vector<long double> out;
  for (float v : row) out.push_back(((long double)v - m) - std::log(sum));
  return out;
}

}  // namespace

TEST_CASE("float32 softmax, log_softmax and their gradients are within an ulp of the exact values",
          "[activations][softmax]") {
  // Upstream gradient with mixed signs; the backward is compared with the exact
  // d log_softmax = g - softmax sum(g) and d softmax = s (g - sum(g s)).
  const std::vector<float> g{0.5f, -1.25f, 2.f, 0.75f};
  for (const auto& row : kHardRows) {
    INFO("row " << row[0] << ", " << row[1] << ", " << row[2] << ", " << row[3]);
    const auto ls_ref = log_softmax_ref(row);
    long double gsum = 0, gs = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      gsum += g[j];
      gs += g[j] * std::exp(ls_ref[j]);
    }
    Tensor x = Tensor::from(std::vector<float>(row), {4});
    x.requires_grad_();
    const Tensor ls = xg::log_softmax(x);
    ls.backward(Tensor::from(std::vector<float>(g), {4}));
    for (std::size_t j = 0; j < 4; ++j) {
      require_ulps(ls.at(j), ls_ref[j], 1);
      require_ulps(x.grad().at(j), g[j] - std::exp(ls_ref[j]) * gsum, 1);
    }
    x.zero_grad();
    const Tensor s = xg::softmax(x);
    s.backward(Tensor::from(std::vector<float>(g), {4}));
    for (std::size_t j = 0; j < 4; ++j) {
      const long double p = std::exp(ls_ref[j]);
      require_ulps(s.at(j), p, 1);
      require_ulps(x.grad().at(j), p * (g[j] - gs), 1);
    }
  }
}
