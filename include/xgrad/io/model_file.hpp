// The self-describing model file: a safetensors file (io/safetensors.hpp) whose metadata holds
// everything needed to rebuild the network and to turn a new CSV table into its input, so that
// prediction needs the file alone.
//
//   xg::io::ModelCard card{network_spec, inputs, target, provenance};
//   xg::io::save_model(*model, card, "model.safetensors");
//   xg::io::ModelCard back = xg::io::read_model_card("model.safetensors");   // validated
//   auto net = xg::io::build_mlp(back.network);  xg::io::load(*net, "model.safetensors");
//
// Metadata keys (all strings; lists and objects are JSON text), format "mlp" version 2:
//   xgrad.format "mlp", xgrad.format_version "2"
//   xgrad.in, xgrad.out            encoded input features, outputs (classes, or 1)
//   xgrad.hidden                   "64,64" or "none"
//   xgrad.activation, xgrad.act_params   the registry name and every hyper-parameter (JSON
//                                  object, defaults filled in)
//   xgrad.init                     the init of the hidden layers: kaiming, xavier or lecun
//                                  (pytorch: PyTorch's default, for networks trained there)
//   xgrad.inputs                   JSON array, one object per input column in order:
//                                  {"name", "type": "number", "mean", "scale"[, "fill"]} or
//                                  {"name", "type": "category", "categories": [...][, "fill"]}
//   xgrad.task                     classification | regression
//   xgrad.target, xgrad.target_type      the target column and "number" | "category"
//   xgrad.classes                  JSON array of class names in index order (classification)
//   xgrad.target_mean, xgrad.target_scale   regression: prediction = output · scale + mean
//   xgrad.data.*, xgrad.train.*    how the model was made (informational, kept as given)
//
// Reading validates every key before anything is built from it: integers are plain decimal
// within the limits below, numbers finite, JSON at most 3 levels deep, names unique, and the
// file's tensors must have exactly the shapes the architecture implies (so nothing larger than
// the file itself is ever allocated). Errors are std::runtime_error naming the file, the key and
// the limit.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/data/preprocess.hpp"
#include "xgrad/io/safetensors.hpp"
#include "xgrad/nn/module.hpp"

namespace xg::io {

inline constexpr std::size_t kMaxHiddenLayers = 100;
inline constexpr std::size_t kMaxLayerWidth = 1'000'000;    // inputs, hidden units or outputs
inline constexpr std::size_t kMaxParameters = 100'000'000;  // weights and biases of the Linears

// A multi-layer perceptron: Linear(in, h1), act, ..., Linear(hk, out).
struct MlpSpec {
  std::size_t in = 2, out = 2;
  std::vector<std::size_t> hidden{64, 64};
  std::string activation = "relu";
  std::map<std::string, double> act_params;
  std::string init = "kaiming";  // kaiming | xavier | lecun | pytorch (see the CLI docs)
};
// Weights and biases of the Linear layers (trainable activations add their own).
std::size_t linear_parameters(const MlpSpec& spec);
// Throws std::invalid_argument naming the field and the limit.
void validate(const MlpSpec& spec);
// The network with PyTorch's default Linear init (load weights into it, or re-initialise).
std::shared_ptr<nn::Module> build_mlp(const MlpSpec& spec);

struct ModelCard {
  MlpSpec network;
  data::Preprocessor inputs;
  data::Target target;
  Metadata provenance;  // "xgrad.data.*" and "xgrad.train.*" keys, kept as given
};

// The metadata of a card (act_params completed with the activation's defaults).
Metadata to_metadata(const ModelCard& card);
// Parses and validates the metadata of `info` (from io::inspect(path)); `path` names the file
// in errors.
ModelCard read_model_card(const FileInfo& info, const std::string& path);
ModelCard read_model_card(const std::string& path);
// io::save with the card's metadata (atomic).
void save_model(const nn::Module& network, const ModelCard& card, const std::string& path);

}  // namespace xg::io
