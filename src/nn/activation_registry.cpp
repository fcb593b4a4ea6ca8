// The activation registry: the catalogue (what docs/activations.md and `xgrad list` show) and
// make_activation, which builds a layer from a name and hyper-parameters. Both follow the
// activation list (activations/list.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "xgrad/activations/list.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/activation_registry.hpp"

namespace xg::nn {
namespace {

std::vector<std::string> split_words(const char* text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Names PyTorch and TensorFlow users reach for, mapped to the catalogue's.
const std::map<std::string, std::string>& name_aliases() {
  static const std::map<std::string, std::string> aliases{{"swish", "silu"}};
  return aliases;
}
const std::map<std::string, std::string>& key_aliases() {
  static const std::map<std::string, std::string> aliases{{"axis", "dim"}};
  return aliases;
}

}  // namespace

const std::vector<ActivationInfo>& activation_catalogue() {
#define XG_INFO_NAME(name, default_value) #name,
#define XG_INFO_DEFAULT(name, default_value) {#name, double(default_value)},
#define XG_INFO_CHECK(param, condition, range) #param " must be " range,
#define XG_INFO(fused, name, Layer, Functor, hyper, checks, description, formula, derivative, \
                range, monotonic, zero_centred, saturation, kink, init, gain, trainable)      \
  ActivationInfo{#name,                                                                       \
                 #Layer,                                                                      \
                 fused,                                                                       \
                 {XG_PP_SEQ_FOR_EACH(XG_INFO_NAME, hyper)},                                   \
                 description,                                                                 \
                 formula,                                                                     \
                 derivative,                                                                  \
                 {XG_PP_SEQ_FOR_EACH(XG_INFO_DEFAULT, hyper)},                                \
                 !split_words(trainable).empty(),                                             \
                 range,                                                                       \
                 monotonic,                                                                   \
                 zero_centred,                                                                \
                 saturation,                                                                  \
                 kink,                                                                        \
                 split_words(trainable),                                                      \
                 {XG_PP_SEQ_FOR_EACH(XG_INFO_CHECK, checks)},                                 \
                 init,                                                                        \
                 gain},
#define XG_INFO_FUSED(...) XG_INFO(true, __VA_ARGS__)
#define XG_INFO_CUSTOM(...) XG_INFO(false, __VA_ARGS__)
  static const std::vector<ActivationInfo> catalogue{
      XG_ACTIVATION_LIST(XG_INFO_FUSED, XG_INFO_FUSED, XG_INFO_CUSTOM)};
#undef XG_INFO_FUSED
#undef XG_INFO_CUSTOM
#undef XG_INFO_NAME
#undef XG_INFO_DEFAULT
#undef XG_INFO_CHECK
#undef XG_INFO
  return catalogue;
}

const ActivationInfo& activation_info(const std::string& requested) {
  const auto alias = name_aliases().find(requested);
  const std::string& name = alias == name_aliases().end() ? requested : alias->second;
  for (const auto& info : activation_catalogue())
    if (info.name == name) return info;
  std::string names;
  for (const auto& i : activation_catalogue()) names += (names.empty() ? "" : ", ") + i.name;
  throw std::invalid_argument(fmt::format("unknown activation '{}' (known: {})", requested, names));
}

namespace {

// The hyper-parameters of one call: defaults overridden by the user's values; keys checked.
struct Params {
  Params(const ActivationInfo& info, const std::map<std::string, double>& given)
      : values(info.defaults) {
    for (const auto& [requested, value] : given) {
      const auto alias = key_aliases().find(requested);
      const std::string& key =
          alias != key_aliases().end() && values.count(alias->second) ? alias->second : requested;
      if (!values.count(key)) {
        std::string accepted;
        for (const auto& [k, v] : info.defaults) accepted += (accepted.empty() ? "" : ", ") + k;
        throw std::invalid_argument(
            fmt::format("activation '{}' has no parameter '{}' (accepted: {})", info.name,
                        requested, accepted.empty() ? "none" : accepted));
      }
      if (!std::isfinite(value))
        throw std::invalid_argument(
            fmt::format("{}: {} must be a finite number, got {}", info.name, key, value));
      values[key] = value;
    }
  }
  double operator[](const std::string& key) const { return values.at(key); }
  // The parameter count of a trainable activation after a layer of width `width`.
  std::size_t channels(std::size_t width) const {
    return values.at("per_channel") != 0 ? width : 1;
  }
  std::map<std::string, double> values;
};

[[noreturn]] void bad_parameter(const char* op, const char* param, const char* range, double v) {
  throw std::invalid_argument(fmt::format("{}: {} must be {}, got {}", op, param, range, v));
}

template <class T>
using LayerPtr = std::shared_ptr<BasicModule<T>>;

// The rows whose layer is written by hand.
template <class T>
LayerPtr<T> build_gelu(const Params&, std::size_t) {
  return std::make_shared<BasicGELU<T>>(Approximate::None);
}
template <class T>
LayerPtr<T> build_gelu_tanh(const Params&, std::size_t) {
  return std::make_shared<BasicGELU<T>>(Approximate::Tanh);
}
template <class T>
LayerPtr<T> build_prelu(const Params& p, std::size_t width) {
  return std::make_shared<BasicPReLU<T>>(p.channels(width), T(p["init"]));
}
template <class T>
LayerPtr<T> build_rrelu(const Params& p, std::size_t) {
  return std::make_shared<BasicRReLU<T>>(T(p["lower"]), T(p["upper"]));
}
template <class T>
LayerPtr<T> build_srelu(const Params& p, std::size_t width) {
  return std::make_shared<BasicSReLU<T>>(p.channels(width), T(p["t_left"]), T(p["a_left"]),
                                         T(p["t_right"]), T(p["a_right"]));
}
template <class T>
LayerPtr<T> build_apl(const Params& p, std::size_t width) {
  return std::make_shared<BasicAPL<T>>(p.channels(width), std::size_t(p["hinges"]), std::nullopt,
                                       T(p["a"]), T(p["b"]));
}
template <class T>
LayerPtr<T> build_swish_beta(const Params& p, std::size_t width) {
  return std::make_shared<BasicSwishBeta<T>>(T(p["beta"]), true, p.channels(width));
}
template <class T>
LayerPtr<T> build_soft_exponential(const Params& p, std::size_t width) {
  return std::make_shared<BasicSoftExponential<T>>(T(p["alpha"]), p.channels(width));
}
template <class T>
LayerPtr<T> build_softmax(const Params& p, std::size_t) {
  return std::make_shared<BasicSoftmax<T>>(int(p["dim"]));
}
template <class T>
LayerPtr<T> build_log_softmax(const Params& p, std::size_t) {
  return std::make_shared<BasicLogSoftmax<T>>(int(p["dim"]));
}

// One entry per row: its checks on the hyper-parameters, then its layer.
template <class T>
struct Entry {
  void (*check)(const Params&);
  LayerPtr<T> (*build)(const Params&, std::size_t channels);
};

template <class T>
const std::vector<Entry<T>>& entries() {
#define XG_BIND(name, default_value) [[maybe_unused]] const double name = p[#name];
#define XG_CHECK(param, condition, range) \
  if (!(condition)) bad_parameter(op, #param, range, param);
#define XG_CHECKER(name, hyper, checks)                \
  []([[maybe_unused]] const Params& p) {               \
    [[maybe_unused]] constexpr const char* op = #name; \
    XG_PP_SEQ_FOR_EACH(XG_BIND, hyper)                 \
    XG_PP_SEQ_FOR_EACH(XG_CHECK, checks)               \
  }
#define XG_ARG(name, default_value) T(p[#name])
#define XG_ENTRY(name, Layer, Functor, hyper, checks, ...)                    \
  {XG_CHECKER(name, hyper, checks),                                           \
   []([[maybe_unused]] const Params& p, std::size_t) -> LayerPtr<T> {         \
     return std::make_shared<Basic##Layer<T>>(XG_PP_SEQ_ENUM(XG_ARG, hyper)); \
   }},
#define XG_ENTRY_OWN_LAYER(name, Layer, Functor, hyper, checks, ...) \
  {XG_CHECKER(name, hyper, checks), &build_##name<T>},
  static const std::vector<Entry<T>> table{
      XG_ACTIVATION_LIST(XG_ENTRY, XG_ENTRY_OWN_LAYER, XG_ENTRY_OWN_LAYER)};
#undef XG_BIND
#undef XG_CHECK
#undef XG_CHECKER
#undef XG_ARG
#undef XG_ENTRY
#undef XG_ENTRY_OWN_LAYER
  return table;
}

}  // namespace

template <class T>
std::shared_ptr<BasicModule<T>> make_activation(const std::string& requested,
                                                const std::map<std::string, double>& params,
                                                std::size_t channels) {
  const ActivationInfo& info = activation_info(requested);
  const Params p(info, params);
  // The catalogue and the entries come from the same list, in the same order.
  const Entry<T>& entry = entries<T>()[std::size_t(&info - activation_catalogue().data())];
  entry.check(p);
  return entry.build(p, std::max<std::size_t>(channels, 1));
}

template std::shared_ptr<BasicModule<float>> make_activation(const std::string&,
                                                             const std::map<std::string, double>&,
                                                             std::size_t);
template std::shared_ptr<BasicModule<double>> make_activation(const std::string&,
                                                              const std::map<std::string, double>&,
                                                              std::size_t);

}  // namespace xg::nn
