// Predictions from a model file: load once, predict many tables.
//
//   xg::Predictor p("model.safetensors");                      // checked, built, weights loaded
//   xg::data::Table t = xg::data::read_csv("new.csv", p.csv_options());
//   xg::Predictions r = p.predict(t);                          // columns matched by name
//   for (std::size_t i = 0; i < t.rows(); ++i) fmt::print("{}\n", r.labels[i]);
//
// Everything comes from the file (io/model_file.hpp): the input columns and their preprocessing,
// the class names, the target's scaling. Nothing is read from paths stored in it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/core/tensor.hpp"
#include "xgrad/data/preprocess.hpp"
#include "xgrad/io/model_file.hpp"
#include "xgrad/nn/module.hpp"

namespace xg {

struct Predictions {
  Tensor outputs;  // what the network returns: logits [N, C], or [N, 1] in standardised units
  // Classification:
  std::vector<std::int64_t> classes;  // the predicted class index of each row (first maximum)
  std::vector<std::string> labels;    // its name
  Tensor probabilities;               // softmax of the logits, [N, C]
  // Regression: the prediction in the target's units (output · scale + mean).
  std::vector<double> values;
};

class Predictor {
 public:
  // Reads, validates and loads the model file (std::runtime_error naming the file otherwise).
  explicit Predictor(const std::string& model_path);

  const io::ModelCard& card() const { return card_; }
  nn::Module& network() const { return *network_; }

  // How read_csv must read a table for this model: its input columns only (the target column
  // too with `with_target`, for evaluation), each typed as in training.
  data::CsvOptions csv_options(bool with_target = false) const;
  // The encoded inputs [rows, in] (columns by name; errors name file, line and column).
  Tensor inputs(const data::Table& table, data::Unknown unknown = data::Unknown::Error) const;
  Predictions predict(const data::Table& table, data::Unknown unknown = data::Unknown::Error) const;
  Predictions predict(const Tensor& inputs) const;  // already encoded, [N, in]

 private:
  io::ModelCard card_;
  std::shared_ptr<nn::Module> network_;
};

}  // namespace xg
