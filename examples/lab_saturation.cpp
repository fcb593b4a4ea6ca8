// Activation lab 7: saturation. With too large initial weights (std 5) almost every sigmoid unit
// sits on a flat tail where |f'| < 1e-3: almost no gradient gets through, the hidden layers
// barely move and the loss stalls far above what Xavier's init reaches in the same steps.
//
//   lab_saturation [OUT_DIR]   (OUT_DIR/lab_saturation_loss.csv: the loss of every step)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
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
  if (argc > 1) {
    std::string losses = "step," + rows[0].init + "," + rows[1].init + "\n";
    for (std::size_t i = 0; i < config.steps; ++i)
      losses += fmt::format("{},{:.5g},{:.5g}\n", i + 1, rows[0].step_losses.at(i),
                            rows[1].step_losses.at(i));
    xg::io::write_text_atomically(std::string(argv[1]) + "/lab_saturation_loss.csv", losses);
  }
}
