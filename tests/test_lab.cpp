// The activation lab's claims (examples/lab.hpp, docs/lab.md), each asserted on a small, fast
// configuration of the same experiment code the examples run at full size.
#include <cmath>
#include <string>

#include "../examples/lab.hpp"
#include "test_helpers.hpp"

namespace {
const lab::VanishingRow& row(const std::vector<lab::VanishingRow>& rows, const std::string& net) {
  for (const auto& r : rows)
    if (r.net == net) return r;
  FAIL("no row " << net);
  return rows.front();
}
}  // namespace

TEST_CASE("lab 1: without an activation no depth separates XOR; one tanh/sigmoid layer does",
          "[lab]") {
  lab::LinearityConfig c;
  c.identity_depths = {1, 3};
  c.epochs = 200;
  c.triangles = 200;
  for (const auto& r : lab::linearity(c)) {
    INFO(r.net << ": XOR " << r.xor_accuracy << ", triangles " << r.triangles_accuracy);
    if (r.net.rfind("identity", 0) == 0) {
      // A linear classifier gets at most 3 of the 4 XOR points right.
      REQUIRE(r.xor_accuracy <= 0.75);
      REQUIRE(r.triangles_accuracy <= 0.75);
    } else {
      REQUIRE(r.xor_accuracy == 1.0);
      REQUIRE(r.triangles_accuracy >= 0.95);
    }
  }
}

TEST_CASE("lab 2: depth-15 sigmoid vanishes; ReLU+He does not; BatchNorm or residual cure it",
          "[lab]") {
  lab::VanishingConfig c;
  c.depth = 15;
  c.width = 32;
  c.steps = 300;
  c.points_per_class = 100;
  const auto rows = lab::vanishing(c);
  const auto& sigmoid = row(rows, "sigmoid (Xavier)");
  const auto& relu = row(rows, "relu (He)");
  INFO("sigmoid ratio " << sigmoid.init_flow.ratio() << ", relu ratio " << relu.init_flow.ratio());
  REQUIRE(sigmoid.init_flow.layers.size() == 16);
  REQUIRE(sigmoid.init_flow.ratio() < 1e-3);
  REQUIRE(relu.init_flow.ratio() >= 0.1);
  REQUIRE(relu.init_flow.ratio() <= 10);
  // The plain sigmoid net stalls at the loss of a constant prediction, ln 3 ...
  REQUIRE(sigmoid.loss_end >= 0.95 * std::log(3.0));
  // ... where the cured ones lose at least half of their initial loss in the same steps.
  for (const char* cured : {"sigmoid + BatchNorm1d", "sigmoid + residual"}) {
    const auto& r = row(rows, cured);
    INFO(cured << ": " << r.loss_start << " -> " << r.loss_end);
    REQUIRE(r.loss_end <= 0.5 * r.loss_start);
  }
}

TEST_CASE("lab 3: a 10x learning rate kills ReLUs, not leaky/PReLU/ELU; bias 0.1 starts fewer dead",
          "[lab]") {
  lab::DeadConfig c;
  c.points_per_class = 150;
  c.epochs = 10;
  c.init_seeds = 10;
  const auto result = lab::dead_relus(c);
  for (const auto& r : result.rows) {
    INFO(r.activation << " lr " << r.lr << ": dead " << r.dead << ", accuracy " << r.accuracy);
    REQUIRE_FALSE(r.diverged);
    if (r.activation == "relu" && r.lr > c.good_lr) REQUIRE(r.dead >= 0.3);
    if (r.activation != "relu") REQUIRE(r.dead == 0);
  }
  REQUIRE(result.rows[0].dead < result.rows[1].dead);  // relu: good lr vs 10x
  INFO("dead at init: bias 0 " << result.dead_at_init_bias0 << ", bias 0.1 "
                               << result.dead_at_init_bias01);
  REQUIRE(result.dead_at_init_bias01 < result.dead_at_init_bias0);
}

TEST_CASE("lab 4: about half of the ReLU outputs are 0 after a zero-centred init", "[lab]") {
  lab::SparsityConfig c;
  c.inputs = 1000;
  c.width = 64;
  const auto r = lab::relu_sparsity(c);
  REQUIRE(r.zero_fraction >= 0.4);
  REQUIRE(r.zero_fraction <= 0.6);
}

TEST_CASE("lab 5: PReLU learns a different slope in each layer", "[lab]") {
  lab::PReLUConfig c;
  c.widths = {16, 16, 16};
  c.points_per_class = 100;
  c.epochs = 40;
  const auto layers = lab::prelu_slopes(c);
  REQUIRE(layers.size() == 3);
  double lowest = 1e9, highest = -1e9, moved = 0;
  for (const auto& l : layers) {
    lowest = std::min(lowest, l.mean);
    highest = std::max(highest, l.mean);
    moved = std::max(moved, std::abs(l.mean - 0.25));
  }
  INFO("layer means from " << lowest << " to " << highest);
  REQUIRE(moved > 0.02);             // the alphas left their 0.25 init
  REQUIRE(highest - lowest > 0.02);  // and not all in the same way
}

TEST_CASE("lab 6: tanh reaches a target loss in fewer epochs than sigmoid", "[lab]") {
  lab::CentringConfig c;
  c.seeds = 3;
  c.samples = 400;
  c.max_epochs = 100;
  const auto rows = lab::zero_centred(c);
  auto mean_epochs = [](const lab::CentringRow& r) {
    double sum = 0;
    for (std::size_t e : r.epochs_to_target) sum += e ? double(e) : 1e9;  // never: worst
    return sum / double(r.epochs_to_target.size());
  };
  REQUIRE(rows[0].activation == "tanh");
  for (std::size_t e : rows[0].epochs_to_target) REQUIRE(e > 0);
  REQUIRE(mean_epochs(rows[0]) < mean_epochs(rows[1]));
}

TEST_CASE("lab 7: a std-5 init saturates sigmoids and stalls; Xavier does not", "[lab]") {
  lab::SaturationConfig c;
  c.samples = 300;
  c.steps = 100;
  const auto rows = lab::saturation(c);
  const auto &big = rows[0], &xavier = rows[1];
  INFO("saturated " << big.saturated_start << " / " << xavier.saturated_start << ", hidden change "
                    << big.hidden_change << " / " << xavier.hidden_change << ", loss "
                    << big.loss_end << " / " << xavier.loss_end);
  REQUIRE(big.saturated_start > 0.9);
  REQUIRE(big.saturated_end > 0.9);  // still stuck after training
  REQUIRE(xavier.saturated_start < 0.05);
  REQUIRE(big.hidden_change < 0.1 * xavier.hidden_change);
  REQUIRE(big.loss_end > 10 * xavier.loss_end);
}
