// xgrad_bench_latency: how long a cache line takes to pass between the first two CPUs this
// process may use, in ns one way (half a round trip of two threads pinned there, best of 5 runs
// of 100 000 round trips). On a virtual machine it tells where the host put the two virtual
// CPUs: on one AMD EPYC (Zen 5) guest here, 45-50 ns in most periods and about 205 ns in others
// (cores that share no cache), and the speed of splitting work across threads differs with it.
// Prints the number alone, or "null" when fewer than two CPUs are usable.
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

namespace {

bool pin_to(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
}

std::vector<int> usable_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &allowed)) cpus.push_back(cpu);
  return cpus;
}

// One run: the nanoseconds of a round trip, the two sides taking turns on one atomic.
double round_trip_ns(int a, int b, int trips) {
  alignas(64) std::atomic<int> turn{0};
  std::thread echo([&] {
    pin_to(b);
    for (int i = 0; i < trips; ++i) {
      while (turn.load(std::memory_order_acquire) != 2 * i + 1) {
      }
      turn.store(2 * i + 2, std::memory_order_release);
    }
  });
  pin_to(a);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < trips; ++i) {
    turn.store(2 * i + 1, std::memory_order_release);
    while (turn.load(std::memory_order_acquire) != 2 * i + 2) {
    }
  }
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  echo.join();
  return took.count() / trips;
}

}  // namespace

int main() {
  const std::vector<int> cpus = usable_cpus();
  if (cpus.size() < 2) {
    std::puts("null");
    return 0;
  }
  double best = 1e300;
  for (int run = 0; run < 5; ++run) best = std::min(best, round_trip_ns(cpus[0], cpus[1], 100000));
  std::printf("%.0f\n", best / 2);
  return 0;
}
