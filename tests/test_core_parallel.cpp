// The thread pool (src/core/parallel.hpp): how work is cut into chunks, and that every task runs
// exactly once on any number of threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include "core/gauge.hpp"
#include "core/parallel.hpp"
#include "xgrad/core/threads.hpp"

using xg::detail::Chunks;
using xg::detail::kParallelChunk;
using xg::detail::kParallelGrain;

namespace {

// Restores the thread count a test changed.
struct ThreadsGuard {
  int saved = xg::num_threads();
  ~ThreadsGuard() { xg::set_num_threads(saved); }
};

}  // namespace

TEST_CASE("chunks cover [0, n) in order and start at multiples of 64", "[parallel]") {
  for (std::size_t n : {kParallelGrain, kParallelGrain + 37, std::size_t(1) << 20,
                        (std::size_t(1) << 20) + 1, 3 * kParallelGrain + 4096 + 5}) {
    INFO("n = " << n);
    const Chunks chunks(n);
    REQUIRE(chunks.count() == (n + kParallelChunk - 1) / kParallelChunk);
    std::size_t expected_begin = 0;
    for (std::size_t c = 0; c < chunks.count(); ++c) {
      REQUIRE(chunks.begin(c) == expected_begin);
      REQUIRE(chunks.begin(c) % 64 == 0);
      REQUIRE(chunks.end(c) - chunks.begin(c) == std::min(kParallelChunk, n - chunks.begin(c)));
      expected_begin = chunks.end(c);
    }
    REQUIRE(expected_begin == n);
  }
}

TEST_CASE("work below the grain is one chunk", "[parallel]") {
  for (std::size_t n : {std::size_t(0), std::size_t(1), kParallelGrain - 1}) {
    const Chunks chunks(n);
    REQUIRE(chunks.count() == 1);
    REQUIRE(chunks.begin(0) == 0);
    REQUIRE(chunks.end(0) == n);
  }
}

TEST_CASE("every task runs exactly once, on any number of threads", "[parallel][threads]") {
  ThreadsGuard guard;
  for (int threads : {1, 2, 3, 5}) {
    xg::set_num_threads(threads);
    for (std::size_t count : {1, 2, 3, 7, 64, 1000}) {
      INFO(threads << " threads, " << count << " tasks");
      std::vector<std::atomic<int>> runs(count);
      xg::detail::parallel_tasks(
          count,
          [](void* c, std::size_t i) { (*static_cast<std::vector<std::atomic<int>>*>(c))[i]++; },
          &runs);
      for (std::size_t i = 0; i < count; ++i) REQUIRE(runs[i].load() == 1);
    }
  }
}

TEST_CASE("parallel_for_chunks hands each chunk its index and range once", "[parallel][threads]") {
  ThreadsGuard guard;
  xg::set_num_threads(2);
  const std::size_t n = (std::size_t(1) << 20) + 77;
  const Chunks chunks(n);
  std::vector<std::atomic<int>> seen(chunks.count());
  std::atomic<bool> ranges_match{true};
  xg::detail::parallel_for_chunks(n, [&](std::size_t c, std::size_t b, std::size_t e) {
    seen[c]++;
    if (b != chunks.begin(c) || e != chunks.end(c)) ranges_match = false;
  });
  REQUIRE(ranges_match.load());
  for (std::size_t c = 0; c < chunks.count(); ++c) REQUIRE(seen[c].load() == 1);
}

TEST_CASE("elementwise jobs leave a part its owner has begun to its owner", "[parallel][threads]") {
  // With 2 threads the caller owns the first half of the chunks and the worker the second. The
  // worker's chunks take 1 ms and the caller's 3, so the worker is done with its own half while
  // the caller is a third into its: it must not take the caller's chunks (their cache lines would
  // move to its core), as it would with a product's tiles (parallel_tasks). A helper may join a
  // part only while its owner has not begun it, and the caller begins its part within
  // microseconds of publishing the job, long before the worker's 8 ms.
  ThreadsGuard guard;
  xg::set_num_threads(2);
  const std::size_t n = 16 * kParallelChunk;
  const Chunks chunks(n);
  const std::size_t half = chunks.count() / 2;
  const auto caller = std::this_thread::get_id();
  std::vector<std::atomic<int>> by_caller(chunks.count());
  xg::detail::parallel_for_chunks(n, [&](std::size_t c, std::size_t, std::size_t) {
    by_caller[c] = std::this_thread::get_id() == caller ? 1 : 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(c < half ? 3 : 1));
  });
  for (std::size_t c = 0; c < half; ++c) {
    INFO("chunk " << c);
    REQUIRE(by_caller[c].load() == 1);
  }
}

#if defined(__linux__)
TEST_CASE("a thread held on one CPU runs every task itself, whatever the thread count",
          "[parallel][threads]") {
  // Threads beyond the CPUs the caller may run on could only take turns with it.
  cpu_set_t saved;
  REQUIRE(sched_getaffinity(0, sizeof saved, &saved) == 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  ThreadsGuard guard;
  xg::set_num_threads(2);
  struct Seen {
    std::thread::id caller = std::this_thread::get_id();
    std::atomic<int> elsewhere{0}, runs{0};
  } seen;
  for (int job = 0; job < 20; ++job)
    xg::detail::parallel_tasks(
        64,
        [](void* c, std::size_t) {
          auto& s = *static_cast<Seen*>(c);
          s.runs++;
          if (std::this_thread::get_id() != s.caller) s.elsewhere++;
          std::this_thread::sleep_for(std::chrono::microseconds(20));
        },
        &seen);
  REQUIRE(sched_setaffinity(0, sizeof saved, &saved) == 0);
  REQUIRE(seen.runs.load() == 20 * 64);
  REQUIRE(seen.elsewhere.load() == 0);
}
#endif

namespace {

// Runs `jobs` jobs of kind `key` through the gauge, each taking `split` or `serial` µs as the
// gauge decides; returns how many it ran on the caller alone.
int run_jobs(xg::detail::Gauge& gauge, int jobs, int split, int serial, std::size_t key = 42) {
  int serial_jobs = 0;
  for (int j = 0; j < jobs; ++j) {
    const bool alone = gauge.serial_next(key);
    serial_jobs += alone;
    gauge.record(key, alone, std::chrono::microseconds(alone ? serial : split));
  }
  return serial_jobs;
}

}  // namespace

TEST_CASE("the gauge keeps splitting jobs that run faster split, probing rarely", "[parallel]") {
  xg::detail::Gauge gauge;
  // Probes (run alone here) at job 8, then at multiples of an interval that doubles from 16 after
  // each probe that confirms the verdict, up to 128: jobs 8, 32, 64, 128, 256, ..., 1024.
  REQUIRE(run_jobs(gauge, 1024, 50, 100) == 11);
  REQUIRE_FALSE(gauge.serial_next(42));  // job 1025 runs split
}

TEST_CASE("the gauge runs jobs alone when splitting them does not pay", "[parallel]") {
  xg::detail::Gauge gauge;
  // Split at 99 µs against 100 alone is not the 3% gain asked for. Jobs 1-7 run split, the
  // probe at job 8 runs alone and turns the verdict; from then on probes run split at jobs 16,
  // 32, 64, then every 128th: 7 + 3 + 8 = 18 of 1024 split.
  REQUIRE(run_jobs(gauge, 1024, 99, 100) == 1024 - 18);
  REQUIRE(gauge.serial_next(42));
}

TEST_CASE("the gauge follows a machine whose cores come and go", "[parallel]") {
  xg::detail::Gauge gauge;
  run_jobs(gauge, 1024, 150, 100);  // the second core taken: alone is faster
  // The core is back: within a few probes the kind runs split again, only its probes alone.
  run_jobs(gauge, 1024, 50, 100);
  REQUIRE(run_jobs(gauge, 256, 50, 100) == 2);
  // One split job that took 20 times its usual time (preempted), just before the probe of job
  // 2432, counts as twice the mean: the probe still finds splitting faster.
  REQUIRE(run_jobs(gauge, 126, 50, 100) == 0);  // jobs 2305-2430
  REQUIRE_FALSE(gauge.serial_next(42));
  gauge.record(42, false, std::chrono::microseconds(1000));
  REQUIRE(gauge.serial_next(42));  // the probe, alone
  gauge.record(42, true, std::chrono::microseconds(100));
  REQUIRE_FALSE(gauge.serial_next(42));
}

TEST_CASE("the gauge keeps kinds apart when they share a slot of its table", "[parallel]") {
  // Keys 42 + 256 i start their search at the same slot. Eight kinds interleaved job by job, half
  // faster split and half faster alone, each get their own verdict (as in the tests above).
  xg::detail::Gauge gauge;
  std::vector<int> alone(8, 0);
  for (int j = 0; j < 1024; ++j)
    for (std::size_t i = 0; i < 8; ++i)
      alone[i] += run_jobs(gauge, 1, i % 2 ? 99 : 50, 100, 42 + 256 * i);
  for (std::size_t i = 0; i < 8; ++i) {
    INFO("kind " << i);
    REQUIRE(alone[i] == (i % 2 ? 1024 - 18 : 11));
  }
}

TEST_CASE("a gauge with longer probes runs them as jobs in a row", "[parallel]") {
  // Probes of 2 jobs with intervals up to 256: jobs 8-9, then (each probe confirming the
  // verdict, so the interval doubles from 16) 32-33, 64-65, 128-129, 256-257, 512-513, 768-769
  // and 1024: 15 of 1024 jobs alone.
  xg::detail::Gauge split_pays(xg::detail::GaugeProbes{2, 256});
  REQUIRE(run_jobs(split_pays, 1024, 50, 100) == 15);
  // Alone faster: jobs 1-7 split, the probe of jobs 8-9 alone turns the verdict (the interval
  // drops to 16), then split probes at 16-17, 32-33, 64-65, 128-129, 256-257, 512-513, 768-769
  // and 1024: 7 + 15 = 22 split.
  xg::detail::Gauge alone_pays(xg::detail::GaugeProbes{2, 256});
  REQUIRE(run_jobs(alone_pays, 1024, 99, 100) == 1024 - 22);
}

namespace {

using CycleClock = xg::detail::CycleGauge::Clock;

// Runs `cycles` cycles of a loop of `kinds` kinds of job (keys first, first + 1, ...) through the
// cycle gauge, at a simulated clock: a cycle takes `split` or `alone` µs as the gauge decides at
// its first job. Returns how many cycles ran alone.
int run_cycles(xg::detail::CycleGauge& gauge, CycleClock::time_point& now, int cycles, int split,
               int alone, std::size_t first = 1, std::size_t kinds = 3) {
  int alone_cycles = 0;
  for (int c = 0; c < cycles; ++c) {
    const bool serial = gauge.serial(first, now);
    for (std::size_t k = 1; k < kinds; ++k) REQUIRE(gauge.serial(first + k, now) == serial);
    alone_cycles += serial;
    now += std::chrono::microseconds(serial ? alone : split);
  }
  return alone_cycles;
}

}  // namespace

TEST_CASE("the cycle gauge runs a loop alone when its cycles are faster so", "[parallel]") {
  // Each product faster split, but the loop slower (the work between them reads what the other
  // core wrote): 100 µs per cycle split, 85 alone. Cycle 1 starts the timing, so the gauge's
  // jobs are the cycles from the second on: the probe of its jobs 8-9 (cycles 9-10) runs alone
  // and turns the verdict; from then on only probes run split, two cycles each, at jobs 16-17,
  // 32-33, 64-65, 128-129, each after a warm-up of 1 ms run split (10 cycles of 100 µs, which
  // the gauge does not count as jobs): cycles 17-28, 43-54, 85-96, 159-170. Split: 8 + 4 * 12.
  xg::detail::CycleGauge gauge;
  CycleClock::time_point now{};
  REQUIRE(run_cycles(gauge, now, 258, 100, 85) == 258 - 8 - 4 * 12);
  REQUIRE(gauge.serial(1, now));
}

TEST_CASE("the cycle gauge keeps a loop split while that is faster, probing rarely", "[parallel]") {
  xg::detail::CycleGauge gauge;
  CycleClock::time_point now{};
  // Probes (alone) at the gauge's jobs 8-9, 32-33, 64-65, 128-129, 256-257: cycles 9-10, 33-34,
  // 65-66, 129-130, 257-258.
  REQUIRE(run_cycles(gauge, now, 258, 50, 100) == 10);
  REQUIRE_FALSE(gauge.serial(1, now));
}

TEST_CASE("the cycle gauge splits a loop only while split cycles are at least 3% faster",
          "[parallel]") {
  // Split cycles of 100 µs against 104 alone: 100 <= 0.97 * 104 = 100.9, split stays (only the
  // probes run alone, as in the test above). Against 102 alone: 100 > 0.97 * 102 = 98.9, so the
  // first probe turns the verdict and the loop runs alone, as in the first test.
  xg::detail::CycleGauge stays_split;
  CycleClock::time_point now{};
  REQUIRE(run_cycles(stays_split, now, 258, 100, 104) == 10);
  xg::detail::CycleGauge goes_alone;
  REQUIRE(run_cycles(goes_alone, now, 258, 100, 102) == 258 - 8 - 4 * 12);
}

TEST_CASE("the cycle gauge takes a new anchor when the old one stops coming", "[parallel]") {
  xg::detail::CycleGauge gauge;
  CycleClock::time_point now{};
  run_cycles(gauge, now, 100, 50, 100, 1);  // a loop of kinds 1, 2, 3: split
  now += std::chrono::seconds(2);           // something else, then another loop
  // Kinds 11, 12, 13, faster alone: the first job after the pause (kind 11) becomes the anchor,
  // and the loop runs alone from its 10th cycle on (as in the first test above). Kept on kind 1,
  // the gauge would never time a cycle again and split every job.
  REQUIRE(run_cycles(gauge, now, 258, 100, 85, 11) == 258 - 8 - 4 * 12);
}

TEST_CASE("the cycle gauge splits a program that does not loop", "[parallel]") {
  xg::detail::CycleGauge gauge;
  CycleClock::time_point now{};
  for (std::size_t key = 1; key <= 1000; ++key) {
    REQUIRE_FALSE(gauge.serial(key, now));
    now += std::chrono::milliseconds(3);
  }
}

TEST_CASE("a gauge that forgets judges every kind afresh", "[parallel]") {
  xg::detail::Gauge gauge;
  // Better alone: as in the test above, jobs 1-7 and the probes at 16, 32 and 64 split.
  REQUIRE(run_jobs(gauge, 100, 99, 100) == 90);
  REQUIRE(gauge.serial_next(42));
  gauge.forget();
  // Afresh: split from its first job up to the probe of job 8, as a kind never seen.
  REQUIRE(run_jobs(gauge, 7, 50, 100) == 0);
  REQUIRE(gauge.serial_next(42));  // job 8: the first probe, alone
  REQUIRE(gauge.probing(42));
}

TEST_CASE("the gauge probes again soon when a probe contradicts its verdict", "[parallel]") {
  xg::detail::Gauge gauge;
  // Split at 300 µs against 100 alone for 200 jobs: alone, its split probes at jobs 16, 32, 64
  // and 128 confirming it (the interval doubles to 128).
  run_jobs(gauge, 200, 300, 100);
  // Then split takes 50 µs. The probe at job 256 finds it (0.25 of the way: the split mean
  // 300 -> 237.5, still slower than alone), so the verdict stands but the interval drops to 16:
  // probes at 272 (mean 190.6), 288 (155.5), 304 (129.1) and 320 (109.3, still > 97), then
  // 336 (94.5 <= 97: split from then on). Without the drop the next probe would be at job 384.
  REQUIRE(run_jobs(gauge, 136, 50, 100) == 136 - 6);  // jobs 201-336: split only the 6 probes
  REQUIRE_FALSE(gauge.serial_next(42));               // job 337
}

TEST_CASE("the cycle gauge warms a loop up before a probe splits it", "[parallel]") {
  // Cycles alone (85 µs) after split ones (100 µs), as in the first cycle-gauge test. The warm-up
  // before a probe runs its cycles split whatever the kinds' own gauges say, for 1 ms: 10 cycles
  // from cycle 17 on. The kinds start afresh at the first cycle of the probe proper (27).
  xg::detail::CycleGauge gauge;
  CycleClock::time_point now{};
  std::vector<int> warm, afresh;
  for (int cycle = 1; cycle <= 60; ++cycle) {
    const bool serial = gauge.serial(1, now);
    if (gauge.warming()) warm.push_back(cycle);
    if (gauge.kinds_start_afresh()) afresh.push_back(cycle);
    REQUIRE((gauge.warming() && serial) == false);
    gauge.serial(2, now);  // another kind: the same state, never the start of a probe
    REQUIRE_FALSE(gauge.kinds_start_afresh());
    now += std::chrono::microseconds(serial ? 85 : 100);
  }
  REQUIRE(warm == std::vector<int>{17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                   43, 44, 45, 46, 47, 48, 49, 50, 51, 52});
  REQUIRE(afresh == std::vector<int>{27, 53});
}
