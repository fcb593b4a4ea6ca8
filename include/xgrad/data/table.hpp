// Reading CSV files into typed columns (RFC 4180, through libcsv):
//
//   xg::data::Table t = xg::data::read_csv("iris.csv");           // delimiter detected
//   const xg::data::Column* species = t.find("species");          // categorical: codes + names
//   xg::data::Table u = xg::data::read_csv("plain.tsv", {'\t', /*header*/ false});   // c0, c1, ...
//
// What is accepted
// - RFC 4180: fields in double quotes may hold the delimiter, quotes ("") and line breaks; a quote
//   inside an unquoted field or text after a closing quote is an error. CRLF, LF or CR line ends;
//   one UTF-8 byte order mark is skipped (as Python's utf-8-sig): a file that begins with two,
//   or a header name holding U+FEFF, is an error (the invisible character would stay in the
//   name; messages show U+FEFF as \ufeff); blank lines are skipped; spaces around unquoted
//   fields are dropped, spaces inside quotes kept (" red" is not red).
// - The delimiter is ',', ';', '\t' or '|'. Left at 0 it is detected from the first line: the
//   most frequent of ',', ';' and '\t' outside quotes (',' when none occurs).
// - A missing cell is empty, ? or one of pandas' default markers (NA, N/A, n/a, NaN, nan, NULL,
//   null, None, <NA>, #N/A, ...: is_missing_cell), spaces around ignored.
// - A column is numeric when every non-missing cell is a number (decimal or scientific notation
//   with '.' as the decimal point, an optional sign; no hex, no inf), categorical when none is.
//   A column mixing both is an error (declare it categorical to read numbers as text). Numbers
//   are stored as float: a value beyond float's range (|x| > 3.4e38) is an error, not inf.
//
// Every error is a std::runtime_error naming the file, the line (1-based; a record spanning
// several lines is named by its first) and, for a cell, the column (1-based, with its name):
//   "data.csv:7: column 3 ('age'): '1e39' is outside the float range (|x| <= 3.4e38)"
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xg::data {

// Limits that keep a malformed or hostile file from exhausting memory; exceeding one is an error
// that names it.
inline constexpr std::size_t kMaxCsvColumns = 100'000;
inline constexpr std::size_t kMaxCsvFieldBytes = std::size_t(1) << 20;  // one cell or name
inline constexpr std::size_t kMaxCategories = 10'000;                   // per column

enum class ColumnKind { Auto, Numeric, Categorical };

struct CsvOptions {
  char delimiter = 0;  // ',', ';', '\t' or '|'; 0: detected from the first line
  bool header = true;  // false: the first line is data and the columns are named c0, c1, ...
  // Forces a column's kind by name: Categorical reads numbers as text ("01" and "1" differ),
  // Numeric makes any text cell an error. Names not in the file are ignored.
  std::map<std::string, ColumnKind> kinds;
  // When not empty, only these columns are read; the others are listed in Table::skipped.
  std::vector<std::string> columns;
  std::vector<std::string> skip;  // columns not read (listed in Table::skipped)
};

struct Column {
  static constexpr std::uint32_t kMissing = std::numeric_limits<std::uint32_t>::max();

  std::string name;
  std::size_t position = 0;  // 0-based index of the column in the file
  bool categorical = false;
  std::vector<float> numbers;           // numeric: one per row, NaN where the cell is missing
  std::vector<std::uint32_t> codes;     // categorical: index into categories, or kMissing
  std::vector<std::string> categories;  // categorical: distinct values in order of appearance

  bool missing(std::size_t row) const;
  std::string cell(std::size_t row) const;  // the value as text ("" when missing)
};

struct Table {
  std::string source;  // the file name errors mention
  char delimiter = ',';
  std::vector<Column> columns;       // the columns read, in file order
  std::vector<std::string> skipped;  // columns of the file that were not read
  std::vector<std::uint64_t> lines;  // the line each row starts on (1-based)

  std::size_t rows() const { return lines.size(); }
  const Column* find(const std::string& name) const;  // nullptr when absent
  // "data.csv:7: column 3 ('age')": the prefix of a message about one cell.
  std::string where(std::size_t row, const Column& column) const;
};

// Reads a regular file (a FIFO, a directory or a device is refused rather than waited on).
Table read_csv(const std::string& path, const CsvOptions& options = {});
// The same from memory; `source` names the text in errors.
Table parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});

// The number in a cell as read_csv reads it (trimmed; finite and within float's range), or none.
std::optional<float> cell_number(std::string_view cell);
// True for the spellings of a missing cell, spaces around ignored: "", "?" (the UCI repository's
// marker) and pandas' default na_values: NA, N/A, n/a, NaN, nan, -NaN, -nan, NULL, null, None,
// <NA>, #N/A, #NA, #N/A N/A, 1.#IND, -1.#IND, 1.#QNAN, -1.#QNAN.
bool is_missing_cell(std::string_view cell);

}  // namespace xg::data
