// Activation lab 3: dead ReLUs. A unit whose input is negative for every sample outputs 0 and
// gets no gradient, so it never recovers. A learning rate 10x too large kills many of them;
// leaky ReLU, PReLU and ELU keep a gradient below 0 and lose none. A small positive bias (0.1)
// starts fewer units dead.
//
//   lab_dead_relu [OUT_DIR]   (OUT_DIR/lab_dead_relu.csv)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
  const lab::DeadConfig config;
  const auto result = lab::dead_relus(config);
  fmt::print("three spirals, MLP 2-64-64-3, He init, Adam, {} epochs\n\n", config.epochs);
  fmt::print("{:<12} {:>6} {:>20} {:>10}\n", "activation", "lr", "dead units at end", "accuracy");
  std::string csv = "activation,lr,dead_fraction,accuracy,diverged\n";
  for (const auto& r : result.rows) {
    fmt::print("{:<12} {:>6g} {:>19.1f}% {:>9.1f}%{}\n", r.activation, r.lr, 100 * r.dead,
               100 * r.accuracy, r.diverged ? "  (diverged)" : "");
    csv += fmt::format("{},{},{:.4f},{:.4f},{}\n", r.activation, r.lr, r.dead, r.accuracy,
                       r.diverged ? 1 : 0);
  }
  fmt::print(
      "\nReLU units dead right after init (mean over {} nets): bias 0: {:.2f}%, bias 0.1: "
      "{:.2f}%\n",
      config.init_seeds, 100 * result.dead_at_init_bias0, 100 * result.dead_at_init_bias01);
  if (argc > 1) xg::io::write_text_atomically(std::string(argv[1]) + "/lab_dead_relu.csv", csv);
}
