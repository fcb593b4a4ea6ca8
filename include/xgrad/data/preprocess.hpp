// From a Table (data/table.hpp) to what a network reads and predicts: the inputs encoded as a
// float matrix (one-hot categories, imputed missing cells, standardised numbers) and the target
// as class indices or a standardised value. Fitted on the training rows; a model file stores
// both (io/model_file.hpp), so new tables are encoded exactly the same way, columns matched by
// name.
//
//   auto table = xg::data::read_csv("train.csv");
//   auto split = xg::data::split_rows(table.rows(), 0.2, 0.0, /*seed*/ 1);
//   auto target = xg::data::Target::fit(table, "species", xg::data::Task::Auto, split.train);
//   auto inputs = xg::data::Preprocessor::fit(table, split.train, {"species"},
//                                             {xg::data::Impute::Median});
//   xg::Tensor x = inputs.transform(table, split.train), y = target.transform(table, split.train);
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xgrad/core/tensor.hpp"
#include "xgrad/data/table.hpp"

namespace xg::data {

enum class Task { Auto, Classification, Regression };
// What fills a missing cell: nothing (a missing cell is an error naming it), or a statistic of
// the training rows. Categorical columns are filled with their most frequent category whenever
// imputation is on.
enum class Impute { None, Mean, Median, Mode };
// A category that training never saw: an error naming the cell, or all zeros in its one-hot
// block.
enum class Unknown { Error, Ignore };

// The most input columns and encoded features a Preprocessor (and a model file) may hold.
inline constexpr std::size_t kMaxInputColumns = kMaxCsvColumns;
inline constexpr std::size_t kMaxFeatures = 1'000'000;
// The most one-hot features Preprocessor::fit makes from a table's categorical columns together
// (each column holds at most kMaxCategories): the encoded inputs are rows x features floats, so
// many identifier-like text columns would otherwise need gigabytes from a small file.
inline constexpr std::size_t kMaxOneHotFeatures = 10'000;

// What happens to one input column.
struct InputColumn {
  std::string name;
  bool categorical = false;
  std::vector<std::string> categories;       // the one-hot order (sorted byte-wise)
  double mean = 0, scale = 1;                // numeric: the feature is (x - mean) / scale
  std::optional<double> fill;                // numeric: the value of a missing cell
  std::optional<std::string> fill_category;  // categorical: the category of a missing cell

  std::size_t width() const { return categorical ? categories.size() : 1; }
};

struct PreprocessOptions {
  Impute impute = Impute::None;
  bool standardize = true;  // numeric columns: mean and population std of the training rows
};

class Preprocessor {
 public:
  Preprocessor() = default;
  // Restores saved columns; throws std::invalid_argument naming the column for anything
  // inconsistent (duplicate or empty names, scale <= 0, non-finite numbers, duplicate
  // categories, a fill category that is not a category, more than the limits above).
  explicit Preprocessor(std::vector<InputColumn> columns);

  // Every column of `table` but `exclude`, in file order. Categories are the distinct values
  // of all rows (the file's vocabulary, sorted); means, scales and fill values come from `rows`
  // only (the training rows), ignoring missing cells. More than kMaxOneHotFeatures categories
  // in all is a std::runtime_error naming the widest columns, before anything is encoded.
  static Preprocessor fit(const Table& table, const std::vector<std::size_t>& rows,
                          const std::vector<std::string>& exclude,
                          const PreprocessOptions& options = {});

  // The given rows as [rows, width()]: columns found by name (any order; other columns are not
  // read). Throws std::runtime_error naming the file, line and column for a missing cell without
  // a fill value or an unseen category (unless Unknown::Ignore), and naming every absent column.
  Tensor transform(const Table& table, const std::vector<std::size_t>& rows,
                   Unknown unknown = Unknown::Error) const;
  Tensor transform(const Table& table, Unknown unknown = Unknown::Error) const;  // every row

  const std::vector<InputColumn>& columns() const { return columns_; }
  std::size_t width() const;                       // encoded features
  std::vector<std::string> feature_names() const;  // "age", "color=red", "color=blue", ...
  // The columns this preprocessor reads with their kinds, for read_csv (CsvOptions::columns and
  // ::kinds) so that a new file is typed as the training file was.
  CsvOptions csv_options() const;

 private:
  std::vector<InputColumn> columns_;
};

// A cell of a table: its row (0-based, in file order) and column.
struct CellRef {
  std::size_t row = 0;
  const Column* column = nullptr;
};
// The missing cell of `columns` over `rows` that comes first in the file (the lowest row, then
// the lowest column position), whatever order `rows` are in (a shuffled split's); none when
// every such cell is present. Errors about missing cells name this one.
std::optional<CellRef> first_missing(const std::vector<std::size_t>& rows,
                                     const std::vector<const Column*>& columns);

// The column a model predicts.
struct Target {
  std::string name;
  bool classification = false;
  bool numeric = true;                   // the column holds numbers: classes are matched by value
  std::vector<std::string> class_names;  // in class-index order
  double mean = 0, scale = 1;            // regression: the network predicts (y - mean) / scale

  // Task::Auto: text -> classification; numbers -> classification when they are integers with
  // 2 to 20 distinct values, else regression. Classes are the distinct values of all rows
  // (sorted by value, or byte-wise for text); fewer than 2 is an error (nothing to learn), as is
  // a non-integral class or a text cell for regression. Regression: mean and scale from `rows`
  // (or 0 and 1 with standardize = false).
  static Target fit(const Table& table, const std::string& column, Task task,
                    const std::vector<std::size_t>& rows, bool standardize = true);
  // Throws std::invalid_argument for duplicate/empty class names, non-numeric names of a
  // numeric target, scale <= 0 or non-finite statistics.
  void validate() const;

  std::size_t classes() const { return classification ? class_names.size() : 0; }
  std::vector<double> class_values() const;  // numeric classification: the value of each class
  // Class indices as floats [rows] or standardised values [rows, 1]. Throws std::runtime_error
  // naming the file, line and column for a missing cell or a class the target does not know.
  Tensor transform(const Table& table, const std::vector<std::size_t>& rows) const;
  // The class index of every row (-1 where the cell is missing): stratified splits.
  std::vector<std::int64_t> class_indices(const Table& table) const;
  // How read_csv must type the target column to match this target.
  ColumnKind kind() const { return numeric ? ColumnKind::Numeric : ColumnKind::Categorical; }
};

}  // namespace xg::data
