// Internals of the `xgrad` command line, shared by its .cpp files (not a public header).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <xgrad/data/datasets.hpp>
#include <xgrad/io/safetensors.hpp>
#include <xgrad/nn/module.hpp>

namespace CLI {
class App;
}

namespace xgcli {

// A user-facing error: printed as "xgrad: <message>" with exit code 2, no stack of exceptions.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where the data comes from and how it is prepared. Stored in the model file's metadata so that
// `xgrad eval` can rebuild exactly the same split.
struct DataSpec {
  std::string dataset;  // spiral|moons|circles|xor|blobs|triangles, or "" with csv
  std::string csv, target, task = "auto";
  std::size_t samples = 0;  // 0: the dataset's default (see dataset_table())
  double noise = -1;        // < 0: the dataset's default
  std::size_t classes = 0;  // spiral arms / blob centres; 0: default 3
  double factor = 0.5;      // circles: inner radius
  std::uint64_t seed = 1;   // dataset and split seed
  double test_fraction = 0.2;
};

struct DatasetInfo {
  std::string name, description;
  std::size_t samples;  // default n (spiral: points per class)
  double noise;         // default noise
};
const std::vector<DatasetInfo>& dataset_table();

// The data after loading, splitting and standardising (statistics of the training part).
struct Prepared {
  xg::Tensor x_train, y_train, x_test, y_test;
  std::size_t features = 0, classes = 0;  // classes 0: regression
  std::vector<std::string> feature_names;
  std::vector<double> class_values;
  xg::data::Standardizer scaler;
  double target_mean = 0, target_std = 1;  // regression targets are standardised too
  std::string description;                 // "spiral (900 samples, 3 classes)"
};
// mean/std given: reuse saved statistics instead of fitting them (eval).
Prepared prepare(const DataSpec& spec, const xg::data::Standardizer* saved_scaler = nullptr,
                 const std::pair<double, double>* saved_target = nullptr);

// The network: Linear(in, h1), act, ..., Linear(hk, out).
struct ModelSpec {
  std::size_t in = 2, out = 2;
  std::vector<std::size_t> hidden{64, 64};
  std::string activation = "relu";
  std::map<std::string, double> act_params;
  std::string init = "auto";  // auto|kaiming|xavier|lecun
};

using Model = xg::nn::Module;
std::shared_ptr<Model> build_model(const ModelSpec& spec, std::uint64_t seed);

struct OptimSpec {
  std::string name = "adam";
  double lr = 1e-2, weight_decay = 0, momentum = 0.9;
};
// One step of whatever optimizer was chosen.
struct Optimizer {
  std::function<void()> zero_grad, step;
};
Optimizer make_optimizer(const OptimSpec& spec, Model& model);
const std::vector<std::pair<std::string, std::string>>& optimizer_table();
// name, one-line description, from the activation registry.
std::vector<std::pair<std::string, std::string>> activation_table();

// Mean loss of a batch: cross-entropy for classification, MSE for regression.
xg::Tensor loss(const xg::Tensor& outputs, const xg::Tensor& targets, bool classification);

// Metadata <-> specs ("xgrad.*" keys in the safetensors header).
xg::io::Metadata to_metadata(const DataSpec&, const ModelSpec&, const OptimSpec&, const Prepared&);
void from_metadata(const xg::io::Metadata&, const std::string& path, DataSpec&, ModelSpec&,
                   xg::data::Standardizer&, std::pair<double, double>& target);

// A subcommand defined in its own file: it registers itself and its options on the app; `run`
// executes it once the command line has been parsed.
struct Subcommand {
  CLI::App* command;
  std::function<int()> run;
};
Subcommand add_compare_command(CLI::App& app);    // compare.cpp
Subcommand add_gradients_command(CLI::App& app);  // gradients.cpp

// Parsing helpers shared by the commands; they throw UsageError with the offending text.
std::vector<std::size_t> parse_sizes(const std::string& text, const char* what);
std::map<std::string, double> parse_params(const std::vector<std::string>& kv);

}  // namespace xgcli
