// Diagnostics (xgrad/diagnostics.hpp): anomaly mode, the Monitor's statistics, dead units,
// saturation and gradient flow, checked against values computed by hand.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_helpers.hpp"

using namespace xgtest;
namespace nn = xg::nn;
namespace diag = xg::diagnostics;

// ---- anomaly mode ------------------------------------------------------------------------------

TEST_CASE("anomaly mode names the op that produced -inf in forward (log(0))", "[anomaly]") {
  const Tensor x = Tensor::from({1, 2, 0, 4}).requires_grad_();
  REQUIRE_NOTHROW(xg::log(x));  // off by default: -inf passes silently, like PyTorch
  diag::DetectAnomaly guard;
  REQUIRE_THROWS_WITH(xg::log(x), Catch::Contains("anomaly detected in forward") &&
                                      Catch::Contains("LogBackward produced -inf") &&
                                      Catch::Contains("element 2 (index [2])") &&
                                      Catch::Contains("shape [4]"));
}

TEST_CASE("anomaly mode names the backward op that computed 0/0", "[anomaly]") {
  // L = sum(w * sqrt(x)) with x = [1, 0, 4], w = [1, 0, 1]: the forward is finite, but
  // dL/dx = w / (2 sqrt(x)) is 0/0 = nan at element 1, computed by SqrtBackward.
  const Tensor x = Tensor::from({1, 0, 4}, {3, 1}).requires_grad_();
  const Tensor w = Tensor::from({1, 0, 1}, {3, 1});
  {
    diag::DetectAnomaly guard;
    REQUIRE_THROWS_WITH((xg::sqrt(x) * w).sum().backward(),
                        Catch::Contains("anomaly detected in backward") &&
                            Catch::Contains("SqrtBackward returned nan") &&
                            Catch::Contains("input 0 (shape [3,1])") &&
                            Catch::Contains("element 1 (index [1,0])"));
  }
  // Off again after the guard: the same pass completes with the nan in x.grad.
  (xg::sqrt(x) * w).sum().backward();
  REQUIRE(std::isnan(x.grad().at(1, 0)));
  REQUIRE(x.grad().at(0, 0) == Approx(0.5));  // 1 / (2 sqrt(1))
}

TEST_CASE("anomaly mode lets finite passes through unchanged", "[anomaly]") {
  diag::DetectAnomaly guard;
  nn::Sequential net(nn::Linear(2, 3, true, 1), nn::Sigmoid(), nn::Linear(3, 1, true, 2));
  net(Tensor::rand({4, 2}, 3)).sum().backward();
  REQUIRE(net.parameters().front().grad().defined());
  {
    diag::DetectAnomaly off(false);  // nested guards restore what they found
    REQUIRE_FALSE(xg::anomaly_enabled());
  }
  REQUIRE(xg::anomaly_enabled());
}

TEST_CASE("anomaly mode sees the Linear's output in a Sequential that would fuse it", "[anomaly]") {
  // tanh(inf) = 1 is finite: only the Linear's own output shows the inf, so anomaly mode runs
  // the Linear and the activation apart.
  nn::Sequential net(nn::Linear(1, 1, true, 1), nn::Tanh());
  net.at<nn::Linear>(0).bias.data()(0) = std::numeric_limits<float>::infinity();
  const Tensor x = Tensor::from({1.f}, {1, 1});
  REQUIRE_NOTHROW(net(x));
  diag::DetectAnomaly guard;
  REQUIRE_THROWS_WITH(net(x), Catch::Contains("LinearBackward produced inf"));
}

// ---- a 2-layer net with weights chosen by hand -------------------------------------------------
//
// h = x W1ᵀ + b1 with W1 = [[1, -1], [2, 0]], b1 = [0, -1]; a = relu(h); out = a W2ᵀ + b2 with
// W2 = [[1, 2]], b2 = [0.5]; L = mean(out). On X = [[1, 0], [0, 1], [1, 1]]:
//   h   = [[1, 1], [-1, -1], [0, 1]]   mean 1/6, population std sqrt(29/36), 1 zero in 6
//   a   = [[1, 1], [0, 0], [0, 1]]     mean 1/2, std 1/2, 3 zeros in 6
//   out = [3.5, 0.5, 2.5]              mean 13/6, std sqrt(14/9)
//   dL/dout = 1/3 per row              ‖·‖ = sqrt(1/3)
//   dL/da = W2 / 3 per row             ‖·‖ = sqrt(15/9)
//   dL/dh = dL/da · relu'(h)           rows [1/3, 2/3], [0, 0], [0, 2/3]: ‖·‖ = 1
//   dL/dW1 = [[1/3, 0], [4/3, 2/3]]    ‖·‖ = sqrt(21)/3;  dL/db1 = [1/3, 4/3]: sqrt(17)/3
//   dL/dW2 = [[1/3, 2/3]]              ‖·‖ = sqrt(5)/3;   dL/db2 = [1]
namespace {

void set(Tensor& t, std::vector<float> values) {
  REQUIRE(values.size() == t.numel());
  std::copy(values.begin(), values.end(), t.data().data());
}

nn::Sequential hand_net() {
  nn::Sequential net(nn::Linear(2, 2), nn::ReLU(), nn::Linear(2, 1));
  auto& l1 = net.at<nn::Linear>(0);
  auto& l2 = net.at<nn::Linear>(2);
  set(l1.weight, {1, -1, 2, 0});
  set(l1.bias, {0, -1});
  set(l2.weight, {1, 2});
  set(l2.bias, {0.5f});
  return net;
}

const Tensor kX = Tensor::from({1, 0, 0, 1, 1, 1}, {3, 2});

}  // namespace

TEST_CASE("Monitor records each layer's output statistics and gradient norms", "[monitor]") {
  nn::Sequential net = hand_net();
  xg::optim::SGD opt(net.parameters(), {/*lr*/ 0.1});
  diag::Monitor mon(net);
  opt.zero_grad();
  net(kX).mean().backward();
  opt.step();
  {  // an evaluation pass before step(): not recorded
    xg::NoGradGuard no_grad;
    net(Tensor::from({5, 5}, {1, 2}));
  }
  mon.step();

  REQUIRE(mon.records().size() == 1);
  const auto& r = mon.records()[0];
  REQUIRE(r.step == 0);
  REQUIRE(r.layers.size() == 3);
  const auto &h = r.layers[0], &a = r.layers[1], &out = r.layers[2];
  REQUIRE(h.name == "0");
  REQUIRE(a.name == "1");
  REQUIRE(a.activation == "relu");
  REQUIRE(h.activation.empty());
  REQUIRE(h.mean == Approx(1.0 / 6));
  REQUIRE(h.std == Approx(std::sqrt(29.0 / 36)));
  REQUIRE(h.zero_fraction == Approx(1.0 / 6));
  REQUIRE(a.mean == Approx(0.5));
  REQUIRE(a.std == Approx(0.5));
  REQUIRE(a.zero_fraction == Approx(0.5));
  REQUIRE(out.mean == Approx(13.0 / 6));
  REQUIRE(out.std == Approx(std::sqrt(14.0 / 9)));
  REQUIRE(std::isnan(a.saturated_fraction));  // relu does not saturate on both sides
  REQUIRE(out.grad_norm == Approx(std::sqrt(1.0 / 3)));
  REQUIRE(a.grad_norm == Approx(std::sqrt(15.0 / 9)));
  REQUIRE(h.grad_norm == Approx(1.0));

  REQUIRE(r.parameters.size() == 4);
  const auto& w1 = r.parameters[0];
  REQUIRE(w1.name == "0.weight");
  REQUIRE(w1.grad_norm == Approx(std::sqrt(21.0) / 3));
  // SGD moves W by lr ∇W: ‖Δw‖/‖w‖ = 0.1 ‖∇W‖ / ‖W_before‖ (‖W1‖ = sqrt(6), ‖b1‖ = 1, ‖W2‖ =
  // sqrt(5)).
  REQUIRE(w1.update_ratio == Approx(0.1 * std::sqrt(21.0) / 3 / std::sqrt(6.0)));
  REQUIRE(r.parameters[1].update_ratio == Approx(0.1 * std::sqrt(17.0) / 3));
  REQUIRE(r.parameters[2].grad_norm == Approx(std::sqrt(5.0) / 3));
  REQUIRE(r.parameters[2].update_ratio == Approx(0.1 / 3));
  REQUIRE(r.parameters[3].grad_norm == Approx(1.0));
  // The norm is taken after the update: W2 - 0.1 ∇W2 = [1 - 1/30, 2 - 2/30].
  REQUIRE(r.parameters[2].norm == Approx(std::sqrt(5.0) * (1 - 1.0 / 30)));

  const std::string table = mon.summary();
  REQUIRE_THAT(table, Catch::Contains("step 0") && Catch::Contains("Linear(") &&
                          Catch::Contains("ReLU()") && Catch::Contains("0.weight") &&
                          Catch::Contains("50.0"));  // relu's zero%
}

TEST_CASE("Monitor records every k-th step, writes CSV and detaches when destroyed", "[monitor]") {
  nn::Sequential net = hand_net();
  xg::optim::SGD opt(net.parameters(), {0.01});
  int forward_calls = 0;
  net[1].register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { ++forward_calls; });
  {
    REQUIRE_THROWS_WITH(diag::Monitor(net, {0}), Catch::Contains("every must be >= 1, got 0"));
    diag::Monitor mon(net, {/*every*/ 2});
    std::vector<bool> recorded;
    for (int s = 0; s < 5; ++s) {
      recorded.push_back(mon.recording());
      opt.zero_grad();
      net(kX).mean().backward();
      opt.step();
      mon.step();
    }
    REQUIRE(recorded == std::vector<bool>{true, false, true, false, true});
    REQUIRE(mon.steps() == 5);
    REQUIRE(mon.records().size() == 3);
    REQUIRE(mon.records()[2].step == 4);

    mon.to_csv("t_monitor.csv");
    std::ifstream f("t_monitor.csv");
    std::string header, line;
    std::getline(f, header);
    REQUIRE(header ==
            "step,kind,name,module,mean,std,zero_fraction,saturated_fraction,grad_norm,norm,"
            "update_ratio");
    std::vector<std::string> rows;
    while (std::getline(f, line)) rows.push_back(line);
    REQUIRE(rows.size() == 3 * (3 + 4));  // 3 records x (3 layers + 4 parameters)
    REQUIRE(rows[1].rfind("0,layer,1,\"ReLU()\",0.5,0.5,0.5,,", 0) == 0);
    REQUIRE(rows[3].rfind("0,parameter,0.weight,,,,,,", 0) == 0);
    REQUIRE_THROWS_WITH(mon.to_csv("no_such_dir/m.csv"), Catch::Contains("no_such_dir/m.csv"));
  }
  // The monitor's hooks are gone; the user's own hook stays.
  forward_calls = 0;
  net(kX);
  REQUIRE(forward_calls == 1);
  std::remove("t_monitor.csv");
}

TEST_CASE("saturation: |f'(x)| < 1e-3, for the activations that saturate on both sides",
          "[probes]") {
  // sigmoid'(x) = s(1 - s): 0.25 at 0, 6.6e-3 at 5, 9.1e-4 at 7, 4.5e-5 at -10.
  nn::Sigmoid sigmoid;
  REQUIRE(diag::saturated_fraction(sigmoid, Tensor::from({0, 5, 7, -10})) == Approx(0.5));
  // hardtanh' = 1 inside (-1, 1), 0 outside.
  nn::Hardtanh hardtanh;
  REQUIRE(diag::saturated_fraction(hardtanh, Tensor::from({-0.5f, 2, -3, 0.9f})) == Approx(0.5));
  // A layer with parameters: its parameters receive no gradient from the measurement.
  nn::PReLU prelu(1, 0.f);  // slope 0 below zero: f' = 0 there
  REQUIRE(diag::saturated_fraction(prelu, Tensor::from({-1, 1, -2, 3})) == Approx(0.5));
  REQUIRE_FALSE(prelu.parameters()[0].grad().defined());

  for (const char* name : {"sigmoid", "tanh", "hardtanh", "softsign", "arctan"})
    REQUIRE(diag::saturates(std::string(name)));
  for (const char* name : {"relu", "leaky_relu", "elu", "gelu", "softmax", "identity", ""})
    REQUIRE_FALSE(diag::saturates(std::string(name)));

  // In the Monitor: a tanh layer fed values of 0 and ±10 (tanh'(10) = 8e-9).
  nn::Sequential net(nn::Linear(1, 2), nn::Tanh());
  set(net.at<nn::Linear>(0).weight, {1, 10});
  set(net.at<nn::Linear>(0).bias, {0, 0});
  diag::Monitor mon(net);
  net(Tensor::from({1, -1}, {2, 1})).sum().backward();  // tanh inputs [[1, 10], [-1, -10]]
  mon.step();
  REQUIRE(mon.records()[0].layers[1].saturated_fraction == Approx(0.5));
}

TEST_CASE("dead_units lists the units that are 0 for every row", "[probes]") {
  // On X = [[0, 1], [1, 1]]: h = [[-1, -1], [0, 1]], so relu's unit 0 is 0 on both rows.
  nn::Sequential net = hand_net();
  net.push_back(nn::LeakyReLU());
  const auto dead = diag::dead_units(net, Tensor::from({0, 1, 1, 1}, {2, 2}));
  REQUIRE(dead.size() == 2);
  REQUIRE(dead[0].layer == "1");
  REQUIRE(dead[0].activation == "relu");
  REQUIRE(dead[0].units == std::vector<std::size_t>{0});
  REQUIRE(dead[0].total == 2);
  REQUIRE(dead[0].fraction() == Approx(0.5));
  REQUIRE(dead[1].activation == "leaky_relu");
  REQUIRE(dead[1].units.empty());
  REQUIRE(diag::dead_fraction(dead) == Approx(1.0 / 3));
  REQUIRE(net.is_training());                           // measured in eval mode, then restored
  REQUIRE(diag::dead_units(net, kX)[0].units.empty());  // row [1, 0] activates unit 0
}

TEST_CASE("gradient_flow: ‖∇W‖ per layer, first/last ratio and its verdict", "[probes]") {
  nn::Sequential net = hand_net();
  net(kX).mean().backward();
  const auto flow = diag::gradient_flow(net);
  REQUIRE(flow.layers.size() == 2);
  REQUIRE(flow.layers[0].first == "0.weight");
  REQUIRE(flow.layers[0].second == Approx(std::sqrt(21.0) / 3));
  REQUIRE(flow.layers[1].second == Approx(std::sqrt(5.0) / 3));
  REQUIRE(flow.ratio() == Approx(std::sqrt(21.0 / 5)));
  REQUIRE(flow.verdict() == "ok: 2");

  diag::GradientFlow vanishing{{{"a", 3e-7}, {"b", 1.0}}}, exploding{{{"a", 4e3}, {"b", 1.0}}};
  REQUIRE(vanishing.verdict() == "vanishing: 3.0e-07");
  REQUIRE(exploding.verdict() == "exploding: 4.0e+03");
  REQUIRE(std::isnan(diag::GradientFlow{}.ratio()));
}

TEST_CASE("named_layers walks nested containers", "[probes]") {
  nn::Sequential net(nn::Linear(2, 3), nn::Residual(nn::Sequential(nn::Linear(3, 3), nn::Tanh())),
                     nn::Linear(3, 1));
  std::vector<std::string> names;
  for (const auto& [name, m] : diag::named_layers(net)) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"0", "1.block.0", "1.block.1", "2"});
}
