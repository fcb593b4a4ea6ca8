#include "xgrad/core/random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace xg {
namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Generator::Generator(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Generator::next_u64() {  // xoshiro256** (Blackman & Vigna 2018)
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Generator::uniform() { return double(next_u64() >> 11) * 0x1p-53; }

double Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();  // log(0) guard
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 6.283185307179586 * u2;
  spare_ = r * std::sin(theta);
  has_spare_ = true;
  return r * std::cos(theta);
}

std::uint64_t Generator::below(std::uint64_t n) {
  // Lemire's nearly divisionless method would be faster; rejection keeps it exact and simple.
  const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
  std::uint64_t v = next_u64();
  while (v >= limit) v = next_u64();
  return v % n;
}

bool Generator::State::operator==(const State& o) const {
  // The spare compares by bit pattern: a restored state must be identical, not merely equal.
  return words == o.words && has_spare == o.has_spare &&
         std::memcmp(&spare, &o.spare, sizeof spare) == 0;
}

Generator::State Generator::get_state() const {
  State state;
  std::copy(std::begin(s_), std::end(s_), state.words.begin());
  state.has_spare = has_spare_;
  state.spare = has_spare_ ? spare_ : 0.0;
  return state;
}

void Generator::set_state(const State& state) {
  if (state.words == std::array<std::uint64_t, 4>{})
    throw std::invalid_argument(
        "Generator::set_state: all four xoshiro256** words are zero (the "
        "generator would return zeros forever)");
  if (state.has_spare && !std::isfinite(state.spare))
    throw std::invalid_argument(
        fmt::format("Generator::set_state: the cached normal must be finite, got {}", state.spare));
  std::copy(state.words.begin(), state.words.end(), std::begin(s_));
  has_spare_ = state.has_spare;
  spare_ = state.has_spare ? state.spare : 0.0;
}

namespace {
std::uint64_t bits_of(double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
double double_of(std::uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// Exactly 16 hex digits (what to_string writes), so a truncated or padded word is caught.
bool parse_word(const std::string& token, std::uint64_t& out) {
  if (token.size() != 16 || token.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  out = std::stoull(token, nullptr, 16);
  return true;
}
}  // namespace

std::string to_string(const Generator::State& state) {
  return fmt::format("xoshiro256** {:016x} {:016x} {:016x} {:016x} {}", state.words[0],
                     state.words[1], state.words[2], state.words[3],
                     state.has_spare ? fmt::format("{:016x}", bits_of(state.spare)) : "none");
}

Generator::State parse_generator_state(const std::string& text) {
  const auto bad = [&](const std::string& what) {
    return std::invalid_argument(fmt::format(
        "generator state '{}': {} (expected 'xoshiro256** <4 words of 16 hex digits> <spare>')",
        text, what));
  };
  std::istringstream in(text);
  std::vector<std::string> tokens;
  for (std::string token; in >> token;) tokens.push_back(token);
  if (tokens.size() != 6) throw bad(fmt::format("{} fields instead of 6", tokens.size()));
  if (tokens[0] != "xoshiro256**") throw bad(fmt::format("unknown algorithm '{}'", tokens[0]));
  Generator::State state;
  for (std::size_t i = 0; i < 4; ++i)
    if (!parse_word(tokens[i + 1], state.words[i]))
      throw bad(fmt::format("word {} '{}' is not 16 hex digits", i, tokens[i + 1]));
  if (tokens[5] != "none") {
    std::uint64_t bits;
    if (!parse_word(tokens[5], bits))
      throw bad(fmt::format("spare '{}' is neither 'none' nor 16 hex digits", tokens[5]));
    state.has_spare = true;
    state.spare = double_of(bits);
  }
  return state;
}

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator() = Generator(seed); }

}  // namespace xg
