// Three interleaved spirals (CS231n), an MLP with ELU, Adam, and a learning rate that warms up
// linearly for 10 epochs and then follows a cosine down to 0 (WarmupCosineLR).
#include <fmt/format.h>

#include <xgrad/xgrad.hpp>

using namespace xg;

int main() {
  auto [X, y] = data::spiral(/*points per class*/ 300, /*classes*/ 3, /*seed*/ 7);
  xg::manual_seed(3);
  nn::Sequential model(nn::Linear(2, 64), nn::ELU(), nn::Linear(64, 64), nn::ELU(),
                       nn::Linear(64, 3));

  optim::AdamOptions options;
  options.lr = 1e-2;
  optim::Adam opt(model.parameters(), options);
  const int epochs = 200;
  optim::WarmupCosineLR schedule(opt, /*warmup*/ 10, /*total*/ epochs);

  for (int epoch = 1; epoch <= epochs; ++epoch) {
    metrics::RunningMean loss;
    for (auto [xb, yb] : data::batches(X, y, 128, /*shuffle seed*/ epoch)) {
      opt.zero_grad();
      Tensor l = nn::cross_entropy(model(xb), yb);
      l.backward();
      opt.step();
      loss.add(l.item(), xb.size(0));
    }
    schedule.step();  // once per epoch, after the optimizer steps
    if (epoch % 25 == 0)
      fmt::print("epoch {:3d}  lr {:.5f}  loss {:.4f}\n", epoch, schedule.get_last_lr()[0],
                 loss.mean());
  }
  NoGradGuard no_grad;
  fmt::print("train accuracy {:.3f}\n", metrics::accuracy(model(X), y));
  fmt::print("{}", metrics::confusion_matrix(model(X), y, 3).str());
}
