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

// The same training in float and in double (each on its own GEMM: vectors of 16 floats or 8
// doubles with AVX-512, different k blocks and tails). From the same weights and data, their
// losses and weights must stay within float rounding of each other
// (losses to relative 1e-5 and weights to 1e-6 after 20 steps; float rounds each operation to
// ~6e-8), on shapes that span several register tiles, cache tiles and k blocks of the GEMM.
TEST_CASE("float training follows the same training in double precision", "[training][gemm]") {
  const Tensor X = Tensor::randn({200, 37}, 11), y = Tensor::randn({200, 5}, 12);
  nn::Sequential mf(nn::Linear(37, 300, true, 1), nn::Tanh(), nn::Linear(300, 300, true, 2),
                    nn::Tanh(), nn::Linear(300, 5, true, 3));
  nn::SequentialD md(nn::LinearD(37, 300, true, 1), nn::TanhD(), nn::LinearD(300, 300, true, 2),
                     nn::TanhD(), nn::LinearD(300, 5, true, 3));
  const std::vector<Tensor> pf = mf.parameters();
  std::vector<TensorD> pd = md.parameters();
  REQUIRE(pf.size() == pd.size());
  for (std::size_t i = 0; i < pf.size(); ++i) {
    const std::vector<float> values = pf[i].to_vector();
    std::copy(values.begin(), values.end(), pd[i].data().data());
  }
  optim::SGD of(pf, {0.05});
  optim::SGDD od(pd, {0.05});
  const TensorD Xd = X.to<double>(), yd = y.to<double>();
  for (int step = 0; step < 20; ++step) {
    of.zero_grad();
    od.zero_grad();
    Tensor lf = nn::mse_loss(mf(X), y);
    TensorD ld = nn::mse_loss(md(Xd), yd);
    lf.backward();
    ld.backward();
    of.step();
    od.step();
    INFO("step " << step);
    REQUIRE(double(lf.item()) == Approx(ld.item()).epsilon(1e-5));
  }
  for (std::size_t i = 0; i < pf.size(); ++i) {
    const auto wf = pf[i].to_vector();
    const auto wd = pd[i].to_vector();
    for (std::size_t j = 0; j < wf.size(); ++j)
      REQUIRE(double(wf[j]) == Approx(wd[j]).margin(1e-6));
  }
}
