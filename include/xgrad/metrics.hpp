// Classification metrics and a running mean for epoch losses. None of these record a graph.
//
//   double acc = xg::metrics::accuracy(model(X), y);           // [N,C] logits: argmax
//   double acc = xg::metrics::accuracy(model(X), y);           // [N,1] logits: > 0 is class 1
//   double acc = xg::metrics::accuracy(probs, y, xg::metrics::Scores::Probabilities);  // > 0.5
//   auto cm = xg::metrics::confusion_matrix(model(X), y, 3);   fmt::print("{}", cm.str());
//
//   xg::metrics::RunningMean epoch_loss;
//   for (auto [xb, yb] : batches) { ...; epoch_loss.add(loss.item(), xb.size(0)); }
//   epoch_loss.mean();   // the mean over samples, also when the last batch is smaller
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::metrics {

// What a model's outputs are. For [N, C] outputs with C >= 2 both mean "argmax is the class".
// For one score per sample ([N] or [N, 1], binary classification) the class is 1 when
// logit > 0 (Scores::Logits, e.g. before bce_with_logits) or probability > 0.5
// (Scores::Probabilities, e.g. after a sigmoid) — the same decision, so pick the one your model
// outputs.
enum class Scores { Logits, Probabilities };

// The predicted class index of each row of `outputs` ([N, C], [N, 1] or [N]).
template <class T>
std::vector<std::int64_t> predictions(const BasicTensor<T>& outputs,
                                      Scores scores = Scores::Logits);

// Class indices stored as floats ([N] or [N, 1]), as integers. Throws std::invalid_argument for
// a value that is not a non-negative integer.
template <class T>
std::vector<std::int64_t> labels_of(const BasicTensor<T>& labels);

// Fraction of rows whose predicted class equals the label. labels: [N] or [N, 1] class indices.
// Throws std::invalid_argument when N differs or N is 0.
template <class T>
double accuracy(const BasicTensor<T>& outputs, const BasicTensor<T>& labels,
                Scores scores = Scores::Logits);
double accuracy(const std::vector<std::int64_t>& predicted,
                const std::vector<std::int64_t>& labels);

// counts(t, p): how many samples of true class t were predicted as p (rows = truth, columns =
// prediction, as scikit-learn's confusion_matrix).
struct ConfusionMatrix {
  std::size_t classes = 0;
  std::vector<std::size_t> counts;  // row-major [classes, classes]

  // Throws std::out_of_range when truth or predicted is not below `classes`.
  std::size_t operator()(std::size_t truth, std::size_t predicted) const {
    if (truth >= classes || predicted >= classes)
      throw std::out_of_range("ConfusionMatrix: (" + std::to_string(truth) + ", " +
                              std::to_string(predicted) + ") is out of range for " +
                              std::to_string(classes) + " classes");
    return counts[truth * classes + predicted];
  }
  std::size_t total() const;
  double accuracy() const;                // trace / total
  double recall(std::size_t c) const;     // (c,c) / row c; 0 for an empty row
  double precision(std::size_t c) const;  // (c,c) / column c; 0 for an empty column
  // 2·precision·recall / (precision + recall); 0 when both are 0 (scikit-learn's
  // zero_division=0).
  double f1(std::size_t c) const;
  std::size_t support(std::size_t c) const;  // samples of true class c (row c)
  // An aligned table with "true \ predicted" headers and per-class recall; rows and columns are
  // labelled with `names` (one per class) or with the class indices.
  std::string str(const std::vector<std::string>& names = {}) const;
  // One line per class: precision, recall, F1 (percent) and support, then the accuracy.
  std::string report(const std::vector<std::string>& names = {}) const;
};

// Throws std::invalid_argument when a label or prediction is >= classes, or the sizes differ.
ConfusionMatrix confusion_matrix(const std::vector<std::int64_t>& predicted,
                                 const std::vector<std::int64_t>& labels, std::size_t classes);
template <class T>
ConfusionMatrix confusion_matrix(const BasicTensor<T>& outputs, const BasicTensor<T>& labels,
                                 std::size_t classes, Scores scores = Scores::Logits);

// Regression quality of `predicted` against `truth` (same length, at least one value): root mean
// squared error, mean absolute error, and R² = 1 - SS_res / SS_tot (scikit-learn's r2_score;
// a constant truth gives 1 when predicted exactly, else 0).
struct RegressionScores {
  double rmse = 0, mae = 0, r2 = 0;
};
RegressionScores regression_scores(const std::vector<double>& predicted,
                                   const std::vector<double>& truth);

// A sample-weighted running mean: add(batch_mean_loss, batch_size) per batch, then mean() is
// the mean over all samples seen (what PyTorch scripts compute as sum(loss*bs)/n).
class RunningMean {
 public:
  void add(double value, std::size_t count = 1);
  template <class T>
  void add(const BasicTensor<T>& value, std::size_t count = 1) {
    add(double(value.item()), count);
  }
  double mean() const;  // 0 before the first add
  std::size_t count() const { return count_; }
  void reset() { sum_ = 0, count_ = 0; }

 private:
  double sum_ = 0;
  std::size_t count_ = 0;
};

}  // namespace xg::metrics
