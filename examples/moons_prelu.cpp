// Two moons with PReLU: the negative slope alpha of every hidden unit is learned (He et al.
// 2015). Watch the alphas move away from their 0.25 init; they get no weight decay (their own
// parameter group), as in the paper.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <xgrad/xgrad.hpp>

using namespace xg;

int main() {
  auto [X, y] = data::two_moons(1000, /*noise*/ 0.1, /*seed*/ 3);
  auto [Xtr, ytr, Xte, yte] = data::train_test_split(X, y, 0.2, /*seed*/ 1);
  data::Standardizer scaler;
  Xtr = scaler.fit_transform(Xtr);
  Xte = scaler.transform(Xte);  // the training set's statistics only

  xg::manual_seed(2);
  auto prelu1 = std::make_shared<nn::PReLU>(16), prelu2 = std::make_shared<nn::PReLU>(16);
  nn::Sequential model(nn::Linear(2, 16), prelu1, nn::Linear(16, 16), prelu2, nn::Linear(16, 2));

  // Linear weights and biases with L2 weight decay; the PReLU alphas in a group without it.
  std::vector<Tensor> alphas{prelu1->weight, prelu2->weight}, weights;
  for (const Tensor& p : model.parameters())
    if (!p.is_same(alphas[0]) && !p.is_same(alphas[1])) weights.push_back(p);
  optim::SGDOptions options;
  options.lr = 0.1;
  options.momentum = 0.9;
  options.weight_decay = 1e-4;
  optim::SGD opt({{weights}, {alphas, {{"weight_decay", 0.0}}}}, options);

  for (int epoch = 1; epoch <= 100; ++epoch) {
    for (auto [xb, yb] : data::batches(Xtr, ytr, 64, /*shuffle seed*/ epoch)) {
      opt.zero_grad();
      nn::cross_entropy(model(xb), yb).backward();
      opt.step();
    }
    if (epoch % 20 == 0) {
      NoGradGuard no_grad;
      fmt::print("epoch {:3d}  train acc {:.3f}  mean alpha {:.3f} / {:.3f}\n", epoch,
                 metrics::accuracy(model(Xtr), ytr), prelu1->weight.mean().item(),
                 prelu2->weight.mean().item());
    }
  }
  NoGradGuard no_grad;
  model.eval();
  fmt::print("test accuracy {:.3f}\n", metrics::accuracy(model(Xte), yte));
  fmt::print("learned alphas of layer 1: {::.2f}\n", prelu1->weight.to_vector());
}
