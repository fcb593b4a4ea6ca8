// Activation lab 7: saturation. With too large initial weights (std 5) almost every sigmoid unit
// sits on a flat tail where |f'| < 1e-3: almost no gradient gets through, the hidden layers
// barely move and the loss stalls far above what Xavier's init reaches in the same steps.
//
//   lab_saturation
#include <fmt/format.h>

#include "lab.hpp"

int main() {
  const lab::SaturationConfig config;
  const auto rows = lab::saturation(config);
  fmt::print(
      "3 overlapping Gaussian blobs in {} dimensions, sigmoid MLP {}-{}-{}-3, {} SGD steps (lr "
      "{})\n\n",
      config.features, config.features, config.widths[0], config.widths[1], config.steps,
      config.lr);
  fmt::print("{:<12} {:>17} {:>15} {:>16} {:>9} {:>9} {:>9}\n", "init", "saturated at init",
             "after training", "hidden ‖ΔW‖/‖W‖", "loss 0", "loss end", "accuracy");
  for (const auto& r : rows)
    fmt::print("{:<12} {:>16.1f}% {:>14.1f}% {:>16.4f} {:>9.3f} {:>9.4f} {:>8.1f}%\n", r.init,
               100 * r.saturated_start, 100 * r.saturated_end, r.hidden_change, r.loss_start,
               r.loss_end, 100 * r.accuracy);
}
