// Save a model to a safetensors file (atomically: temp file + rename), load it into a fresh
// model, check the predictions are bit-identical, and resume training from it.
#include <fmt/format.h>

#include <xgrad/xgrad.hpp>

using namespace xg;

nn::Sequential make_model() {
  return nn::Sequential(nn::Linear(2, 32), nn::ReLU(), nn::Linear(32, 2));
}

void train(nn::Sequential& model, const Tensor& X, const Tensor& y, int epochs) {
  optim::AdamOptions options;
  options.lr = 1e-2;
  optim::Adam opt(model.parameters(), options);
  for (int epoch = 0; epoch < epochs; ++epoch)
    for (auto [xb, yb] : data::batches(X, y, 64, epoch)) {
      opt.zero_grad();
      nn::cross_entropy(model(xb), yb).backward();
      opt.step();
    }
}

int main() {
  auto [X, y] = data::circles(600, 0.05, 0.5, /*seed*/ 5);
  xg::manual_seed(5);
  nn::Sequential model = make_model();
  train(model, X, y, 20);
  const std::string path = "circles.safetensors";
  io::save(model, path, {{"epochs", "20"}});
  fmt::print("saved {} ({} parameters)\n", path, model.num_parameters());

  nn::Sequential restored = make_model();  // different random weights until loaded
  const io::Metadata meta = io::load(restored, path);
  bool same;
  {
    NoGradGuard no_grad;
    same = model(X).to_vector() == restored(X).to_vector();
    fmt::print("restored after {} epochs; predictions bit-identical: {}\n", meta.at("epochs"),
               same);
    fmt::print("accuracy before resuming {:.3f}\n", metrics::accuracy(restored(X), y));
  }
  train(restored, X, y, 20);  // resume where the file left off
  NoGradGuard no_grad;
  fmt::print("accuracy after 20 more epochs {:.3f}\n", metrics::accuracy(restored(X), y));
  return same ? 0 : 1;
}
