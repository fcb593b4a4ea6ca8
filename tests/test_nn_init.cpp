// Initialisers: sample moments of a 512 x 512 tensor against the formulas (tolerance: a few
// standard errors of the estimate), PyTorch's gain table, fans.
#include <cmath>

#include <xgrad/nn/activation.hpp>
#include <xgrad/nn/batchnorm.hpp>
#include <xgrad/nn/init.hpp>
#include <xgrad/nn/linear.hpp>
#include <xgrad/nn/residual.hpp>
#include <xgrad/nn/sequential.hpp>
#include "test_helpers.hpp"

using namespace xgtest;
namespace init = xg::nn::init;

namespace {
struct Moments {
  double mean, var, max_abs;
};
Moments moments(const Tensor& t) {
  double s = 0, ss = 0, m = 0;
  for (float v : t.data()) s += v;
  const double mean = s / double(t.numel());
  for (float v : t.data()) {
    ss += (v - mean) * (v - mean);
    m = std::max(m, std::fabs(double(v)));
  }
  return {mean, ss / double(t.numel() - 1), m};
}
// With n = 262144 samples of variance s2: the mean's standard error is sqrt(s2/n); the
// variance's relative standard error is about sqrt(2/n) = 0.28% (normal) or less (uniform).
void require_moments(const Tensor& t, double var) {
  const Moments m = moments(t);
  const double n = double(t.numel());
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
  REQUIRE_THROWS_WITH(init::calculate_gain("swishy"),
                      Catch::Contains("unsupported nonlinearity 'swishy'"));
  REQUIRE(init::calculate_fan_in_and_fan_out({64, 32}) ==
          std::pair<std::size_t, std::size_t>{32, 64});
  REQUIRE(init::calculate_fan_in_and_fan_out({8, 4, 3, 3}) ==
          std::pair<std::size_t, std::size_t>{36, 72});
  REQUIRE_THROWS_WITH(init::calculate_fan_in_and_fan_out({5}),
                      Catch::Contains("fewer than 2 dimensions"));
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

TEST_CASE("calculate_gain: the rest of PyTorch's table, nothing more", "[init]") {
  for (const char* n :
       {"conv1d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"})
    REQUIRE(init::calculate_gain(n) == 1);
  REQUIRE(init::calculate_gain("leaky_relu", 0.0) == Approx(std::sqrt(2.0)));
  REQUIRE(init::calculate_gain("leaky_relu", 1.0) == Approx(1.0));
  REQUIRE(init::calculate_gain("relu", 0.5) ==
          Approx(std::sqrt(2.0)));  // param ignored, as in PyTorch
  for (const char* n : {"identity", "conv", "gelu", "ReLU", ""})
    REQUIRE_THROWS_WITH(init::calculate_gain(n), Catch::Contains("unsupported nonlinearity"));
}

TEST_CASE("initialisers: uniform/normal moments, fan_out, PyTorch defaults, seeds, errors",
          "[init]") {
  // uniform_(lo, hi): mean (lo + hi) / 2, variance (hi - lo)^2 / 12, values in [lo, hi).
  Tensor w = Tensor::zeros({512, 512});
  init::uniform_(w, -1.0, 3.0, 1);
  const Moments mu = moments(w);
  REQUIRE(std::fabs(mu.mean - 1) < 5 * std::sqrt(16.0 / 12 / double(w.numel())));
  require_moments(w - 1.0f, 16.0 / 12);
  for (float v : w.data()) REQUIRE((v >= -1 && v < 3));
  // normal_(3, 2)
  init::normal_(w, 3.0, 2.0, 2);
  REQUIRE(std::fabs(moments(w).mean - 3) < 5 * std::sqrt(4.0 / double(w.numel())));
  require_moments(w - 3.0f, 4.0);
  // A non-square weight [out = 128, in = 2048] tells fan_in from fan_out.
  Tensor r = Tensor::zeros({128, 2048});
  init::kaiming_normal_(r, 0, init::FanMode::FanOut, "relu", 3);
  require_moments(r, 2.0 / 128);
  init::kaiming_normal_(r, 0, init::FanMode::FanIn, "relu", 3);
  require_moments(r, 2.0 / 2048);
  init::xavier_normal_(r, 1.0, 4);
  require_moments(r, 2.0 / (128 + 2048));
  // PyTorch's kaiming defaults (a = 0, fan_in, leaky_relu -> gain sqrt(2)): bound sqrt(6 / fan_in).
  xg::Generator rng(5);
  init::kaiming_uniform_(w, rng);
  REQUIRE(moments(w).max_abs <= std::sqrt(6.0 / 512));
  require_moments(w, 2.0 / 512);
  init::kaiming_normal_(w, rng);
  require_moments(w, 2.0 / 512);
  // A seed is the same as a fresh Generator with that seed.
  Tensor a = Tensor::zeros({8, 8}), b = Tensor::zeros({8, 8});
  xg::Generator g(42);
  init::xavier_uniform_(a, 1.0, 42);
  init::xavier_uniform_(b, 1.0, g);
  REQUIRE(a.to_vector() == b.to_vector());
  // Tensors are handles: a temporary handle (e.g. from parameters()) writes the same storage.
  init::ones_(Tensor(a));
  for (float v : a.data()) REQUIRE(v == 1);
  REQUIRE(init::zeros_(a).data().data() == a.data().data());  // returns the same tensor
  REQUIRE_THROWS_WITH(init::uniform_(a, 1.0, 0.0, 1), "uniform_: low must be <= high, got 1 and 0");
  REQUIRE_THROWS_WITH(init::normal_(a, 0.0, -1.0, 1), "normal_: stddev must be >= 0, got -1");
  Tensor v = Tensor::zeros({5});
  REQUIRE_THROWS_WITH(init::kaiming_normal_(v, 1), Catch::Contains("fewer than 2 dimensions"));
  REQUIRE_THROWS_WITH(init::xavier_uniform_(v, 1.0, 1), Catch::Contains("fewer than 2 dimensions"));
}

TEST_CASE("linear_default_: PyTorch's Linear init, what Linear and Maxout start from", "[init]") {
  // kaiming_uniform_(a = sqrt(5)) has gain sqrt(2 / 6) and bound gain sqrt(3 / fan_in) =
  // 1 / sqrt(fan_in); the bias has the same bound. U(-b, b) has variance b^2 / 3.
  Tensor w = Tensor::zeros({512, 512}), bias = Tensor::zeros({512});
  xg::Generator rng(9);
  init::linear_default_(w, bias, rng);
  const double bound = 1 / std::sqrt(512.0);
  REQUIRE(moments(w).max_abs <= bound);
  REQUIRE(moments(bias).max_abs <= bound);
  require_moments(w, bound * bound / 3);
  // The weight is drawn first, then the bias, from the Generator of the seed or from the default
  // generator itself: a layer's seed and manual_seed give the same numbers.
  Tensor w2 = Tensor::zeros({4, 3}), b2 = Tensor::zeros({4});
  xg::Generator seeded(11);
  init::linear_default_(w2, b2, seeded);
  const xg::nn::Linear seeded_layer(3, 4, true, 11);
  REQUIRE(seeded_layer.weight.to_vector() == w2.to_vector());
  REQUIRE(seeded_layer.bias.to_vector() == b2.to_vector());
  xg::manual_seed(11);
  const xg::nn::Linear default_layer(3, 4);
  REQUIRE(default_layer.weight.to_vector() == w2.to_vector());
  const xg::nn::Maxout maxout(3, 2, 2, 11);
  REQUIRE(maxout.weight.to_vector() == w2.to_vector());
  REQUIRE(maxout.bias.to_vector() == b2.to_vector());
}

TEST_CASE("init_model: every Linear by the scheme, biases constant, other modules untouched",
          "[init]") {
  namespace nn = xg::nn;
  nn::Sequential model(nn::Linear(512, 256, true, 1), nn::BatchNorm1d(256), nn::ReLU(),
                       nn::Residual(nn::Linear(256, 256, true, 2)));
  // Kaiming (He) for ReLU: N(0, 2 / fan_in), biases 0.1.
  REQUIRE(nn::init_model(model, nn::InitScheme::Kaiming, "relu", 0.1, 7) == 2);
  auto& first = model.at<nn::Linear>(0);
  auto& inner = dynamic_cast<nn::Linear&>(model.at<nn::Residual>(3).block());
  require_moments(first.weight, 2.0 / 512);
  require_moments(inner.weight, 2.0 / 256);
  for (float b : first.bias.data()) REQUIRE(b == 0.1f);
  for (float b : inner.bias.data()) REQUIRE(b == 0.1f);
  for (float g : model.at<nn::BatchNorm1d>(1).weight.data()) REQUIRE(g == 1);
  // Xavier with the tanh gain: U(-a, a), a = 5/3 sqrt(6 / (512 + 256)).
  nn::init_model(model, nn::InitScheme::Xavier, "tanh", 0.0, 8);
  const double a = 5.0 / 3 * std::sqrt(6.0 / 768);
  REQUIRE(moments(first.weight).max_abs <= a);
  require_moments(first.weight, a * a / 3);
  for (float b : first.bias.data()) REQUIRE(b == 0);
  // LeCun: N(0, 1 / fan_in).
  nn::init_model(model, nn::InitScheme::LeCun, "selu", 0.0, 9);
  require_moments(first.weight, 1.0 / 512);
  // Default: PyTorch's U(-1/sqrt(in), 1/sqrt(in)) for weights and biases.
  nn::init_model(model, nn::InitScheme::Default, "relu", 0.5, 10);
  require_moments(first.weight, 1.0 / 512 / 3);
  for (float b : first.bias.data()) REQUIRE(std::fabs(b) <= 1 / std::sqrt(512.0f));
  // The same seed reproduces; an unknown nonlinearity throws before touching anything.
  const auto before = first.weight.to_vector();
  REQUIRE_THROWS_WITH(nn::init_model(model, nn::InitScheme::Kaiming, "swish"),
                      Catch::Contains("'swish'"));
  REQUIRE(first.weight.to_vector() == before);
  nn::init_model(model, nn::InitScheme::Default, "relu", 0.5, 10);
  REQUIRE(first.weight.to_vector() == before);
}
