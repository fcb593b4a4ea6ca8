// Activation lab 4: right after a zero-centred init, about half of a ReLU layer's outputs are
// exactly 0 (its input is symmetric around 0): sparse activations for free.
//
//   lab_sparsity [OUT_DIR]   (OUT_DIR/lab_sparsity.csv: every output, for a histogram)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
  const lab::SparsityConfig config;
  const auto r = lab::relu_sparsity(config);
  fmt::print("Linear({}, {}) with PyTorch's init, then ReLU, on {} N(0, 1) inputs:\n",
             config.features, config.width, config.inputs);
  fmt::print("  {:.1f}% of the outputs are exactly 0 (mean {:.3f}, std {:.3f})\n",
             100 * r.zero_fraction, r.mean, r.std);
  if (argc > 1) {
    std::string values = "output\n";
    for (float v : r.outputs.to_vector()) values += fmt::format("{:.5g}\n", v);
    xg::io::write_text_atomically(std::string(argv[1]) + "/lab_sparsity.csv", values);
  }
}
