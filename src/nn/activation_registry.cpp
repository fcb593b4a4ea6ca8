// The activation registry: the catalogue (what docs/activations.md and `xgrad list` show) and
// make_activation, which builds a layer from a name and hyper-parameters.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/activation_registry.hpp"

namespace xg::nn {

const std::vector<ActivationInfo>& activation_catalogue() {
  using P = std::map<std::string, double>;
  // name, description, f, f', defaults, trainable, range, monotonic, zero-centred, saturation, kink
  // clang-format off (one entry per line reads as a table)
  static const std::vector<ActivationInfo> catalogue{
      {"identity",
       "x: no non-linearity (a deep linear net is still a linear classifier)",
       "x",
       "1",
       {},
       false,
       "(-inf, inf)",
       true,
       true,
       "none",
       ""},
      {"binary_step",
       "1 for x >= 0, else 0: no gradient flows",
       "0 if x < 0, 1 if x >= 0",
       "0",
       {},
       false,
       "{0, 1}",
       true,
       false,
       "hard both sides",
       "0 everywhere"},
      {"sigmoid",
       "logistic 1/(1+e^-x); f' <= 1/4, so deep sigmoid nets vanish",
       "1/(1+e^-x)",
       "s(1-s), max 1/4 at 0",
       {},
       false,
       "(0, 1)",
       true,
       false,
       "soft both sides",
       ""},
      {"tanh",
       "hyperbolic tangent = 2 sigmoid(2x) - 1, zero-centred",
       "(e^x-e^-x)/(e^x+e^-x)",
       "1 - tanh^2(x)",
       {},
       false,
       "(-1, 1)",
       true,
       true,
       "soft both sides",
       ""},
      {"arctan",
       "atan(x), slowly saturating",
       "atan(x)",
       "1/(1+x^2)",
       {},
       false,
       "(-pi/2, pi/2)",
       true,
       true,
       "soft both sides",
       ""},
      {"softsign",
       "x/(1+|x|), polynomial saturation",
       "x/(1+|x|)",
       "1/(1+|x|)^2",
       {},
       false,
       "(-1, 1)",
       true,
       true,
       "soft both sides",
       ""},
      {"isru", "inverse square root unit x/sqrt(1+a x^2)", "x/sqrt(1+a x^2)", "(1/sqrt(1+a x^2))^3",
       P{{"a", 1}}, false, "(-1/sqrt(a), 1/sqrt(a))", true, true, "soft both sides", ""},
      {"isrlu", "x for x >= 0, ISRU below: ELU-like without exp",
       "x if x>=0, x/sqrt(1+a x^2) if x<0", "1 if x>=0, (1/sqrt(1+a x^2))^3 if x<0", P{{"a", 1}},
       false, "(-1/sqrt(a), inf)", true, false, "soft left", "1 at 0 (both sides agree)"},
      {"relu",
       "max(0, x): cheap, sparse, can die",
       "max(0, x)",
       "1 if x > 0 else 0",
       {},
       false,
       "[0, inf)",
       true,
       false,
       "hard left",
       "f'(0) = 0"},
      {"relu6",
       "min(max(0, x), 6) (PyTorch)",
       "min(max(0,x),6)",
       "1 on (0, 6) else 0",
       {},
       false,
       "[0, 6]",
       true,
       false,
       "hard both sides",
       "0 at 0 and 6 (PyTorch)"},
      {"leaky_relu", "x, or a x for x < 0: no dead units", "x if x>=0, a x if x<0",
       "1 if x>0, a if x<=0", P{{"negative_slope", 0.01}}, false, "(-inf, inf)", true, false,
       "none", "f'(0) = a"},
      {"prelu", "leaky ReLU with a learned slope alpha (He et al. 2015)",
       "x if x>=0, alpha x if x<0", "d/dx 1 or alpha; d/dalpha 0 or x",
       P{{"init", 0.25}, {"per_channel", 1}}, true, "(-inf, inf)", true, false, "none",
       "f'(0) = alpha, d/dalpha = 0"},
      {"rrelu", "leaky ReLU with a random slope U(l,u) in training, (l+u)/2 in eval",
       "x if x>=0, a x if x<0", "the slope used", P{{"lower", 1.0 / 8}, {"upper", 1.0 / 3}}, false,
       "(-inf, inf)", true, false, "none", "the slope at 0"},
      {"elu", "exponential linear unit: smooth negative side, mean near 0",
       "x if x>0, alpha(e^x-1) if x<=0", "1 if x>0, alpha e^x if x<=0", P{{"alpha", 1}}, false,
       "(-alpha, inf)", true, false, "soft left", "f'(0) = alpha"},
      {"selu",
       "scaled ELU with the self-normalising constants (LeCun-normal init)",
       "lambda elu(x; alpha)",
       "lambda elu'(x; alpha)",
       {},
       false,
       "(-lambda alpha, inf)",
       true,
       false,
       "soft left",
       "f'(0) = lambda alpha"},
      {"celu", "continuously differentiable ELU (PyTorch)",
       "max(0,x) + min(0, alpha(e^(x/alpha)-1))", "1 if x>0, e^(x/alpha) if x<=0", P{{"alpha", 1}},
       false, "(-alpha, inf)", true, false, "soft left", "1 at 0 (PyTorch)"},
      {"srelu", "S-shaped ReLU with learned hinges and slopes per channel",
       "t_l+a_l(x-t_l) if x<=t_l; x between; t_r+a_r(x-t_r) if x>=t_r",
       "a_l, 1 or a_r; also d/dt_l, a_l, t_r, a_r", P{{"per_channel", 1}}, true, "(-inf, inf)",
       false, false, "none", "left piece's slope at each hinge"},
      {"apl", "adaptive piecewise linear: ReLU plus S learned hinges",
       "max(0,x) + sum_s a_s max(0, b_s - x)", "[x>0] - sum_s a_s [x<=b_s]",
       P{{"hinges", 2}, {"per_channel", 1}}, true, "depends on a, b", false, false, "none",
       "left piece's slope at each hinge"},
      {"softplus", "smooth ReLU (1/beta) log(1+e^(beta x)), linear above threshold",
       "(1/beta) log(1+e^(beta x))", "sigmoid(beta x), 1/2 at 0", P{{"beta", 1}, {"threshold", 20}},
       false, "(0, inf)", true, false, "soft left", ""},
      {"bent_identity",
       "(sqrt(x^2+1)-1)/2 + x",
       "(sqrt(x^2+1)-1)/2 + x",
       "x/(2 sqrt(x^2+1)) + 1",
       {},
       false,
       "(-inf, inf)",
       true,
       false,
       "none",
       ""},
      {"silu",
       "x sigmoid(x) (swish with beta 1; alias: swish)",
       "x sigmoid(x)",
       "s + x s(1-s)",
       {},
       false,
       "[-0.278, inf)",
       false,
       false,
       "soft left",
       ""},
      {"swish_beta", "x sigmoid(beta x) with a learned beta", "x sigmoid(beta x)",
       "s + beta x s(1-s); d/dbeta x^2 s(1-s)", P{{"beta", 1}, {"per_channel", 0}}, true,
       "depends on beta", false, false, "soft left", ""},
      {"soft_exponential", "interpolates log, identity and exp through a learned alpha",
       "-ln(1-alpha(x+alpha))/alpha | x | (e^(alpha x)-1)/alpha + alpha",
       "1/(1-alpha(x+alpha)) | 1 | e^(alpha x); also d/dalpha", P{{"alpha", 0}, {"per_channel", 0}},
       true, "depends on alpha (NaN outside the domain for alpha < 0)", true, false,
       "depends on alpha", ""},
      {"mish",
       "x tanh(softplus(x)) (PyTorch)",
       "x tanh(softplus(x))",
       "t + x sigmoid(x)(1-t^2)",
       {},
       false,
       "[-0.309, inf)",
       false,
       false,
       "soft left",
       ""},
      {"gelu",
       "x Phi(x), exact normal CDF",
       "x Phi(x)",
       "Phi(x) + x phi(x)",
       {},
       false,
       "[-0.170, inf)",
       false,
       false,
       "soft left",
       ""},
      {"gelu_tanh",
       "GELU, PyTorch's tanh approximation",
       "0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))",
       "analytic",
       {},
       false,
       "[-0.170, inf)",
       false,
       false,
       "soft left",
       ""},
      {"hardtanh", "clamp(x, min_val, max_val) (PyTorch)", "min(max(x,min),max)",
       "1 inside (min, max) else 0", P{{"min_val", -1}, {"max_val", 1}}, false,
       "[min_val, max_val]", true, true, "hard both sides", "0 at both ends (PyTorch)"},
      {"hardsigmoid",
       "relu6(x+3)/6 (PyTorch)",
       "relu6(x+3)/6",
       "1/6 inside (-3, 3) else 0",
       {},
       false,
       "[0, 1]",
       true,
       false,
       "hard both sides",
       "0 at -3 and 3 (PyTorch)"},
      {"hardswish",
       "x relu6(x+3)/6 (PyTorch)",
       "x relu6(x+3)/6",
       "0 below -3, x/3+1/2 on [-3,3], 1 above",
       {},
       false,
       "[-0.375, inf)",
       false,
       false,
       "hard left",
       "-1/2 at -3, 3/2 at 3 (PyTorch)"},
      {"logsigmoid",
       "log(sigmoid(x)), computed stably",
       "-softplus(-x)",
       "1 - sigmoid(x)",
       {},
       false,
       "(-inf, 0)",
       true,
       false,
       "soft right",
       ""},
      {"sinusoid",
       "sin(x)",
       "sin(x)",
       "cos(x)",
       {},
       false,
       "[-1, 1]",
       false,
       true,
       "none (periodic)",
       ""},
      {"sinc",
       "sin(x)/x, 1 at 0",
       "sin(x)/x",
       "cos(x)/x - sin(x)/x^2, 0 at 0",
       {},
       false,
       "[-0.217, 1]",
       false,
       false,
       "soft both sides",
       ""},
      {"gaussian",
       "e^(-x^2)",
       "e^(-x^2)",
       "-2x e^(-x^2)",
       {},
       false,
       "(0, 1]",
       false,
       false,
       "soft both sides",
       ""},
      {"softmax", "e^x_i / sum_j e^x_j along an axis (smooth everywhere)", "e^(x_i)/sum_j e^(x_j)",
       "s (g - sum(g s))", P{{"axis", -1}}, false, "(0, 1), sums to 1", false, false, "soft", ""},
      {"log_softmax", "x_i - log sum_j e^x_j along an axis", "x_i - logsumexp(x)",
       "g - softmax sum(g)", P{{"axis", -1}}, false, "(-inf, 0)", false, false, "soft", ""},
  };
  // clang-format on
  return catalogue;
}

namespace {

const ActivationInfo* find_info(const std::string& name) {
  for (const auto& info : activation_catalogue())
    if (info.name == name) return &info;
  return nullptr;
}

// The hyper-parameters of one call: defaults overridden by the user's values; keys checked.
struct Params {
  Params(const ActivationInfo& info, const std::map<std::string, double>& given)
      : values(info.defaults) {
    for (const auto& [key, value] : given) {
      if (!values.count(key)) {
        std::string accepted;
        for (const auto& [k, v] : info.defaults) accepted += (accepted.empty() ? "" : ", ") + k;
        throw std::invalid_argument(
            fmt::format("activation '{}' has no parameter '{}' (accepted: {})", info.name, key,
                        accepted.empty() ? "none" : accepted));
      }
      if (!std::isfinite(value))
        throw std::invalid_argument(fmt::format(
            "activation '{}': {} must be a finite number, got {}", info.name, key, value));
      values[key] = value;
    }
  }
  double operator[](const std::string& key) const { return values.at(key); }
  std::map<std::string, double> values;
};

template <class T>
std::shared_ptr<BasicModule<T>> build(const std::string& name, const Params& p,
                                      std::size_t channels) {
  // Integer hyper-parameters arrive as doubles: checked to be whole and in range before the cast.
  auto integer = [&](const char* key, double lo, double hi) {
    const double v = p[key];
    if (!(v >= lo && v <= hi) || v != std::floor(v))
      throw std::invalid_argument(fmt::format(
          "activation '{}': {} must be an integer in [{}, {}], got {}", name, key, lo, hi, v));
    return v;
  };
  auto per_channel = [&] { return integer("per_channel", 0, 1) != 0 ? channels : std::size_t(1); };
  auto count = [&](const char* key) { return std::size_t(integer(key, 1, double(kMaxElements))); };
  auto axis = [&] {
    return int(integer("axis", std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
  };
  if (name == "identity") return std::make_shared<BasicIdentity<T>>();
  if (name == "binary_step") return std::make_shared<BasicBinaryStep<T>>();
  if (name == "sigmoid") return std::make_shared<BasicSigmoid<T>>();
  if (name == "tanh") return std::make_shared<BasicTanh<T>>();
  if (name == "arctan") return std::make_shared<BasicArcTan<T>>();
  if (name == "softsign") return std::make_shared<BasicSoftsign<T>>();
  if (name == "isru") return std::make_shared<BasicISRU<T>>(T(p["a"]));
  if (name == "isrlu") return std::make_shared<BasicISRLU<T>>(T(p["a"]));
  if (name == "relu") return std::make_shared<BasicReLU<T>>();
  if (name == "relu6") return std::make_shared<BasicReLU6<T>>();
  if (name == "leaky_relu") return std::make_shared<BasicLeakyReLU<T>>(T(p["negative_slope"]));
  if (name == "prelu") return std::make_shared<BasicPReLU<T>>(per_channel(), T(p["init"]));
  if (name == "rrelu") return std::make_shared<BasicRReLU<T>>(T(p["lower"]), T(p["upper"]));
  if (name == "elu") return std::make_shared<BasicELU<T>>(T(p["alpha"]));
  if (name == "selu") return std::make_shared<BasicSELU<T>>();
  if (name == "celu") return std::make_shared<BasicCELU<T>>(T(p["alpha"]));
  if (name == "srelu") return std::make_shared<BasicSReLU<T>>(per_channel());
  if (name == "apl") return std::make_shared<BasicAPL<T>>(per_channel(), count("hinges"));
  if (name == "softplus")
    return std::make_shared<BasicSoftplus<T>>(T(p["beta"]), T(p["threshold"]));
  if (name == "bent_identity") return std::make_shared<BasicBentIdentity<T>>();
  if (name == "silu") return std::make_shared<BasicSiLU<T>>();
  if (name == "swish_beta")
    return std::make_shared<BasicSwish<T>>(T(p["beta"]), true, per_channel());
  if (name == "soft_exponential")
    return std::make_shared<BasicSoftExponential<T>>(T(p["alpha"]), per_channel());
  if (name == "mish") return std::make_shared<BasicMish<T>>();
  if (name == "gelu") return std::make_shared<BasicGELU<T>>(Approximate::None);
  if (name == "gelu_tanh") return std::make_shared<BasicGELU<T>>(Approximate::Tanh);
  if (name == "hardtanh")
    return std::make_shared<BasicHardtanh<T>>(T(p["min_val"]), T(p["max_val"]));
  if (name == "hardsigmoid") return std::make_shared<BasicHardsigmoid<T>>();
  if (name == "hardswish") return std::make_shared<BasicHardswish<T>>();
  if (name == "logsigmoid") return std::make_shared<BasicLogSigmoid<T>>();
  if (name == "sinusoid") return std::make_shared<BasicSinusoid<T>>();
  if (name == "sinc") return std::make_shared<BasicSinc<T>>();
  if (name == "gaussian") return std::make_shared<BasicGaussian<T>>();
  if (name == "softmax") return std::make_shared<BasicSoftmax<T>>(axis());
  if (name == "log_softmax") return std::make_shared<BasicLogSoftmax<T>>(axis());
  throw std::logic_error("activation '" + name + "' is in the catalogue but not buildable");
}

}  // namespace

template <class T>
std::shared_ptr<BasicModule<T>> make_activation(const std::string& requested,
                                                const std::map<std::string, double>& params,
                                                std::size_t channels) {
  const std::string name = requested == "swish" ? "silu" : requested;
  const ActivationInfo* info = find_info(name);
  if (!info) {
    std::string names;
    for (const auto& i : activation_catalogue()) names += (names.empty() ? "" : ", ") + i.name;
    throw std::invalid_argument(
        fmt::format("unknown activation '{}' (known: {})", requested, names));
  }
  return build<T>(name, Params(*info, params), std::max<std::size_t>(channels, 1));
}

template std::shared_ptr<BasicModule<float>> make_activation(const std::string&,
                                                             const std::map<std::string, double>&,
                                                             std::size_t);
template std::shared_ptr<BasicModule<double>> make_activation(const std::string&,
                                                              const std::map<std::string, double>&,
                                                              std::size_t);

}  // namespace xg::nn
