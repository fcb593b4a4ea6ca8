// Activation layers and the registry: layers equal their functions, trainable parameters are
// registered and trained, RReLU obeys train/eval, the registry builds every name and rejects
// bad ones, and a PReLU network learns its alpha.
#include <limits>
#include <stdexcept>
#include <xgrad/nn/activation.hpp>
#include <xgrad/nn/activation_registry.hpp>
#include "test_helpers.hpp"

using namespace xgtest;
namespace nn = xg::nn;

TEST_CASE("parameter-free layers equal their functions", "[nn][activation]") {
  const Tensor x = Tensor::randn({3, 4}, 1);
  REQUIRE(nn::ReLU()(x).to_vector() == xg::relu(x).to_vector());
  REQUIRE(nn::LeakyReLU(0.2f)(x).to_vector() == xg::leaky_relu(x, 0.2f).to_vector());
  REQUIRE(nn::GELU(xg::Approximate::Tanh)(x).to_vector() ==
          xg::gelu(x, xg::Approximate::Tanh).to_vector());
  REQUIRE(nn::Softplus(2.f, 10.f)(x).to_vector() == xg::softplus(x, 2.f, 10.f).to_vector());
  REQUIRE(nn::Softmax(0)(x).to_vector() == xg::softmax(x, 0).to_vector());
  REQUIRE(nn::LeakyReLU(0.2f).describe() == "LeakyReLU(negative_slope=0.2)");
  REQUIRE(nn::ReLU().num_parameters() == 0);
  REQUIRE_THROWS_WITH(nn::ISRU(-1.f), Catch::Contains("a must be > 0"));
}

TEST_CASE("PReLU, SReLU, APL, SwishBeta, SoftExponential hold trainable parameters",
          "[nn][activation]") {
  nn::PReLUD prelu(3);
  REQUIRE(prelu.named_parameters()[0].first == "weight");
  REQUIRE(prelu.weight.to_vector() == std::vector<double>{0.25, 0.25, 0.25});
  const TensorD x = TensorD::randn({4, 3}, 2);
  REQUIRE(prelu(x).to_vector() == xg::prelu(x, prelu.weight).to_vector());
  require_gradcheck([&] { return prelu(x); }, {prelu.weight});

  nn::SReLUD srelu(3);
  REQUIRE(srelu.parameters().size() == 4);
  require_gradcheck([&] { return srelu(x * 2.0); }, srelu.parameters());
  nn::APLD apl(3, 2, 5);
  REQUIRE(apl.a.shape() == xg::Shape{2, 3});
  apl.a.data() = xt::xarray<double>{{0.2, -0.1, 0.3}, {0.1, 0.4, -0.2}};
  require_gradcheck([&] { return apl(x); }, apl.parameters());
  nn::SwishBetaD swish(1.0, true, 3);
  require_gradcheck([&] { return swish(x); }, swish.parameters());
  nn::SwishBetaD fixed(1.0, false);
  REQUIRE(fixed.parameters().empty());
  REQUIRE(fixed.named_buffers()[0].first == "beta");
  nn::SoftExponentialD se(0.2);
  require_gradcheck([&] { return se(x); }, se.parameters());
}

TEST_CASE("RReLU obeys train and eval", "[nn][activation]") {
  nn::RReLU a(0.1f, 0.3f, 4), b(0.1f, 0.3f, 4);
  const Tensor x = Tensor::full({1000}, -1.f);
  const auto first = a(x).to_vector();
  REQUIRE(first == b(x).to_vector());  // same seed, same slopes
  REQUIRE(first != a(x).to_vector());  // fresh slopes each forward
  a.eval();
  for (float v : a(x).to_vector()) REQUIRE(v == Approx(-0.2f));  // (l + u) / 2
}

TEST_CASE("Maxout layer: k linear pieces; pieces (x, 0) give ReLU", "[nn][activation]") {
  nn::MaxoutD m(3, 3, 2, 6);
  REQUIRE(m.weight.shape() == xg::Shape{6, 3});
  // Piece 0 of group g is x_g, piece 1 is 0: weight rows 2g = e_g, 2g + 1 = 0, bias 0.
  m.weight.data() = xt::zeros<double>({6, 3});
  m.bias.data() = xt::zeros<double>({6});
  for (std::size_t g = 0; g < 3; ++g) m.weight.data()(2 * g, g) = 1;
  const TensorD x = TensorD::randn({5, 3}, 7);
  REQUIRE(m(x).to_vector() == xg::relu(x).to_vector());
  nn::MaxoutD r(3, 2, 3, 8);
  require_gradcheck([&] { return r(x); }, r.parameters());
  REQUIRE_THROWS_WITH(nn::Maxout(3, 2, 0), Catch::Contains("k must be >= 1"));
}

TEST_CASE("registry: every catalogue name builds; bad names and keys are explained",
          "[nn][activation]") {
  const Tensor x = Tensor::randn({4, 8}, 9);
  for (const auto& info : nn::activation_catalogue()) {
    INFO(info.name);
    auto layer = nn::make_activation<float>(info.name, {}, 8);
    REQUIRE(layer->forward(x).shape() == x.shape());
    REQUIRE(info.trainable == !layer->parameters().empty());
    REQUIRE(!info.description.empty());
  }
  REQUIRE(nn::activation_catalogue().size() >= 35);
  auto leaky = nn::make_activation<float>("leaky_relu", {{"negative_slope", 0.2}});
  REQUIRE(leaky->forward(x).to_vector() == xg::leaky_relu(x, 0.2f).to_vector());
  REQUIRE(nn::make_activation<float>("prelu", {}, 8)->parameters()[0].numel() == 8);
  REQUIRE(nn::make_activation<float>("prelu", {{"per_channel", 0}}, 8)->parameters()[0].numel() ==
          1);
  REQUIRE(nn::make_activation<float>("swish", {}, 8)->describe() == "SiLU()");
  REQUIRE_THROWS_WITH(
      nn::make_activation<float>("relux"),
      Catch::Contains("unknown activation 'relux'") && Catch::Contains("leaky_relu"));
  REQUIRE_THROWS_WITH(nn::make_activation<float>("elu", {{"alpa", 1}}),
                      "activation 'elu' has no parameter 'alpa' (accepted: alpha)");
  REQUIRE_THROWS_WITH(nn::make_activation<float>("rrelu", {{"lower", 0.5}, {"upper", 0.1}}),
                      Catch::Contains("lower must be <= upper"));
}

TEST_CASE("registry: trainable parameters, one set per channel, initial values by name",
          "[nn][activation]") {
  for (const auto& info : nn::activation_catalogue()) {
    INFO(info.name);
    auto layer = nn::make_activation<float>(info.name, {}, 8);
    std::vector<std::string> names;
    for (const auto& [name, p] : layer->named_parameters()) {
      names.push_back(name);
      REQUIRE(p.shape().back() == 8);  // the rule: per channel unless per_channel = 0
    }
    REQUIRE(names == info.parameters);
    if (!info.trainable) continue;
    for (const auto& p :
         nn::make_activation<float>(info.name, {{"per_channel", 0}}, 8)->parameters())
      REQUIRE(p.shape().back() == 1);
  }
  auto srelu = nn::make_activation<double>(
      "srelu", {{"t_left", -1}, {"a_left", 0.1}, {"t_right", 2}, {"a_right", 0.5}}, 3);
  const auto p = srelu->named_parameters();
  REQUIRE(p[0].second.to_vector() == std::vector<double>{-1, -1, -1});
  REQUIRE(p[1].second.to_vector() == std::vector<double>{0.1, 0.1, 0.1});
  REQUIRE(p[2].second.to_vector() == std::vector<double>{2, 2, 2});
  REQUIRE(p[3].second.to_vector() == std::vector<double>{0.5, 0.5, 0.5});
  auto apl = nn::make_activation<double>("apl", {{"a", 0.3}, {"b", 0.5}, {"hinges", 3}}, 4);
  const TensorD a = apl->named_parameters()[0].second, b = apl->named_parameters()[1].second;
  REQUIRE(a.shape() == xg::Shape{3, 4});
  for (double v : a.to_vector()) REQUIRE(v == 0.3);
  for (double v : b.to_vector()) REQUIRE(std::abs(v) <= 0.5);  // U(-b, b)
  REQUIRE(nn::make_activation<float>("apl", {{"b", 0}}, 2)->parameters()[1].to_vector() ==
          std::vector<float>{0, 0, 0, 0});
}

TEST_CASE("registry: names and keys PyTorch users reach for", "[nn][activation]") {
  const Tensor x = Tensor::randn({3, 4}, 11);
  // "dim", PyTorch's word, and "axis" for softmax's axis.
  REQUIRE(nn::make_activation<float>("softmax", {{"dim", 0}})->describe() == "Softmax(dim=0)");
  REQUIRE(nn::make_activation<float>("softmax", {{"axis", 0}})->forward(x).to_vector() ==
          xg::softmax(x, 0).to_vector());
  // swish = silu everywhere: function, layer and registry.
  REQUIRE(xg::swish(x).to_vector() == xg::silu(x).to_vector());
  REQUIRE(nn::Swish().describe() == "SiLU()");
  REQUIRE(nn::make_activation<float>("swish_beta", {{"beta", 2}}, 4)->forward(x).to_vector() ==
          xg::swish_beta(x, Tensor::full({4}, 2.f)).to_vector());
  REQUIRE(nn::activation_info("swish").name == "silu");
  REQUIRE_THROWS_WITH(nn::activation_info("relux"), Catch::Contains("unknown activation 'relux'"));
  // Generated layers print their hyper-parameters like PyTorch.
  REQUIRE(nn::Softplus(2.f, 10.f).describe() == "Softplus(beta=2, threshold=10)");
  REQUIRE(nn::Squareplus().describe() == "Squareplus(b=4)");
  REQUIRE_THROWS_WITH(nn::Squareplus(-1.f), "squareplus: b must be finite and > 0, got -1");
}

TEST_CASE("a PReLU network learns alpha toward the known optimum", "[nn][activation][training]") {
  // Data from y = prelu(x, 0.8): the loss of a PReLU layer is minimised at alpha = 0.8, far from
  // the 0.25 init. Plain SGD on the mean squared error moves alpha there.
  const Tensor x = Tensor::randn({256, 1}, 10);
  const Tensor y = xg::prelu(x, Tensor::from({0.8f}));
  nn::PReLU prelu(1);
  const float lr = 0.5f;
  for (int step = 0; step < 200; ++step) {
    prelu.zero_grad();
    const Tensor d = prelu(x) - y;
    (d * d).mean().backward();
    xg::NoGradGuard no_grad;
    prelu.weight.data() -= lr * prelu.weight.grad().data();
  }
  REQUIRE(prelu.weight.item() == Approx(0.8f).margin(1e-3));
}

TEST_CASE("every layer the registry builds reports its catalogue name", "[nn][activation]") {
  for (const auto& info : nn::activation_catalogue())
    REQUIRE(nn::make_activation<float>(info.name, {}, 4)->activation_name() == info.name);
  REQUIRE(nn::make_activation<float>("swish")->activation_name() == "silu");  // the alias
  REQUIRE(nn::Maxout(4, 2, 2).activation_name() == "maxout");
  REQUIRE(nn::Linear(2, 2).activation_name().empty());
}

TEST_CASE("registry: non-finite and out-of-range hyper-parameters are refused before any cast",
          "[nn][activation]") {
  const double nan = std::numeric_limits<double>::quiet_NaN(),
               inf = std::numeric_limits<double>::infinity();
  std::size_t checked = 0;
  for (const auto& info : nn::activation_catalogue())
    for (const auto& [key, value] : info.defaults)
      for (double bad : {nan, inf, -inf}) {
        INFO(info.name << " " << key << " = " << bad);
        REQUIRE_THROWS_WITH(nn::make_activation<float>(info.name, {{key, bad}}, 4),
                            Catch::Contains(info.name + ": " + key + " must be"));
        ++checked;
      }
  REQUIRE(checked >= 3 * 15);  // every hyper-parameter of the catalogue, three bad values each
  // Integer hyper-parameters arrive as doubles: 1e10 used to become "axis -2147483648".
  REQUIRE_THROWS_WITH(nn::make_activation<float>("softmax", {{"dim", 1e10}}),
                      Catch::Contains("softmax: dim must be an integer in [-64, 64]") &&
                          Catch::Contains("got 10000000000"));
  REQUIRE_THROWS_WITH(nn::make_activation<float>("log_softmax", {{"dim", 0.5}}),
                      Catch::Contains("log_softmax: dim must be an integer"));
  REQUIRE_THROWS_WITH(nn::make_activation<float>("prelu", {{"per_channel", 0.5}}, 4),
                      Catch::Contains("prelu: per_channel must be 0 or 1"));
  REQUIRE_THROWS_WITH(nn::make_activation<float>("apl", {{"hinges", 1e30}}),
                      Catch::Contains("apl: hinges must be an integer in [1, 1000]"));
  // In range, the layer is built and applies its axis.
  const Tensor x = Tensor::randn({2, 3}, 1);
  const Tensor y = (*nn::make_activation<float>("softmax", {{"dim", 0}}))(x);
  for (int j = 0; j < 3; ++j) REQUIRE(y.at(0, j) + y.at(1, j) == Approx(1.0));
}
