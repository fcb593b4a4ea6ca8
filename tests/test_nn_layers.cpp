// Linear, Sequential, Dropout, BatchNorm1d, LayerNorm, Residual: values from the formulas,
// double gradchecks of inputs and parameters, PyTorch's running-statistics rule, names.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

#include <xgrad/nn/activation.hpp>
#include <xgrad/nn/activation_registry.hpp>
#include <xgrad/nn/batchnorm.hpp>
#include <xgrad/nn/dropout.hpp>
#include <xgrad/nn/layernorm.hpp>
#include <xgrad/nn/linear.hpp>
#include <xgrad/nn/residual.hpp>
#include <xgrad/nn/sequential.hpp>
#include "test_helpers.hpp"

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
  REQUIRE(nn::Linear(3, 2, true, 7).weight.to_vector() ==
          nn::Linear(3, 2, true, 7).weight.to_vector());
  REQUIRE(nn::Linear(3, 2, true, 7).weight.to_vector() !=
          nn::Linear(3, 2, true, 8).weight.to_vector());
  REQUIRE_THROWS_WITH(lin(TensorD::zeros({4, 5})),
                      Catch::Contains("[4,5]") && Catch::Contains("[2,3]"));
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
  REQUIRE_THAT(model.summary(),
               Catch::Contains("Linear(in_features=2, out_features=4, bias=true)"));
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
  REQUIRE_THROWS_WITH(ln(TensorD::zeros({4, 2})),
                      Catch::Contains("does not end with normalized_shape"));
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

TEST_CASE("Linear: no bias, leading batch dimensions, default init statistics", "[nn]") {
  nn::LinearD lin(3, 2, false, 1);
  REQUIRE(!lin.bias.defined());
  REQUIRE(lin.parameters().size() == 1);
  REQUIRE(lin.describe() == "Linear(in_features=3, out_features=2, bias=false)");
  lin.weight.data() = xt::xarray<double>{{1, 2, 3}, {-1, 0, 1}};
  // [2, 1, 3] input: each row times W^T; (1,0,0) -> (1,-1), (0,1,1) -> (5, 1)
  const TensorD y = lin(TensorD::from({1., 0., 0., 0., 1., 1.}, {2, 1, 3}));
  REQUIRE(y.shape() == xg::Shape{2, 1, 2});
  require_values(y, {1, -1, 5, 1}, 1e-15);
  const TensorD x = randd({2, 2, 3}, 3);
  require_gradcheck([&] { return lin(x); }, {lin.weight, x});
  REQUIRE_THROWS_WITH(lin(TensorD::zeros({4, 5})), Catch::Contains("Linear: input shape [4,5]") &&
                                                       Catch::Contains("in_features = 3"));
  REQUIRE_THROWS_WITH(nn::Linear(0, 3),
                      Catch::Contains("in_features and out_features must be >= 1"));
  // PyTorch's default: W, b ~ U(-k, k), k = 1/sqrt(in) = 1/16, variance k^2/3. With n = 65536
  // samples the mean's standard error is k/sqrt(3n), the variance's relative one sqrt(0.8/n)
  // (uniform: kurtosis 1.8); 5 standard errors.
  nn::Linear big(256, 256, true, 4);
  const double k = 1.0 / 16, n = 65536;
  double s = 0, ss = 0;
  for (float w : big.weight.data()) {
    REQUIRE(std::fabs(w) <= k);
    s += w;
    ss += double(w) * w;
  }
  REQUIRE(std::fabs(s / n) < 5 * k / std::sqrt(3 * n));
  REQUIRE(std::fabs((ss / n) / (k * k / 3) - 1) < 5 * std::sqrt(0.8 / n));
  for (float b : big.bias.data()) REQUIRE(std::fabs(b) <= k);
  // Without a seed the default generator draws: manual_seed makes it reproducible.
  xg::manual_seed(11);
  const auto first = nn::Linear(4, 3).weight.to_vector();
  xg::manual_seed(11);
  REQUIRE(nn::Linear(4, 3).weight.to_vector() == first);
}

TEST_CASE("Sequential: add, at, typed at, shared_ptr members, nesting, PyTorch state_dict names",
          "[nn]") {
  auto shared = std::make_shared<nn::LinearD>(3, 2, true, 2);
  nn::SequentialD model(nn::LinearD(2, 3, true, 1), nn::BatchNorm1dD(3), nn::TanhD(), shared);
  model.add(nn::ReLUD());
  REQUIRE(model.size() == 5);
  REQUIRE(&model.at<nn::LinearD>(3) == shared.get());  // the same module, not a copy
  REQUIRE(model.at(2).describe() == nn::TanhD().describe());
  REQUIRE_THROWS_WITH(model.at<nn::LinearD>(2), Catch::Contains("module 2 is"));
  REQUIRE_THROWS_WITH(model.at(5), "Sequential: index 5 is out of range for 5 modules");
  REQUIRE_THROWS_WITH(model[7], Catch::Contains("index 7"));
  std::vector<std::string> names;
  for (const auto& [name, t] : model.state_dict()) names.push_back(name);
  // The keys of torch.nn.Sequential(Linear, BatchNorm1d, Tanh, Linear, ReLU).state_dict().
  // (PyTorch lists them module by module; BasicModule::state_dict lists parameters, then buffers.)
  std::vector<std::string> torch_keys{"0.weight",
                                      "0.bias",
                                      "1.weight",
                                      "1.bias",
                                      "1.running_mean",
                                      "1.running_var",
                                      "1.num_batches_tracked",
                                      "3.weight",
                                      "3.bias"};
  std::sort(names.begin(), names.end());
  std::sort(torch_keys.begin(), torch_keys.end());
  REQUIRE(names == torch_keys);
  // eval() reaches the BatchNorm inside.
  model.eval();
  REQUIRE(!model.at(1).is_training());
  model.train();
  const TensorD x = randd({4, 2}, 5);
  require_gradcheck([&] { return model(x); }, model.parameters());
  // Nesting: a Sequential inside a Sequential, by value next to other modules.
  nn::SequentialD inner(nn::LinearD(2, 2, true, 6), nn::TanhD());
  nn::SequentialD outer(inner, nn::LinearD(2, 1, true, 7));
  REQUIRE(outer.size() == 2);
  REQUIRE(outer.state_dict()[0].first == "0.0.weight");
  REQUIRE(outer(x).to_vector() == outer.at<nn::LinearD>(1)(inner(x)).to_vector());
  nn::SequentialD empty;
  REQUIRE(empty.empty());
  REQUIRE(empty(x).to_vector() == x.to_vector());  // the identity, like torch's
}

TEST_CASE("Dropout: p = 0 and p = 1, functional form, gradcheck with a fixed mask", "[nn]") {
  Tensor x = Tensor::randn({1000}, 1).requires_grad_();
  nn::Dropout none(0.0, 1);
  REQUIRE(none(x).to_vector() == x.to_vector());
  nn::Dropout all(1.0, 1);  // PyTorch allows p = 1: everything is dropped
  Tensor y = all(x);
  for (float v : y.to_vector()) REQUIRE(v == 0);
  y.sum().backward();
  for (float g : x.grad().to_vector()) REQUIRE(g == 0);
  xg::Generator rng(3);
  REQUIRE(nn::dropout(x, 0.5, false, rng).to_vector() == x.to_vector());  // eval: identity
  REQUIRE_THROWS_WITH(nn::Dropout(-0.1), "Dropout: p must be in [0, 1], got -0.1");
  // The same generator state gives the same mask on every call, so finite differences see a
  // fixed function: d y / d x = mask / (1 - p).
  require_gradcheck(
      [](const std::vector<TensorD>& in) {
        xg::Generator g(7);
        return nn::dropout(in[0], 0.3, true, g);
      },
      {randd({4, 5}, 2)});
  REQUIRE(nn::Dropout(0.25).describe() == "Dropout(p=0.25)");
}

TEST_CASE("BatchNorm1d: [N, C, L], momentum None, positional options, eval formula", "[nn]") {
  // [N=2, C=1, L=2]: channel values (1, 3, 5, 7): mean 4, biased var 5, unbiased 20/3.
  nn::BatchNorm1dD bn(1, 1e-5, 0.5);  // eps, momentum
  const TensorD x = TensorD::from({1., 3., 5., 7.}, {2, 1, 2});
  const double s = 1 / std::sqrt(5 + 1e-5);
  require_values(bn(x), {-3 * s, -s, s, 3 * s}, 1e-12);
  require_values(bn.running_mean, {0.5 * 0 + 0.5 * 4}, 1e-15);
  require_values(bn.running_var, {0.5 * 1 + 0.5 * 20.0 / 3}, 1e-15);
  // Eval: (x - running_mean) / sqrt(running_var + eps) * w + b, and the statistics stay put.
  bn.weight.data() = xt::xarray<double>{2};
  bn.bias.data() = xt::xarray<double>{-1};
  bn.eval();
  const double rv = 0.5 + 10.0 / 3;
  TensorD xe = TensorD::from({2., 5.}, {2, 1}).requires_grad_();
  TensorD ye = bn(xe);
  require_values(ye, {-1, 2 * 3 / std::sqrt(rv + 1e-5) - 1}, 1e-12);
  ye.sum().backward();  // in eval mode the statistics are constants: dy/dx = w / sqrt(rv + eps)
  require_values(xe.grad(), {2 / std::sqrt(rv + 1e-5), 2 / std::sqrt(rv + 1e-5)}, 1e-12);
  REQUIRE(bn.num_batches_tracked.item() == 1);
  require_values(bn.running_mean, {2}, 1e-15);

  // momentum None: running stats are the cumulative average of the batch statistics.
  nn::BatchNorm1dD avg(1, 1e-5, std::nullopt);
  avg(TensorD::from({0., 2.}, {2, 1}));  // mean 1, unbiased var 2
  avg(TensorD::from({4., 8.}, {2, 1}));  // mean 6, unbiased var 8
  require_values(avg.running_mean, {(1 + 6) / 2.0}, 1e-15);
  require_values(avg.running_var, {(2 + 8) / 2.0}, 1e-15);
  REQUIRE_THAT(avg.describe(), Catch::Contains("momentum=None"));

  // affine = false: buffers only; track_running_stats = false: no buffers, batch stats in eval.
  nn::BatchNorm1dD plain(2, 1e-5, 0.1, false, true);
  REQUIRE(plain.parameters().empty());
  REQUIRE(plain.state_dict().size() == 3);
  const TensorD xr = randd({6, 2}, 9);
  require_gradcheck([&](const std::vector<TensorD>& in) { return plain(in[0]); }, {xr});
  nn::BatchNormOptions o;
  o.track_running_stats = false;
  nn::BatchNorm1dD stateless(2, o);
  REQUIRE(stateless.named_buffers().empty());
  stateless.eval();
  const TensorD batch = TensorD::from({1., 10., 3., 20.}, {2, 2});  // per channel: +-1 after norm
  const double e = 1 / std::sqrt(1 + 1e-5), f = 5 / std::sqrt(25 + 1e-5);
  require_values(stateless(batch), {-e, -f, e, f}, 1e-12);
  REQUIRE_THROWS_WITH(stateless(TensorD::zeros({1, 2})),
                      Catch::Contains("more than 1 value per channel"));
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(4, 1e-5, 1.5),
                      "BatchNorm1d: momentum must be in [0, 1], got 1.5");
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(4, 0.0), "BatchNorm1d: eps must be > 0, got 0");
  // A constant channel (zero variance) normalises to 0 with finite gradients.
  TensorD c = TensorD::from({3., 3., 3.}, {3, 1}).requires_grad_();
  nn::BatchNorm1dD one(1);
  TensorD yc = one(c);
  (yc * TensorD::from({1., 2., 3.}, {3, 1})).sum().backward();
  require_values(yc, {0, 0, 0}, 0);
  for (double g : c.grad().to_vector()) REQUIRE(std::isfinite(g));
}

TEST_CASE("BatchNorm1d: an empty batch gives an empty output, as PyTorch", "[nn]") {
  // torch 1.13: nn.BatchNorm1d(2)(torch.zeros(0, 2)) is empty, the running statistics keep their
  // values, num_batches_tracked still counts the batch, and the weight and bias get zero
  // gradients; eval mode and [0, C, L] inputs also give empty outputs.
  nn::BatchNorm1dD bn(2, 1e-5, std::nullopt);
  bn(TensorD::from({0., 2., 4., 8.}, {2, 2}));  // means (2, 5), unbiased variances (8, 18)
  for (const xg::Shape& shape : {xg::Shape{0, 2}, xg::Shape{0, 2, 3}, xg::Shape{4, 2, 0}}) {
    TensorD empty = TensorD::zeros(shape).requires_grad_();
    TensorD y = bn(empty);
    REQUIRE(y.shape() == shape);
    y.sum().backward();
    REQUIRE(empty.grad().shape() == shape);
  }
  REQUIRE(bn.num_batches_tracked.item() == 4);
  require_values(bn.running_mean, {2, 5}, 0);
  require_values(bn.running_var, {8, 18}, 0);
  require_values(bn.weight.grad(), {0, 0}, 0);
  require_values(bn.bias.grad(), {0, 0}, 0);
  bn.eval();
  REQUIRE(bn(TensorD::zeros({0, 2})).shape() == xg::Shape{0, 2});
  REQUIRE(bn.num_batches_tracked.item() == 4);
}

TEST_CASE("LayerNorm: LayerNorm(n), affine values, no affine, PyTorch names", "[nn]") {
  nn::LayerNormD ln(2);
  REQUIRE(ln.normalized_shape == std::vector<std::size_t>{2});
  ln.weight.data() = xt::xarray<double>{2, 3};
  ln.bias.data() = xt::xarray<double>{1, -1};
  // Row (1, 3): mean 2, var 1 -> xhat (-1, 1) / sqrt(1 + eps); y = (1 - 2e, -1 + 3e)
  const double e = 1 / std::sqrt(1 + 1e-5);
  require_values(ln(TensorD::from({1., 3.}, {1, 2})), {1 - 2 * e, -1 + 3 * e}, 1e-12);
  REQUIRE(ln.state_dict()[0].first == "weight");
  REQUIRE(ln.state_dict()[1].first == "bias");
  REQUIRE(ln.describe() == "LayerNorm([2], eps=1e-05, elementwise_affine=true)");
  nn::LayerNormD bare({4}, 1e-3, false);
  REQUIRE(bare.parameters().empty());
  require_gradcheck([&](const std::vector<TensorD>& in) { return bare(in[0]); },
                    {randd({3, 4}, 1)});
  // 1-D input: a single sample.
  require_values(nn::LayerNormD(2)(TensorD::from({5., 5.})), {0, 0}, 0);
}

TEST_CASE("layer_norm with only a weight or only a bias, as PyTorch's F.layer_norm", "[nn]") {
  // libtorch 1.13, x = [[0.1, 0.5, -1, 2, 0.3], [1, 2, 3, 4, 6]], the loss sum(y * arange(10)).
  // Before, a weight alone crashed backward and a bias alone was ignored.
  const TensorD x0 = TensorD::from({0.1, 0.5, -1., 2., 0.3, 1., 2., 3., 4., 6.}, {2, 5});
  const TensorD up = TensorD::arange(0, 10).reshape({2, 5});
  TensorD x = x0.detach().requires_grad_();
  TensorD b = TensorD::from({10., 20., 30., 40., 50.}).requires_grad_();
  TensorD y = nn::layer_norm(x, 5, TensorD(), b, 1e-5);
  require_values(y,
                 {9.708965809659652, 20.124728938717293, 28.565617204751142, 41.683840672683445,
                  49.91684737418847, 8.721278133819316, 19.302515345719627, 29.88375255761994,
                  40.46498976952025, 51.62746419332087},
                 1e-13);
  (y * up).sum().backward();
  require_values(b.grad(), {5, 7, 9, 11, 13}, 1e-13);
  require_values(x.grad(),
                 {-1.9593344465875249, -1.0906140506586754, 0.5888716221676149, 0.3481237444473346,
                  2.1129531306312503, -0.12567641337713065, -0.015711024396588336,
                  0.09425436458395309, 0.2042197535644954, -0.15708668037473128},
                 1e-13);
  x = x0.detach().requires_grad_();
  TensorD w = TensorD::from({1., 2., 3., 4., 5.}).requires_grad_();
  y = nn::layer_norm(x, 5, w, TensorD(), 1e-5);
  require_values(y,
                 {-0.29103419034034805, 0.24945787743458403, -4.303148385746574, 6.735362690733769,
                  -0.4157631290576401, -1.278721866180684, -1.3949693085607464, -0.3487423271401867,
                  1.859959078080995, 8.137320966604353},
                 1e-13);
  (y * up).sum().backward();
  require_values(w.grad(),
                 {-6.39360933090342, -4.060178986964948, -3.682497687158152, 8.771440174212316,
                  14.314567236641723},
                 1e-13);
  require_values(x.grad(),
                 {-7.698991135223001, -6.500563269834515, 0.9585221953658136, 0.5920607819825578,
                  12.648971427709142, 0.07850995843324404, -0.6440930912822334, -0.2042217171970908,
                  1.398124080688676, -0.6283192306425891},
                 1e-13);
  REQUIRE_THROWS_WITH(nn::layer_norm(x0, 5, TensorD::ones({4}), TensorD(), 1e-5),
                      "layer_norm: weight [4] must hold 5 values, one per element of a row");
  REQUIRE_THROWS_WITH(nn::layer_norm(x0, 5, TensorD(), TensorD::ones({2, 5}), 1e-5),
                      "layer_norm: bias [2,5] must hold 5 values, one per element of a row");
}

TEST_CASE("Residual: the shape error names both shapes", "[nn]") {
  nn::ResidualD bad(nn::LinearD(3, 2, true, 1));
  REQUIRE_THROWS_WITH(
      bad(TensorD::zeros({4, 3})),
      "Residual: the block maps shape [4,3] to [4,2]; a residual block must keep the shape");
  // A residual block with a normalisation inside, as in pre-norm nets.
  nn::ResidualD block(nn::SequentialD(nn::LayerNormD(3), nn::LinearD(3, 3, true, 2)));
  const TensorD x = randd({2, 3}, 3);
  require_gradcheck([&](const std::vector<TensorD>& in) { return block(in[0]); }, {x});
  REQUIRE(block.state_dict()[0].first == "block.0.weight");
  REQUIRE(block.state_dict()[2].first == "block.1.weight");
}

TEST_CASE("named_generators: Dropout's and RReLU's streams by dotted name, restorable", "[nn]") {
  nn::Sequential model(nn::Linear(3, 3), nn::Dropout(0.5, 11), nn::RReLU(0.1f, 0.3f, 12));
  const auto generators = model.named_generators();
  REQUIRE(generators.size() == 2);
  REQUIRE(generators[0].first == "1.generator");
  REQUIRE(generators[1].first == "2.generator");
  // The handle is the stream the layer draws from: Dropout(seed 11) starts at Generator(11).
  REQUIRE(generators[0].second->get_state() == xg::Generator(11).get_state());

  // Restoring both states replays the same masks and slopes.
  const Tensor x = Tensor::randn({4, 3}, 1);
  const auto d0 = generators[0].second->get_state(), r0 = generators[1].second->get_state();
  const std::vector<float> first = model(x).to_vector();
  REQUIRE(model(x).to_vector() != first);  // the streams moved on
  generators[0].second->set_state(d0);
  generators[1].second->set_state(r0);
  REQUIRE(model(x).to_vector() == first);
  REQUIRE(nn::Linear(2, 2).named_generators().empty());
}

TEST_CASE("layer sizes are checked against the tensor limit before anything is allocated") {
  // Unchecked, out * in wraps around 2^64 and the weight gets a tiny buffer (a heap overflow).
  REQUIRE_THROWS_AS(nn::Linear(SIZE_MAX, 8), std::length_error);
  REQUIRE_THROWS_WITH(nn::Linear(SIZE_MAX, 8),
                      Catch::Contains("Linear(in_features, out_features): shape "
                                      "[8,18446744073709551615]") &&
                          Catch::Contains("2^40"));
  REQUIRE_THROWS_AS(nn::Linear(std::size_t(1) << 31, std::size_t(1) << 31), std::length_error);
  REQUIRE_THROWS_WITH(nn::BatchNorm1d(SIZE_MAX), Catch::Contains("BatchNorm1d(num_features)"));
  REQUIRE_THROWS_WITH(nn::LayerNorm({std::size_t(1) << 32, std::size_t(1) << 32}),
                      Catch::Contains("LayerNorm(normalized_shape)"));
  REQUIRE_THROWS_WITH(nn::PReLU(SIZE_MAX), Catch::Contains("PReLU: num_parameters"));
  REQUIRE_THROWS_WITH(nn::SReLU(SIZE_MAX), Catch::Contains("SReLU: channels"));
  REQUIRE_THROWS_WITH(nn::SwishBeta(1.f, true, SIZE_MAX), Catch::Contains("SwishBeta: channels"));
  REQUIRE_THROWS_WITH(nn::APL(std::size_t(1) << 30, std::size_t(1) << 30),
                      Catch::Contains("APL(channels, hinges)"));
  // out and k are each within the limit; out * k overflows.
  REQUIRE_THROWS_WITH(nn::Maxout(2, std::size_t(1) << 38, std::size_t(1) << 30),
                      Catch::Contains("Maxout(in, out, k)"));
}

TEST_CASE("layers refuse non-finite initial parameters") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_WITH(nn::PReLU(4, nan), Catch::Contains("PReLU: init must be finite"));
  REQUIRE_THROWS_WITH(nn::SwishBeta(std::numeric_limits<float>::infinity()),
                      Catch::Contains("SwishBeta: beta must be finite"));
  REQUIRE_THROWS_WITH(nn::SoftExponential(nan), Catch::Contains("SoftExponential: alpha"));
}

TEST_CASE("load_state_dict refuses duplicate and undefined entries, leaving the model as it was") {
  nn::Linear layer(2, 2, true, 1);
  const auto before = layer.weight.to_vector();
  auto state = layer.state_dict();
  // A second "weight" of the right shape: unchecked, the last one silently won.
  state.emplace_back("weight", Tensor::ones({2, 2}));
  REQUIRE_THROWS_WITH(layer.load_state_dict(state),
                      Catch::Contains("load_state_dict: entry 'weight' appears twice"));
  REQUIRE(layer.weight.to_vector() == before);
  auto undefined = layer.state_dict();
  undefined[1].second = Tensor();
  REQUIRE_THROWS_WITH(layer.load_state_dict(undefined),
                      Catch::Contains("entry 'bias' is an undefined tensor"));
}

// ---- Sequential's fused Linear + activation ----------------------------------------------------

namespace {

// The gradients of every tensor in `ts`, flattened (an undefined gradient as an empty one).
std::vector<std::vector<float>> grads_of(const std::vector<Tensor>& ts) {
  std::vector<std::vector<float>> out;
  for (const auto& t : ts)
    out.push_back(t.grad().defined() ? t.grad().to_vector() : std::vector<float>{});
  return out;
}

// Whether two runs' gradients agree to float rounding: the fused Linear + ELU, SELU and CELU
// save f' from their forward's exponential, which may differ from the ELU node's backward one in
// the last bit (both within an ulp of the exact f'); a sum over 4100 such products then differs
// by up to about 2e-6.
bool same_to_rounding(const std::vector<std::vector<float>>& a,
                      const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t t = 0; t < a.size(); ++t) {
    if (a[t].size() != b[t].size()) return false;
    for (std::size_t i = 0; i < a[t].size(); ++i)
      if (a[t][i] != Approx(b[t][i]).epsilon(1e-5).margin(1e-5)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Sequential fuses Linear + every list activation: the same bits as the layers one by one",
          "[nn]") {
  // Pre-activations over about [-6, 6] reach both sides of every kink and the saturated tails.
  const Tensor x0 = Tensor::rand({6, 5}, 11, -3.f, 3.f);
  const Tensor r = Tensor::rand({6, 3}, 12, -1.f, 1.f);
  std::size_t fused_rows = 0;
  for (const auto& info : nn::activation_catalogue()) {
    if (!info.fused) continue;
    ++fused_rows;
    INFO(info.name);
    auto act = nn::make_activation<float>(info.name);
    auto* layer = dynamic_cast<nn::BasicActivation<float>*>(act.get());
    REQUIRE(layer != nullptr);
    REQUIRE(layer->kernel().has_value());
    auto l1 = std::make_shared<nn::Linear>(5, 7, true, 1);
    auto l2 = std::make_shared<nn::Linear>(7, 3, true, 2);
    for (float& w : l1->weight.data()) w *= 4;  // |x W1ᵀ + b| up to about 6
    nn::Sequential net(l1, act, l2), head(l1, act);
    const std::vector<Tensor> params = net.parameters();

    // An incoming gradient that differs per element (backward), then a sum's (backward_uniform).
    Tensor x = x0.detach().requires_grad_();
    const Tensor fused = net(x);
    REQUIRE(fused.grad_fn_name() == "LinearBackward");
    (fused * r).sum().backward();
    auto with = grads_of(params);
    with.push_back(x.grad().to_vector());
    net.zero_grad();
    Tensor x2 = x0.detach().requires_grad_();
    const Tensor apart = (*l2)((*act)((*l1)(x2)));
    (apart * r).sum().backward();
    auto without = grads_of(params);
    without.push_back(x2.grad().to_vector());
    const std::string name = info.name;
    const bool saves_derivative = name == "elu" || name == "selu" || name == "celu";
    REQUIRE(fused.to_vector() == apart.to_vector());
    if (saves_derivative)
      REQUIRE(same_to_rounding(with, without));
    else
      REQUIRE(with == without);

    net.zero_grad();
    const Tensor h = head(x0);
    REQUIRE(h.grad_fn_name().rfind("Linear", 0) == 0);
    REQUIRE(h.grad_fn_name() != "LinearBackward");  // one fused node
    h.sum().backward();
    const auto uniform_with = grads_of(params);
    net.zero_grad();
    const Tensor h2 = (*act)((*l1)(x0));
    h2.sum().backward();
    REQUIRE(h.to_vector() == h2.to_vector());
    if (saves_derivative)
      REQUIRE(same_to_rounding(uniform_with, grads_of(params)));
    else
      REQUIRE(uniform_with == grads_of(params));
  }
  REQUIRE(fused_rows >= 20);
}

TEST_CASE("fused Linear + activation: double gradcheck, no bias, leading dimensions, kinks",
          "[nn]") {
  for (const char* name : {"relu", "leaky_relu", "elu", "tanh", "sigmoid", "gelu", "hardtanh"}) {
    INFO(name);
    nn::SequentialD net(nn::LinearD(4, 5, false, 3), nn::make_activation<double>(name),
                        nn::LinearD(5, 2, true, 4), nn::make_activation<double>(name));
    REQUIRE(net(randd({3, 4}, 5)).grad_fn_name().rfind("Linear", 0) == 0);
    const TensorD x = randd({2, 3, 4}, 6);
    require_gradcheck([&] { return net(x); }, net.parameters());
    require_gradcheck([&](const std::vector<TensorD>& in) { return net(in[0]); }, {x});
  }
  // ReLU's kink: the pre-activation exactly 0 (W = 0, b = 0) gives f'(0) = 0, as PyTorch.
  nn::Sequential net(nn::Linear(2, 3), nn::ReLU());
  auto& l = net.at<nn::Linear>(0);
  for (float& w : l.weight.data()) w = 0;
  for (float& b : l.bias.data()) b = 0;
  net(Tensor::ones({4, 2})).sum().backward();
  for (float g : l.bias.grad().to_vector()) REQUIRE(g == 0.f);
  for (float g : l.weight.grad().to_vector()) REQUIRE(g == 0.f);
}

TEST_CASE("fused Linear + ELU, SELU, CELU save f'(z): exact to an ulp, subnormal e^z included",
          "[nn]") {
  // Linear(1, n) on x = 1 with bias 0 makes z = W; the sum's gradient reaches the bias as f'(z),
  // so bias.grad is the saved derivative itself. f(z) = scale alpha (e^(z / w) - 1) for z <= 0,
  // f'(z) = scale (alpha / w) e^(z / w) there and scale for z > 0: ELU alpha = 1, w = 1, scale 1;
  // CELU w = alpha (2 here), scale 1; SELU w = 1 and its constants.
  // From z = -87 on e^z is below float's smallest normal 2^-126: the values there are subnormal.
  const std::vector<float> zs{-120.f,  -104.f, -103.5f, -100.f, -95.f, -90.f, -88.f,  -87.5f,
                              -87.f,   -86.5f, -60.f,   -17.5f, -5.f,  -1.f,  -0.35f, -1e-3f,
                              -1e-30f, 0.f,    1e-30f,  0.25f,  3.f,   40.f};
  struct Case {
    const char* name;
    std::map<std::string, double> params;
    double alpha, width, scale;
  };
  const double selu_alpha = 1.6732632423543772848170429916717;
  const double selu_scale = 1.0507009873554804934193349852946;
  for (const Case& c : {Case{"elu", {}, 1, 1, 1}, Case{"celu", {{"alpha", 2}}, 2, 2, 1},
                        Case{"selu", {}, selu_alpha, 1, selu_scale}}) {
    INFO(c.name);
    auto lin = std::make_shared<nn::Linear>(1, zs.size(), true, 1);
    std::copy(zs.begin(), zs.end(), lin->weight.data().begin());
    for (float& b : lin->bias.data()) b = 0;
    nn::Sequential net(lin, nn::make_activation<float>(c.name, c.params));
    const Tensor y = net(Tensor::ones({1, 1}));
    REQUIRE(y.grad_fn_name() != "LinearBackward");  // one fused node
    y.sum().backward();
    const std::vector<float> df = lin->bias.grad().to_vector();
    for (std::size_t j = 0; j < zs.size(); ++j) {
      INFO("z = " << zs[j]);
      const long double z = zs[j];
      const long double exact =
          z <= 0 ? c.scale * c.alpha / c.width * std::exp(z / c.width) : c.scale;
      require_ulps(df[j], exact, 1);
    }
  }
}

TEST_CASE("fused Linear + activation: hooks, subclasses, no_grad and errors keep their meaning",
          "[nn]") {
  const Tensor x = Tensor::rand({3, 2}, 7, -1.f, 1.f);
  SECTION("a forward hook on either module sees the unfused values") {
    nn::Sequential net(nn::Linear(2, 4, true, 1), nn::Tanh());
    Tensor seen;
    auto handle = net[0].register_forward_hook(
        [&](nn::Module&, const Tensor&, const Tensor& y) { seen = y; });
    const Tensor y = net(x);
    REQUIRE(y.grad_fn_name() == "TanhBackward");
    REQUIRE(seen.grad_fn_name() == "LinearBackward");
    REQUIRE(y.to_vector() == xg::tanh(seen).to_vector());
    handle.remove();
    REQUIRE(net(x).grad_fn_name() == "LinearTanhBackward");
    REQUIRE(net(x).to_vector() == y.to_vector());
  }
  SECTION("a subclass of Linear runs its own forward") {
    struct Doubled : nn::Linear {
      using nn::Linear::Linear;
      Tensor forward(const Tensor& in) override { return nn::Linear::forward(in) * 2.f; }
    };
    nn::Sequential net(Doubled(2, 4, true, 1), nn::ReLU());
    auto& l = net.at<Doubled>(0);
    REQUIRE(net(x).to_vector() == xg::relu(xg::linear(x, l.weight, l.bias) * 2.f).to_vector());
  }
  SECTION("an activation built from another function is not fused") {
    nn::Sequential net(
        nn::Linear(2, 4, true, 1),
        nn::BasicActivation<float>("double", "Double()", [](const Tensor& t) { return t * 2.f; }));
    REQUIRE(net(x).grad_fn_name() == "MulBackward");
    struct Bogus : nn::BasicActivation<float> {  // a kernel id outside the activation list
      Bogus()
          : nn::BasicActivation<float>("bogus", "Bogus()",
                                       [](const Tensor& t) { return t * 3.f; }) {
        set_kernel({9999});
      }
    };
    REQUIRE(nn::Sequential(nn::Linear(2, 4, true, 1), Bogus())(x).grad_fn_name() == "MulBackward");
  }
  SECTION("under no_grad: the same values, no graph") {
    nn::Sequential net(nn::Linear(2, 4, true, 1), nn::ELU(), nn::Linear(4, 3, true, 2), nn::ReLU());
    const Tensor with_grad = net(x);
    xg::NoGradGuard guard;
    const Tensor y = net(x);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.to_vector() == with_grad.to_vector());
  }
  SECTION("a wrong input names the Linear and both shapes") {
    nn::Sequential net(nn::Linear(3, 4), nn::ReLU());
    REQUIRE_THROWS_WITH(net(x), Catch::Contains("Linear: input shape [3,2]") &&
                                    Catch::Contains("weight shape [4,3]"));
  }
  SECTION("retain_graph: a second backward adds the same gradients") {
    nn::Sequential net(nn::Linear(2, 4, true, 1), nn::GELU());
    const Tensor loss = net(x).sum();
    loss.backward(Tensor(), true);
    const auto once = net.at<nn::Linear>(0).weight.grad().to_vector();
    loss.backward();
    const auto twice = net.at<nn::Linear>(0).weight.grad().to_vector();
    for (std::size_t i = 0; i < once.size(); ++i) REQUIRE(twice[i] == 2 * once[i]);
    REQUIRE_THROWS_WITH(loss.backward(), Catch::Contains("second time"));
  }
}

TEST_CASE("fused Linear + activation on a layer split across threads: the unfused bits",
          "[nn][threads]") {
  // 64 rows x 4100 outputs = 262400 elements: above the parallel grain, 5 chunks with an odd
  // tail; relu reads its saved bits chunk by chunk, elu its saved derivative, tanh its output.
  const Tensor x0 = Tensor::rand({64, 8}, 21, -2.f, 2.f);
  const Tensor r = Tensor::rand({64, 4100}, 22, -1.f, 1.f);
  for (const char* name : {"relu", "elu", "tanh"}) {
    INFO(name);
    auto act = nn::make_activation<float>(name);
    auto lin = std::make_shared<nn::Linear>(8, 4100, true, 23);
    nn::Sequential net(lin, act);
    auto run = [&](int threads, bool fused) {
      xg::set_num_threads(threads);
      net.zero_grad();
      Tensor x = x0.detach().requires_grad_();
      const Tensor y = fused ? net(x) : (*act)((*lin)(x));
      if (fused) {  // one fused node, not the two layers apart
        REQUIRE(y.grad_fn_name().rfind("Linear", 0) == 0);
        REQUIRE(y.grad_fn_name() != "LinearBackward");
      }
      (y.sum() + (y * r).sum()).backward();
      return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(),
                                             lin->weight.grad().to_vector(),
                                             lin->bias.grad().to_vector()};
    };
    const auto apart = run(1, false);
    const auto fused_two = run(2, true);
    const auto fused_one = run(1, true);
    xg::set_num_threads(1);
    REQUIRE(fused_two == fused_one);
    if (std::string(name) == "elu")  // f' saved from the forward's exponential
      REQUIRE(same_to_rounding(fused_one, apart));
    else
      REQUIRE(fused_one == apart);
  }
}
