// xgrad_bench_engine: the engine's own overhead, on tensors too small for arithmetic to matter.
//
//   xgrad_bench_engine [--repeats R]
//
// Prints one JSON line per measurement:
//   record_op      time to run one elementwise op that records a graph node ([4] tensors)
//   no_grad_op     the same op under NoGradGuard (no node): the op without the graph
//   backward_node  time per node of a backward pass through a chain of such ops
//   tiny_step      one training step of the tiny MLP (2-16-16-1, tanh, BCE-with-logits, SGD)
//                  with heap allocations (operator new) and OS allocations counted per step
//                  after warm-up
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <xgrad/xgrad.hpp>

#include "bench_common.hpp"

// Counts every operator new in the process, to show a warmed-up step allocates nothing.
namespace {
std::atomic<std::size_t> g_news{0};
}
void* operator new(std::size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using xg::Tensor;
using Clock = std::chrono::steady_clock;

using bench::median;

// Median over `repeats` runs of f(), in ns per `per` units of work.
template <class F>
double median_ns(int repeats, double per, F&& f) {
  std::vector<double> runs;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    f();
    runs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / per);
  }
  return median(runs);
}

void print(const char* what, double ns, const std::string& extra = "") {
  fmt::print("{{\"impl\":\"xgrad\",\"bench\":\"engine\",\"measure\":\"{}\",\"ns\":{:.1f}{}}}\n",
             what, ns, extra);
}

void op_overhead(int repeats) {
  constexpr int kOps = 1000;
  const Tensor a = Tensor::from({1.f, 2.f, 3.f, 4.f}).requires_grad_();
  const Tensor b = Tensor::from({0.5f, 0.25f, 2.f, 1.f});
  print("record_op", median_ns(repeats, kOps, [&] {
          for (int i = 0; i < kOps; ++i) (void)(a * b);
        }));
  print("no_grad_op", median_ns(repeats, kOps, [&] {
          xg::NoGradGuard no_grad;
          for (int i = 0; i < kOps; ++i) (void)(a * b);
        }));
  // Backward through a chain: the forward is built outside the timed region.
  std::vector<double> runs;
  for (int r = 0; r < repeats; ++r) {
    Tensor y = a;
    for (int i = 0; i < kOps; ++i) y = y * b;
    Tensor loss = y.sum();
    const auto t0 = Clock::now();
    loss.backward();
    runs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count() /
                   (kOps + 1));
  }
  print("backward_node", median(runs));
}

void tiny_step(int repeats) {
  xg::nn::Sequential model(xg::nn::Linear(2, 16, true, 1), xg::nn::Tanh(),
                           xg::nn::Linear(16, 16, true, 2), xg::nn::Tanh(),
                           xg::nn::Linear(16, 1, true, 3));
  xg::optim::SGDOptions options;
  options.lr = 0.1;
  xg::optim::SGD sgd(model.parameters(), options);
  const Tensor x = Tensor::rand({64, 2}, 4, -1.f, 1.f);
  const Tensor y = xg::gt(Tensor::rand({64, 1}, 5), Tensor::scalar(0.5f));
  auto step = [&] {
    sgd.zero_grad();
    Tensor loss = xg::nn::binary_cross_entropy_with_logits(model(x), y);
    loss.backward();
    sgd.step();
  };
  for (int i = 0; i < 100; ++i) step();  // warm-up: caches and optimizer state fill up
  constexpr int kSteps = 1000;
  const std::size_t news = g_news.load(), os = xg::os_allocation_count();
  const double ns = median_ns(repeats, kSteps, [&] {
    for (int i = 0; i < kSteps; ++i) step();
  });
  const double steps = double(kSteps) * repeats;
  print("tiny_step", ns,
        fmt::format(",\"heap_allocations_per_step\":{:.2f},\"os_allocations_per_step\":{:.4f}",
                    double(g_news.load() - news) / steps,
                    double(xg::os_allocation_count() - os) / steps));
}

}  // namespace

int main(int argc, char** argv) {
  int repeats = 21;
  if (argc == 3 && std::string(argv[1]) == "--repeats") repeats = std::max(1, std::atoi(argv[2]));
  xg::set_num_threads(1);
  op_overhead(repeats);
  tiny_step(repeats);
  return 0;
}
