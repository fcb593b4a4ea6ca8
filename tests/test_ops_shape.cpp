// Shape ops: reshape, transpose, permute, slice, concat, stack, index_select, gather.
#include <limits>
#include <stdexcept>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("reshape and view keep row-major order; one size may be -1") {
  const Tensor t = Tensor::arange(0, 6);
  const Tensor r = t.reshape({2, 3});
  REQUIRE(r.shape() == Shape{2, 3});
  REQUIRE(r.at(1, 0) == 3.0f);
  REQUIRE(xg::reshape(t, {3, -1}).shape() == Shape{3, 2});
  REQUIRE(xg::flatten(Tensor::ones({2, 3, 4})).shape() == Shape{2, 12});
  REQUIRE_THROWS_WITH(t.reshape({4, 2}),
                      Catch::Contains("shape [4,2] is invalid for input of shape [6]"));
  REQUIRE_THROWS(xg::reshape(t, {4, -1}));
}

TEST_CASE("transpose and permute") {
  const Tensor m = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor mt = m.t();
  REQUIRE(mt.shape() == Shape{3, 2});
  require_values(mt, {1, 4, 2, 5, 3, 6});
  // PyTorch's t(): 0-d and 1-d tensors as they are, 3-d refused (it swapped dims 0 and 1).
  REQUIRE(Tensor::from({1, 2, 3}).t().shape() == Shape{3});
  REQUIRE(Tensor::full({}, 2).t().item() == 2.f);
  REQUIRE_THROWS_WITH(Tensor::ones({2, 3, 4}).t(),
                      "t: expects a tensor of at most 2 dimensions, got shape [2,3,4]; use "
                      "transpose(dim0, dim1)");
  const Tensor t = Tensor::arange(0, 24).reshape({2, 3, 4});
  const Tensor p = t.permute({2, 0, 1});  // p[k][i][j] = t[i][j][k]
  REQUIRE(p.shape() == Shape{4, 2, 3});
  REQUIRE(p.at(3, 1, 2) == t.at(1, 2, 3));
  REQUIRE(p.at(1, 0, 2) == t.at(0, 2, 1));
  REQUIRE_THROWS_WITH(t.permute({0, 0, 1}), Catch::Contains("repeats"));
}

TEST_CASE("slice along an axis with Python-style bounds") {
  const Tensor m = Tensor::arange(0, 12).reshape({3, 4});
  require_values(m.slice(0, 1, 3), {4, 5, 6, 7, 8, 9, 10, 11});
  require_values(m.slice(1, 0, 4, 2), {0, 2, 4, 6, 8, 10});
  require_values(m.slice(1, -1, 100), {3, 7, 11});  // negative start counts from the end
  REQUIRE(m.slice(0, 2, 1).numel() == 0);
  REQUIRE_THROWS_WITH(m.slice(0, 0, 2, 0), Catch::Contains("step must be >= 1"));
}

TEST_CASE("concat and stack") {
  const Tensor a = Tensor::from({1, 2}, {1, 2}), b = Tensor::from({3, 4, 5, 6}, {2, 2});
  const Tensor c = xg::concat<float>({a, b}, 0);
  REQUIRE(c.shape() == Shape{3, 2});
  require_values(c, {1, 2, 3, 4, 5, 6});
  require_values(xg::concat<float>({b, b}, 1), {3, 4, 3, 4, 5, 6, 5, 6});
  const Tensor s = xg::stack<float>({Tensor::from({1, 2}), Tensor::from({3, 4})}, 1);
  REQUIRE(s.shape() == Shape{2, 2});
  require_values(s, {1, 3, 2, 4});
  REQUIRE_THROWS_WITH(xg::concat<float>({a, b}, 1),
                      Catch::Contains("concat: shapes [1,2] and [2,2] differ outside axis 1"));
  REQUIRE_THROWS_WITH(xg::stack<float>({a, b}),
                      Catch::Contains("stack: shapes [1,2] and [2,2] differ"));
  require_values(xg::cat<float>({b, b}, 1), {3, 4, 3, 4, 5, 6, 5, 6});  // PyTorch's name
  // Braces without naming the type, as torch.cat([a, b], 1).
  require_values(xg::cat({b, b}, 1), {3, 4, 3, 4, 5, 6, 5, 6});
  REQUIRE(xg::concat({a, b}).shape() == Shape{3, 2});
  REQUIRE(xg::stack({a, a}).shape() == Shape{2, 1, 2});
}

TEST_CASE("index_select and gather") {
  const Tensor m = Tensor::from({1, 2, 3, 4, 5, 6}, {3, 2});
  require_values(xg::index_select(m, 0, {2, 0, 2}), {5, 6, 1, 2, 5, 6});
  require_values(xg::index_select(m, 1, {1}), {2, 4, 6});
  REQUIRE_THROWS_WITH(xg::index_select(m, 0, {3}),
                      Catch::Contains("index 3 is out of range for axis 0 of size 3"));
  // torch.gather(m, 1, [[1],[0],[1]]) picks one entry per row: [[2],[3],[6]]
  const Tensor g = xg::gather(m, 1, {1, 0, 1}, Shape{3, 1});
  REQUIRE(g.shape() == Shape{3, 1});
  require_values(g, {2, 3, 6});
  REQUIRE_THROWS(xg::gather(m, 1, {2, 0, 1}, Shape{3, 1}));
  REQUIRE_THROWS(xg::gather(m, 1, {0, 0}, Shape{2}));
}

TEST_CASE("shape op gradients (double-precision gradcheck)") {
  using F = std::function<TensorD(const std::vector<TensorD>&)>;
  const std::vector<std::pair<const char*, F>> ops = {
      {"reshape",
       [](const auto& in) {
         return xg::reshape(in[0], {4, -1});
       }},
      {"transpose", [](const auto& in) { return in[0].transpose(0, 2); }},
      {"permute",
       [](const auto& in) {
         return in[0].permute({1, 2, 0});
       }},
      {"slice", [](const auto& in) { return in[0].slice(2, 1, 4, 2); }},
      {"concat",
       [](const auto& in) {
         return xg::concat<double>({in[0], in[0] * 2.0}, 1);
       }},
      {"stack",
       [](const auto& in) {
         return xg::stack<double>({in[0], in[0] * in[0]}, 3);
       }},
      {"index_select",
       [](const auto& in) {
         return xg::index_select(in[0], 1, {2, 0, 2});
       }},
      {"gather",
       [](const auto& in) {
         return xg::gather(in[0], 2, {3, 3, 0, 1, 2, 0}, Shape{2, 1, 3});
       }},
  };
  for (const auto& [name, f] : ops) {
    INFO(name);
    require_gradcheck(f, {randd({2, 3, 4}, 41)});
  }
}

TEST_CASE("shape products are checked: an overflowing reshape or broadcast is refused") {
  const std::size_t big = std::size_t(1) << 32;
  // 2^32 * 2^32 wraps to 0, which equals an empty tensor's size: unchecked, it was accepted.
  REQUIRE_THROWS_AS(Tensor::zeros({0}).reshape({big, big}), std::length_error);
  REQUIRE_THROWS_WITH(xg::reshape(Tensor::zeros({0}), {long(big), long(big), -1}),
                      Catch::Contains("reshape: shape"));
  // Small inputs, huge output: [2^21, 1] + [1, 2^21] would be 2^42 elements.
  const Tensor column = Tensor::zeros({std::size_t(1) << 21, 1});
  const Tensor row = Tensor::zeros({1, std::size_t(1) << 21});
  REQUIRE_THROWS_WITH(column + row, Catch::Contains("add: shape [2097152,2097152]") &&
                                        Catch::Contains("limit per tensor"));
}

TEST_CASE("slice with a step near LONG_MAX takes one element (no overflow past the end)") {
  const Tensor t = Tensor::arange(0, 10);
  require_values(t.slice(0, 5, 10, std::numeric_limits<long>::max()), {5});
  require_values(t.slice(0, std::numeric_limits<long>::min(), 3), {0, 1, 2});
  require_values(t.slice(0, 8, std::numeric_limits<long>::max(), 1), {8, 9});
}
