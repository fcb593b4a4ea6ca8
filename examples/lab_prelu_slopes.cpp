// Activation lab 5: PReLU learns its negative slope alpha, one per channel, and the slopes end
// up different in each layer (He et al. 2015 report larger alphas in early layers). What xgrad
// finds on three spirals is printed as it is.
//
//   lab_prelu_slopes [OUT_DIR]   (OUT_DIR/lab_prelu_slopes.csv)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
  const auto layers = lab::prelu_slopes();
  fmt::print("alphas after training (all start at 0.25)\n{:<14} {:>8} {:>8} {:>8}\n",
             "hidden layer", "mean", "min", "max");
  std::string csv = "layer,name,mean,min,max\n";
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto& l = layers[i];
    fmt::print("{:<14} {:>8.3f} {:>8.3f} {:>8.3f}\n", fmt::format("{} (module {})", i + 1, l.name),
               l.mean, l.min, l.max);
    csv += fmt::format("{},{},{:.4f},{:.4f},{:.4f}\n", i + 1, l.name, l.mean, l.min, l.max);
  }
  if (argc > 1) xg::io::write_text_atomically(std::string(argv[1]) + "/lab_prelu_slopes.csv", csv);
}
