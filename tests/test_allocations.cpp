// After warm-up a training step allocates nothing: graph nodes, tensor handles, buffers and
// scratch vectors all come back from the caching allocator. Counted here by replacing the
// global operator new for this test program.
#include <atomic>
#include <cstdlib>
#include <new>

#include "test_helpers.hpp"

namespace {
std::atomic<std::size_t> g_news{0};
}
// AddressSanitizer replaces operator new itself; under it only OS allocations are counted.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCountsHeap = false;
#else
constexpr bool kCountsHeap = true;
void* operator new(std::size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

using namespace xgtest;
namespace nn = xg::nn;
namespace optim = xg::optim;

namespace {
template <class Step>
std::size_t allocations_per_step(Step&& step) {
  for (int i = 0; i < 5; ++i) step();  // warm-up: caches and optimizer state fill up
  const std::size_t before = g_news.load(), os_before = xg::os_allocation_count();
  for (int i = 0; i < 20; ++i) step();
  REQUIRE(xg::os_allocation_count() == os_before);
  if (!kCountsHeap) WARN("heap allocations not counted under AddressSanitizer");
  return g_news.load() - before;
}
}  // namespace

TEST_CASE("a warmed-up training step makes no heap allocation", "[allocations]") {
  xg::set_num_threads(1);
  const Tensor x = Tensor::rand({64, 2}, 1, -1.f, 1.f);
  {  // tanh MLP, BCE with logits, SGD
    nn::Sequential model(nn::Linear(2, 16, true, 1), nn::Tanh(), nn::Linear(16, 1, true, 2));
    optim::SGD opt(model.parameters(), {0.1});
    const Tensor y = xg::gt(Tensor::rand({64, 1}, 3), Tensor::scalar(0.5f));
    REQUIRE(allocations_per_step([&] {
              opt.zero_grad();
              nn::binary_cross_entropy_with_logits(model(x), y).backward();
              opt.step();
            }) == 0);
  }
  {  // PReLU MLP, cross-entropy, Adam
    nn::Sequential model(nn::Linear(2, 32, true, 1), nn::PReLU(32), nn::Linear(32, 3, true, 2));
    optim::Adam opt(model.parameters(), {1e-3});
    const Tensor y = Tensor::from(std::vector<float>(64, 2.f), {64});
    REQUIRE(allocations_per_step([&] {
              opt.zero_grad();
              nn::cross_entropy(model(x), y).backward();
              opt.step();
            }) == 0);
  }
  {  // ELU MLP, MSE, SGD with momentum
    nn::Sequential model(nn::Linear(2, 32, true, 1), nn::ELU(), nn::Linear(32, 1, true, 2));
    optim::SGD opt(model.parameters(), {0.01, 0.9});
    const Tensor y = Tensor::rand({64, 1}, 4);
    REQUIRE(allocations_per_step([&] {
              opt.zero_grad();
              nn::mse_loss(model(x), y).backward();
              opt.step();
            }) == 0);
  }
}
