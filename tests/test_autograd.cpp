// The engine: accumulation, shared subgraphs, grad mode, graph lifetime, deep graphs.
#include <xgrad/extend.hpp>

#include "test_helpers.hpp"

using namespace xgtest;
using xg::Shape;

TEST_CASE("gradients accumulate on leaves over backward passes until zeroed") {
  Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
  (x * x).sum().backward();  // d/dx sum x^2 = 2x
  require_values(x.grad(), {2, 4, 6});
  (x * 3).sum().backward();  // + 3
  require_values(x.grad(), {5, 7, 9});
  x.zero_grad(/*set_to_none=*/false);
  require_values(x.grad(), {0, 0, 0});
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("a value used twice (diamond) receives the sum of both paths") {
  Tensor x = Tensor::from({2}).requires_grad_();
  Tensor a = x * 3;  // da/dx = 3
  Tensor b = x * x;  // db/dx = 2x = 4
  Tensor y = a * b;  // y = 3x^3, dy/dx = 9x^2 = 36
  y.backward(Tensor::ones({1}));
  require_values(x.grad(), {36});
  Tensor z = Tensor::from({1.5f}).requires_grad_();
  Tensor u = z + z + z;  // the same input three times in a chain
  u.sum().backward();
  require_values(z.grad(), {3});
}

TEST_CASE("non-scalar backward needs an explicit gradient of the right shape") {
  Tensor x = Tensor::from({1, 2}).requires_grad_();
  Tensor y = x * x;
  REQUIRE_THROWS_WITH(y.backward(),
                      Catch::Contains("grad can be implicitly created only for a one-element"));
  REQUIRE_THROWS_WITH(y.backward(Tensor::ones({3})),
                      Catch::Contains("gradient shape [3] does not match"));
  y.backward(Tensor::from({1, 10}));
  require_values(x.grad(), {2, 40});  // 2x * grad
}

TEST_CASE("backward on a tensor that does not require grad is an error") {
  Tensor x = Tensor::from({1, 2});
  REQUIRE_THROWS_WITH(x.sum().backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("a freed graph cannot be used twice; retain_graph keeps it") {
  Tensor x = Tensor::from({3}).requires_grad_();
  Tensor y = (x * x).sum();
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();  // second pass allowed: the first retained the graph
  require_values(x.grad(), {12});
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("backward through the graph a second time"));
}

TEST_CASE("NoGradGuard and detach stop recording") {
  Tensor x = Tensor::from({1, 2}).requires_grad_();
  {
    xg::NoGradGuard guard;
    REQUIRE_FALSE(xg::grad_enabled());
    Tensor y = x * 2;
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.is_leaf());
  }
  REQUIRE(xg::grad_enabled());
  Tensor d = x.detach();
  REQUIRE_FALSE(d.requires_grad());
  Tensor y = (x * d).sum();  // d is a constant: dy/dx = d
  y.backward();
  require_values(x.grad(), {1, 2});
}

TEST_CASE("retain_grad keeps the gradient of an intermediate tensor") {
  Tensor x = Tensor::from({1, -2}).requires_grad_();
  Tensor h = x * 3;
  h.retain_grad();
  Tensor y = (h * h).sum();
  y.backward();
  require_values(h.grad(), {6, -12});   // 2h
  require_values(x.grad(), {18, -36});  // 2h * 3
  Tensor k = x * 2;
  (k * 1).sum().backward();
  REQUIRE_FALSE(k.grad().defined());  // not retained: non-leaf gradients are dropped
}

TEST_CASE("a chain of 100,000 ops backpropagates and is torn down without recursion") {
  Tensor x = Tensor::from({1}).requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0f + 0.0f;  // 200,000 nodes
  y.sum().backward();
  require_values(x.grad(), {1});
  // A graph that is never backpropagated must also be destroyed iteratively.
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z + 1.0f;
  REQUIRE(z.item() == Approx(100001));
  z = Tensor();  // destroys the 100,000-node chain
}

TEST_CASE("the graph is released after backward: memory does not grow over 10,000 steps") {
  Tensor w = Tensor::randn({8, 8}, 1).requires_grad_();
  const Tensor x = Tensor::randn({16, 8}, 2);
  auto step = [&] {
    w.zero_grad();
    Tensor loss = (xg::matmul(x, w) * xg::matmul(x, w)).mean();
    loss.backward();
  };
  for (int i = 0; i < 100; ++i) step();  // warm-up fills the allocator's cache
  const std::size_t blocks = xg::os_allocation_count();
  for (int i = 0; i < 10000; ++i) step();
  REQUIRE(xg::os_allocation_count() == blocks);  // every buffer reused, none leaked
}

namespace {
// A user-defined op: y = x^2 with its own node, through the public extension API.
template <class T>
struct SquareNode final : xg::Node<T> {
  const char* name() const override { return "SquareBackward"; }
  void backward(const xg::Array<T>& g, const xg::Array<T>&) override {
    const T* x = this->input(0).data();
    this->accumulate(0, [&](std::size_t i) { return g.data()[i] * 2 * x[i]; });
  }
};
template <class T>
xg::BasicTensor<T> square(const xg::BasicTensor<T>& x) {
  xg::Array<T> y = x.data() * x.data();
  return xg::record<SquareNode<T>>(std::move(y), {x});
}
}  // namespace

TEST_CASE("user-defined ops plug into the graph") {
  Tensor x = Tensor::from({3, -1}).requires_grad_();
  Tensor y = square(x);
  REQUIRE(y.grad_fn_name() == "SquareBackward");
  y.sum().backward();
  require_values(x.grad(), {6, -2});
  require_gradcheck([](const std::vector<TensorD>& in) { return square(in[0]); }, {randd({3}, 5)});
}

TEST_CASE("a sum's uniform gradient mixes correctly with ordinary gradients", "[autograd]") {
  // y feeds a sum (uniform gradient 1, kept as one number) and a product (a full gradient 2y);
  // x feeds the sum of squares too. d/dx [sum(y) + sum(y*y)] with y = 3x: 3 + 18x.
  TensorD x = TensorD::from({1., -2.}).requires_grad_();
  TensorD y = x * 3.0;
  (y.sum() + (y * y).sum() + x.mean()).backward();
  require_values(x.grad(), {3 + 18 * 1 + 0.5, 3 + 18 * -2 + 0.5}, 1e-12);
  // retain_grad on a tensor whose gradient arrives uniform: it is written out for the user.
  TensorD z = x * 2.0;
  z.retain_grad();
  z.sum().backward();
  require_values(z.grad(), {1, 1}, 0);
}

// PyTorch refuses ("modified by an inplace operation") a backward whose op reads values that
// were changed in place after its forward, e.g. a second backward after optimizer.step().
TEST_CASE("backward refuses inputs updated in place after the forward that needs them",
          "[autograd]") {
  xg::nn::Linear lin(3, 2, true, 1);
  xg::optim::SGD opt(lin.parameters(), {0.1});
  Tensor x = Tensor::randn({4, 3}, 2);
  // dL/dW reads x and dL/dx reads W (PyTorch's addmm saves W only when x needs a gradient): with
  // a data batch x the step leaves nothing stale.
  Tensor first_layer = lin(x).sum();
  first_layer.backward(Tensor(), /*retain_graph=*/true);
  opt.step();  // changes W and b in place
  first_layer.backward();
  x.requires_grad_();
  lin.zero_grad();
  Tensor loss = lin(x).sum();
  loss.backward(Tensor(), /*retain_graph=*/true);
  opt.step();
  REQUIRE_THROWS_WITH(loss.backward(),
                      Catch::Contains("input 1 of LinearBackward (shape [2,3]) was modified in "
                                      "place") &&
                          Catch::Contains("run the forward again after the update"));
  // The failed pass added nothing: W's gradient is the first pass's, d sum(x W^T + b) / dW[j, k]
  // = sum_i x[i, k] for each output j. A forward after the step runs as usual.
  std::vector<double> column_sums(3, 0);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t k = 0; k < 3; ++k) column_sums[k] += x.at(i, k);
  std::vector<double> first = column_sums;
  first.insert(first.end(), column_sums.begin(), column_sums.end());
  require_values(lin.weight.grad(), first, 1e-5);
  lin.zero_grad();
  lin(x).sum().backward();
  require_values(lin.weight.grad(), first, 1e-5);

  // Ops that do not read the values pass: the sum and x + b never look at b (PyTorch saves
  // nothing for them), so b's gradient (1 per element, per pass) accumulates twice.
  Tensor b = Tensor::from({1.f, 2.f}).requires_grad_();
  xg::optim::SGD opt_b({b}, {0.5});
  Tensor y = (Tensor::from({3.f, 4.f}) + b).sum();
  y.backward(Tensor(), true);
  opt_b.step();
  y.backward();
  require_values(b.grad(), {2, 2}, 0);
  // A product reads b when the other factor needs a gradient, and only then.
  Tensor c = Tensor::from({1.f, 2.f}).requires_grad_();
  Tensor z = (b * Tensor::from({3.f, 4.f})).sum() + (c * b).sum();
  z.backward(Tensor(), true);
  opt_b.step();
  REQUIRE_THROWS_WITH(z.backward(), Catch::Contains("input 1 of MulBackward"));

  // An activation reads x only when its derivative is a function of x that nothing saved: ReLU
  // keeps a bit per element and tanh its output (PyTorch saves the result for both), softplus
  // reads x (PyTorch saves the input).
  Tensor r = xg::relu(b).sum() + xg::tanh(b).sum();
  opt_b.step();
  r.backward();
  Tensor sp = xg::softplus(b).sum();
  opt_b.step();
  REQUIRE_THROWS_WITH(sp.backward(), Catch::Contains("input 0 of"));

  // An init or load_state_dict changes values in place as well. A product of two tensors that
  // need gradients reads both.
  Tensor w = Tensor::randn({3, 2}, 3).requires_grad_();
  Tensor m = xg::matmul(x, w).sum();
  xg::nn::init::constant_(w, 0.5);
  REQUIRE_THROWS_WITH(m.backward(), Catch::Contains("input 1 of MatmulBackward"));
  Tensor l2 = lin(x).sum();
  xg::nn::init::constant_(lin.weight, 0.5);
  REQUIRE_THROWS_WITH(l2.backward(), Catch::Contains("was modified in place"));
  Tensor l3 = lin(x).sum();
  lin.load_state_dict(lin.state_dict());
  REQUIRE_THROWS_WITH(l3.backward(), Catch::Contains("LinearBackward"));
}
