// What xgrad's bench and the libtorch bench share besides the workloads: the command line, the
// timing rules and the JSON record. Framework-free (no fmt: the libtorch program does not link
// xgrad).
//
//   <program> --workload NAME --threads N --steps S --warmup W [--blas-threads M]
//             [--width W --depth D]   (NAME = mlp: one member of the scaling family)
//
// Timing: each step on its own with steady_clock; the first W steps are run but not recorded;
// median, p10 and p90 of the S recorded ones (linear interpolation between closest ranks, numpy's
// default), and their mean (what a long run's total time follows, slow steps included). One process
// per measurement, so the peak RSS belongs to that workload.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "workloads.hpp"

namespace bench {

struct Options {
  std::string workload;
  int threads = 1;
  int blas_threads = 0;  // 0: same as threads
  int steps = 100;
  int warmup = 10;
  int width = 0, depth = 0;  // workload "mlp" only
};

[[noreturn]] inline void usage(const char* program, const std::string& error) {
  std::fprintf(stderr,
               "%s: error: %s\nusage: %s --workload NAME --threads N --steps S --warmup W "
               "[--blas-threads M] [--width W --depth D]\n"
               "  NAME: tiny spiral mnist wide deep eltwise eltwise_<act> mlp (with --width and "
               "--depth)\n",
               program, error.c_str(), program);
  std::exit(2);
}

inline int parse_int(const char* program, const std::string& flag, const std::string& text,
                     int min) {
  try {
    std::size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used == text.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  usage(program, flag + " needs an integer >= " + std::to_string(min) + ", got '" + text + "'");
}

inline Options parse_args(int argc, char** argv) {
  const char* program = argv[0];
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(program, flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--workload") {
      o.workload = value;
    } else {
      int* target = flag == "--threads"        ? &o.threads
                    : flag == "--blas-threads" ? &o.blas_threads
                    : flag == "--steps"        ? &o.steps
                    : flag == "--warmup"       ? &o.warmup
                    : flag == "--width"        ? &o.width
                    : flag == "--depth"        ? &o.depth
                                               : nullptr;
      if (!target) usage(program, "unknown flag " + flag);
      *target = parse_int(program, flag, value, flag == "--warmup" ? 0 : 1);
    }
  }
  if (o.workload.empty()) usage(program, "--workload is required");
  if (o.workload == "mlp" && (o.width == 0 || o.depth == 0))
    usage(program, "--workload mlp needs --width and --depth");
  if (o.blas_threads == 0) o.blas_threads = o.threads;
  return o;
}

// The MLP a workload name stands for, or null when it is not an MLP.
inline const workloads::Mlp* mlp_for(const Options& o) {
  static workloads::Mlp scaling;
  if (o.workload != "mlp") return workloads::find_mlp(o.workload);
  scaling = workloads::scaling_mlp(o.width, o.depth);
  return &scaling;
}

// Runs step(s) for s in [0, warmup + steps), each followed by between(s) (not timed), and
// returns the recorded steps' times in µs.
template <class Step, class Between>
std::vector<double> time_steps(const Options& o, Step&& step, Between&& between) {
  std::vector<double> us;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    const auto t0 = std::chrono::steady_clock::now();
    step(s);
    const auto t1 = std::chrono::steady_clock::now();
    if (s >= o.warmup) us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    between(s);
  }
  return us;
}

inline double percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * double(sorted.size() - 1);
  const std::size_t lo = std::size_t(pos), hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

// The median of unsorted values (numpy's: the mean of the middle two for an even count).
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return percentile(v, 0.5);
}

inline double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// A JSON line under construction: field(name, value) appends ,"name":value.
class Record {
 public:
  template <class V>
  Record& field(const char* name, const V& value) {
    std::ostringstream out;
    out.precision(7);
    out << ",\"" << name << "\":" << value;
    text_ += out.str();
    return *this;
  }
  Record& text(const char* name, const std::string& value) {
    text_ += std::string(",\"") + name + "\":\"" + value + '"';
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// Prints {"impl":..., "workload":..., the step statistics, `extra`, peak RSS, `tail`}.
inline void print_record(const std::string& impl, const std::string& workload, const Options& o,
                         std::vector<double> step_us, const Record& extra, const Record& tail) {
  std::sort(step_us.begin(), step_us.end());
  Record head;
  head.field("threads", o.threads)
      .field("blas_threads", o.blas_threads)
      .field("steps", o.steps)
      .field("warmup", o.warmup)
      .field("median_step_us", percentile(step_us, 0.5))
      .field("p10_step_us", percentile(step_us, 0.1))
      .field("p90_step_us", percentile(step_us, 0.9))
      .field("mean_step_us",
             std::accumulate(step_us.begin(), step_us.end(), 0.0) / double(step_us.size()));
  std::printf("{\"impl\":\"%s\",\"workload\":\"%s\"%s%s,\"peak_rss_mb\":%.7g%s}\n", impl.c_str(),
              workload.c_str(), head.str().c_str(), extra.str().c_str(), peak_rss_mb(),
              tail.str().c_str());
}

// The fields of an MLP run: GFLOP/s by the FLOP convention, input width and Linear layers, and
// the losses that prove both sides do the same work (loss_first: step 0, initial weights,
// batch 0; loss_last: the mean over the last dataset pass).
inline Record mlp_fields(const workloads::Mlp& m, const std::vector<double>& step_us,
                         double loss_first, double loss_last) {
  std::vector<double> sorted = step_us;
  std::sort(sorted.begin(), sorted.end());
  const double flops = workloads::flops_per_step(m);
  Record r;
  r.field("gflops", flops / percentile(sorted, 0.5) / 1e3)
      .field("flops_per_step", static_cast<long long>(flops))
      .field("width", m.widths.front())
      .field("depth", m.layers())
      .field("loss_first", loss_first)
      .field("loss_last", loss_last)
      .field("loss_decreased", loss_last < loss_first ? "true" : "false");
  return r;
}

}  // namespace bench
