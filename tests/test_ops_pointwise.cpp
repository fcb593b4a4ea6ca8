// Elementwise ops: values (hand-computed), NumPy broadcasting, gradients, errors.
#include <cmath>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("arithmetic with tensors and scalars") {
  const Tensor a = Tensor::from({1, 2, 3, 4}, {2, 2}), b = Tensor::from({4, 3, 2, 1}, {2, 2});
  require_values(a + b, {5, 5, 5, 5});
  require_values(a - b, {-3, -1, 1, 3});
  require_values(a * b, {4, 6, 6, 4});
  require_values(a / b, {0.25, 2.0 / 3, 1.5, 4});
  require_values(-a, {-1, -2, -3, -4});
  require_values(a + 1, {2, 3, 4, 5});
  require_values(10 - a, {9, 8, 7, 6});
  require_values(a * 0.5, {0.5, 1, 1.5, 2});
  const double pi = 3.14159265358979323846;
  require_values(xg::sin(TensorD::from({0, pi / 2, -pi / 6})), {0, 1, -0.5}, 1e-15);
  require_values(xg::cos(TensorD::from({0, pi, pi / 3})), {1, -1, 0.5}, 1e-15);
  require_values(a / 4, {0.25, 0.5, 0.75, 1});
  require_values(1 / a, {1, 0.5, 1.0 / 3, 0.25});
  require_values(xg::pow(a, 2.0f), {1, 4, 9, 16});
  require_values(xg::pow(a, b), {1, 8, 9, 4});
  require_values(xg::rpow_scalar(a, 2.0f), {2, 4, 8, 16});
  require_values(xg::maximum(a, b), {4, 3, 3, 4});
  require_values(xg::minimum(a, b), {1, 2, 2, 1});
  // Scalars of any arithmetic type: the tensor's type decides (2 and 2.5 convert to float).
  require_values(xg::pow(a, 2), {1, 4, 9, 16});
  require_values(xg::clamp(a, 2, 2.5), {2, 2, 2.5, 2.5});
  require_values(xg::masked_fill(a, a > b, 0), {1, 2, 0, 0});
}

TEST_CASE("broadcasting follows NumPy rules") {
  const Tensor m = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  require_values(m + Tensor::from({10, 20, 30}), {11, 22, 33, 14, 25, 36});  // [2,3] + [3]
  require_values(m * Tensor::from({2, 3}, {2, 1}), {2, 4, 6, 12, 15, 18});   // [2,3] * [2,1]
  const Tensor outer =
      Tensor::from({1, 2}, {2, 1}) * Tensor::from({1, 10, 100}, {1, 3});  // [2,1]*[1,3]
  REQUIRE(outer.shape() == Shape{2, 3});
  require_values(outer, {1, 10, 100, 2, 20, 200});
  const Tensor c = Tensor::ones({2, 1, 3}) + Tensor::from({0, 1, 2, 3}, {4, 1});  // -> [2,4,3]
  REQUIRE(c.shape() == Shape{2, 4, 3});
  REQUIRE(c.at(1, 3, 2) == 4.0f);
}

TEST_CASE("mismatched shapes name the op and both shapes") {
  const Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({4});
  REQUIRE_THROWS_WITH(a + b, "add: shapes [2,3] and [4] cannot be broadcast");
  REQUIRE_THROWS_WITH(a * Tensor::ones({3, 3}), "mul: shapes [2,3] and [3,3] cannot be broadcast");
  REQUIRE_THROWS_WITH(xg::where(Tensor::ones({5}), a, a),
                      Catch::Contains("where: shapes [5] and [2,3]"));
}

TEST_CASE("unary math values") {
  const Tensor x = Tensor::from({0.25f, 1, 4});
  require_values(xg::exp(x), {std::exp(0.25), std::exp(1.0), std::exp(4.0)}, 1e-4);
  require_values(xg::log(x), {std::log(0.25), 0, std::log(4.0)});
  require_values(xg::sqrt(x), {0.5, 1, 2});
  require_values(xg::abs(Tensor::from({-2, 0, 3})), {2, 0, 3});
  require_values(xg::clamp(Tensor::from({-2, 0.5f, 3}), -1.0f, 1.0f), {-1, 0.5, 1});
  REQUIRE_THROWS_WITH(xg::clamp(x, 1.0f, 0.0f), Catch::Contains("low (1) must be <= high (0)"));
}

TEST_CASE("gradients of binary ops, with and without broadcasting") {
  using F = std::function<TensorD(const std::vector<TensorD>&)>;
  const std::vector<std::pair<const char*, F>> ops = {
      {"add", [](const auto& in) { return in[0] + in[1]; }},
      {"sub", [](const auto& in) { return in[0] - in[1]; }},
      {"mul", [](const auto& in) { return in[0] * in[1]; }},
      {"div", [](const auto& in) { return in[0] / (xg::abs(in[1]) + 0.5); }},
      {"pow", [](const auto& in) { return xg::pow(xg::abs(in[0]) + 0.5, in[1]); }},
      {"maximum", [](const auto& in) { return xg::maximum(in[0], in[1]); }},
      {"minimum", [](const auto& in) { return xg::minimum(in[0], in[1]); }},
      // each input's gradient accumulates from two nodes
      {"reused", [](const auto& in) { return (in[0] + in[1]) * (in[1] - in[0]); }},
  };
  // Broadcast along the last axis ({4, 1}: a sum per row) and along the others ({3}: per
  // column), in two and three dimensions, and to a scalar.
  const std::vector<std::pair<Shape, Shape>> shapes = {{{2, 3}, {2, 3}},    {{2, 3}, {3}},
                                                       {{2, 1}, {1, 3}},    {{3}, {}},
                                                       {{2, 1, 3}, {4, 1}}, {{4, 5}, {4, 1}}};
  for (const auto& [name, f] : ops)
    for (const auto& [sa, sb] : shapes) {
      INFO(name << " " << xg::shape_str(sa) << " " << xg::shape_str(sb));
      require_gradcheck(f, {randd(sa, 11), randd(sb, 12)});
    }
}

TEST_CASE("gradients of scalar and unary ops") {
  using F = std::function<TensorD(const std::vector<TensorD>&)>;
  const std::vector<std::pair<const char*, F>> ops = {
      {"add_scalar", [](const auto& in) { return in[0] + 2.5; }},
      {"rsub", [](const auto& in) { return 2.5 - in[0]; }},
      {"mul_scalar", [](const auto& in) { return in[0] * -3.0; }},
      {"div_scalar", [](const auto& in) { return in[0] / 4.0; }},
      {"rdiv", [](const auto& in) { return 1.0 / (xg::abs(in[0]) + 1.0); }},
      {"pow_scalar", [](const auto& in) { return xg::pow(in[0], 3.0); }},
      {"rpow", [](const auto& in) { return xg::rpow_scalar(in[0], 1.7); }},
      {"neg", [](const auto& in) { return -in[0]; }},
      {"exp", [](const auto& in) { return xg::exp(in[0]); }},
      {"log", [](const auto& in) { return xg::log(xg::abs(in[0]) + 0.1); }},
      {"sqrt", [](const auto& in) { return xg::sqrt(xg::abs(in[0]) + 0.1); }},
      {"sin", [](const auto& in) { return xg::sin(in[0]); }},
      {"cos", [](const auto& in) { return xg::cos(in[0]); }},
      {"abs", [](const auto& in) { return xg::abs(in[0]); }},
      {"clamp", [](const auto& in) { return xg::clamp(in[0], -0.5, 0.5); }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    require_gradcheck(f, {randd({3, 4}, 21)});
  }
}

TEST_CASE("gradients at the kinks follow PyTorch") {
  Tensor x = Tensor::from({-1, 0, 0.5f, 1}).requires_grad_();
  xg::clamp(x, -1.0f, 0.5f).sum().backward();
  require_values(x.grad(), {1, 1, 1, 0});  // the bounds pass the gradient (torch.clamp)
  x.zero_grad();
  xg::abs(x).sum().backward();
  require_values(x.grad(), {-1, 0, 1, 1});  // sign(0) = 0
  Tensor a = Tensor::from({1, 2}).requires_grad_(), b = Tensor::from({1, 3}).requires_grad_();
  xg::maximum(a, b).sum().backward();
  require_values(a.grad(), {0.5, 0});  // a tie splits the gradient equally (torch.maximum)
  require_values(b.grad(), {0.5, 1});
  Tensor z = Tensor::from({0, 2}).requires_grad_();
  xg::pow(z, 0.0f).sum().backward();
  require_values(z.grad(), {0, 0});  // d/dx x^0 = 0, also at x = 0
  Tensor base = Tensor::from({0}).requires_grad_(), e = Tensor::from({2}).requires_grad_();
  xg::pow(base, e).sum().backward();
  require_values(e.grad(), {0});  // PyTorch masks 0^b's exponent gradient for b >= 0
  require_values(base.grad(), {0});
}

// PyTorch's pow(tensor, scalar) computes x^0.5 as sqrt(x), x^-0.5 as 1 / sqrt(x), x^2 as x x,
// x^3 as x x x, x^-1 as 1 / x and x^-2 as 1 / (x x), and the gradient p x^(p-1) with the same
// forms. They differ from std::pow at signed zeros and -inf, and in the last bit.
TEST_CASE("pow with a scalar exponent takes PyTorch's closed forms") {
  const double inf = std::numeric_limits<double>::infinity();
  // Each element compared bit for bit (NaN equals NaN; the sign of zero and of inf counts).
  const auto require_bits = [](const TensorD& t, const std::vector<double>& expected) {
    REQUIRE(t.numel() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const double got = t.data().data()[i];
      INFO("element " << i << ": " << got << " against " << expected[i]);
      if (std::isnan(expected[i]))
        REQUIRE(std::isnan(got));
      else
        REQUIRE((got == expected[i] && std::signbit(got) == std::signbit(expected[i])));
    }
  };
  const auto pow_and_grad = [inf](double p) {
    TensorD x = TensorD::from({-0.0, -inf, 4, 1e-310, 1.1}).requires_grad_();
    const TensorD y = xg::pow(x, p);
    y.sum().backward();
    return std::pair<TensorD, TensorD>{y, x.grad()};
  };
  const double nan = std::nan(""), r = 1 / std::sqrt(1e-310);  // r: two roundings, as rsqrt
  auto [y, g] = pow_and_grad(0.5);                             // sqrt; gradient 0.5 / sqrt(x)
  require_bits(y, {-0.0, nan, 2, std::sqrt(1e-310), std::sqrt(1.1)});
  require_bits(g, {-inf, nan, 0.25, 0.5 * r, 0.5 * (1 / std::sqrt(1.1))});
  std::tie(y, g) = pow_and_grad(-0.5);  // 1 / sqrt(x); gradient -0.5 pow(x, -1.5)
  require_bits(y, {-inf, nan, 0.5, r, 1 / std::sqrt(1.1)});
  require_bits(g, {-inf, -0.0, -0.0625, -0.5 * std::pow(1e-310, -1.5), -0.5 * std::pow(1.1, -1.5)});
  std::tie(y, g) = pow_and_grad(1.5);  // std::pow; gradient 1.5 sqrt(x)
  require_bits(y, {0.0, inf, 8, std::pow(1e-310, 1.5), std::pow(1.1, 1.5)});
  require_bits(g, {-0.0, nan, 3, 1.5 * std::sqrt(1e-310), 1.5 * std::sqrt(1.1)});
  std::tie(y, g) = pow_and_grad(3);  // x x x; gradient 3 x x
  require_bits(y, {-0.0, -inf, 64, 0.0, 1.1 * 1.1 * 1.1});
  require_bits(g, {0.0, inf, 48, 0.0, 3 * (1.1 * 1.1)});
  std::tie(y, g) = pow_and_grad(-1);  // 1 / x; gradient -1 / (x x)
  require_bits(y, {-inf, -0.0, 0.25, inf, 1 / 1.1});
  require_bits(g, {-inf, -0.0, -0.0625, -inf, -(1 / (1.1 * 1.1))});
}

TEST_CASE("gradients at NaN, at a zero base and at extreme magnitudes follow PyTorch") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  SECTION("0^x: d/dx = 0^x log 0 is masked to 0 for x >= 0, like pow's exponent") {
    TensorD x = TensorD::from({0, 1, 2, -1}).requires_grad_();
    const TensorD y = xg::rpow_scalar(x, 0.0);
    require_values(y, {1, 0, 0, inf});
    y.sum().backward();
    require_values(x.grad(), {0, 0, 0, -inf});  // at x < 0: inf * log 0 = -inf
  }
  SECTION("d(a/b)/db = -a/b^2 where b^2 alone would underflow") {
    // b^2 = 1e-400 is 0 in double; the quotient is -1e-300 / 1e-400 = -1e100.
    TensorD a = TensorD::from({1e-300}).requires_grad_(),
            b = TensorD::from({1e-200}).requires_grad_();
    (a / b).sum().backward();
    REQUIRE(b.grad().item() == Approx(-1e100).epsilon(1e-15));
    TensorD c = TensorD::from({1e-200}).requires_grad_();
    xg::rdiv_scalar(c, 1e-300).sum().backward();
    REQUIRE(c.grad().item() == Approx(-1e100).epsilon(1e-15));
  }
  SECTION("maximum and minimum pass the whole gradient to both sides where either is NaN") {
    // torch.maximum's backward masks self < other (other: self > other) and halves ties; a
    // comparison with NaN is false, so neither side is masked.
    for (bool is_max : {true, false}) {
      TensorD a = TensorD::from({nan, 1, 2, 5}).requires_grad_();
      TensorD b = TensorD::from({1, nan, nan, 3}).requires_grad_();
      const TensorD y = is_max ? xg::maximum(a, b) : xg::minimum(a, b);
      REQUIRE(std::isnan(y.data().data()[0]));
      REQUIRE(std::isnan(y.data().data()[1]));
      y.sum().backward();
      require_values(a.grad(), {1, 1, 1, is_max ? 1.0 : 0.0});
      require_values(b.grad(), {1, 1, 1, is_max ? 0.0 : 1.0});
    }
  }
}

TEST_CASE("clamp refuses a NaN bound, naming the op and the bound") {
  const double nan = std::nan("");
  const TensorD x = TensorD::from({1., 2.});
  REQUIRE_THROWS_WITH(xg::clamp(x, nan, 1.0), "clamp: low must be a number, got nan");
  REQUIRE_THROWS_WITH(xg::clamp(x, 0.0, nan), "clamp: high must be a number, got nan");
  REQUIRE_THROWS_WITH(xg::clamp_min(x, nan), "clamp_min: min must be a number, got nan");
  REQUIRE_THROWS_WITH(xg::clamp_max(x, nan), "clamp_max: max must be a number, got nan");
  REQUIRE_THROWS_WITH(xg::clamp(x, 2.0, 1.0), "clamp: low (2) must be <= high (1)");
}

TEST_CASE("comparisons, where, masked_fill, masked_select") {
  const Tensor a = Tensor::from({1, 5, 3}), b = Tensor::from({2, 5, 1});
  require_values(a > b, {0, 0, 1});
  require_values(a >= b, {0, 1, 1});
  require_values(a < b, {1, 0, 0});
  require_values(a <= b, {1, 1, 0});
  require_values(xg::eq(a, b), {0, 1, 0});
  // With a number on either side (a = 1, 5, 3), as torch's a > 3.
  require_values(a > 3, {0, 1, 0});
  require_values(a >= 3.0, {0, 1, 1});
  require_values(a < 3.0f, {1, 0, 0});
  require_values(a <= 3, {1, 0, 1});
  require_values(2 < a, {0, 1, 1});
  require_values(4 > a, {1, 0, 1});
  require_values(5 >= a, {1, 1, 1});
  require_values(1 <= a, {1, 1, 1});
  REQUIRE((TensorD::from({0.5, 2}) > 1).shape() == Shape{2});
  require_values(xg::where(a > b, a, b), {2, 5, 3});
  const Tensor m = Tensor::from({1, 2, 3, 4}, {2, 2});
  require_values(xg::masked_fill(m, Tensor::from({1, 0}), -1.0f),
                 {-1, 2, -1, 4});  // mask broadcasts
  const Tensor sel = xg::masked_select(m, Tensor::from({0, 1, 1, 0}, {2, 2}));
  REQUIRE(sel.shape() == Shape{2});
  require_values(sel, {2, 3});
  REQUIRE_THROWS_WITH(xg::masked_fill(m, Tensor::ones({3}), 0.0f), Catch::Contains("masked_fill"));
  const TensorD cond = TensorD::from({1, 0, 1, 0, 0, 1}, {2, 3});
  require_gradcheck([&](const auto& in) { return xg::where(cond, in[0], in[1]); },
                    {randd({2, 3}, 1), randd({3}, 2)});
  require_gradcheck([&](const auto& in) { return xg::masked_fill(in[0], cond, 7.0); },
                    {randd({2, 3}, 3)});
  require_gradcheck([&](const auto& in) { return xg::masked_select(in[0], cond); },
                    {randd({2, 3}, 4)});
}
