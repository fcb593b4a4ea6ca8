// The benchmark workloads as plain C++17 data: layer widths, activation, loss, optimizer, batch,
// and the synthetic data and initial weights. No framework appears here, so xgrad's bench and
// the libtorch one train on bit-identical inputs from bit-identical starting weights (compile
// users with -ffp-contract=off: a fused multiply-add would change the last bit of a draw).
//
// Every value comes from a splitmix64 stream: stream k starts at state (42 << 32) + k, each draw
// adds the golden-ratio constant to the state and returns the splitmix64 finalizer of it. A
// uniform draw keeps the top 24 bits (exact in float32): u = (z >> 40) * 2^-24 in [0, 1), and
// U(lo, hi) = lo + (hi - lo) u is computed in double and rounded once to float. Streams: 1 inputs,
// 2 labels, 3 noise, 100 + 2l the weight of Linear layer l, 101 + 2l its bias.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace workloads {

enum class Activation { Tanh, PReLU, ReLU, ELU };
enum class Loss { BCEWithLogits, CrossEntropy, MSE };  // mean over the batch
enum class Optimizer { SGD, SGDMomentum, Adam };
enum class Data { Circle, Spiral, RandomLabels, SumTarget };

// An MLP: Linear layers with the activation after every one but the last.
struct Mlp {
  std::string name;
  std::vector<int> widths;  // input first, output last
  Activation activation;
  Loss loss;
  Optimizer optimizer;
  double lr;
  double momentum;  // SGDMomentum only (dampening 0, no Nesterov)
  int batch;
  Data data;

  std::size_t layers() const { return widths.size() - 1; }
};

constexpr int kBatchesPerDataset = 8;  // step s trains on batch s mod 8, no shuffling
constexpr std::size_t kEltwiseElements = std::size_t(1) << 20;
constexpr float kPReLUInit = 0.25f;

inline const std::vector<Mlp>& mlps() {
  using A = Activation;
  using L = Loss;
  using O = Optimizer;
  static const std::vector<Mlp> all = [] {
    std::vector<int> deep(22, 32);  // 16 -> 20 hidden layers of 32 -> 1: 21 Linear layers
    deep.front() = 16;
    deep.back() = 1;
    return std::vector<Mlp>{
        {"tiny", {2, 16, 16, 1}, A::Tanh, L::BCEWithLogits, O::SGD, 0.1, 0, 64, Data::Circle},
        {"spiral", {2, 64, 64, 3}, A::PReLU, L::CrossEntropy, O::Adam, 1e-3, 0, 128, Data::Spiral},
        {"mnist",
         {784, 256, 256, 10},
         A::ReLU,
         L::CrossEntropy,
         O::SGDMomentum,
         0.01,
         0.9,
         128,
         Data::RandomLabels},
        {"wide",
         {1024, 1024, 1024, 1024, 10},
         A::ReLU,
         L::CrossEntropy,
         O::SGD,
         0.01,
         0,
         256,
         Data::RandomLabels},
        {"deep", deep, A::ELU, L::MSE, O::SGD, 0.01, 0, 32, Data::SumTarget},
    };
  }();
  return all;
}

inline const Mlp* find_mlp(const std::string& name) {
  for (const auto& m : mlps())
    if (m.name == name) return &m;
  return nullptr;
}

// The scaling family (bench/scaling.sh): `depth` Linear layers, width -> width ... -> 10 classes,
// ReLU, cross-entropy, plain SGD, batch 128 of random-label "pixels" (like mnist, any size).
inline Mlp scaling_mlp(int width, int depth) {
  if (width < 1 || depth < 1) throw std::invalid_argument("scaling_mlp: width, depth must be >= 1");
  std::vector<int> widths(std::size_t(depth) + 1, width);
  widths.back() = 10;
  return {"mlp_w" + std::to_string(width) + "_d" + std::to_string(depth),
          widths,
          Activation::ReLU,
          Loss::CrossEntropy,
          Optimizer::SGD,
          0.01,
          0,
          128,
          Data::RandomLabels};
}

// The eltwise workload's activations, in report order.
inline const std::vector<std::string>& eltwise_activations() {
  static const std::vector<std::string> names{"relu", "sigmoid",    "tanh", "gelu",
                                              "elu",  "leaky_relu", "silu", "softplus"};
  return names;
}

// FLOPs of a step by convention: 6 batch sum(in out) over the Linear layers (forward, dX and dW
// GEMMs; the first layer's dX counts although a framework need not compute it).
inline double flops_per_step(const Mlp& m) {
  double macs = 0;
  for (std::size_t l = 0; l < m.layers(); ++l) macs += double(m.widths[l]) * m.widths[l + 1];
  return 6.0 * m.batch * macs;
}

class Stream {
 public:
  explicit Stream(std::uint64_t id) : state_((std::uint64_t(42) << 32) + id) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double unit() { return double(next() >> 40) * 0x1p-24; }
  float uniform(double lo, double hi) { return float(lo + (hi - lo) * unit()); }

 private:
  std::uint64_t state_;
};

enum StreamId : std::uint64_t { kInputs = 1, kLabels = 2, kNoise = 3 };

// kBatchesPerDataset * batch samples, row-major; `target` ([n, 1]) for BCE and MSE, `label`
// (class indices) for cross-entropy.
struct Dataset {
  std::size_t samples = 0, features = 0;
  std::vector<float> x, target;
  std::vector<std::int64_t> label;
};

inline Dataset make_dataset(const Mlp& m) {
  Dataset d;
  d.samples = std::size_t(m.batch) * kBatchesPerDataset;
  d.features = std::size_t(m.widths.front());
  Stream inputs(kInputs), labels(kLabels), noise(kNoise);
  const std::size_t n = d.samples, values = n * d.features;
  switch (m.data) {
    case Data::Circle:  // 2 draws U(-1, 1); target 1 inside x0^2 + x1^2 < 0.5
      for (std::size_t i = 0; i < values; ++i) d.x.push_back(inputs.uniform(-1, 1));
      for (std::size_t i = 0; i < n; ++i) {
        const double x0 = d.x[2 * i], x1 = d.x[2 * i + 1];
        d.target.push_back(x0 * x0 + x1 * x1 < 0.5 ? 1.0f : 0.0f);
      }
      break;
    case Data::Spiral:  // three arms: class i mod 3 at angle c 2pi/3 + 4t + noise, radius t
      for (std::size_t i = 0; i < n; ++i) {
        const double t = inputs.unit(), e = noise.unit();
        const std::int64_t c = std::int64_t(i % 3);
        const double theta = double(c) * 2.0943951023931957 + 4.0 * t + 0.2 * (e - 0.5);
        d.x.push_back(float(t * std::cos(theta)));
        d.x.push_back(float(t * std::sin(theta)));
        d.label.push_back(c);
      }
      break;
    case Data::RandomLabels:  // "pixels" U(0, 1), label floor(classes u)
      for (std::size_t i = 0; i < values; ++i) d.x.push_back(inputs.uniform(0, 1));
      for (std::size_t i = 0; i < n; ++i)
        d.label.push_back(std::int64_t(labels.unit() * m.widths.back()));
      break;
    case Data::SumTarget:  // U(-1, 1) inputs, target sum(x) / 4 summed in double
      for (std::size_t i = 0; i < values; ++i) d.x.push_back(inputs.uniform(-1, 1));
      for (std::size_t i = 0; i < n; ++i) {
        double sum = 0;
        for (std::size_t j = 0; j < d.features; ++j) sum += d.x[i * d.features + j];
        d.target.push_back(float(sum / 4.0));
      }
      break;
  }
  return d;
}

// PyTorch's default Linear bound U(-1/sqrt(in), 1/sqrt(in)), drawn from our streams: the weight
// [out, in] row-major (as torch stores it), the bias [out].
inline std::vector<float> initial_weight(const Mlp& m, std::size_t layer) {
  const std::size_t in = std::size_t(m.widths.at(layer)), out = std::size_t(m.widths.at(layer + 1));
  const double bound = 1.0 / std::sqrt(double(in));
  Stream s(100 + 2 * layer);
  std::vector<float> w(in * out);
  for (auto& v : w) v = s.uniform(-bound, bound);
  return w;
}

inline std::vector<float> initial_bias(const Mlp& m, std::size_t layer) {
  const double bound = 1.0 / std::sqrt(double(m.widths.at(layer)));
  Stream s(101 + 2 * layer);
  std::vector<float> b(std::size_t(m.widths.at(layer + 1)));
  for (auto& v : b) v = s.uniform(-bound, bound);
  return b;
}

// The eltwise input: 2^20 values U(-4, 4) from the input stream.
inline std::vector<float> eltwise_input() {
  Stream s(kInputs);
  std::vector<float> x(kEltwiseElements);
  for (auto& v : x) v = s.uniform(-4, 4);
  return x;
}

}  // namespace workloads
