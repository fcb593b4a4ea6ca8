// Activation lab 2: vanishing gradients. sigmoid' <= 1/4, so in a deep sigmoid net the gradient
// reaching the first layer is a tiny fraction of the last layer's; ReLU with He init keeps it of
// the same order. Batch normalisation or residual connections let the deep sigmoid net train
// where the plain one stalls at the loss of a constant prediction.
//
//   lab_vanishing [OUT_DIR]   (OUT_DIR/lab_vanishing.csv: ‖∇W‖ per layer at init;
//                              OUT_DIR/lab_vanishing_loss.csv: the loss of every step)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
  const lab::VanishingConfig config;
  const auto rows = lab::vanishing(config);
  fmt::print("depth {}, width {}, three spirals, {} SGD steps (lr {})\n\n", config.depth,
             config.width, config.steps, config.lr);
  fmt::print("{:<24} {:>12} {:>12} {:>22} {:>10} {:>10}\n", "net", "first ‖∇W‖", "last ‖∇W‖",
             "first/last at init", "loss 0", "loss end");
  for (const auto& r : rows)
    fmt::print("{:<24} {:>12.2e} {:>12.2e} {:>22} {:>10.4f} {:>10.4f}\n", r.net,
               r.init_flow.layers.front().second, r.init_flow.layers.back().second,
               r.init_flow.verdict(), r.loss_start, r.loss_end);
  fmt::print("\nchance level (predicting 1/3 for each class): loss {:.4f}\n", std::log(3.0));
  if (argc > 1) {
    std::string csv = "layer";
    for (const auto& r : rows) csv += "," + r.net;
    csv += "\n";
    for (std::size_t l = 0; l < rows[0].init_flow.layers.size(); ++l) {
      csv += std::to_string(l + 1);
      for (const auto& r : rows) csv += fmt::format(",{:.6g}", r.init_flow.layers[l].second);
      csv += "\n";
    }
    xg::io::write_text_atomically(std::string(argv[1]) + "/lab_vanishing.csv", csv);
    std::string losses = "step";
    for (const auto& r : rows) losses += "," + r.net;
    losses += "\n";
    for (std::size_t i = 0; i < config.steps; ++i) {
      losses += std::to_string(i + 1);
      for (const auto& r : rows)
        losses += i < r.step_losses.size() ? fmt::format(",{:.5g}", r.step_losses[i]) : ",";
      losses += "\n";
    }
    xg::io::write_text_atomically(std::string(argv[1]) + "/lab_vanishing_loss.csv", losses);
  }
}
