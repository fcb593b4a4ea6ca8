// Activation lab 6: zero-centred outputs. tanh = 2 sigmoid(2x) - 1 has outputs centred on 0;
// sigmoid's are all positive, so the gradients of a layer's weights share one sign per unit and
// descent zig-zags. The same net, init rule and batches: epochs to a target loss over 5 seeds.
//
//   lab_zero_centred
#include <fmt/format.h>

#include "lab.hpp"

int main() {
  const lab::CentringConfig config;
  const auto rows = lab::zero_centred(config);
  fmt::print("two moons, MLP 2-32-32-2, Xavier init, SGD lr {}: epochs until loss <= {}\n\n",
             config.lr, config.target_loss);
  for (const auto& r : rows) {
    std::string per_seed;
    double sum = 0;
    std::size_t reached = 0;
    for (std::size_t e : r.epochs_to_target) {
      per_seed += e ? fmt::format("{:>5}", e) : fmt::format("{:>5}", "-");
      if (e) sum += double(e), ++reached;
    }
    fmt::print("{:<8} seeds:{}   mean {} ({}/{} reached)\n", r.activation, per_seed,
               reached ? fmt::format("{:.1f}", sum / double(reached)) : std::string("-"), reached,
               r.epochs_to_target.size());
  }
}
