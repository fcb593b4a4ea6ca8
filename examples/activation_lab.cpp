// The activation lab: the training problems activations cause or cure, measured.
//   1. Vanishing gradients: in a deep sigmoid net the gradient shrinks layer by layer (sigmoid'
//      <= 1/4); ReLU passes it through where active, fully so with He initialisation.
//   2. About half of the ReLU units output exactly 0 right after a zero-centred init.
//   3. Dead ReLUs: a too-large learning rate can leave units that output 0 for every sample;
//      leaky ReLU has none.
#include <fmt/format.h>

#include <cmath>
#include <xgrad/xgrad.hpp>

using namespace xg;

namespace {

double grad_norm(const Tensor& p) {
  double s = 0;
  for (float g : p.grad().to_vector()) s += double(g) * g;
  return std::sqrt(s);
}

// A depth-layer MLP (width 32) with `activation` between the Linear layers, PyTorch's init.
nn::Sequential deep_net(const std::string& activation, int depth) {
  nn::Sequential net;
  for (int l = 0; l < depth; ++l) {
    net.push_back(std::make_shared<nn::Linear>(32, 32, true, 100 + l));
    net.push_back(nn::make_activation<float>(activation));
  }
  net.push_back(std::make_shared<nn::Linear>(32, 1, true, 99));
  return net;
}

// Units of the hidden layer `layer` (an activation's output) that are 0 for every sample.
std::size_t dead_units(nn::Sequential& net, const Tensor& x, std::size_t layer) {
  NoGradGuard no_grad;
  Tensor h = x;
  for (std::size_t i = 0; i <= layer; ++i) h = net[i](h);
  const Tensor alive =
      xg::gt(xg::abs(h), Tensor::scalar(0.f)).sum(0);  // per unit: samples with a non-zero output
  std::size_t dead = 0;
  for (float v : alive.to_vector()) dead += v == 0;
  return dead;
}

}  // namespace

int main() {
  fmt::print("1. gradient norm of the first vs the last Linear weight, 10 layers deep\n");
  const Tensor x = Tensor::randn({256, 32}, 1), y = Tensor::randn({256, 1}, 2);
  for (std::string act : {"sigmoid", "tanh", "relu", "elu", "relu+He"}) {
    const bool he = act == "relu+He";  // the cure: He init, std sqrt(2 / fan_in)
    nn::Sequential net = deep_net(he ? "relu" : act, 10);
    if (he) nn::init_model(net, nn::InitScheme::Kaiming, "relu", 0.0, /*seed*/ 3);
    nn::mse_loss(net(x), y).backward();
    const double first = grad_norm(net.named_parameters().front().second);
    const double last = grad_norm(net.named_parameters()[net.named_parameters().size() - 2].second);
    fmt::print("   {:8} first {:.2e}  last {:.2e}  ratio {:.1e}\n", act, first, last, first / last);
  }

  fmt::print("\n2. ReLU outputs exactly 0 right after init (zero-centred uniform weights)\n");
  {
    nn::Sequential net = deep_net("relu", 1);
    NoGradGuard no_grad;
    const Tensor h = net[1](net[0](x));
    fmt::print("   {:.1f}% of the hidden outputs are 0\n",
               100 * xg::eq(h, Tensor::scalar(0.f)).mean().item());
  }

  fmt::print("\n3. dead units after 50 steps of SGD with a too-large learning rate (lr 2)\n");
  auto [X, labels] = data::two_moons(512, 0.1, 3);
  for (const char* act : {"relu", "leaky_relu"}) {
    nn::Sequential net(nn::Linear(2, 64, true, 5), nn::make_activation<float>(act),
                       nn::Linear(64, 64, true, 6), nn::make_activation<float>(act),
                       nn::Linear(64, 2, true, 7));
    optim::SGD opt(net.parameters(), {/*lr*/ 2.0});
    for (int step = 0; step < 50; ++step) {
      opt.zero_grad();
      nn::cross_entropy(net(X), labels).backward();
      opt.step();
    }
    fmt::print("   {:10} dead units: layer 1 {}/64, layer 2 {}/64\n", act, dead_units(net, X, 1),
               dead_units(net, X, 3));
  }
}
