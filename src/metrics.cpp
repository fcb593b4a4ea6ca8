#include "xgrad/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xg::metrics {

namespace {

// The first maximum, or the first NaN if there is one, as torch.argmax: NaN counts as the
// largest value (std::max_element would skip a NaN anywhere but in front).
template <class T>
std::int64_t first_max_index(const T* row, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t j = 0; j < n; ++j) {
    if (std::isnan(row[j])) return std::int64_t(j);
    if (row[j] > row[best]) best = j;
  }
  return std::int64_t(best);
}

}  // namespace

template <class T>
std::vector<std::int64_t> predictions(const BasicTensor<T>& outputs, Scores scores) {
  const Shape& s = outputs.shape();
  const T* p = outputs.data().data();
  std::vector<std::int64_t> out;
  const bool binary = s.size() == 1 || (s.size() == 2 && s[1] == 1);
  if (binary) {
    const T threshold = scores == Scores::Logits ? T(0) : T(0.5);
    out.resize(s[0]);
    for (std::size_t i = 0; i < s[0]; ++i) out[i] = p[i] > threshold ? 1 : 0;
    return out;
  }
  if (s.size() != 2 || s[1] == 0)
    throw std::invalid_argument(
        fmt::format("predictions: outputs must be [N, C], [N, 1] or [N], got {}", shape_str(s)));
  const std::size_t n = s[0], c = s[1];
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = first_max_index(p + i * c, c);
  return out;
}

template <class T>
std::vector<std::int64_t> labels_of(const BasicTensor<T>& labels) {
  const Shape& s = labels.shape();
  if (!(s.size() == 1 || (s.size() == 2 && s[1] == 1)))
    throw std::invalid_argument(
        fmt::format("labels: expected class indices of shape [N] or [N, 1], got {}", shape_str(s)));
  const T* p = labels.data().data();
  std::vector<std::int64_t> out(s[0]);
  for (std::size_t i = 0; i < s[0]; ++i) {
    if (!(p[i] >= 0) || p[i] != std::floor(p[i]))
      throw std::invalid_argument(fmt::format(
          "labels: element {} is {}, not a class index (a non-negative integer)", i, p[i]));
    out[i] = static_cast<std::int64_t>(p[i]);
  }
  return out;
}

double accuracy(const std::vector<std::int64_t>& predicted,
                const std::vector<std::int64_t>& labels) {
  if (predicted.size() != labels.size() || labels.empty())
    throw std::invalid_argument(
        fmt::format("accuracy: {} predictions for {} labels", predicted.size(), labels.size()));
  std::size_t correct = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) correct += predicted[i] == labels[i];
  return double(correct) / double(labels.size());
}

namespace {
template <class T>
void require_rows(const char* op, const BasicTensor<T>& outputs, const BasicTensor<T>& labels) {
  if (outputs.dim() < 1 || labels.dim() < 1 || outputs.size(0) != labels.size(0))
    throw std::invalid_argument(
        fmt::format("{}: outputs shape {} and labels shape {} do not have the same number of rows",
                    op, shape_str(outputs.shape()), shape_str(labels.shape())));
}
}  // namespace

template <class T>
double accuracy(const BasicTensor<T>& outputs, const BasicTensor<T>& labels, Scores scores) {
  require_rows("accuracy", outputs, labels);
  const std::vector<std::int64_t> truth = labels_of(labels);
  const Shape& s = outputs.shape();
  const std::size_t classes = s.size() == 2 && s[1] > 1 ? s[1] : 2;  // else binary scores
  for (std::size_t i = 0; i < truth.size(); ++i)
    if (std::size_t(truth[i]) >= classes)
      throw std::invalid_argument(
          fmt::format("accuracy: label {} of row {} is not a class of outputs {} (0 to {})",
                      truth[i], i, shape_str(s), classes - 1));
  return accuracy(predictions(outputs, scores), truth);
}

std::size_t ConfusionMatrix::total() const {
  std::size_t t = 0;
  for (auto c : counts) t += c;
  return t;
}

double ConfusionMatrix::accuracy() const {
  std::size_t diag = 0;
  for (std::size_t c = 0; c < classes; ++c) diag += (*this)(c, c);
  const std::size_t t = total();
  return t ? double(diag) / double(t) : 0.0;
}

double ConfusionMatrix::recall(std::size_t c) const {
  std::size_t row = 0;
  for (std::size_t p = 0; p < classes; ++p) row += (*this)(c, p);
  return row ? double((*this)(c, c)) / double(row) : 0.0;
}

double ConfusionMatrix::precision(std::size_t c) const {
  std::size_t col = 0;
  for (std::size_t t = 0; t < classes; ++t) col += (*this)(t, c);
  return col ? double((*this)(c, c)) / double(col) : 0.0;
}

double ConfusionMatrix::f1(std::size_t c) const {
  const double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

std::size_t ConfusionMatrix::support(std::size_t c) const {
  std::size_t row = 0;
  for (std::size_t p = 0; p < classes; ++p) row += (*this)(c, p);
  return row;
}

namespace {
std::vector<std::string> labels_for(const std::vector<std::string>& names, std::size_t classes) {
  if (names.empty()) {
    std::vector<std::string> out;
    for (std::size_t c = 0; c < classes; ++c) out.push_back(std::to_string(c));
    return out;
  }
  if (names.size() != classes)
    throw std::invalid_argument(
        fmt::format("ConfusionMatrix: {} names for {} classes", names.size(), classes));
  return names;
}
std::size_t widest(const std::vector<std::string>& names, std::size_t at_least) {
  for (const auto& n : names) at_least = std::max(at_least, n.size());
  return at_least;
}
}  // namespace

std::string ConfusionMatrix::str(const std::vector<std::string>& names) const {
  const auto label = labels_for(names, classes);
  std::size_t width = widest(label, 4) + 1;
  for (auto c : counts) width = std::max(width, fmt::formatted_size("{}", c) + 1);
  const std::size_t first = widest(label, 9) + 1;
  std::string out = fmt::format("{:>{}}", "true\\pred", first);
  for (std::size_t p = 0; p < classes; ++p) out += fmt::format("{:>{}}", label[p], width);
  out += "   recall\n";
  for (std::size_t t = 0; t < classes; ++t) {
    out += fmt::format("{:>{}}", label[t], first);
    for (std::size_t p = 0; p < classes; ++p) out += fmt::format("{:>{}}", (*this)(t, p), width);
    out += fmt::format("   {:6.1f}%\n", 100.0 * recall(t));
  }
  return out;
}

std::string ConfusionMatrix::report(const std::vector<std::string>& names) const {
  const auto label = labels_for(names, classes);
  const std::size_t first = widest(label, 5) + 1;
  std::string out = fmt::format("{:<{}} {:>9} {:>7} {:>7} {:>8}\n", "class", first, "precision",
                                "recall", "f1", "support");
  for (std::size_t c = 0; c < classes; ++c)
    out += fmt::format("{:<{}} {:>8.2f}% {:>6.2f}% {:>6.2f}% {:>8}\n", label[c], first,
                       100 * precision(c), 100 * recall(c), 100 * f1(c), support(c));
  out += fmt::format("{:<{}} {:>35}\n", "accuracy", first,
                     fmt::format("{:.2f}% of {}", 100 * accuracy(), total()));
  return out;
}

RegressionScores regression_scores(const std::vector<double>& predicted,
                                   const std::vector<double>& truth) {
  if (predicted.size() != truth.size() || truth.empty())
    throw std::invalid_argument(fmt::format(
        "regression_scores: {} predictions for {} values (need the same number, at least 1)",
        predicted.size(), truth.size()));
  const double n = double(truth.size());
  double mean = 0;
  for (double t : truth) mean += t / n;  // not the sum / n: that can overflow
  // One correction pass takes out the sum's rounding: a constant truth then has its value as the
  // mean and SS_tot = 0 exactly (a mean a few ulps off left SS_tot ~1e-25 and R² ~ -1e26).
  double correction = 0;
  for (double t : truth) correction += (t - mean) / n;
  mean += correction;
  double ss_res = 0, ss_tot = 0, abs_sum = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double e = predicted[i] - truth[i];
    ss_res += e * e;
    abs_sum += std::fabs(e);
    ss_tot += (truth[i] - mean) * (truth[i] - mean);
  }
  RegressionScores s;
  s.rmse = std::sqrt(ss_res / n);
  s.mae = abs_sum / n;
  s.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
  return s;
}

ConfusionMatrix confusion_matrix(const std::vector<std::int64_t>& predicted,
                                 const std::vector<std::int64_t>& labels, std::size_t classes) {
  if (predicted.size() != labels.size())
    throw std::invalid_argument(fmt::format("confusion_matrix: {} predictions for {} labels",
                                            predicted.size(), labels.size()));
  if (classes == 0) throw std::invalid_argument("confusion_matrix: classes must be >= 1, got 0");
  shape_numel({classes, classes}, "confusion_matrix(classes)");
  ConfusionMatrix m{classes, std::vector<std::size_t>(classes * classes, 0)};
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const auto t = labels[i], p = predicted[i];
    if (t < 0 || std::size_t(t) >= classes || p < 0 || std::size_t(p) >= classes)
      throw std::invalid_argument(
          fmt::format("confusion_matrix: sample {} has label {} and prediction {}, outside [0, {})",
                      i, t, p, classes));
    ++m.counts[std::size_t(t) * classes + std::size_t(p)];
  }
  return m;
}

template <class T>
ConfusionMatrix confusion_matrix(const BasicTensor<T>& outputs, const BasicTensor<T>& labels,
                                 std::size_t classes, Scores scores) {
  require_rows("confusion_matrix", outputs, labels);
  return confusion_matrix(predictions(outputs, scores), labels_of(labels), classes);
}

void RunningMean::add(double value, std::size_t count) {
  sum_ += value * double(count);
  count_ += count;
}

double RunningMean::mean() const { return count_ ? sum_ / double(count_) : 0.0; }

#define XG_INSTANTIATE_METRICS(T)                                                         \
  template std::vector<std::int64_t> predictions(const BasicTensor<T>&, Scores);          \
  template std::vector<std::int64_t> labels_of(const BasicTensor<T>&);                    \
  template double accuracy(const BasicTensor<T>&, const BasicTensor<T>&, Scores);         \
  template ConfusionMatrix confusion_matrix(const BasicTensor<T>&, const BasicTensor<T>&, \
                                            std::size_t, Scores);
XG_INSTANTIATE_METRICS(float)
XG_INSTANTIATE_METRICS(double)
#undef XG_INSTANTIATE_METRICS

}  // namespace xg::metrics
