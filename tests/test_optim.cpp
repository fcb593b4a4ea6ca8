// Optimizers: three steps from given parameters and gradients against PyTorch's update rules
// written out here as scalar loops (from the algorithm boxes of PyTorch's documentation), param
// groups, clipping, penalties, schedulers, errors.
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include <xgrad/optim/adagrad.hpp>
#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/clip.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/scheduler.hpp>
#include <xgrad/optim/sgd.hpp>
#include "test_helpers.hpp"

using namespace xgtest;
namespace optim = xg::optim;
using Vec = std::vector<double>;

namespace {
const Vec kStart{0.5, -1.5, 2.0};
const std::vector<Vec> kGrads{{0.1, -0.2, 0.3}, {-0.4, 0.5, 0.05}, {0.2, 0.2, -0.6}};

using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<TensorD>)>;

// Runs three steps of `opt` on a parameter starting at `start` with gradients kGrads.
Vec run(const Make& make, const Vec& start = kStart) {
  TensorD p = TensorD::from(Vec(start), {3}).requires_grad_();
  auto opt = make({p});
  for (const Vec& g : kGrads) {
    opt->zero_grad();
    (p * TensorD::from(Vec(g), {3})).sum().backward();  // sets p.grad() = g
    opt->step();
  }
  return p.to_vector();
}

void require_same(const Vec& got, const Vec& expected) {
  for (std::size_t i = 0; i < got.size(); ++i)
    REQUIRE(got[i] == Approx(expected[i]).epsilon(1e-13));
}

// PyTorch SGD: g += wd p; b = (t == 1) ? g : mu b + (1 - damp) g; g = nesterov ? g + mu b : b; p -=
// lr g
Vec sgd_ref(double lr, double mu, double damp, double wd, bool nesterov) {
  Vec p = kStart, b(3);
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t i = 0; i < 3; ++i) {
      double g = kGrads[t][i] + wd * p[i];
      if (mu != 0) {
        b[i] = t == 0 ? g : mu * b[i] + (1 - damp) * g;
        g = nesterov ? g + mu * b[i] : b[i];
      }
      p[i] -= lr * g;
    }
  return p;
}

// PyTorch Adam / AdamW.
Vec adam_ref(double lr, double b1, double b2, double eps, double wd, bool amsgrad, bool decoupled) {
  Vec p = kStart, m(3), v(3), vmax(3);
  for (std::size_t t = 1; t <= 3; ++t)
    for (std::size_t i = 0; i < 3; ++i) {
      double g = kGrads[t - 1][i];
      if (decoupled)
        p[i] *= 1 - lr * wd;
      else
        g += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      vmax[i] = std::max(vmax[i], v[i]);
      const double vhat = amsgrad ? vmax[i] : v[i];
      p[i] -= lr / bc1 * m[i] / (std::sqrt(vhat) / std::sqrt(bc2) + eps);
    }
  return p;
}

// PyTorch RMSprop.
Vec rmsprop_ref(double lr, double alpha, double eps, double wd, double mu, bool centered) {
  Vec p = kStart, s(3), b(3), ga(3);
  for (std::size_t t = 0; t < 3; ++t)
    for (std::size_t i = 0; i < 3; ++i) {
      const double g = kGrads[t][i] + wd * p[i];
      s[i] = alpha * s[i] + (1 - alpha) * g * g;
      double avg = std::sqrt(s[i]);
      if (centered) {
        ga[i] = alpha * ga[i] + (1 - alpha) * g;
        avg = std::sqrt(s[i] - ga[i] * ga[i]);
      }
      avg += eps;
      if (mu > 0) {
        b[i] = mu * b[i] + g / avg;
        p[i] -= lr * b[i];
      } else {
        p[i] -= lr * g / avg;
      }
    }
  return p;
}

// PyTorch Adagrad: clr = lr / (1 + (t - 1) lr_decay); s += g^2; p -= clr g / (sqrt(s) + eps)
Vec adagrad_ref(double lr, double decay, double wd, double init, double eps) {
  Vec p = kStart, s(3, init);
  for (std::size_t t = 1; t <= 3; ++t)
    for (std::size_t i = 0; i < 3; ++i) {
      const double g = kGrads[t - 1][i] + wd * p[i];
      const double clr = lr / (1 + double(t - 1) * decay);
      s[i] += g * g;
      p[i] -= clr * g / (std::sqrt(s[i]) + eps);
    }
  return p;
}
}  // namespace

TEST_CASE("SGD: plain, momentum, dampening, nesterov, weight decay", "[optim]") {
  struct C {
    double lr, mu, damp, wd;
    bool nesterov;
  };
  for (const C c :
       {C{0.1, 0, 0, 0, false}, C{0.1, 0.9, 0, 0, false}, C{0.05, 0.9, 0.3, 0, false},
        C{0.1, 0.9, 0, 0, true}, C{0.1, 0.5, 0, 0.01, true}, C{0.2, 0, 0, 0.1, false}}) {
    INFO("lr " << c.lr << " momentum " << c.mu << " dampening " << c.damp << " wd " << c.wd
               << " nesterov " << c.nesterov);
    optim::SGDOptions o;
    o.lr = c.lr, o.momentum = c.mu, o.dampening = c.damp, o.weight_decay = c.wd,
    o.nesterov = c.nesterov;
    require_same(run([&](auto p) { return std::make_unique<optim::SGDD>(p, o); }),
                 sgd_ref(c.lr, c.mu, c.damp, c.wd, c.nesterov));
  }
}

TEST_CASE("Adam, Adam with amsgrad and weight decay, AdamW", "[optim]") {
  optim::AdamOptions o;
  o.lr = 0.01;
  require_same(run([&](auto p) { return std::make_unique<optim::AdamD>(p, o); }),
               adam_ref(0.01, 0.9, 0.999, 1e-8, 0, false, false));
  o.amsgrad = true, o.weight_decay = 0.1, o.beta1 = 0.8, o.beta2 = 0.99;
  require_same(run([&](auto p) { return std::make_unique<optim::AdamD>(p, o); }),
               adam_ref(0.01, 0.8, 0.99, 1e-8, 0.1, true, false));
  optim::AdamWOptions w;
  REQUIRE(w.weight_decay == 0.01);         // PyTorch's AdamW default
  const optim::AdamWOptions braced{0.02};  // an aggregate, as Adam's options
  REQUIRE((braced.lr == 0.02 && braced.weight_decay == 0.01 && braced.beta2 == 0.999));
  w.lr = 0.05;
  require_same(run([&](auto p) { return std::make_unique<optim::AdamWD>(p, w); }),
               adam_ref(0.05, 0.9, 0.999, 1e-8, 0.01, false, true));
}

// AdamW decays p a block at a time (adam.cpp): a tensor of several blocks, a copy of kStart in
// every 3 elements, ends as kStart does.
TEST_CASE("AdamW over a tensor of several blocks", "[optim]") {
  const std::size_t copies = 1500;  // 4500 elements
  Vec start, expected;
  const Vec one = adam_ref(0.05, 0.9, 0.999, 1e-8, 0.01, true, true);
  for (std::size_t i = 0; i < copies; ++i) {
    start.insert(start.end(), kStart.begin(), kStart.end());
    expected.insert(expected.end(), one.begin(), one.end());
  }
  TensorD p = TensorD::from(Vec(start), {3 * copies}).requires_grad_();
  optim::AdamWD opt({p}, optim::AdamWOptions{0.05, 0.9, 0.999, 1e-8, 0.01, true});
  for (const Vec& g : kGrads) {
    Vec tiled;
    for (std::size_t i = 0; i < copies; ++i) tiled.insert(tiled.end(), g.begin(), g.end());
    opt.zero_grad();
    (p * TensorD::from(std::move(tiled), {3 * copies})).sum().backward();
    opt.step();
  }
  require_same(p.to_vector(), expected);
}

TEST_CASE("RMSprop: plain, centered, momentum", "[optim]") {
  optim::RMSpropOptions o;
  require_same(run([&](auto p) { return std::make_unique<optim::RMSpropD>(p, o); }),
               rmsprop_ref(0.01, 0.99, 1e-8, 0, 0, false));
  o.centered = true, o.momentum = 0.9, o.weight_decay = 0.1, o.alpha = 0.9;
  require_same(run([&](auto p) { return std::make_unique<optim::RMSpropD>(p, o); }),
               rmsprop_ref(0.01, 0.9, 1e-8, 0.1, 0.9, true));
}

TEST_CASE("Adagrad: lr decay, weight decay, initial accumulator", "[optim]") {
  optim::AdagradOptions o;
  o.lr = 0.1;
  require_same(run([&](auto p) { return std::make_unique<optim::AdagradD>(p, o); }),
               adagrad_ref(0.1, 0, 0, 0, 1e-10));
  o.lr_decay = 0.5, o.weight_decay = 0.2, o.initial_accumulator_value = 0.3;
  require_same(run([&](auto p) { return std::make_unique<optim::AdagradD>(p, o); }),
               adagrad_ref(0.1, 0.5, 0.2, 0.3, 1e-10));
}

// PyTorch adds weight_decay * p to the gradient only when weight_decay != 0 (AdamW scales p by
// 1 - lr * wd instead), so without decay a parameter at +-inf stays there: 0 * inf is NaN.
TEST_CASE("weight_decay = 0 leaves an infinite parameter infinite, as PyTorch", "[optim]") {
  const double inf = std::numeric_limits<double>::infinity();
  optim::SGDOptions sgd, mom, damp, nest;
  sgd.lr = mom.lr = nest.lr = 0.1, damp.lr = 0.05;
  mom.momentum = damp.momentum = nest.momentum = 0.9, damp.dampening = 0.3, nest.nesterov = true;
  optim::AdamOptions adam, ams;
  adam.lr = ams.lr = 0.01, ams.amsgrad = true;
  optim::AdamWOptions adamw, adamw0;  // 0.01 (default) and 0: decoupled, never added to g
  adamw.lr = adamw0.lr = 0.05, adamw0.weight_decay = 0;
  optim::RMSpropOptions rms, rms_cm;
  rms_cm.alpha = 0.9, rms_cm.momentum = 0.9, rms_cm.centered = true;
  optim::AdagradOptions ada, ada_d;
  ada.lr = ada_d.lr = 0.1, ada_d.lr_decay = 0.5, ada_d.initial_accumulator_value = 0.3;
  struct C {
    const char* name;
    Make make;
    double middle;  // elements are independent: the finite one follows the reference from kStart
  };
  const C cases[] = {
      {"SGD", [&](auto p) { return std::make_unique<optim::SGDD>(p, sgd); },
       sgd_ref(0.1, 0, 0, 0, false)[1]},
      {"SGD momentum", [&](auto p) { return std::make_unique<optim::SGDD>(p, mom); },
       sgd_ref(0.1, 0.9, 0, 0, false)[1]},
      {"SGD dampening", [&](auto p) { return std::make_unique<optim::SGDD>(p, damp); },
       sgd_ref(0.05, 0.9, 0.3, 0, false)[1]},
      {"SGD nesterov", [&](auto p) { return std::make_unique<optim::SGDD>(p, nest); },
       sgd_ref(0.1, 0.9, 0, 0, true)[1]},
      {"Adam", [&](auto p) { return std::make_unique<optim::AdamD>(p, adam); },
       adam_ref(0.01, 0.9, 0.999, 1e-8, 0, false, false)[1]},
      {"Adam amsgrad", [&](auto p) { return std::make_unique<optim::AdamD>(p, ams); },
       adam_ref(0.01, 0.9, 0.999, 1e-8, 0, true, false)[1]},
      {"AdamW", [&](auto p) { return std::make_unique<optim::AdamWD>(p, adamw); },
       adam_ref(0.05, 0.9, 0.999, 1e-8, 0.01, false, true)[1]},
      {"AdamW wd 0", [&](auto p) { return std::make_unique<optim::AdamWD>(p, adamw0); },
       adam_ref(0.05, 0.9, 0.999, 1e-8, 0, false, true)[1]},
      {"RMSprop", [&](auto p) { return std::make_unique<optim::RMSpropD>(p, rms); },
       rmsprop_ref(0.01, 0.99, 1e-8, 0, 0, false)[1]},
      {"RMSprop centered momentum",
       [&](auto p) { return std::make_unique<optim::RMSpropD>(p, rms_cm); },
       rmsprop_ref(0.01, 0.9, 1e-8, 0, 0.9, true)[1]},
      {"Adagrad", [&](auto p) { return std::make_unique<optim::AdagradD>(p, ada); },
       adagrad_ref(0.1, 0, 0, 0, 1e-10)[1]},
      {"Adagrad lr decay", [&](auto p) { return std::make_unique<optim::AdagradD>(p, ada_d); },
       adagrad_ref(0.1, 0.5, 0, 0.3, 1e-10)[1]},
  };
  for (const C& c : cases) {
    INFO(c.name);
    const Vec got = run(c.make, {-inf, -1.5, inf});
    REQUIRE(got[0] == -inf);
    REQUIRE(got[1] == Approx(c.middle).epsilon(1e-13));
    REQUIRE(got[2] == inf);
  }
  // The audit's case: torch gives [-inf, 1.9], then [-inf, 1.85] (xgrad made the -inf NaN).
  TensorD p = TensorD::from({0., 2.}, {2}).requires_grad_();
  optim::SGDD opt({p}, sgd);
  for (const Vec& g : {Vec{inf, 1}, Vec{0.5, 0.5}}) {
    opt.zero_grad();
    (p * TensorD::from(Vec(g), {2})).sum().backward();
    opt.step();
  }
  REQUIRE(p.to_vector()[0] == -inf);
  REQUIRE(p.to_vector()[1] == Approx(1.85));
}

// Adam's amsgrad takes torch.maximum(max_exp_avg_sq, exp_avg_sq), NaN when either is NaN (PyTorch
// 1.13: max_exp_avg_sq = [0.00020982001, nan, 0.00045231759] here; std::max kept 4e-5).
TEST_CASE("amsgrad: a NaN second moment makes its running maximum NaN, as PyTorch", "[optim]") {
  std::vector<Vec> grads = kGrads;
  grads[1][1] = std::numeric_limits<double>::quiet_NaN();
  for (const bool decoupled : {false, true}) {
    INFO((decoupled ? "AdamW" : "Adam"));
    TensorD p = TensorD::from(Vec(kStart), {3}).requires_grad_();
    optim::AdamOptions o;
    o.lr = 0.01, o.amsgrad = true;
    std::unique_ptr<optim::OptimizerOf<double>> opt;
    if (decoupled)
      opt = std::make_unique<optim::AdamWD>(
          std::vector<TensorD>{p}, optim::AdamWOptions{0.01, 0.9, 0.999, 1e-8, 0.01, true});
    else
      opt = std::make_unique<optim::AdamD>(std::vector<TensorD>{p}, o);
    for (const Vec& g : grads) {
      opt->zero_grad();
      (p * TensorD::from(Vec(g), {3})).sum().backward();
      opt->step();
    }
    const Vec vmax = opt->state_dict().state.at(0).at("max_exp_avg_sq").to_vector();
    REQUIRE(vmax[0] == Approx(0.00020982001000000022).epsilon(1e-13));
    REQUIRE(std::isnan(vmax[1]));
    REQUIRE(vmax[2] == Approx(0.0004523175900000004).epsilon(1e-13));
  }
}

TEST_CASE("parameter groups: own options; no gradient, no step; zero_grad", "[optim]") {
  TensorD w = TensorD::from({1.}).requires_grad_(), alpha = TensorD::from({0.25}).requires_grad_();
  TensorD unused = TensorD::from({3.}).requires_grad_();
  optim::SGDOptions o;
  o.lr = 0.1, o.weight_decay = 0.5;
  optim::SGDD opt({{{w}}, {{alpha}, {{"weight_decay", 0.0}, {"lr", 0.2}}}, {{unused}}}, o);
  (w * 2.0 + alpha * 4.0).sum().backward();
  opt.step();
  REQUIRE(w.item() == Approx(1 - 0.1 * (2 + 0.5 * 1)));
  REQUIRE(alpha.item() == Approx(0.25 - 0.2 * 4));  // no weight decay in its group
  REQUIRE(unused.item() == 3);                      // no gradient: untouched
  REQUIRE(opt.num_param_groups() == 3);
  REQUIRE(opt.lr(1) == 0.2);
  opt.zero_grad();
  REQUIRE(!w.grad().defined());
  REQUIRE_THROWS_WITH(optim::SGDD({{{w}, {{"momentun", 0.9}}}}, o),
                      Catch::Contains("unknown option 'momentun'"));
}

TEST_CASE("invalid options are rejected by name and range", "[optim]") {
  TensorD p = TensorD::from({1.}).requires_grad_();
  optim::SGDOptions s;
  s.lr = -1;
  REQUIRE_THROWS_WITH(optim::SGDD({p}, s), "SGD: lr must be >= 0, got -1");
  s.lr = 0.1, s.nesterov = true;
  REQUIRE_THROWS_WITH(optim::SGDD({p}, s), Catch::Contains("nesterov needs momentum > 0"));
  optim::AdamOptions a;
  a.beta2 = 1;
  REQUIRE_THROWS_WITH(optim::AdamD({p}, a), "Adam: beta2 must be in [0, 1), got 1");
  REQUIRE_THROWS_WITH(optim::SGDD({TensorD::from({1.})}, {}), Catch::Contains("requires grad"));
}

TEST_CASE("clip_grad_norm_ returns the norm before clipping; clip_grad_value_", "[optim]") {
  TensorD a = TensorD::from({0.}).requires_grad_(), b = TensorD::from({0., 0.}).requires_grad_();
  auto set = [&] {
    a.zero_grad(), b.zero_grad();
    (a * TensorD::from({3.}) + (b * TensorD::from({0., 4.})).sum())
        .sum()
        .backward();  // grads 3 | 0, 4
  };
  set();
  REQUIRE(optim::clip_grad_norm_<double>({a, b}, 1.0) == Approx(5));
  REQUIRE(a.grad().item() == Approx(3 / (5 + 1e-6)));
  REQUIRE(b.grad().to_vector()[1] == Approx(4 / (5 + 1e-6)));
  set();
  REQUIRE(optim::clip_grad_norm_<double>({a, b}, 10.0) == Approx(5));
  REQUIRE(a.grad().item() == 3);  // below max_norm: untouched
  set();
  REQUIRE(optim::clip_grad_norm_<double>({a, b}, 2.0, INFINITY) == 4);
  REQUIRE(a.grad().item() == Approx(3 * 2 / (4 + 1e-6)));
  set();
  optim::clip_grad_value_<double>({a, b}, 3.5);
  REQUIRE(a.grad().item() == 3);
  REQUIRE(b.grad().to_vector()[1] == 3.5);
}

// torch.nn.utils.clip_grad_norm_ (1.13): the inf norm is max |g| and NaN if a g is, and every
// gradient is multiplied by clamp(max_norm / (norm + 1e-6), max=1), which is NaN for a NaN norm
// and 0 for an infinite one (so an infinite gradient becomes inf * 0 = NaN).
TEST_CASE("clip_grad_norm_ with a NaN or infinite gradient, as PyTorch", "[optim]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct C {
    double bad, max_norm, norm_type;
  };
  for (const C c : {C{nan, 1, 2}, C{nan, 1, inf}, C{nan, 10, 2}, C{inf, 1, 2}, C{inf, 1, inf},
                    C{inf, inf, 2}}) {
    INFO("gradient " << c.bad << " max_norm " << c.max_norm << " norm_type " << c.norm_type);
    TensorD a = TensorD::zeros({3}).requires_grad_(), b = TensorD::zeros({1}).requires_grad_();
    ((a * TensorD::from({3., c.bad, -4.})).sum() + (b * TensorD::from({2.})).sum())
        .backward();  // grads 3, bad, -4 | 2
    const double norm = optim::clip_grad_norm_<double>({a, b}, c.max_norm, c.norm_type);
    const Vec ga = a.grad().to_vector();
    const double gb = b.grad().item();
    if (std::isnan(c.bad) || c.max_norm == inf) {  // coefficient NaN (inf / inf): all NaN
      REQUIRE((std::isnan(c.bad) ? std::isnan(norm) : norm == inf));
      REQUIRE((std::isnan(ga[0]) && std::isnan(ga[1]) && std::isnan(ga[2]) && std::isnan(gb)));
    } else {  // coefficient 0: [0, NaN, -0] | 0
      REQUIRE(norm == inf);
      REQUIRE((ga[0] == 0 && std::isnan(ga[1]) && ga[2] == 0 && std::signbit(ga[2]) && gb == 0));
    }
  }
}

TEST_CASE("L1 and L2 penalties are differentiable sums", "[optim]") {
  TensorD a = TensorD::from({-2., 3.}).requires_grad_(), b = TensorD::from({0.5}).requires_grad_();
  TensorD l1 = optim::l1_penalty<double>({a, b});
  REQUIRE(l1.item() == 5.5);
  l1.backward();
  require_values(a.grad(), {-1, 1}, 0);
  REQUIRE(optim::l2_penalty<double>({a, b}).item() == 4 + 9 + 0.25);
}

TEST_CASE("schedulers follow PyTorch's closed forms", "[optim][scheduler]") {
  TensorD p = TensorD::from({1.}).requires_grad_();
  optim::SGDOptions o;
  o.lr = 0.1;
  auto lrs = [&](auto make, int epochs) {
    optim::SGDD opt({p}, o);
    auto sched = make(opt);
    Vec out{opt.lr(0)};
    for (int e = 0; e < epochs; ++e) {
      sched.step();
      out.push_back(sched.get_last_lr()[0]);
    }
    return out;
  };
  const auto step = lrs([](auto& opt) { return optim::StepLR(opt, 3, 0.5); }, 7);
  for (int e = 0; e <= 7; ++e) REQUIRE(step[e] == Approx(0.1 * std::pow(0.5, e / 3)));
  const auto expo = lrs([](auto& opt) { return optim::ExponentialLR(opt, 0.9); }, 5);
  for (int e = 0; e <= 5; ++e) REQUIRE(expo[e] == Approx(0.1 * std::pow(0.9, e)));
  const auto cosine = lrs([](auto& opt) { return optim::CosineAnnealingLR(opt, 10, 0.01); }, 10);
  for (int e = 0; e <= 10; ++e)
    REQUIRE(cosine[e] == Approx(0.01 + (0.1 - 0.01) * (1 + std::cos(M_PI * e / 10)) / 2));
  REQUIRE(cosine[10] == Approx(0.01));
  const auto linear = lrs([](auto& opt) { return optim::LinearLR(opt, 0.25, 1.0, 4); }, 6);
  for (int e = 0; e <= 6; ++e)
    REQUIRE(linear[e] == Approx(0.1 * (0.25 + 0.75 * std::min(e, 4) / 4)));
  const auto wc = lrs([](auto& opt) { return optim::WarmupCosineLR(opt, 2, 12, 0.1); }, 12);
  REQUIRE(wc[0] == Approx(0.01));
  REQUIRE(wc[1] == Approx(0.1 * (0.1 + 0.9 / 2)));
  REQUIRE(wc[2] == Approx(0.1));  // warm-up over: cosine from the base lr
  REQUIRE(wc[7] == Approx(0.1 * (1 + std::cos(M_PI * 5 / 10)) / 2));
  REQUIRE(wc[12] == Approx(0).margin(1e-15));
  optim::SGDD opt({p}, o);
  REQUIRE_THROWS_WITH(optim::StepLR(opt, 0), Catch::Contains("step_size must be >= 1"));
}

TEST_CASE("set_lr and lr check the group index and the value") {
  Tensor p = Tensor::zeros({2});
  p.requires_grad_();
  optim::SGD opt({p}, {0.1});
  REQUIRE_THROWS_AS(opt.set_lr(5, 0.1), std::out_of_range);
  REQUIRE_THROWS_WITH(opt.set_lr(5, 0.1),
                      Catch::Contains("SGD: parameter group 5 does not exist (there are 1)"));
  REQUIRE_THROWS_WITH(opt.lr(1), Catch::Contains("parameter group 1 does not exist"));
  REQUIRE_THROWS_WITH(opt.set_lr(0, std::nan("")), Catch::Contains("lr must be finite and >= 0"));
  REQUIRE_THROWS_WITH(opt.set_lr(0, -1), Catch::Contains("lr must be >= 0, got -1"));
  REQUIRE(opt.lr(0) == 0.1);  // unchanged by the refused calls
  opt.set_lr(0, 0.5);
  REQUIRE(opt.lr(0) == 0.5);
}

TEST_CASE("infinite options are refused: they pass '>= 0' but poison every update") {
  Tensor p = Tensor::zeros({2});
  p.requires_grad_();
  const double inf = std::numeric_limits<double>::infinity();
  REQUIRE_THROWS_WITH(optim::Adam({p}, {inf}), Catch::Contains("Adam: lr must be finite"));
  REQUIRE_THROWS_WITH(optim::SGD({{{p}, {{"weight_decay", inf}}}}, {0.1}),
                      Catch::Contains("SGD: weight_decay must be finite"));
  REQUIRE_THROWS_WITH(optim::RMSprop({{{p}, {{"eps", inf}}}}, {0.1}),
                      Catch::Contains("RMSprop: eps must be finite"));
  optim::SGD opt({p}, {0.1});
  REQUIRE_THROWS_WITH(optim::ExponentialLR(opt, inf), Catch::Contains("gamma must be finite"));
  REQUIRE_THROWS_WITH(optim::CosineAnnealingLR(opt, 10, std::nan("")),
                      Catch::Contains("eta_min must be finite"));
  REQUIRE_THROWS_WITH(optim::WarmupCosineLR(opt, 1, 10, 0.1, -1),
                      Catch::Contains("eta_min must be >= 0"));
}
