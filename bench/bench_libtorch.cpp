// libtorch_bench: the benchmark workloads (workloads.hpp) in PyTorch's C++ frontend, for
// bench/compare.sh and bench/scaling.sh. Built only when libtorch is installed
// (Debian 12: apt-get install -y libtorch-dev).
//
//   libtorch_bench --workload NAME --threads N --steps S --warmup W [--blas-threads M]
//                  [--width W --depth D]
//
// --threads sizes ATen's pool (one inter-op thread) and, unless --blas-threads says otherwise,
// OpenBLAS's: Debian's libtorch calls OpenBLAS and does not pass its own setting on.
#include <dlfcn.h>
#include <torch/torch.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace {

namespace wl = workloads;

const char* g_program = "libtorch_bench";

// Sizes OpenBLAS's pool if OpenBLAS is loaded; returns its kernel name ("unknown" otherwise).
std::string set_openblas_threads(int threads) {
  auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  auto name = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (set) set(threads);
  return name ? name() : "unknown";
}

// OMP_WAIT_POLICY (whether idle OpenMP workers spin) changes libtorch's multi-thread figures.
std::string omp_wait_policy() {
  const char* env = std::getenv("OMP_WAIT_POLICY");
  std::string policy = env && *env ? env : "default";
  for (char& c : policy) c = char(std::tolower(static_cast<unsigned char>(c)));
  return policy;
}

bench::Record tail(const std::string& blas) {
  return bench::Record()
      .text("blas", blas)
      .text("omp_wait_policy", omp_wait_policy())
      .text("version", TORCH_VERSION);
}

// Linear layers with the activation between them (PReLU: one module per hidden layer).
struct Net : torch::nn::Module {
  explicit Net(const wl::Mlp& m) : activation(m.activation) {
    torch::NoGradGuard no_grad;
    for (std::size_t l = 0; l < m.layers(); ++l) {
      const std::int64_t in = m.widths[l], out = m.widths[l + 1];
      auto linear = register_module("linear" + std::to_string(l), torch::nn::Linear(in, out));
      auto weight = wl::initial_weight(m, l), bias = wl::initial_bias(m, l);
      linear->weight.copy_(torch::from_blob(weight.data(), {out, in}));
      linear->bias.copy_(torch::from_blob(bias.data(), {out}));
      linears.push_back(linear);
      if (l + 1 < m.layers() && activation == wl::Activation::PReLU)
        prelus.push_back(register_module(
            "prelu" + std::to_string(l),
            torch::nn::PReLU(torch::nn::PReLUOptions().num_parameters(out).init(wl::kPReLUInit))));
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    for (std::size_t l = 0; l < linears.size(); ++l) {
      x = linears[l]->forward(x);
      if (l + 1 < linears.size()) x = activate(x, l);
    }
    return x;
  }

  torch::Tensor activate(const torch::Tensor& x, std::size_t layer) {
    switch (activation) {
      case wl::Activation::Tanh:
        return torch::tanh(x);
      case wl::Activation::PReLU:
        return prelus[layer]->forward(x);
      case wl::Activation::ReLU:
        return torch::relu(x);
      case wl::Activation::ELU:
        return torch::elu(x);
    }
    throw std::logic_error("unknown activation");
  }

  wl::Activation activation;
  std::vector<torch::nn::Linear> linears;
  std::vector<torch::nn::PReLU> prelus;
};

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const wl::Mlp& m,
                                                        const std::vector<torch::Tensor>& params) {
  using namespace torch::optim;
  switch (m.optimizer) {
    case wl::Optimizer::SGD:
      return std::make_unique<SGD>(params, SGDOptions(m.lr));
    case wl::Optimizer::SGDMomentum:
      return std::make_unique<SGD>(params, SGDOptions(m.lr).momentum(m.momentum));
    case wl::Optimizer::Adam:
      return std::make_unique<Adam>(params, AdamOptions(m.lr));
  }
  throw std::logic_error("unknown optimizer");
}

torch::Tensor compute_loss(wl::Loss loss, const torch::Tensor& out, const torch::Tensor& target) {
  switch (loss) {
    case wl::Loss::BCEWithLogits:
      return torch::binary_cross_entropy_with_logits(out, target);
    case wl::Loss::CrossEntropy:
      return torch::nn::functional::cross_entropy(out, target);
    case wl::Loss::MSE:
      return torch::mse_loss(out, target);
  }
  throw std::logic_error("unknown loss");
}

// The dataset cut into its batches: inputs [batch, features]; int64 class indices [batch] or
// float targets [batch, 1].
void make_batches(const wl::Mlp& m, std::vector<torch::Tensor>& xs,
                  std::vector<torch::Tensor>& ys) {
  wl::Dataset data = wl::make_dataset(m);
  const std::int64_t n = m.batch, in = std::int64_t(data.features);
  for (std::int64_t b = 0; b < wl::kBatchesPerDataset; ++b) {
    xs.push_back(torch::from_blob(data.x.data() + b * n * in, {n, in}).clone());
    ys.push_back(m.loss == wl::Loss::CrossEntropy
                     ? torch::from_blob(data.label.data() + b * n, {n}, torch::kInt64).clone()
                     : torch::from_blob(data.target.data() + b * n, {n, 1}).clone());
  }
}

void run_mlp(const wl::Mlp& m, const bench::Options& o, const std::string& blas) {
  std::vector<torch::Tensor> xs, ys;
  make_batches(m, xs, ys);
  Net net(m);
  auto optimizer = make_optimizer(m, net.parameters());

  const int total = o.warmup + o.steps;
  double loss_first = 0, loss_last = 0;  // loss_last: mean over the last pass
  int last_count = 0;
  torch::Tensor loss;
  const auto step_us = bench::time_steps(
      o,
      [&](int s) {
        const std::size_t b = std::size_t(s % wl::kBatchesPerDataset);
        optimizer->zero_grad();
        loss = compute_loss(m.loss, net.forward(xs[b]), ys[b]);
        loss.backward();
        optimizer->step();
      },
      [&](int s) {
        if (s == 0) loss_first = loss.item<double>();
        if (s >= total - wl::kBatchesPerDataset) {
          loss_last += loss.item<double>();
          ++last_count;
        }
      });
  bench::print_record("libtorch", m.name, o, step_us,
                      bench::mlp_fields(m, step_us, loss_first, loss_last / last_count),
                      tail(blas));
}

std::function<torch::Tensor(const torch::Tensor&)> eltwise_function(const std::string& name) {
  if (name == "relu") return [](const torch::Tensor& x) { return torch::relu(x); };
  if (name == "sigmoid") return [](const torch::Tensor& x) { return torch::sigmoid(x); };
  if (name == "tanh") return [](const torch::Tensor& x) { return torch::tanh(x); };
  if (name == "gelu") return [](const torch::Tensor& x) { return torch::gelu(x, "tanh"); };
  if (name == "elu") return [](const torch::Tensor& x) { return torch::elu(x); };
  if (name == "leaky_relu")
    return [](const torch::Tensor& x) { return torch::leaky_relu(x, 0.01); };
  if (name == "silu") return [](const torch::Tensor& x) { return torch::silu(x); };
  if (name == "softplus") return [](const torch::Tensor& x) { return torch::softplus(x); };
  bench::usage(g_program, "unknown eltwise activation '" + name + "'");
}

// One step: y = act(x), loss = y.sum(), backward to x, whose gradient is dropped before each
// step (not timed) so that backward writes a fresh one.
void run_eltwise(const std::string& activation, const bench::Options& o, const std::string& blas) {
  const auto act = eltwise_function(activation);
  auto values = wl::eltwise_input();
  auto x = torch::from_blob(values.data(), {std::int64_t(values.size())}).clone().requires_grad_();
  const int last = o.warmup + o.steps - 1;
  const auto step_us = bench::time_steps(
      o, [&](int) { act(x).sum().backward(); },
      [&](int s) {
        if (s < last) x.mutable_grad().reset();  // the last gradient stays for the checksum
      });
  bench::print_record("libtorch", "eltwise_" + activation, o, step_us,
                      bench::Record()
                          .field("gflops", "null")
                          .field("elements", values.size())
                          .field("grad_sum", x.grad().sum().item<double>()),
                      tail(blas));
}

}  // namespace

int main(int argc, char** argv) {
  g_program = argv[0];
  const bench::Options o = bench::parse_args(argc, argv);
  torch::set_num_threads(o.threads);
  torch::set_num_interop_threads(1);
  const std::string blas = set_openblas_threads(o.blas_threads);
  if (const wl::Mlp* m = bench::mlp_for(o)) {
    run_mlp(*m, o, blas);
  } else if (o.workload == "eltwise") {
    for (const auto& a : wl::eltwise_activations()) run_eltwise(a, o, blas);
  } else if (o.workload.rfind("eltwise_", 0) == 0) {
    run_eltwise(o.workload.substr(8), o, blas);
  } else {
    bench::usage(g_program, "unknown workload '" + o.workload + "'");
  }
  std::fflush(stdout);
  return 0;
}
