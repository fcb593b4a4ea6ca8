// Generator: its state saved and restored exactly, and the state's text form.
#include <cstdint>
#include <vector>

#include "test_helpers.hpp"

using xg::Generator;

namespace {
// A mix of every draw kind, so the cached Box-Muller spare is part of what must be restored.
std::vector<double> draws(Generator& g, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(g.normal());
    out.push_back(g.uniform());
    out.push_back(double(g.below(1000)));
  }
  return out;
}
}  // namespace

TEST_CASE("a restored state continues the stream exactly, spare normal included", "[random]") {
  Generator g(42);
  g.normal();  // leaves the second normal of the pair cached
  const Generator::State saved = g.get_state();
  REQUIRE(saved.has_spare);
  const std::vector<double> expected = draws(g, 50);

  Generator other(7);
  REQUIRE(other.get_state() != saved);
  other.set_state(saved);
  REQUIRE(other.get_state() == saved);
  REQUIRE(draws(other, 50) == expected);
}

TEST_CASE("the default generator's state round-trips", "[random]") {
  xg::manual_seed(3);
  REQUIRE(xg::default_generator().get_state() == Generator(3).get_state());
  xg::default_generator().normal();
  const Generator::State saved = xg::default_generator().get_state();
  const std::vector<double> expected = draws(xg::default_generator(), 10);
  xg::manual_seed(99);
  xg::default_generator().set_state(saved);
  REQUIRE(draws(xg::default_generator(), 10) == expected);
}

TEST_CASE("the text form is exact and readable", "[random]") {
  // Generator(0) seeds xoshiro with the first four outputs of splitmix64 from state 0, the
  // published test vector e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec.
  REQUIRE(xg::to_string(Generator(0).get_state()) ==
          "xoshiro256** e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec none");
  Generator g(5);
  g.normal();
  const Generator::State s = g.get_state();
  const std::string text = xg::to_string(s);
  REQUIRE(xg::parse_generator_state(text) == s);
  // The spare is written as its bit pattern: 0.5 is 3fe0000000000000.
  Generator::State half = s;
  half.spare = 0.5;
  REQUIRE(xg::to_string(half).substr(text.size() - 16) == "3fe0000000000000");
}

TEST_CASE("bad states are rejected with the reason", "[random]") {
  using Catch::Matchers::Contains;
  Generator g(1);
  Generator::State zero;
  REQUIRE_THROWS_WITH(g.set_state(zero), Contains("all four xoshiro256** words are zero"));
  Generator::State nan = g.get_state();
  nan.has_spare = true;
  nan.spare = std::nan("");
  REQUIRE_THROWS_WITH(g.set_state(nan), Contains("must be finite"));
  REQUIRE(g.get_state() == Generator(1).get_state());  // unchanged by the failed calls

  REQUIRE_THROWS_WITH(xg::parse_generator_state("xoshiro256** 1 2 3 4 none"),
                      Contains("word 0 '1' is not 16 hex digits"));
  REQUIRE_THROWS_WITH(xg::parse_generator_state("mt19937 a b c d e"),
                      Contains("unknown algorithm 'mt19937'"));
  REQUIRE_THROWS_WITH(xg::parse_generator_state(""), Contains("0 fields instead of 6"));
  REQUIRE_THROWS_WITH(
      xg::parse_generator_state(
          "xoshiro256** e220a8397b1dcdaf 6e789e6aa1b965f4 06c45d188009454f f88bb8a8724c81ec spare"),
      Contains("spare 'spare' is neither 'none' nor 16 hex digits"));
}
