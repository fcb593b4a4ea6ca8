// Tests for include/xgrad/data/datasets.hpp: generators (shapes, class balance, geometry,
// determinism), CSV loading and its errors, train/test split, batches, standardisation.
#include <catch2/catch.hpp>
#include <xgrad/data/datasets.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace xg;

namespace {

std::map<long, std::size_t> class_counts(const Tensor& y) {
  std::map<long, std::size_t> c;
  for (float v : y.to_vector()) ++c[long(v)];
  return c;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

// A temporary CSV file in the working directory, removed at the end of the test.
struct TempCsv {
  std::string path;
  TempCsv(const std::string& name, const std::string& text) : path(name) {
    std::ofstream(path) << text;
  }
  ~TempCsv() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("generators have the documented shapes and exact class sizes", "[data]") {
  SECTION("xor_gate(): the four corners with XOR labels") {
    auto d = data::xor_gate();
    REQUIRE(d.x.shape() == Shape{4, 2});
    REQUIRE(d.x.to_vector() == std::vector<float>{0, 0, 0, 1, 1, 0, 1, 1});
    REQUIRE(d.y.to_vector() == std::vector<float>{0, 1, 1, 0});
    REQUIRE(d.classes == 2);
  }
  SECTION("noisy xor: balanced, labels are the XOR of the nearest corner") {
    auto d = data::xor_gate(400, 0.1, 3);
    REQUIRE(d.x.shape() == Shape{400, 2});
    REQUIRE(class_counts(d.y) == std::map<long, std::size_t>{{0, 200}, {1, 200}});
    std::size_t agree = 0;  // with noise 0.1 almost every point stays in its corner's quadrant
    for (std::size_t i = 0; i < 400; ++i)
      agree += ((d.x.at(i, 0) > 0.5f) != (d.x.at(i, 1) > 0.5f)) == (d.y.at(i) == 1.0f);
    REQUIRE(agree >= 396);
  }
  SECTION("two_moons(101): 50 outer, 51 inner, exactly on the half circles without noise") {
    auto d = data::two_moons(101, 0.0, 5);
    REQUIRE(d.x.shape() == Shape{101, 2});
    REQUIRE(d.y.shape() == Shape{101});
    REQUIRE(class_counts(d.y) == std::map<long, std::size_t>{{0, 50}, {1, 51}});
    for (std::size_t i = 0; i < 101; ++i) {
      const double x = d.x.at(i, 0), y = d.x.at(i, 1);
      if (d.y.at(i) == 0) {  // sklearn: (cos t, sin t), t in [0, π]
        REQUIRE(x * x + y * y == Approx(1.0).margin(1e-6));
        REQUIRE(y >= -1e-6);
      } else {  // (1 - cos t, 1 - sin t - 0.5)
        REQUIRE((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5) == Approx(1.0).margin(1e-6));
        REQUIRE(y <= 0.5 + 1e-6);
      }
    }
  }
  SECTION("circles: radius 1 for class 0 and factor for class 1") {
    auto d = data::circles(200, 0.0, 0.4, 2);
    REQUIRE(class_counts(d.y) == std::map<long, std::size_t>{{0, 100}, {1, 100}});
    for (std::size_t i = 0; i < 200; ++i) {
      const double r = std::hypot(double(d.x.at(i, 0)), double(d.x.at(i, 1)));
      REQUIRE(r == Approx(d.y.at(i) == 0 ? 1.0 : 0.4).margin(1e-6));
    }
  }
  SECTION("spiral(300, 3): 900 points, 300 per class, radius in [0, 1]") {
    auto [X, y] = data::spiral(300, 3, 7);  // structured binding
    REQUIRE(X.shape() == Shape{900, 2});
    REQUIRE(y.shape() == Shape{900});
    REQUIRE(class_counts(y) == std::map<long, std::size_t>{{0, 300}, {1, 300}, {2, 300}});
    for (std::size_t i = 0; i < 900; ++i)
      REQUIRE(std::hypot(double(X.at(i, 0)), double(X.at(i, 1))) <= 1.0 + 1e-6);
  }
  SECTION("spiral without noise: angle t = 4(k + r) for radius r (CS231n's formula)") {
    auto d = data::spiral(50, 2, 1, 0.0);
    for (std::size_t i = 0; i < 100; ++i) {
      const double x = d.x.at(i, 0), y = d.x.at(i, 1), r = std::hypot(x, y);
      if (r < 1e-3) continue;
      const double t = 4.0 * (d.y.at(i) + r);  // x = r sin t, y = r cos t
      REQUIRE(x == Approx(r * std::sin(t)).margin(1e-5));
      REQUIRE(y == Approx(r * std::cos(t)).margin(1e-5));
    }
  }
  SECTION("blobs: counts n/centers (+1 for the first n % centers), within-class std") {
    auto d = data::blobs(1001, 4, 0.5, 9, 3);
    REQUIRE(d.x.shape() == Shape{1001, 3});
    REQUIRE(class_counts(d.y) ==
            std::map<long, std::size_t>{{0, 251}, {1, 250}, {2, 250}, {3, 250}});
    // Pooled within-class variance of each feature ≈ std² = 0.25 (1001 samples: ±10 %).
    for (std::size_t f = 0; f < 3; ++f) {
      std::vector<double> sum(4), sq(4);
      std::vector<std::size_t> n(4);
      for (std::size_t i = 0; i < 1001; ++i) {
        const auto k = std::size_t(d.y.at(i));
        sum[k] += d.x.at(i, f), sq[k] += double(d.x.at(i, f)) * d.x.at(i, f), ++n[k];
      }
      double within = 0;
      for (std::size_t k = 0; k < 4; ++k) within += sq[k] - sum[k] * sum[k] / double(n[k]);
      REQUIRE(within / 1001 == Approx(0.25).epsilon(0.1));
    }
  }
  SECTION("triangles_vs_circles: triangles inside the triangle, circles outside the margin") {
    auto d = data::triangles_vs_circles(300, 4);
    REQUIRE(class_counts(d.y) == std::map<long, std::size_t>{{0, 150}, {1, 150}});
    // Equilateral triangle of circumradius 1, apex (0, 1): its edges are the lines at distance
    // 1/2 from the centre with outward normals at 90°+60°, 90°+180°, 90°+300° (i.e. the inside
    // is {p : p·n_i <= R/2 · s}). Scale s = 1 for triangles, 1.3 for the circles' margin.
    const double normals[3] = {M_PI / 2 + M_PI / 3, M_PI / 2 + M_PI, M_PI / 2 + 5 * M_PI / 3};
    auto inside = [&](double x, double y, double s) {
      for (double a : normals)
        if (x * std::cos(a) + y * std::sin(a) > 0.5 * s + 1e-6) return false;
      return true;
    };
    for (std::size_t i = 0; i < 300; ++i) {
      const double x = d.x.at(i, 0), y = d.x.at(i, 1);
      if (d.y.at(i) == 1) {
        REQUIRE(inside(x, y, 1.0));
      } else {
        REQUIRE_FALSE(inside(x, y, 1.3 - 2e-6));
        REQUIRE(std::hypot(x, y) <= 2.0 + 1e-6);
      }
    }
  }
}

TEST_CASE("generators are deterministic per seed and differ across seeds", "[data]") {
  REQUIRE(same_values(data::two_moons(200, 0.1, 3).x, data::two_moons(200, 0.1, 3).x));
  REQUIRE(same_values(data::spiral(100, 3, 3).x, data::spiral(100, 3, 3).x));
  REQUIRE(same_values(data::blobs(100, 3, 1.0, 3).y, data::blobs(100, 3, 1.0, 3).y));
  REQUIRE(same_values(data::triangles_vs_circles(100, 3).x, data::triangles_vs_circles(100, 3).x));
  REQUIRE_FALSE(same_values(data::two_moons(200, 0.1, 3).x, data::two_moons(200, 0.1, 4).x));
  REQUIRE_FALSE(same_values(data::circles(200, 0.1, 0.5, 3).x, data::circles(200, 0.1, 0.5, 4).x));
  REQUIRE_FALSE(same_values(data::xor_gate(40, 0.1, 1).x, data::xor_gate(40, 0.1, 2).x));
}

TEST_CASE("generators reject bad parameters", "[data]") {
  REQUIRE_THROWS_WITH(data::circles(100, 0.1, 1.5, 1), Catch::Contains("factor must be in (0, 1)"));
  REQUIRE_THROWS_WITH(data::two_moons(100, -0.1, 1), Catch::Contains("noise must be >= 0"));
  REQUIRE_THROWS_WITH(data::spiral(10, 1, 1), Catch::Contains("classes must be >= 2"));
  REQUIRE_THROWS_WITH(data::blobs(2, 3, 1.0, 1), Catch::Contains("n must be >= centers"));
  REQUIRE_THROWS_AS(data::xor_gate(3, 0.1, 1), std::invalid_argument);
}

TEST_CASE("batches cover every sample exactly once per epoch, last batch partial", "[data]") {
  const std::size_t n = 103;
  std::vector<float> xs(n * 2), ys(n);
  for (std::size_t i = 0; i < n; ++i)
    xs[2 * i] = float(i), xs[2 * i + 1] = -float(i), ys[i] = float(i);
  const Tensor X = Tensor::from(xs, {n, 2}), y = Tensor::from(ys, {n});

  for (std::uint64_t epoch : {0, 1, 2}) {
    std::vector<int> seen(n, 0);
    std::vector<std::size_t> sizes;
    std::vector<float> order;
    for (auto [xb, yb] : data::batches(X, y, 25, epoch)) {
      sizes.push_back(xb.size(0));
      REQUIRE(yb.shape() == Shape{xb.size(0)});
      for (std::size_t i = 0; i < xb.size(0); ++i) {
        REQUIRE(xb.at(i, 0) == yb.at(i));  // rows stay paired with their labels
        REQUIRE(xb.at(i, 1) == -yb.at(i));
        ++seen[std::size_t(yb.at(i))];
        order.push_back(yb.at(i));
      }
    }
    REQUIRE(sizes == std::vector<std::size_t>{25, 25, 25, 25, 3});
    for (int s : seen) REQUIRE(s == 1);
    // Shuffled: not the identity order (probability 1/103! of a false failure).
    std::vector<float> identity(n);
    for (std::size_t i = 0; i < n; ++i) identity[i] = float(i);
    REQUIRE(order != identity);
  }
  auto first = [&](std::uint64_t seed) {
    return (*data::batches(X, y, 10, seed).begin()).second.to_vector();
  };
  REQUIRE(first(5) == first(5));
  REQUIRE(first(5) != first(6));

  SECTION("without a seed the order is the row order") {
    float expect = 0;
    for (auto [xb, yb] : data::batches(X, y, 50))
      for (float v : yb.to_vector()) REQUIRE(v == expect++);
    REQUIRE(expect == float(n));
  }
  SECTION("errors") {
    REQUIRE_THROWS_WITH(data::batches(X, Tensor::zeros({5}), 10, 1),
                        Catch::Contains("same number of rows"));
    REQUIRE_THROWS_WITH(data::batches(X, y, 0, 1), Catch::Contains("batch_size must be >= 1"));
  }
}

TEST_CASE("train_test_split: ceil(f·N) test rows, disjoint, complete, paired", "[data]") {
  const std::size_t n = 50;
  std::vector<float> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = float(i), ys[i] = float(i) + 1000;
  auto [xtr, ytr, xte, yte] =
      data::train_test_split(Tensor::from(xs, {n, 1}), Tensor::from(ys, {n}), 0.21, 3);
  REQUIRE(xte.shape() == Shape{11, 1});  // ceil(0.21 * 50) = 11
  REQUIRE(xtr.shape() == Shape{39, 1});
  std::set<float> all;
  for (std::size_t i = 0; i < 39; ++i) {
    REQUIRE(ytr.at(i) == xtr.at(i, 0) + 1000);
    all.insert(xtr.at(i, 0));
  }
  for (std::size_t i = 0; i < 11; ++i) {
    REQUIRE(yte.at(i) == xte.at(i, 0) + 1000);
    all.insert(xte.at(i, 0));
  }
  REQUIRE(all.size() == n);
  auto again = data::train_test_split(Tensor::from(xs, {n, 1}), Tensor::from(ys, {n}), 0.21, 3);
  REQUIRE(again.x_test.to_vector() == xte.to_vector());
  REQUIRE_THROWS_WITH(
      data::train_test_split(Tensor::from(xs, {n, 1}), Tensor::from(ys, {n}), 1.0, 3),
      Catch::Contains("test_fraction must be in (0, 1)"));
}

TEST_CASE("Standardizer: fit on train, same statistics on test, constant column", "[data]") {
  // Columns: 1,2,3,4 (mean 2.5, population std sqrt(1.25)) and a constant 7.
  const Tensor train = Tensor::from({1, 7, 2, 7, 3, 7, 4, 7}, {4, 2});
  data::Standardizer s;
  const Tensor z = s.fit_transform(train);
  REQUIRE(s.mean()[0] == Approx(2.5));
  REQUIRE(s.std()[0] == Approx(std::sqrt(1.25)));
  REQUIRE(s.std()[1] == 1.0);  // a constant column keeps scale 1
  for (std::size_t i = 0; i < 4; ++i) {
    REQUIRE(z.at(i, 0) == Approx((double(i + 1) - 2.5) / std::sqrt(1.25)));
    REQUIRE(z.at(i, 1) == 0.0f);
  }
  const Tensor test = Tensor::from({10, 8}, {1, 2});
  const Tensor zt = s.transform(test);
  REQUIRE(zt.at(0, 0) == Approx((10 - 2.5) / std::sqrt(1.25)));
  REQUIRE(zt.at(0, 1) == Approx(1.0));
  const Tensor back = s.inverse_transform(zt);
  REQUIRE(back.at(0, 0) == Approx(10.0));
  REQUIRE_THROWS_WITH(s.transform(Tensor::zeros({2, 3})), Catch::Contains("2 columns"));
  REQUIRE_THROWS_AS(data::Standardizer().transform(test), std::logic_error);
}

TEST_CASE("load_csv reads a table; classification vs regression", "[data][csv]") {
  SECTION("integral target with few values: classification, labels remapped in sorted order") {
    TempCsv f("t_class.csv", "a, b ,\"label\"\n1.5,2,5\n\n-3,4e1,3\r\n0,0,5\n");
    auto d = data::load_csv(f.path, "label");
    REQUIRE(d.x.shape() == Shape{3, 2});
    REQUIRE(d.x.to_vector() == std::vector<float>{1.5f, 2, -3, 40, 0, 0});
    REQUIRE(d.y.to_vector() == std::vector<float>{1, 0, 1});  // 3 -> 0, 5 -> 1
    REQUIRE(d.classes == 2);
    REQUIRE(d.class_values == std::vector<double>{3, 5});
    REQUIRE(d.feature_names == std::vector<std::string>{"a", "b"});
  }
  SECTION("target in the middle, non-integral values: regression [N, 1]") {
    TempCsv f("t_reg.csv", "a,price,b\n1,0.5,2\n3,1.25,4\n");
    auto d = data::load_csv(f.path, "price");
    REQUIRE(d.classes == 0);
    REQUIRE(d.y.shape() == Shape{2, 1});
    REQUIRE(d.y.to_vector() == std::vector<float>{0.5f, 1.25f});
    REQUIRE(d.x.to_vector() == std::vector<float>{1, 2, 3, 4});
    REQUIRE(d.feature_names == std::vector<std::string>{"a", "b"});
  }
  SECTION("the caller can force the task") {
    TempCsv f("t_force.csv", "a,y\n1,0\n2,1\n3,2\n");
    REQUIRE(data::load_csv(f.path, "y", data::Task::Regression).classes == 0);
    REQUIRE(data::load_csv(f.path, "y", data::Task::Classification).classes == 3);
    TempCsv g("t_force2.csv", "a,y\n1,0\n2,1.5\n");
    REQUIRE_THROWS_WITH(data::load_csv(g.path, "y", data::Task::Classification),
                        Catch::Contains("t_force2.csv:3") && Catch::Contains("not an integer"));
  }
}

TEST_CASE("load_csv: string labels, one-hot features, missing cells", "[data][csv]") {
  SECTION("text target: classes named by their strings, sorted") {
    TempCsv f("t_iris.csv",
              "petal;species\n1.4;setosa\n4.7;versicolor\n1.3;setosa\n6.0;virginica\n");
    auto d = data::load_csv(f.path, "species");
    REQUIRE(d.classes == 3);
    REQUIRE(d.class_names == std::vector<std::string>{"setosa", "versicolor", "virginica"});
    REQUIRE(d.class_values.empty());  // text classes have no numeric value
    REQUIRE(d.y.to_vector() == std::vector<float>{0, 1, 0, 2});
  }
  SECTION("text features: one column per category (sorted), in file order") {
    TempCsv f("t_onehot.csv", "size,color,y\n1,red,0\n2,blue,1\n3,red,1\n");
    auto d = data::load_csv(f.path, "y");
    REQUIRE(d.feature_names == std::vector<std::string>{"size", "color=blue", "color=red"});
    REQUIRE(d.x.to_vector() == std::vector<float>{1, 0, 1, 2, 1, 0, 3, 0, 1});
    REQUIRE(d.class_names == std::vector<std::string>{"0", "1"});
  }
  SECTION("missing cells: an error naming the cell, or imputed") {
    TempCsv f("t_missing.csv", "a,b,y\n1,NA,0\n3,4,1\n5,10,1\n2,?,0\n");
    REQUIRE_THROWS_WITH(data::load_csv(f.path, "y"),
                        Catch::Contains("t_missing.csv:2: column 2 ('b'): missing value"));
    const auto mean = data::load_csv(f.path, "y", data::Task::Auto, {}, data::Impute::Mean);
    REQUIRE(mean.x.to_vector() == std::vector<float>{1, 7, 3, 4, 5, 10, 2, 7});  // (4 + 10) / 2
    TempCsv g("t_missing3.csv", "b,y\n1,0\n2,1\n9,1\n,0\n");
    const auto median = data::load_csv(g.path, "y", data::Task::Auto, {}, data::Impute::Median);
    REQUIRE(median.x.to_vector() == std::vector<float>{1, 2, 9, 2});
  }
}

TEST_CASE("load_csv errors name the file, line and column", "[data][csv]") {
  TempCsv bad("t_bad.csv", "x1,x2,y\n1,2,0\n3,abc,1\n");
  REQUIRE_THROWS_WITH(data::load_csv(bad.path, "y"), Catch::Contains("t_bad.csv:3") &&
                                                         Catch::Contains("column 2 ('x2')") &&
                                                         Catch::Contains("'abc' is not a number"));
  TempCsv count("t_count.csv", "x1,x2,y\n1,2,0\n3,1\n");
  REQUIRE_THROWS_WITH(data::load_csv(count.path, "y"), Catch::Contains("t_count.csv:3") &&
                                                           Catch::Contains("expected 3 fields") &&
                                                           Catch::Contains("found 2"));
  TempCsv inf("t_inf.csv", "x1,y\ninf,0\n1,1\n");
  REQUIRE_THROWS_WITH(data::load_csv(inf.path, "y"), Catch::Contains("not a finite number"));
  TempCsv good("t_good.csv", "x1,x2,y\n1,2,0\n");
  REQUIRE_THROWS_WITH(data::load_csv(good.path, "target"),
                      Catch::Contains("no column named 'target'") && Catch::Contains("x1, x2, y"));
  REQUIRE_THROWS_WITH(data::load_csv("no_such_file.csv", "y"),
                      Catch::Contains("cannot open 'no_such_file.csv'"));
  TempCsv header_only("t_header.csv", "x1,y\n");
  REQUIRE_THROWS_WITH(data::load_csv(header_only.path, "y"), Catch::Contains("no data rows"));
  // One class is nothing to learn: an error, not a silent switch to regression.
  TempCsv one_class("t_one.csv", "x,y\n1,3\n2,3\n");
  REQUIRE_THROWS_WITH(data::load_csv(one_class.path, "y"),
                      Catch::Contains("the same value (3) in every row"));
  TempCsv one_text("t_one_text.csv", "x,y\n1,cat\n2,cat\n");
  REQUIRE_THROWS_WITH(data::load_csv(one_text.path, "y"),
                      Catch::Contains("at least 2 classes") && Catch::Contains("only 'cat'"));
  REQUIRE(data::load_csv(one_class.path, "y", data::Task::Regression).classes == 0);
  TempCsv missing_target("t_no_y.csv", "x,y\n1,0\n2,\n3,1\n");
  REQUIRE_THROWS_WITH(data::load_csv(missing_target.path, "y"),
                      Catch::Contains("t_no_y.csv:3: column 2 ('y'): the target is missing"));
  TempCsv text_regression("t_text_reg.csv", "x,y\n1,a\n2,b\n");
  REQUIRE_THROWS_WITH(data::load_csv(text_regression.path, "y", data::Task::Regression),
                      Catch::Contains("t_text_reg.csv:2: column 2 ('y'): 'a' is not a number"));
  TempCsv only_target("t_only_y.csv", "y\n1\n2\n");
  REQUIRE_THROWS_WITH(data::load_csv(only_target.path, "y"),
                      Catch::Contains("no input columns besides y"));
}

TEST_CASE("split_rows: sizes, disjoint parts, stratification", "[data]") {
  SECTION("unstratified: ceil(f·n) test, ceil(g·n) validation, the rest trains") {
    const auto s = data::split_rows(50, 0.21, 0.1, 3);
    REQUIRE(s.test.size() == 11);
    REQUIRE(s.validation.size() == 5);
    REQUIRE(s.train.size() == 34);
    std::set<std::size_t> all(s.train.begin(), s.train.end());
    all.insert(s.test.begin(), s.test.end());
    all.insert(s.validation.begin(), s.validation.end());
    REQUIRE(all.size() == 50);
    REQUIRE(data::split_rows(50, 0.21, 0.1, 3).test == s.test);  // seeded
    REQUIRE(data::split_rows(50, 0.21, 0.1, 4).test != s.test);
  }
  SECTION("no test set: every row trains") {
    const auto s = data::split_rows(7, 0.0, 0.0, 1);
    REQUIRE(s.train.size() == 7);
    REQUIRE(s.test.empty());
  }
  SECTION("stratified: each class in proportion") {
    // 60 rows of class 0, 30 of 1, 10 of 2; 20% test -> 12, 6, 2 exactly.
    std::vector<std::int64_t> y;
    for (int c : {0, 1, 2})
      for (int i = 0; i < (c == 0 ? 60 : c == 1 ? 30 : 10); ++i) y.push_back(c);
    const auto s = data::split_rows(100, 0.2, 0.1, 5, y);
    std::map<std::int64_t, std::size_t> test, val;
    for (auto r : s.test) ++test[y[r]];
    for (auto r : s.validation) ++val[y[r]];
    REQUIRE(test == std::map<std::int64_t, std::size_t>{{0, 12}, {1, 6}, {2, 2}});
    REQUIRE(val == std::map<std::int64_t, std::size_t>{{0, 6}, {1, 3}, {2, 1}});
    REQUIRE(s.train.size() == 70);
  }
  SECTION("stratified rounding: largest remainders, totals as unstratified") {
    // 5 + 5 + 3 rows, 30% -> ceil(3.9) = 4 test rows; quotas 1.5, 1.5, 0.9: floors 1, 1, 0 and the
    // two largest remainders (0.9, then 0.5 of the smaller label) get one more: 2, 1, 1.
    const std::vector<std::int64_t> y{0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2};
    const auto s = data::split_rows(13, 0.3, 0.0, 9, y);
    std::map<std::int64_t, std::size_t> test;
    for (auto r : s.test) ++test[y[r]];
    REQUIRE(test == std::map<std::int64_t, std::size_t>{{0, 2}, {1, 1}, {2, 1}});
  }
  SECTION("errors") {
    REQUIRE_THROWS_WITH(data::split_rows(4, 0.5, 0.5, 1), Catch::Contains("sum below 1"));
    REQUIRE_THROWS_WITH(data::split_rows(2, 0.5, 0.1, 1), Catch::Contains("leave no training"));
    REQUIRE_THROWS_WITH(data::split_rows(3, 0.2, 0, 1, {0, 1}), Catch::Contains("2 strata"));
  }
}

TEST_CASE("generators refuse sizes beyond the tensor limit before generating anything") {
  // Unchecked, points_per_class * classes wrapped around (or ran for hours then bad_alloc).
  REQUIRE_THROWS_AS(data::spiral(SIZE_MAX / 2, 3, 1), std::length_error);
  REQUIRE_THROWS_WITH(
      data::spiral(4, std::size_t(1) << 62, 1),
      Catch::Contains("spiral(points_per_class, classes)") && Catch::Contains("2^40"));
  REQUIRE_THROWS_WITH(data::two_moons(SIZE_MAX, 0.1, 1), Catch::Contains("two_moons(n)"));
  REQUIRE_THROWS_WITH(data::circles(SIZE_MAX, 0.1, 0.5, 1), Catch::Contains("circles(n)"));
  REQUIRE_THROWS_WITH(data::xor_gate(SIZE_MAX, 0.1, 1), Catch::Contains("xor_gate(n)"));
  REQUIRE_THROWS_WITH(data::blobs(10, 2, 1.0, 1, SIZE_MAX), Catch::Contains("blobs(n, features)"));
  REQUIRE_THROWS_WITH(data::triangles_vs_circles(SIZE_MAX, 1),
                      Catch::Contains("triangles_vs_circles(n)"));
}

TEST_CASE("load_csv refuses a cell beyond float's range (found by fuzz_csv)", "[data]") {
  // 2e81 is finite as a double but inf as the float the tensor holds.
  {
    std::ofstream out("t_float_range.csv");
    out << "f,y\n1,0\n2" << std::string(81, '0') << ",1\n";
  }
  REQUIRE_THROWS_AS(data::load_csv("t_float_range.csv", "y"), std::runtime_error);
  REQUIRE_THROWS_WITH(data::load_csv("t_float_range.csv", "y"),
                      Catch::Contains("t_float_range.csv") && Catch::Contains(":3"));
  std::remove("t_float_range.csv");
}
