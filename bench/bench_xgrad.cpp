// xgrad_bench: the WORKLOADS.md workloads (../shared/bench) trained with xgrad, written the way a
// user would write them (nn::Sequential, nn::Linear, activation layers, nn losses, optimizers).
//
//   xgrad_bench --workload NAME --threads N --steps S --warmup W [--blas-threads M]
//
// Same flags, same data, same initial weights, same timing rules and the same JSON line as the
// libtorch anchor (anchor_libtorch), with "impl":"xgrad". Data and weights come from the
// anchor's workloads.hpp, so loss_first proves both sides do the same work.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <xgrad/xgrad.hpp>

#include "workloads.hpp"

extern "C" char* openblas_get_corename();

namespace {

using xg::Tensor;
namespace nn = xg::nn;

struct Options {
  std::string workload;
  int threads = 1;
  int blas_threads = 0;  // 0: same as threads
  int steps = 100;
  int warmup = 10;
};

[[noreturn]] void usage(const std::string& error) {
  fmt::print(stderr,
             "error: {}\nusage: xgrad_bench --workload NAME --threads N --steps S --warmup W "
             "[--blas-threads M]\n  NAME: tiny spiral mnist wide deep eltwise eltwise_<act>\n",
             error);
  std::exit(2);
}

int parse_int(const std::string& flag, const std::string& text, int min) {
  try {
    std::size_t used = 0;
    const int v = std::stoi(text, &used);
    if (used == text.size() && v >= min) return v;
  } catch (const std::exception&) {
  }
  usage(fmt::format("{} needs an integer >= {}, got '{}'", flag, min, text));
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) usage(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--workload")
      o.workload = value;
    else if (flag == "--threads")
      o.threads = parse_int(flag, value, 1);
    else if (flag == "--blas-threads")
      o.blas_threads = parse_int(flag, value, 1);
    else if (flag == "--steps")
      o.steps = parse_int(flag, value, 1);
    else if (flag == "--warmup")
      o.warmup = parse_int(flag, value, 0);
    else
      usage("unknown flag " + flag);
  }
  if (o.workload.empty()) usage("--workload is required");
  if (o.blas_threads == 0) o.blas_threads = o.threads;
  return o;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

struct StepStats {
  double median, p10, p90;
};

StepStats summarize(std::vector<double> step_us) {
  std::sort(step_us.begin(), step_us.end());
  return {anchor::percentile(step_us, 0.5), anchor::percentile(step_us, 0.1),
          anchor::percentile(step_us, 0.9)};
}

void print_record(const std::string& workload, const Options& o, const StepStats& s,
                  const std::string& fields) {
  fmt::print(
      "{{\"impl\":\"xgrad\",\"workload\":\"{}\",\"threads\":{},\"blas_threads\":{},"
      "\"steps\":{},\"warmup\":{},\"median_step_us\":{:.7g},\"p10_step_us\":{:.7g},"
      "\"p90_step_us\":{:.7g}{},\"peak_rss_mb\":{:.7g},\"blas\":\"{}\",\"version\":\"{}\"}}\n",
      workload, o.threads, o.blas_threads, o.steps, o.warmup, s.median, s.p10, s.p90, fields,
      peak_rss_mb(), openblas_get_corename(), XGRAD_VERSION);
}

template <class F>
double time_us(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count();
}

std::shared_ptr<nn::Module> activation_layer(const anchor::MlpWorkload& w, int width) {
  switch (w.activation) {
    case anchor::Activation::Tanh:
      return std::make_shared<nn::Tanh>();
    case anchor::Activation::PReLU:
      return std::make_shared<nn::PReLU>(std::size_t(width), anchor::kPReLUInit);
    case anchor::Activation::ReLU:
      return std::make_shared<nn::ReLU>();
    case anchor::Activation::ELU:
      return std::make_shared<nn::ELU>(1.0f);
  }
  throw std::logic_error("unknown activation");
}

// Linear layers with the activation between them, starting from the anchor's weights.
nn::Sequential make_model(const anchor::MlpWorkload& w) {
  nn::Sequential model;
  const std::size_t layers = w.widths.size() - 1;
  for (std::size_t l = 0; l < layers; ++l) {
    const int in = w.widths[l], out = w.widths[l + 1];
    auto linear = std::make_shared<nn::Linear>(std::size_t(in), std::size_t(out));
    const auto weight = anchor::initial_weight(w, l), bias = anchor::initial_bias(w, l);
    std::copy(weight.begin(), weight.end(), linear->weight.data().data());
    std::copy(bias.begin(), bias.end(), linear->bias.data().data());
    model.push_back(linear);
    if (l + 1 < layers) model.push_back(activation_layer(w, out));
  }
  return model;
}

std::unique_ptr<xg::optim::Optimizer> make_optimizer(const anchor::MlpWorkload& w,
                                                     const std::vector<Tensor>& params) {
  using namespace xg::optim;
  switch (w.optimizer) {
    case anchor::Optimizer::SGD: {
      SGDOptions opts;
      opts.lr = w.lr;
      return std::make_unique<SGD>(params, opts);
    }
    case anchor::Optimizer::SGDMomentum: {
      SGDOptions opts;
      opts.lr = w.lr;
      opts.momentum = w.momentum;
      return std::make_unique<SGD>(params, opts);
    }
    case anchor::Optimizer::Adam: {
      AdamOptions opts;
      opts.lr = w.lr;
      return std::make_unique<Adam>(params, opts);
    }
  }
  throw std::logic_error("unknown optimizer");
}

Tensor compute_loss(anchor::Loss loss, const Tensor& out, const Tensor& target) {
  switch (loss) {
    case anchor::Loss::BCEWithLogits:
      return nn::binary_cross_entropy_with_logits(out, target);
    case anchor::Loss::CrossEntropy:
      return nn::cross_entropy(out, target);
    case anchor::Loss::MSE:
      return nn::mse_loss(out, target);
  }
  throw std::logic_error("unknown loss");
}

void run_mlp(const anchor::MlpWorkload& w, const Options& o) {
  const anchor::Dataset data = anchor::make_dataset(w);
  const bool classes = w.loss == anchor::Loss::CrossEntropy;
  std::vector<Tensor> xs, ys;
  for (int b = 0; b < anchor::kBatchesPerDataset; ++b) {
    const std::size_t n = std::size_t(w.batch), in = std::size_t(data.in_features);
    const auto x0 = data.x.begin() + std::ptrdiff_t(b * n * in);
    xs.push_back(Tensor::from(std::vector<float>(x0, x0 + std::ptrdiff_t(n * in)), {n, in}));
    std::vector<float> y;
    if (classes) {
      for (std::size_t i = 0; i < n; ++i) y.push_back(float(data.label[b * n + i]));
      ys.push_back(Tensor::from(std::move(y), {n}));
    } else {
      const auto y0 = data.target.begin() + std::ptrdiff_t(b * n);
      ys.push_back(Tensor::from(std::vector<float>(y0, y0 + std::ptrdiff_t(n)), {n, 1}));
    }
  }

  nn::Sequential model = make_model(w);
  auto optimizer = make_optimizer(w, model.parameters());

  const int total = o.warmup + o.steps;
  std::vector<double> step_us;
  double loss_first = 0, loss_last = 0;
  int last_count = 0;
  for (int s = 0; s < total; ++s) {
    const Tensor& x = xs[std::size_t(s % anchor::kBatchesPerDataset)];
    const Tensor& y = ys[std::size_t(s % anchor::kBatchesPerDataset)];
    Tensor loss;
    const double us = time_us([&] {
      optimizer->zero_grad();
      loss = compute_loss(w.loss, model(x), y);
      loss.backward();
      optimizer->step();
    });
    if (s >= o.warmup) step_us.push_back(us);
    if (s == 0) loss_first = loss.item();
    if (s >= total - anchor::kBatchesPerDataset) {
      loss_last += loss.item();
      ++last_count;
    }
  }
  loss_last /= last_count;

  const StepStats stats = summarize(step_us);
  const double flops = anchor::flops_per_step(w);
  print_record(w.name, o, stats,
               fmt::format(",\"gflops\":{:.7g},\"flops_per_step\":{},\"loss_first\":{:.7g},"
                           "\"loss_last\":{:.7g},\"loss_decreased\":{}",
                           flops / stats.median / 1e3, static_cast<long long>(flops), loss_first,
                           loss_last, loss_last < loss_first));
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
  usage("unknown eltwise activation '" + name + "'");
}

void run_eltwise(const std::string& activation, const Options& o) {
  const auto act = eltwise_function(activation);
  const std::size_t n = std::size_t(anchor::kEltwiseElements);
  Tensor x = Tensor::from(anchor::eltwise_input(), {n}).requires_grad_();
  std::vector<double> step_us;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    x.zero_grad();  // drops the gradient: backward writes a fresh one
    const double us = time_us([&] { act(x).sum().backward(); });
    if (s >= o.warmup) step_us.push_back(us);
  }
  double grad_sum = 0;
  for (float g : x.grad().to_vector()) grad_sum += g;
  print_record("eltwise_" + activation, o, summarize(step_us),
               fmt::format(",\"gflops\":null,\"elements\":{},\"grad_sum\":{:.7g}", n, grad_sum));
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  // --threads (or --blas-threads) sizes both OpenBLAS's pool and xgrad's own.
  xg::set_num_threads(o.blas_threads);
  if (const auto* w = anchor::find_mlp_workload(o.workload)) {
    run_mlp(*w, o);
  } else if (o.workload == "eltwise") {
    for (const auto& a : anchor::eltwise_activations()) run_eltwise(a, o);
  } else if (o.workload.rfind("eltwise_", 0) == 0) {
    run_eltwise(o.workload.substr(8), o);
  } else {
    usage("unknown workload '" + o.workload + "'");
  }
  std::fflush(stdout);
  return 0;
}
