// Linear, Sequential, Dropout, BatchNorm1d, LayerNorm, Residual: values from the formulas,
// double gradchecks of inputs and parameters, PyTorch's running-statistics rule, names.
#include <cmath>

#include "test_helpers.hpp"
#include <xgrad/nn/activation.hpp>
#include <xgrad/nn/batchnorm.hpp>
#include <xgrad/nn/dropout.hpp>
#include <xgrad/nn/layernorm.hpp>
#include <xgrad/nn/linear.hpp>
#include <xgrad/nn/residual.hpp>
#include <xgrad/nn/sequential.hpp>

using namespace xgtest;
namespace nn = xg::nn;

TEST_CASE("Linear: y = x W^T + b with W [out, in], PyTorch's init bound, gradcheck", "[nn]") {
  nn::LinearD lin(3, 2, true, 1);
  REQUIRE(lin.weight.shape() == xg::Shape{2, 3});
  for (double w : lin.weight.to_vector()) REQUIRE(std::fabs(w) <= 1 / std::sqrt(3.0));
  lin.weight.data() = xt::xarray<double>{{1, 2, 3}, {-1, 0, 1}};
  lin.bias.data() = xt::xarray<double>{0.5, -0.5};
  // x = (1, 1, 2): (1 + 2 + 6 + 0.5, -1 + 0 + 2 - 0.5)
  require_values(lin(TensorD::from({1., 1., 2.}, {1, 3})), {9.5, 0.5}, 1e-15);
  REQUIRE(lin.describe() == "Linear(in_features=3, out_features=2, bias=true)");
  auto names = lin.named_parameters();
  REQUIRE(names[0].first == "weight");
  REQUIRE(names[1].first == "bias");
  const TensorD x = randd({4, 3}, 2);
  require_gradcheck([&] { return lin(x); }, {lin.weight, lin.bias, x});
  // Same seed, same weights; different seed, different weights.
  REQUIRE(nn::Linear(3, 2, true, 7).weight.to_vector() == nn::Linear(3, 2, true, 7).weight.to_vector());
  REQUIRE(nn::Linear(3, 2, true, 7).weight.to_vector() != nn::Linear(3, 2, true, 8).weight.to_vector());
  REQUIRE_THROWS_WITH(lin(TensorD::zeros({4, 5})), Catch::Contains("[4,5]") && Catch::Contains("[2,3]"));
}

TEST_CASE("Sequential chains modules and names children like PyTorch", "[nn]") {
  nn::SequentialD model(nn::LinearD(2, 4, true, 1), nn::TanhD(), nn::LinearD(4, 1, true, 2));
  REQUIRE(model.size() == 3);
  const auto state = model.state_dict();
  REQUIRE(state.size() == 4);
  REQUIRE(state[0].first == "0.weight");
  REQUIRE(state[3].first == "2.bias");
  REQUIRE(model.num_parameters() == 2 * 4 + 4 + 4 + 1);
  const TensorD x = TensorD::randn({3, 2}, 3);
  auto& l0 = dynamic_cast<nn::LinearD&>(model[0]);
  auto& l2 = dynamic_cast<nn::LinearD&>(model[2]);
  const TensorD manual = l2(xg::tanh(l0(x)));
  REQUIRE(model(x).to_vector() == manual.to_vector());
  require_gradcheck([&] { return model(x); }, model.parameters());
  REQUIRE_THAT(model.summary(), Catch::Contains("Linear(in_features=2, out_features=4, bias=true)"));
}

TEST_CASE("Dropout: inverted scaling in train mode, identity in eval, reproducible", "[nn]") {
  nn::Dropout drop(0.25, 5);
  const std::size_t n = 100000;
  Tensor x = Tensor::ones({n}).requires_grad_();
  Tensor y = drop(x);
  std::size_t zeros = 0;
  for (float v : y.to_vector()) {
    REQUIRE((v == 0 || v == Approx(1 / 0.75)));
    zeros += v == 0;
  }
  // Binomial(n, 0.25): sd = sqrt(n p (1-p)) = 137; 5 sd.
  REQUIRE(std::fabs(double(zeros) - 0.25 * n) < 5 * 137);
  y.sum().backward();
  REQUIRE(x.grad().to_vector() == y.to_vector());  // d/dx = mask / (1-p) = y for x = 1
  nn::Dropout again(0.25, 5);
  REQUIRE(again(x).to_vector() == y.to_vector());
  drop.eval();
  REQUIRE(drop(x).to_vector() == x.to_vector());
  REQUIRE_THROWS_WITH(nn::Dropout(1.5), Catch::Contains("p must be in [0, 1]"));
}

TEST_CASE("BatchNorm1d: batch statistics, running stats with unbiased variance, eval", "[nn]") {
  nn::BatchNorm1dD bn(2);
  // Channel 0: (1, 2, 3, 6): mean 3, biased var 3.5, unbiased 14/3. Channel 1 constant 4.
  const TensorD x = TensorD::from({1., 4., 2., 4., 3., 4., 6., 4.}, {4, 2});
  const TensorD y = bn(x);
  const double s = 1 / std::sqrt(3.5 + 1e-5);
  require_values(y, {-2 * s, 0, -1 * s, 0, 0, 0, 3 * s, 0}, 1e-12);
  // running = 0.9 * initial + 0.1 * batch (mean; unbiased var)
  require_values(bn.running_mean, {0.3, 0.4}, 1e-15);
  require_values(bn.running_var, {0.9 + 0.1 * 14.0 / 3, 0.9}, 1e-15);
  REQUIRE(bn.num_batches_tracked.item() == 1);
  bn.eval();
  require_values(bn(TensorD::from({0.3, 0.4}, {1, 2})), {0, 0}, 1e-15);
  bn.train();
  bn.weight.data() = xt::xarray<double>{1.5, -0.5};
  bn.bias.data() = xt::xarray<double>{0.1, 0.2};
  const TensorD xr = randd({5, 2}, 4), xr3 = randd({3, 2, 4}, 5);
  require_gradcheck([&] { return bn(xr); }, {xr, bn.weight, bn.bias});
  require_gradcheck([&] { return bn(xr3); }, {xr3, bn.weight, bn.bias});
  bn.eval();
  require_gradcheck([&] { return bn(xr); }, {xr, bn.weight, bn.bias});
  bn.train();
  REQUIRE_THROWS_WITH(bn(TensorD::zeros({1, 2})), Catch::Contains("more than 1 value per channel"));
  REQUIRE_THROWS_WITH(bn(TensorD::zeros({4, 3})), Catch::Contains("[N, 2]"));
  const auto names = bn.state_dict();
  REQUIRE(names[2].first == "running_mean");
  REQUIRE(names[4].first == "num_batches_tracked");
}

TEST_CASE("LayerNorm: per-sample normalisation over the trailing dims, gradcheck", "[nn]") {
  nn::LayerNormD ln({3});
  // Row (1, 2, 6): mean 3, biased var (4 + 1 + 9)/3 = 14/3.
  const double s = 1 / std::sqrt(14.0 / 3 + 1e-5);
  require_values(ln(TensorD::from({1., 2., 6.}, {1, 3})), {-2 * s, -1 * s, 3 * s}, 1e-12);
  ln.weight.data() = xt::xarray<double>{1.5, -0.5, 2};
  ln.bias.data() = xt::xarray<double>{0.1, 0.2, 0.3};
  const TensorD x = randd({4, 3}, 6), x3 = randd({2, 2, 3}, 7);
  require_gradcheck([&] { return ln(x); }, {x, ln.weight, ln.bias});
  require_gradcheck([&] { return ln(x3); }, {x3, ln.weight, ln.bias});
  nn::LayerNormD ln2({2, 3});
  require_gradcheck([&] { return ln2(x3); }, {x3, ln2.weight, ln2.bias});
  REQUIRE_THROWS_WITH(ln(TensorD::zeros({4, 2})), Catch::Contains("does not end with normalized_shape"));
}

TEST_CASE("Residual: x + block(x), gradients through both paths", "[nn]") {
  nn::ResidualD res(nn::SequentialD(nn::LinearD(3, 3, true, 1), nn::TanhD()));
  const TensorD x = randd({2, 3}, 8);
  auto& inner = dynamic_cast<nn::SequentialD&>(*res.children()[0].second);
  const TensorD expected = x + inner(x);
  REQUIRE(res(x).to_vector() == expected.to_vector());
  require_gradcheck([&] { return res(x); }, {x, res.parameters()[0], res.parameters()[1]});
  REQUIRE(res.state_dict()[0].first == "block.0.weight");
  nn::ResidualD bad(nn::LinearD(3, 2, true, 1));
  REQUIRE_THROWS_WITH(bad(x), Catch::Contains("must keep the shape"));
}
