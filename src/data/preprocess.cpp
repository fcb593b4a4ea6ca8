#include "xgrad/data/preprocess.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace xg::data {
namespace {

[[noreturn]] void invalid(const std::string& message) { throw std::invalid_argument(message); }

std::string join(const std::vector<std::string>& names, std::size_t at_most = 20) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < at_most; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > at_most) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

bool finite(double v) { return std::isfinite(v); }

// The non-missing values of a numeric column over `rows`.
std::vector<double> observed(const Column& c, const std::vector<std::size_t>& rows) {
  std::vector<double> v;
  v.reserve(rows.size());
  for (std::size_t r : rows)
    if (!std::isnan(c.numbers.at(r))) v.push_back(c.numbers[r]);
  return v;
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

// Population standard deviation (ddof = 0, as scikit-learn's StandardScaler); 1 for a constant.
double std_of(const std::vector<double>& v, double mean) {
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / double(v.size()));
  return sd > 0 && std::isfinite(sd) ? sd : 1.0;
}

// The middle value, or the mean of the two middle values (numpy.median).
double median_of(std::vector<double> v) {
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + long(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2) return upper;
  return (*std::max_element(v.begin(), v.begin() + long(mid)) + upper) / 2;
}

// The most frequent value; ties go to the smallest.
double mode_of(const std::vector<double>& v) {
  std::map<double, std::size_t> counts;
  for (double x : v) ++counts[x];
  return std::max_element(counts.begin(), counts.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

// The most frequent category of `c` over `rows` (ties: the first in byte order), or none.
std::optional<std::string> mode_category(const Column& c, const std::vector<std::size_t>& rows) {
  std::vector<std::size_t> counts(c.categories.size(), 0);
  for (std::size_t r : rows)
    if (c.codes.at(r) != Column::kMissing) ++counts[c.codes[r]];
  std::optional<std::string> best;
  std::size_t best_count = 0;
  for (std::size_t code = 0; code < counts.size(); ++code) {
    const std::string& name = c.categories[code];
    if (counts[code] > best_count || (counts[code] == best_count && best_count && name < *best))
      best = name, best_count = counts[code];
  }
  return best;
}

InputColumn fit_column(const Table& table, const Column& c, const std::vector<std::size_t>& rows,
                       const PreprocessOptions& o) {
  InputColumn in;
  in.name = c.name;
  in.categorical = c.categorical;
  const auto empty = [&] {
    return std::runtime_error(
        fmt::format("{}: column {} ('{}') has no values in the {} training rows", table.source,
                    c.position + 1, c.name, rows.size()));
  };
  if (c.categorical) {
    in.categories = c.categories;
    std::sort(in.categories.begin(), in.categories.end());
    if (o.impute != Impute::None) {
      in.fill_category = mode_category(c, rows);
      if (!in.fill_category) throw empty();
    }
    return in;
  }
  const std::vector<double> v = observed(c, rows);
  if (v.empty()) throw empty();
  if (o.standardize) in.mean = mean_of(v), in.scale = std_of(v, in.mean);
  if (o.impute == Impute::Mean) in.fill = mean_of(v);
  if (o.impute == Impute::Median) in.fill = median_of(v);
  if (o.impute == Impute::Mode) in.fill = mode_of(v);
  return in;
}

// Checked before any encoding: rows x one-hot features floats is what transform allocates.
void check_one_hot_width(const Table& table, const std::vector<InputColumn>& columns) {
  std::vector<const InputColumn*> categorical;
  std::size_t total = 0;
  for (const auto& c : columns)
    if (c.categorical) categorical.push_back(&c), total += c.width();
  if (total <= kMaxOneHotFeatures) return;
  std::stable_sort(categorical.begin(), categorical.end(),
                   [](const auto* a, const auto* b) { return a->width() > b->width(); });
  std::vector<std::string> widest;
  for (const InputColumn* c : categorical)
    widest.push_back(fmt::format("'{}' {}", c->name, c->width()));
  throw std::runtime_error(fmt::format(
      "{}: the text columns one-hot encode to {} inputs, more than the limit {} (categories per "
      "column, widest first: {}); leave identifier-like columns out (--ignore)",
      table.source, total, kMaxOneHotFeatures, join(widest, 5)));
}

void require_rows(const Table& table, const std::vector<std::size_t>& rows, const char* op) {
  for (std::size_t r : rows)
    if (r >= table.rows())
      invalid(fmt::format("{}: row {} out of range for {} rows of {}", op, r, table.rows(),
                          table.source));
}

// Cells are stored as float, which holds every integer only up to 2^24: above, neighbouring
// labels (100000001, 100000002) read as one value, so classes would merge silently.
void require_exact_labels(const Table& table, const Column& c) {
  constexpr float kExact = 0x1p24f;
  for (std::size_t r = 0; r < table.rows(); ++r)
    if (std::fabs(c.numbers[r]) >= kExact)
      throw std::runtime_error(fmt::format(
          "{}: the class label reads as {} (numbers are stored as float), not below 2^24 = "
          "16777216 in magnitude, where float no longer holds every integer (100000001 and "
          "100000002 would be one class); read the column as categories (CsvOptions::kinds, "
          "--categorical) to keep labels as text",
          table.where(r, c), c.cell(r)));
}

}  // namespace

std::optional<CellRef> first_missing(const std::vector<std::size_t>& rows,
                                     const std::vector<const Column*>& columns) {
  std::optional<CellRef> first;
  const auto before = [&](std::size_t r, const Column* c) {
    return !first || r < first->row || (r == first->row && c->position < first->column->position);
  };
  for (const Column* c : columns)
    for (std::size_t r : rows)
      if (before(r, c) && c->missing(r)) first = CellRef{r, c};
  return first;
}

// ---- Preprocessor ---------------------------------------------------------------------------

Preprocessor::Preprocessor(std::vector<InputColumn> columns) : columns_(std::move(columns)) {
  if (columns_.empty()) invalid("Preprocessor: no input columns");
  if (columns_.size() > kMaxInputColumns)
    invalid(fmt::format("Preprocessor: {} input columns, more than the limit {}", columns_.size(),
                        kMaxInputColumns));
  std::set<std::string> names;
  std::size_t width = 0;
  for (const auto& c : columns_) {
    const auto bad = [&](const std::string& what) {
      invalid(fmt::format("input column '{}': {}", c.name, what));
    };
    if (c.name.empty()) invalid("Preprocessor: an input column has an empty name");
    if (!names.insert(c.name).second) bad("appears twice");
    if (c.categorical) {
      if (c.categories.empty()) bad("categorical without categories");
      if (c.categories.size() > kMaxCategories)
        bad(fmt::format("{} categories, more than the limit {}", c.categories.size(),
                        kMaxCategories));
      if (std::set<std::string>(c.categories.begin(), c.categories.end()).size() !=
          c.categories.size())
        bad("a category appears twice");
      if (c.fill_category && std::find(c.categories.begin(), c.categories.end(),
                                       *c.fill_category) == c.categories.end())
        bad(fmt::format("fill category '{}' is not one of its categories", *c.fill_category));
      if (c.fill) bad("a numeric fill value on a categorical column");
    } else {
      if (!finite(c.mean)) bad(fmt::format("mean must be finite, got {}", c.mean));
      if (!(c.scale > 0) || !finite(c.scale))
        bad(fmt::format("scale must be finite and > 0, got {}", c.scale));
      if (c.fill && !finite(*c.fill)) bad(fmt::format("fill must be finite, got {}", *c.fill));
      if (!c.categories.empty() || c.fill_category) bad("categories on a numeric column");
    }
    width += c.width();
  }
  if (width > kMaxFeatures)
    invalid(fmt::format("Preprocessor: {} encoded features, more than the limit {}", width,
                        kMaxFeatures));
}

Preprocessor Preprocessor::fit(const Table& table, const std::vector<std::size_t>& rows,
                               const std::vector<std::string>& exclude,
                               const PreprocessOptions& options) {
  require_rows(table, rows, "Preprocessor::fit");
  if (rows.empty()) invalid("Preprocessor::fit: no training rows");
  std::vector<InputColumn> columns;
  for (const auto& c : table.columns)
    if (std::find(exclude.begin(), exclude.end(), c.name) == exclude.end())
      columns.push_back(fit_column(table, c, rows, options));
  if (columns.empty())
    throw std::runtime_error(
        fmt::format("{}: no input columns besides {}", table.source, join(exclude)));
  check_one_hot_width(table, columns);
  try {
    return Preprocessor(std::move(columns));
  } catch (const std::invalid_argument& e) {  // e.g. more encoded features than the limit
    throw std::runtime_error(fmt::format("{}: {}", table.source, e.what()));
  }
}

std::size_t Preprocessor::width() const {
  std::size_t w = 0;
  for (const auto& c : columns_) w += c.width();
  return w;
}

std::vector<std::string> Preprocessor::feature_names() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) {
    if (!c.categorical) names.push_back(c.name);
    for (const auto& category : c.categories) names.push_back(c.name + "=" + category);
  }
  return names;
}

CsvOptions Preprocessor::csv_options() const {
  CsvOptions o;
  for (const auto& c : columns_) {
    o.columns.push_back(c.name);
    o.kinds[c.name] = c.categorical ? ColumnKind::Categorical : ColumnKind::Numeric;
  }
  return o;
}

namespace {

// Where each input column's cells come from in a given table.
std::vector<const Column*> find_columns(const Table& table, const std::vector<InputColumn>& in) {
  std::unordered_map<std::string, const Column*> by_name;
  for (const auto& c : table.columns) by_name.emplace(c.name, &c);
  std::vector<const Column*> found;
  std::vector<std::string> absent;
  for (const auto& c : in) {
    const auto it = by_name.find(c.name);
    if (it == by_name.end()) absent.push_back("'" + c.name + "'");
    found.push_back(it == by_name.end() ? nullptr : it->second);
  }
  if (!absent.empty()) {
    std::vector<std::string> have;
    for (const auto& c : table.columns) have.push_back(c.name);
    throw std::runtime_error(
        fmt::format("{}: no column named {} (the model reads {} columns; {} "
                    "has: {})",
                    table.source, join(absent), in.size(), table.source, join(have)));
  }
  for (std::size_t i = 0; i < in.size(); ++i)
    if (found[i]->categorical != in[i].categorical) {
      const Column& c = *found[i];
      std::size_t row = 0;
      while (row + 1 < table.rows() && c.missing(row)) ++row;
      throw std::runtime_error(fmt::format("{}: holds {} ('{}') but the model reads {}",
                                           table.where(row, c), c.categorical ? "text" : "numbers",
                                           c.cell(row),
                                           in[i].categorical ? "categories" : "numbers"));
    }
  return found;
}

// (v - mean) / scale as the network reads it: a cell far outside the training data can
// overflow float (3e38 with scale 0.5), and an infinite input makes the prediction NaN.
float standardised(const Table& table, std::size_t row, const Column& c, const InputColumn& in,
                   double v) {
  const auto x = static_cast<float>((v - in.mean) / in.scale);
  if (!std::isfinite(x))
    throw std::runtime_error(fmt::format(
        "{}: {} standardises to {} ((x - mean {}) / scale {}), beyond the float range the model "
        "reads",
        table.where(row, c), v, x, in.mean, in.scale));
  return x;
}

}  // namespace

Tensor Preprocessor::transform(const Table& table, const std::vector<std::size_t>& rows,
                               Unknown unknown) const {
  if (columns_.empty()) throw std::logic_error("Preprocessor::transform: not fitted");
  require_rows(table, rows, "Preprocessor::transform");
  const std::vector<const Column*> source = find_columns(table, columns_);
  const std::size_t width = this->width();
  // Written in place (no std::vector copied into a tensor): a big table's features exist once.
  Array<float> features = Array<float>::from_shape({rows.size(), width});
  float* x = features.data();
  std::fill_n(x, rows.size() * width, 0.0f);
  // A missing cell without a fill value: the error names the first in the file, not the first
  // met column by column in `rows`' order.
  const auto missing = [&] {
    std::vector<const Column*> unfilled;
    for (std::size_t k = 0; k < columns_.size(); ++k)
      if (!columns_[k].fill && !columns_[k].fill_category) unfilled.push_back(source[k]);
    const CellRef cell = first_missing(rows, unfilled).value();
    return std::runtime_error(
        fmt::format("{}: missing value, and no fill value was fitted for this column (train with "
                    "imputation: --impute mean|median|mode)",
                    table.where(cell.row, *cell.column)));
  };
  std::size_t offset = 0;
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    const InputColumn& in = columns_[k];
    const Column& c = *source[k];
    if (!in.categorical) {
      for (std::size_t i = 0; i < rows.size(); ++i) {
        double v = c.numbers[rows[i]];
        if (std::isnan(v)) {
          if (!in.fill) throw missing();
          v = *in.fill;
        }
        x[i * width + offset] = standardised(table, rows[i], c, in, v);
      }
      offset += 1;
      continue;
    }
    // The table's category codes -> the model's one-hot positions (-1: unseen in training),
    // whatever order the saved categories are in.
    std::unordered_map<std::string, long> slot;
    for (std::size_t k = 0; k < in.categories.size(); ++k) slot.emplace(in.categories[k], long(k));
    std::vector<long> position(c.categories.size(), -1);
    for (std::size_t code = 0; code < c.categories.size(); ++code) {
      const auto it = slot.find(c.categories[code]);
      if (it != slot.end()) position[code] = it->second;
    }
    const long fill = in.fill_category ? slot.at(*in.fill_category) : -1;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::uint32_t code = c.codes[rows[i]];
      long p = fill;
      if (code == Column::kMissing) {
        if (fill < 0) throw missing();
      } else {
        p = position[code];
        if (p < 0 && unknown == Unknown::Error)
          throw std::runtime_error(fmt::format(
              "{}: '{}' is not a category the model was trained on ({}); --unknown ignore "
              "encodes unseen categories as all zeros",
              table.where(rows[i], c), c.categories[code], join(in.categories, 10)));
      }
      if (p >= 0) x[i * width + offset + std::size_t(p)] = 1.0f;
    }
    offset += in.categories.size();
  }
  return Tensor(std::move(features));
}

Tensor Preprocessor::transform(const Table& table, Unknown unknown) const {
  std::vector<std::size_t> all(table.rows());
  std::iota(all.begin(), all.end(), std::size_t(0));
  return transform(table, all, unknown);
}

// ---- Target ---------------------------------------------------------------------------------

Target Target::fit(const Table& table, const std::string& column, Task task,
                   const std::vector<std::size_t>& rows, bool standardize) {
  require_rows(table, rows, "Target::fit");
  const Column* c = table.find(column);
  if (!c) {
    std::vector<std::string> have;
    for (const auto& col : table.columns) have.push_back(col.name);
    throw std::runtime_error(
        fmt::format("{}: no column named '{}' (columns: {})", table.source, column, join(have)));
  }
  Target t;
  t.name = column;
  t.numeric = !c->categorical;
  const auto first_present = [&] {
    std::size_t r = 0;
    while (r + 1 < table.rows() && c->missing(r)) ++r;
    return r;
  };
  if (c->categorical) {
    if (task == Task::Regression)
      throw std::runtime_error(fmt::format("{}: '{}' is not a number (regression needs numbers)",
                                           table.where(first_present(), *c),
                                           c->cell(first_present())));
    t.classification = true;
    t.class_names = c->categories;
    std::sort(t.class_names.begin(), t.class_names.end());
  } else {
    std::set<float> distinct;
    bool integral = true;
    for (std::size_t r = 0; r < table.rows(); ++r) {
      const float v = c->numbers[r];
      if (std::isnan(v)) continue;
      integral = integral && v == std::floor(v);
      if (distinct.size() <= 20) distinct.insert(v);
    }
    if (task == Task::Classification || (task == Task::Auto && integral && distinct.size() <= 20))
      require_exact_labels(table, *c);
    if (task == Task::Auto) {
      if (integral && distinct.size() == 1)
        throw std::runtime_error(fmt::format(
            "{}: the target '{}' has the same value ({}) in every row: nothing to learn (a "
            "constant needs an explicit regression task)",
            table.source, column, *distinct.begin()));
      task = integral && distinct.size() <= 20 ? Task::Classification : Task::Regression;
    }
    if (task == Task::Classification) {
      t.classification = true;
      for (std::size_t r = 0; r < table.rows(); ++r)
        if (!c->missing(r) && c->numbers[r] != std::floor(c->numbers[r]))
          throw std::runtime_error(fmt::format("{}: classification target '{}' is not an integer",
                                               table.where(r, *c), c->numbers[r]));
      std::set<float> all;
      for (float v : c->numbers)
        if (!std::isnan(v)) all.insert(v);
      if (all.size() > kMaxCategories)
        throw std::runtime_error(
            fmt::format("{}: '{}' has more than {} classes", table.source, column, kMaxCategories));
      for (float v : all) t.class_names.push_back(fmt::format("{}", v));
    } else {
      const std::vector<double> v = observed(*c, rows);
      if (v.empty())
        throw std::runtime_error(
            fmt::format("{}: the target '{}' has no values in the {} "
                        "training rows",
                        table.source, column, rows.size()));
      if (standardize) t.mean = mean_of(v), t.scale = std_of(v, t.mean);
    }
  }
  if (t.classification && t.class_names.size() < 2)
    throw std::runtime_error(fmt::format(
        "{}: classification needs at least 2 classes, but '{}' holds only {}", table.source, column,
        t.class_names.empty() ? "missing cells" : "'" + t.class_names[0] + "'"));
  return t;
}

void Target::validate() const {
  if (name.empty()) invalid("target: empty name");
  if (!classification) {
    if (!finite(mean)) invalid(fmt::format("target '{}': mean must be finite, got {}", name, mean));
    if (!(scale > 0) || !finite(scale))
      invalid(fmt::format("target '{}': scale must be finite and > 0, got {}", name, scale));
    if (!class_names.empty())
      invalid(fmt::format("target '{}': class names on a regression", name));
    return;
  }
  if (class_names.size() < 2 || class_names.size() > kMaxCategories)
    invalid(fmt::format("target '{}': {} classes, outside [2, {}]", name, class_names.size(),
                        kMaxCategories));
  if (std::set<std::string>(class_names.begin(), class_names.end()).size() != class_names.size())
    invalid(fmt::format("target '{}': a class name appears twice", name));
  for (const auto& c : class_names)
    if (c.empty()) invalid(fmt::format("target '{}': an empty class name", name));
  if (numeric) {
    const auto values = class_values();
    if (std::set<double>(values.begin(), values.end()).size() != values.size())
      invalid(fmt::format("target '{}': two classes have the same value", name));
  }
}

std::vector<double> Target::class_values() const {
  std::vector<double> values;
  if (!classification || !numeric) return values;
  for (const auto& class_name : class_names) {
    const auto v = cell_number(class_name);
    if (!v) invalid(fmt::format("target '{}': class name '{}' is not a number", name, class_name));
    values.push_back(*v);
  }
  return values;
}

namespace {
const Column& target_column(const Table& table, const Target& t) {
  const Column* c = table.find(t.name);
  if (!c)
    throw std::runtime_error(fmt::format("{}: no target column named '{}'", table.source, t.name));
  if (c->categorical == t.numeric)
    throw std::runtime_error(fmt::format(
        "{}: the target column '{}' holds {} but the model's "
        "classes are {}",
        table.source, t.name, c->categorical ? "text" : "numbers", t.numeric ? "numbers" : "text"));
  return *c;
}
}  // namespace

std::vector<std::int64_t> Target::class_indices(const Table& table) const {
  const Column& c = target_column(table, *this);
  std::vector<std::int64_t> out(table.rows(), -1);
  if (!classification) return out;
  if (numeric) {
    std::map<double, std::int64_t> index;
    for (double v : class_values()) index.emplace(v, std::int64_t(index.size()));
    for (std::size_t r = 0; r < table.rows(); ++r) {
      const auto it = index.find(double(c.numbers[r]));
      if (it != index.end()) out[r] = it->second;
    }
  } else {
    std::unordered_map<std::string, std::int64_t> by_name;
    for (std::size_t k = 0; k < class_names.size(); ++k) by_name.emplace(class_names[k], k);
    std::vector<std::int64_t> index(c.categories.size(), -1);
    for (std::size_t k = 0; k < c.categories.size(); ++k) {
      const auto it = by_name.find(c.categories[k]);
      if (it != by_name.end()) index[k] = it->second;
    }
    for (std::size_t r = 0; r < table.rows(); ++r)
      if (c.codes[r] != Column::kMissing) out[r] = index[c.codes[r]];
  }
  return out;
}

Tensor Target::transform(const Table& table, const std::vector<std::size_t>& rows) const {
  require_rows(table, rows, "Target::transform");
  const Column& c = target_column(table, *this);
  std::vector<float> y(rows.size());
  const std::vector<std::int64_t> index =
      classification ? class_indices(table) : std::vector<std::int64_t>{};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t r = rows[i];
    if (c.missing(r))  // the first missing cell in the file, whatever order `rows` are in
      throw std::runtime_error(
          fmt::format("{}: the target is missing", table.where(first_missing(rows, {&c})->row, c)));
    if (!classification) {
      y[i] = static_cast<float>((double(c.numbers[r]) - mean) / scale);
    } else if (index[r] < 0) {
      throw std::runtime_error(fmt::format("{}: class '{}' is not one the model knows ({})",
                                           table.where(r, c), c.cell(r), join(class_names, 10)));
    } else {
      y[i] = float(index[r]);
    }
  }
  return classification ? Tensor::from(std::move(y), {rows.size()})
                        : Tensor::from(std::move(y), {rows.size(), 1});
}

}  // namespace xg::data
