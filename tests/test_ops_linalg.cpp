// matmul (2-D and batched) and the fused linear op, on xgrad's GEMM in float and double.
#include <stdexcept>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("matmul values, 2-D and batched 3-D") {
  const Tensor a = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}),
               b = Tensor::from({7, 8, 9, 10, 11, 12}, {3, 2});
  // [[1,2,3],[4,5,6]] @ [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  require_values(xg::matmul(a, b), {58, 64, 139, 154});
  const Tensor ba = Tensor::from({1, 0, 0, 1, 2, 0, 0, 2}, {2, 2, 2});  // [I, 2I]
  const Tensor bb = Tensor::from({1, 2, 3, 4, 1, 2, 3, 4}, {2, 2, 2});
  const Tensor c = xg::matmul(ba, bb);
  REQUIRE(c.shape() == Shape{2, 2, 2});
  require_values(c, {1, 2, 3, 4, 2, 4, 6, 8});
  require_values(xg::matmul(ba, Tensor::from({1, 2, 3, 4}, {2, 2})),
                 {1, 2, 3, 4, 2, 4, 6, 8});  // [b,m,k]x[k,n]
}

TEST_CASE("matmul shape errors name both shapes") {
  REQUIRE_THROWS_WITH(xg::matmul(Tensor::ones({3, 4}), Tensor::ones({5, 2})),
                      "matmul: shapes [3,4] and [5,2] are not aligned");
  REQUIRE_THROWS_WITH(xg::matmul(Tensor::ones({4}), Tensor::ones({4, 2})),
                      "matmul: shapes [4] and [4,2]: each operand must be a matrix [m, k] or a "
                      "batch of them [batch, m, k] (2 or 3 dimensions)");
  REQUIRE_THROWS(xg::matmul(Tensor::ones({2, 3, 4}), Tensor::ones({3, 4, 2})));
  REQUIRE_THROWS_WITH(xg::matmul(Tensor::ones({1, 2, 3, 4}), Tensor::ones({4, 2})),
                      Catch::Contains("(2 or 3 dimensions)"));
}

TEST_CASE("matmul gradients (double-precision gradcheck)") {
  auto f = [](const std::vector<TensorD>& in) { return xg::matmul(in[0], in[1]); };
  require_gradcheck(f, {randd({3, 4}, 1), randd({4, 2}, 2)});
  require_gradcheck(f, {randd({2, 3, 4}, 3), randd({2, 4, 5}, 4)});
  require_gradcheck(
      f, {randd({2, 3, 4}, 5), randd({4, 2}, 6)});  // the shared [k,n] side sums over the batch
}

TEST_CASE("linear computes x Wᵀ + b like torch.nn.functional.linear") {
  const Tensor x = Tensor::from({1, 2, 3, 4}, {2, 2}), w = Tensor::from({1, 0, 1, 1, 0, 2}, {3, 2});
  const Tensor b = Tensor::from({0.5f, -1, 2});
  // rows of x·Wᵀ: [1,3,4] and [3,7,8]; plus b
  require_values(xg::linear(x, w, b), {1.5, 2, 6, 3.5, 6, 10});
  require_values(xg::linear(x, w), {1, 3, 4, 3, 7, 8});
  REQUIRE_THROWS_WITH(
      xg::linear(Tensor::ones({3, 5}), Tensor::ones({4, 4})),
      Catch::Contains("linear: input shape [3,5] and weight shape [4,4] are not aligned"));
  REQUIRE_THROWS_WITH(xg::linear(x, w, Tensor::ones({2})), Catch::Contains("bias shape [2]"));
}

TEST_CASE("linear gradients, and no input gradient when the input needs none") {
  auto f = [](const std::vector<TensorD>& in) { return xg::linear(in[0], in[1], in[2]); };
  require_gradcheck(f, {randd({5, 3}, 1), randd({4, 3}, 2), randd({4}, 3)});
  require_gradcheck([](const auto& in) { return xg::linear(in[0], in[1]); },
                    {randd({2, 5, 3}, 4), randd({2, 3}, 5)});
  const Tensor x = Tensor::randn({4, 3}, 1);  // a data batch: does not require grad
  Tensor w = Tensor::randn({2, 3}, 2).requires_grad_();
  xg::linear(x, w).sum().backward();
  REQUIRE_FALSE(x.grad().defined());
  // d/dW sum(x Wᵀ) = column sums of x, repeated per output row
  const Tensor expected = x.sum(0);
  for (std::size_t o = 0; o < 2; ++o)
    for (std::size_t i = 0; i < 3; ++i) REQUIRE(w.grad().at(o, i) == Approx(expected.at(i)));
}

TEST_CASE("a batch of no matrices: empty results and zero gradients, as in PyTorch") {
  // [0, 3, 4] x [4, 5]: the gradient of the shared [4, 5] sums over no product, so it is 0; before,
  // it was whatever the reused buffer held. Likewise dA for [3, 4] x [0, 4, 5].
  for (int round = 0; round < 2; ++round) {         // the second round reuses cached buffers
    TensorD junk = TensorD::full({4, 5}, 12359.0);  // fills blocks the allocator hands out again
    junk = TensorD();
    TensorD a = TensorD::zeros({0, 3, 4}).requires_grad_(),
            b = TensorD::ones({4, 5}).requires_grad_();
    const TensorD y = xg::matmul(a, b);
    REQUIRE(y.shape() == Shape{0, 3, 5});
    y.sum().backward();
    require_values(b.grad(), std::vector<double>(20, 0.0), 0);
    TensorD c = TensorD::ones({3, 4}).requires_grad_(),
            d = TensorD::zeros({0, 4, 5}).requires_grad_();
    xg::matmul(c, d).sum().backward();
    require_values(c.grad(), std::vector<double>(12, 0.0), 0);
  }
}

TEST_CASE("an inner dimension of 0 gives zeros (plus the bias), as in PyTorch") {
  // Sums over nothing: matmul of [2, 0] and [0, 3] is a [2, 3] of zeros.
  require_values(xg::matmul(Tensor::zeros({2, 0}), Tensor::zeros({0, 3})), {0, 0, 0, 0, 0, 0});
  require_values(xg::linear(Tensor::zeros({2, 0}), Tensor::zeros({3, 0}), Tensor::from({1, 2, 3})),
                 {1, 2, 3, 1, 2, 3});
  require_values(xg::linear(Tensor::zeros({2, 2, 0}), Tensor::zeros({1, 0}), Tensor()),
                 {0, 0, 0, 0});
}
