// Hooks (xgrad/core/hooks.hpp): Tensor::register_hook and the module hooks of nn::BasicModule —
// values, shapes, PyTorch's call order, replacement, removal, and errors naming the module.
#include <cmath>
#include <string>
#include <vector>

#include "test_helpers.hpp"

using namespace xgtest;
namespace nn = xg::nn;

TEST_CASE("a tensor hook sees the gradient of that tensor and can replace it", "[hooks]") {
  Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
  Tensor y = x * 2.f;
  std::vector<float> seen;
  auto handle = y.register_hook([&](const Tensor& g) { seen = g.to_vector(); });
  (y * y).sum().backward();  // dL/dy = 2y = 4x
  REQUIRE(seen == std::vector<float>{4, 8, 12});
  require_values(x.grad(), {8, 16, 24});  // dL/dx = 2 dL/dy

  // A replacing hook: the gradient flowing on is the hook's (x receives 2 * 1 per element).
  x.zero_grad();
  Tensor y2 = x * 2.f;
  y2.register_hook([](const Tensor& g) { return Tensor::ones(g.shape()); });
  (y2 * y2).sum().backward();
  require_values(x.grad(), {2, 2, 2});
}

TEST_CASE("tensor hooks run in registration order, each seeing the previous result", "[hooks]") {
  Tensor x = Tensor::from({1, 1}).requires_grad_();
  Tensor y = x * 3.f;
  std::vector<std::string> order;
  y.register_hook([&](const Tensor& g) {
    order.push_back("first saw " + std::to_string(int(g.at(0))));
    return std::optional<Tensor>(g * 10.f);
  });
  y.register_hook([&](const Tensor& g) {
    order.push_back("second saw " + std::to_string(int(g.at(0))));
    return std::optional<Tensor>();  // keep it
  });
  y.sum().backward();  // dL/dy = 1 (a uniform gradient: the hooks still see every element)
  REQUIRE(order == std::vector<std::string>{"first saw 1", "second saw 10"});
  require_values(x.grad(), {30, 30});
}

TEST_CASE("a hook on a leaf runs before the gradient accumulates into grad()", "[hooks]") {
  Tensor w = Tensor::from({1, -2}).requires_grad_();
  w.register_hook([](const Tensor& g) { return xg::clamp(g, -1.f, 1.f); });
  (w * 5.f).sum().backward();  // 5 per element, clamped to 1
  require_values(w.grad(), {1, 1});
  REQUIRE_THROWS_WITH(Tensor::from({1}).register_hook([](const Tensor&) {}),
                      Catch::Contains("does not require grad"));
  Tensor v = Tensor::from({1, 2}).requires_grad_();
  v.register_hook([](const Tensor&) { return Tensor::ones({3}); });
  REQUIRE_THROWS_WITH((v * 2.f).sum().backward(), Catch::Contains("shape [3]"));
}

TEST_CASE("a removed tensor hook is not called; removing twice or late is harmless", "[hooks]") {
  Tensor x = Tensor::from({1}).requires_grad_();
  int calls = 0;
  auto handle = x.register_hook([&](const Tensor&) { ++calls; });
  (x * 2.f).sum().backward();
  REQUIRE(calls == 1);
  handle.remove();
  handle.remove();
  (x * 2.f).sum().backward();
  REQUIRE(calls == 1);
  xg::RemovableHandle outlived;
  {
    Tensor t = Tensor::from({1}).requires_grad_();
    outlived = t.register_hook([](const Tensor&) {});
  }
  outlived.remove();  // the tensor is gone: nothing to do
}

namespace {

// A 3-4-2 MLP with tanh whose every module logs its hooks into `log` as "<kind> <name>".
struct LoggedNet {
  nn::Sequential net{nn::Linear(3, 4, true, 1), nn::Tanh(), nn::Linear(4, 2, true, 2)};
  std::vector<std::string> log;
  std::vector<xg::Shape> grad_in_shapes, grad_out_shapes;
  std::vector<xg::RemovableHandle> handles;

  LoggedNet() {
    watch(net, "seq");
    for (std::size_t i = 0; i < net.size(); ++i) watch(net[i], std::to_string(i));
  }
  void watch(nn::Module& m, const std::string& name) {
    handles.push_back(m.register_forward_pre_hook(
        [this, name](nn::Module&, const Tensor&) { log.push_back("pre " + name); }));
    handles.push_back(m.register_forward_hook(
        [this, name](nn::Module&, const Tensor&, const Tensor&) { log.push_back("fwd " + name); }));
    handles.push_back(m.register_full_backward_hook(
        [this, name](nn::Module&, const Tensor& gin, const Tensor& gout) {
          log.push_back("bwd " + name);
          grad_in_shapes.push_back(gin.defined() ? gin.shape() : xg::Shape{999});
          grad_out_shapes.push_back(gout.shape());
        }));
  }
};

}  // namespace

TEST_CASE("module hooks run in PyTorch's order with the right shapes", "[hooks]") {
  LoggedNet m;
  Tensor x = Tensor::rand({5, 3}, 7, -1.f, 1.f);
  Tensor out = m.net(x);
  REQUIRE(m.log == std::vector<std::string>{"pre seq", "pre 0", "fwd 0", "pre 1", "fwd 1", "pre 2",
                                            "fwd 2", "fwd seq"});
  m.log.clear();
  out.sum().backward();
  // x does not require grad: the hooks of modules fed by x run as soon as the gradient of their
  // output is known (grad_input undefined); the others when their input's gradient is.
  REQUIRE(m.log == std::vector<std::string>{"bwd seq", "bwd 2", "bwd 1", "bwd 0"});
  REQUIRE(m.grad_out_shapes == std::vector<xg::Shape>{{5, 2}, {5, 2}, {5, 4}, {5, 4}});
  REQUIRE(m.grad_in_shapes == std::vector<xg::Shape>{{999}, {5, 4}, {5, 4}, {999}});

  // With x requiring grad, every module's hook waits for its input's gradient: innermost first.
  m.log.clear();
  m.net(Tensor::rand({5, 3}, 7, -1.f, 1.f).requires_grad_()).sum().backward();
  const std::vector<std::string> backward(m.log.end() - 4, m.log.end());
  REQUIRE(backward == std::vector<std::string>{"bwd 2", "bwd 1", "bwd 0", "bwd seq"});
}

TEST_CASE("a full backward hook receives dL/dinput and dL/doutput", "[hooks]") {
  nn::Sequential net(nn::Linear(3, 4, true, 1), nn::Tanh(), nn::Linear(4, 1, true, 2));
  Tensor gin, gout, tanh_out;
  net[1].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor& y) { tanh_out = y; });
  net[1].register_full_backward_hook([&](nn::Module&, const Tensor& gi, const Tensor& go) {
    gin = gi;
    gout = go;
  });
  net(Tensor::rand({2, 3}, 3, -1.f, 1.f)).sum().backward();
  // L = sum(tanh(h) W2ᵀ + b2): dL/dtanh = W2 in every row, dL/dh = W2 (1 - tanh^2(h)).
  const auto w2 = net.at<nn::Linear>(2).weight.to_vector();
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t j = 0; j < 4; ++j) {
      REQUIRE(gout.at(r, j) == Approx(w2[j]));
      const double t = tanh_out.at(r, j);
      REQUIRE(gin.at(r, j) == Approx(w2[j] * (1 - t * t)));
    }
}

TEST_CASE("hooks can replace the input, the output and grad_input", "[hooks]") {
  nn::Linear lin(2, 1, false, 4);
  const Tensor x = Tensor::from({1, 2}, {1, 2});
  const float plain = lin(x).item();
  auto pre = lin.register_forward_pre_hook([](nn::Module&, const Tensor& in) { return in * 2.f; });
  REQUIRE(lin(x).item() == Approx(2 * plain));  // linear without bias: f(2x) = 2 f(x)
  pre.remove();
  auto post = lin.register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor& y) { return y + 1.f; });
  REQUIRE(lin(x).item() == Approx(plain + 1));
  post.remove();
  REQUIRE(lin(x).item() == Approx(plain));

  Tensor x_in = Tensor::from({1, 2}, {1, 2}).requires_grad_();
  lin.register_full_backward_hook(
      [](nn::Module&, const Tensor& gi, const Tensor&) { return gi * 0.f + 7.f; });
  lin(x_in).sum().backward();
  require_values(x_in.grad(), {7, 7});
}

TEST_CASE("a throwing hook names its module; the engine recovers", "[hooks]") {
  nn::Sequential net(nn::Linear(2, 3, true, 1), nn::Tanh(), nn::Linear(3, 1, true, 2));
  const Tensor x = Tensor::rand({4, 2}, 5);
  auto fwd = net[1].register_forward_hook(
      [](nn::Module&, const Tensor&, const Tensor&) { throw std::invalid_argument("boom"); });
  try {
    net(x);
    FAIL("the hook's exception did not propagate");
  } catch (const std::runtime_error& e) {
    REQUIRE_THAT(e.what(), Catch::Contains("forward hook of Tanh()") && Catch::Contains("boom"));
    REQUIRE_THROWS_AS(std::rethrow_if_nested(e), std::invalid_argument);  // the original
  }
  fwd.remove();

  auto bwd = net[0].register_full_backward_hook(
      [](nn::Module&, const Tensor&, const Tensor&) { throw std::runtime_error("bad gradient"); });
  REQUIRE_THROWS_WITH(net(x).sum().backward(), Catch::Contains("full backward hook of Linear(") &&
                                                   Catch::Contains("bad gradient"));
  bwd.remove();
  // Nothing half-accumulated survives the failed pass: a fresh one gives the hand-computed
  // dL/dW2 = column sums of tanh(x W1ᵀ + b1), for L = sum(tanh(x W1ᵀ + b1) W2ᵀ + b2).
  net.zero_grad();
  net(x).sum().backward();
  xg::NoGradGuard no_grad;
  const Tensor hidden = xg::tanh(net[0](x)).sum(0);
  require_values(net.at<nn::Linear>(2).weight.grad(), {hidden.at(0), hidden.at(1), hidden.at(2)},
                 1e-5);
}

TEST_CASE("removed module hooks are not called; a hook may remove itself", "[hooks]") {
  nn::Tanh act;
  int calls = 0;
  xg::RemovableHandle self;
  self = act.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) {
    ++calls;
    self.remove();
  });
  int other = 0;
  act.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++other; });
  act(Tensor::from({1}));
  act(Tensor::from({1}));
  REQUIRE(calls == 1);
  REQUIRE(other == 2);  // removing the first during the call did not skip the second
}
