// Elementwise activations: values and derivatives against reference formulas written here in
// long double (independently of the kernels), the exact derivative at every kink per the
// convention (left derivative; PyTorch's values for its extras), double gradchecks away from
// kinks, and float32 stability at |x| = 1e4.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_helpers.hpp"

namespace {

using namespace xgtest;
using L = long double;

// One row per activation of the catalogue (and variants with other hyper-parameters): the
// function to test and f, f' written out independently. The tests iterate the catalogue and fail
// for an activation without a row here.
struct Reference {
  std::string name;     // the catalogue name
  std::string variant;  // the hyper-parameters when not the defaults, e.g. "a=0.5"
  std::function<TensorD(const TensorD&)> op;
  std::function<Tensor(const Tensor&)> op_float;
  std::function<L(L)> f, df;  // df: the derivative backward must give, kinks included
  std::vector<double> kinks;
};

L sig(L x) { return 1 / (1 + std::exp(-x)); }
L softplus_ref(L x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
L sinc_ref(L x) { return x == 0 ? 1 : std::sin(x) / x; }
L dsinc_ref(L x) {  // series where the direct form cancels
  if (std::fabs(x) < 1e-3L) return -x / 3 + x * x * x / 30;
  return std::cos(x) / x - std::sin(x) / (x * x);
}
// n evenly spaced floats from lo to hi.
std::vector<float> even_points(double lo, double hi, std::size_t n) {
  std::vector<float> xs(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = float(lo + (hi - lo) * double(i) / double(n - 1));
  return xs;
}
// op's values at xs and the gradient of their sum (op's derivative at each point).
std::pair<std::vector<float>, std::vector<float>> values_and_derivatives(
    const std::function<Tensor(const Tensor&)>& op, const std::vector<float>& xs) {
  Tensor x = Tensor::from(std::vector<float>(xs), {xs.size()}).requires_grad_();
  const Tensor y = op(x);
  y.sum().backward();
  return {y.to_vector(), x.grad().to_vector()};
}
L leaky(L x, L slope) { return x >= 0 ? x : slope * x; }
L dleaky(L x, L slope) { return x > 0 ? L(1) : slope; }
constexpr L kSeluAlpha = 1.6732632423543772848170429916717L;
constexpr L kSeluLambda = 1.0507009873554804934193349852946L;
constexpr L kSqrt2OverPi = 0.79788456080286535587989211986876L;

template <class F>
Reference ref(std::string name, std::string variant, F op, std::function<L(L)> f,
              std::function<L(L)> df, std::vector<double> kinks = {}) {
  return {std::move(name),
          std::move(variant),
          [op](const TensorD& x) { return op(x); },
          [op](const Tensor& x) { return op(x); },
          std::move(f),
          std::move(df),
          std::move(kinks)};
}

#define XG_OP(expr) [](const auto& x) { return expr; }

// The layer the registry builds for `name` (eval mode, one shared parameter set at its initial
// values), applied to a tensor of any shape.
template <class T>
std::function<xg::BasicTensor<T>(const xg::BasicTensor<T>&)> layer_op(const std::string& name) {
  auto layer = xg::nn::make_activation<T>(name, {}, 1);
  layer->eval();
  return [layer](const xg::BasicTensor<T>& x) { return layer->forward(x); };
}
Reference layer_ref(const std::string& name, std::function<L(L)> f, std::function<L(L)> df,
                    std::vector<double> kinks = {}) {
  return {name, "registry defaults", layer_op<double>(name), layer_op<float>(name), f, df, kinks};
}

// A vector-valued activation seen elementwise: the first output of the pair (x, 0) along dim 1.
template <class T>
std::function<xg::BasicTensor<T>(const xg::BasicTensor<T>&)> first_of_pair(
    const std::string& name) {
  auto layer = layer_op<T>(name);
  return [layer](const xg::BasicTensor<T>& x) {
    const std::size_t n = x.numel();
    const auto column = xg::reshape(x, {long(n), 1});
    const auto pair =
        xg::concat(std::vector<xg::BasicTensor<T>>{column, xg::BasicTensor<T>::zeros({n, 1})}, 1);
    return xg::slice(layer(pair), 1, 0, 1).reshape(x.shape());
  };
}
Reference pair_ref(const std::string& name, std::function<L(L)> f, std::function<L(L)> df) {
  return {name, "first of (x, 0)", first_of_pair<double>(name), first_of_pair<float>(name), f, df,
          {}};
}

std::vector<Reference> references() {
  const L rl = 1.0L / 8, ru = 1.0L / 3;
  // clang-format off
  return {
      ref("identity", "", XG_OP(xg::identity(x)), [](L x) { return x; }, [](L) { return L(1); }),
      ref("binary_step", "", XG_OP(xg::binary_step(x)), [](L x) { return L(x >= 0); },
          [](L) { return L(0); }, {0}),
      ref("sigmoid", "", XG_OP(xg::sigmoid(x)), sig, [](L x) { return sig(x) * (1 - sig(x)); }),
      ref("tanh", "", XG_OP(xg::tanh(x)), [](L x) { return std::tanh(x); },
          [](L x) { return 1 - std::tanh(x) * std::tanh(x); }),
      ref("arctan", "", XG_OP(xg::arctan(x)), [](L x) { return std::atan(x); },
          [](L x) { return 1 / (1 + x * x); }),
      ref("softsign", "", XG_OP(xg::softsign(x)), [](L x) { return x / (1 + std::fabs(x)); },
          [](L x) { return 1 / ((1 + std::fabs(x)) * (1 + std::fabs(x))); }),
      ref("bent_identity", "", XG_OP(xg::bent_identity(x)),
          [](L x) { return (std::sqrt(x * x + 1) - 1) / 2 + x; },
          [](L x) { return x / (2 * std::sqrt(x * x + 1)) + 1; }),
      ref("silu", "", XG_OP(xg::silu(x)), [](L x) { return x * sig(x); },
          [](L x) { return sig(x) + x * sig(x) * (1 - sig(x)); }),
      ref("mish", "", XG_OP(xg::mish(x)), [](L x) { return x * std::tanh(softplus_ref(x)); },
          [](L x) {
            const L t = std::tanh(softplus_ref(x));
            return t + x * sig(x) * (1 - t * t);
          }),
      ref("logsigmoid", "", XG_OP(xg::logsigmoid(x)), [](L x) { return -softplus_ref(-x); },
          [](L x) { return 1 - sig(x); }),
      ref("sinusoid", "", XG_OP(xg::sinusoid(x)), [](L x) { return std::sin(x); },
          [](L x) { return std::cos(x); }),
      ref("sinc", "", XG_OP(xg::sinc(x)), sinc_ref, dsinc_ref, {0}),
      ref("gaussian", "", XG_OP(xg::gaussian(x)), [](L x) { return std::exp(-x * x); },
          [](L x) { return -2 * x * std::exp(-x * x); }),
      ref("isru", "a=0.5", XG_OP(xg::isru(x, 0.5)),
          [](L x) { return x / std::sqrt(1 + 0.5L * x * x); },
          [](L x) { return std::pow(1 / std::sqrt(1 + 0.5L * x * x), 3); }),
      ref("softplus", "", XG_OP(xg::softplus(x)), softplus_ref, sig),
      ref("softplus", "beta=2, threshold=5", XG_OP(xg::softplus(x, 2, 5)),
          [](L x) { return 2 * x > 5 ? x : softplus_ref(2 * x) / 2; },
          [](L x) { return 2 * x > 5 ? L(1) : sig(2 * x); }, {2.5}),
      // (x + sqrt(x^2 + b)) / 2 and its derivative (1 + x / sqrt(x^2 + b)) / 2, b = 4 and 1.
      ref("squareplus", "", XG_OP(xg::squareplus(x)),
          [](L x) { return (x + std::sqrt(x * x + 4)) / 2; },
          [](L x) { return (1 + x / std::sqrt(x * x + 4)) / 2; }),
      ref("squareplus", "b=1", XG_OP(xg::squareplus(x, 1)),
          [](L x) { return (x + std::sqrt(x * x + 1)) / 2; },
          [](L x) { return (1 + x / std::sqrt(x * x + 1)) / 2; }),
      ref("gelu", "", XG_OP(xg::gelu(x)), [](L x) { return x * std::erfc(-x / std::sqrt(L(2))) / 2; },
          [](L x) {
            return std::erfc(-x / std::sqrt(L(2))) / 2 +
                   x * std::exp(-x * x / 2) / std::sqrt(2 * 3.14159265358979323846264338327950L);
          }),
      ref("gelu_tanh", "", XG_OP(xg::gelu(x, xg::Approximate::Tanh)),
          [](L x) { return x / 2 * (1 + std::tanh(kSqrt2OverPi * (x + 0.044715L * x * x * x))); },
          [](L x) {
            const L t = std::tanh(kSqrt2OverPi * (x + 0.044715L * x * x * x));
            return (1 + t) / 2 + x / 2 * (1 - t * t) * kSqrt2OverPi * (1 + 3 * 0.044715L * x * x);
          }),
      ref("relu", "", XG_OP(xg::relu(x)), [](L x) { return x > 0 ? x : L(0); },
          [](L x) { return L(x > 0); }, {0}),
      // PyTorch's hardtanh backward passes the gradient only strictly inside (min, max).
      ref("relu6", "", XG_OP(xg::relu6(x)), [](L x) { return std::min(std::max(x, L(0)), L(6)); },
          [](L x) { return L(x > 0 && x < 6); }, {0, 6}),
      ref("leaky_relu", "", XG_OP(xg::leaky_relu(x)), [](L x) { return leaky(x, 0.01L); },
          [](L x) { return dleaky(x, 0.01L); }, {0}),
      ref("leaky_relu", "0.2", XG_OP(xg::leaky_relu(x, 0.2)), [](L x) { return leaky(x, 0.2L); },
          [](L x) { return dleaky(x, 0.2L); }, {0}),
      ref("isrlu", "", XG_OP(xg::isrlu(x)), [](L x) { return x >= 0 ? x : x / std::sqrt(1 + x * x); },
          [](L x) { return x >= 0 ? L(1) : std::pow(1 / std::sqrt(1 + x * x), 3); }, {0}),
      ref("elu", "", XG_OP(xg::elu(x)), [](L x) { return x > 0 ? x : std::expm1(x); },
          [](L x) { return x > 0 ? L(1) : std::exp(x); }, {0}),
      ref("elu", "0.5", XG_OP(xg::elu(x, 0.5)), [](L x) { return x > 0 ? x : 0.5L * std::expm1(x); },
          [](L x) { return x > 0 ? L(1) : 0.5L * std::exp(x); }, {0}),
      ref("selu", "", XG_OP(xg::selu(x)),
          [](L x) { return kSeluLambda * (x > 0 ? x : kSeluAlpha * std::expm1(x)); },
          [](L x) { return kSeluLambda * (x > 0 ? L(1) : kSeluAlpha * std::exp(x)); }, {0}),
      // PyTorch: celu(x) = max(0,x) + min(0, a(exp(x/a)-1)); backward exp(x/a) for x <= 0.
      ref("celu", "2", XG_OP(xg::celu(x, 2)),
          [](L x) { return std::max(x, L(0)) + std::min(L(0), 2 * std::expm1(x / 2)); },
          [](L x) { return x > 0 ? L(1) : std::exp(x / 2); }, {0}),
      ref("hardtanh", "-2, 0.5", XG_OP(xg::hardtanh(x, -2, 0.5)),
          [](L x) { return std::min(std::max(x, L(-2)), L(0.5)); },
          [](L x) { return L(x > -2 && x < 0.5); }, {-2, 0.5}),
      // PyTorch: gradient 1/6 strictly inside (-3, 3).
      ref("hardsigmoid", "", XG_OP(xg::hardsigmoid(x)),
          [](L x) { return std::min(std::max(x + 3, L(0)), L(6)) / 6; },
          [](L x) { return x > -3 && x < 3 ? L(1) / 6 : L(0); }, {-3, 3}),
      // PyTorch: 0 below -3, x/3 + 1/2 on [-3, 3], 1 above.
      ref("hardswish", "", XG_OP(xg::hardswish(x)),
          [](L x) { return x * std::min(std::max(x + 3, L(0)), L(6)) / 6; },
          [](L x) { return x < -3 ? L(0) : x <= 3 ? x / 3 + 0.5L : L(1); }, {-3, 3}),
      ref("rrelu", "eval", XG_OP(xg::rrelu(x)), [=](L x) { return leaky(x, (rl + ru) / 2); },
          [=](L x) { return dleaky(x, (rl + ru) / 2); }, {0}),
      // The trainable ones at their initial values (their own tests: test_activations_param.cpp):
      // prelu's 0.25 slope; srelu's hinges t_l = 0 (slope 0.2 below), t_r = 1 (slope 1 above);
      // apl with a = 0 is relu whatever b; swish_beta's beta = 1 is silu; soft_exponential's
      // alpha = 0 is the identity.
      layer_ref("prelu", [](L x) { return leaky(x, 0.25L); }, [](L x) { return dleaky(x, 0.25L); },
                {0}),
      layer_ref("srelu", [](L x) { return leaky(x, 0.2L); }, [](L x) { return dleaky(x, 0.2L); },
                {0, 1}),
      layer_ref("apl", [](L x) { return x > 0 ? x : L(0); }, [](L x) { return L(x > 0); }, {0}),
      layer_ref("swish_beta", [](L x) { return x * sig(x); },
                [](L x) { return sig(x) + x * sig(x) * (1 - sig(x)); }),
      layer_ref("soft_exponential", [](L x) { return x; }, [](L) { return L(1); }),
      // softmax of (x, 0) is sigmoid(x) first; log_softmax's is logsigmoid(x).
      pair_ref("softmax", sig, [](L x) { return sig(x) * (1 - sig(x)); }),
      pair_ref("log_softmax", [](L x) { return -softplus_ref(-x); }, [](L x) { return 1 - sig(x); }),
  };
  // clang-format on
}

// The rows of one activation; fails when it has none.
std::vector<Reference> rows_of(const std::string& name) {
  std::vector<Reference> rows;
  for (auto& r : references())
    if (r.name == name) rows.push_back(std::move(r));
  INFO("activation '" << name << "' has no reference row in tests/test_activations.cpp");
  REQUIRE(!rows.empty());
  return rows;
}

std::vector<double> points(const Reference& r) {
  std::vector<double> p{0, 1e-7, -1e-7, 0.3, -0.3, 1, -1, 2.5, -2.5, 20, -20, 50, -50};
  p.insert(p.end(), r.kinks.begin(), r.kinks.end());
  return p;
}

void require_close(double got, L expected, double rtol, double atol) {
  REQUIRE(std::isfinite(got));
  REQUIRE(std::fabs(got - double(expected)) <= atol + rtol * std::fabs(double(expected)));
}

}  // namespace

TEST_CASE("every activation: values and derivatives match the formulas, kinks included",
          "[activations]") {
  for (const auto& info : xg::nn::activation_catalogue()) {
    for (const auto& r : rows_of(info.name)) {
      INFO(r.name << " " << r.variant);
      const auto p = points(r);
      TensorD x = TensorD::from(std::vector<double>(p), {p.size()}).requires_grad_();
      // Using the output twice also exercises the accumulating backward kernel.
      TensorD y = r.op(x);
      (y + r.op(x)).sum().backward();
      // A sum straight after the activation hands it a uniform gradient (never written out):
      // the kernels' second path, fresh and accumulating.
      TensorD x2 = TensorD::from(std::vector<double>(p), {p.size()}).requires_grad_();
      (r.op(x2).sum() + r.op(x2).sum()).backward();
      for (std::size_t i = 0; i < p.size(); ++i) {
        INFO("x = " << p[i]);
        require_close(y.data()[i], r.f(p[i]), 1e-12, 1e-15);
        require_close(x.grad().data()[i] / 2, r.df(p[i]), 1e-10, 1e-14);
        require_close(x2.grad().data()[i] / 2, r.df(p[i]), 1e-10, 1e-14);
      }
      // The layer the registry builds with the defaults computes the same function.
      if (r.variant.empty())
        REQUIRE(layer_op<double>(info.name)(x.detach()).to_vector() == y.to_vector());
    }
  }
}

TEST_CASE("every activation: double gradcheck at random points away from kinks", "[activations]") {
  for (const auto& info : xg::nn::activation_catalogue()) {
    if (info.name == "binary_step") continue;  // gradient 0 by definition; numeric too
    for (const auto& r : rows_of(info.name)) {
      INFO(r.name << " " << r.variant);
      xg::Generator rng(7);
      std::vector<double> v;
      while (v.size() < 24) {
        const double x = rng.uniform(-4, 4);
        bool near_kink = false;
        for (double k : r.kinks) near_kink |= std::fabs(x - k) < 1e-3;
        if (!near_kink) v.push_back(x);
      }
      require_gradcheck([&](const std::vector<TensorD>& in) { return r.op(in[0]); },
                        {TensorD::from(std::move(v), {4, 6}).requires_grad_()});
    }
  }
}

TEST_CASE("every activation is finite in float32 for |x| up to 1e4", "[activations]") {
  const std::vector<float> p{-1e4f, -1e3f, -88.f, -50.f, -20.f, 0.f, 20.f, 50.f, 88.f, 1e3f, 1e4f};
  for (const auto& info : xg::nn::activation_catalogue()) {
    for (const auto& r : rows_of(info.name)) {
      INFO(r.name << " " << r.variant);
      Tensor x = Tensor::from(std::vector<float>(p), {p.size()}).requires_grad_();
      Tensor y = r.op_float(x);
      y.sum().backward();
      for (std::size_t i = 0; i < p.size(); ++i) {
        INFO("x = " << p[i]);
        // sin/cos at 1e4 lose digits to argument reduction in float; compare loosely there.
        const double tol = (r.name == "sinusoid" || r.name == "sinc") ? 2e-3 : 2e-5;
        require_close(y.data()[i], r.f(p[i]), tol, tol);
        require_close(x.grad().data()[i], r.df(p[i]), tol, tol);
      }
    }
  }
}

TEST_CASE("every constrained hyper-parameter rejects values outside its range, by name",
          "[activations]") {
  // Each constraint of the catalogue must reject at least one of these values, through the
  // registry, with "<activation>: <parameter> must be <range>, got <value>".
  const double candidates[] = {-1, 0, std::nan(""), INFINITY, -INFINITY};
  for (const auto& info : xg::nn::activation_catalogue())
    for (const auto& constraint : info.constraints) {
      const std::string param = constraint.substr(0, constraint.find(' '));
      INFO(info.name << ": " << constraint);
      bool rejected = false;
      for (double v : candidates) {
        try {
          xg::nn::make_activation<float>(info.name, {{param, v}}, 2);
        } catch (const std::invalid_argument& e) {
          REQUIRE_THAT(e.what(), Catch::StartsWith(info.name + ": " + param + " must be "));
          rejected = true;
        }
      }
      REQUIRE(rejected);
    }
}

TEST_CASE("literature facts about sigmoid and tanh", "[activations]") {
  // sigmoid'(x) <= 1/4 everywhere, with the maximum at 0: why deep sigmoid nets vanish.
  std::vector<double> grid;
  for (int i = -4000; i <= 4000; ++i) grid.push_back(i / 400.0);
  TensorD x = TensorD::from(std::vector<double>(grid), {grid.size()}).requires_grad_();
  xg::sigmoid(x).sum().backward();
  std::size_t argmax = 0;
  for (std::size_t i = 0; i < grid.size(); ++i) {
    REQUIRE(x.grad().data()[i] <= 0.25);
    if (x.grad().data()[i] > x.grad().data()[argmax]) argmax = i;
  }
  REQUIRE(grid[argmax] == 0);
  REQUIRE(x.grad().data()[argmax] == 0.25);
  // tanh(x) = 2 sigmoid(2x) - 1.
  const TensorD t = xg::tanh(x.detach()), s = xg::sigmoid(x.detach() * 2.0) * 2.0 - 1.0;
  for (std::size_t i = 0; i < grid.size(); ++i)
    REQUIRE(t.data()[i] == Approx(s.data()[i]).margin(1e-15));
}

TEST_CASE("activation hyper-parameters out of range are rejected by name", "[activations]") {
  const Tensor x = Tensor::from({-1.f, 1.f});
  REQUIRE_THROWS_WITH(xg::isru(x, 0.f),
                      Catch::Contains("isru") && Catch::Contains("a must be > 0"));
  REQUIRE_THROWS_WITH(xg::isrlu(x, -1.f), Catch::Contains("a must be > 0"));
  REQUIRE_THROWS_WITH(xg::softplus(x, 0.f), Catch::Contains("beta must be > 0"));
  REQUIRE_THROWS_WITH(xg::celu(x, 0.f), Catch::Contains("alpha"));
  REQUIRE_THROWS_WITH(xg::hardtanh(x, 1.f, -1.f), Catch::Contains("min_val must be <= max_val"));
  REQUIRE_THROWS_WITH(xg::rrelu(x, 0.5f, 0.25f), Catch::Contains("lower must be <= upper"));
  REQUIRE_THROWS_WITH(xg::rrelu(x, -0.1f, 0.25f), Catch::Contains("lower must be >= 0"));
}

TEST_CASE("large tensors split across threads give the single-thread results",
          "[activations][threads]") {
  const std::size_t n = (std::size_t(1) << 19) + 37;  // above the parallel grain, odd tail
  const Tensor x0 = Tensor::rand({n}, 3, -4.f, 4.f);
  // gelu's backward reads x; relu's and leaky_relu's read the bits their forward saved, chunk by
  // chunk. Both gradient paths: a sum's uniform gradient and a gradient array (times x0).
  const std::vector<std::function<Tensor(const Tensor&)>> ops{
      [](const Tensor& x) { return xg::gelu(x, xg::Approximate::Tanh); },
      [](const Tensor& x) { return xg::relu(x); },
      [](const Tensor& x) { return xg::leaky_relu(x, 0.1); }};
  for (const auto& op : ops) {
    auto run = [&](int threads) {
      xg::set_num_threads(threads);
      Tensor x = x0.detach().requires_grad_();
      Tensor y = op(x);
      Tensor s = y.sum();
      (s + (y * x0).sum()).backward();
      return std::make_tuple(y.to_vector(), x.grad().to_vector(), double(s.item()));
    };
    const auto [y1, g1, s1] = run(1);
    const auto [y2, g2, s2] = run(2);
    xg::set_num_threads(1);
    REQUIRE(y1 == y2);
    REQUIRE(g1 == g2);
    REQUIRE(s2 == s1);  // the sum's chunks do not depend on the thread count
  }
}

namespace {

// Activations whose derivative takes two values save one bit per element in forward and
// backward reads only the bits. The gradients below are PyTorch's backward rules written out
// (checked against libtorch 1.13): relu and hardtanh zero the gradient where x <= lo or x >= hi,
// so it passes at NaN; leaky_relu (and rrelu in eval) scales it where !(x > 0), NaN included;
// hardsigmoid passes g/6 only where -3 < x < 3, not at NaN.
struct TwoValued {
  std::string name;
  std::function<Tensor(const Tensor&)> op;
  std::function<TensorD(const TensorD&)> op_double;
  std::function<double(double)> f, df;  // df(NaN) as PyTorch gives it
};

std::vector<TwoValued> two_valued() {
  const double rrelu_slope = (1.0 / 8 + 1.0 / 3) / 2;
  const auto clamp = [](double x, double lo, double hi) {
    return std::isnan(x) ? x : std::min(std::max(x, lo), hi);
  };
  return {
      {"relu", XG_OP(xg::relu(x)), XG_OP(xg::relu(x)), [=](double x) { return clamp(x, 0, 1e300); },
       [](double x) { return x <= 0 ? 0.0 : 1.0; }},
      {"leaky_relu", XG_OP(xg::leaky_relu(x, 0.2)), XG_OP(xg::leaky_relu(x, 0.2)),
       [](double x) { return x >= 0 || std::isnan(x) ? x : 0.2 * x; },
       [](double x) { return x > 0 ? 1.0 : 0.2; }},
      {"rrelu", XG_OP(xg::rrelu(x)), XG_OP(xg::rrelu(x)),
       [=](double x) { return x >= 0 || std::isnan(x) ? x : rrelu_slope * x; },
       [=](double x) { return x > 0 ? 1.0 : rrelu_slope; }},
      {"hardtanh", XG_OP(xg::hardtanh(x, -1, 2)), XG_OP(xg::hardtanh(x, -1, 2)),
       [=](double x) { return clamp(x, -1, 2); },
       [](double x) { return x <= -1 || x >= 2 ? 0.0 : 1.0; }},
      {"relu6", XG_OP(xg::relu6(x)), XG_OP(xg::relu6(x)), [=](double x) { return clamp(x, 0, 6); },
       [](double x) { return x <= 0 || x >= 6 ? 0.0 : 1.0; }},
      {"hardsigmoid", XG_OP(xg::hardsigmoid(x)), XG_OP(xg::hardsigmoid(x)),
       [=](double x) { return clamp(x + 3, 0, 6) / 6; },
       [](double x) { return x > -3 && x < 3 ? 1.0 / 6 : 0.0; }},
  };
}

// n values cycling through the kinks of all rows, NaN and points between.
std::vector<double> kink_values(std::size_t n) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double cycle[] = {0.0, -0.0, nan, 1.0,  -1.0, 2.0,   -3.0,   3.0, 6.0,
                          0.5, -0.5, 7.0, -8.0, 2.5,  1e-30, -1e-30, 5.9, -2.9};
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = cycle[(i * 7) % 18];  // 7 is prime to 18
  return v;
}

template <class T>
void check_two_valued(const TwoValued& r, std::size_t n,
                      const std::function<xg::BasicTensor<T>(const xg::BasicTensor<T>&)>& op) {
  using Tn = xg::BasicTensor<T>;
  const std::vector<double> v = kink_values(n);
  const std::vector<T> vt(v.begin(), v.end());
  std::vector<T> w(n);
  for (std::size_t i = 0; i < n; ++i) w[i] = T(1) + T(i % 5);  // a gradient array of its own
  const Tn weights = Tn::from(std::vector<T>(w), {n});
  // The sum's uniform gradient (fresh), then a gradient array added to it (accumulating); and
  // the gradient array alone (fresh).
  Tn x = Tn::from(std::vector<T>(vt), {n}).requires_grad_();
  Tn y = op(x);
  (y.sum() + (op(x) * weights).sum()).backward();
  Tn x2 = Tn::from(std::vector<T>(vt), {n}).requires_grad_();
  (op(x2) * weights).sum().backward();
  // Without a graph (no bits saved) forward gives the same values.
  const Tn y_plain = op(Tn::from(std::vector<T>(vt), {n}));
  REQUIRE(x.grad().numel() == n);
  for (std::size_t i = 0; i < n; ++i) {
    INFO(r.name << ", n = " << n << ", element " << i << ", x = " << v[i]);
    const double f = double(T(r.f(double(vt[i])))), df = double(T(r.df(double(vt[i]))));
    if (std::isnan(v[i])) {
      REQUIRE(std::isnan(double(y.data()[i])));
      REQUIRE(std::isnan(double(y_plain.data()[i])));
    } else {
      REQUIRE(double(y.data()[i]) == Approx(f).margin(1e-37));
      REQUIRE(double(y_plain.data()[i]) == double(y.data()[i]));
    }
    REQUIRE(double(x.grad().data()[i]) == Approx((1 + double(w[i])) * df).margin(1e-37));
    REQUIRE(double(x2.grad().data()[i]) == Approx(double(w[i]) * df).margin(1e-37));
  }
}

}  // namespace

TEST_CASE("two-valued derivatives from the saved bits: kinks, NaN, every tail length",
          "[activations]") {
  // 0 elements, less than a vector, around one and two 64-element mask words.
  const std::size_t sizes[] = {0, 1, 3, 15, 16, 17, 63, 64, 65, 127, 128, 200};
  for (const auto& r : two_valued())
    for (std::size_t n : sizes) {
      check_two_valued<float>(r, n, r.op);
      check_two_valued<double>(r, n, r.op_double);
    }
}

TEST_CASE("two-valued derivatives: a second backward through the graph is refused",
          "[activations]") {
  // The saved bits are released by the first backward, as the graph is.
  Tensor x = Tensor::from({-1.f, 2.f}).requires_grad_();
  Tensor s = xg::relu(x).sum();
  s.backward();
  REQUIRE_THROWS_WITH(s.backward(), Catch::Contains("backward through the graph a second time"));
  // With retain_graph the bits stay and the gradient adds up.
  Tensor x2 = Tensor::from({-1.f, 2.f}).requires_grad_();
  Tensor s2 = xg::relu(x2).sum();
  s2.backward(Tensor(), /*retain_graph=*/true);
  s2.backward();
  REQUIRE(x2.grad().to_vector() == std::vector<float>{0.f, 2.f});
}

TEST_CASE("float32 logsigmoid and softplus at large and mixed inputs are within ulps",
          "[activations]") {
  // The other max-shifted forms: logsigmoid = min(x, 0) - log1p(e^-|x|) and softplus = max(x, 0)
  // + log1p(e^-|x|) add two terms of the same sign, so nothing cancels; checked against long
  // double, values and derivatives. 33 values fill the vector lanes and the scalar tail.
  std::vector<float> xs{1000.f, -1000.f, 999.9f, -999.9f, 88.7f, -88.7f, 20.3f, -20.3f,
                        15.f,   -15.f,   0.5f,   -0.75f,  1e-3f, -1e-3f, 3.f,   -3.f};
  for (std::size_t i = 0; i < 17; ++i) xs.push_back(float(i) * 0.37f - 3.f);
  Tensor x = Tensor::from(std::vector<float>(xs), {xs.size()});
  x.requires_grad_();
  const Tensor ls = xg::logsigmoid(x);
  ls.sum().backward();
  const Tensor dls = x.grad();
  x.zero_grad();
  const Tensor sp = xg::softplus(x);
  sp.sum().backward();
  // Below the smallest normal float (e^-88.7 = 3e-39) the SIMD exp flushes to 0.
  const auto require_close = [](float got, L exact) {
    if (std::fabs(exact) < std::numeric_limits<float>::min())
      REQUIRE(std::fabs(L(got) - exact) < std::numeric_limits<float>::min());
    else
      require_ulps(got, exact, 4);
  };
  for (std::size_t i = 0; i < xs.size(); ++i) {
    INFO("x = " << xs[i]);
    const L v = xs[i];
    require_close(ls.at(i), -softplus_ref(-v));
    require_close(dls.at(i), sig(-v));
    require_close(sp.at(i), softplus_ref(v));
    require_close(x.grad().at(i), sig(v));
  }
}

TEST_CASE("float32 activations built on exp are within a few ulps over a dense sweep",
          "[activations]") {
  // ELU, CELU, SELU, gaussian, softplus and logsigmoid take e^z from a vectorised float exp.
  // 2^16 + 1 points over [-104, 20], values and derivatives against long double; where the exact
  // value is below the smallest normal float only the absolute error is bounded (subnormal
  // results keep fewer digits; see the next two tests); elsewhere within `ulps`.
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
    std::function<L(L)> f, df;
    std::int64_t ulps;
    float max_abs = 1e30f;  // points with |x| above are skipped
  };
  const L selu_a = 1.6732632423543772848170429916717L, selu_s = 1.0507009873554804934193349852946L;
  const std::vector<Case> cases{
      {"elu", [](const Tensor& x) { return xg::elu(x); },
       [](L x) { return x > 0 ? x : std::expm1(x); }, [](L x) { return x > 0 ? 1 : std::exp(x); },
       2},
      {"celu(2)", [](const Tensor& x) { return xg::celu(x, 2); },
       [](L x) { return x > 0 ? x : 2 * std::expm1(x / 2); },
       [](L x) { return x > 0 ? 1 : std::exp(x / 2); }, 2},
      {"selu", [](const Tensor& x) { return xg::selu(x); },
       [=](L x) { return selu_s * (x > 0 ? x : selu_a * std::expm1(x)); },
       [=](L x) { return selu_s * (x > 0 ? 1 : selu_a * std::exp(x)); }, 2},
      // e^(-x^2) of the float square the kernel computes (as PyTorch would in float32): the
      // square's rounding alone moves e^(-x^2) by up to x^2 / 2 ulps. From |x| = 9.34
      // (-x^2 < -87.3) y is subnormal, and the derivative -2 x y has its fewer digits.
      {"gaussian", [](const Tensor& x) { return xg::gaussian(x); },
       [](L x) { return std::exp(-L(float(x * x))); },
       [](L x) { return -2 * x * std::exp(-L(float(x * x))); }, 2, 9.34f},
      {"softplus", [](const Tensor& x) { return xg::softplus(x); }, softplus_ref, sig, 2},
      {"logsigmoid", [](const Tensor& x) { return xg::logsigmoid(x); },
       [](L x) { return -softplus_ref(-x); }, [](L x) { return sig(-x); }, 2}};
  constexpr std::size_t kPoints = (1u << 16) + 1;
  const std::vector<float> xs = even_points(-104, 20, kPoints);
  for (const Case& c : cases) {
    INFO(c.name);
    const auto [ys, ds] = values_and_derivatives(c.op, xs);
    std::int64_t worst = 0;
    float worst_x = 0;
    const auto check = [&](float got, L exact, float at) {
      if (std::fabs(exact) < std::numeric_limits<float>::min()) {
        if (!(std::fabs(L(got) - exact) < std::numeric_limits<float>::min()))
          FAIL(c.name << " at " << at << ": " << got << ", exact " << double(exact));
      } else if (ulps_apart(got, float(exact)) > worst) {
        worst = ulps_apart(got, float(exact));
        worst_x = at;
      }
    };
    for (std::size_t i = 0; i < kPoints; ++i) {
      if (std::fabs(xs[i]) > c.max_abs) continue;
      check(ys[i], c.f(xs[i]), xs[i]);
      check(ds[i], c.df(xs[i]), xs[i]);
    }
    INFO("worst " << worst << " ulps at x = " << worst_x);
    REQUIRE(worst <= c.ulps);
  }
}

TEST_CASE("float32 ELU and SELU derivatives keep their subnormal values", "[activations]") {
  // f'(x) = alpha e^x (ELU) and scale alpha e^x (SELU) for x <= 0 fall below 2^-126 from
  // x = -87.34 and round to 0 below -103.98; PyTorch's exp keeps the subnormal digits. The
  // derivative is within two subnormal steps (2^-148: e^x rounds to a step, then its product with
  // SELU's constant rounds again) of the exact value, and not 0 where that is at least 2^-149.
  const long double selu = 1.6732632423543772848170429916717L * 1.0507009873554804934193349852946L;
  const std::vector<float> xs{-87.f,  -87.5f,  -90.f,  -95.5f, -100.f,
                              -103.f, -103.9f, -104.f, -120.f};
  for (const bool is_selu : {false, true}) {
    Tensor x = Tensor::from(std::vector<float>(xs), {xs.size()}).requires_grad_();
    (is_selu ? xg::selu(x) : xg::elu(x)).sum().backward();
    const std::vector<float> d = x.grad().to_vector();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const long double exact = (is_selu ? selu : 1.0L) * std::exp((long double)xs[i]);
      INFO((is_selu ? "selu" : "elu")
           << "'(" << xs[i] << ") = " << d[i] << ", exact " << double(exact));
      REQUIRE(std::fabs((long double)d[i] - exact) <= 0x1p-148L);
      if (exact >= 0x1p-149L) REQUIRE(d[i] > 0.f);
    }
  }
}

TEST_CASE("float32 results whose exponential is subnormal keep its digits", "[activations]") {
  // e^-88 = 6.05e-39 is below float's smallest normal 1.18e-38: softplus(-88) and
  // -logsigmoid(88) are that value, mish(-88) = -88 tanh(softplus(-88)) = -5.33e-37 (normal),
  // and gaussian'(9.47) = -2 x e^(-x^2) = -2.1e-38 (normal, from a subnormal e^(-x^2)). Within
  // two subnormal steps (2^-148), resp. 1e-5 relative (the subnormal's digits), of long double.
  const L e88 = std::exp(-88.0L);
  REQUIRE(std::fabs(L(xg::softplus(Tensor::from({-88.f})).item()) - e88) <= 0x1p-148L);
  REQUIRE(std::fabs(L(xg::logsigmoid(Tensor::from({88.f})).item()) + e88) <= 0x1p-148L);
  const L mish_88 = -88 * std::tanh(std::log1p(e88));
  REQUIRE(xg::mish(Tensor::from({-88.f})).item() == Approx(double(mish_88)).epsilon(1e-5));
  Tensor g = Tensor::from({9.47f, -9.47f}).requires_grad_();
  xg::gaussian(g).sum().backward();
  const float sq = 9.47f * 9.47f;  // the square as the kernel rounds it
  const L dg = -2 * L(9.47f) * std::exp(-L(sq));
  REQUIRE(g.grad().to_vector()[0] == Approx(double(dg)).epsilon(1e-5));
  REQUIRE(g.grad().to_vector()[1] == Approx(double(-dg)).epsilon(1e-5));
}

TEST_CASE("derivatives stay normal numbers where the exponential under them is subnormal",
          "[activations]") {
  // silu'(x) = s (1 + x (1 - s)) ~ x e^x for x -> -inf: at x = -87 (float) e^x = 1.6e-38 is
  // near the smallest normal, at -709 (double) e^x = 1.2e-308 is subnormal, yet the derivative
  // is a normal number. References: 40-digit mpmath of the definitions; within 1e-5 relative in
  // float (the subnormal's digits), 1e-12 in double; ELU's e^x itself within two subnormal steps.
  const auto df = [](const auto& op, auto x0) {
    auto x = xg::BasicTensor<decltype(x0)>::from({x0}).requires_grad_();
    op(x).backward();
    return x.grad().item();
  };
  REQUIRE(df([](const Tensor& x) { return xg::silu(x); }, -87.f) ==
          Approx(-1.4153978307307553e-36).epsilon(1e-5));
  REQUIRE(df([](const Tensor& x) { return xg::gelu_tanh(x); }, -10.f) ==
          Approx(-2.7576380638540316e-36).epsilon(1e-5));
  REQUIRE(df([](const TensorD& x) { return xg::silu(x); }, -709.) ==
          Approx(-8.614807714413835e-306).epsilon(1e-12));
  REQUIRE(df([](const TensorD& x) { return xg::mish(x); }, -709.) ==
          Approx(-8.614807714413835e-306).epsilon(1e-12));
  REQUIRE(std::fabs(df([](const TensorD& x) { return xg::elu(x); }, -709.5) -
                    7.380148314012581e-309) <= 0x1p-1073);
  // swish_beta at beta = 1: d/dx(-88) = -5.2675e-37 and d/dbeta(88) = x^2 s (1 - s) = 4.6887e-35.
  Tensor x = Tensor::from({-88.f, 88.f}).requires_grad_(), b = Tensor::from({1.f}).requires_grad_();
  xg::swish_beta(x, b).sum().backward();
  REQUIRE(x.grad().to_vector()[0] == Approx(-5.267503648999032e-37).epsilon(1e-5));
  Tensor b2 = Tensor::from({1.f}).requires_grad_();
  xg::swish_beta(Tensor::from({88.f}), b2).backward();
  REQUIRE(b2.grad().item() == Approx(4.688683707798678e-35).epsilon(1e-5));
}

TEST_CASE("float silu' on both sides of |x| = 80 and at the infinities", "[activations]") {
  // Within |x| <= 80 silu' is s + x t s^2 with t = e^-x; beyond, where t would be clamped or
  // infinite, another formula per lane. References: 40-digit mpmath of s (1 + x (1 - s)); at
  // +-inf PyTorch's inf * 0 gives NaN, at 100 f' rounds to 1. At -100 s = e^-100 is a subnormal
  // float 26 steps of 2^-149 from 0, so f' ~ -99 s keeps only two digits (PyTorch: 0).
  const float inf = std::numeric_limits<float>::infinity();
  Tensor x = Tensor::from({-85.f, -81.f, -79.f, 100.f, inf, -inf, -100.f}).requires_grad_();
  xg::silu(x).sum().backward();
  const auto g = x.grad().to_vector();
  REQUIRE(g[0] == Approx(-1.0215234113723735e-35).epsilon(1e-6));
  REQUIRE(g[1] == Approx(-5.3117417596645875e-34).epsilon(1e-6));
  REQUIRE(g[2] == Approx(-3.8267538899064388e-33).epsilon(1e-6));
  REQUIRE(g[3] == 1.f);
  REQUIRE(std::isnan(g[4]));
  REQUIRE(std::isnan(g[5]));
  REQUIRE(g[6] == Approx(-3.6828752162606276e-42).epsilon(0.03));
}

TEST_CASE("gaussian's derivative is 0, not NaN, where e^(-x^2) is 0", "[activations]") {
  // f' = -2 x e^(-x^2) -> 0 as |x| -> inf; -2 x y would be inf * 0 at +-inf.
  const float fmax = std::numeric_limits<float>::max(),
              finf = std::numeric_limits<float>::infinity();
  Tensor xf = Tensor::from({fmax, -fmax, finf, -finf}).requires_grad_();
  xg::gaussian(xf).sum().backward();
  require_values(xf.grad(), {0, 0, 0, 0}, 0);
  const double dmax = std::numeric_limits<double>::max(),
               dinf = std::numeric_limits<double>::infinity();
  TensorD xd = TensorD::from({dmax, -dmax, dinf, -dinf}).requires_grad_();
  xg::gaussian(xd).sum().backward();
  require_values(xd.grad(), {0, 0, 0, 0}, 0);
}

TEST_CASE("float32 derivatives that need 1 - sigmoid keep its digits in the right tail",
          "[activations]") {
  // silu' = s (1 + x (1 - s)), gelu_tanh' = s + x sech^2(u) u' / 2 with s = sigmoid(2u), mish' =
  // t + x sigmoid(x) sech^2(softplus(x)): where s or t rounds to 1 (from x = 17 in float), 1 - s
  // and 1 - t^2 computed by subtraction keep no digits, which cost these derivatives 8-17 ulps
  // for x in [5, 17]. Values and derivatives over 2^16 + 1 points of [2, 40] within 3 ulps of
  // long double (references from the definitions: 1 - s = 1 / (1 + e^x), sech^2 = 1 / cosh^2).
  const L k = std::sqrt(2 / L(3.14159265358979323846264338327950288L));
  const auto u = [k](L x) { return k * (x + 0.044715L * x * x * x); };
  const auto sech2 = [](L v) { return 1 / (std::cosh(v) * std::cosh(v)); };
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> op;
    std::function<L(L)> f, df;
  };
  const std::vector<Case> cases{
      {"silu", [](const Tensor& x) { return xg::silu(x); }, [](L x) { return x * sig(x); },
       [](L x) { return sig(x) * (1 + x / (1 + std::exp(x))); }},
      {"gelu_tanh", [](const Tensor& x) { return xg::gelu_tanh(x); },
       [=](L x) { return x * sig(2 * u(x)); },
       [=](L x) { return sig(2 * u(x)) + x / 2 * sech2(u(x)) * k * (1 + 3 * 0.044715L * x * x); }},
      {"mish", [](const Tensor& x) { return xg::mish(x); },
       [](L x) { return x * std::tanh(softplus_ref(x)); },
       [=](L x) { return std::tanh(softplus_ref(x)) + x * sig(x) * sech2(softplus_ref(x)); }}};
  constexpr std::size_t kPoints = (1u << 16) + 1;
  const std::vector<float> xs = even_points(2, 40, kPoints);
  for (const Case& c : cases) {
    const auto [ys, ds] = values_and_derivatives(c.op, xs);
    std::int64_t worst = 0;
    float worst_x = 0;
    for (std::size_t i = 0; i < kPoints; ++i)
      for (const auto d :
           {ulps_apart(ys[i], float(c.f(xs[i]))), ulps_apart(ds[i], float(c.df(xs[i])))})
        if (d > worst) {
          worst = d;
          worst_x = xs[i];
        }
    INFO(c.name << ": worst " << worst << " ulps at x = " << worst_x);
    REQUIRE(worst <= 3);
  }
}

TEST_CASE("float32 tanh is within 2 ulps of the exact value, saturating to exactly +-1",
          "[activations]") {
  // A dense sweep (2^20 + 1 evenly spaced points over [-12, 12], so every lane and the tail
  // see both formulas and the switch between them at |x| = 0.625) and a geometric one towards
  // zero (2^-126 ... 1), against tanh in long double. Where that rounds to +-1 (from |x| = 13 ln2
  // = 9.0109 on: 1 - tanh|x| = 2 e^-2|x| / (1 + e^-2|x|) < 2^-25), the result must be +-1.
  constexpr std::size_t kPoints = (1u << 20) + 1;
  std::vector<float> xs(kPoints);
  for (std::size_t i = 0; i < kPoints; ++i) xs[i] = float(-12.0 + 24.0 * double(i) / (kPoints - 1));
  for (float v = 1.f; v > std::numeric_limits<float>::min(); v *= 0.9f) {
    xs.push_back(v);
    xs.push_back(-v);
  }
  const std::vector<float> ys =
      xg::tanh(Tensor::from(std::vector<float>(xs), {xs.size()})).to_vector();
  std::int64_t worst = 0;
  float worst_x = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const float x = xs[i], y = ys[i], exact = float(std::tanh(L(x)));
    if (std::fabs(exact) == 1.f) {
      if (y != exact) FAIL("tanh(" << x << ") = " << y << ", exact rounds to +-1");
    } else if (ulps_apart(y, exact) > worst) {
      worst = ulps_apart(y, exact);
      worst_x = x;
    }
  }
  INFO("worst at x = " << worst_x);
  REQUIRE(worst <= 2);
  // Near 1, tanh' = 1 - y^2 (PyTorch's, from the output) keeps only the digits of 1 - y, so y
  // must be the correctly rounded value there, not 1 ulp off: over [2, 9] (2^-24 <= 1 - y <=
  // 0.036) at most 1% of the points may be 1 ulp off (rounding 1 - 2e/(1 + e) once; the
  // quotient (1 - e) / (1 + e) missed at about half of them), none more.
  std::size_t tail = 0, misrounded = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!(std::fabs(xs[i]) >= 2 && std::fabs(xs[i]) <= 9)) continue;
    ++tail;
    const std::int64_t d = ulps_apart(ys[i], float(std::tanh(L(xs[i]))));
    REQUIRE(d <= 1);
    misrounded += d != 0;
  }
  INFO(misrounded << " of " << tail << " points in the tails 1 ulp off");
  REQUIRE(misrounded * 100 <= tail);
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special{inf, -inf, std::nanf(""), 0.f, -0.f, 1e-30f, -1e-30f};
  const auto t = xg::tanh(Tensor::from(std::vector<float>(special), {special.size()})).to_vector();
  REQUIRE(t[0] == 1.f);
  REQUIRE(t[1] == -1.f);
  REQUIRE(std::isnan(t[2]));
  REQUIRE((t[3] == 0.f && !std::signbit(t[3])));
  REQUIRE((t[4] == 0.f && std::signbit(t[4])));  // tanh(-0) = -0, as std::tanh and PyTorch
  REQUIRE(t[5] == 1e-30f);
  REQUIRE(t[6] == -1e-30f);
}

TEST_CASE(
    "float32 sigmoid is within 2 ulps of the exact value from -104 to 89, saturating as "
    "PyTorch does",
    "[activations]") {
  // A dense sweep (2^20 + 1 evenly spaced points, so every lane and the tail see all ranges)
  // against 1 / (1 + e^-x) in long double. Where the exact value is below the smallest normal
  // float (x < -87.3) only the absolute error is bounded. PyTorch computes 1 / (1 + exp(-x)) in
  // float32: exp(-x) overflows to inf below x = -88.73, giving exactly 0, and 1 + exp(-x) rounds
  // to 1 above x = 16.7 (exp(-x) < 2^-24), giving exactly 1.
  constexpr std::size_t kPoints = (1u << 20) + 1;
  std::vector<float> xs(kPoints);
  for (std::size_t i = 0; i < kPoints; ++i)
    xs[i] = float(-104.0 + 193.0 * double(i) / (kPoints - 1));
  const std::vector<float> ys =
      xg::sigmoid(Tensor::from(std::vector<float>(xs), {kPoints})).to_vector();
  std::int64_t worst = 0;
  float worst_x = 0;
  for (std::size_t i = 0; i < kPoints; ++i) {
    const float x = xs[i], y = ys[i];
    const L exact = sig(x);
    if (x < -88.73f) {
      if (y != 0.f) FAIL("sigmoid(" << x << ") = " << y << ", PyTorch gives 0");
    } else if (x > 16.7f) {
      if (y != 1.f) FAIL("sigmoid(" << x << ") = " << y << ", PyTorch gives 1");
    } else if (exact < std::numeric_limits<float>::min()) {
      if (!(std::fabs(L(y) - exact) < std::numeric_limits<float>::min()))
        FAIL("sigmoid(" << x << ") = " << y << ", exact " << double(exact));
    } else if (ulps_apart(y, float(exact)) > worst) {
      worst = ulps_apart(y, float(exact));
      worst_x = x;
    }
  }
  INFO("worst at x = " << worst_x);
  REQUIRE(worst <= 2);
  // The special values: limits at the infinities, NaN kept, and the sign of zero irrelevant.
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special{inf, -inf, std::nanf(""), 0.f, -0.f, 1e-30f, -1e-30f};
  const auto s =
      xg::sigmoid(Tensor::from(std::vector<float>(special), {special.size()})).to_vector();
  REQUIRE(s[0] == 1.f);
  REQUIRE(s[1] == 0.f);
  REQUIRE(std::isnan(s[2]));
  REQUIRE(s[3] == 0.5f);
  REQUIRE(s[4] == 0.5f);
  REQUIRE(s[5] == 0.5f);
  REQUIRE(s[6] == 0.5f);
}

// Points where the direct formula cancels, under- or overflows, or a branch test meets NaN or
// infinity; each value and derivative from a 40-digit reference (mpmath, on the catalogue's
// formulas) or the exact limit, within 4 ulps in double (GELU's tail: 2 z^2 ulps, the condition
// number of erfc(z) at z = -x/sqrt 2, whose rounding no formula avoids). Zeros must be exact
// (sign aside), NaN NaN and infinities equal.
TEST_CASE("double precision where direct formulas cancel or overflow", "[activations]") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  const double sqrt2 = 1.4142135623730950488, lambda = 1.0507009873554804934193349852946;
  struct Point {
    const char* name;
    std::function<TensorD(const TensorD&)> op;
    double x, f, df;
    double ulps = 4;
  };
  const std::vector<Point> points{
      // GELU's left tail through erfc, and |x| where erfc's argument is huge.
      {"gelu", XG_OP(xg::gelu(x)), -4.1, -8.4695778341441629061e-05, -3.4531528751369800658e-04,
       17},
      {"gelu", XG_OP(xg::gelu(x)), -10, -7.619853024160526066e-23, -7.6184000964648140857e-22, 100},
      {"gelu", XG_OP(xg::gelu(x)), 3.5, 3.4991857982233756624, 1.0028217603536246352},
      {"gelu", XG_OP(xg::gelu(x)), 1e300, 1e300, 1},
      {"gelu", XG_OP(xg::gelu(x)), -1e300, 0, 0},
      // bent_identity: sqrt(x^2 + 1) - 1 cancels near 0; x^2 overflows.
      {"bent_identity", XG_OP(xg::bent_identity(x)), 1e-8, 1.0000000025e-8, 1.000000005},
      {"bent_identity", XG_OP(xg::bent_identity(x)), 1e-4, 1.0000249999999375e-4, 1.00004999999975},
      {"bent_identity", XG_OP(xg::bent_identity(x)), -0.3, -0.27798467455447249101,
       0.8563260572168272911},
      {"bent_identity", XG_OP(xg::bent_identity(x)), -1e300, -5e299, 0.5},
      {"bent_identity", XG_OP(xg::bent_identity(x)), 1e300, 1.5e300, 1.5},
      {"bent_identity", XG_OP(xg::bent_identity(x)), -inf, -inf, 0.5},
      {"bent_identity", XG_OP(xg::bent_identity(x)), inf, inf, 1.5},
      // isru / isrlu (a = 0.5): the limits +-1/sqrt(a) = +-sqrt 2 with a vanishing derivative.
      {"isru", XG_OP(xg::isru(x, 0.5)), 1e300, sqrt2, 0},
      {"isru", XG_OP(xg::isru(x, 0.5)), inf, sqrt2, 0},
      {"isru", XG_OP(xg::isru(x, 0.5)), -inf, -sqrt2, 0},
      {"isrlu", XG_OP(xg::isrlu(x, 0.5)), -inf, -sqrt2, 0},
      // squareplus (b = 4): f(x) = b / (4|x|) far left, x far right.
      {"squareplus", XG_OP(xg::squareplus(x, 4)), -1e300, 1e-300, 0},
      {"squareplus", XG_OP(xg::squareplus(x, 4)), 1e300, 1e300, 1},
      {"squareplus", XG_OP(xg::squareplus(x, 4)), inf, inf, 1},
      {"squareplus", XG_OP(xg::squareplus(x, 4)), -inf, 0, 0},
      // sinc: the derivative's series and direct form meet at |x| = 1.
      {"sinc", XG_OP(xg::sinc(x)), 0.49999999999999994, 0.95885107720840600957,
       -0.16253703063606655172},
      {"sinc", XG_OP(xg::sinc(x)), 0.5825, 0.9444006500677485712, -0.1876578068872371833},
      {"sinc", XG_OP(xg::sinc(x)), -0.9, 0.87036323291942598104, 0.27639251627640170646},
      // silu'(x) = 1/2 at a subnormal x, whose f = x/2 rounds to 0 (PyTorch: 0.5).
      {"silu", XG_OP(xg::silu(x)), 5e-324, 0, 0.5},
      // silu beyond |x| = 80, where the derivative takes another formula: f = x / (1 + e^-x),
      // f' = s (1 + x (1 - s)) ~ e^x (1 + x) at -100; at the infinities PyTorch's inf * 0: NaN.
      {"silu", XG_OP(xg::silu(x)), -100, -3.7200759760208359e-42, -3.6828752162606276e-42},
      {"silu", XG_OP(xg::silu(x)), 100, 100, 1},
      {"silu", XG_OP(xg::silu(x)), inf, inf, nan},
      {"silu", XG_OP(xg::silu(x)), -inf, nan, nan},
      // silu and sigmoid below x = -708, where 1 / (1 + e^-x) is 0 in double: sigmoid(-709.5) =
      // e^x / (1 + e^x) is subnormal, kept (within 64 ulps of it: a dozen subnormal steps), and
      // silu(-709.5) a normal number (libtorch 1.13: -5.236215228791926e-306; mpmath as below).
      {"sigmoid", XG_OP(xg::sigmoid(x)), -709.5, 7.38014831401258e-309, 7.38014831401258e-309, 64},
      {"silu", XG_OP(xg::silu(x)), -709.5, -5.236215228791926e-306, -5.2288350804779135e-306, 8},
      // gelu' = Phi(x) + x phi(x) at -37.7: phi's exponential is subnormal, x phi(x) is not
      // (40-digit mpmath; libtorch 1.13 drops Phi = 2.5e-311: -3.5322e-308). Flushed, f' was
      // Phi alone, +2.5e-311. Within x^2 ulps, as GELU's tail (erfc's condition).
      {"gelu", XG_OP(xg::gelu(x)), -37.7, -9.36273961974653e-310, -3.5297493541830577e-308, 1500},
      // gelu_tanh beyond |x| = 1e4: x^3 overflows, and f' is 1 resp. 0, not inf * 0 (libtorch
      // 1.13: 1 at 1e103, NaN from |x| = 1.4e154).
      {"gelu_tanh", XG_OP(xg::gelu_tanh(x)), 1e103, 1e103, 1},
      {"gelu_tanh", XG_OP(xg::gelu_tanh(x)), -1e103, 0, 0},
      {"gelu_tanh", XG_OP(xg::gelu_tanh(x)), 1e300, 1e300, 1},
      // hardswish and hardsigmoid divide by 3 and 6 as PyTorch's kernels do, to the bit
      // (libtorch 1.13 in double: hardswish(2.2) = 1.906666666666667, f' = 1.2333333333333334;
      // hardsigmoid(-0.5) = 0.4166666666666667). f'(-3) = -1/2 and f'(-1.5) = 0 exactly (with a
      // rounded 1/3: 1 ulp off, and 2.8e-17). hardsigmoid' is 1/6 in double (libtorch 1.13's
      // double backward multiplies by float(1/6) = 0.1666666716337204, 3e-8 off).
      {"hardswish", XG_OP(xg::hardswish(x)), -3, 0, -0.5, 0},
      {"hardswish", XG_OP(xg::hardswish(x)), -1.5, -0.375, 0, 0},
      {"hardswish", XG_OP(xg::hardswish(x)), 2.2, 1.906666666666667, 1.2333333333333334, 0},
      {"hardswish", XG_OP(xg::hardswish(x)), -0.5, -0.20833333333333334, 0.33333333333333337, 0},
      {"hardsigmoid", XG_OP(xg::hardsigmoid(x)), -0.5, 0.4166666666666667, 1.0 / 6, 0},
      {"hardsigmoid", XG_OP(xg::hardsigmoid(x)), 2.7, 0.9500000000000001, 1.0 / 6, 0},
      // ELU, SELU, CELU at NaN: PyTorch's backward tests x <= 0, so NaN gets the right piece's
      // slope (libtorch 1.13: 1, lambda, 1).
      {"elu", XG_OP(xg::elu(x, 2.0)), nan, nan, 1},
      {"selu", XG_OP(xg::selu(x)), nan, nan, lambda},
      {"celu", XG_OP(xg::celu(x, 1.0)), nan, nan, 1},
  };
  const auto close = [](double got, double expected, double ulps) {
    if (std::isnan(expected)) return std::isnan(got);
    if (expected == 0 || std::isinf(expected)) return got == expected;
    return std::fabs(got - expected) <= ulps * 2.2204460492503131e-16 * std::fabs(expected);
  };
  for (const Point& p : points) {
    TensorD x = TensorD::from({p.x}).requires_grad_();
    const TensorD y = p.op(x);
    y.backward();
    INFO(p.name << "(" << p.x << ") = " << y.item() << " (expected " << p.f
                << "), f' = " << x.grad().item() << " (expected " << p.df << ")");
    CHECK(close(y.item(), p.f, p.ulps));
    CHECK(close(x.grad().item(), p.df, p.ulps));
  }
}

TEST_CASE("gelu_tanh' is 1 or 0 for any finite |x| beyond 1e4, NaN at the infinities",
          "[activations]") {
  // x^3 overflows in float from |x| = 7e12; the slope x u' was then inf and inf * s (1 - s) NaN
  // (libtorch 1.13 in float: 1 at 2e13, NaN at 1e30). At +-inf NaN, as PyTorch's inf * 0.
  const float inf = std::numeric_limits<float>::infinity(),
              fmax = std::numeric_limits<float>::max();
  Tensor x = Tensor::from({1e4f, 2e13f, 1e30f, fmax, -2e13f, -fmax, inf, -inf}).requires_grad_();
  xg::gelu_tanh(x).sum().backward();
  const auto g = x.grad().to_vector();
  for (std::size_t i = 0; i < 4; ++i) REQUIRE(g[i] == 1.f);
  REQUIRE(g[4] == 0.f);
  REQUIRE(g[5] == 0.f);
  REQUIRE(std::isnan(g[6]));
  REQUIRE(std::isnan(g[7]));
}

TEST_CASE("celu with a negative alpha, float and double", "[activations]") {
  // alpha = -1: for x <= 0, f = alpha (e^(x/alpha) - 1) = 1 - e^-x and f' = e^(x/alpha) = e^-x
  // (libtorch 1.13: f(-1) = -1.7183, f'(-1) = 2.7183, f'(0) = 1); x/alpha > 0 there, off the
  // range of the float exp for z <= 0 that ELU uses.
  const std::vector<double> xs{-1, -0.5, 0, 1, -20};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const long double x = xs[i];
    const long double f = x > 0 ? x : 1 - std::exp(-x), df = x > 0 ? 1 : std::exp(-x);
    Tensor xf = Tensor::from({float(x)}).requires_grad_();
    const Tensor yf = xg::celu(xf, -1.0f);
    yf.backward();
    INFO("x = " << xs[i]);
    require_ulps(yf.item(), f, 4);
    require_ulps(xf.grad().item(), df, 4);
    TensorD xd = TensorD::from({xs[i]}).requires_grad_();
    const TensorD yd = xg::celu(xd, -1.0);
    yd.backward();
    REQUIRE(yd.item() == Approx(double(f)).epsilon(1e-15));
    REQUIRE(xd.grad().item() == Approx(double(df)).epsilon(1e-15));
  }
  // Up to the largest value: f = -e^-x and f' = e^-x are finite until -x = 88.72 in float
  // (709.78 in double); xsimd's exp overflowed from 88.38 (709.44). 40-digit references (mpmath)
  // of e^88.5 and e^709.6; libtorch 1.13 gives f(-88.5) = -2.7230879e38. Vectors of 1, 16 and 64
  // elements, through each loop of the kernel.
  for (std::size_t n : {1, 16, 64}) {
    Tensor xf = Tensor::full({n}, -88.5f).requires_grad_();
    const Tensor yf = xg::celu(xf, -1.0f);
    yf.sum().backward();
    require_ulps(yf.to_vector().back(), -2.7230878250681116e38L, 2);
    require_ulps(xf.grad().to_vector().back(), 2.7230878250681116e38L, 2);
    TensorD xd = TensorD::full({n}, -709.6).requires_grad_();
    const TensorD yd = xg::celu(xd, -1.0);
    yd.sum().backward();
    REQUIRE(yd.to_vector().back() == Approx(-1.4974914744969294e308).epsilon(4e-16));
    REQUIRE(xd.grad().to_vector().back() == Approx(1.4974914744969294e308).epsilon(4e-16));
  }
}

namespace {

template <class T>
std::uint64_t bits_of(T v) {
  std::uint64_t u = 0;
  std::memcpy(&u, &v, sizeof v);
  return u;
}

// The same x must give the same bits wherever it sits: a code path chosen per vector (xsimd's
// sin and cos pick their range reduction from a vector's largest |x|, or a NaN) changed the last
// bit of cos(x) for some x beside a large or NaN value.
template <class T>
void require_neighbour_independent(const std::string& name) {
  // Rows of 16 (a whole vector at every width), x in lane 0, the neighbour in lane 1.
  const std::vector<T> xs = [] {
    std::vector<T> v;
    for (int i = 0; i < 2000; ++i) v.push_back(T(-62 + 124 * double(i) / 1999));  // |x| <= 20 pi
    for (int i = 0; i < 200; ++i) v.push_back(T(63 + 137 * double(i) / 199));     // to 64 pi
    for (double x : {1e-30, -1e-30, 1e-5, -1e-5, 88.5, -88.5, 700.0, -700.0, 1e4, -1e4, 1e5, 3e7})
      v.push_back(T(x));
    return v;
  }();
  const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
  auto lane0 = [&](T neighbour) {
    std::vector<T> data(16 * xs.size(), T(0.25));
    for (std::size_t i = 0; i < xs.size(); ++i) {
      data[16 * i] = xs[i];
      data[16 * i + 1] = neighbour;
    }
    auto x = xg::BasicTensor<T>::from(std::move(data), {xs.size(), 16}).requires_grad_();
    const auto y = (*xg::nn::make_activation<T>(name, {}, 16))(x);
    y.sum().backward();
    std::vector<T> values, grads;
    const auto yv = y.to_vector(), gv = x.grad().to_vector();
    for (std::size_t i = 0; i < xs.size(); ++i) {
      values.push_back(yv[16 * i]);
      grads.push_back(gv[16 * i]);
    }
    return std::make_pair(values, grads);
  };
  const auto alone = lane0(T(0.25));
  for (T neighbour : {T(100), T(1e6), T(1e30), T(-1e30), inf, -inf, nan}) {
    const auto beside = lane0(neighbour);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      INFO(name << "(" << xs[i] << ") beside " << neighbour);
      REQUIRE(bits_of(beside.first[i]) == bits_of(alone.first[i]));
      REQUIRE(bits_of(beside.second[i]) == bits_of(alone.second[i]));
    }
  }
}

}  // namespace

TEST_CASE("every elementwise activation gives a value the same bits whatever the values beside it",
          "[activations]") {
  for (const auto& info : xg::nn::activation_catalogue()) {
    // Not elementwise: softmax and log_softmax (rows), maxout (groups); rrelu draws its slopes
    // anew in training; the trainable ones draw their initial parameters.
    if (info.trainable || info.name == "rrelu" || info.name == "softmax" ||
        info.name == "log_softmax" || info.name == "maxout")
      continue;
    require_neighbour_independent<float>(info.name);
    require_neighbour_independent<double>(info.name);
  }
}
