// End-to-end training: XOR to 100%, three spirals with PReLU to >= 97% train accuracy, two
// moons to >= 98% — each within a fixed number of epochs (and well under a second here; the
// time is not asserted, it depends on the machine).
#include "test_helpers.hpp"

using namespace xgtest;
namespace nn = xg::nn;
namespace optim = xg::optim;
namespace data = xg::data;

namespace {
double train_classifier(nn::Sequential& model, const Tensor& X, const Tensor& y, int epochs,
                        double lr, std::size_t batch) {
  optim::AdamOptions o;
  o.lr = lr;
  optim::Adam opt(model.parameters(), o);
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (auto [xb, yb] : data::batches(X, y, batch, std::uint64_t(epoch))) {
      opt.zero_grad();
      nn::cross_entropy(model(xb), yb).backward();
      opt.step();
    }
  xg::NoGradGuard no_grad;
  return xg::metrics::accuracy(model(X), y);
}
}  // namespace

TEST_CASE("XOR reaches 100% accuracy", "[training]") {
  auto [X, y] = data::xor_gate();
  nn::Sequential model(nn::Linear(2, 8, true, 1), nn::Tanh(), nn::Linear(8, 2, true, 2));
  REQUIRE(train_classifier(model, X, y, 300, 0.05, 4) == 1.0);
}

TEST_CASE("a purely linear network cannot learn XOR", "[training]") {
  auto [X, y] = data::xor_gate();
  nn::Sequential model(nn::Linear(2, 8, true, 1), nn::Identity(), nn::Linear(8, 2, true, 2));
  REQUIRE(train_classifier(model, X, y, 300, 0.05, 4) <= 0.75);  // no line separates XOR
}

TEST_CASE("three spirals with PReLU reach >= 97% train accuracy in 200 epochs", "[training]") {
  auto [X, y] = data::spiral(300, 3, 7);
  nn::Sequential model(nn::Linear(2, 64, true, 1), nn::PReLU(64), nn::Linear(64, 64, true, 2),
                       nn::PReLU(64), nn::Linear(64, 3, true, 3));
  REQUIRE(train_classifier(model, X, y, 200, 1e-2, 128) >= 0.97);
}

TEST_CASE("two moons reach >= 98% train accuracy in 100 epochs", "[training]") {
  auto [X, y] = data::two_moons(1000, 0.1, 3);
  nn::Sequential model(nn::Linear(2, 32, true, 1), nn::ReLU(), nn::Linear(32, 32, true, 2),
                       nn::ReLU(), nn::Linear(32, 2, true, 3));
  REQUIRE(train_classifier(model, X, y, 100, 1e-2, 64) >= 0.98);
}
