// Reductions over all elements and along one axis, with keepdim.
#include <vector>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("sum and mean, over everything and along an axis") {
  const Tensor m = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(m.sum().item() == 21.0f);
  REQUIRE(m.sum().dim() == 0);
  REQUIRE(m.mean().item() == 3.5f);
  require_values(m.sum(0), {5, 7, 9});
  require_values(m.sum(1), {6, 15});
  require_values(m.sum(-1), {6, 15});
  REQUIRE(m.sum(1, true).shape() == Shape{2, 1});
  REQUIRE(m.sum(0).shape() == Shape{3});
  require_values(m.mean(0), {2.5, 3.5, 4.5});
  require_values(m.mean(1, true), {2, 5});
  const Tensor t = Tensor::arange(0, 24).reshape({2, 3, 4});
  // sum over axis 1 of arange(24).reshape(2,3,4): [[12,15,18,21],[48,51,54,57]] (numpy)
  require_values(t.sum(1), {12, 15, 18, 21, 48, 51, 54, 57});
  REQUIRE_THROWS_WITH(
      m.sum(2), Catch::Contains("sum: axis 2 is out of range for a tensor of 2 dimension(s)"));
}

TEST_CASE("mean divides the sum by the count, as PyTorch") {
  // PyTorch: sum / n. A product by a rounded 1/3 gave 6.3921505413024793 for the mean of three
  // 6.3921505413024802 (PyTorch: the value itself), and differed from sum / 3 for 29% of x.
  REQUIRE(xg::mean(TensorD::full({3}, 6.3921505413024802)).item() == 6.3921505413024802);
  for (int i = 0; i < 2000; ++i) {
    const double x = 1 + i * 0.0037 + 1e-9 * i * i, sum = x + x + x;
    INFO("x = " << x);
    REQUIRE(xg::mean(TensorD::full({3}, x)).item() == sum / 3);
    REQUIRE(xg::mean(TensorD::full({2, 3}, x), 1).to_vector() ==
            std::vector<double>{sum / 3, sum / 3});
  }
  TensorD g = TensorD::full({3}, 6.3921505413024802).requires_grad_();
  xg::mean(g).backward();
  require_values(g.grad(), {1 / 3., 1 / 3., 1 / 3.}, 0);  // 1 / 3 correctly rounded, as g / n
  REQUIRE_THROWS_WITH(xg::sum(TensorD::full({}, 2.0), 0),
                      "sum: axis 0 is out of range: a 0-d tensor (a scalar) has no axis");
}

TEST_CASE("max and min, values and which element receives the gradient") {
  const Tensor m = Tensor::from({1, 7, 3, 9, 2, 9}, {2, 3});
  REQUIRE(m.max().item() == 9.0f);
  REQUIRE(m.min().item() == 1.0f);
  require_values(m.max(1), {7, 9});
  require_values(m.min(0), {1, 2, 3});
  REQUIRE(m.max(0, true).shape() == Shape{1, 3});
  REQUIRE(xg::argmax(m, 1) == std::vector<std::int64_t>{1, 0});  // first maximum on ties
  REQUIRE(xg::argmin(m, 0) == std::vector<std::int64_t>{0, 1, 0});

  Tensor x = Tensor::from({1, 7, 3, 9, 2, 9}, {2, 3}).requires_grad_();
  x.max().backward();  // two tied maxima share the gradient (torch.max(x))
  require_values(x.grad(), {0, 0, 0, 0.5, 0, 0.5});
  x.zero_grad();
  x.max(1).sum().backward();  // along an axis: the first maximum (torch.max(x, dim))
  require_values(x.grad(), {0, 1, 0, 1, 0, 0});
  REQUIRE_THROWS_WITH(Tensor::zeros({0}).max(), Catch::Contains("cannot reduce an empty tensor"));
  // Along an axis (torch 1.13): the axis must hold elements, and a tensor empty along another
  // axis gives an empty result, with an empty gradient.
  Tensor e = Tensor::zeros({0, 3}).requires_grad_();
  REQUIRE(e.max(1).shape() == Shape{0});
  REQUIRE(e.min(1, true).shape() == Shape{0, 1});
  REQUIRE(xg::argmax(e, 1).empty());
  REQUIRE(xg::argmin(e, -1).empty());
  e.max(1).sum().backward();
  REQUIRE(e.grad().shape() == Shape{0, 3});
  REQUIRE_THROWS_WITH(e.max(0), "max: cannot reduce along axis 0 of size 0 (shape [0,3])");
  REQUIRE_THROWS_WITH(xg::argmin(e, 0),
                      "argmin: cannot reduce along axis 0 of size 0 (shape [0,3])");

  // A NaN is the extreme of max() and min(), and the gradient is split among the NaN elements
  // (PyTorch's evenly_distribute_backward compares with isnan when the result is NaN).
  const float nan = std::nanf("");
  for (bool is_max : {true, false}) {
    Tensor n = Tensor::from({1, nan, 3, 2, nan, -1}, {2, 3}).requires_grad_();
    const Tensor extreme = is_max ? n.max() : n.min();
    REQUIRE(std::isnan(extreme.item()));
    extreme.backward();
    require_values(n.grad(), {0, 0.5, 0, 0, 0.5, 0});
  }
}

TEST_CASE("reduction gradients (double-precision gradcheck)") {
  using F = std::function<TensorD(const std::vector<TensorD>&)>;
  const std::vector<std::pair<const char*, F>> ops = {
      {"sum", [](const auto& in) { return in[0].sum(); }},
      {"mean", [](const auto& in) { return in[0].mean(); }},
      {"sum0", [](const auto& in) { return in[0].sum(0); }},
      {"sum1k", [](const auto& in) { return in[0].sum(1, true); }},
      {"sum-1", [](const auto& in) { return in[0].sum(-1); }},
      {"mean2k", [](const auto& in) { return in[0].mean(2, true); }},
      {"max", [](const auto& in) { return in[0].max(); }},
      {"min", [](const auto& in) { return in[0].min(); }},
      {"max1", [](const auto& in) { return in[0].max(1); }},
      {"min0k", [](const auto& in) { return in[0].min(0, true); }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    require_gradcheck(f, {randd({2, 3, 4}, 31)});  // random values: no ties
  }
}
