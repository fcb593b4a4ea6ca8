// XOR: the classic problem no linear model solves — one hidden tanh layer does.
//
// Build: part of the examples (build/examples/xor).
#include <fmt/format.h>

#include <xgrad/xgrad.hpp>

using namespace xg;

int main() {
  auto [X, y] = data::xor_gate();  // the four corners of the unit square, label x1 XOR x2
  xg::manual_seed(1);  // every layer draws its initial weights from the default generator
  nn::Sequential model(nn::Linear(2, 8), nn::Tanh(), nn::Linear(8, 2));

  optim::AdamOptions options;
  options.lr = 0.05;
  optim::Adam opt(model.parameters(), options);

  for (int epoch = 1; epoch <= 300; ++epoch) {
    opt.zero_grad();
    Tensor loss = nn::cross_entropy(model(X), y);  // y holds class indices 0/1
    loss.backward();
    opt.step();
    if (epoch % 50 == 0) fmt::print("epoch {:3d}  loss {:.5f}\n", epoch, loss.item());
  }

  NoGradGuard no_grad;  // evaluation: no graph
  const auto predicted = metrics::predictions(model(X));
  for (std::size_t i = 0; i < 4; ++i)
    fmt::print("{} XOR {} -> {}\n", X.at(i, 0), X.at(i, 1), predicted[i]);
  fmt::print("accuracy {:.0f}%\n", 100 * metrics::accuracy(model(X), y));
}
