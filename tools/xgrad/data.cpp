// The command line's data side: dataset table, loading + split + standardisation, metadata.
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include "cli.hpp"

namespace xgcli {

const std::vector<DatasetInfo>& dataset_table() {
  static const std::vector<DatasetInfo> table = {
      {"spiral", "interleaved spiral arms, one class per arm (CS231n); --samples is per class", 300,
       0.2},
      {"moons", "two interleaving half circles (scikit-learn's make_moons)", 1000, 0.1},
      {"circles", "a circle inside a circle (make_circles, --factor inner radius)", 1000, 0.05},
      {"xor", "noisy XOR: the four corners of the unit square, label x1 XOR x2", 400, 0.15},
      {"blobs", "Gaussian blobs around random centres (--classes centres, --noise std)", 1000, 1.0},
      {"triangles", "the seeds' triangles (inside) vs circles (around): no line separates them",
       1000, 0.0},
  };
  return table;
}

namespace {

const DatasetInfo& find_dataset(const std::string& name) {
  for (const auto& d : dataset_table())
    if (d.name == name) return d;
  std::string names;
  for (const auto& d : dataset_table()) names += (names.empty() ? "" : ", ") + d.name;
  throw UsageError(fmt::format("unknown dataset '{}' (choose one of: {})", name, names));
}

xg::data::Dataset generate(const DataSpec& s) {
  const DatasetInfo& info = find_dataset(s.dataset);
  const std::size_t n = s.samples ? s.samples : info.samples;
  const double noise = s.noise >= 0 ? s.noise : info.noise;
  const std::size_t k = s.classes ? s.classes : 3;
  namespace data = xg::data;
  if (s.dataset == "spiral") return data::spiral(n, k, s.seed, noise);
  if (s.dataset == "moons") return data::two_moons(n, noise, s.seed);
  if (s.dataset == "circles") return data::circles(n, noise, s.factor, s.seed);
  if (s.dataset == "xor") return data::xor_gate(n, noise, s.seed);
  if (s.dataset == "blobs") return data::blobs(n, k, noise, s.seed);
  return data::triangles_vs_circles(n, s.seed, noise);
}

std::string join(const std::vector<double>& v) {
  std::string out;
  for (double x : v) out += (out.empty() ? "" : ",") + fmt::format("{:.17g}", x);
  return out;
}

std::vector<double> split_doubles(const std::string& text, const std::string& key,
                                  const std::string& path) {
  std::vector<double> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    char* end = nullptr;
    const double v = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size())
      throw UsageError(fmt::format("{}: metadata '{}' has a bad number '{}'", path, key, item));
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

Prepared prepare(const DataSpec& spec, const xg::data::Standardizer* saved_scaler,
                 const std::pair<double, double>* saved_target) {
  xg::data::Dataset d;
  if (!spec.csv.empty()) {
    xg::data::Task task = xg::data::Task::Auto;
    if (spec.task == "classification")
      task = xg::data::Task::Classification;
    else if (spec.task == "regression")
      task = xg::data::Task::Regression;
    else if (spec.task != "auto")
      throw UsageError(
          fmt::format("--task must be auto, classification or regression, got '{}'", spec.task));
    d = xg::data::load_csv(spec.csv, spec.target, task);
  } else {
    d = generate(spec);
  }
  Prepared p;
  p.features = d.x.size(1);
  p.classes = d.classes;
  p.feature_names = d.feature_names;
  p.class_values = d.class_values;
  p.description = fmt::format("{} ({} samples, {} features, {})",
                              spec.csv.empty() ? spec.dataset : spec.csv, d.size(), p.features,
                              d.classes ? fmt::format("{} classes", d.classes) : "regression");
  auto split = xg::data::train_test_split(d.x, d.y, spec.test_fraction, spec.seed + 1);
  if (saved_scaler)
    p.scaler = *saved_scaler;
  else
    p.scaler.fit(split.x_train);
  p.x_train = p.scaler.transform(split.x_train);
  p.x_test = p.scaler.transform(split.x_test);
  p.y_train = split.y_train;
  p.y_test = split.y_test;
  if (!d.is_classification()) {  // standardise the target too; RMSE is reported in its units
    xg::data::Standardizer ys;
    if (saved_target)
      ys = xg::data::Standardizer({saved_target->first}, {saved_target->second});
    else
      ys.fit(p.y_train);
    p.target_mean = ys.mean()[0];
    p.target_std = ys.std()[0];
    p.y_train = ys.transform(p.y_train);
    p.y_test = ys.transform(p.y_test);
  }
  return p;
}

std::vector<std::size_t> parse_sizes(const std::string& text, const char* what) {
  std::vector<std::size_t> out;
  if (text.empty() || text == "none") return out;  // no hidden layer: a linear model
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size() || v <= 0 || errno)
      throw UsageError(
          fmt::format("{}: '{}' is not a positive integer (in '{}')", what, item, text));
    out.push_back(std::size_t(v));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::map<std::string, double> parse_params(const std::vector<std::string>& kv) {
  std::map<std::string, double> out;
  for (const auto& item : kv) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq),
                      value = eq == std::string::npos ? "" : item.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (eq == std::string::npos || key.empty() || value.empty() ||
        end != value.c_str() + value.size())
      throw UsageError(
          fmt::format("--act-param expects key=number (e.g. alpha=0.1), got '{}'", item));
    out[key] = v;
  }
  return out;
}

xg::io::Metadata to_metadata(const DataSpec& d, const ModelSpec& m, const OptimSpec& o,
                             const Prepared& p) {
  xg::io::Metadata md;
  md["xgrad.format"] = "mlp-1";
  md["xgrad.in"] = std::to_string(m.in);
  md["xgrad.out"] = std::to_string(m.out);
  std::string hidden;
  for (auto h : m.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  md["xgrad.hidden"] = hidden.empty() ? "none" : hidden;
  md["xgrad.activation"] = m.activation;
  std::string params;
  for (const auto& [k, v] : m.act_params)
    params += (params.empty() ? "" : ";") + fmt::format("{}={:.17g}", k, v);
  md["xgrad.act_params"] = params;
  md["xgrad.init"] = m.init;
  md["xgrad.dataset"] = d.dataset;
  md["xgrad.csv"] = d.csv;
  md["xgrad.target"] = d.target;
  md["xgrad.task"] = p.classes ? "classification" : "regression";
  md["xgrad.samples"] = std::to_string(d.samples);
  md["xgrad.noise"] = fmt::format("{:.17g}", d.noise);
  md["xgrad.classes"] = std::to_string(d.classes);
  md["xgrad.factor"] = fmt::format("{:.17g}", d.factor);
  md["xgrad.seed"] = std::to_string(d.seed);
  md["xgrad.test_fraction"] = fmt::format("{:.17g}", d.test_fraction);
  md["xgrad.feature_mean"] = join(p.scaler.mean());
  md["xgrad.feature_std"] = join(p.scaler.std());
  md["xgrad.target_mean"] = fmt::format("{:.17g}", p.target_mean);
  md["xgrad.target_std"] = fmt::format("{:.17g}", p.target_std);
  md["xgrad.class_values"] = join(p.class_values);
  md["xgrad.optimizer"] = fmt::format("{} lr={} weight_decay={}", o.name, o.lr, o.weight_decay);
  return md;
}

void from_metadata(const xg::io::Metadata& md, const std::string& path, DataSpec& d, ModelSpec& m,
                   xg::data::Standardizer& scaler, std::pair<double, double>& target) {
  const auto get = [&](const std::string& key) -> const std::string& {
    const auto it = md.find("xgrad." + key);
    if (it == md.end())
      throw UsageError(fmt::format(
          "{}: metadata has no 'xgrad.{}': not a model saved by `xgrad train`", path, key));
    return it->second;
  };
  const auto number = [&](const std::string& key) {
    const auto v = split_doubles(get(key), key, path);
    if (v.size() != 1)
      throw UsageError(fmt::format("{}: metadata 'xgrad.{}' is not one number", path, key));
    return v[0];
  };
  if (get("format") != "mlp-1")
    throw UsageError(
        fmt::format("{}: unknown model format '{}' (this xgrad reads mlp-1)", path, get("format")));
  m.in = std::size_t(number("in"));
  m.out = std::size_t(number("out"));
  m.hidden = parse_sizes(get("hidden"), "xgrad.hidden");
  m.activation = get("activation");
  m.act_params.clear();
  const std::string& params = get("act_params");
  std::vector<std::string> kv;
  for (std::size_t start = 0; start < params.size();) {
    const auto semi = params.find(';', start);
    kv.push_back(params.substr(start, semi == std::string::npos ? semi : semi - start));
    start = semi == std::string::npos ? params.size() : semi + 1;
  }
  m.act_params = parse_params(kv);
  m.init = get("init");
  d.dataset = get("dataset");
  d.csv = get("csv");
  d.target = get("target");
  d.task = get("task");
  d.samples = std::size_t(number("samples"));
  d.noise = number("noise");
  d.classes = std::size_t(number("classes"));
  d.factor = number("factor");
  d.seed = std::strtoull(get("seed").c_str(), nullptr, 10);
  d.test_fraction = number("test_fraction");
  scaler = xg::data::Standardizer(split_doubles(get("feature_mean"), "feature_mean", path),
                                  split_doubles(get("feature_std"), "feature_std", path));
  target = {number("target_mean"), number("target_std")};
}

}  // namespace xgcli
