// Regression with MSE: fit y = sin(3x) + noise with a small tanh MLP, gradient clipping on.
#include <fmt/format.h>

#include <cmath>
#include <xgrad/xgrad.hpp>

using namespace xg;

int main() {
  const std::size_t n = 512;
  const Tensor X = Tensor::rand({n, 1}, /*seed*/ 1, -1.f, 1.f);
  const Tensor noise = Tensor::randn({n, 1}, /*seed*/ 2, 0.f, 0.05f);
  const Tensor y = xg::sinusoid(X * 3.f) + noise;  // targets [N, 1], like the model's output

  xg::manual_seed(4);
  nn::Sequential model(nn::Linear(1, 32), nn::Tanh(), nn::Linear(32, 32), nn::Tanh(),
                       nn::Linear(32, 1));
  optim::AdamOptions options;
  options.lr = 5e-3;
  optim::Adam opt(model.parameters(), options);

  for (int epoch = 1; epoch <= 300; ++epoch) {
    metrics::RunningMean loss;
    for (auto [xb, yb] : data::batches(X, y, 64, epoch)) {
      opt.zero_grad();
      Tensor l = nn::mse_loss(model(xb), yb);
      l.backward();
      optim::clip_grad_norm_(model.parameters(), 1.0);  // a remedy for exploding gradients
      opt.step();
      loss.add(l.item(), xb.size(0));
    }
    if (epoch % 50 == 0) fmt::print("epoch {:3d}  mse {:.5f}\n", epoch, loss.mean());
  }
  NoGradGuard no_grad;
  for (float x : {-0.9f, -0.3f, 0.f, 0.5f}) {
    const float pred = model(Tensor::from({x}, {1, 1})).item();
    fmt::print("x {:5.2f}  model {:7.4f}  sin(3x) {:7.4f}\n", x, pred, std::sin(3 * x));
  }
}
