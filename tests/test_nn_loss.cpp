// Losses: values worked out by hand (the arithmetic is in the comments), every reduction,
// double gradchecks, extreme logits, and errors.
#include <cmath>
#include <limits>
#include <vector>

#include <xgrad/nn/loss.hpp>
#include "test_helpers.hpp"

using namespace xgtest;
namespace nn = xg::nn;
using nn::Reduction;

TEST_CASE("regression losses: values at hand-computed points, all reductions", "[loss]") {
  const TensorD x = TensorD::from({1., 2., 5.}), y = TensorD::from({0., 2.5, 2.});
  // d = x - y = (1, -0.5, 3)
  REQUIRE(nn::mse_loss(x, y).item() == Approx((1 + 0.25 + 9) / 3.0));
  REQUIRE(nn::mse_loss(x, y, Reduction::Sum).item() == Approx(10.25));
  require_values(nn::mse_loss(x, y, Reduction::None), {1, 0.25, 9}, 1e-15);
  REQUIRE(nn::l1_loss(x, y).item() == Approx((1 + 0.5 + 3) / 3.0));
  // huber (delta 1): 0.5*1 = 0.5 (|d| = 1 is quadratic), 0.5*0.25 = 0.125, 1*(3 - 0.5) = 2.5
  require_values(nn::huber_loss(x, y, Reduction::None), {0.5, 0.125, 2.5}, 1e-15);
  // huber (delta 2): 0.5, 0.125, 2*(3 - 1) = 4
  require_values(nn::huber_loss(x, y, Reduction::None, 2.0), {0.5, 0.125, 4}, 1e-15);
  // smooth_l1 (beta 2): 0.5*1/2 = 0.25, 0.5*0.25/2 = 0.0625, 3 - 1 = 2
  require_values(nn::smooth_l1_loss(x, y, Reduction::None, 2.0), {0.25, 0.0625, 2}, 1e-15);
  // smooth_l1 with beta 0 is L1
  require_values(nn::smooth_l1_loss(x, y, Reduction::None, 0.0), {1, 0.5, 3}, 1e-15);
}

TEST_CASE("regression losses: gradcheck for input and target", "[loss]") {
  for (auto r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
    require_gradcheck([r](const auto& in) { return nn::mse_loss(in[0], in[1], r); },
                      {randd({3, 4}, 1), randd({3, 4}, 2)});
    require_gradcheck([r](const auto& in) { return nn::l1_loss(in[0], in[1], r); },
                      {randd({3, 4}, 3), randd({3, 4}, 4)});
    require_gradcheck([r](const auto& in) { return nn::huber_loss(in[0], in[1], r, 0.7); },
                      {randd({3, 4}, 5), randd({3, 4}, 6)});
    require_gradcheck([r](const auto& in) { return nn::smooth_l1_loss(in[0], in[1], r, 0.7); },
                      {randd({3, 4}, 7), randd({3, 4}, 8)});
  }
}

TEST_CASE("binary cross-entropy on probabilities and on logits", "[loss]") {
  const TensorD p = TensorD::from({0.9, 0.2}), y = TensorD::from({1., 0.});
  // -(log 0.9 + log 0.8) / 2
  REQUIRE(nn::binary_cross_entropy(p, y).item() == Approx(-(std::log(0.9) + std::log(0.8)) / 2));
  // PyTorch clamps log at -100: p = 0 with y = 1 gives 100, not inf.
  REQUIRE(nn::binary_cross_entropy(TensorD::from({0.}), TensorD::from({1.})).item() == 100);
  const TensorD logits = TensorD::from({2., -1.});
  // softplus form: log(1 + e^-2) for (2, y=1); log(1 + e^-1) for (-1, y=0)
  REQUIRE(nn::binary_cross_entropy_with_logits(logits, y).item() ==
          Approx((std::log1p(std::exp(-2.)) + std::log1p(std::exp(-1.))) / 2));
  // Extreme logits: exact, finite.
  const TensorD big = TensorD::from({100., -100., 100.}), t = TensorD::from({1., 0., 0.});
  require_values(nn::binary_cross_entropy_with_logits(big, t, Reduction::None),
                 {std::log1p(std::exp(-100.)), std::log1p(std::exp(-100.)), 100}, 1e-12);
  // Reduction::None keeps the input's shape: [2, 2] logits against the softplus form.
  const TensorD grid = TensorD::from({0.5, -3., 30., -0.25}, {2, 2});
  const TensorD per = nn::binary_cross_entropy_with_logits(
      grid, TensorD::from({1., 0., 0., 1.}, {2, 2}), Reduction::None);
  REQUIRE(per.shape() == xg::Shape{2, 2});
  require_values(per,
                 {std::log1p(std::exp(-0.5)), std::log1p(std::exp(-3.)),
                  30 + std::log1p(std::exp(-30.)), 0.25 + std::log1p(std::exp(-0.25))},
                 1e-14);
  Tensor bigf = Tensor::from({1e4f, -1e4f}).requires_grad_();
  Tensor lf = nn::binary_cross_entropy_with_logits(bigf, Tensor::from({0.f, 0.f}));
  lf.backward();
  REQUIRE(lf.item() == 5e3f);
  require_values(bigf.grad(), {0.5, 0}, 0);  // (sigmoid(x) - y) / 2
  auto probs = [](const std::vector<TensorD>& in) {
    return nn::binary_cross_entropy(xg::sigmoid(in[0]), TensorD::from({1., 0., 1., 0.}, {2, 2}));
  };
  require_gradcheck(probs, {randd({2, 2}, 9)});
  require_gradcheck(
      [](const auto& in) { return nn::binary_cross_entropy_with_logits(in[0], in[1]); },
      {randd({2, 3}, 10), TensorD::rand({2, 3}, 11).requires_grad_()});
  REQUIRE_THROWS_WITH(nn::binary_cross_entropy(TensorD::from({1.5}), TensorD::from({1.})),
                      Catch::Contains("probabilities in [0, 1]"));
}

TEST_CASE("cross_entropy: fused log-softmax with class-index targets", "[loss]") {
  // Row 0: logits (0, ln 3), target 1: p = 3/4, loss -ln(3/4). Row 1: (0, 0), target 0: ln 2.
  const TensorD logits = TensorD::from({0., std::log(3.), 0., 0.}, {2, 2});
  const TensorD y = TensorD::from({1., 0.});
  REQUIRE(nn::cross_entropy(logits, y).item() == Approx((-std::log(0.75) + std::log(2.)) / 2));
  require_values(nn::cross_entropy(logits, y, Reduction::None), {-std::log(0.75), std::log(2.)},
                 1e-15);
  // Extreme logits (+-100): target 0 -> 0 loss, target 1 -> 200 (exact, no overflow).
  const TensorD ext = TensorD::from({100., -100., 100., -100.}, {2, 2});
  require_values(nn::cross_entropy(ext, TensorD::from({0., 1.}), Reduction::None), {0, 200}, 1e-12);
  Tensor extf = Tensor::from({1e4f, -1e4f}, {1, 2}).requires_grad_();
  Tensor lf = nn::cross_entropy(extf, Tensor::from({1.f}));
  lf.backward();
  REQUIRE(lf.item() == 2e4f);
  require_values(extf.grad(), {1, -1}, 0);  // softmax - onehot
  for (auto r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    require_gradcheck(
        [r](const auto& in) {
          return nn::cross_entropy(in[0], TensorD::from({2., 0., 1.}), r);
        },
        {randd({3, 4}, 12)});
  // nll_loss(log_softmax(x)) equals cross_entropy(x).
  const TensorD x = TensorD::randn({3, 4}, 13), t = TensorD::from({3., 1., 0.});
  REQUIRE(nn::nll_loss(xg::log_softmax(x, 1), t).item() ==
          Approx(nn::cross_entropy(x, t).item()).epsilon(1e-14));
  require_gradcheck(
      [](const auto& in) {
        return nn::nll_loss(in[0], TensorD::from({2., 0., 1.}));
      },
      {randd({3, 4}, 14)});
  REQUIRE_THROWS_WITH(
      nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({0., 3.})),
      "cross_entropy: target[1] = 3 is not a class index in [0, 3) nor ignore_index (-100)");
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({0.5, 1.})),
                      Catch::Contains("not a class index"));
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({1., 2.5})),
                      Catch::Contains("target[1] = 2.5 is not a class index"));
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({0., std::nan("")})),
                      Catch::Contains("target[1] = nan is not a class index"));
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::zeros({3})),
                      Catch::Contains("input [2,3] and target [3]"));
  REQUIRE_THROWS_WITH(nn::mse_loss(TensorD::zeros({4, 1}), TensorD::zeros({4})),
                      "mse_loss: input shape [4,1] and target shape [4] differ");
}

TEST_CASE("regression losses: exact gradients at kinks and in both regimes", "[loss]") {
  // l1: d = (0, 2): sign(0) = 0 (PyTorch), sign(2) = 1.
  TensorD x = TensorD::from({1., 2.}).requires_grad_();
  nn::l1_loss(x, TensorD::from({1., 0.}), Reduction::Sum).backward();
  require_values(x.grad(), {0, 1}, 0);
  // mse, mean over n = 3: 2 d / 3 with d = (1, -0.5, 3)
  TensorD a = TensorD::from({1., 2., 5.}).requires_grad_();
  const TensorD y = TensorD::from({0., 2.5, 2.});
  nn::mse_loss(a, y).backward();
  require_values(a.grad(), {2 / 3.0, -1 / 3.0, 2.0}, 1e-15);
  // huber (delta 1): clamp(d, -1, 1) = (1, -0.5, 1); |d| = delta is continuous: 1 either way.
  a.zero_grad();
  nn::huber_loss(a, y, Reduction::Sum).backward();
  require_values(a.grad(), {1, -0.5, 1}, 0);
  // smooth_l1 (beta 2) at d = (2, -0.5, 3): d = beta takes the linear branch, sign = 1 (= d /
  // beta).
  TensorD b = TensorD::from({2., 2., 5.}).requires_grad_();
  nn::smooth_l1_loss(b, y, Reduction::Sum, 2.0).backward();
  // b - y = (2, -0.5, 3): (1, -0.5 / 2, 1)
  require_values(b.grad(), {1, -0.25, 1}, 0);
  REQUIRE_THROWS_WITH(nn::huber_loss(a, y, Reduction::Mean, 0.0),
                      "huber_loss: delta must be > 0, got 0");
  REQUIRE_THROWS_WITH(nn::smooth_l1_loss(a, y, Reduction::Mean, -1.0),
                      "smooth_l1_loss: beta must be >= 0, got -1");
  REQUIRE_THROWS_WITH(nn::l1_loss(TensorD::zeros({2, 3}), TensorD::zeros({3, 2})),
                      "l1_loss: input shape [2,3] and target shape [3,2] differ");
}

TEST_CASE("smooth_l1 and huber pass a NaN difference to the gradient, as PyTorch", "[loss]") {
  // libtorch 1.13, beta = delta = 1, d = (NaN, 0.5, 3): gradients (NaN, 0.5, 1) for both. A NaN
  // target gives NaN too. With beta = 0 smooth_l1 is L1: sign(d), 0 at d = 0 and at NaN.
  const double nan = std::nan("");
  for (int huber = 0; huber < 2; ++huber) {
    TensorD x = TensorD::from({nan, 0.5, 3.}).requires_grad_();
    TensorD t = TensorD::from({0., 0., nan}).requires_grad_();
    const TensorD loss = huber ? nn::huber_loss(x, t, Reduction::Sum, 1.0)
                               : nn::smooth_l1_loss(x, t, Reduction::Sum, 1.0);
    REQUIRE(std::isnan(loss.item()));
    loss.backward();
    INFO((huber ? "huber" : "smooth_l1"));
    const auto g = x.grad().to_vector(), gt = t.grad().to_vector();
    REQUIRE(std::isnan(g[0]));
    REQUIRE(g[1] == 0.5);
    REQUIRE(std::isnan(g[2]));
    REQUIRE(std::isnan(gt[0]));
    REQUIRE(gt[1] == -0.5);
    REQUIRE(std::isnan(gt[2]));
  }
  TensorD x = TensorD::from({0., 2., -1.}).requires_grad_();
  nn::smooth_l1_loss(x, TensorD::zeros({3}), Reduction::Sum, 0.0).backward();
  require_values(x.grad(), {0, 1, -1}, 0);
}

TEST_CASE("binary_cross_entropy: PyTorch's clamps in value and gradient", "[loss]") {
  // Gradient (p - y) / max(p (1 - p), 1e-12): p = 0.5, y = 1 -> -0.5 / 0.25 = -2; p = 0, y = 1 ->
  // -1 / 1e-12; p = 1, y = 1 -> 0.
  TensorD p = TensorD::from({0.5, 0., 1.}).requires_grad_();
  TensorD l = nn::binary_cross_entropy(p, TensorD::from({1., 1., 1.}), Reduction::Sum);
  // ln 2 + 100 (log 0 clamped at -100) + 0
  REQUIRE(l.item() == Approx(std::log(2.) + 100));
  l.backward();
  require_values(p.grad(), {-2, -1e12, 0}, 1e-3);
  // p = 1 with y = 0: -log(1 - 1) clamped: 100. Reductions.
  require_values(
      nn::binary_cross_entropy(TensorD::from({1., 0.5}), TensorD::from({0., 0.}), Reduction::None),
      {100, std::log(2.)}, 1e-12);
  REQUIRE(nn::binary_cross_entropy(TensorD::from({1., 0.5}), TensorD::from({0., 0.})).item() ==
          Approx((100 + std::log(2.)) / 2));

  // The target's gradient is -logit(p) = log(1 - p) - log(p), with no clamp (PyTorch's
  // binary_cross_entropy_target_backward): log 3 at p = 0.25, +inf at p = 0, -inf at p = 1.
  TensorD q = TensorD::from({0.25, 0., 1.}), y = TensorD::from({1., 0., 1.}).requires_grad_();
  nn::binary_cross_entropy(q, y, Reduction::Sum).backward();
  REQUIRE(y.grad().data().data()[0] == Approx(std::log(3.)).epsilon(1e-15));
  REQUIRE(y.grad().data().data()[1] == std::numeric_limits<double>::infinity());
  REQUIRE(y.grad().data().data()[2] == -std::numeric_limits<double>::infinity());
}

TEST_CASE("binary_cross_entropy_with_logits: saturated gradients and pos_weight", "[loss]") {
  // Gradient sigmoid(x) - y: x = 100, y = 1 -> 0; x = -100, y = 1 -> -1 (to double precision).
  TensorD x = TensorD::from({100., -100.}).requires_grad_();
  TensorD l = nn::binary_cross_entropy_with_logits(x, TensorD::from({1., 1.}), Reduction::Sum);
  REQUIRE(l.item() == Approx(100));  // softplus(-100) + softplus(100) = 3.7e-44 + 100
  l.backward();
  require_values(x.grad(), {0, -1}, 1e-40);

  // pos_weight w per column; loss = (1 - y) x + (1 + (w - 1) y) softplus(-x):
  //   (x 0, y 1, w 3):  3 ln 2           (x 0, y 0, w 0.5): ln 2
  //   (x 2, y 1, w 3):  3 ln(1 + e^-2)   (x -1, y 1, w 0.5): 0.5 ln(1 + e)
  const TensorD logits = TensorD::from({0., 0., 2., -1.}, {2, 2}),
                t = TensorD::from({1., 0., 1., 1.}, {2, 2});
  const TensorD pw = TensorD::from({3., 0.5});
  const std::vector<double> expected{3 * std::log(2.), std::log(2.), 3 * std::log1p(std::exp(-2.)),
                                     0.5 * std::log1p(std::exp(1.))};
  require_values(nn::binary_cross_entropy_with_logits(logits, t, Reduction::None, pw), expected,
                 1e-15);
  REQUIRE(nn::binary_cross_entropy_with_logits(logits, t, Reduction::Mean, pw).item() ==
          Approx((expected[0] + expected[1] + expected[2] + expected[3]) / 4));
  // d/dx at (x 0, y 1, w 3): (1 - y) - lw sigmoid(-x) = -3 / 2.
  TensorD x0 = TensorD::from({0.}).requires_grad_();
  nn::binary_cross_entropy_with_logits(x0, TensorD::from({1.}), Reduction::Sum, TensorD::from({3.}))
      .backward();
  require_values(x0.grad(), {-1.5}, 1e-15);
  // pos_weight 1 is the plain loss; extreme logits stay exact: (x -100, y 1, w 2) -> 200.
  const TensorD r = TensorD::randn({3, 2}, 1), ty = TensorD::rand({3, 2}, 2);
  REQUIRE(
      nn::binary_cross_entropy_with_logits(r, ty, Reduction::Sum, TensorD::ones({2})).item() ==
      Approx(nn::binary_cross_entropy_with_logits(r, ty, Reduction::Sum).item()).epsilon(1e-14));
  require_values(
      nn::binary_cross_entropy_with_logits(TensorD::from({-100., 100.}), TensorD::from({1., 0.}),
                                           Reduction::None, TensorD::from({2.})),
      {200, 100}, 1e-12);
  // Gradients for input, target and pos_weight, every reduction.
  for (auto red : {Reduction::Mean, Reduction::Sum, Reduction::None})
    require_gradcheck(
        [red](const auto& in) {
          return nn::binary_cross_entropy_with_logits(in[0], in[1], red, in[2]);
        },
        {randd({3, 2}, 3), TensorD::rand({3, 2}, 4).requires_grad_(),
         TensorD::rand({2}, 5, 0.5, 2).requires_grad_()});
  REQUIRE_THROWS_WITH(
      nn::binary_cross_entropy_with_logits(logits, t, Reduction::Mean, TensorD::ones({3})),
      Catch::Contains("pos_weight shape [3]") && Catch::Contains("input shape [2,2]"));
}

TEST_CASE("cross_entropy: label smoothing, float extremes, errors; nll_loss values", "[loss]") {
  // eps = 0.2, C = 2. Row 0: logits (0, ln 3), target 1: p = (1/4, 3/4),
  //   (1 - eps)(-ln 3/4) + eps (-(ln 1/4 + ln 3/4) / 2). Row 1: (0, 0), target 0: ln 2 either way.
  const TensorD logits = TensorD::from({0., std::log(3.), 0., 0.}, {2, 2}),
                y = TensorD::from({1., 0.});
  const double row0 = 0.8 * -std::log(0.75) + 0.2 * -(std::log(0.25) + std::log(0.75)) / 2;
  require_values(nn::cross_entropy(logits, y, Reduction::None, 0.2), {row0, std::log(2.)}, 1e-15);
  REQUIRE(nn::cross_entropy(logits, y, Reduction::Mean, 0.2).item() ==
          Approx((row0 + std::log(2.)) / 2));
  // Extremes with eps = 0.1: lse = 100; target 0: 0.9 * 0 + 0.1 * (0 + 200) / 2 = 10;
  // target 1: 0.9 * 200 + 0.1 * 100 = 190. Gradient p - (0.9 onehot + 0.05) = (0.05, -0.05).
  TensorD ext = TensorD::from({100., -100.}, {1, 2}).requires_grad_();
  TensorD l = nn::cross_entropy(ext, TensorD::from({0.}), Reduction::Sum, 0.1);
  REQUIRE(l.item() == Approx(10).epsilon(1e-15));
  l.backward();
  require_values(ext.grad(), {0.05, -0.05}, 1e-15);
  REQUIRE(nn::cross_entropy(ext, TensorD::from({1.}), Reduction::Sum, 0.1).item() ==
          Approx(190).epsilon(1e-15));
  for (auto r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    require_gradcheck(
        [r](const auto& in) {
          return nn::cross_entropy(in[0], TensorD::from({2., 0., 1.}), r, 0.3);
        },
        {randd({3, 4}, 21)});
  REQUIRE_THROWS_WITH(nn::cross_entropy(logits, y, Reduction::Mean, 1.5),
                      "cross_entropy: label_smoothing must be in [0, 1], got 1.5");
  // Float, the training type: logits (100, -100) give exactly 0 (target 0) and 200 (target 1).
  const Tensor f = Tensor::from({100.f, -100.f, 100.f, -100.f}, {2, 2});
  require_values(nn::cross_entropy(f, Tensor::from({0.f, 1.f}), Reduction::None), {0, 200}, 0);
  REQUIRE(nn::cross_entropy(f, Tensor::from({0.f, 1.f})).item() == 100.f);
  REQUIRE_THROWS_WITH(
      nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({-1., 0.})),
      "cross_entropy: target[0] = -1 is not a class index in [0, 3) nor ignore_index (-100)");
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::zeros({2, 1})),
                      Catch::Contains("input [2,3] and target [2,1]"));

  // nll_loss on log-probabilities [[-1, -2], [-0.5, -3]], targets (1, 0): picks 2 and 0.5.
  TensorD lp = TensorD::from({-1., -2., -0.5, -3.}, {2, 2}).requires_grad_();
  const TensorD t = TensorD::from({1., 0.});
  REQUIRE(nn::nll_loss(lp, t).item() == 1.25);
  REQUIRE(nn::nll_loss(lp, t, Reduction::Sum).item() == 2.5);
  require_values(nn::nll_loss(lp, t, Reduction::None), {2, 0.5}, 0);
  nn::nll_loss(lp, t).backward();
  require_values(lp.grad(), {0, -0.5, -0.5, 0}, 0);  // -1/N at the target
  REQUIRE_THROWS_WITH(
      nn::nll_loss(lp, TensorD::from({2., 0.})),
      "nll_loss: target[0] = 2 is not a class index in [0, 2) nor ignore_index (-100)");
}

TEST_CASE("cross_entropy: a row whose maximum is +-inf or NaN is NaN, loss and gradient",
          "[loss]") {
  // PyTorch's log_softmax subtracts the row's maximum: +inf - inf is NaN, so the row's loss and
  // all its gradients are NaN whatever the target (libtorch 1.13: logits (inf, 0, 1) give NaN for
  // targets 0 and 1, with gradients (NaN, NaN, NaN); before, xgrad gave inf with (1, -1, 0), resp.
  // NaN with (0, 0, 0)). The other rows keep their values; an ignored row has no loss, and its
  // gradient 0 (p - onehot) is NaN too (libtorch 1.13 with ignore_index).
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  for (const std::vector<double>& row :
       {std::vector<double>{inf, 0, 1}, {0, inf, inf}, {-inf, -inf, -inf}, {nan, 1, 2}}) {
    for (double target : {0., 1.}) {
      std::vector<double> data = row;
      data.insert(data.end(), {0., 0., 0.});  // row 1: logits 0, target 2: ln 3, p = 1/3 each
      TensorD logits = TensorD::from(data, {2, 3}).requires_grad_();
      const TensorD rows = nn::cross_entropy(logits, TensorD::from({target, 2.}), Reduction::None);
      INFO("row (" << row[0] << ", " << row[1] << ", " << row[2] << "), target " << target);
      REQUIRE(std::isnan(rows.to_vector()[0]));
      REQUIRE(rows.to_vector()[1] == Approx(std::log(3.)).epsilon(1e-15));
      rows.sum().backward();
      const auto g = logits.grad().to_vector();
      for (int j = 0; j < 3; ++j) REQUIRE(std::isnan(g[j]));
      require_values(TensorD::from({g[3], g[4], g[5]}), {1 / 3., 1 / 3., -2 / 3.}, 1e-15);
    }
  }
  xg::nn::CrossEntropyOptions o;
  o.ignore_index = 0;
  TensorD logits = TensorD::from({inf, 0., 0., 0.}, {2, 2}).requires_grad_();
  const TensorD loss = nn::cross_entropy(logits, TensorD::from({0., 1.}), o);
  REQUIRE(loss.item() == Approx(std::log(2.)).epsilon(1e-15));  // the mean over row 1 only
  loss.backward();
  const auto g = logits.grad().to_vector();
  REQUIRE(std::isnan(g[0]));
  REQUIRE(std::isnan(g[1]));
  REQUIRE(g[2] == Approx(0.5).epsilon(1e-15));
  REQUIRE(g[3] == Approx(-0.5).epsilon(1e-15));
  // A single class: log_softmax(x) = x - x, NaN at +-inf (PyTorch: NaN loss and gradient).
  TensorD one = TensorD::from({-inf}, {1, 1}).requires_grad_();
  const TensorD l1 = nn::cross_entropy(one, TensorD::from({0.}));
  REQUIRE(std::isnan(l1.item()));
  l1.backward();
  REQUIRE(std::isnan(one.grad().item()));
}

TEST_CASE("cross_entropy and nll_loss: class weights and ignore_index as PyTorch", "[loss]") {
  // Hand-derived. Row 0: logits (0, ln 2, ln 5), p = (1, 2, 5) / 8, target 2. Row 1: target
  // -100, PyTorch's default ignore_index: no loss, no gradient, not counted. Row 2: (0, 0, 0),
  // p = 1/3 each, target 1. Weights w = (1, 2, 0.5): the rows weigh 0.5 and 2.
  const TensorD logits = TensorD::from({0., std::log(2.), std::log(5.), 7., -3., 1., 0., 0., 0.},
                                       {3, 3}),
                y = TensorD::from({2., -100., 1.});
  nn::CrossEntropyOptions o;
  o.weight = {1, 2, 0.5};
  o.reduction = Reduction::None;
  const double r0 = 0.5 * std::log(8. / 5), r2 = 2 * std::log(3.);
  require_values(nn::cross_entropy(logits, y, o), {r0, 0, r2}, 1e-15);
  o.reduction = Reduction::Sum;
  REQUIRE(nn::cross_entropy(logits, y, o).item() == Approx(r0 + r2).epsilon(1e-15));
  o.reduction = Reduction::Mean;  // divided by the rows' weights, 0.5 + 2
  TensorD x = logits.detach().requires_grad_();
  TensorD l = nn::cross_entropy(x, y, o);
  REQUIRE(l.item() == Approx((r0 + r2) / 2.5).epsilon(1e-15));
  // Gradient w_t (p - onehot) / 2.5: row 0 0.5 (1/8, 2/8, -3/8), row 1 zero, row 2 2 (1/3, -2/3,
  // 1/3).
  l.backward();
  require_values(x.grad(),
                 {0.5 / 8 / 2.5, 0.5 * 2 / 8 / 2.5, -0.5 * 3 / 8 / 2.5, 0, 0, 0, 2. / 3 / 2.5,
                  -4. / 3 / 2.5, 2. / 3 / 2.5},
                 1e-15);
  // Label smoothing eps = 0.2 with weights (PyTorch's formula): row i adds (eps / C) sum_j w_j
  // (-log p_ij) to (1 - eps) w_t (-log p_it). Row 0: ln 8 + 2 ln 4 + 0.5 ln(8/5); row 2: 3.5 ln 3.
  o.label_smoothing = 0.2;
  o.reduction = Reduction::None;
  const double s0 = std::log(8.) + 2 * std::log(4.) + 0.5 * std::log(8. / 5),
               s2 = 3.5 * std::log(3.);
  require_values(nn::cross_entropy(logits, y, o),
                 {0.8 * r0 + 0.2 / 3 * s0, 0, 0.8 * r2 + 0.2 / 3 * s2}, 1e-15);
  // libtorch 1.13 in float64 on another table (F::cross_entropy with weight (1, 2, 0.5), targets
  // (2, -100, 1, 0)): means 0.94635834374793359 (eps 0) and 1.027284619241446 (eps 0.2), sums
  // 3.3122542031177677 and 3.5954961673450616, and the sum's gradient at eps 0.2 below.
  const TensorD table = TensorD::from({1., 2., 0.5, 0.3, -1., 2., 0., 0., 0., 3., 1., -2.}, {4, 3}),
                t4 = TensorD::from({2., -100., 1., 0.});
  const auto torch_value = [&](double eps, Reduction r) {
    nn::CrossEntropyOptions q;
    q.weight = {1, 2, 0.5};
    q.label_smoothing = eps;
    q.reduction = r;
    return nn::cross_entropy(table, t4, q).item();
  };
  REQUIRE(torch_value(0, Reduction::Mean) == Approx(0.94635834374793359).epsilon(1e-14));
  REQUIRE(torch_value(0.2, Reduction::Mean) == Approx(1.027284619241446).epsilon(1e-14));
  REQUIRE(torch_value(0, Reduction::Sum) == Approx(3.3122542031177677).epsilon(1e-14));
  REQUIRE(torch_value(0.2, Reduction::Sum) == Approx(3.5954961673450616).epsilon(1e-14));
  TensorD tx = table.detach().requires_grad_();
  nn::CrossEntropyOptions q;
  q.weight = {1, 2, 0.5};
  q.label_smoothing = 0.2;
  q.reduction = Reduction::Sum;
  nn::cross_entropy(tx, t4, q).backward();
  require_values(tx.grad(),
                 {0.079775135160694385, 0.26473675550078285, -0.3445118906614773, 0, 0, 0,
                  0.54444444444444451, -1.1222222222222222, 0.57777777777777783,
                  0.03812061489852394, -0.010883690313823425, -0.027236924584700461},
                 1e-14);
  // Finite differences: weights, an ignored row, smoothing, every reduction.
  for (auto r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    require_gradcheck(
        [r](const auto& in) {
          nn::CrossEntropyOptions c;
          c.weight = {0.3, 1.7, 1, 2.5};
          c.label_smoothing = 0.15;
          c.reduction = r;
          c.ignore_index = 3;  // a class index: rows of class 3 are ignored
          return nn::cross_entropy(in[0], TensorD::from({2., 3., 1., 0.}), c);
        },
        {randd({4, 4}, 31)});

  // nll_loss: -w_t input[i, t], the mean over the weights; equals cross_entropy of log_softmax.
  nn::NllLossOptions n;
  n.weight = {1, 2, 0.5};
  TensorD lp =
      TensorD::from({-1., -2., -0.5, -0.3, -1., -2., -0.7, -0.1, -3.}, {3, 3}).requires_grad_();
  TensorD nl = nn::nll_loss(lp, y, n);
  REQUIRE(nl.item() == Approx((0.5 * 0.5 + 2 * 0.1) / 2.5).epsilon(1e-15));
  nl.backward();
  require_values(lp.grad(), {0, 0, -0.5 / 2.5, 0, 0, 0, 0, -2 / 2.5, 0}, 1e-15);
  o = nn::CrossEntropyOptions();
  o.weight = n.weight;
  REQUIRE(nn::nll_loss(xg::log_softmax(table, 1), t4, n).item() ==
          Approx(nn::cross_entropy(table, t4, o).item()).epsilon(1e-14));
  require_gradcheck(
      [n](const auto& in) {
        return nn::nll_loss(in[0], TensorD::from({2., -100., 1.}), n);
      },
      {randd({3, 3}, 32)});

  // A mean over no weight is NaN (PyTorch: 0/0), smoothing or not.
  const TensorD none = TensorD::from({-100., -100., -100.});
  REQUIRE(std::isnan(nn::cross_entropy(logits, none).item()));
  REQUIRE(nn::cross_entropy(logits, none, Reduction::Sum).item() == 0);
  o = nn::CrossEntropyOptions();
  o.weight = {1, 0, 1};
  o.label_smoothing = 0.1;
  REQUIRE(std::isnan(nn::cross_entropy(logits, TensorD::from({1., 1., 1.}), o).item()));
  // Float: the same rows as float32.
  nn::CrossEntropyOptions f;
  f.weight = {1, 2, 0.5};
  const Tensor lf = nn::cross_entropy(logits.to<float>(), Tensor::from({2.f, -100.f, 1.f}), f);
  REQUIRE(lf.item() == Approx((r0 + r2) / 2.5).epsilon(1e-6));

  // Bad options name the loss, the option and the allowed values.
  o = nn::CrossEntropyOptions();
  o.weight = {1, 2};
  REQUIRE_THROWS_WITH(nn::cross_entropy(logits, y, o),
                      "cross_entropy: weight has 2 values for 3 classes");
  o.weight = {1, NAN, 1};
  REQUIRE_THROWS_WITH(nn::cross_entropy(logits, y, o),
                      "cross_entropy: weight[1] = nan is not a finite number");
  n.ignore_index = -1;
  REQUIRE_THROWS_WITH(nn::nll_loss(lp, y, n),
                      "nll_loss: target[1] = -100 is not a class index in [0, 3) nor ignore_index "
                      "(-1)");
}

TEST_CASE("float32 cross_entropy at large and mixed logits: loss and gradient within an ulp",
          "[loss]") {
  using L = long double;
  // Rows near ±1000 (an ulp of 1000 is 6e-5), mixed magnitudes, a dominant maximum, ties.
  const std::vector<std::vector<float>> rows{
      {1000.f, 999.f, 998.5f, 1000.25f}, {-1000.f, -999.f, -1001.5f, -1000.125f},
      {1000.f, 0.5f, -3.f, 999.5f},      {20.f, 0.1234567f, -7.5f, 19.9f},
      {0.f, -30.f, -60.f, -15.5f},       {5.f, 5.f, -5.f, 4.999f}};
  for (float eps : {0.f, 0.1f})
    for (const auto& row : rows)
      for (std::size_t target = 0; target < 4; ++target) {
        INFO("eps " << eps << ", row " << row[0] << ", " << row[1] << ", " << row[2] << ", "
                    << row[3] << ", target " << target);
        // Exact: -log p_t = lse - x_t, smoothing term lse - mean(x); d/dx = p - q.
        L m = row[0], sum = 0, mean = 0;
        for (float v : row) m = std::max<L>(m, v);
        for (float v : row) sum += std::exp(L(v) - m), mean += L(v) / 4;
        const L lse = m + std::log(sum);
        const L loss = (1 - L(eps)) * (lse - L(row[target])) + L(eps) * (lse - mean);
        Tensor x = Tensor::from(std::vector<float>(row), {1, 4});
        x.requires_grad_();
        const Tensor l = nn::cross_entropy(x, Tensor::from({float(target)}), Reduction::Sum, eps);
        l.backward();
        require_ulps(l.item(), loss, 1);
        for (std::size_t j = 0; j < 4; ++j) {
          const L q = (j == target ? 1 - L(eps) : 0) + L(eps) / 4;
          require_ulps(x.grad().at(0, j), std::exp(L(row[j]) - lse) - q, 1);
        }
      }
}

TEST_CASE("float32 BCE with logits at large and mixed logits: value and gradient within ulps",
          "[loss]") {
  using L = long double;
  const std::vector<float> logits{1000.f, -1000.f, 999.9f, 20.3f, -20.3f, 0.5f, -0.75f};
  const std::vector<float> targets{0.f, 0.3f, 0.999f, 1.f};
  for (float w : {0.f, 2.5f})  // 0: no pos_weight
    for (float xv : logits)
      for (float yv : targets) {
        INFO("x " << xv << ", y " << yv << ", pos_weight " << w);
        const L x = xv, y = yv, lw = w > 0 ? 1 + (L(w) - 1) * y : 1;
        // Exact: (1 - y) x + lw softplus(-x); d/dx = (1 - y) - lw sigmoid(-x).
        const L softplus_neg = x < 0 ? -x + std::log1p(std::exp(x)) : std::log1p(std::exp(-x));
        const L value = (1 - y) * x + lw * softplus_neg;
        const L grad = (1 - y) - lw / (1 + std::exp(x));
        Tensor t = Tensor::from({xv});
        t.requires_grad_();
        const Tensor l =
            w > 0 ? nn::binary_cross_entropy_with_logits(t, Tensor::from({yv}), Reduction::Sum,
                                                         Tensor::from({w}))
                  : nn::binary_cross_entropy_with_logits(t, Tensor::from({yv}), Reduction::Sum);
        l.backward();
        require_ulps(l.item(), value, 2);
        require_ulps(t.grad().item(), grad, 2);
      }
}
