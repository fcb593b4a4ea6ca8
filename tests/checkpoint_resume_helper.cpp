// One leg of the exact-resume test (test_checkpoint.cpp runs it as a separate process):
//
//   checkpoint_resume_helper <sgd|adam|rmsprop> <first epoch> <end epoch> <out.ckpt>
//   [<resume.ckpt>] checkpoint_resume_helper <optimizer> <first> <end> <out.ckpt> <resume.ckpt>
//   --weights-only
//
// Builds the same spiral data, model (with Dropout), optimizer and scheduler every time, resumes
// from <resume.ckpt> when given (the file must say it stopped at <first epoch>), trains epochs
// [first, end) and writes a checkpoint to <out.ckpt>. Each epoch's shuffle seed is drawn from
// the default generator, as PyTorch's DataLoader does, so its state matters too.
// --weights-only restores the model alone (a fresh optimizer and scheduler, the generators as
// seeded): what resuming was before checkpoints, and the control that shows the test can fail.
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <xgrad/xgrad.hpp>

using namespace xg;

namespace {

struct Run {
  std::shared_ptr<optim::OptimizerOf<float>> optimizer;
  std::shared_ptr<optim::LRScheduler> scheduler;
};

Run make_run(const std::string& name, nn::Module& model) {
  Run r;
  if (name == "sgd") {
    optim::SGDOptions o;
    o.lr = 0.1, o.momentum = 0.9, o.weight_decay = 1e-4;
    r.optimizer = std::make_shared<optim::SGD>(model.parameters(), o);
    r.scheduler = std::make_shared<optim::StepLR>(*r.optimizer, 10, 0.5);
  } else if (name == "adam") {
    optim::AdamOptions o;
    o.lr = 1e-2;
    r.optimizer = std::make_shared<optim::Adam>(model.parameters(), o);
    r.scheduler = std::make_shared<optim::WarmupCosineLR>(*r.optimizer, 5, 40);
  } else if (name == "rmsprop") {
    optim::RMSpropOptions o;
    o.lr = 5e-3, o.momentum = 0.5, o.centered = true;
    r.optimizer = std::make_shared<optim::RMSprop>(model.parameters(), o);
    r.scheduler = std::make_shared<optim::ExponentialLR>(*r.optimizer, 0.95);
  } else {
    throw std::invalid_argument(fmt::format("unknown optimizer '{}'", name));
  }
  return r;
}

void restore_weights(nn::Module& model, const std::string& path) {
  nn::NamedTensors<float> weights;
  for (auto& [name, t] : io::load_mixed(path).f32)  // the step counts are F64
    if (name.rfind("model.", 0) == 0) weights.emplace_back(name.substr(6), t);
  model.load_state_dict(weights);
}

int run(int argc, char** argv) {
  if (argc != 5 && argc != 6 && argc != 7) {
    fmt::print(stderr,
               "usage: {} <optimizer> <first> <end> <out.ckpt> [<resume.ckpt> "
               "[--weights-only]]\n",
               argv[0]);
    return 2;
  }
  const std::string name = argv[1], out = argv[4];
  const int first = std::atoi(argv[2]), end = std::atoi(argv[3]);
  const bool weights_only = argc == 7 && std::string(argv[6]) == "--weights-only";

  auto [X, y] = data::spiral(60, 3, /*seed*/ 7);
  manual_seed(1);
  nn::Sequential model(nn::Linear(2, 32), nn::ReLU(), nn::Dropout(0.1), nn::Linear(32, 3));
  Run r = make_run(name, model);
  if (argc >= 6) {
    if (weights_only) {
      restore_weights(model, argv[5]);
    } else {
      const io::CheckpointInfo info =
          io::load_checkpoint(argv[5], model, *r.optimizer, r.scheduler.get());
      if (info.epoch != first) {
        fmt::print(stderr, "{} stopped at epoch {}, not {}\n", argv[5], info.epoch, first);
        return 1;
      }
    }
  }
  for (int epoch = first; epoch < end; ++epoch) {
    for (auto [xb, yb] : data::batches(X, y, 32, default_generator().next_u64())) {
      r.optimizer->zero_grad();
      nn::cross_entropy(model(xb), yb).backward();
      r.optimizer->step();
    }
    r.scheduler->step();
  }
  io::save_checkpoint(out, model, *r.optimizer, r.scheduler.get(), end);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
