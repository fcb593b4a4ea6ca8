// Losses: values worked out by hand (the arithmetic is in the comments), every reduction,
// double gradchecks, extreme logits, and errors.
#include <cmath>

#include "test_helpers.hpp"
#include <xgrad/nn/loss.hpp>

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
    require_gradcheck([r](const auto& in) { return nn::mse_loss(in[0], in[1], r); }, {randd({3, 4}, 1), randd({3, 4}, 2)});
    require_gradcheck([r](const auto& in) { return nn::l1_loss(in[0], in[1], r); }, {randd({3, 4}, 3), randd({3, 4}, 4)});
    require_gradcheck([r](const auto& in) { return nn::huber_loss(in[0], in[1], r, 0.7); }, {randd({3, 4}, 5), randd({3, 4}, 6)});
    require_gradcheck([r](const auto& in) { return nn::smooth_l1_loss(in[0], in[1], r, 0.7); }, {randd({3, 4}, 7), randd({3, 4}, 8)});
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
  require_values(nn::binary_cross_entropy_with_logits(big, t, Reduction::None), {std::log1p(std::exp(-100.)), std::log1p(std::exp(-100.)), 100}, 1e-12);
  Tensor bigf = Tensor::from({1e4f, -1e4f}).requires_grad_();
  Tensor lf = nn::binary_cross_entropy_with_logits(bigf, Tensor::from({0.f, 0.f}));
  lf.backward();
  REQUIRE(lf.item() == 5e3f);
  require_values(bigf.grad(), {0.5, 0}, 0);  // (sigmoid(x) - y) / 2
  auto probs = [](const std::vector<TensorD>& in) {
    return nn::binary_cross_entropy(xg::sigmoid(in[0]), TensorD::from({1., 0., 1., 0.}, {2, 2}));
  };
  require_gradcheck(probs, {randd({2, 2}, 9)});
  require_gradcheck([](const auto& in) { return nn::binary_cross_entropy_with_logits(in[0], in[1]); },
                    {randd({2, 3}, 10), TensorD::rand({2, 3}, 11).requires_grad_()});
  REQUIRE_THROWS_WITH(nn::binary_cross_entropy(TensorD::from({1.5}), TensorD::from({1.})),
                      Catch::Contains("probabilities in [0, 1]"));
}

TEST_CASE("cross_entropy: fused log-softmax with class-index targets", "[loss]") {
  // Row 0: logits (0, ln 3), target 1: p = 3/4, loss -ln(3/4). Row 1: (0, 0), target 0: ln 2.
  const TensorD logits = TensorD::from({0., std::log(3.), 0., 0.}, {2, 2});
  const TensorD y = TensorD::from({1., 0.});
  REQUIRE(nn::cross_entropy(logits, y).item() == Approx((-std::log(0.75) + std::log(2.)) / 2));
  require_values(nn::cross_entropy(logits, y, Reduction::None), {-std::log(0.75), std::log(2.)}, 1e-15);
  // Extreme logits (+-100): target 0 -> 0 loss, target 1 -> 200 (exact, no overflow).
  const TensorD ext = TensorD::from({100., -100., 100., -100.}, {2, 2});
  require_values(nn::cross_entropy(ext, TensorD::from({0., 1.}), Reduction::None), {0, 200}, 1e-12);
  Tensor extf = Tensor::from({1e4f, -1e4f}, {1, 2}).requires_grad_();
  Tensor lf = nn::cross_entropy(extf, Tensor::from({1.f}));
  lf.backward();
  REQUIRE(lf.item() == 2e4f);
  require_values(extf.grad(), {1, -1}, 0);  // softmax - onehot
  for (auto r : {Reduction::Mean, Reduction::Sum, Reduction::None})
    require_gradcheck([r](const auto& in) { return nn::cross_entropy(in[0], TensorD::from({2., 0., 1.}), r); },
                      {randd({3, 4}, 12)});
  // nll_loss(log_softmax(x)) equals cross_entropy(x).
  const TensorD x = TensorD::randn({3, 4}, 13), t = TensorD::from({3., 1., 0.});
  REQUIRE(nn::nll_loss(xg::log_softmax(x, 1), t).item() == Approx(nn::cross_entropy(x, t).item()).epsilon(1e-14));
  require_gradcheck([](const auto& in) { return nn::nll_loss(in[0], TensorD::from({2., 0., 1.})); }, {randd({3, 4}, 14)});
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({0., 3.})),
                      "cross_entropy: target[1] = 3 is not a class index in [0, 3)");
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::from({0.5, 1.})),
                      Catch::Contains("not a class index"));
  REQUIRE_THROWS_WITH(nn::cross_entropy(TensorD::zeros({2, 3}), TensorD::zeros({3})),
                      Catch::Contains("input [2,3] and target [3]"));
  REQUIRE_THROWS_WITH(nn::mse_loss(TensorD::zeros({4, 1}), TensorD::zeros({4})),
                      "mse_loss: input shape [4,1] and target shape [4] differ");
}
