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
// verdict, up to `GaugeProbes::max_interval`, and drops back to 16 when the verdict changes or
// the probe's own jobs contradict it (the means have yet to follow a machine that changed). After
// each probe a kind runs split if that took at most 97% of the time alone. The first three jobs
// of a kind are not timed (they touch fresh memory), and a time over twice the mean counts as
// twice the mean (one preempted job should not decide).
class Gauge {
 public:
  explicit Gauge(GaugeProbes probes = {}) : probes_(probes) {}

  // Whether the next job of this kind should run on the caller alone.
  bool serial_next(std::size_t key) {
    Kind& k = kind(key);
    const Place p = place(k, ++k.jobs);
    k.probing = p.probing;
    k.probe_ends = p.ends;
    if (p.starts) k.probe_ns = k.probe_jobs = 0;
    return k.serial != k.probing;
  }

  // Whether the next serial_next(key) starts a probe that splits a kind judged better alone.
  bool split_probe_next(std::size_t key) {
    Kind& k = kind(key);
    return k.serial && place(k, k.jobs + 1).starts;
  }

  // Whether the job serial_next(key) announced is part of a probe.
  bool probing(std::size_t key) { return kind(key).probing; }

  // Drops every kind's times and verdict: each is judged afresh, split until its first probe.
  void forget() { kinds_.fill(Kind{}); }

  // Records how long the job that serial_next(key) announced took, either way.
  void record(std::size_t key, bool serial, std::chrono::nanoseconds took) {
    Kind& k = kind(key);
    if (k.jobs <= 3) return;
    double& mean = serial ? k.serial_ns : k.split_ns;
    const double ns = mean == 0 ? double(took.count()) : std::min(double(took.count()), 2 * mean);
    const double weight = k.probing ? 0.25 : 0.125;  // probes are rare: each counts more
    mean = mean == 0 ? ns : mean + weight * (ns - mean);
    if (k.probing) {
      k.probe_ns += ns;
      ++k.probe_jobs;
    }
    if (!k.probe_ends || k.serial_ns == 0 || k.split_ns == 0) return;
    const bool verdict = k.split_ns > 0.97 * k.serial_ns;
    // The probe's own jobs against the other way's mean: when they contradict the verdict the
    // means have not caught up yet (the machine changed), and the next probe comes soon.
    const double probe = k.probe_ns / k.probe_jobs;
    const bool probe_says_serial = serial ? k.split_ns > 0.97 * probe : probe > 0.97 * k.serial_ns;
    const bool confirmed = verdict == k.serial && probe_says_serial == k.serial;
    k.interval = confirmed ? std::min(probes_.max_interval, k.interval * 2) : 16u;
    k.serial = verdict;
  }

 private:
  struct Kind {
    std::size_t key = 0;
    double split_ns = 0, serial_ns = 0;  // moving means of the job's time either way
    double probe_ns = 0;                 // the total time of the probe under way
    unsigned jobs = 0, interval = 16, probe_jobs = 0;
    bool serial = false, probing = false, probe_ends = false;
  };

  // Where job number `job` of a kind falls in the probe schedule.
  struct Place {
    bool probing, starts, ends;
  };
  Place place(const Kind& k, unsigned job) const {
    const unsigned length = probes_.length, since = job % k.interval;
    const bool first = job >= 8 && job < 8 + length;
    const bool probing = first || (job >= 16 && since < length);
    return {probing, probing && (first ? job == 8 : since == 0),
            probing && (first ? job == 7 + length : since == length - 1)};
  }

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
//
// A probe that splits cycles after cycles alone first warms up: for kWarmUp it runs every job
// split, untimed, whatever the kinds' own gauges say. Their verdicts date from before the cycles
// alone (they see no job meanwhile), and a CPU idle for a while is not at once back at speed:
// in a virtual machine its first cycles split took 1.4-2 times their usual time (a relu step of
// 110 µs took 220, 195, 160, 140, then 100-125). Timed at once, such a probe would find
// splitting slower every time, and a loop judged alone in one bad moment would stay alone for
// good. After the warm-up the kinds' gauges start afresh (kinds_start_afresh()) and the probe's
// cycles are timed.
class CycleGauge {
 public:
  using Clock = std::chrono::steady_clock;

  // At the start of a job of kind `key` at `now`: whether it runs alone because its cycle does.
  bool serial(std::size_t key, Clock::time_point now) {
    if (anchored_ && now - start_ > std::chrono::seconds(1)) anchored_ = false;
    afresh_ = false;
    if (!anchored_) {
      anchored_ = true;
      anchor_ = key;
      start_ = now;
      timed_ = serial_ = warming_ = false;
      return false;
    }
    if (key == anchor_) {
      if (timed_) cycles_.record(anchor_, serial_, now - start_);
      start_ = now;
      if (!warming_ && cycles_.split_probe_next(anchor_)) {
        warming_ = true;
        warm_until_ = now + kWarmUp;
      }
      if (warming_ && now < warm_until_) {
        timed_ = false;
        return serial_ = false;
      }
      afresh_ = warming_;
      warming_ = false;
      serial_ = cycles_.serial_next(anchor_);
      timed_ = true;
    }
    return serial_;
  }

  // Whether the cycle under way warms up for a probe: its jobs run split, whatever their kinds'
  // gauges say.
  bool warming() const { return warming_; }

  // Whether the job serial() was last asked about ends a warm-up: the kinds' gauges forget.
  bool kinds_start_afresh() const { return afresh_; }

  // The cycle under way ran jobs alone for another reason: its time says nothing.
  void interrupt() { timed_ = false; }

 private:
  static constexpr std::chrono::milliseconds kWarmUp{1};
  Gauge cycles_{GaugeProbes{2, 256}};
  std::size_t anchor_ = 0;
  bool anchored_ = false, timed_ = false, serial_ = false, warming_ = false, afresh_ = false;
  Clock::time_point start_{}, warm_until_{};
};

}  // namespace xg::detail
