// xgrad_bench_monitor: what diagnostics::Monitor costs on the tiny MLP's training step
// (2-16-16-1, tanh, BCE-with-logits, SGD, batch 64: the tiny_step of bench_engine.cpp).
//
//   xgrad_bench_monitor [--repeats R]
//
// Prints one JSON line per configuration: the time per step without a monitor and with one
// recording every k steps (k = 1, 10, 100), median and minimum over the rounds, and their ratios
// to the unmonitored step. The configurations are measured in short interleaved rounds (plain,
// k=1, k=10, k=100, plain, ...) so that a machine shared with other jobs slows them alike; the
// minimum is the estimate for a quiet machine.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <xgrad/xgrad.hpp>

#include "bench_common.hpp"

namespace {

using xg::Tensor;
using Clock = std::chrono::steady_clock;

using bench::median;

// The tiny MLP with its optimizer and data, and an optional monitor recording every k steps.
struct Setup {
  explicit Setup(std::size_t every)
      : model(xg::nn::Linear(2, 16, true, 1), xg::nn::Tanh(), xg::nn::Linear(16, 16, true, 2),
              xg::nn::Tanh(), xg::nn::Linear(16, 1, true, 3)),
        sgd(model.parameters(), {/*lr*/ 0.1}),
        x(Tensor::rand({64, 2}, 4, -1.f, 1.f)),
        y(xg::gt(Tensor::rand({64, 1}, 5), Tensor::scalar(0.5f))) {
    if (every)
      monitor =
          std::make_unique<xg::diagnostics::Monitor>(model, xg::diagnostics::MonitorOptions{every});
  }
  void step() {
    sgd.zero_grad();
    xg::nn::binary_cross_entropy_with_logits(model(x), y).backward();
    sgd.step();
    if (monitor) monitor->step();
  }
  xg::nn::Sequential model;
  xg::optim::SGD sgd;
  Tensor x, y;
  std::unique_ptr<xg::diagnostics::Monitor> monitor;
};

}  // namespace

int main(int argc, char** argv) {
  int repeats = 201;
  if (argc == 3 && std::string(argv[1]) == "--repeats") repeats = std::max(1, std::atoi(argv[2]));
  xg::set_num_threads(1);
  const std::vector<std::size_t> configs{0, 1, 10, 100};  // 0: no monitor
  std::vector<std::unique_ptr<Setup>> setups;
  for (std::size_t every : configs) setups.push_back(std::make_unique<Setup>(every));
  for (auto& s : setups)
    for (int i = 0; i < 200; ++i) s->step();  // warm-up: caches and optimizer state

  constexpr int kSteps = 100;  // a multiple of every k: each round records the same share
  std::vector<std::vector<double>> ns(configs.size());
  for (int r = 0; r < repeats; ++r)
    for (std::size_t c = 0; c < configs.size(); ++c) {
      const auto t0 = Clock::now();
      for (int i = 0; i < kSteps; ++i) setups[c]->step();
      ns[c].push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kSteps);
    }
  const double plain = median(ns[0]);
  const double plain_min = *std::min_element(ns[0].begin(), ns[0].end());
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const double low = *std::min_element(ns[c].begin(), ns[c].end());
    fmt::print(
        "{{\"impl\":\"xgrad\",\"bench\":\"monitor\",\"every\":{},\"ns_per_step\":{:.1f},"
        "\"ratio_to_plain\":{:.3f},\"min_ns_per_step\":{:.1f},\"min_ratio_to_plain\":{:.3f}}}\n",
        configs[c], median(ns[c]), median(ns[c]) / plain, low, low / plain_min);
  }
  return 0;
}
