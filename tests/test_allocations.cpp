// After warm-up a training step allocates nothing: graph nodes, tensor handles, buffers and
// scratch vectors all come back from the caching allocator. Counted here by replacing the
// global operator new for this test program.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "test_helpers.hpp"
#include "xgrad/detail/sanitizer.hpp"

namespace {
std::atomic<std::size_t> g_news{0};
}
// AddressSanitizer replaces operator new itself; under it only OS allocations are counted.
#ifdef XGRAD_ASAN
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

TEST_CASE("the caching allocator refuses byte counts that overflow or no machine has") {
  xg::CachingAllocator<double> doubles;
  // n * sizeof(double) wraps around 2^64: refused instead of handing out a tiny block.
  REQUIRE_THROWS_AS(doubles.allocate(SIZE_MAX / 4), xg::AllocationError);
  REQUIRE_THROWS_WITH(doubles.allocate(SIZE_MAX / 4), Catch::Contains("the byte count overflows"));
  // Beyond 2^62 bytes (where the size classes would run past their table): refused.
  xg::CachingAllocator<char> bytes;
  REQUIRE_THROWS_AS(bytes.allocate(SIZE_MAX - 10), xg::AllocationError);
  REQUIRE_THROWS_AS(bytes.allocate((std::size_t(1) << 62) + 1), std::bad_alloc);
  // 2 EiB: the OS says no; the error says how much was asked for.
  REQUIRE_THROWS_WITH(bytes.allocate(std::size_t(1) << 61),
                      Catch::Contains("cannot allocate 2305843009213693952 bytes") &&
                          Catch::Contains("out of memory"));
}

TEST_CASE("a freed block is reused for the next request of its size class") {
  xg::CachingAllocator<float> a;
  float* p = a.allocate(3);  // 12 bytes: the 64-byte class
  a.deallocate(p, 3);
  float* q = a.allocate(5);  // 20 bytes: the same class
  REQUIRE(q == p);
  a.deallocate(q, 5);
}

TEST_CASE("blocks of 2 MiB and more start at a 2 MiB boundary, smaller ones at 64 bytes") {
  // A 2 MiB boundary lets the kernel back the whole block with transparent huge pages.
  xg::CachingAllocator<float> a;
  const std::size_t huge = std::size_t(2) << 20;
  for (std::size_t n : {huge / 4, 3 * huge / 8, huge / 2 + 1, 5 * huge / 4}) {  // 2 to 10 MiB
    INFO(n << " floats");
    float* p = a.allocate(n);
    REQUIRE(reinterpret_cast<std::uintptr_t>(p) % huge == 0);
    a.deallocate(p, n);
  }
  float* p = a.allocate(1000);
  REQUIRE(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
  a.deallocate(p, 1000);
}

#if defined(__SANITIZE_ADDRESS__)
#include <fcntl.h>
#include <sanitizer/asan_interface.h>
#include <sys/wait.h>
#include <unistd.h>

TEST_CASE("under AddressSanitizer, slack and cached memory is poisoned") {
  xg::CachingAllocator<float> a;
  float* p = a.allocate(3);  // 12 bytes of a 64-byte block
  REQUIRE_FALSE(__asan_address_is_poisoned(p + 2));
  REQUIRE(__asan_address_is_poisoned(p + 3));  // the slack past the request
  REQUIRE(__asan_address_is_poisoned(reinterpret_cast<char*>(p) + 63));
  a.deallocate(p, 3);
  REQUIRE(__asan_address_is_poisoned(p));  // in the cache, not in use
  float* q = a.allocate(5);
  REQUIRE(q == p);
  REQUIRE_FALSE(__asan_address_is_poisoned(q + 4));
  REQUIRE(__asan_address_is_poisoned(q + 5));
  a.deallocate(q, 5);
}

TEST_CASE("under AddressSanitizer, a write past a tensor's end inside its block is reported") {
  fflush(nullptr);
  const pid_t child = fork();
  if (child == 0) {
    dup2(open("/dev/null", O_WRONLY), 2);  // the expected report would clutter the test log
    Tensor t = Tensor::zeros({3});
    volatile float* past_end = t.data().data() + 3;  // still inside the 64-byte block
    *past_end = 1.f;
    _exit(0);  // not reached: AddressSanitizer aborts the child
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(!(WIFEXITED(status) && WEXITSTATUS(status) == 0));
}
#endif
