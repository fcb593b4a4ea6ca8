// PROVISIONAL (until nn layers / optimizers / activation registry land): a core-only MLP so the
// command line's data, progress, save and eval paths can be exercised. Replaced by the real one.
#include <fmt/format.h>

#include <cmath>
#include <xgrad/ops.hpp>

#include "cli.hpp"

namespace xgcli {
namespace {
struct Mlp : Model {
  std::vector<xg::Tensor> w, b;
  Mlp(const ModelSpec& s, std::uint64_t seed) {
    std::vector<std::size_t> sizes{s.in};
    sizes.insert(sizes.end(), s.hidden.begin(), s.hidden.end());
    sizes.push_back(s.out);
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      const float sd = std::sqrt(2.0f / float(sizes[i]));
      w.push_back(register_parameter(fmt::format("{}.weight", 2 * i),
                                     xg::Tensor::randn({sizes[i + 1], sizes[i]}, seed + i, 0, sd)));
      b.push_back(
          register_parameter(fmt::format("{}.bias", 2 * i), xg::Tensor::zeros({sizes[i + 1]})));
    }
  }
  xg::Tensor forward(const xg::Tensor& x) override {
    xg::Tensor h = x;
    for (std::size_t i = 0; i < w.size(); ++i) {
      h = xg::linear(h, w[i], b[i]);
      if (i + 1 < w.size()) h = xg::clamp_min(h, 0.0f);
    }
    return h;
  }
  std::string describe() const override { return "Mlp"; }
};
}  // namespace

std::shared_ptr<Model> build_model(const ModelSpec& spec, std::uint64_t seed) {
  return std::make_shared<Mlp>(spec, seed);
}

Optimizer make_optimizer(const OptimSpec& spec, Model& model) {
  auto params = model.parameters();
  const float lr = float(spec.lr);
  return {[params]() mutable {
            for (auto& p : params) p.zero_grad();
          },
          [params, lr]() mutable {
            xg::NoGradGuard g;
            for (auto& p : params)
              if (p.grad().defined()) p.data() -= lr * p.grad().data();
          }};
}

const std::vector<std::pair<std::string, std::string>>& optimizer_table() {
  static const std::vector<std::pair<std::string, std::string>> t{{"sgd", "plain SGD"}};
  return t;
}
std::vector<std::pair<std::string, std::string>> activation_table() {
  return {{"relu", "max(0,x)"}};
}

xg::Tensor loss(const xg::Tensor& out, const xg::Tensor& y, bool classification) {
  if (!classification) {
    const xg::Tensor d = out - y;
    return (d * d).mean();
  }
  // log-softmax cross-entropy from core ops
  const xg::Tensor m = out.max(1, true).detach();
  const xg::Tensor z = out - m;
  const xg::Tensor lse = xg::log(xg::exp(z).sum(1, true));
  std::vector<std::int64_t> idx;
  for (float v : y.to_vector()) idx.push_back(std::int64_t(v));
  const xg::Tensor picked = xg::gather(z - lse, 1, idx, xg::Shape{idx.size(), 1});
  return -picked.mean();
}

}  // namespace xgcli
