// Generator: the seeded random source of every xgrad function that draws numbers.
//
// xoshiro256** seeded through splitmix64: fast, well tested, and identical on every platform
// (unlike std::normal_distribution), so a seed gives the same tensor everywhere.
#pragma once

#include <array>
#include <cstdint>
#include <string>

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

  // Everything that determines the numbers still to come: xoshiro's four words and the second
  // normal of the last Box-Muller pair. Restoring a state resumes the stream exactly (PyTorch's
  // Generator.get_state / set_state).
  struct State {
    std::array<std::uint64_t, 4> words{};
    bool has_spare = false;
    double spare = 0;
    bool operator==(const State& o) const;
    bool operator!=(const State& o) const { return !(*this == o); }
  };
  State get_state() const;
  // Throws std::invalid_argument for all-zero words (xoshiro's one forbidden state, which would
  // give zeros forever) and a non-finite spare.
  void set_state(const State& state);

 private:
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

// The state as one line of text, for files (a checkpoint's metadata):
//   "xoshiro256** <w0> <w1> <w2> <w3> <spare>", each word 16 hex digits; <spare> is "none" or the
//   16-hex-digit bit pattern of the cached double. Exact: parse(to_string(s)) == s.
std::string to_string(const Generator::State& state);
// Throws std::invalid_argument quoting the text and saying what is wrong.
Generator::State parse_generator_state(const std::string& text);

// The process-wide generator used where no seed is given (layer initialisation, RReLU, Dropout),
// like torch's default generator. Not thread-safe: seed and use it from one thread.
Generator& default_generator();
// Restarts the default generator from `seed`, so a whole script becomes reproducible.
void manual_seed(std::uint64_t seed);

}  // namespace xg
