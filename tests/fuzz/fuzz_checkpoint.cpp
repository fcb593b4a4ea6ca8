// libFuzzer target: training checkpoints (io::load_checkpoint) into five set-ups, one per
// optimizer class, each with another scheduler or none, one with two parameter groups. Any input
// must either load or be refused with std::runtime_error; a refused load must change nothing
// (tests/checkpoint_snapshot.hpp), and after a load a training step must run. A crash, a
// sanitizer report, another exception, a change after a refusal, a leak or a hang is a finding.
// The seeds (corpus/checkpoint/) are save_checkpoint's files of these set-ups after two steps.
#include <xgrad/xgrad.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include "../checkpoint_snapshot.hpp"
#include "fuzz_file.hpp"

namespace {

namespace nn = xg::nn;
namespace optim = xg::optim;

struct Setup {
  nn::Sequential model{nn::Linear(2, 3), nn::Dropout(0.5, 3), nn::Linear(3, 2)};
  std::unique_ptr<optim::OptimizerOf<float>> opt;
  std::unique_ptr<optim::LRScheduler> sched;

  void step() {
    const xg::Tensor x = xg::Tensor::from({0.5f, -1, 2, 0.25f}, {2, 2});
    opt->zero_grad();
    nn::cross_entropy(model(x), xg::Tensor::from({0, 1})).backward();
    opt->step();
    if (sched) sched->step();
  }
};

std::vector<Setup>& setups() {
  static std::vector<Setup> all = [] {
    std::vector<Setup> s(5);
    optim::AdamOptions amsgrad;
    amsgrad.amsgrad = true;
    s[0].opt = std::make_unique<optim::Adam>(s[0].model.parameters(), amsgrad);
    s[0].sched = std::make_unique<optim::StepLR>(*s[0].opt, 2, 0.5);
    s[1].opt = std::make_unique<optim::AdamW>(s[1].model.parameters(), optim::AdamWOptions{});
    s[1].sched = std::make_unique<optim::WarmupCosineLR>(*s[1].opt, 2, 10);
    const auto p = s[2].model.parameters();
    s[2].opt = std::make_unique<optim::SGD>(
        std::vector<optim::ParamGroupSpec<float>>{{{p[0], p[2]}}, {{p[1], p[3]}, {{"lr", 0.05}}}},
        optim::SGDOptions{0.1, 0.9, 0, 1e-4, true});
    s[2].sched = std::make_unique<optim::CosineAnnealingLR>(*s[2].opt, 10);
    s[3].opt = std::make_unique<optim::RMSprop>(
        s[3].model.parameters(), optim::RMSpropOptions{0.01, 0.9, 1e-8, 0, 0.5, true});
    s[3].sched = std::make_unique<optim::ExponentialLR>(*s[3].opt, 0.9);
    s[4].opt = std::make_unique<optim::Adagrad>(s[4].model.parameters(), optim::AdagradOptions{});
    return s;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xgfuzz::TempFile file("checkpoint");
  file.write(data, size);
  for (Setup& s : setups()) {
    const xgtest::CheckpointSnapshot<float> before(s.model, *s.opt, s.sched.get());
    try {
      xg::io::load_checkpoint(file.path(), s.model, *s.opt, s.sched.get());
    } catch (const std::runtime_error&) {
      if (!(xgtest::CheckpointSnapshot<float>(s.model, *s.opt, s.sched.get()) == before))
        std::abort();  // a refused load changed something
      continue;
    }
    s.step();
  }
  return 0;
}
