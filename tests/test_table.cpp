// Tests for include/xgrad/data/table.hpp: RFC 4180 reading (quotes, embedded delimiters, quotes
// and line breaks), BOM, CRLF, delimiters, no header, column typing, missing cells, and that every
// error names the file, the line and the column. Expected values are written out from the CSV
// text of each test.
#include <sys/stat.h>
#include <unistd.h>
#include <catch2/catch.hpp>
#include <xgrad/data/table.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace xg::data;

namespace {

struct TempFile {
  std::string path;
  TempFile(const std::string& name, const std::string& bytes) : path(name) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

std::vector<std::string> names(const Table& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

std::vector<std::string> cells(const Column& c) {
  std::vector<std::string> out;
  for (std::size_t r = 0; r < (c.categorical ? c.codes.size() : c.numbers.size()); ++r)
    out.push_back(c.cell(r));
  return out;
}

}  // namespace

TEST_CASE("read_csv: RFC 4180 quoting, embedded delimiters, quotes and line breaks", "[table]") {
  // Row 2 holds a quoted comma, a doubled quote and a line break inside quotes; row 3 starts on
  // line 5 because row 2 spans lines 3 and 4.
  TempFile f("t_rfc.csv",
             "id,note,value\n"
             "1,plain,0.5\n"
             "2,\"a, \"\"quoted\"\"\nline\",-2e3\n"
             "3,\"\",4\n");
  const Table t = read_csv(f.path);
  REQUIRE(names(t) == std::vector<std::string>{"id", "note", "value"});
  REQUIRE(t.rows() == 3);
  REQUIRE(t.lines == std::vector<std::uint64_t>{2, 3, 5});
  REQUIRE(t.delimiter == ',');
  const Column& note = *t.find("note");
  REQUIRE(note.categorical);
  REQUIRE(cells(note) == std::vector<std::string>{"plain", "a, \"quoted\"\nline", ""});
  REQUIRE(note.missing(2));  // "" is a missing cell
  const Column& value = *t.find("value");
  REQUIRE_FALSE(value.categorical);
  REQUIRE(value.numbers == std::vector<float>{0.5f, -2000.0f, 4.0f});
}

TEST_CASE("read_csv: BOM, CRLF, blank lines, spaces, delimiters detected or given", "[table]") {
  SECTION("a UTF-8 BOM never reaches the first name; CRLF and blank lines") {
    TempFile f("t_bom.csv", "\xEF\xBB\xBFlabel,x\r\n\r\na,1\r\nb,2\r\n");
    const Table t = read_csv(f.path);
    REQUIRE(names(t) == std::vector<std::string>{"label", "x"});
    REQUIRE(t.lines == std::vector<std::uint64_t>{3, 4});
    REQUIRE(t.find("x")->numbers == std::vector<float>{1, 2});
  }
  SECTION("one BOM is skipped (Python's utf-8-sig); a second, or U+FEFF in a name, is refused") {
    using Catch::Contains;
    const std::string bom = "\xEF\xBB\xBF";
    REQUIRE(names(parse_csv(bom + "species,x\na,1\n", "one.csv")) ==
            std::vector<std::string>{"species", "x"});
    // Two: the second would stay, invisible, in the first name ('species' would not match) or
    // with --no-header in the first cell ('a' there would be another class than the 'a' below).
    const std::string twice =
        "two.csv:1: column 1: the file begins with two UTF-8 byte order marks (EF BB BF EF BB "
        "BF)";
    REQUIRE_THROWS_WITH(parse_csv(bom + bom + "species,x\na,1\n", "two.csv"), Contains(twice));
    CsvOptions plain;
    plain.header = false;
    REQUIRE_THROWS_WITH(parse_csv(bom + bom + "a,1\nb,2\na,3\n", "two.csv", plain),
                        Contains(twice));
    {
      TempFile f("t_bom2.csv", bom + bom + "species,x\na,1\n");
      REQUIRE_THROWS_WITH(read_csv(f.path),
                          Contains("t_bom2.csv:1: column 1: the file begins with two UTF-8"));
    }
    // U+FEFF elsewhere in a header name: refused, shown as \ufeff.
    REQUIRE_THROWS_WITH(parse_csv("a,\xEF\xBB\xBF"
                                  "b\n1,2\n",
                                  "mid.csv"),
                        Contains("mid.csv:1: column 2 ('\\ufeffb'): the name holds U+FEFF"));
    // In a cell, messages show it.
    REQUIRE_THROWS_WITH(parse_csv("a,b\n1,2\n\xEF\xBB\xBF"
                                  "3,4\n",
                                  "cell.csv"),
                        Contains("cell.csv:3: column 1 ('a'): '\\ufeff3' is not a number"));
  }
  SECTION("';' detected; spaces around unquoted fields dropped") {
    const Table t = parse_csv("a; b ;c\n 1 ;2; x \n", "semi");
    REQUIRE(t.delimiter == ';');
    REQUIRE(names(t) == std::vector<std::string>{"a", "b", "c"});
    REQUIRE(t.find("a")->numbers == std::vector<float>{1});
    REQUIRE(cells(*t.find("c")) == std::vector<std::string>{"x"});
  }
  SECTION("spaces inside quotes are kept: \" red\" and red are two categories") {
    const Table t = parse_csv("\" c \",d\n\" red\",1\nred ,2\n", "quoted spaces");
    REQUIRE(names(t) == std::vector<std::string>{" c ", "d"});
    REQUIRE(t.find(" c ")->categories == std::vector<std::string>{" red", "red"});
  }
  SECTION("tab detected; a quoted field keeps its tab") {
    const Table t = parse_csv("a\tb\n\"1\t2\"\t3\n", "tabs");
    REQUIRE(t.delimiter == '\t');
    REQUIRE(cells(*t.find("a")) == std::vector<std::string>{"1\t2"});
    REQUIRE(t.find("b")->numbers == std::vector<float>{3});
  }
  SECTION("a comma inside quotes does not count when detecting") {
    const Table t = parse_csv("\"a,b\";c\n1;2\n", "quoted header");
    REQUIRE(names(t) == std::vector<std::string>{"a,b", "c"});
  }
  SECTION("the delimiter given explicitly wins") {
    CsvOptions o;
    o.delimiter = '|';
    const Table t = parse_csv("a,b|c\nx,y|3\n", "pipe", o);
    REQUIRE(names(t) == std::vector<std::string>{"a,b", "c"});
  }
  SECTION("no header: columns c0, c1, ... and the first line is data") {
    CsvOptions o;
    o.header = false;
    const Table t = parse_csv("1,x\n2,y\n", "plain", o);
    REQUIRE(names(t) == std::vector<std::string>{"c0", "c1"});
    REQUIRE(t.lines == std::vector<std::uint64_t>{1, 2});
    REQUIRE(t.find("c0")->numbers == std::vector<float>{1, 2});
  }
  SECTION("CR-only line ends and a last line without a line end") {
    const Table t = parse_csv("a,b\r1,2\r3,4", "mac");
    REQUIRE(t.lines == std::vector<std::uint64_t>{2, 3});
    REQUIRE(t.find("b")->numbers == std::vector<float>{2, 4});
  }
}

TEST_CASE("read_csv types columns: numbers, text, missing cells", "[table]") {
  const Table t = parse_csv(
      "n,color,gap\n"
      "+1.5,red,NA\n"
      "-.25,blue,\n"
      "1e-3,red,?\n"
      "NaN,N/A,nan\n",
      "kinds");
  const Column& n = *t.find("n");
  REQUIRE_FALSE(n.categorical);
  REQUIRE(n.numbers[0] == 1.5f);
  REQUIRE(n.numbers[1] == -0.25f);
  REQUIRE(n.numbers[2] == 1e-3f);
  REQUIRE(std::isnan(n.numbers[3]));
  const Column& color = *t.find("color");
  REQUIRE(color.categorical);
  REQUIRE(color.categories == std::vector<std::string>{"red", "blue"});  // order of appearance
  REQUIRE(color.codes == std::vector<std::uint32_t>{0, 1, 0, Column::kMissing});
  const Column& gap = *t.find("gap");  // never a value: numeric, all missing
  REQUIRE_FALSE(gap.categorical);
  REQUIRE(gap.numbers.size() == 4);
  for (float v : gap.numbers) REQUIRE(std::isnan(v));

  SECTION("pandas' default missing-value markers") {
    const Table u = parse_csv(
        "v\n1\nNULL\nnull\nn/a\n<NA>\n#N/A\n#NA\n-nan\n-NaN\nNone\n1.#IND\n-1.#QNAN\n #N/A N/A \n",
        "pandas");
    const Column& v = *u.find("v");
    REQUIRE_FALSE(v.categorical);
    REQUIRE(v.numbers.size() == 13);
    for (std::size_t i = 1; i < v.numbers.size(); ++i) REQUIRE(v.missing(i));
  }
  SECTION("leading missing cells take the kind decided later") {
    const Table u = parse_csv("a,b\nNA,\n2,x\n", "late");
    REQUIRE(u.find("a")->numbers.size() == 2);
    REQUIRE(std::isnan(u.find("a")->numbers[0]));
    REQUIRE(u.find("b")->codes == std::vector<std::uint32_t>{Column::kMissing, 0});
  }
  SECTION("a column forced categorical keeps numbers as text; only the listed columns are read") {
    CsvOptions o;
    o.kinds["zip"] = ColumnKind::Categorical;
    o.columns = {"zip", "v"};
    const Table u = parse_csv("zip,id,v\n01234,7,1\n1234,8,2\n", "zip", o);
    REQUIRE(names(u) == std::vector<std::string>{"zip", "v"});
    REQUIRE(u.skipped == std::vector<std::string>{"id"});
    REQUIRE(u.find("zip")->categories == std::vector<std::string>{"01234", "1234"});
    o.columns.clear();
    o.skip = {"v"};
    REQUIRE(parse_csv("zip,id,v\n1,2,3\n", "zip", o).skipped == std::vector<std::string>{"v"});
  }
  SECTION("tiny numbers underflow to 0, they are not errors") {
    REQUIRE(parse_csv("a\n1e-60\n", "tiny").find("a")->numbers == std::vector<float>{0});
  }
}

TEST_CASE("read_csv errors name the file, the line and the column", "[table]") {
  const auto error = [](const std::string& text, CsvOptions o = {}) {
    try {
      parse_csv(text, "e.csv", o);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    FAIL("no error for: " << text);
    return std::string();
  };
  using Catch::Contains;
  // 1e39 fits a double but not a float: an error, not inf.
  REQUIRE_THAT(error("a,b\n1,2\n3,1e39\n"),
               Contains("e.csv:3: column 2 ('b'): '1e39' is outside the float range"));
  REQUIRE_THAT(error("a,b\n1,1e400\n"), Contains("e.csv:2: column 2 ('b'): '1e400' is outside"));
  REQUIRE_THAT(
      error("a,b\n1,2\n0x1F,3\n"),
      Contains("e.csv:3: column 1 ('a'): '0x1F' is not a number") && Contains("'1' on line 2"));
  REQUIRE_THAT(error("a\n1\ninf\n"), Contains("e.csv:3: column 1 ('a'): 'inf' is not a finite"));
  REQUIRE_THAT(error("a,b\nred,1\n5,2\n"),
               Contains("e.csv:3: column 1 ('a'): '5' is a number") && Contains("'red' on line 2"));
  REQUIRE_THAT(error("a,b\n1,2\n3\n"),
               Contains("e.csv:3: expected 2 fields (as in the header) but found 1"));
  REQUIRE_THAT(error("a,a\n1,2\n"), Contains("e.csv:1: columns 1 and 2 are both named 'a'"));
  REQUIRE_THAT(error("a,,c\n1,2,3\n"), Contains("e.csv:1: column 2 has an empty name"));
  REQUIRE_THAT(error(",a,b\n0,1,2\n"),  // pandas' df.to_csv(path) with its index
               Contains("e.csv:1: column 1 has an empty name (pandas' to_csv writes its unnamed "
                        "index there: write the table with index=False, or name the column)"));
  REQUIRE_THAT(error("a,b,\n1,2,\n"),
               Contains("column 3 has an empty name (a delimiter at the end of the header line?)"));
  REQUIRE_THAT(error("a,b\n1,x\"y\n"), Contains("e.csv:2: field 2: malformed quotes"));
  REQUIRE_THAT(error("a,b\n1,\"open\n2,3\n"), Contains("e.csv:2: a quoted field is not closed"));
  REQUIRE_THAT(error("a,b\n"), Contains("e.csv: no data rows after the header"));
  REQUIRE_THAT(error(""), Contains("'e.csv' is empty"));
  REQUIRE_THAT(error("\xFF\xFE"
                     "a"),
               Contains("UTF-16"));
  REQUIRE_THAT(error(std::string("a\n1\0\n", 5)), Contains("e.csv:2: contains a NUL byte"));
  // Line 1 "a,b", line 2 '1,"x', line 3 'y<NUL>"': inside a quoted field spanning lines.
  REQUIRE_THAT(error(std::string("a,b\n1,\"x\ny\0\"\n", 12)), Contains("e.csv:3: contains a NUL"));
  // ';' files with decimal commas would otherwise become one-hot categories.
  REQUIRE_THAT(error("a;b\n1,5;x\n2,25;y\n"),
               Contains("column 1 ('a') holds numbers with a decimal comma ('1,5' on line 2)"));
  CsvOptions numeric;
  numeric.kinds["b"] = ColumnKind::Numeric;
  REQUIRE_THAT(error("a,b\n1,x\n", numeric),
               Contains("e.csv:2: column 2 ('b'): 'x' is not a number"));
  // A cell longer than the limit (here: an unclosed quote swallowing the rest of a big file).
  REQUIRE_THAT(error("a\n\"" + std::string(kMaxCsvFieldBytes + 4096, 'x')),
               Contains("e.csv:2: field 1 is longer than"));
  std::string many = "a\n";
  for (std::size_t i = 0; i <= kMaxCategories; ++i) many += "v" + std::to_string(i) + "\n";
  REQUIRE_THAT(error(many), Contains("more than 10000 distinct values"));
  CsvOptions x_delimiter;
  x_delimiter.delimiter = 'x';
  REQUIRE_THROWS_WITH(parse_csv("a,b\n1,2\n", "e.csv", x_delimiter), Contains("delimiter"));
}

TEST_CASE("read_csv refuses what is not a regular file instead of waiting on it", "[table]") {
  REQUIRE_THROWS_WITH(read_csv("no_such_file.csv"),
                      Catch::Contains("cannot open 'no_such_file.csv'"));
  REQUIRE_THROWS_WITH(read_csv("."), Catch::Contains("is a directory"));
  const std::string fifo = "t_fifo.csv";
  std::remove(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE_THROWS_WITH(read_csv(fifo), Catch::Contains("'t_fifo.csv' is a FIFO"));
  std::remove(fifo.c_str());
}

TEST_CASE("read_csv reads files larger than its 1 MiB read buffer", "[table]") {
  std::string text = "i,sq\n";
  for (int i = 0; i < 100000; ++i) text += std::to_string(i) + "," + std::to_string(i * 3) + "\n";
  REQUIRE(text.size() > (std::size_t(1) << 20));
  TempFile f("t_big.csv", text);
  const Table t = read_csv(f.path);
  REQUIRE(t.rows() == 100000);
  REQUIRE(t.lines.back() == 100001);
  for (int i : {0, 34952, 99999}) REQUIRE(t.find("sq")->numbers[std::size_t(i)] == float(i * 3));
  // A NUL past the first read chunk: the header is line 1, the rows lines 2 to 100001.
  TempFile nul("t_big_nul.csv", text + std::string("7,\0\n", 4));
  REQUIRE_THROWS_WITH(read_csv(nul.path), Catch::Contains("t_big_nul.csv:100002: contains a NUL"));
}
