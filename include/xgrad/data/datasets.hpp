// Toy datasets generated in-process from an explicit seed, CSV loading, train/test split,
// standardisation and shuffled mini-batches.
//
//   auto [X, y] = xg::data::spiral(/*points per class*/ 300, /*classes*/ 3, /*seed*/ 7);
//   auto [Xtr, ytr, Xte, yte] = xg::data::train_test_split(X, y, 0.2, /*seed*/ 1);
//   xg::data::Standardizer scaler;
//   Xtr = scaler.fit_transform(Xtr);
//   Xte = scaler.transform(Xte);                     // statistics of the training set only
//   for (auto [xb, yb] : xg::data::batches(Xtr, ytr, 128, /*shuffle seed*/ epoch)) { ... }
//
// Conventions shared by every generator
// - x is a float tensor [N, features]; y holds class indices as floats, shape [N] (what
//   nn::cross_entropy takes as targets). Regression targets (CSV) are [N, 1], like the output of
//   a Linear(.., 1), so that mse(prediction, y) does not broadcast [N,1] against [N].
// - The same seed gives the same numbers on every platform (xg::Generator). Samples come
//   shuffled (like scikit-learn's generators); class sizes are exact (see each function).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "xgrad/core/tensor.hpp"
#include "xgrad/data/preprocess.hpp"
#include "xgrad/data/table.hpp"

namespace xg::data {

struct Dataset {
  Tensor x;                 // [N, features]
  Tensor y;                 // [N] class indices (classification) or [N, 1] targets (regression)
  std::size_t classes = 0;  // 0 for regression
  std::vector<std::string> feature_names;
  std::string target_name = "label";
  // For classification: the original target value of each class index (0, 1, ... for the
  // generators; the values found in a numeric CSV column, in increasing order; empty when the
  // classes are text) and each class's name ("0", "1", ... or the text, sorted).
  std::vector<double> class_values;
  std::vector<std::string> class_names;

  bool is_classification() const { return classes > 0; }
  std::size_t size() const { return x.defined() ? x.size(0) : 0; }

  // Structured binding: `auto [X, y] = data::moons(...)` binds x and y (handles, cheap).
  template <std::size_t I>
  Tensor get() const {
    static_assert(I < 2, "a Dataset binds to [x, y]");
    if constexpr (I == 0)
      return x;
    else
      return y;
  }
};

// ---- generators (2 features unless stated) -----------------------------------------------

// The four corners of the unit square, label = x1 XOR x2 (in the order 00, 01, 10, 11).
Dataset xor_gate();
// n noisy XOR points: corner i % 4 of {0,1}² plus N(0, noise²) jitter on each coordinate.
// Classes are balanced (exactly when n % 4 == 0). n >= 4, noise >= 0.
Dataset xor_gate(std::size_t n, double noise, std::uint64_t seed);
// scikit-learn's make_moons: n/2 points (rounded down) on the upper unit half circle (class 0)
// and the rest on the lower half circle centred at (1, 0.5) (class 1), plus N(0, noise²).
Dataset two_moons(std::size_t n, double noise, std::uint64_t seed);
// scikit-learn's make_circles: n/2 points (rounded down) on the unit circle (class 0) and the
// rest on a circle of radius `factor` (class 1), evenly spaced angles, plus N(0, noise²).
// 0 < factor < 1.
Dataset circles(std::size_t n, double noise, double factor, std::uint64_t seed);
// CS231n's spiral: class k has points_per_class points with radius r = linspace(0, 1) and
// angle t = linspace(4k, 4(k+1)) + N(0, noise²); x = (r·sin t, r·cos t). classes >= 2.
Dataset spiral(std::size_t points_per_class, std::size_t classes, std::uint64_t seed,
               double noise = 0.2);
// Gaussian blobs: `centers` centres drawn uniformly in [-10, 10]^features (as scikit-learn's
// make_blobs), n points split evenly (the first n % centers classes get one more), each
// N(centre, std² I). Classes may overlap when centres land close together.
Dataset blobs(std::size_t n, std::size_t centers, double std, std::uint64_t seed,
              std::size_t features = 2);
// "Triangles vs circles", two classes of points drawn as triangles and circles that no straight
// line separates: class 1 ("triangle") is uniform inside the equilateral triangle with
// circumradius 1 centred at the origin, apex up; class 0 ("circle") is uniform in the disk of
// radius 2 outside that triangle scaled by 1.3 (a margin, so the classes are separable by a
// small non-linear net but by no line). n/2 points (rounded down) are triangles. Optional
// N(0, noise²) jitter.
Dataset triangles_vs_circles(std::size_t n, std::uint64_t seed, double noise = 0.0);

// ---- CSV -----------------------------------------------------------------------------------

// A CSV table (data/table.hpp: RFC 4180, delimiter detected, header or not) as a Dataset: the
// target column becomes y (Task::Auto and the class rules: data/preprocess.hpp's Target), every
// other column a feature in file order, categorical columns one-hot encoded (sorted categories,
// feature names "color=red"). Nothing is standardised. A missing cell is an error naming the
// file, line and column unless `impute` fills it with a statistic of the whole table.
// Throws std::runtime_error naming the file (and line and column for a cell).
Dataset load_csv(const std::string& path, const std::string& target_column, Task task = Task::Auto,
                 const CsvOptions& csv = {}, Impute impute = Impute::None);
// The same from a table already read.
Dataset to_dataset(const Table& table, const std::string& target_column, Task task = Task::Auto,
                   Impute impute = Impute::None);

// ---- splitting, batching, scaling ------------------------------------------------------------

template <class T>
struct BasicSplit {
  BasicTensor<T> x_train, y_train, x_test, y_test;  // binds as `auto [Xtr, ytr, Xte, yte]`
};
using Split = BasicSplit<float>;
using SplitD = BasicSplit<double>;

// Row indices of a train / validation / test split. Rows 0..n-1 are shuffled with `seed`; the
// test set takes ceil(test_fraction·n) of them (scikit-learn's rule), validation
// ceil(validation_fraction·n) of the rest, training the remainder, each in shuffled order.
// With `strata` (one label >= 0 per row, e.g. class indices) every part holds each stratum in
// proportion: stratum s gets test_fraction·n_s rows rounded so that the totals above hold (the
// largest remainders round up, ties to the smaller label), as scikit-learn's stratify=y.
// Fractions are in [0, 1) with a sum below 1, and training must not be empty.
struct RowSplit {
  std::vector<std::size_t> train, validation, test;
};
RowSplit split_rows(std::size_t n, double test_fraction, double validation_fraction,
                    std::uint64_t seed, const std::vector<std::int64_t>& strata = {});

// Shuffles the rows (seeded) and puts ceil(test_fraction·N) of them in the test set (as
// scikit-learn; split_rows's order). x and y must have the same first dimension;
// 0 < test_fraction < 1 and both parts must be non-empty.
template <class T>
BasicSplit<T> train_test_split(const BasicTensor<T>& x, const BasicTensor<T>& y,
                               double test_fraction, std::uint64_t seed);

// The rows `rows` of x (any rank >= 1), copied, as a new leaf.
template <class T>
BasicTensor<T> take_rows(const BasicTensor<T>& x, const std::vector<std::size_t>& rows);

// Mini-batches over the rows of x and y: every row exactly once per pass, in a seeded random
// order (or in order without a seed); the last batch is partial when batch_size does not divide
// N. Each element is a std::pair of copied leaves (xb, yb).
template <class T>
class BasicBatches {
 public:
  BasicBatches(BasicTensor<T> x, BasicTensor<T> y, std::size_t batch_size,
               std::optional<std::uint64_t> shuffle_seed);

  class iterator {
   public:
    using value_type = std::pair<BasicTensor<T>, BasicTensor<T>>;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;
    using pointer = void;
    using reference = value_type;

    value_type operator*() const { return owner_->batch(index_); }
    iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const iterator& o) const { return index_ == o.index_; }
    bool operator!=(const iterator& o) const { return index_ != o.index_; }

   private:
    friend class BasicBatches;
    iterator(const BasicBatches* owner, std::size_t index) : owner_(owner), index_(index) {}
    const BasicBatches* owner_;
    std::size_t index_;
  };

  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }
  std::size_t size() const;  // number of batches
  std::pair<BasicTensor<T>, BasicTensor<T>> batch(std::size_t i) const;
  const std::vector<std::size_t>& order() const { return order_; }

 private:
  BasicTensor<T> x_, y_;
  std::size_t batch_size_;
  std::vector<std::size_t> order_;
};

template <class T>
BasicBatches<T> batches(const BasicTensor<T>& x, const BasicTensor<T>& y, std::size_t batch_size,
                        std::uint64_t shuffle_seed) {
  return BasicBatches<T>(x, y, batch_size, shuffle_seed);
}
// In order, without shuffling (evaluation).
template <class T>
BasicBatches<T> batches(const BasicTensor<T>& x, const BasicTensor<T>& y, std::size_t batch_size) {
  return BasicBatches<T>(x, y, batch_size, std::nullopt);
}

// Per-column standardisation (x - mean) / std with the population std (ddof = 0, as
// scikit-learn's StandardScaler); a constant column gets std 1. Fit on the training set, apply
// the same statistics to the test set.
template <class T>
class BasicStandardizer {
 public:
  BasicStandardizer() = default;
  BasicStandardizer(std::vector<double> mean, std::vector<double> std);  // restore saved stats
  void fit(const BasicTensor<T>& x);                                     // x is [N, F], N >= 1
  BasicTensor<T> transform(const BasicTensor<T>& x) const;
  BasicTensor<T> inverse_transform(const BasicTensor<T>& x) const;
  BasicTensor<T> fit_transform(const BasicTensor<T>& x) {
    fit(x);
    return transform(x);
  }
  bool fitted() const { return !mean_.empty(); }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& std() const { return std_; }

 private:
  std::vector<double> mean_, std_;
};
using Standardizer = BasicStandardizer<float>;
using StandardizerD = BasicStandardizer<double>;

}  // namespace xg::data

namespace std {
template <>
struct tuple_size<xg::data::Dataset> : integral_constant<size_t, 2> {};
template <size_t I>
struct tuple_element<I, xg::data::Dataset> {
  using type = xg::Tensor;
};
}  // namespace std
