// Initialisers: sample moments of a 512 x 512 tensor against the formulas (tolerance: a few
// standard errors of the estimate), PyTorch's gain table, fans.
#include <cmath>

#include "test_helpers.hpp"
#include <xgrad/nn/init.hpp>

using namespace xgtest;
namespace init = xg::nn::init;

namespace {
struct Moments {
  double mean, var, max_abs;
};
Moments moments(const Tensor& t) {
  double s = 0, ss = 0, m = 0;
  for (float v : t.data()) s += v;
  const double mean = s / double(t.size());
  for (float v : t.data()) {
    ss += (v - mean) * (v - mean);
    m = std::max(m, std::fabs(double(v)));
  }
  return {mean, ss / double(t.size() - 1), m};
}
// With n = 262144 samples of variance s2: the mean's standard error is sqrt(s2/n); the
// variance's relative standard error is about sqrt(2/n) = 0.28% (normal) or less (uniform).
void require_moments(const Tensor& t, double var) {
  const Moments m = moments(t);
  const double n = double(t.size());
  REQUIRE(std::fabs(m.mean) < 5 * std::sqrt(var / n));
  REQUIRE(std::fabs(m.var / var - 1) < 5 * std::sqrt(2 / n));
}
}  // namespace

TEST_CASE("calculate_gain matches PyTorch's table", "[init]") {
  REQUIRE(init::calculate_gain("linear") == 1);
  REQUIRE(init::calculate_gain("sigmoid") == 1);
  REQUIRE(init::calculate_gain("conv2d") == 1);
  REQUIRE(init::calculate_gain("tanh") == Approx(5.0 / 3));
  REQUIRE(init::calculate_gain("relu") == Approx(std::sqrt(2.0)));
  REQUIRE(init::calculate_gain("leaky_relu") == Approx(std::sqrt(2 / (1 + 0.01 * 0.01))));
  REQUIRE(init::calculate_gain("leaky_relu", 0.2) == Approx(std::sqrt(2 / 1.04)));
  REQUIRE(init::calculate_gain("selu") == 0.75);
  REQUIRE_THROWS_WITH(init::calculate_gain("swishy"), Catch::Contains("unsupported nonlinearity 'swishy'"));
  REQUIRE(init::calculate_fan_in_and_fan_out({64, 32}) == std::pair<std::size_t, std::size_t>{32, 64});
  REQUIRE(init::calculate_fan_in_and_fan_out({8, 4, 3, 3}) == std::pair<std::size_t, std::size_t>{36, 72});
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out({5}), Catch::Contains("fewer than 2 dimensions"));
}

TEST_CASE("initialisers: 512x512 sample mean and variance match the formulas", "[init]") {
  const std::size_t n = 512;
  xg::Generator rng(1);
  Tensor w = Tensor::zeros({n, n});
  // Xavier uniform: U(-a, a), a = g sqrt(6 / (fan_in + fan_out)); variance a^2 / 3.
  init::xavier_uniform_(w, 1.0, rng);
  const double a = std::sqrt(6.0 / 1024);
  require_moments(w, a * a / 3);
  REQUIRE(moments(w).max_abs <= a);
  // Xavier normal: variance g^2 2 / (fan_in + fan_out), here with the tanh gain.
  init::xavier_normal_(w, 5.0 / 3, rng);
  require_moments(w, 25.0 / 9 * 2 / 1024);
  // He / Kaiming normal (relu, fan_in): variance 2 / fan_in.
  init::kaiming_normal_(w, 0, init::FanMode::FanIn, "relu", rng);
  require_moments(w, 2.0 / 512);
  // Kaiming uniform (leaky_relu a = 0.2, fan_out): bound g sqrt(3 / fan), variance g^2 / fan.
  init::kaiming_uniform_(w, 0.2, init::FanMode::FanOut, "leaky_relu", rng);
  require_moments(w, 2 / 1.04 / 512);
  // LeCun normal: variance 1 / fan_in.
  init::lecun_normal_(w, rng);
  require_moments(w, 1.0 / 512);
  init::constant_(w, 0.1);
  for (float v : w.data()) REQUIRE(v == 0.1f);
  // The same seed gives the same tensor.
  Tensor u = Tensor::zeros({4, 4}), v = Tensor::zeros({4, 4});
  xg::Generator r1(9), r2(9);
  init::normal_(u, 0, 1, r1);
  init::normal_(v, 0, 1, r2);
  REQUIRE(u.to_vector() == v.to_vector());
}
