// CSV reading on libcsv (RFC 4180, strict mode): libcsv splits fields and records, this file
// names lines and columns, types the columns and stores the cells.
#include "xgrad/data/table.hpp"

#include <csv.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace xg::data {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// U+FEFF in UTF-8: a byte order mark at the start of a file, else a zero-width no-break space.
constexpr std::string_view kBom = "\xEF\xBB\xBF";

// A cell as a message shows it: at most 40 characters, control characters escaped, so that an
// error stays on one line whatever the file holds, and U+FEFF as \ufeff: invisible, it would
// make two different names or values look the same.
std::string shown(std::string_view cell) {
  std::string out;
  const std::string_view head = cell.substr(0, 40);
  for (std::size_t i = 0; i < head.size(); ++i) {
    const char c = head[i];
    if (head.substr(i, kBom.size()) == kBom) {
      out += "\\ufeff";
      i += kBom.size() - 1;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (cell.size() > 40) out += "...";
  return out;
}

enum class Number { Ok, NotNumber, NotFinite, OutOfRange };

// Decimal or scientific notation with '.' as the decimal point and an optional sign; stored as
// float, so |x| > FLT_MAX is out of range rather than inf. Hex ("0x1F"), "1,5" and "1e" are not
// numbers.
Number parse_number(std::string_view text, float& out) {
  std::string_view s = trim(text);
  if (s.size() > 1 && s[0] == '+' &&
      (std::isdigit(static_cast<unsigned char>(s[1])) || s[1] == '.'))
    s.remove_prefix(1);
  if (s.empty()) return Number::NotNumber;
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::invalid_argument || end != s.data() + s.size()) return Number::NotNumber;
  if (ec == std::errc::result_out_of_range) {
    // Overflow or underflow: strtod tells which. An underflow is a number that rounds to 0.
    const double r = std::strtod(std::string(s).c_str(), nullptr);
    if (std::fabs(r) >= 1) return Number::OutOfRange;
    v = 0;
  }
  if (!std::isfinite(v)) return Number::NotFinite;
  out = static_cast<float>(v);
  return std::isfinite(out) ? Number::Ok : Number::OutOfRange;
}

std::size_t count_line_breaks(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    n += s[i] == '\n' || (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'));
  return n;
}

// The most frequent of ',', ';' and '\t' outside quotes on the first line; ',' when none occurs.
char detect_delimiter(std::string_view text) {
  std::size_t comma = 0, semicolon = 0, tab = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    comma += c == ',', semicolon += c == ';', tab += c == '\t';
  }
  if (semicolon > comma && semicolon >= tab) return ';';
  if (tab > comma && tab > semicolon) return '\t';
  return ',';
}

// libcsv grows a field's buffer through this: refusing beyond the limit turns an endless field
// (an unclosed quote in a large file) into an error instead of a copy of the whole file.
void* capped_realloc(void* p, std::size_t bytes) {
  return bytes > kMaxCsvFieldBytes + 1024 ? nullptr : std::realloc(p, bytes);
}

// How one column is being read.
struct ColumnState {
  std::size_t column = 0;              // index into Table::columns
  ColumnKind kind = ColumnKind::Auto;  // Auto until the first non-missing cell decides
  bool forced = false;
  std::size_t leading_missing = 0;  // missing cells before the kind was known
  std::uint64_t first_line = 0;     // the cell that decided the kind, for messages
  std::string first_cell;
  std::unordered_map<std::string, std::uint32_t> codes;  // categorical: value -> index
};

class Reader {
 public:
  Reader(std::string source, const CsvOptions& options) : options_(options) {
    table_.source = std::move(source);
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
      throw std::bad_alloc();
    csv_set_realloc_func(&parser_, capped_realloc);
  }
  ~Reader() { csv_free(&parser_); }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  void feed(std::string_view chunk) {
    if (first_chunk_) chunk = begin(chunk);
    if (chunk.empty()) return;
    const auto* nul = static_cast<const char*>(std::memchr(chunk.data(), 0, chunk.size()));
    parse(chunk.substr(0, nul ? std::size_t(nul - chunk.data()) : chunk.size()));
    if (nul) fail_nul();
  }

  Table finish() {
    if (first_chunk_) begin({});
    const int status = csv_fini(&parser_, on_field, on_record, this);
    rethrow();
    if (status != 0)
      fail(fmt::format("{}:{}: a quoted field is not closed before the end of the file",
                       table_.source, in_record_ ? record_line_ : line_));
    if (!have_columns_) fail(fmt::format("'{}' is empty (no header row)", table_.source));
    if (table_.rows() == 0)
      fail(fmt::format("{}: no data rows{}", table_.source,
                       options_.header ? " after the header" : ""));
    for (auto& state : states_) settle(state);
    return std::move(table_);
  }

 private:
  void parse(std::string_view text) {
    const std::size_t parsed =
        csv_parse(&parser_, text.data(), text.size(), on_field, on_record, this);
    rethrow();
    if (parsed != text.size()) parse_error(csv_error(&parser_));
  }

  // Everything before the NUL is parsed, so line_ counts the finished fields; the field libcsv
  // is still collecting may span lines (quoted line breaks) too.
  [[noreturn]] void fail_nul() const {
    const std::string_view pending(reinterpret_cast<const char*>(parser_.entry_buf),
                                   parser_.entry_buf ? parser_.entry_pos : 0);
    fail(fmt::format("{}:{}: contains a NUL byte: not a text CSV file", table_.source,
                     line_ + count_line_breaks(pending)));
  }

  // The first chunk: byte order marks, then the delimiter.
  std::string_view begin(std::string_view chunk) {
    first_chunk_ = false;
    if (chunk.substr(0, 3) == kBom) chunk.remove_prefix(3);  // one UTF-8 BOM, as utf-8-sig
    // A second one (a BOM added twice) would stay in the first name or cell, unseen: --target
    // 'species' would not find '\ufeffspecies', and with --no-header a first cell 'a' would be
    // another class than the 'a's below.
    if (chunk.substr(0, 3) == kBom)
      fail(fmt::format(
          "{}:1: column 1: the file begins with two UTF-8 byte order marks (EF BB BF EF BB BF); "
          "one is skipped, the second would stay in the first {}, invisible: remove it",
          table_.source, options_.header ? "column's name" : "cell"));
    if (chunk.substr(0, 2) == "\xFF\xFE" || chunk.substr(0, 2) == "\xFE\xFF")
      fail(fmt::format("{}: is UTF-16 text; xgrad reads UTF-8 CSV files", table_.source));
    char delimiter = options_.delimiter ? options_.delimiter : detect_delimiter(chunk);
    if (delimiter != ',' && delimiter != ';' && delimiter != '\t' && delimiter != '|')
      throw std::invalid_argument(
          fmt::format("read_csv: the delimiter must be ',', ';', tab or '|', got '{}'",
                      shown({&delimiter, 1})));
    table_.delimiter = delimiter;
    csv_set_delim(&parser_, static_cast<unsigned char>(delimiter));
    return chunk;
  }

  // libcsv is C: nothing may be thrown through it. Callbacks keep the first exception and go
  // quiet; feed() and finish() rethrow it.
  static void on_field(void* data, std::size_t size, void* self) {
    auto* r = static_cast<Reader*>(self);
    if (r->error_) return;
    try {
      r->field(std::string_view(static_cast<const char*>(data), data ? size : 0));
    } catch (...) {
      r->error_ = std::current_exception();
    }
  }
  static void on_record(int terminator, void* self) {
    auto* r = static_cast<Reader*>(self);
    if (r->error_) return;
    try {
      r->record(terminator);
    } catch (...) {
      r->error_ = std::current_exception();
    }
  }
  void rethrow() {
    if (error_) std::rethrow_exception(error_);
  }

  void parse_error(int status) {
    const std::uint64_t line = in_record_ ? record_line_ : line_;
    if (status == CSV_EPARSE)
      fail(fmt::format(
          "{}:{}: field {}: malformed quotes (a quote inside an unquoted field, or text after a "
          "closing quote; RFC 4180 doubles a quote inside a quoted field)",
          table_.source, line, field_count_ + 1));
    fail(fmt::format("{}:{}: field {} is longer than {} bytes (an unclosed quote?)", table_.source,
                     line, field_count_ + 1, kMaxCsvFieldBytes));
  }

  void field(std::string_view text) {
    if (!in_record_) in_record_ = true, record_line_ = line_;
    line_ += count_line_breaks(text);
    after_cr_ = false;
    if (field_count_ >= kMaxCsvColumns)
      fail(fmt::format("{}:{}: more than {} fields", table_.source, record_line_, kMaxCsvColumns));
    if (!have_columns_)  // the first record: names, or data whose width is not known yet
      fields_.emplace_back(text);
    else if (field_count_ < width_ && slot_[field_count_] >= 0)
      store(states_[std::size_t(slot_[field_count_])], text);  // a short row fails at its end
    ++field_count_;
  }

  void record(int terminator) {
    if (terminator == '\n' && after_cr_ && !in_record_) {  // the LF of a CRLF
      after_cr_ = false;
      return;
    }
    after_cr_ = terminator == '\r';
    if (in_record_) end_record();  // otherwise a blank line
    in_record_ = false;
    field_count_ = 0;
    if (terminator == '\n' || terminator == '\r') ++line_;
  }

  void end_record() {
    if (!have_columns_) {
      start_columns();
      if (!options_.header)
        for (std::size_t p = 0; p < width_; ++p)
          if (slot_[p] >= 0) store(states_[std::size_t(slot_[p])], fields_[p]);
      fields_ = {};
      if (options_.header) return;
    }
    if (field_count_ != width_)
      fail(fmt::format("{}:{}: expected {} fields ({}) but found {}", table_.source, record_line_,
                       width_, options_.header ? "as in the header" : "as on the first line",
                       field_count_));
    table_.lines.push_back(record_line_);
  }

  // The message for a header cell without a name, with the usual cause of each position.
  std::string empty_name(std::size_t p) const {
    const char* hint = p == 0 ? " (pandas' to_csv writes its unnamed index there: write the table "
                                "with index=False, or name the column)"
                       : p + 1 == width_ ? " (a delimiter at the end of the header line?)"
                                         : "";
    return fmt::format("{}:{}: column {} has an empty name{}", table_.source, record_line_, p + 1,
                       hint);
  }

  void start_columns() {
    have_columns_ = true;
    width_ = field_count_;
    std::vector<std::string> names(width_);
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t p = 0; p < width_; ++p) {
      // libcsv has dropped the spaces around unquoted fields; spaces inside quotes are kept.
      names[p] = options_.header ? fields_[p] : fmt::format("c{}", p);
      if (names[p].empty()) fail(empty_name(p));
      if (names[p].find(kBom) != std::string::npos)
        fail(fmt::format(
            "{}:{}: column {} ('{}'): the name holds U+FEFF (a byte order mark, invisible in most "
            "editors): remove it",
            table_.source, record_line_, p + 1, shown(names[p])));
      const auto [it, fresh] = seen.emplace(names[p], p);
      if (!fresh)
        fail(fmt::format("{}:{}: columns {} and {} are both named '{}'", table_.source,
                         record_line_, it->second + 1, p + 1, shown(names[p])));
    }
    const std::unordered_set<std::string> wanted(options_.columns.begin(), options_.columns.end());
    const std::unordered_set<std::string> unwanted(options_.skip.begin(), options_.skip.end());
    slot_.assign(width_, -1);
    for (std::size_t p = 0; p < width_; ++p) {
      if ((!wanted.empty() && !wanted.count(names[p])) || unwanted.count(names[p])) {
        table_.skipped.push_back(names[p]);
        continue;
      }
      const auto kind = options_.kinds.find(names[p]);
      const ColumnKind k = kind == options_.kinds.end() ? ColumnKind::Auto : kind->second;
      slot_[p] = int(states_.size());
      ColumnState state;
      state.column = table_.columns.size();
      state.kind = k;
      state.forced = k != ColumnKind::Auto;
      states_.push_back(std::move(state));
      Column c;
      c.name = names[p];
      c.position = p;
      c.categorical = k == ColumnKind::Categorical;
      table_.columns.push_back(std::move(c));
    }
  }

  std::string where(const Column& c) const {
    return fmt::format("{}:{}: column {} ('{}')", table_.source, record_line_, c.position + 1,
                       shown(c.name));
  }

  void store(ColumnState& s, std::string_view cell) {
    Column& c = table_.columns[s.column];
    if (is_missing_cell(cell)) {
      if (s.kind == ColumnKind::Auto)
        ++s.leading_missing;
      else if (c.categorical)
        c.codes.push_back(Column::kMissing);
      else
        c.numbers.push_back(std::nanf(""));
      return;
    }
    float value = 0;
    const Number n = c.categorical && s.forced ? Number::NotNumber : parse_number(cell, value);
    if (s.kind == ColumnKind::Auto) decide(s, c, cell, n == Number::NotNumber);
    if (c.categorical) {
      if (n != Number::NotNumber)
        fail(fmt::format(
            "{}: '{}' is a number but the column's earlier cells are text ('{}' on line {}); a "
            "column holds numbers or text, not both (declare it categorical to read numbers as "
            "text)",
            where(c), shown(cell), shown(s.first_cell), s.first_line));
      c.codes.push_back(code(s, c, cell));
      return;
    }
    if (n == Number::NotNumber)
      fail(s.forced
               ? fmt::format("{}: '{}' is not a number", where(c), shown(cell))
               : fmt::format("{}: '{}' is not a number (the column's earlier cells are numbers, "
                             "'{}' on line {}; declare it categorical to read it as text)",
                             where(c), shown(cell), shown(s.first_cell), s.first_line));
    if (n == Number::NotFinite)
      fail(fmt::format("{}: '{}' is not a finite number", where(c), shown(cell)));
    if (n == Number::OutOfRange)
      fail(fmt::format("{}: '{}' is outside the float range (|x| <= 3.4e38)", where(c),
                       shown(cell)));
    c.numbers.push_back(value);
  }

  // The first non-missing cell of an Auto column decides its kind.
  void decide(ColumnState& s, Column& c, std::string_view cell, bool text) {
    s.kind = text ? ColumnKind::Categorical : ColumnKind::Numeric;
    s.first_line = record_line_;
    s.first_cell = std::string(cell);
    c.categorical = text;
    if (text)
      c.codes.assign(s.leading_missing, Column::kMissing);
    else
      c.numbers.assign(s.leading_missing, std::nanf(""));
  }

  std::uint32_t code(ColumnState& s, Column& c, std::string_view value) {
    scratch_.assign(value);
    const auto it = s.codes.find(scratch_);
    if (it != s.codes.end()) return it->second;
    if (c.categories.size() >= kMaxCategories)
      fail(fmt::format(
          "{}: more than {} distinct values in one column ('{}' is new): an identifier or free "
          "text? Leave the column out",
          where(c), kMaxCategories, shown(value)));
    const auto index = static_cast<std::uint32_t>(c.categories.size());
    c.categories.push_back(scratch_);
    s.codes.emplace(scratch_, index);
    return index;
  }

  // After the last row: columns that never had a value are numeric and all missing; text columns
  // that are all numbers written with a decimal comma are refused rather than one-hot encoded.
  void settle(ColumnState& s) {
    Column& c = table_.columns[s.column];
    if (s.kind == ColumnKind::Auto) c.numbers.assign(s.leading_missing, std::nanf(""));
    if (s.forced || !c.categorical || table_.delimiter == ',') return;
    const bool decimal_commas = std::all_of(c.categories.begin(), c.categories.end(), [](auto v) {
      float x;
      const auto comma = v.find(',');
      if (comma == std::string::npos || v.find(',', comma + 1) != std::string::npos) return false;
      v[comma] = '.';
      return parse_number(v, x) == Number::Ok;
    });
    if (decimal_commas)
      fail(fmt::format(
          "{}: column {} ('{}') holds numbers with a decimal comma ('{}' on line {}); xgrad reads "
          "'.' as the decimal point: convert the file (or declare the column categorical)",
          table_.source, c.position + 1, shown(c.name), shown(s.first_cell), s.first_line));
  }

  csv_parser parser_{};
  const CsvOptions& options_;
  Table table_;
  std::vector<std::string> fields_;  // the first record's fields
  std::size_t field_count_ = 0, width_ = 0;
  std::uint64_t line_ = 1, record_line_ = 1;
  bool in_record_ = false, after_cr_ = false, have_columns_ = false, first_chunk_ = true;
  std::vector<int> slot_;  // per field position: index into states_, -1 when skipped
  std::vector<ColumnState> states_;
  std::string scratch_;
  std::exception_ptr error_;
};

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::optional<float> cell_number(std::string_view cell) {
  float v = 0;
  if (parse_number(cell, v) != Number::Ok) return std::nullopt;
  return v;
}

bool is_missing_cell(std::string_view cell) {
  // pandas' default na_values, and "?" (the UCI repository's marker).
  static constexpr std::string_view kMarkers[] = {
      "",     "NA",   "N/A", "NaN",      "nan",    "-NaN",    "-nan",    "n/a",      "NULL", "null",
      "<NA>", "#N/A", "#NA", "#N/A N/A", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN", "None", "?"};
  const std::string_view s = trim(cell);
  return std::find(std::begin(kMarkers), std::end(kMarkers), s) != std::end(kMarkers);
}

bool Column::missing(std::size_t row) const {
  return categorical ? codes.at(row) == kMissing : std::isnan(numbers.at(row));
}

std::string Column::cell(std::size_t row) const {
  if (missing(row)) return {};
  return categorical ? categories[codes[row]] : fmt::format("{}", numbers[row]);
}

const Column* Table::find(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

std::string Table::where(std::size_t row, const Column& column) const {
  return fmt::format("{}:{}: column {} ('{}')", source, lines.at(row), column.position + 1,
                     shown(column.name));
}

Table parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  Reader reader(source, options);
  reader.feed(text);
  return reader.finish();
}

Table read_csv(const std::string& path, const CsvOptions& options) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  FileDescriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) fail(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    fail(fmt::format("'{}' is {}: xgrad reads CSV tables from regular files", path,
                     file_kind(st.st_mode)));
  Reader reader(path, options);
  std::vector<char> buffer(std::size_t(1) << 20);
  while (true) {
    const ssize_t n = ::read(file.fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
    if (n == 0) break;
    reader.feed(std::string_view(buffer.data(), std::size_t(n)));
  }
  return reader.finish();
}

}  // namespace xg::data
