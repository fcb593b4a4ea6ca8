// Tensor creation, inspection, interop and printing.
#include <xtensor/xmath.hpp>

#include <limits>
#include <stdexcept>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("tensors are built from values and a shape, row-major") {
  const Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(t.dim() == 2);
  REQUIRE(t.shape() == Shape{2, 3});
  REQUIRE(t.numel() == 6);
  REQUIRE(t.size(0) == 2);
  REQUIRE(t.size(-1) == 3);
  REQUIRE(t.at(1, 0) == 4.0f);
  REQUIRE(t.at(0, 2) == 3.0f);
  REQUIRE(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  REQUIRE_THROWS_WITH(Tensor::from({1, 2, 3}, {2, 2}),
                      Catch::Contains("3 values cannot fill shape [2,2]"));
  REQUIRE_THROWS_WITH(t.size(2), Catch::Contains("axis 2 is out of range"));
}

TEST_CASE("factories: zeros, ones, full, arange, eye, scalar") {
  require_values(Tensor::zeros({2, 2}), {0, 0, 0, 0});
  require_values(Tensor::ones({3}), {1, 1, 1});
  require_values(Tensor::full({2}, 7.5f), {7.5, 7.5});
  require_values(Tensor::arange(0, 5), {0, 1, 2, 3, 4});              // like torch.arange(5)
  require_values(Tensor::arange(1, 2, 0.25f), {1, 1.25, 1.5, 1.75});  // stop excluded
  require_values(Tensor::arange(5, 0, -2), {5, 3, 1});
  require_values(Tensor::eye(2), {1, 0, 0, 1});
  const Tensor s = Tensor::scalar(3);
  REQUIRE(s.dim() == 0);
  REQUIRE(s.item() == 3.0f);
  REQUIRE_THROWS_WITH(Tensor::ones({2}).item(), Catch::Contains("2 elements"));
  REQUIRE_THROWS(Tensor::arange(0, 1, 0));
}

TEST_CASE("randn and rand are reproducible from the seed and have the right moments") {
  const Tensor a = Tensor::randn({100000}, 42), b = Tensor::randn({100000}, 42),
               c = Tensor::randn({100000}, 43);
  REQUIRE(a.to_vector() == b.to_vector());
  REQUIRE(a.to_vector() != c.to_vector());
  // N(0,1): the sample mean has standard error 1/sqrt(n) ~ 0.0032; the variance ~0.0045.
  REQUIRE(a.mean().item() == Approx(0).margin(0.015));
  REQUIRE(((a * a).mean().item()) == Approx(1).margin(0.02));
  const Tensor u = Tensor::rand({100000}, 1, -2, 2);
  REQUIRE(u.min().item() >= -2.0f);
  REQUIRE(u.max().item() < 2.0f);
  // U(-2,2): mean 0, variance (b-a)^2/12 = 4/3.
  REQUIRE(u.mean().item() == Approx(0).margin(0.02));
  REQUIRE((u * u).mean().item() == Approx(4.0 / 3).margin(0.03));
}

TEST_CASE("the underlying xt::xarray is reachable for xtensor interop") {
  xt::xarray<float> x = {{1, 2}, {3, 4}};
  Tensor t(x);
  REQUIRE(t.shape() == Shape{2, 2});
  xt::xarray<float> doubled = t.data() * 2.0f;  // an xtensor expression on the tensor's values
  REQUIRE(doubled(1, 1) == 8.0f);
  t.data()(0, 0) = -1;  // writes go to the tensor
  REQUIRE(t.at(0, 0) == -1.0f);
  const xt::xarray<float> back = t.data();
  REQUIRE(back(1, 0) == 3.0f);
}

TEST_CASE("tensors print with fmt") {
  const Tensor t = Tensor::from({1, 2, 3, 4}, {2, 2});
  REQUIRE(fmt::format("{}", t) == "tensor([[1.0000, 2.0000], [3.0000, 4.0000]])");
  Tensor w = Tensor::from({0.5f}).requires_grad_();
  REQUIRE(fmt::format("{}", w) == "tensor([0.5000], requires_grad=true)");
  REQUIRE(fmt::format("{}", w * 2) == "tensor([1.0000], grad_fn=MulBackward)");
  REQUIRE(fmt::format("{}", Tensor::scalar(2)) == "tensor(2.0000)");
  const std::string big = fmt::format("{}", Tensor::arange(0, 2000));
  REQUIRE(big ==
          "tensor([0.0000, 1.0000, 2.0000, ..., 1997.0000, 1998.0000, 1999.0000], shape=[2000])");
  REQUIRE(fmt::format("{}", Tensor()) == "tensor(undefined)");
}

TEST_CASE("conversion between float and double copies values into a new leaf") {
  const Tensor t = Tensor::from({0.1f, -2.5f});
  const TensorD d = t.to<double>();
  REQUIRE(d.at(0) == double(0.1f));
  REQUIRE(d.at(1) == -2.5);
  REQUIRE_FALSE(d.requires_grad());
}

TEST_CASE("undefined tensors and non-leaf flags give clear errors") {
  Tensor undefined;
  REQUIRE_FALSE(undefined.defined());
  REQUIRE_THROWS_WITH(undefined.shape(), Catch::Contains("undefined tensor"));
  Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor y = x * 3;
  REQUIRE_THROWS_WITH(y.requires_grad_(false), Catch::Contains("only leaf tensors"));
}

// ---- sizes from outside: checked against the documented limit before anything is allocated ----

TEST_CASE("factories refuse shapes beyond 2^40 elements or whose product overflows") {
  const std::size_t big = std::size_t(1) << 32;  // 2^32 x 2^32 = 2^64 wraps to 0 unchecked
  REQUIRE(xg::kMaxElements == std::size_t(1) << 40);
  REQUIRE_THROWS_AS(Tensor::zeros({big, big}), std::length_error);
  REQUIRE_THROWS_WITH(
      Tensor::zeros({big, big}),
      Catch::Contains("Tensor::zeros: shape [4294967296,4294967296]") && Catch::Contains("2^40"));
  REQUIRE_THROWS_WITH(Tensor::ones({std::size_t(1) << 62}), Catch::Contains("Tensor::ones"));
  REQUIRE_THROWS_WITH(Tensor::full({3, SIZE_MAX}, 1.f), Catch::Contains("Tensor::full"));
  REQUIRE_THROWS_WITH(Tensor::randn({big, big}, 1), Catch::Contains("Tensor::randn"));
  REQUIRE_THROWS_WITH(Tensor::rand({big, big}, 1), Catch::Contains("Tensor::rand"));
  REQUIRE_THROWS_WITH(Tensor::eye(std::size_t(1) << 33), Catch::Contains("Tensor::eye"));
  REQUIRE_THROWS_WITH(Tensor::from({}, {big, big}), Catch::Contains("Tensor::from"));
  // An empty tensor's other dimensions still make its strides: [0, 2^32, 2^32] is refused too.
  REQUIRE_THROWS_AS(Tensor::from({}, {0, big, big}), std::length_error);
  REQUIRE(Tensor::zeros({0, big}).numel() == 0);  // a legitimately empty shape
  // One past the limit is refused; exactly at the limit the check passes (no allocation here:
  // the shape has a 0 dimension).
  REQUIRE_THROWS_AS(Tensor::zeros({0, xg::kMaxElements + 1}), std::length_error);
  REQUIRE(Tensor::zeros({0, xg::kMaxElements}).numel() == 0);
  REQUIRE_THROWS_WITH(Tensor::arange(0.f, 1e30f),
                      Catch::Contains("arange") && Catch::Contains("limit per tensor"));
}

TEST_CASE("factories refuse non-finite parameters") {
  const float inf = std::numeric_limits<float>::infinity(),
              nan = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_THROWS_WITH(Tensor::arange(0.f, 10.f, nan), Catch::Contains("step"));
  REQUIRE_THROWS_WITH(Tensor::arange(0.f, inf), Catch::Contains("finite"));
  REQUIRE_THROWS_WITH(Tensor::rand({3}, 1, 0.f, inf), Catch::Contains("rand: low and high"));
  REQUIRE_THROWS_WITH(Tensor::randn({3}, 1, nan), Catch::Contains("randn: mean"));
  REQUIRE_THROWS_WITH(Tensor::randn({3}, 1, 0.f, -1.f), Catch::Contains("stddev"));
}

TEST_CASE("at() checks the number of indices and each index, naming the shape") {
  const Tensor t = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3});
  REQUIRE(t.at(1, 2) == 6.0f);
  REQUIRE(t.at(-1, -1) == 6.0f);  // negative indices count from the end, as in PyTorch
  REQUIRE(t.at(-2, 0) == 1.0f);
  REQUIRE_THROWS_AS(t.at(2, 3), std::out_of_range);
  REQUIRE_THROWS_WITH(t.at(2, 3), Catch::Contains("index (2, 3) is out of range for shape [2,3]"));
  REQUIRE_THROWS_WITH(t.at(0, 3), Catch::Contains("dimension 1 has size 3"));
  REQUIRE_THROWS_WITH(t.at(-3, 0), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(t.at(5),
                      Catch::Contains("1 index(es) (5) given for a tensor of shape [2,3]"));
  REQUIRE_THROWS_WITH(t.at(0, 0, 5), Catch::Contains("3 index(es)"));
  REQUIRE_THROWS_WITH(t.at(), Catch::Contains("0 index(es)"));
  // An unsigned index too large for int64 must not wrap around to a valid negative one.
  REQUIRE_THROWS_AS(t.at(SIZE_MAX, std::size_t(0)), std::out_of_range);
  REQUIRE(Tensor::scalar(4).at() == 4.0f);
  REQUIRE_THROWS_AS(Tensor::zeros({0}).at(0), std::out_of_range);
}

TEST_CASE("in-place updates change the values where they are", "[tensor][in_place]") {
  TensorD t = TensorD::from({1, -2, 3, -4}, {2, 2});
  const double* storage = t.data().data();
  // Each result by hand; every method returns the tensor itself, so they chain.
  REQUIRE(t.mul_(2.0).is_same(t));
  require_values(t, {2, -4, 6, -8}, 0);
  t.add_(1.0);
  require_values(t, {3, -3, 7, -7}, 0);
  // add_(other, alpha) is t + alpha * other; other broadcasts: a row [10, 20] to every row.
  t.add_(TensorD::from({10, 20}), 0.5);
  require_values(t, {8, 7, 12, 3}, 0);
  t.mul_(TensorD::from({1, -1}, {2, 1}));  // a column: row 0 times 1, row 1 times -1
  require_values(t, {8, 7, -12, -3}, 0);
  t.clamp_(-5, 5);
  require_values(t, {5, 5, -5, -3}, 0);
  t.copy_(TensorD::from({9, 8, 7, 6}, {2, 2}));
  require_values(t, {9, 8, 7, 6}, 0);
  t.copy_(TensorD::from({-0.0, std::numeric_limits<double>::quiet_NaN()}));  // broadcast row
  REQUIRE(std::signbit(t.at(0, 0)));
  REQUIRE(t.at(0, 0) == 0);
  REQUIRE(std::isnan(t.at(1, 1)));
  t.copy_(TensorD::from({4, 5}, {2, 1}));  // a column: row i filled with its value
  require_values(t, {4, 4, 5, 5}, 0);
  t.fill_(2.5);
  require_values(t, {2.5, 2.5, 2.5, 2.5}, 0);
  t.zero_();
  require_values(t, {0, 0, 0, 0}, 0);
  t.copy_(t);
  REQUIRE(t.data().data() == storage);  // never a new buffer
  // The result must have this tensor's shape: other may broadcast to it, not beyond it.
  REQUIRE_THROWS_WITH(t.add_(TensorD::zeros({3, 2, 2})),
                      Catch::Contains("add_: the other operand's shape does not broadcast") &&
                          Catch::Contains("the result is [3,2,2], this tensor [2,2]"));
  REQUIRE_THROWS_WITH(t.mul_(TensorD::zeros({3})), Catch::Contains("cannot be broadcast"));
  REQUIRE_THROWS_WITH(t.copy_(TensorD::zeros({3, 1, 2})),
                      Catch::Contains("copy_: the other operand's shape does not broadcast") &&
                          Catch::Contains("the result is [3,2,2], this tensor [2,2]"));
  REQUIRE_THROWS_WITH(t.clamp_(1, 0), Catch::Contains("low (1) must be <= high (0)"));
  REQUIRE_THROWS(t.copy_(TensorD()));
}

TEST_CASE("in-place updates follow PyTorch's rules for tensors that require grad",
          "[tensor][in_place]") {
  Tensor w = Tensor::from({1.f, -3.f}).requires_grad_();
  // PyTorch: "a leaf Variable that requires grad is being used in an in-place operation".
  REQUIRE_THROWS_WITH(w.clamp_(-1, 1),
                      Catch::Contains("clamp_: a leaf tensor that requires grad cannot be "
                                      "changed in place while grad mode is on") &&
                          Catch::Contains("xg::NoGradGuard"));
  Tensor y = w * 2.f;
  REQUIRE_THROWS_WITH(y.zero_(), Catch::Contains("computed by MulBackward"));
  Tensor plain = Tensor::zeros({2});
  REQUIRE_THROWS_WITH(plain.add_(w), Catch::Contains("the other operand requires grad"));
  require_values(w, {1, -3}, 0);  // nothing changed by a refused update
  require_values(plain, {0, 0}, 0);
  // Under NoGradGuard, as an optimizer's step: allowed, and a graph that saved the old values
  // refuses its backward. d(w * w)/dw = 2 w reads w; d(3 w)/dw = 3 does not.
  Tensor square = (w * w).sum(), scaled = (w * 3.f).sum();
  {
    xg::NoGradGuard no_grad;
    w.clamp_(-1, 1);  // WGAN-style weight clipping
    plain.add_(w, 0.5f);
  }
  require_values(w, {1, -1}, 0);
  require_values(plain, {0.5, -0.5}, 0);
  REQUIRE_THROWS_WITH(square.backward(), Catch::Contains("input 0 of MulBackward") &&
                                             Catch::Contains("was modified in place"));
  scaled.backward();
  require_values(w.grad(), {3, 3}, 0);
  // A tensor that does not require grad may be changed with grad mode on; a graph that saved it
  // notices as well: d(w * c)/dw reads c.
  Tensor c = Tensor::from({2.f, 2.f});
  Tensor product = (w * c).sum();
  c.fill_(5.f);
  REQUIRE_THROWS_WITH(product.backward(), Catch::Contains("input 1 of MulBackward"));
}
