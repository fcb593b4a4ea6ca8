// The model file's metadata: written from a ModelCard, read back with every value checked
// before anything is built from it.
#include "xgrad/io/model_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "io/strict_json.hpp"
#include "xgrad/nn/activation_registry.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/sequential.hpp"

namespace xg::io {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "mlp";
constexpr const char* kVersion = "2";
// xgrad.inputs is an array of objects holding arrays: 3 levels.
constexpr int kMaxJsonDepth = 3;

const nn::ActivationInfo* find_activation(const std::string& name) {
  for (const auto& a : nn::activation_catalogue())
    if (a.name == name) return &a;
  return nullptr;
}

std::string hidden_text(const std::vector<std::size_t>& hidden) {
  std::string out;
  for (auto h : hidden) out += (out.empty() ? "" : ",") + std::to_string(h);
  return out.empty() ? "none" : out;
}

// Reads the metadata of one file; every error names the file and the key.
class Reader {
 public:
  Reader(const Metadata& md, const std::string& path) : md_(md), path_(path) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw std::runtime_error(fmt::format("{}: metadata 'xgrad.{}': {}", path_, key, what));
  }

  const std::string& text(const std::string& key) const {
    const auto it = md_.find("xgrad." + key);
    if (it == md_.end())
      fail(key,
           fmt::format("missing (not a model file of format {} version {})", kFormat, kVersion));
    return it->second;
  }

  // A plain decimal integer in [lo, hi]: no sign, no spaces, no exponent.
  std::size_t integer(const std::string& key, const std::string& value, std::size_t lo,
                      std::size_t hi) const {
    std::uint64_t v = 0;
    const char* end = value.data() + value.size();
    const auto [p, ec] = std::from_chars(value.data(), end, v);
    if (value.empty() || value.size() > 20 || ec != std::errc() || p != end || v < lo || v > hi)
      fail(key, fmt::format("'{}' is not an integer in [{}, {}]", shown(value), lo, hi));
    return std::size_t(v);
  }
  std::size_t integer(const std::string& key, std::size_t lo, std::size_t hi) const {
    return integer(key, text(key), lo, hi);
  }

  double number(const std::string& key) const {
    const std::string& value = text(key);
    double v = 0;
    const char* end = value.data() + value.size();
    const auto [p, ec] = std::from_chars(value.data(), end, v);
    if (value.empty() || ec != std::errc() || p != end || !std::isfinite(v))
      fail(key, fmt::format("'{}' is not a finite number", shown(value)));
    return v;
  }

  std::string one_of(const std::string& key, std::initializer_list<const char*> allowed) const {
    const std::string& value = text(key);
    std::string list;
    for (const char* a : allowed) {
      if (value == a) return value;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    fail(key, fmt::format("'{}' is not one of {}", shown(value), list));
  }

  // JSON text at most kMaxJsonDepth levels deep (checked by a scan before parsing, so that no
  // nesting can exhaust the parser's stack).
  json parse_json(const std::string& key) const {
    const std::string& value = text(key);
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char c : value) {
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          in_string = false;
        continue;
      }
      if (c == '"') in_string = true;
      if (c == '[' || c == '{') ++depth;
      if (c == ']' || c == '}') --depth;
      if (depth > kMaxJsonDepth)
        fail(key, fmt::format("JSON nested deeper than {} levels", kMaxJsonDepth));
    }
    try {
      return detail::parse_strict_json(value);
    } catch (const json::exception& e) {
      fail(key, fmt::format("not valid JSON ({})", e.what()));
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }

  static std::string shown(const std::string& value) {
    return value.size() > 40 ? value.substr(0, 40) + "..." : value;
  }

 private:
  const Metadata& md_;
  const std::string& path_;
};

// ---- reading each part ---------------------------------------------------------------------

MlpSpec read_network(const Reader& r) {
  MlpSpec s;
  s.in = r.integer("in", 1, std::min(kMaxLayerWidth, data::kMaxFeatures));
  s.out = r.integer("out", 1, kMaxLayerWidth);
  s.hidden.clear();
  const std::string& hidden = r.text("hidden");
  if (hidden != "none") {
    std::size_t start = 0;
    while (true) {
      if (s.hidden.size() == kMaxHiddenLayers)
        r.fail("hidden", fmt::format("more than {} hidden layers", kMaxHiddenLayers));
      const std::size_t comma = std::min(hidden.find(',', start), hidden.size());
      s.hidden.push_back(
          r.integer("hidden", hidden.substr(start, comma - start), 1, kMaxLayerWidth));
      if (comma == hidden.size()) break;
      start = comma + 1;
    }
  }
  s.activation = r.text("activation");
  const nn::ActivationInfo* info = find_activation(s.activation);
  if (!info)
    r.fail("activation", fmt::format("unknown activation '{}'", Reader::shown(s.activation)));
  const json params = r.parse_json("act_params");
  if (!params.is_object()) r.fail("act_params", "not a JSON object");
  for (const auto& [key, value] : params.items()) {
    if (!info->defaults.count(key))
      r.fail("act_params", fmt::format("'{}' has no parameter '{}'", s.activation, key));
    if (!value.is_number() || !std::isfinite(value.get<double>()))
      r.fail("act_params", fmt::format("'{}' is not a finite number", key));
    s.act_params[key] = value.get<double>();
  }
  s.init = r.one_of("init", {"kaiming", "xavier", "lecun", "pytorch"});
  try {
    validate(s);
    nn::make_activation<float>(s.activation, s.act_params, 1);  // the registry's range checks
  } catch (const std::invalid_argument& e) {
    r.fail("act_params", e.what());
  }
  return s;
}

std::string string_field(const Reader& r, const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_string())
    r.fail("inputs", fmt::format("an input has no \"{}\" string", field));
  return it->get<std::string>();
}

double number_field(const Reader& r, const json& object, const char* field) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_number())
    r.fail("inputs",
           fmt::format("input '{}' has no \"{}\" number", string_field(r, object, "name"), field));
  return it->get<double>();
}

// A card fitted on float cells has |mean| and |fill| within float's range and a scale of at least
// the smallest positive float; beyond those, (cell - mean) / scale overflows for ordinary cells
// and the model would predict NaN.
void check_standardisation(const Reader& r, const data::InputColumn& c) {
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  constexpr double kFloatMin = std::numeric_limits<float>::denorm_min();
  const auto outside = [&](const char* field, double v) {
    r.fail("inputs", fmt::format("input '{}': {} {} is outside the float range (|x| <= {}), so "
                                 "standardising would overflow",
                                 c.name, field, v, kFloatMax));
  };
  if (std::fabs(c.mean) > kFloatMax) outside("mean", c.mean);
  if (c.fill && std::fabs(*c.fill) > kFloatMax) outside("fill", *c.fill);
  if (c.scale > 0 && c.scale < kFloatMin)  // <= 0: the Preprocessor's own check says so
    r.fail("inputs", fmt::format("input '{}': scale {} is below the smallest positive float ({}), "
                                 "so standardising would overflow",
                                 c.name, c.scale, kFloatMin));
}

data::Preprocessor read_inputs(const Reader& r) {
  const json inputs = r.parse_json("inputs");
  if (!inputs.is_array() || inputs.empty() || inputs.size() > data::kMaxInputColumns)
    r.fail("inputs",
           fmt::format("not a JSON array of 1 to {} input columns", data::kMaxInputColumns));
  std::vector<data::InputColumn> columns;
  for (const json& item : inputs) {
    if (!item.is_object()) r.fail("inputs", "an input is not a JSON object");
    data::InputColumn c;
    c.name = string_field(r, item, "name");
    const std::string type = string_field(r, item, "type");
    for (const auto& [key, value] : item.items()) {
      const bool known = key == "name" || key == "type" || key == "fill" ||
                         (type == "number" && (key == "mean" || key == "scale")) ||
                         (type == "category" && key == "categories");
      if (!known)
        r.fail("inputs", fmt::format("input '{}' has an unknown field '{}'", c.name, key));
    }
    if (type == "number") {
      c.mean = number_field(r, item, "mean");
      c.scale = number_field(r, item, "scale");
      if (item.contains("fill")) c.fill = number_field(r, item, "fill");
      check_standardisation(r, c);
    } else if (type == "category") {
      c.categorical = true;
      const auto it = item.find("categories");
      if (it == item.end() || !it->is_array() || it->size() > data::kMaxCategories)
        r.fail("inputs", fmt::format("input '{}' has no \"categories\" array of at most {}", c.name,
                                     data::kMaxCategories));
      for (const json& category : *it) {
        if (!category.is_string())
          r.fail("inputs", fmt::format("input '{}' has a category that is not a string", c.name));
        c.categories.push_back(category.get<std::string>());
      }
      if (item.contains("fill")) c.fill_category = string_field(r, item, "fill");
    } else {
      r.fail("inputs", fmt::format("input '{}' has type '{}' (number or category)", c.name, type));
    }
    columns.push_back(std::move(c));
  }
  try {
    return data::Preprocessor(std::move(columns));
  } catch (const std::invalid_argument& e) {
    r.fail("inputs", e.what());
  }
}

data::Target read_target(const Reader& r) {
  data::Target t;
  t.name = r.text("target");
  t.classification = r.one_of("task", {"classification", "regression"}) == "classification";
  t.numeric = r.one_of("target_type", {"number", "category"}) == "number";
  if (t.classification) {
    const json classes = r.parse_json("classes");
    if (!classes.is_array() || classes.size() > data::kMaxCategories)
      r.fail("classes", fmt::format("not a JSON array of at most {} names", data::kMaxCategories));
    for (const json& c : classes) {
      if (!c.is_string()) r.fail("classes", "a class name is not a string");
      t.class_names.push_back(c.get<std::string>());
    }
  } else {
    t.mean = r.number("target_mean");
    t.scale = r.number("target_scale");
  }
  try {
    t.validate();
  } catch (const std::invalid_argument& e) {
    r.fail(t.classification ? "classes" : "target_scale", e.what());
  }
  return t;
}

// The tensors the architecture implies must be in the file with exactly these shapes: then
// building the network allocates no more than the file holds.
void check_tensors(const MlpSpec& s, const FileInfo& info, const std::string& path) {
  std::map<std::string, const TensorInfo*> by_name;
  for (const auto& t : info.tensors) by_name.emplace(t.name, &t);
  std::size_t width = s.in;
  for (std::size_t layer = 0; layer <= s.hidden.size(); ++layer) {
    const std::size_t out = layer < s.hidden.size() ? s.hidden[layer] : s.out;
    const std::pair<std::string, std::vector<std::int64_t>> expected[] = {
        {fmt::format("{}.weight", 2 * layer), {std::int64_t(out), std::int64_t(width)}},
        {fmt::format("{}.bias", 2 * layer), {std::int64_t(out)}}};
    for (const auto& [name, shape] : expected) {
      const auto found = by_name.find(name);
      if (found == by_name.end())
        throw std::runtime_error(fmt::format(
            "{}: no tensor '{}', which the metadata's architecture (in {}, hidden {}, out {}) "
            "needs",
            path, name, s.in, hidden_text(s.hidden), s.out));
      const TensorInfo* it = found->second;
      if (it->shape != shape || it->dtype != "F32")
        throw std::runtime_error(fmt::format(
            "{}: tensor '{}' is {} [{}] but the metadata's architecture (in {}, hidden {}, out {}) "
            "needs F32 [{}]",
            path, name, it->dtype, fmt::join(it->shape, ","), s.in, hidden_text(s.hidden), s.out,
            fmt::join(shape, ",")));
    }
    width = out;
  }
}

json inputs_json(const data::Preprocessor& inputs) {
  json out = json::array();
  for (const auto& c : inputs.columns()) {
    json item;
    item["name"] = c.name;
    item["type"] = c.categorical ? "category" : "number";
    if (c.categorical) {
      item["categories"] = c.categories;
      if (c.fill_category) item["fill"] = *c.fill_category;
    } else {
      item["mean"] = c.mean;
      item["scale"] = c.scale;
      if (c.fill) item["fill"] = *c.fill;
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace

std::size_t linear_parameters(const MlpSpec& spec) {
  std::size_t total = 0, width = spec.in;  // each term <= 1e6·(1e6+1): no overflow within limits
  for (std::size_t h : spec.hidden) total += h * (width + 1), width = h;
  return total + spec.out * (width + 1);
}

void validate(const MlpSpec& s) {
  const auto width = [](const char* what, std::size_t w) {
    if (w < 1 || w > kMaxLayerWidth)
      throw std::invalid_argument(
          fmt::format("MLP: {} must be in [1, {}], got {}", what, kMaxLayerWidth, w));
  };
  width("in", s.in);
  width("out", s.out);
  if (s.hidden.size() > kMaxHiddenLayers)
    throw std::invalid_argument(
        fmt::format("MLP: at most {} hidden layers, got {}", kMaxHiddenLayers, s.hidden.size()));
  for (std::size_t h : s.hidden) width("a hidden width", h);
  const std::size_t n = linear_parameters(s);
  if (n > kMaxParameters)
    throw std::invalid_argument(
        fmt::format("MLP: {} parameters (in {}, hidden {}, out {}), more than the limit {}", n,
                    s.in, hidden_text(s.hidden), s.out, kMaxParameters));
}

std::shared_ptr<nn::Module> build_mlp(const MlpSpec& spec) {
  validate(spec);
  auto model = std::make_shared<nn::Sequential>();
  std::size_t width = spec.in;
  for (std::size_t h : spec.hidden) {
    model->push_back(std::make_shared<nn::Linear>(width, h));
    model->push_back(nn::make_activation<float>(spec.activation, spec.act_params, h));
    width = h;
  }
  model->push_back(std::make_shared<nn::Linear>(width, spec.out));
  return model;
}

Metadata to_metadata(const ModelCard& card) {
  const MlpSpec& s = card.network;
  validate(s);
  const nn::ActivationInfo* info = find_activation(s.activation);
  if (!info) throw std::invalid_argument(fmt::format("unknown activation '{}'", s.activation));
  card.target.validate();
  if (card.inputs.width() != s.in)
    throw std::invalid_argument(
        fmt::format("model card: the inputs encode {} features, the network "
                    "takes {}",
                    card.inputs.width(), s.in));
  if (s.out != (card.target.classification ? card.target.classes() : 1))
    throw std::invalid_argument(
        fmt::format("model card: {} outputs for a {} target", s.out,
                    card.target.classification ? "classification" : "regression"));
  Metadata md;
  for (const auto& [key, value] : card.provenance) {
    if (key.rfind("xgrad.data.", 0) != 0 && key.rfind("xgrad.train.", 0) != 0)
      throw std::invalid_argument(fmt::format(
          "model card: provenance key '{}' must start with xgrad.data. or xgrad.train.", key));
    md[key] = value;
  }
  md["xgrad.format"] = kFormat;
  md["xgrad.format_version"] = kVersion;
  md["xgrad.in"] = std::to_string(s.in);
  md["xgrad.out"] = std::to_string(s.out);
  md["xgrad.hidden"] = hidden_text(s.hidden);
  md["xgrad.activation"] = s.activation;
  json params = json::object();
  for (const auto& [key, value] : info->defaults) params[key] = value;  // resolved: defaults too
  for (const auto& [key, value] : s.act_params) params[key] = value;
  md["xgrad.act_params"] = params.dump();
  md["xgrad.init"] = s.init;
  md["xgrad.inputs"] = inputs_json(card.inputs).dump();
  md["xgrad.task"] = card.target.classification ? "classification" : "regression";
  md["xgrad.target"] = card.target.name;
  md["xgrad.target_type"] = card.target.numeric ? "number" : "category";
  if (card.target.classification) {
    md["xgrad.classes"] = json(card.target.class_names).dump();
  } else {
    md["xgrad.target_mean"] = fmt::format("{}", card.target.mean);
    md["xgrad.target_scale"] = fmt::format("{}", card.target.scale);
  }
  return md;
}

ModelCard read_model_card(const FileInfo& info, const std::string& path) {
  const Reader r(info.metadata, path);
  const std::string& format = r.text("format");
  if (format != kFormat)
    r.fail("format", fmt::format("'{}' is not '{}'{}", Reader::shown(format), kFormat,
                                 format == "mlp-1" ? ": written by an older xgrad without "
                                                     "feature names or preprocessing; retrain it"
                                                   : ""));
  if (r.text("format_version") != kVersion)
    r.fail("format_version", fmt::format("version '{}' is not supported (this xgrad reads {})",
                                         Reader::shown(r.text("format_version")), kVersion));
  ModelCard card;
  card.network = read_network(r);
  card.inputs = read_inputs(r);
  card.target = read_target(r);
  if (card.inputs.width() != card.network.in)
    r.fail("in", fmt::format("{} but the inputs encode {} features", card.network.in,
                             card.inputs.width()));
  const std::size_t outputs = card.target.classification ? card.target.classes() : 1;
  if (card.network.out != outputs)
    r.fail("out", fmt::format("{} but the {} needs {}", card.network.out,
                              card.target.classification ? "classes" : "regression", outputs));
  for (const auto& [key, value] : info.metadata)
    if (key.rfind("xgrad.data.", 0) == 0 || key.rfind("xgrad.train.", 0) == 0)
      card.provenance[key] = value;
  check_tensors(card.network, info, path);
  return card;
}

ModelCard read_model_card(const std::string& path) { return read_model_card(inspect(path), path); }

void save_model(const nn::Module& network, const ModelCard& card, const std::string& path) {
  const Metadata md = to_metadata(card);
  // The network must be the one the card describes, or the file could not be read back.
  const auto state = network.state_dict();
  FileInfo info;
  for (const auto& [name, t] : state) {
    TensorInfo ti;
    ti.name = name;
    ti.dtype = "F32";
    for (auto d : t.shape()) ti.shape.push_back(std::int64_t(d));
    info.tensors.push_back(std::move(ti));
  }
  check_tensors(card.network, info, "save_model");
  save(network, path, md);
}

}  // namespace xg::io
