// Optimizers' and schedulers' state_dict: PyTorch's names and layout, buffer values from the
// update rules written out by hand, exact continuation after a load into a fresh object, and
// every mismatch refused by name before anything changes.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>

#include <xgrad/optim/adagrad.hpp>
#include <xgrad/optim/adam.hpp>
#include <xgrad/optim/rmsprop.hpp>
#include <xgrad/optim/scheduler.hpp>
#include <xgrad/optim/sgd.hpp>
#include "test_helpers.hpp"

using namespace xgtest;
using Catch::Matchers::Contains;
namespace optim = xg::optim;
using Vec = std::vector<double>;
using Opt = optim::OptimizerOf<double>;
using Groups = std::vector<optim::ParamGroupSpec<double>>;

namespace {

// Two groups: a [2, 3] matrix and a [3] vector in group 0, a [2] vector in group 1, plus a
// [2] vector in group 1 that never gets a gradient (so it must never get a state).
struct Params {
  std::vector<TensorD> p{TensorD::from({0.5, -1, 2, 0.25, -0.75, 1.5}, {2, 3}),
                         TensorD::from({1, -2, 0.5}), TensorD::from({-0.5, 3}),
                         TensorD::from({7, 8})};
  Params() {
    for (auto& t : p) t.requires_grad_();
  }
  Groups groups() const { return {{{p[0], p[1]}}, {{p[2], p[3]}, {{"lr", 0.05}}}}; }
  std::vector<Vec> values() const {
    std::vector<Vec> out;
    for (const auto& t : p) out.push_back(t.to_vector());
    return out;
  }
  void set(const std::vector<Vec>& v) {
    for (std::size_t i = 0; i < p.size(); ++i)
      std::copy(v[i].begin(), v[i].end(), p[i].data().data());
  }
};

// The gradient of step t for parameter i: fixed numbers, so buffers can be computed by hand.
Vec grad_of(std::size_t t, std::size_t i, std::size_t n) {
  Vec g(n);
  for (std::size_t j = 0; j < n; ++j) g[j] = std::sin(double(1 + 3 * t + 7 * i + j));
  return g;
}

void steps(Opt& opt, Params& ps, std::size_t from, std::size_t to) {
  for (std::size_t t = from; t < to; ++t) {
    opt.zero_grad();
    TensorD loss = TensorD::scalar(0);
    for (std::size_t i = 0; i < 3; ++i)  // p[3] gets no gradient
      loss =
          loss + (ps.p[i] * TensorD::from(grad_of(t, i, ps.p[i].numel()), ps.p[i].shape())).sum();
    loss.backward();
    opt.step();
  }
}

using Make = std::function<std::unique_ptr<Opt>(const Groups&)>;

// 3 steps, state_dict, 3 more steps; a fresh optimizer on the parameters as they were after 3
// steps, loaded with the state, takes the same 3 steps: every value must be identical.
void require_exact_resume(const Make& make) {
  Params straight;
  auto opt = make(straight.groups());
  steps(*opt, straight, 0, 3);
  const optim::OptimizerState<double> saved = opt->state_dict();
  const auto at3 = straight.values();
  steps(*opt, straight, 3, 6);

  Params resumed;
  resumed.set(at3);
  auto fresh = make(resumed.groups());
  fresh->load_state_dict(saved);
  steps(*fresh, resumed, 3, 6);
  REQUIRE(resumed.values() == straight.values());
}

// Equal names, options, indices and bit-identical tensors.
void require_same_state(const optim::OptimizerState<double>& a,
                        const optim::OptimizerState<double>& b) {
  REQUIRE(a.param_groups.size() == b.param_groups.size());
  for (std::size_t g = 0; g < a.param_groups.size(); ++g) {
    REQUIRE(a.param_groups[g].options == b.param_groups[g].options);
    REQUIRE(a.param_groups[g].params == b.param_groups[g].params);
  }
  REQUIRE(a.state.size() == b.state.size());
  for (const auto& [index, buffers] : a.state) {
    REQUIRE(b.state.count(index));
    const auto& other = b.state.at(index);
    REQUIRE(buffers.size() == other.size());
    for (const auto& [name, t] : buffers) {
      INFO("parameter " << index << " buffer " << name);
      REQUIRE(other.count(name));
      REQUIRE(other.at(name).shape() == t.shape());
      REQUIRE(other.at(name).to_vector() == t.to_vector());
    }
  }
}

std::vector<std::string> names_of(const std::map<std::string, TensorD>& buffers) {
  std::vector<std::string> out;
  for (const auto& [name, t] : buffers) out.push_back(name);
  return out;
}
std::vector<std::string> keys_of(const optim::OptionMap& options) {
  std::vector<std::string> out;
  for (const auto& [key, v] : options) out.push_back(key);
  return out;
}

template <class O, class Options>
Make maker(Options o) {
  return [o](const Groups& g) { return std::make_unique<O>(g, o); };
}

}  // namespace

TEST_CASE("every optimizer resumes exactly from its state_dict", "[optim][state_dict]") {
  optim::SGDOptions sgd;
  sgd.lr = 0.1;
  SECTION("SGD without momentum") { require_exact_resume(maker<optim::SGDD>(sgd)); }
  sgd.momentum = 0.9;
  SECTION("SGD with momentum") { require_exact_resume(maker<optim::SGDD>(sgd)); }
  sgd.dampening = 0.2, sgd.weight_decay = 0.01;
  SECTION("SGD with dampening and weight decay") { require_exact_resume(maker<optim::SGDD>(sgd)); }
  SECTION("SGD nesterov") {
    sgd.dampening = 0, sgd.nesterov = true;
    require_exact_resume(maker<optim::SGDD>(sgd));
  }
  optim::AdamOptions adam;
  adam.lr = 0.01;
  SECTION("Adam") { require_exact_resume(maker<optim::AdamD>(adam)); }
  SECTION("Adam amsgrad, weight decay") {
    adam.amsgrad = true, adam.weight_decay = 0.1;
    require_exact_resume(maker<optim::AdamD>(adam));
  }
  SECTION("AdamW") { require_exact_resume(maker<optim::AdamWD>(optim::AdamWOptions{})); }
  optim::RMSpropOptions rms;
  SECTION("RMSprop") { require_exact_resume(maker<optim::RMSpropD>(rms)); }
  SECTION("RMSprop centered with momentum") {
    rms.centered = true, rms.momentum = 0.9, rms.weight_decay = 0.01;
    require_exact_resume(maker<optim::RMSpropD>(rms));
  }
  SECTION("Adagrad with lr decay and an initial accumulator") {
    optim::AdagradOptions ada;
    ada.lr_decay = 0.1, ada.initial_accumulator_value = 0.5;
    require_exact_resume(maker<optim::AdagradD>(ada));
  }
}

TEST_CASE("state_dict holds PyTorch's names and the values of the update rules",
          "[optim][state_dict]") {
  // Buffers after 3 steps with gradients g_0, g_1, g_2 (no weight decay), from PyTorch's rules:
  //   momentum_buffer  b = g_0, then b = mu b + g_t
  //   exp_avg          m = sum_t (1 - b1) b1^(2 - t) g_t;  exp_avg_sq likewise with b2 and g^2
  //   square_avg       s = sum_t (1 - alpha) alpha^(2 - t) g_t^2
  //   sum              initial_accumulator_value + sum_t g_t^2
  const auto expected = [](std::size_t i, std::size_t n,
                           const std::function<double(double, double)>& fold, double start) {
    Vec out(n, start);
    for (std::size_t t = 0; t < 3; ++t) {
      const Vec g = grad_of(t, i, n);
      for (std::size_t j = 0; j < n; ++j)
        out[j] = t == 0 && std::isnan(start) ? g[j] : fold(out[j], g[j]);
    }
    return out;
  };
  const auto require_close = [](const TensorD& t, const Vec& v) { require_values(t, v, 1e-15); };

  SECTION("SGD: momentum_buffer only, no step; PyTorch's option keys") {
    optim::SGDOptions o;
    o.lr = 0.1, o.momentum = 0.9;
    Params ps;
    optim::SGDD opt(ps.groups(), o);
    steps(opt, ps, 0, 3);
    const auto s = opt.state_dict();
    REQUIRE(s.state.size() == 3);  // parameter 3 never had a gradient
    REQUIRE(names_of(s.state.at(0)) == std::vector<std::string>{"momentum_buffer"});
    require_close(s.state.at(1).at("momentum_buffer"),
                  expected(
                      1, 3, [](double b, double g) { return 0.9 * b + g; }, NAN));
    REQUIRE(keys_of(s.param_groups[0].options) ==
            std::vector<std::string>{"dampening", "lr", "momentum", "nesterov", "weight_decay"});
    REQUIRE(std::get<bool>(s.param_groups[0].options.at("nesterov")) == false);
    REQUIRE(std::get<double>(s.param_groups[1].options.at("lr")) == 0.05);
    REQUIRE(s.param_groups[0].params == std::vector<std::size_t>{0, 1});
    REQUIRE(s.param_groups[1].params == std::vector<std::size_t>{2, 3});
  }
  SECTION("Adam: step, exp_avg, exp_avg_sq (+ max_exp_avg_sq with amsgrad); betas a pair") {
    optim::AdamOptions o;
    o.amsgrad = true;
    Params ps;
    optim::AdamD opt(ps.groups(), o);
    steps(opt, ps, 0, 3);
    const auto s = opt.state_dict();
    const auto& st = s.state.at(2);
    REQUIRE(names_of(st) ==
            std::vector<std::string>{"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"});
    REQUIRE(st.at("step").shape().empty());
    REQUIRE(st.at("step").item() == 3);
    require_close(st.at("exp_avg"),
                  expected(
                      2, 2, [](double m, double g) { return 0.9 * m + 0.1 * g; }, 0));
    require_close(st.at("exp_avg_sq"),
                  expected(
                      2, 2, [](double v, double g) { return 0.999 * v + 0.001 * g * g; }, 0));
    REQUIRE(std::get<std::vector<double>>(s.param_groups[0].options.at("betas")) ==
            Vec{0.9, 0.999});
    REQUIRE(keys_of(s.param_groups[0].options) ==
            std::vector<std::string>{"amsgrad", "betas", "eps", "lr", "weight_decay"});
  }
  SECTION("RMSprop: square_avg; momentum_buffer and grad_avg only when used") {
    Params ps;
    optim::RMSpropD plain(ps.groups(), {});
    steps(plain, ps, 0, 3);
    const auto s = plain.state_dict();
    REQUIRE(names_of(s.state.at(0)) == std::vector<std::string>{"square_avg", "step"});
    require_close(s.state.at(0).at("square_avg"),
                  expected(
                      0, 6, [](double v, double g) { return 0.99 * v + 0.01 * g * g; }, 0));
    optim::RMSpropOptions o;
    o.momentum = 0.5, o.centered = true;
    optim::RMSpropD full(ps.groups(), o);
    steps(full, ps, 0, 1);
    REQUIRE(names_of(full.state_dict().state.at(0)) ==
            std::vector<std::string>{"grad_avg", "momentum_buffer", "square_avg", "step"});
  }
  SECTION("Adagrad: step and sum") {
    optim::AdagradOptions o;
    o.initial_accumulator_value = 0.25;
    Params ps;
    optim::AdagradD opt(ps.groups(), o);
    steps(opt, ps, 0, 3);
    const auto s = opt.state_dict();
    REQUIRE(names_of(s.state.at(1)) == std::vector<std::string>{"step", "sum"});
    require_close(s.state.at(1).at("sum"),
                  expected(
                      1, 3, [](double a, double g) { return a + g * g; }, 0.25));
    REQUIRE(keys_of(s.param_groups[1].options) ==
            std::vector<std::string>{"eps", "initial_accumulator_value", "lr", "lr_decay",
                                     "weight_decay"});
  }
}

TEST_CASE("state_dict is a copy; load restores options; a round trip is the identity",
          "[optim][state_dict]") {
  Params ps;
  optim::AdamD opt(ps.groups(), {});
  steps(opt, ps, 0, 2);
  const auto saved = opt.state_dict();
  const Vec exp_avg = saved.state.at(0).at("exp_avg").to_vector();
  steps(opt, ps, 2, 3);
  REQUIRE(saved.state.at(0).at("exp_avg").to_vector() == exp_avg);  // later steps left it alone

  Params other;
  optim::AdamOptions different;
  different.lr = 0.5, different.beta1 = 0.5, different.amsgrad = true;
  optim::AdamD loaded(other.groups(), different);
  loaded.load_state_dict(saved);
  REQUIRE(loaded.lr(0) == 1e-3);  // the saved options replace the constructor's
  REQUIRE(loaded.lr(1) == 0.05);
  REQUIRE(loaded.param_groups()[0].options.beta1 == 0.9);
  REQUIRE_FALSE(loaded.param_groups()[0].options.amsgrad);
  require_same_state(loaded.state_dict(), saved);

  optim::AdamD empty(other.groups(), {});  // nothing stepped: no state, options only
  REQUIRE(empty.state_dict().state.empty());
  loaded.load_state_dict(empty.state_dict());
  REQUIRE(loaded.state_dict().state.empty());
}

TEST_CASE("a mismatched optimizer state is refused by name and changes nothing",
          "[optim][state_dict]") {
  Params ps;
  optim::SGDOptions o;
  o.lr = 0.1, o.momentum = 0.9;
  optim::SGDD opt(ps.groups(), o);
  steps(opt, ps, 0, 2);
  const auto before = opt.state_dict();
  const auto refused = [&](const optim::OptimizerState<double>& s, const std::string& message) {
    REQUIRE_THROWS_WITH(opt.load_state_dict(s), Contains(message));
    require_same_state(opt.state_dict(), before);
  };

  auto s = before;
  s.param_groups.pop_back();
  refused(s, "SGD: load_state_dict: the state has 1 param groups but the optimizer has 2");
  s = before;
  s.param_groups[1].params.push_back(9);
  refused(s, "param group 1 has 3 parameters in the state but 2 in the optimizer");
  s = before;
  s.param_groups[0].options.erase("nesterov");
  refused(s, "param group 0: missing option 'nesterov'");
  s = before;
  s.param_groups[0].options["betas"] = Vec{0.9, 0.99};
  refused(s,
          "param group 0: unknown option 'betas' (SGD has: dampening, lr, momentum, nesterov, "
          "weight_decay)");
  s = before;
  s.param_groups[0].options["nesterov"] = 1.0;
  refused(s, "option 'nesterov' must be true or false");
  s = before;
  s.param_groups[1].options["lr"] = -1.0;
  refused(s, "param group 1: SGD: lr must be >= 0, got -1");
  s = before;
  s.param_groups[1].params[0] = 0;
  refused(s, "parameter index 0 appears twice in param_groups");
  s = before;
  s.state[7] = s.state.at(0);
  refused(s, "state for parameter 7, which no param group lists");
  s = before;
  s.state.at(1).clear();
  refused(s,
          "the state of parameter 1 has no 'momentum_buffer' (its group's options call for: "
          "momentum_buffer)");
  s = before;
  s.state.at(1)["exp_avg"] = TensorD::zeros({3});
  refused(s, "the state of parameter 1 has an unexpected 'exp_avg'");
  s = before;
  s.state.at(0)["momentum_buffer"] = TensorD::zeros({3, 2});
  refused(s, "the state of parameter 0: 'momentum_buffer' has shape [3,2] but [2,3] is needed");
  s = before;
  s.param_groups[0].options["momentum"] = 0.0;  // momentum off: the saved buffer is unexpected
  refused(s, "the state of parameter 0 has an unexpected 'momentum_buffer'");

  Params ps2;
  optim::AdamD adam(ps2.groups(), {});
  steps(adam, ps2, 0, 1);
  auto a = adam.state_dict();
  a.state.at(0)["step"] = TensorD::scalar(1.5);
  REQUIRE_THROWS_WITH(adam.load_state_dict(a),
                      Contains("the state of parameter 0: 'step' must be a whole number >= 0, "
                               "got 1.5"));
  a.state.at(0)["step"] = TensorD::from({1.0});
  REQUIRE_THROWS_WITH(adam.load_state_dict(a), Contains("'step' has shape [1] but [] is needed"));
  a = adam.state_dict();
  a.param_groups[0].options["betas"] = Vec{0.9};
  REQUIRE_THROWS_WITH(adam.load_state_dict(a),
                      Contains("option 'betas' must be a pair of numbers"));
  a.param_groups[0].options["betas"] = Vec{1.5, 0.999};
  REQUIRE_THROWS_WITH(adam.load_state_dict(a), Contains("Adam: beta1 must be in [0, 1), got 1.5"));
}

TEST_CASE("a step count a float tensor cannot hold is kept exactly, in large_steps",
          "[optim][state_dict]") {
  Tensor w = Tensor::from({1.f, -2.f});
  w.requires_grad_();
  optim::Adam adam(std::vector<Tensor>{w}, {});
  const auto step = [&] {
    adam.zero_grad();
    (w * w).sum().backward();
    adam.step();
  };
  step();
  auto s = adam.state_dict();
  REQUIRE(s.state.at(0).at("step").item() == 1);
  REQUIRE(s.large_steps.empty());
  // 2^24 = 16777216 is the last count a float holds with every count below it: still a tensor.
  s.state.at(0)["step"] = Tensor::scalar(16777216.f);
  adam.load_state_dict(s);
  REQUIRE(adam.state_dict().state.at(0).at("step").item() == 16777216.f);
  step();  // 16777217 = 2^24 + 1: no float holds it (it would round to 16777216)
  const auto big = adam.state_dict();
  REQUIRE(big.large_steps == std::map<std::size_t, std::uint64_t>{{0, 16777217}});
  REQUIRE_FALSE(big.state.at(0).count("step"));
  adam.load_state_dict(big);  // a round trip
  step();
  REQUIRE(adam.state_dict().large_steps.at(0) == 16777218);

  // Each count in exactly one place, for a parameter with state, of an optimizer that counts.
  const auto refused = [&](const optim::OptimizerState<float>& bad, const std::string& message) {
    const auto before = adam.state_dict();
    REQUIRE_THROWS_WITH(adam.load_state_dict(bad), Contains("Adam: load_state_dict: " + message));
    REQUIRE(adam.state_dict().large_steps == before.large_steps);
  };
  auto both = big;
  both.state.at(0)["step"] = Tensor::scalar(3.f);
  refused(both, "the state of parameter 0 has a 'step' tensor and a step count in large_steps");
  auto none = big;
  none.large_steps.clear();
  refused(none, "the state of parameter 0 has no 'step'");
  auto stray = big;
  stray.large_steps[5] = 20000000;
  refused(stray, "large_steps holds a step count for parameter 5, which no param group lists");
  // A float step tensor above 2^24 may hold a rounded count (PyTorch's float32 step).
  auto rounded = s;
  rounded.state.at(0)["step"] = Tensor::scalar(16777218.f);
  refused(rounded,
          "the state of parameter 0: 'step' is 16777218, more than 2^24 = 16777216, the most "
          "steps a float step tensor holds exactly");

  optim::SGD sgd(std::vector<Tensor>{w}, {0.1, 0.9});
  sgd.zero_grad();
  (w * w).sum().backward();
  sgd.step();
  auto counted = sgd.state_dict();
  counted.large_steps[0] = 20000000;
  REQUIRE_THROWS_WITH(sgd.load_state_dict(counted),
                      Contains("large_steps holds a step count for parameter 0, but SGD keeps "
                               "none"));
}

TEST_CASE("every scheduler resumes exactly from its state_dict, settings included",
          "[optim][scheduler][state_dict]") {
  using MakeSched = std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&, bool)>;
  // `other` builds the same class with different settings: loading must replace them.
  const std::vector<std::pair<std::string, MakeSched>> cases{
      {"StepLR",
       [](optim::Optimizer& o, bool other) {
         return std::make_unique<optim::StepLR>(o, other ? 10 : 3, other ? 0.9 : 0.5);
       }},
      {"ExponentialLR",
       [](optim::Optimizer& o, bool other) {
         return std::make_unique<optim::ExponentialLR>(o, other ? 0.5 : 0.9);
       }},
      {"CosineAnnealingLR",
       [](optim::Optimizer& o, bool other) {
         return std::make_unique<optim::CosineAnnealingLR>(o, other ? 50 : 12, other ? 0 : 1e-3);
       }},
      {"LinearLR",
       [](optim::Optimizer& o, bool other) {
         return std::make_unique<optim::LinearLR>(o, other ? 0.5 : 0.1, 1, other ? 3 : 9);
       }},
      {"WarmupCosineLR", [](optim::Optimizer& o, bool other) {
         return std::make_unique<optim::WarmupCosineLR>(o, other ? 1 : 4, other ? 30 : 15,
                                                        other ? 0.5 : 0.1, other ? 0 : 1e-4);
       }}};
  for (const auto& [name, make] : cases) {
    INFO(name);
    Params a, b;
    optim::SGDD opt_a(a.groups(), {}), opt_b(b.groups(), {});
    auto sched = make(opt_a, false);
    REQUIRE(std::string(sched->name()) == name);
    for (int e = 0; e < 7; ++e) sched->step();
    const optim::SchedulerState saved = sched->state_dict();
    REQUIRE(saved.last_epoch == 7);
    REQUIRE(saved.base_lrs == Vec{1e-3, 0.05});  // SGD's default lr, group 1's own

    auto resumed = make(opt_b, true);
    resumed->load_state_dict(saved);
    REQUIRE(resumed->last_epoch() == 7);
    REQUIRE(resumed->state_dict().settings == saved.settings);
    for (int e = 0; e < 10; ++e) {
      sched->step();
      resumed->step();
      REQUIRE(resumed->get_last_lr() == sched->get_last_lr());
    }
  }
}

TEST_CASE("a scheduler refuses a step past the largest epoch or to a non-finite lr",
          "[optim][scheduler][state_dict]") {
  Params ps;
  optim::SGDD opt(ps.groups(), {});
  optim::StepLR sched(opt, 3, 0.5);
  // A loaded last_epoch at int's limit: the next step would overflow the count.
  optim::SchedulerState s = sched.state_dict();
  s.last_epoch = std::numeric_limits<int>::max();
  sched.load_state_dict(s);
  REQUIRE_THROWS_WITH(sched.step(), Contains("StepLR: step(): the epoch count is at its limit"));
  REQUIRE(sched.last_epoch() == std::numeric_limits<int>::max());
  // gamma 1e300 (finite, accepted): 1e300^2 overflows at epoch 2; the lr stays as it was.
  optim::ExponentialLR grow(opt, 1e300);
  grow.step();
  const double lr = opt.lr(0);
  REQUIRE_THROWS_WITH(grow.step(), Contains("ExponentialLR: step(): the learning rate of param "
                                            "group 0 would be inf at epoch 2"));
  REQUIRE(opt.lr(0) == lr);
  REQUIRE(grow.last_epoch() == 1);
}

TEST_CASE("scheduler settings use PyTorch's names", "[optim][scheduler][state_dict]") {
  Params ps;
  optim::SGDD opt(ps.groups(), {});
  using S = std::map<std::string, double>;
  REQUIRE(optim::StepLR(opt, 3, 0.5).state_dict().settings == S{{"gamma", 0.5}, {"step_size", 3}});
  REQUIRE(optim::ExponentialLR(opt, 0.9).state_dict().settings == S{{"gamma", 0.9}});
  REQUIRE(optim::CosineAnnealingLR(opt, 10, 0.01).state_dict().settings ==
          S{{"T_max", 10}, {"eta_min", 0.01}});
  REQUIRE(optim::LinearLR(opt, 0.2, 0.8, 4).state_dict().settings ==
          S{{"end_factor", 0.8}, {"start_factor", 0.2}, {"total_iters", 4}});
  REQUIRE(optim::WarmupCosineLR(opt, 2, 10, 0.3, 0.01).state_dict().settings ==
          S{{"eta_min", 0.01}, {"start_factor", 0.3}, {"total", 10}, {"warmup", 2}});
}

TEST_CASE("a mismatched scheduler state is refused by name and changes nothing",
          "[optim][scheduler][state_dict]") {
  Params ps;
  optim::SGDD opt(ps.groups(), {});
  optim::StepLR sched(opt, 3, 0.5);
  sched.step();
  const optim::SchedulerState before = sched.state_dict();
  const auto refused = [&](const optim::SchedulerState& s, const std::string& message) {
    REQUIRE_THROWS_WITH(sched.load_state_dict(s), Contains(message));
    const optim::SchedulerState now = sched.state_dict();
    REQUIRE(now.last_epoch == before.last_epoch);
    REQUIRE(now.base_lrs == before.base_lrs);
    REQUIRE(now.settings == before.settings);
  };
  auto s = before;
  s.base_lrs.pop_back();
  refused(s,
          "StepLR: load_state_dict: the state has 1 base_lrs but the optimizer has 2 param "
          "groups");
  s = before;
  s.base_lrs[1] = NAN;
  refused(s, "base_lrs[1] must be finite and >= 0, got nan");
  s = before;
  s.last_epoch = -1;
  refused(s, "last_epoch must be >= 0, got -1");
  s = before;
  s.settings.erase("gamma");
  refused(s, "missing setting 'gamma'");
  s = before;
  s.settings["T_max"] = 10;
  refused(s, "unknown setting 'T_max' (StepLR has: gamma, step_size)");
  s = before;
  s.settings["step_size"] = 2.5;
  refused(s, "'step_size' must be a whole number, got 2.5");
  s = before;
  s.settings["gamma"] = -1;
  refused(s, "StepLR: gamma must be > 0, got -1");
}
