// Generator: the seeded random source of every xgrad function that draws numbers.
//
// xoshiro256** seeded through splitmix64: fast, well tested, and identical on every platform
// (unlike std::normal_distribution), so a seed gives the same tensor everywhere.
#pragma once

#include <cstdint>

namespace xg {

class Generator {
 public:
  explicit Generator(std::uint64_t seed);
  std::uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);

 private:
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

// The process-wide generator used where no seed is given (layer initialisation, RReLU, Dropout),
// like torch's default generator. Not thread-safe: seed and use it from one thread.
Generator& default_generator();
// Restarts the default generator from `seed`, so a whole script becomes reproducible.
void manual_seed(std::uint64_t seed);

}  // namespace xg
