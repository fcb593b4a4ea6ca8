// One-off measurements of a model: which units are dead, which activations saturate, how the
// gradient's size changes from the last layer to the first.
//
//   for (const auto& d : diagnostics::dead_units(model, X))       // after training
//     fmt::print("{} ({}): {} of {} units dead\n", d.layer, d.activation, d.units.size(), d.total);
//   loss.backward();
//   auto flow = diagnostics::gradient_flow(model);                 // per-layer ‖∇W‖
//   fmt::print("{}\n", flow.verdict());                            // "vanishing: 3.1e-07"
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/nn/activation_registry.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::diagnostics {

// The layers of a model: the modules without children, depth first, with their dotted names
// ("0", "block.1"; "" when the model itself has no children).
std::vector<std::pair<std::string, nn::Module*>> named_layers(nn::Module& model);

// Whether an activation saturates: its derivative tends to 0 on both sides (the catalogue's
// `saturation` says "both sides": sigmoid, tanh, arctan, softsign, isru, hardtanh, relu6,
// hardsigmoid, sinc, gaussian, binary_step). For these, "saturated" (|f'(x)| below a threshold)
// is the state that stalls learning; the ReLU family's flat side is measured as dead units.
bool saturates(const nn::ActivationInfo& info);
// By catalogue name; false for a name the catalogue does not have (and for "").
bool saturates(const std::string& activation);

// Fraction of the elements of `x` where |f'(x)| < threshold for the elementwise activation layer
// `activation` (any layer whose output has its input's shape). f' is obtained generically, by
// backpropagating a unit gradient through the layer's own forward on a detached copy of x; the
// layer's parameters receive nothing. Throws std::invalid_argument for a layer that changes
// the shape.
double saturated_fraction(nn::Module& activation, const Tensor& x, double threshold = 1e-3);

// Units of one activation layer whose output is exactly 0 for every row of the input.
struct DeadUnits {
  std::string layer;               // dotted name, as in named_layers()
  std::string activation;          // catalogue name
  std::vector<std::size_t> units;  // indices of the dead units (row-major over all but axis 0)
  std::size_t total = 0;           // units in the layer
  double fraction() const { return total ? double(units.size()) / double(total) : 0.0; }
};
// For every activation layer of `model` (activation_name() not empty), in order, evaluated on
// the rows of x (axis 0) in eval mode without a graph; the model's mode is restored afterwards.
std::vector<DeadUnits> dead_units(nn::Module& model, const Tensor& x);
// Dead units over all the layers' units (0 when there are none).
double dead_fraction(const std::vector<DeadUnits>& layers);

// The gradient's size through the depth of a network, read from the weight gradients left by
// the last backward pass.
struct GradientFlow {
  // Every parameter named "weight" with two or more dimensions (Linear and Maxout weights), in
  // order from the first layer to the last; norm is ‖∇W‖ (Frobenius), 0 without a gradient.
  std::vector<std::pair<std::string, double>> layers;
  // ‖∇W_first‖ / ‖∇W_last‖: far below 1 the gradient vanishes on its way back to the input,
  // far above 1 it explodes. NaN with fewer than two layers or a zero last gradient.
  double ratio() const;
  // "vanishing: 3.1e-07" (ratio < 1e-2), "exploding: 4.0e+03" (ratio > 1e2), else "ok: 0.82".
  std::string verdict() const;
};
GradientFlow gradient_flow(nn::Module& model);

}  // namespace xg::diagnostics
