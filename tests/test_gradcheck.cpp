// gradcheck must pass correct gradients and catch wrong ones.
#include <cmath>
#include <xgrad/extend.hpp>

#include "test_helpers.hpp"

using namespace xgtest;

namespace {
// x * 2 whose backward is planted wrong in one element: element 1 gets 3 instead of 2.
struct PlantedErrorNode final : xg::Node<double> {
  const char* name() const override { return "PlantedErrorBackward"; }
  void backward(const xg::Array<double>& g, const xg::Array<double>&) override {
    accumulate(0, [&](std::size_t i) { return g.data()[i] * (i == 1 ? 3.0 : 2.0); });
  }
};
TensorD planted(const TensorD& x) {
  return xg::record<PlantedErrorNode>(xg::Array<double>(x.data() * 2.0), {x});
}
}  // namespace

TEST_CASE("gradcheck passes a correct gradient and counts the Jacobian entries") {
  const auto report = xg::gradcheck([](const std::vector<TensorD>& in) { return in[0] * in[1]; },
                                    {randd({2, 3}, 1), randd({2, 3}, 2)});
  INFO(report.message());
  REQUIRE(report.ok());
  REQUIRE(report.checked == 2 * 6 * 6);  // two inputs x 6 elements x 6 outputs
}

TEST_CASE("gradcheck fails on a planted error and says where") {
  const TensorD x = randd({3}, 7);
  const auto report =
      xg::gradcheck([](const std::vector<TensorD>& in) { return planted(in[0]).sum(); }, {x});
  REQUIRE_FALSE(report.ok());
  REQUIRE(report.failures.size() == 1);
  const auto& f = report.failures[0];
  REQUIRE(f.input == 0);
  REQUIRE(f.element == 1);
  REQUIRE(f.analytic == Approx(3.0));
  REQUIRE(f.numeric == Approx(2.0).epsilon(1e-6));
  REQUIRE_THAT(report.message(),
               Catch::Contains("input 0, element 1") && Catch::Contains("analytic 3"));
}

TEST_CASE("gradcheck checks only inputs that require grad and reports which one fails") {
  const TensorD constant = TensorD::randn({3}, 3);
  const auto report =
      xg::gradcheck([](const std::vector<TensorD>& in) { return (in[0] + planted(in[1])).sum(); },
                    {constant, randd({3}, 4)});
  REQUIRE_FALSE(report.ok());
  REQUIRE(report.failures[0].input == 1);
}

TEST_CASE("gradcheck over parameters read by a callable") {
  TensorD w = randd({2, 2}, 5);
  const TensorD x = TensorD::randn({3, 2}, 6);
  auto report = xg::gradcheck([&] { return xg::matmul(x, w).sum(); }, {w});
  INFO(report.message());
  REQUIRE(report.ok());
  REQUIRE(w.at(0, 0) == TensorD::randn({2, 2}, 5).at(0, 0));  // values restored after perturbation
}

TEST_CASE("gradcheck tolerances are configurable and errors are reported") {
  xg::GradcheckOptions loose;
  loose.atol = 2.0;  // |3 - 2| = 1 <= 2: the planted error passes under this tolerance
  const auto report = xg::gradcheck(
      [](const std::vector<TensorD>& in) { return planted(in[0]).sum(); }, {randd({3}, 7)}, loose);
  REQUIRE(report.ok());
  const auto none = xg::gradcheck([](const std::vector<TensorD>& in) { return in[0].sum(); },
                                  {TensorD::ones({2})});
  REQUIRE_FALSE(none.ok());
  REQUIRE_THAT(none.message(), Catch::Contains("no input requires grad"));
}

TEST_CASE("gradcheck refuses options that make the check meaningless") {
  const auto f = [](const std::vector<TensorD>& in) { return in[0].sum(); };
  const std::vector<TensorD> x{randd({2}, 1)};
  xg::GradcheckOptions o;
  o.eps = 0;  // a zero step divides 0 by 0: every entry would be NaN
  REQUIRE_THROWS_WITH(xg::gradcheck(f, x, o),
                      Catch::Contains("gradcheck: eps must be finite and > 0"));
  o = {};
  o.atol = std::nan("");
  REQUIRE_THROWS_WITH(xg::gradcheck(f, x, o), Catch::Contains("atol"));
  o = {};
  o.rtol = -1;
  REQUIRE_THROWS_WITH(xg::gradcheck(f, x, o), Catch::Contains("rtol"));
}
