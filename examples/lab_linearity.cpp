// Activation lab 1: without a non-linear activation, depth does not help. A stack of Linear
// layers is one linear map, so an identity-activated net of any depth is a linear classifier:
// on the four XOR points it can get at most 3 right (75%), and triangles inside a ring of circles
// defeat it too. One hidden layer of tanh or sigmoid separates both.
//
//   lab_linearity [OUT_DIR]   (OUT_DIR/lab_linearity.csv for the docs' pictures)
#include <fmt/format.h>

#include "lab.hpp"

int main(int argc, char** argv) {
  const auto rows = lab::linearity();
  fmt::print("{:<14} {:>14} {:>20}\n", "net", "XOR (4 points)", "triangles/circles");
  std::string csv = "net,xor_accuracy,triangles_accuracy\n";
  for (const auto& r : rows) {
    fmt::print("{:<14} {:>13.1f}% {:>19.1f}%\n", r.net, 100 * r.xor_accuracy,
               100 * r.triangles_accuracy);
    csv += fmt::format("{},{:.4f},{:.4f}\n", r.net, r.xor_accuracy, r.triangles_accuracy);
  }
  if (argc > 1) xg::io::write_text_atomically(std::string(argv[1]) + "/lab_linearity.csv", csv);
}
