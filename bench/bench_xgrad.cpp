// xgrad_bench: the benchmark workloads (workloads.hpp) trained with xgrad, written the way a user
// would write them (nn::Sequential, nn::Linear, activation layers, nn losses, optimizers).
//
//   xgrad_bench --workload NAME --threads N --steps S --warmup W [--blas-threads M]
//               [--width W --depth D]
//
// Same flags, data, initial weights, timing rules and JSON line as libtorch_bench, with
// "impl":"xgrad"; loss_first proves both sides do the same work.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <xgrad/xgrad.hpp>

#include "bench_common.hpp"

namespace {

using xg::Tensor;
namespace nn = xg::nn;
namespace wl = workloads;

const char* g_program = "xgrad_bench";

bench::Record tail() {
  return bench::Record().text("isa", xg::simd_isa()).text("version", XGRAD_VERSION);
}

std::shared_ptr<nn::Module> activation_layer(const wl::Mlp& m, int width) {
  switch (m.activation) {
    case wl::Activation::Tanh:
      return std::make_shared<nn::Tanh>();
    case wl::Activation::PReLU:
      return std::make_shared<nn::PReLU>(std::size_t(width), wl::kPReLUInit);
    case wl::Activation::ReLU:
      return std::make_shared<nn::ReLU>();
    case wl::Activation::ELU:
      return std::make_shared<nn::ELU>(1.0f);
  }
  throw std::logic_error("unknown activation");
}

// Linear layers with the activation between them, starting from the workload's weights.
nn::Sequential make_model(const wl::Mlp& m) {
  nn::Sequential model;
  for (std::size_t l = 0; l < m.layers(); ++l) {
    const int in = m.widths[l], out = m.widths[l + 1];
    auto linear = std::make_shared<nn::Linear>(std::size_t(in), std::size_t(out));
    const auto weight = wl::initial_weight(m, l), bias = wl::initial_bias(m, l);
    std::copy(weight.begin(), weight.end(), linear->weight.data().data());
    std::copy(bias.begin(), bias.end(), linear->bias.data().data());
    model.push_back(linear);
    if (l + 1 < m.layers()) model.push_back(activation_layer(m, out));
  }
  return model;
}

std::unique_ptr<xg::optim::Optimizer> make_optimizer(const wl::Mlp& m,
                                                     const std::vector<Tensor>& params) {
  using namespace xg::optim;
  switch (m.optimizer) {
    case wl::Optimizer::SGD: {
      SGDOptions opts;
      opts.lr = m.lr;
      return std::make_unique<SGD>(params, opts);
    }
    case wl::Optimizer::SGDMomentum: {
      SGDOptions opts;
      opts.lr = m.lr;
      opts.momentum = m.momentum;
      return std::make_unique<SGD>(params, opts);
    }
    case wl::Optimizer::Adam: {
      AdamOptions opts;
      opts.lr = m.lr;
      return std::make_unique<Adam>(params, opts);
    }
  }
  throw std::logic_error("unknown optimizer");
}

Tensor compute_loss(wl::Loss loss, const Tensor& out, const Tensor& target) {
  switch (loss) {
    case wl::Loss::BCEWithLogits:
      return nn::binary_cross_entropy_with_logits(out, target);
    case wl::Loss::CrossEntropy:
      return nn::cross_entropy(out, target);
    case wl::Loss::MSE:
      return nn::mse_loss(out, target);
  }
  throw std::logic_error("unknown loss");
}

// The dataset cut into its batches: inputs [batch, features]; class indices [batch] (as float,
// xgrad's cross_entropy convention) or targets [batch, 1].
void make_batches(const wl::Mlp& m, std::vector<Tensor>& xs, std::vector<Tensor>& ys) {
  const wl::Dataset data = wl::make_dataset(m);
  const std::size_t n = std::size_t(m.batch), in = data.features;
  for (std::size_t b = 0; b < wl::kBatchesPerDataset; ++b) {
    const auto x0 = data.x.begin() + std::ptrdiff_t(b * n * in);
    xs.push_back(Tensor::from(std::vector<float>(x0, x0 + std::ptrdiff_t(n * in)), {n, in}));
    if (m.loss == wl::Loss::CrossEntropy) {
      const auto l0 = data.label.begin() + std::ptrdiff_t(b * n);
      ys.push_back(Tensor::from(std::vector<float>(l0, l0 + std::ptrdiff_t(n)), {n}));
    } else {
      const auto t0 = data.target.begin() + std::ptrdiff_t(b * n);
      ys.push_back(Tensor::from(std::vector<float>(t0, t0 + std::ptrdiff_t(n)), {n, 1}));
    }
  }
}

void run_mlp(const wl::Mlp& m, const bench::Options& o) {
  std::vector<Tensor> xs, ys;
  make_batches(m, xs, ys);
  nn::Sequential model = make_model(m);
  auto optimizer = make_optimizer(m, model.parameters());

  const int total = o.warmup + o.steps;
  double loss_first = 0, loss_last = 0;  // loss_last: mean over the last pass
  int last_count = 0;
  Tensor loss;
  const auto step_us = bench::time_steps(
      o,
      [&](int s) {
        const std::size_t b = std::size_t(s % wl::kBatchesPerDataset);
        optimizer->zero_grad();
        loss = compute_loss(m.loss, model(xs[b]), ys[b]);
        loss.backward();
        optimizer->step();
      },
      [&](int s) {
        if (s == 0) loss_first = loss.item();
        if (s >= total - wl::kBatchesPerDataset) {
          loss_last += loss.item();
          ++last_count;
        }
      });
  bench::print_record("xgrad", m.name, o, step_us,
                      bench::mlp_fields(m, step_us, loss_first, loss_last / last_count), tail());
}

std::function<Tensor(const Tensor&)> eltwise_function(const std::string& name) {
  if (name == "relu") return [](const Tensor& x) { return xg::relu(x); };
  if (name == "sigmoid") return [](const Tensor& x) { return xg::sigmoid(x); };
  if (name == "tanh") return [](const Tensor& x) { return xg::tanh(x); };
  if (name == "gelu") return [](const Tensor& x) { return xg::gelu(x, xg::Approximate::Tanh); };
  if (name == "elu") return [](const Tensor& x) { return xg::elu(x, 1.0f); };
  if (name == "leaky_relu") return [](const Tensor& x) { return xg::leaky_relu(x, 0.01f); };
  if (name == "silu") return [](const Tensor& x) { return xg::silu(x); };
  if (name == "softplus") return [](const Tensor& x) { return xg::softplus(x); };
  bench::usage(g_program, "unknown eltwise activation '" + name + "'");
}

// One step: y = act(x), loss = y.sum(), backward to x, whose gradient is dropped before each
// step (not timed) so that backward writes a fresh one.
void run_eltwise(const std::string& activation, const bench::Options& o) {
  const auto act = eltwise_function(activation);
  Tensor x = Tensor::from(wl::eltwise_input(), {wl::kEltwiseElements}).requires_grad_();
  const int last = o.warmup + o.steps - 1;
  const auto step_us = bench::time_steps(
      o, [&](int) { act(x).sum().backward(); },
      [&](int s) {
        if (s < last) x.zero_grad();  // the last gradient stays for the checksum
      });
  double grad_sum = 0;
  for (float g : x.grad().to_vector()) grad_sum += g;
  bench::print_record("xgrad", "eltwise_" + activation, o, step_us,
                      bench::Record()
                          .field("gflops", "null")
                          .field("elements", wl::kEltwiseElements)
                          .field("grad_sum", grad_sum),
                      tail());
}

}  // namespace

int main(int argc, char** argv) {
  g_program = argv[0];
  const bench::Options o = bench::parse_args(argc, argv);
  // --threads (or --blas-threads, for symmetry with libtorch_bench) sizes xgrad's pool.
  xg::set_num_threads(o.blas_threads);
  if (const wl::Mlp* m = bench::mlp_for(o)) {
    run_mlp(*m, o);
  } else if (o.workload == "eltwise") {
    for (const auto& a : wl::eltwise_activations()) run_eltwise(a, o);
  } else if (o.workload.rfind("eltwise_", 0) == 0) {
    run_eltwise(o.workload.substr(8), o);
  } else {
    bench::usage(g_program, "unknown workload '" + o.workload + "'");
  }
  std::fflush(stdout);
  return 0;
}
