// Tests for include/xgrad/data/preprocess.hpp: statistics from the training rows only, one-hot
// categories, imputation, name matching (column order free), unseen categories and classes, and
// the checks on restored (saved) columns. Expected numbers are computed by hand in comments.
#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <xgrad/data/preprocess.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace xg;
using namespace xg::data;

TEST_CASE("Preprocessor::fit: statistics of the training rows, categories of the file",
          "[preprocess]") {
  const Table t = parse_csv(
      "x,color,y\n"
      "1,red,a\n"
      "3,blue,b\n"
      "NA,red,a\n"
      "100,green,b\n",  // row 3: not a training row; its category still belongs to the file
      "train.csv");
  const std::vector<std::size_t> train{0, 1, 2};
  const auto p = Preprocessor::fit(t, train, {"y"}, {Impute::Mean});
  REQUIRE(p.columns().size() == 2);
  const InputColumn& x = p.columns()[0];
  REQUIRE(x.mean == 2.0);   // mean of 1 and 3 (row 2 missing, row 3 not training)
  REQUIRE(x.scale == 1.0);  // population std of {1, 3}
  REQUIRE(*x.fill == 2.0);
  const InputColumn& color = p.columns()[1];
  REQUIRE(color.categories == std::vector<std::string>{"blue", "green", "red"});
  REQUIRE(*color.fill_category == "red");  // the most frequent in the training rows
  REQUIRE(p.width() == 4);
  REQUIRE(p.feature_names() ==
          std::vector<std::string>{"x", "color=blue", "color=green", "color=red"});
  // Row 2: x missing -> fill 2 -> (2 - 2) / 1 = 0; row 3: (100 - 2) / 1 = 98.
  REQUIRE(p.transform(t).to_vector() ==
          std::vector<float>{-1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 98, 0, 1, 0});
  SECTION("median and mode fills") {
    const Table u = parse_csv("v\n1\n1\n5\n8\n?\n", "u.csv");
    const std::vector<std::size_t> rows{0, 1, 2, 3};
    REQUIRE(*Preprocessor::fit(u, rows, {}, {Impute::Median}).columns()[0].fill == 3.0);
    REQUIRE(*Preprocessor::fit(u, rows, {}, {Impute::Mode}).columns()[0].fill == 1.0);
    REQUIRE_FALSE(Preprocessor::fit(u, rows, {}, {Impute::None}).columns()[0].fill);
  }
}

TEST_CASE("Preprocessor::transform matches columns by name, in any order", "[preprocess]") {
  const Table train = parse_csv("a,b,c\n1,x,10\n2,y,20\n3,x,30\n", "train.csv");
  const auto p = Preprocessor::fit(train, {0, 1, 2}, {}, {});
  const Table reordered = parse_csv("c,extra,b,a\n10,0,x,1\n20,0,y,2\n30,0,x,3\n", "new.csv");
  REQUIRE(p.transform(reordered).to_vector() == p.transform(train).to_vector());

  const Table missing = parse_csv("c,b\n1,x\n", "new.csv");
  REQUIRE_THROWS_WITH(p.transform(missing), Catch::Contains("new.csv: no column named 'a'"));
  const Table unseen = parse_csv("a,b,c\n1,x,1\n2,z,2\n", "new.csv");
  REQUIRE_THROWS_WITH(p.transform(unseen),
                      Catch::Contains("new.csv:3: column 2 ('b'): 'z' is not a category") &&
                          Catch::Contains("(x, y)"));
  // Unknown::Ignore: all zeros in b's block ([x, y] one-hot).
  const auto z = p.transform(unseen, Unknown::Ignore).to_vector();
  REQUIRE(z[4] == 0.0f);
  REQUIRE(z[5] == 0.0f);
  const Table gap = parse_csv("a,b,c\n1,x,NA\n", "gap.csv");
  REQUIRE_THROWS_WITH(p.transform(gap),
                      Catch::Contains("gap.csv:2: column 3 ('c'): missing value"));
  const Table text = parse_csv("a,b,c\nfoo,x,1\n", "text.csv");
  REQUIRE_THROWS_WITH(p.transform(text), Catch::Contains("text.csv:2: column 1 ('a')") &&
                                             Catch::Contains("holds text ('foo')") &&
                                             Catch::Contains("the model reads numbers"));
  // csv_options() reads a file as the training file was typed: b as text even if it is digits.
  const Table digits = parse_csv("a,b,c\n1,7,1\n", "digits.csv", p.csv_options());
  REQUIRE(digits.find("b")->categorical);
}

TEST_CASE("Preprocessor: saved categories keep their one-hot order", "[preprocess]") {
  InputColumn c;
  c.name = "c";
  c.categorical = true;
  c.categories = {"red", "blue"};  // not sorted (e.g. written by another tool): order is kept
  c.fill_category = "blue";
  const Preprocessor p(std::vector<InputColumn>{c});
  const Table t = parse_csv("c\nblue\nred\nNA\n", "c.csv");
  REQUIRE(p.transform(t).to_vector() == std::vector<float>{0, 1, 1, 0, 0, 1});
}

TEST_CASE("Preprocessor refuses inconsistent saved columns", "[preprocess]") {
  const auto bad = [](InputColumn c) { return Preprocessor(std::vector<InputColumn>{c}); };
  const auto named = [](const char* name) {
    InputColumn c;
    c.name = name;
    return c;
  };
  InputColumn numeric = named("x");
  numeric.scale = 0;
  REQUIRE_THROWS_WITH(bad(numeric), Catch::Contains("'x'") && Catch::Contains("scale"));
  numeric.scale = 1;
  numeric.mean = NAN;
  REQUIRE_THROWS_WITH(bad(numeric), Catch::Contains("mean must be finite"));
  InputColumn cat = named("c");
  cat.categorical = true;
  cat.categories = {"a", "a"};
  REQUIRE_THROWS_WITH(bad(cat), Catch::Contains("a category appears twice"));
  cat.categories = {"a", "b"};
  cat.fill_category = "z";
  REQUIRE_THROWS_WITH(bad(cat), Catch::Contains("fill category 'z'"));
  REQUIRE_THROWS_WITH(Preprocessor(std::vector<InputColumn>{named("x"), named("x")}),
                      Catch::Contains("appears twice"));
}

TEST_CASE("Preprocessor::transform refuses a cell whose standardised value overflows float",
          "[preprocess]") {
  InputColumn x;
  x.name = "x";
  x.mean = 0;
  x.scale = 0.5;
  const Preprocessor p({x});
  // 3e38 is a float (< 3.4e38), but (3e38 - 0) / 0.5 = 6e38 is not: line 3, column 1.
  const Table t = parse_csv("x\n1\n3e38\n", "new.csv");
  REQUIRE_THROWS_WITH(p.transform(t), Catch::Contains("new.csv:3: column 1 ('x'): 3") &&
                                          Catch::Contains("standardises to inf"));
  // -1 / 0.5 = -2: ordinary cells are unchanged.
  REQUIRE(p.transform(parse_csv("x\n-1\n", "new.csv")).to_vector() == std::vector<float>{-2});
}

TEST_CASE("Target: classes by value or by name, regression scaling, unknown classes",
          "[preprocess]") {
  const Table t = parse_csv("x,y\n1,2\n2,0\n3,2\n4,1\n", "t.csv");
  const auto target = Target::fit(t, "y", Task::Auto, {0, 1, 2, 3});
  REQUIRE(target.classification);
  REQUIRE(target.class_names == std::vector<std::string>{"0", "1", "2"});
  REQUIRE(target.class_values() == std::vector<double>{0, 1, 2});
  // An evaluation file writes the class 2 as 2.0: the same value, the same class.
  const Table eval = parse_csv("x,y\n5,2.0\n6,1\n", "eval.csv");
  REQUIRE(target.transform(eval, {0, 1}).to_vector() == std::vector<float>{2, 1});
  const Table unseen = parse_csv("x,y\n5,2\n6,7\n", "eval.csv");
  REQUIRE_THROWS_WITH(target.transform(unseen, {0, 1}),
                      Catch::Contains("eval.csv:3: column 2 ('y'): class '7' is not one the model "
                                      "knows (0, 1, 2)"));

  const Table r = parse_csv("x,price\n1,10.5\n2,12.5\n3,100\n", "r.csv");
  const auto reg = Target::fit(r, "price", Task::Auto, {0, 1});  // rows 0, 1: mean 11.5, std 1
  REQUIRE_FALSE(reg.classification);
  REQUIRE(reg.mean == 11.5);
  REQUIRE(reg.scale == 1.0);
  REQUIRE(reg.transform(r, {2}).to_vector() == std::vector<float>{88.5f});

  Target broken = target;
  broken.class_names = {"a", "a"};
  broken.numeric = false;
  REQUIRE_THROWS_WITH(broken.validate(), Catch::Contains("appears twice"));
  broken.class_names = {"1", "x"};
  broken.numeric = true;
  REQUIRE_THROWS_WITH(broken.validate(), Catch::Contains("'x' is not a number"));
}

TEST_CASE("Target refuses integer class labels float cannot tell apart", "[preprocess]") {
  // Float holds every integer up to 2^24 = 16777216; 100000001 and 100000002 both read as 1e8.
  const Table big = parse_csv("x,y\n0,100000001\n1,100000002\n2,100000003\n", "big.csv");
  for (Task task : {Task::Auto, Task::Classification})
    REQUIRE_THROWS_WITH(Target::fit(big, "y", task, {0, 1, 2}),
                        Catch::Contains("big.csv:2: column 2 ('y'): the class label reads as "
                                        "100000000") &&
                            Catch::Contains("2^24"));
  // 16777216 itself may be 16777217 rounded; 16777215 is exact.
  const Table edge = parse_csv("x,y\n0,1\n1,-16777216\n", "edge.csv");
  REQUIRE_THROWS_WITH(Target::fit(edge, "y", Task::Auto, {0, 1}), Catch::Contains("edge.csv:3"));
  const Table exact = parse_csv("x,y\n0,1\n1,16777215\n", "exact.csv");
  REQUIRE(Target::fit(exact, "y", Task::Auto, {0, 1}).class_names ==
          std::vector<std::string>{"1", "16777215"});
  // Regression reads the same values as numbers: no identity to keep.
  REQUIRE_FALSE(Target::fit(big, "y", Task::Regression, {0, 1, 2}).classification);
}

TEST_CASE("Preprocessor::fit refuses more one-hot features than the limit", "[preprocess]") {
  // 5001 rows, two text columns of 5001 distinct values each: 10002 one-hot inputs > 10000.
  std::string csv = "a,b,y\n";
  std::vector<std::size_t> rows;
  for (std::size_t i = 0; i <= 5000; ++i) {
    csv += fmt::format("p{},q{},{}\n", i, i, i % 2);
    rows.push_back(i);
  }
  const Table t = parse_csv(csv, "ids.csv");
  REQUIRE_THROWS_WITH(Preprocessor::fit(t, rows, {"y"}),
                      Catch::Contains("ids.csv: the text columns one-hot encode to 10002 inputs, "
                                      "more than the limit 10000") &&
                          Catch::Contains("'a' 5001, 'b' 5001") && Catch::Contains("--ignore"));
  REQUIRE(Preprocessor::fit(t, rows, {"y", "b"}).width() == 5001);  // one column fits
}
