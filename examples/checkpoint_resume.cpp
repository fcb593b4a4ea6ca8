// Checkpoints: train 20 epochs, save the model, Adam's moments and step counts, the schedule's
// position and the random generators (Dropout's masks) in one file, rebuild everything from
// scratch, load the file and train 20 more. The result is bit-identical to 40 epochs without a
// break. (A model file from io::save holds the weights alone: resuming from it restarts Adam.)
#include <fmt/format.h>

#include <xgrad/xgrad.hpp>

using namespace xg;

// Everything a training run owns, built the same way every time.
struct Run {
  nn::Sequential model{nn::Linear(2, 32), nn::ReLU(), nn::Dropout(0.1), nn::Linear(32, 2)};
  optim::Adam opt{model.parameters(), {/*lr*/ 1e-2}};
  optim::CosineAnnealingLR schedule{opt, /*T_max*/ 40};

  void train(const Tensor& X, const Tensor& y, int from, int to) {
    model.train();
    for (int epoch = from; epoch < to; ++epoch) {
      for (auto [xb, yb] : data::batches(X, y, 64, /*shuffle seed*/ epoch)) {
        opt.zero_grad();
        nn::cross_entropy(model(xb), yb).backward();
        opt.step();
      }
      schedule.step();
    }
  }
  double accuracy(const Tensor& X, const Tensor& y) {
    NoGradGuard no_grad;
    model.eval();
    return metrics::accuracy(model(X), y);
  }
};

int main() {
  auto [X, y] = data::circles(600, 0.05, 0.5, /*seed*/ 5);

  manual_seed(5);
  Run straight;
  straight.train(X, y, 0, 40);

  manual_seed(5);
  Run first;
  first.train(X, y, 0, 20);
  const std::string path = "circles.ckpt.safetensors";
  io::save_checkpoint(path, first.model, first.opt, &first.schedule, /*epoch*/ 20,
                      {{"dataset", "circles"}});
  fmt::print("saved {} after 20 epochs: accuracy {:.3f}, lr {:.5f}\n", path, first.accuracy(X, y),
             first.opt.lr(0));

  manual_seed(123);  // different initial weights and Dropout seed: the file replaces them all
  Run resumed;
  const io::CheckpointInfo info =
      io::load_checkpoint(path, resumed.model, resumed.opt, &resumed.schedule);
  fmt::print("resumed at epoch {} ({}), lr {:.5f}\n", info.epoch, info.metadata.at("dataset"),
             resumed.opt.lr(0));
  resumed.train(X, y, info.epoch, 40);

  bool identical = true;
  const auto a = straight.model.state_dict(), b = resumed.model.state_dict();
  for (std::size_t i = 0; i < a.size(); ++i)
    identical = identical && a[i].second.to_vector() == b[i].second.to_vector();
  fmt::print(
      "accuracy after 40 epochs: straight {:.3f}, resumed {:.3f}; parameters "
      "bit-identical: {}\n",
      straight.accuracy(X, y), resumed.accuracy(X, y), identical);
  return identical ? 0 : 1;
}
