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
