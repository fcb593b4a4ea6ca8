#include "xgrad/data/datasets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "xgrad/core/random.hpp"

namespace xg::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Accumulates rows of a 2-D classification set, then shuffles them into a Dataset.
struct Builder {
  std::size_t features;
  std::vector<float> x;
  std::vector<float> y;

  // Checks the size (rows × features, as a shape) against the tensor limit and reserves it, so
  // a request too big fails at once with a clear error instead of after minutes of generating.
  void reserve(const Shape& size, const char* what) {
    const std::size_t n = shape_numel(size, what), rows = n / features;
    try {
      x.reserve(n);
      y.reserve(rows);
    } catch (const std::bad_alloc&) {
      throw AllocationError(n + rows, sizeof(float));
    }
  }

  void add(std::initializer_list<double> point, std::size_t label) {
    for (double v : point) x.push_back(static_cast<float>(v));
    y.push_back(static_cast<float>(label));
  }
  void add(const std::vector<double>& point, std::size_t label) {
    for (double v : point) x.push_back(static_cast<float>(v));
    y.push_back(static_cast<float>(label));
  }

  // Fisher-Yates with the dataset's own generator, so the order is part of the seed.
  Dataset finish(std::size_t classes, Generator* shuffle) {
    const std::size_t n = y.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    if (shuffle)
      for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[shuffle->below(i)]);
    std::vector<float> xs(n * features), ys(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::copy_n(&x[order[i] * features], features, &xs[i * features]);
      ys[i] = y[order[i]];
    }
    Dataset d;
    d.x = Tensor::from(std::move(xs), {n, features});
    d.y = Tensor::from(std::move(ys), {n});
    d.classes = classes;
    for (std::size_t f = 0; f < features; ++f) d.feature_names.push_back(fmt::format("x{}", f + 1));
    for (std::size_t c = 0; c < classes; ++c) d.class_values.push_back(double(c));
    return d;
  }
};

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

void require_noise(const char* op, double noise) {
  require(noise >= 0 && std::isfinite(noise),
          fmt::format("{}: noise must be >= 0, got {}", op, noise));
}

// i / (m - 1) for i in [0, m): numpy.linspace(0, 1, m) (a single point is 0).
double linspace01(std::size_t i, std::size_t m) { return m > 1 ? double(i) / double(m - 1) : 0.0; }

// Barycentric sign test: is p inside the triangle (a, b, c)?
bool inside_triangle(double px, double py, const double (&v)[3][2]) {
  auto side = [&](int i, int j) {
    return (v[j][0] - v[i][0]) * (py - v[i][1]) - (v[j][1] - v[i][1]) * (px - v[i][0]);
  };
  const double d1 = side(0, 1), d2 = side(1, 2), d3 = side(2, 0);
  const bool neg = d1 < 0 || d2 < 0 || d3<0, pos = d1> 0 || d2 > 0 || d3 > 0;
  return !(neg && pos);
}

}  // namespace

Dataset xor_gate() {
  Builder b{2, {}, {}};
  b.add({0, 0}, 0);
  b.add({0, 1}, 1);
  b.add({1, 0}, 1);
  b.add({1, 1}, 0);
  return b.finish(2, nullptr);
}

Dataset xor_gate(std::size_t n, double noise, std::uint64_t seed) {
  require(n >= 4, fmt::format("xor_gate: n must be >= 4, got {}", n));
  require_noise("xor_gate", noise);
  Generator g(seed);
  Builder b{2, {}, {}};
  b.reserve({n, 2}, "xor_gate(n)");
  for (std::size_t i = 0; i < n; ++i) {
    const int c0 = int(i % 4) / 2, c1 = int(i % 4) % 2;
    b.add({c0 + noise * g.normal(), c1 + noise * g.normal()}, std::size_t(c0 ^ c1));
  }
  return b.finish(2, &g);
}

Dataset two_moons(std::size_t n, double noise, std::uint64_t seed) {
  require(n >= 2, fmt::format("two_moons: n must be >= 2, got {}", n));
  require_noise("two_moons", noise);
  Generator g(seed);
  Builder b{2, {}, {}};
  b.reserve({n, 2}, "two_moons(n)");
  const std::size_t n_out = n / 2, n_in = n - n_out;
  for (std::size_t i = 0; i < n_out; ++i) {
    const double t = kPi * linspace01(i, n_out);
    b.add({std::cos(t) + noise * g.normal(), std::sin(t) + noise * g.normal()}, 0);
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    const double t = kPi * linspace01(i, n_in);
    b.add({1 - std::cos(t) + noise * g.normal(), 1 - std::sin(t) - 0.5 + noise * g.normal()}, 1);
  }
  return b.finish(2, &g);
}

Dataset circles(std::size_t n, double noise, double factor, std::uint64_t seed) {
  require(n >= 2, fmt::format("circles: n must be >= 2, got {}", n));
  require_noise("circles", noise);
  require(factor > 0 && factor < 1,
          fmt::format("circles: factor must be in (0, 1), got {}", factor));
  Generator g(seed);
  Builder b{2, {}, {}};
  b.reserve({n, 2}, "circles(n)");
  const std::size_t n_out = n / 2, n_in = n - n_out;
  for (std::size_t i = 0; i < n_out; ++i) {  // numpy.linspace(0, 2π, n_out, endpoint=False)
    const double t = 2 * kPi * double(i) / double(n_out);
    b.add({std::cos(t) + noise * g.normal(), std::sin(t) + noise * g.normal()}, 0);
  }
  for (std::size_t i = 0; i < n_in; ++i) {
    const double t = 2 * kPi * double(i) / double(n_in);
    b.add({factor * std::cos(t) + noise * g.normal(), factor * std::sin(t) + noise * g.normal()},
          1);
  }
  return b.finish(2, &g);
}

Dataset spiral(std::size_t points_per_class, std::size_t classes, std::uint64_t seed,
               double noise) {
  require(points_per_class >= 1, "spiral: points_per_class must be >= 1, got 0");
  require(classes >= 2, fmt::format("spiral: classes must be >= 2, got {}", classes));
  require_noise("spiral", noise);
  Generator g(seed);
  Builder b{2, {}, {}};
  b.reserve({points_per_class, classes, 2}, "spiral(points_per_class, classes)");
  for (std::size_t k = 0; k < classes; ++k)
    for (std::size_t i = 0; i < points_per_class; ++i) {
      const double r = linspace01(i, points_per_class);
      const double t = 4.0 * (double(k) + linspace01(i, points_per_class)) + noise * g.normal();
      b.add({r * std::sin(t), r * std::cos(t)}, k);
    }
  return b.finish(classes, &g);
}

Dataset blobs(std::size_t n, std::size_t centers, double std, std::uint64_t seed,
              std::size_t features) {
  require(centers >= 1, "blobs: centers must be >= 1, got 0");
  require(n >= centers, fmt::format("blobs: n must be >= centers ({}), got {}", centers, n));
  require(std >= 0 && std::isfinite(std), fmt::format("blobs: std must be >= 0, got {}", std));
  require(features >= 1, "blobs: features must be >= 1, got 0");
  Builder b{features, {}, {}};
  b.reserve({n, features}, "blobs(n, features)");
  Generator g(seed);
  std::vector<std::vector<double>> centre(centers, std::vector<double>(features));
  for (auto& c : centre)
    for (auto& v : c) v = g.uniform(-10.0, 10.0);
  for (std::size_t k = 0; k < centers; ++k) {
    const std::size_t count = n / centers + (k < n % centers ? 1 : 0);
    for (std::size_t i = 0; i < count; ++i) {
      std::vector<double> p(features);
      for (std::size_t f = 0; f < features; ++f) p[f] = centre[k][f] + std * g.normal();
      b.add(p, k);
    }
  }
  return b.finish(centers, &g);
}

Dataset triangles_vs_circles(std::size_t n, std::uint64_t seed, double noise) {
  require(n >= 2, fmt::format("triangles_vs_circles: n must be >= 2, got {}", n));
  require_noise("triangles_vs_circles", noise);
  Generator g(seed);
  // Equilateral triangle, circumradius 1, apex up; and the same scaled by 1.3 (the margin).
  double tri[3][2], big[3][2];
  for (int i = 0; i < 3; ++i) {
    const double a = kPi / 2 + 2 * kPi * i / 3;
    tri[i][0] = std::cos(a), tri[i][1] = std::sin(a);
    big[i][0] = 1.3 * tri[i][0], big[i][1] = 1.3 * tri[i][1];
  }
  Builder b{2, {}, {}};
  b.reserve({n, 2}, "triangles_vs_circles(n)");
  const std::size_t n_tri = n / 2, n_circ = n - n_tri;
  for (std::size_t i = 0; i < n_tri; ++i) {  // uniform in a triangle: fold the unit square
    double u = g.uniform(), v = g.uniform();
    if (u + v > 1) u = 1 - u, v = 1 - v;
    const double px = tri[0][0] + u * (tri[1][0] - tri[0][0]) + v * (tri[2][0] - tri[0][0]);
    const double py = tri[0][1] + u * (tri[1][1] - tri[0][1]) + v * (tri[2][1] - tri[0][1]);
    b.add({px + noise * g.normal(), py + noise * g.normal()}, 1);
  }
  for (std::size_t i = 0; i < n_circ; ++i) {  // uniform in the disk of radius 2, by rejection
    double px, py;
    do {
      const double r = 2.0 * std::sqrt(g.uniform()), a = 2 * kPi * g.uniform();
      px = r * std::cos(a), py = r * std::sin(a);
    } while (inside_triangle(px, py, big));
    b.add({px + noise * g.normal(), py + noise * g.normal()}, 0);
  }
  Dataset d = b.finish(2, &g);
  return d;
}

// ---- CSV -----------------------------------------------------------------------------------

Dataset load_csv(const std::string& path, const std::string& target_column, Task task,
                 const CsvOptions& csv, Impute impute) {
  return to_dataset(read_csv(path, csv), target_column, task, impute);
}

Dataset to_dataset(const Table& table, const std::string& target_column, Task task, Impute impute) {
  std::vector<std::size_t> all(table.rows());
  std::iota(all.begin(), all.end(), std::size_t(0));
  const Target target = Target::fit(table, target_column, task, all, /*standardize*/ false);
  const Preprocessor inputs =
      Preprocessor::fit(table, all, {target_column}, {impute, /*standardize*/ false});
  Dataset d;
  d.x = inputs.transform(table, all);
  d.y = target.transform(table, all);
  d.classes = target.classes();
  d.feature_names = inputs.feature_names();
  d.target_name = target_column;
  d.class_names = target.class_names;
  d.class_values = target.class_values();
  return d;
}

// ---- splitting, batching, scaling ------------------------------------------------------------

template <class T>
BasicTensor<T> take_rows(const BasicTensor<T>& x, const std::vector<std::size_t>& rows) {
  if (x.dim() < 1)
    throw std::invalid_argument("take_rows: x must have at least one dimension, got a scalar");
  const std::size_t n = x.size(0), row = n ? x.numel() / n : 0;
  Shape shape = x.shape();
  shape[0] = rows.size();
  Array<T> out = Array<T>::from_shape(shape);
  const T* src = x.data().data();
  T* dst = out.data();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] >= n)
      throw std::invalid_argument(fmt::format("take_rows: row {} out of range for shape {}",
                                              rows[i], shape_str(x.shape())));
    std::copy_n(src + rows[i] * row, row, dst + i * row);
  }
  return BasicTensor<T>(std::move(out));
}

namespace {
template <class T>
void require_rows(const char* op, const BasicTensor<T>& x, const BasicTensor<T>& y) {
  if (x.dim() < 1 || y.dim() < 1 || x.size(0) != y.size(0))
    throw std::invalid_argument(
        fmt::format("{}: x shape {} and y shape {} do not have the same number of rows", op,
                    shape_str(x.shape()), shape_str(y.shape())));
}

std::vector<std::size_t> permutation(std::size_t n, std::uint64_t seed) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t(0));
  Generator g(seed);
  for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[g.below(i)]);
  return order;
}
}  // namespace

namespace {

// How many rows of each stratum a part takes: `total` rows in proportion to `fraction`·count,
// within what each stratum has left; floors first, then the largest remainders (ties to the
// smaller label).
std::vector<std::size_t> allocate(std::size_t total, double fraction,
                                  const std::vector<std::size_t>& count,
                                  const std::vector<std::size_t>& left) {
  const std::size_t k = count.size();
  std::vector<std::size_t> take(k);
  std::vector<std::pair<double, std::size_t>> remainder(k);
  std::size_t given = 0;
  for (std::size_t s = 0; s < k; ++s) {
    const double quota = fraction * double(count[s]);
    take[s] = std::min(left[s], static_cast<std::size_t>(std::floor(quota)));
    remainder[s] = {quota - std::floor(quota), s};
    given += take[s];
  }
  std::stable_sort(remainder.begin(), remainder.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t pass = 0; pass < 2 && given < total; ++pass)  // pass 2: any room left
    for (const auto& [r, s] : remainder) {
      if (given == total) break;
      if (take[s] < left[s] && (pass == 1 || r > 0)) ++take[s], ++given;
    }
  return take;
}

}  // namespace

RowSplit split_rows(std::size_t n, double test_fraction, double validation_fraction,
                    std::uint64_t seed, const std::vector<std::int64_t>& strata) {
  const auto fraction_ok = [](double f) { return f >= 0 && f < 1; };
  if (!fraction_ok(test_fraction) || !fraction_ok(validation_fraction) ||
      !(test_fraction + validation_fraction < 1))
    throw std::invalid_argument(fmt::format(
        "split_rows: test_fraction {} and validation_fraction {} must be in [0, 1) with a sum "
        "below 1",
        test_fraction, validation_fraction));
  if (!strata.empty() && strata.size() != n)
    throw std::invalid_argument(
        fmt::format("split_rows: {} strata labels for {} rows", strata.size(), n));
  const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * double(n)));
  const auto n_val = static_cast<std::size_t>(std::ceil(validation_fraction * double(n)));
  if (n_test + n_val >= n)
    throw std::invalid_argument(fmt::format(
        "split_rows: {} rows with test_fraction {} and validation_fraction {} leave no training "
        "rows",
        n, test_fraction, validation_fraction));
  const auto order = permutation(n, seed);
  RowSplit split;
  if (strata.empty()) {
    split.test.assign(order.begin(), order.begin() + long(n_test));
    split.validation.assign(order.begin() + long(n_test), order.begin() + long(n_test + n_val));
    split.train.assign(order.begin() + long(n_test + n_val), order.end());
    return split;
  }
  std::size_t k = 0;
  for (auto s : strata) {
    if (s < 0) throw std::invalid_argument(fmt::format("split_rows: stratum {} is negative", s));
    k = std::max(k, std::size_t(s) + 1);
  }
  std::vector<std::size_t> count(k, 0);
  for (auto s : strata) ++count[std::size_t(s)];
  auto test = allocate(n_test, test_fraction, count, count);
  std::vector<std::size_t> left(k);
  for (std::size_t s = 0; s < k; ++s) left[s] = count[s] - test[s];
  auto val = allocate(n_val, validation_fraction, count, left);
  for (std::size_t row : order) {  // deal the shuffled rows: test first, then validation
    const auto s = std::size_t(strata[row]);
    if (test[s] > 0)
      --test[s], split.test.push_back(row);
    else if (val[s] > 0)
      --val[s], split.validation.push_back(row);
    else
      split.train.push_back(row);
  }
  return split;
}

template <class T>
BasicSplit<T> train_test_split(const BasicTensor<T>& x, const BasicTensor<T>& y,
                               double test_fraction, std::uint64_t seed) {
  require_rows("train_test_split", x, y);
  if (!(test_fraction > 0 && test_fraction < 1))
    throw std::invalid_argument(
        fmt::format("train_test_split: test_fraction must be in (0, 1), got {}", test_fraction));
  const std::size_t n = x.size(0);
  const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * double(n)));
  if (n_test == 0 || n_test >= n)
    throw std::invalid_argument(fmt::format(
        "train_test_split: {} rows with test_fraction {} leave an empty part", n, test_fraction));
  const RowSplit split = split_rows(n, test_fraction, 0.0, seed);
  return {take_rows(x, split.train), take_rows(y, split.train), take_rows(x, split.test),
          take_rows(y, split.test)};
}

template <class T>
BasicBatches<T>::BasicBatches(BasicTensor<T> x, BasicTensor<T> y, std::size_t batch_size,
                              std::optional<std::uint64_t> shuffle_seed)
    : x_(std::move(x)), y_(std::move(y)), batch_size_(batch_size) {
  require_rows("batches", x_, y_);
  if (batch_size == 0) throw std::invalid_argument("batches: batch_size must be >= 1, got 0");
  if (shuffle_seed) {
    order_ = permutation(x_.size(0), *shuffle_seed);
  } else {
    order_.resize(x_.size(0));
    std::iota(order_.begin(), order_.end(), std::size_t(0));
  }
}

template <class T>
std::size_t BasicBatches<T>::size() const {
  return order_.size() / batch_size_ + (order_.size() % batch_size_ != 0);  // no overflow
}

template <class T>
std::pair<BasicTensor<T>, BasicTensor<T>> BasicBatches<T>::batch(std::size_t i) const {
  if (i >= size()) throw std::out_of_range(fmt::format("batches: batch {} of {}", i, size()));
  const std::size_t b = i * batch_size_, e = b + std::min(batch_size_, order_.size() - b);
  const std::vector<std::size_t> rows(order_.begin() + long(b), order_.begin() + long(e));
  return {take_rows(x_, rows), take_rows(y_, rows)};
}

template <class T>
BasicStandardizer<T>::BasicStandardizer(std::vector<double> mean, std::vector<double> std)
    : mean_(std::move(mean)), std_(std::move(std)) {
  if (mean_.size() != std_.size())
    throw std::invalid_argument(fmt::format("Standardizer: {} means but {} standard deviations",
                                            mean_.size(), std_.size()));
  for (double s : std_)
    if (!(s > 0))
      throw std::invalid_argument(fmt::format("Standardizer: std must be > 0, got {}", s));
}

template <class T>
void BasicStandardizer<T>::fit(const BasicTensor<T>& x) {
  if (x.dim() != 2 || x.size(0) == 0)
    throw std::invalid_argument(fmt::format(
        "Standardizer::fit: x must be [N, F] with N >= 1, got {}", shape_str(x.shape())));
  const std::size_t n = x.size(0), f = x.size(1);
  const T* p = x.data().data();
  std::vector<double> mean(f, 0.0), var(f, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) mean[j] += double(p[i * f + j]);
  for (auto& m : mean) m /= double(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) {
      const double d = double(p[i * f + j]) - mean[j];
      var[j] += d * d;
    }
  std::vector<double> sd(f);
  for (std::size_t j = 0; j < f; ++j) {
    sd[j] = std::sqrt(var[j] / double(n));
    if (!(sd[j] > 0)) sd[j] = 1.0;  // a constant column: leave it centred, unscaled
  }
  mean_ = std::move(mean);
  std_ = std::move(sd);
}

namespace {
template <class T, class F>
BasicTensor<T> per_column(const char* op, const BasicTensor<T>& x, std::size_t f, F&& fn) {
  if (f == 0) throw std::logic_error(fmt::format("Standardizer::{}: call fit() first", op));
  if (x.dim() != 2 || x.size(1) != f)
    throw std::invalid_argument(
        fmt::format("Standardizer::{}: x shape {} does not have the {} columns it was fitted on",
                    op, shape_str(x.shape()), f));
  Array<T> out = Array<T>::from_shape(x.shape());
  const T* p = x.data().data();
  T* q = out.data();
  for (std::size_t i = 0; i < x.size(0); ++i)
    for (std::size_t j = 0; j < f; ++j) q[i * f + j] = static_cast<T>(fn(double(p[i * f + j]), j));
  return BasicTensor<T>(std::move(out));
}
}  // namespace

template <class T>
BasicTensor<T> BasicStandardizer<T>::transform(const BasicTensor<T>& x) const {
  return per_column("transform", x, mean_.size(),
                    [&](double v, std::size_t j) { return (v - mean_[j]) / std_[j]; });
}

template <class T>
BasicTensor<T> BasicStandardizer<T>::inverse_transform(const BasicTensor<T>& x) const {
  return per_column("inverse_transform", x, mean_.size(),
                    [&](double v, std::size_t j) { return v * std_[j] + mean_[j]; });
}

#define XG_INSTANTIATE_DATA(T)                                                                  \
  template BasicSplit<T> train_test_split(const BasicTensor<T>&, const BasicTensor<T>&, double, \
                                          std::uint64_t);                                       \
  template BasicTensor<T> take_rows(const BasicTensor<T>&, const std::vector<std::size_t>&);    \
  template class BasicBatches<T>;                                                               \
  template class BasicStandardizer<T>;
XG_INSTANTIATE_DATA(float)
XG_INSTANTIATE_DATA(double)
#undef XG_INSTANTIATE_DATA

}  // namespace xg::data
