// The thread pool's measure of whether splitting a kind of job across threads pays (internal
// header, used by parallel.cpp and tested on its own).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>

namespace xg::detail {

// How often a Gauge runs jobs the other way, and how many in a row (see Gauge).
struct GaugeProbes {
  unsigned length = 1;          // jobs in a row per probe, at most 8
  unsigned max_interval = 128;  // a power of two, at least 16
};

// Whether splitting a kind of job pays, measured. Sharing a job costs a hand-off and, when the
// threads' cores are not really separate (two virtual CPUs the host runs on one core, sibling
// hyper-threads, a memory bus one thread already saturates), buys nothing: the job then takes
// longer than on the caller alone. So the gauge times the jobs of each kind (the same task
// function and task count: a training loop repeats the same ones) and now and then runs a few
// the other way (a probe of `GaugeProbes::length` jobs in a row): from the 8th job, then from
// multiples of an interval that starts at 16, doubles after each probe that confirms the
// verdict, up to `GaugeProbes::max_interval`, and drops back to 16 when the verdict changes. After
// each probe a kind runs split if that took at most 97% of the time alone. The first three jobs
// of a kind are not timed (they touch fresh memory), and a time over twice the mean counts as
// twice the mean (one preempted job should not decide).
class Gauge {
 public:
  explicit Gauge(GaugeProbes probes = {}) : probes_(probes) {}

  // Whether the next job of this kind should run on the caller alone.
  bool serial_next(std::size_t key) {
    Kind& k = kind(key);
    ++k.jobs;
    const unsigned length = probes_.length, since = k.jobs % k.interval;
    const bool first = k.jobs >= 8 && k.jobs < 8 + length;
    k.probing = first || (k.jobs >= 16 && since < length);
    k.probe_ends = k.probing && (first ? k.jobs == 7 + length : since == length - 1);
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
    if (!k.probe_ends || k.serial_ns == 0 || k.split_ns == 0) return;
    const bool verdict = k.split_ns > 0.97 * k.serial_ns;
    k.interval = verdict == k.serial ? std::min(probes_.max_interval, k.interval * 2) : 16u;
    k.serial = verdict;
  }

 private:
  struct Kind {
    std::size_t key = 0;
    double split_ns = 0, serial_ns = 0;  // moving means of the job's time either way
    unsigned jobs = 0, interval = 16;
    bool serial = false, probing = false, probe_ends = false;
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
  GaugeProbes probes_;
  std::array<Kind, 256> kinds_{};
};

// Whether splitting pays for the program as a whole. Splitting a job can make it faster and yet
// make the work between jobs slower, which then reads what the other core wrote: where two
// cores share no cache (two virtual CPUs the host placed on different chiplets: 200 ns per cache
// line passed between them instead of 45), those reads can cost more than the split saved
// (a training step 14% slower on 2 threads than on 1, each of its products faster split). A
// training loop repeats the same jobs, so this gauge times the loop itself: a cycle runs from
// one start of a job of the anchor kind (the first kind seen) to the next, and now and then two
// cycles in a row run every job on the caller alone (probes scheduled as Gauge's, intervals up
// to 256 cycles). Unless split cycles are 3% faster, every job runs alone (the jobs' rule: a
// wider margin, 5%, left mnist 9% slower at 2 threads than at 1 in such a period, where 3% kept
// it within 2%); otherwise each kind of job is judged on its own (Gauge). A cycle of over a second
// means the program does not loop on the anchor (any more): the kind of the next job becomes the
// anchor.
class CycleGauge {
 public:
  using Clock = std::chrono::steady_clock;

  // At the start of a job of kind `key` at `now`: whether it runs alone because its cycle does.
  bool serial(std::size_t key, Clock::time_point now) {
    if (anchored_ && now - start_ > std::chrono::seconds(1)) anchored_ = false;
    if (!anchored_) {
      anchored_ = true;
      anchor_ = key;
      start_ = now;
      timed_ = serial_ = false;
      return false;
    }
    if (key == anchor_) {
      if (timed_) cycles_.record(anchor_, serial_, now - start_);
      serial_ = cycles_.serial_next(anchor_);
      start_ = now;
      timed_ = true;
    }
    return serial_;
  }

  // The cycle under way ran jobs alone for another reason: its time says nothing.
  void interrupt() { timed_ = false; }

 private:
  Gauge cycles_{GaugeProbes{2, 256}};
  std::size_t anchor_ = 0;
  bool anchored_ = false, timed_ = false, serial_ = false;
  Clock::time_point start_{};
};

}  // namespace xg::detail
