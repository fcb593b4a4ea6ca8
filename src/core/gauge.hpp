// The thread pool's measure of whether splitting a kind of job across threads pays (internal
// header, used by parallel.cpp and tested on its own).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>

namespace xg::detail {

// Whether splitting a kind of job pays, measured. Sharing a job costs a hand-off and, when the
// threads' cores are not really separate (two virtual CPUs the host runs on one core, sibling
// hyper-threads, a memory bus one thread already saturates), buys nothing: the job then takes
// longer than on the caller alone. So the gauge times the jobs of each kind (the same task
// function and task count: a training loop repeats the same ones) and now and then runs one the
// other way (a probe): at the 8th job, then at multiples of an interval that starts at 16,
// doubles after each probe that confirms the verdict, up to 128, and drops back to 16 when the
// verdict changes. After each probe a kind runs split if that took at most 97% of the time
// alone. The first three jobs of a kind are not timed (they touch fresh memory), and a time over
// twice the mean counts as twice the mean (one preempted job should not decide).
class Gauge {
 public:
  // Whether the next job of this kind should run on the caller alone.
  bool serial_next(std::size_t key) {
    Kind& k = kind(key);
    ++k.jobs;
    k.probing = k.jobs == 8 || (k.jobs > 8 && k.jobs % k.interval == 0);
    return k.serial != k.probing;
  }

  // Records how long the job that serial_next(key) announced took, either way.
  void record(std::size_t key, bool serial, std::chrono::nanoseconds took) {
    Kind& k = kind(key);
    if (k.jobs <= 3) return;
    const double ns = double(took.count());
    double& mean = serial ? k.serial_ns : k.split_ns;
    const double weight = k.probing ? 0.25 : 0.125;  // probes are rare: each counts more
    mean = mean == 0 ? ns : mean + weight * (std::min(ns, 2 * mean) - mean);
    if (!k.probing || k.serial_ns == 0 || k.split_ns == 0) return;
    const bool verdict = k.split_ns > 0.97 * k.serial_ns;
    k.interval = verdict == k.serial ? std::min(128u, k.interval * 2) : 16u;
    k.serial = verdict;
  }

 private:
  struct Kind {
    std::size_t key = 0;
    double split_ns = 0, serial_ns = 0;  // moving means of the job's time either way
    unsigned jobs = 0, interval = 16;
    bool serial = false, probing = false;
  };

  // The kind's entry: found among kProbe slots from the key's own, or made in an empty one, or
  // else in place of the one of them with the fewest jobs (a kind not seen lately starts afresh).
  Kind& kind(std::size_t key) {
    const std::size_t home = (key ^ (key >> 29)) % kinds_.size();
    Kind* spare = nullptr;
    for (std::size_t i = 0; i < kProbe; ++i) {
      Kind& k = kinds_[(home + i) % kinds_.size()];
      if (k.key == key && k.jobs > 0) return k;
      if (!spare || (spare->jobs > 0 && k.jobs < spare->jobs)) spare = &k;
    }
    *spare = Kind{key};
    return *spare;
  }

  static constexpr std::size_t kProbe = 8;
  std::array<Kind, 256> kinds_{};
};

}  // namespace xg::detail
