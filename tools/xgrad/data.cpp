// The command line's data side: the dataset table, loading a CSV or generating a dataset as a
// table, the split, the encoding, and the "xgrad.data.*" keys that let `eval` rebuild the split.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <xgrad/data/datasets.hpp>

#include "cli.hpp"

namespace xgcli {

const std::vector<DatasetInfo>& dataset_table() {
  static const std::vector<DatasetInfo> table = {
      {"spiral", "interleaved spiral arms, one class per arm (CS231n); --samples is per class", 300,
       0.2, 1},
      {"moons", "two interleaving half circles (scikit-learn's make_moons)", 1000, 0.1, 2},
      {"circles", "a circle inside a circle (make_circles, --factor inner radius)", 1000, 0.05, 2},
      {"xor", "noisy XOR: the four corners of the unit square, label x1 XOR x2", 400, 0.15, 4},
      {"blobs", "Gaussian blobs around random centres (--classes centres, --noise std)", 1000, 1.0,
       2},
      {"triangles", "triangles (inside) vs circles (around): no line separates them", 1000, 0.0, 2},
  };
  return table;
}

namespace {

namespace data = xg::data;

const DatasetInfo& find_dataset(const std::string& name) {
  for (const auto& d : dataset_table())
    if (d.name == name) return d;
  std::string names;
  for (const auto& d : dataset_table()) names += (names.empty() ? "" : ", ") + d.name;
  throw UsageError(fmt::format("unknown dataset '{}' (choose one of: {})", name, names));
}

bool uses_classes(const std::string& dataset) { return dataset == "spiral" || dataset == "blobs"; }

// The generator's parameters with the defaults filled in, checked like flags.
struct Generation {
  std::size_t samples, classes;
  double noise, factor;
};
Generation resolve(const DataSpec& s) {
  const DatasetInfo& info = find_dataset(s.dataset);
  if (s.classes && !uses_classes(s.dataset))
    throw UsageError("--classes applies to --dataset spiral and blobs only");
  if (s.factor && s.dataset != "circles")
    throw UsageError("--factor applies to --dataset circles only");
  Generation g{std::size_t(s.samples.value_or(info.samples)), std::size_t(s.classes.value_or(3)),
               s.noise.value_or(info.noise), s.factor.value_or(0.5)};
  const std::size_t total = s.dataset == "spiral" ? g.samples * g.classes : g.samples;
  if (g.samples < info.min_samples || (s.dataset == "blobs" && g.samples < g.classes))
    throw UsageError(fmt::format("--samples: {} is too few for {} (at least {})", g.samples,
                                 s.dataset,
                                 std::max(info.min_samples, s.dataset == "blobs" ? g.classes : 0)));
  if (total > kMaxSamples)
    throw UsageError(
        fmt::format("--samples: {} samples in all, more than the limit {}", total, kMaxSamples));
  return g;
}

data::Dataset generate(const DataSpec& s, std::uint64_t seed) {
  const Generation g = resolve(s);
  if (s.dataset == "spiral") return data::spiral(g.samples, g.classes, seed, g.noise);
  if (s.dataset == "moons") return data::two_moons(g.samples, g.noise, seed);
  if (s.dataset == "circles") return data::circles(g.samples, g.noise, g.factor, seed);
  if (s.dataset == "xor") return data::xor_gate(g.samples, g.noise, seed);
  if (s.dataset == "blobs") return data::blobs(g.samples, g.classes, g.noise, seed);
  return data::triangles_vs_circles(g.samples, seed, g.noise);
}

// A generated dataset as a table: numeric columns x1, x2, ... and the class column "label".
data::Table as_table(const data::Dataset& d, const std::string& name) {
  data::Table t;
  t.source = name;
  const std::size_t n = d.size(), f = d.x.size(1);
  const std::vector<float> x = d.x.to_vector();
  for (std::size_t j = 0; j < f; ++j) {
    data::Column c;
    c.name = d.feature_names[j];
    c.position = j;
    for (std::size_t i = 0; i < n; ++i) c.numbers.push_back(x[i * f + j]);
    t.columns.push_back(std::move(c));
  }
  data::Column label;
  label.name = "label";
  label.position = f;
  label.numbers = d.y.to_vector();
  t.columns.push_back(std::move(label));
  for (std::size_t i = 0; i < n; ++i) t.lines.push_back(i + 2);  // as if written with a header
  return t;
}

std::uint64_t data_seed(const DataSpec& s) { return s.seed.value_or(1); }

data::Table load(const DataSpec& s, const data::CsvOptions& base) {
  if (s.csv.empty()) return as_table(generate(s, data_seed(s)), s.dataset);
  data::CsvOptions o = base;
  o.delimiter = s.delimiter;
  o.header = s.header;
  for (const auto& c : s.categorical) o.kinds[c] = data::ColumnKind::Categorical;
  o.skip = s.ignore;
  require_regular_file(s.csv, "--csv");
  data::Table table;
  try {
    table = data::read_csv(s.csv, o);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  // A name that matches no column is a typo, and the column it meant would become a feature.
  for (const std::string& name : s.ignore)
    if (std::find(table.skipped.begin(), table.skipped.end(), name) == table.skipped.end())
      throw UsageError(fmt::format("--ignore: '{}' has no column named '{}'", s.csv, name));
  return table;
}

std::string target_name(const DataSpec& s) { return s.csv.empty() ? "label" : s.target; }

data::Task task_of(const DataSpec& s) {
  if (s.task == "classification") return data::Task::Classification;
  if (s.task == "regression") return data::Task::Regression;
  return data::Task::Auto;
}

data::Impute impute_of(const std::string& name) {
  if (name == "mean") return data::Impute::Mean;
  if (name == "median") return data::Impute::Median;
  if (name == "mode") return data::Impute::Mode;
  return data::Impute::None;
}

std::vector<std::size_t> all_rows(std::size_t n) {
  std::vector<std::size_t> rows(n);
  for (std::size_t i = 0; i < n; ++i) rows[i] = i;
  return rows;
}

// Splits the table's rows (stratified by class when asked) and encodes every part.
Prepared encode(const DataSpec& s, const data::Table& table, data::Preprocessor inputs,
                data::Target target, const data::RowSplit& split) {
  Prepared p;
  p.rows = table.rows();
  p.delimiter = table.delimiter;
  p.x_train = inputs.transform(table, split.train);
  p.x_val = inputs.transform(table, split.validation);
  p.x_test = inputs.transform(table, split.test);
  p.y_train = target.transform(table, split.train);
  p.y_val = target.transform(table, split.validation);
  p.y_test = target.transform(table, split.test);
  if (!target.classification) {
    const std::vector<float>& column = table.find(target.name)->numbers;
    const auto values = [&](const std::vector<std::size_t>& rows) {
      std::vector<double> v;
      for (std::size_t r : rows) v.push_back(column[r]);
      return v;
    };
    p.values_train = values(split.train);
    p.values_val = values(split.validation);
    p.values_test = values(split.test);
  }
  p.features = inputs.width();
  p.classes = target.classes();
  const std::size_t columns = table.columns.size() - 1;
  p.description = fmt::format("{} ({} samples, {} {}{}, {})", s.csv.empty() ? s.dataset : s.csv,
                              table.rows(), columns, s.csv.empty() ? "features" : "columns",
                              p.features != columns ? fmt::format(" -> {} inputs", p.features) : "",
                              p.classes ? fmt::format("{} classes", p.classes) : "regression");
  p.inputs = std::move(inputs);
  p.target = std::move(target);
  return p;
}

data::RowSplit split_of(const DataSpec& s, const data::Table& table, const data::Target& target) {
  const bool stratified = s.stratify && target.classification;
  try {
    return data::split_rows(table.rows(), s.test_fraction, s.val_fraction, data_seed(s) + 1,
                            stratified ? target.class_indices(table) : std::vector<std::int64_t>{});
  } catch (const std::invalid_argument& e) {  // too few rows for the fractions
    throw InputError(fmt::format("{}: {}", table.source, e.what()));
  }
}

// A missing target cell, or a missing cell of an input column without a fill value (`unfilled`),
// is an error naming the first such cell in the file (line, then column): the split shuffles the
// rows and encodes the target apart, which would name another.
void require_cells(const data::Table& table, const data::Target& target,
                   const std::unordered_set<std::string>& unfilled) {
  std::vector<const data::Column*> required;
  for (const auto& c : table.columns)
    if (c.name == target.name || unfilled.count(c.name)) required.push_back(&c);
  const auto cell = data::first_missing(all_rows(table.rows()), required);
  if (!cell) return;
  if (cell->column->name == target.name)
    target.transform(table, {cell->row});  // throws the target's own message
  throw InputError(fmt::format(
      "{}: missing value (--impute mean|median|mode fills missing inputs; or drop the rows)",
      table.where(cell->row, *cell->column)));
}

}  // namespace

void check_dataset(const DataSpec& spec) { resolve(spec); }

Prepared prepare(const DataSpec& s) {
  const data::Table table = load(s, {});
  const std::string name = target_name(s);
  if (!table.find(name)) {
    std::string have;
    for (const auto& c : table.columns) have += (have.empty() ? "" : ", ") + c.name;
    throw InputError(
        fmt::format("{}: no column named '{}' (--target; columns: {})", table.source, name, have));
  }
  // The classes are those of the whole table; the target is checked on every row (a missing
  // cell is an error), and so are the inputs without --impute, before the split uses them.
  data::Target target = data::Target::fit(table, name, task_of(s), all_rows(table.rows()), false);
  std::unordered_set<std::string> unfilled;
  if (impute_of(s.impute) == data::Impute::None)
    for (const auto& c : table.columns) unfilled.insert(c.name);
  require_cells(table, target, unfilled);
  const data::RowSplit split = split_of(s, table, target);
  if (!target.classification)  // regression: standardised with the training rows
    target = data::Target::fit(table, name, data::Task::Regression, split.train);
  auto inputs = data::Preprocessor::fit(table, split.train, {name}, {impute_of(s.impute)});
  return encode(s, table, std::move(inputs), std::move(target), split);
}

Prepared prepare(const DataSpec& s, const xg::io::ModelCard& card) {
  data::CsvOptions only = card.inputs.csv_options();
  only.columns.push_back(card.target.name);
  only.kinds[card.target.name] = card.target.kind();
  const data::Table table = load(s, only);
  if (s.rows && table.rows() != s.rows)
    throw InputError(
        fmt::format("{}: {} rows now, {} when the model was trained: the table changed, "
                    "so the training split cannot be rebuilt (evaluate with --csv)",
                    table.source, table.rows(), s.rows));
  std::unordered_set<std::string> unfilled;
  for (const auto& in : card.inputs.columns())
    if (!in.fill && !in.fill_category) unfilled.insert(in.name);
  require_cells(table, card.target, unfilled);
  return encode(s, table, card.inputs, card.target, split_of(s, table, card.target));
}

xg::io::Metadata data_provenance(const DataSpec& s, const Prepared& p) {
  xg::io::Metadata md;
  const auto put = [&](const std::string& key, const std::string& value) {
    md["xgrad.data." + key] = value;
  };
  if (s.csv.empty()) {
    const Generation g = resolve(s);
    put("source", "dataset");
    put("dataset", s.dataset);
    put("samples", std::to_string(g.samples));
    put("noise", fmt::format("{}", g.noise));
    if (uses_classes(s.dataset)) put("classes", std::to_string(g.classes));
    if (s.dataset == "circles") put("factor", fmt::format("{}", g.factor));
  } else {
    char absolute[PATH_MAX];
    put("source", "csv");
    put("csv", ::realpath(s.csv.c_str(), absolute) ? absolute : s.csv);
    put("rows", std::to_string(p.rows));
    put("delimiter", p.delimiter == '\t' ? "tab" : std::string(1, p.delimiter));
    put("header", s.header ? "true" : "false");
    put("categorical", nlohmann::json(s.categorical).dump());
    put("ignore", nlohmann::json(s.ignore).dump());
    put("impute", s.impute);
  }
  put("seed", std::to_string(data_seed(s)));
  put("test_fraction", fmt::format("{}", s.test_fraction));
  put("val_fraction", fmt::format("{}", s.val_fraction));
  put("stratify", s.stratify && p.classes ? "true" : "false");
  return md;
}

namespace {

// The generator's own checks (resolve) on a model file's values: their messages name a flag
// ("--samples: ..."), the user gave none: name the file and its key instead, as an input error.
void check_generator(const DataSpec& s, const std::string& path) {
  try {
    resolve(s);
  } catch (const UsageError& e) {
    const std::string what = e.what();
    const std::string prefix = "--samples: ";
    if (what.rfind(prefix, 0) != 0) throw InputError(fmt::format("{}: {}", path, what));
    throw InputError(fmt::format("{}: metadata 'xgrad.data.samples': '{}': {}", path, *s.samples,
                                 what.substr(prefix.size())));
  }
}

}  // namespace

DataSpec data_spec_from(const xg::io::Metadata& md, const std::string& path) {
  const auto get = [&](const std::string& key) -> const std::string& {
    const auto it = md.find("xgrad.data." + key);
    if (it == md.end())
      throw InputError(
          fmt::format("{}: metadata has no 'xgrad.data.{}', so the training split "
                      "cannot be rebuilt: evaluate with --csv FILE",
                      path, key));
    return it->second;
  };
  const auto flag = [&](const std::string& key) {
    return fmt::format("{}: metadata 'xgrad.data.{}'", path, key);
  };
  const auto integer = [&](const std::string& key, std::uint64_t lo, std::uint64_t hi) {
    try {
      return parse_integer(flag(key), get(key), lo, hi);
    } catch (const UsageError& e) {
      throw InputError(e.what());
    }
  };
  const auto real = [&](const std::string& key, double lo, double hi, bool hi_open) {
    try {
      return parse_real(flag(key), get(key), lo, hi, false, hi_open);
    } catch (const UsageError& e) {
      throw InputError(e.what());
    }
  };
  const auto boolean = [&](const std::string& key) {
    const std::string& v = get(key);
    if (v != "true" && v != "false")
      throw InputError(fmt::format("{}: '{}' is not true or false", flag(key), v));
    return v == "true";
  };
  DataSpec s;
  const std::string& source = get("source");
  if (source == "dataset") {
    s.dataset = get("dataset");
    try {
      find_dataset(s.dataset);
    } catch (const UsageError& e) {
      throw InputError(fmt::format("{}: {}", flag("dataset"), e.what()));
    }
    s.samples = integer("samples", 1, kMaxSamples);
    s.noise = real("noise", 0, kMaxNoise, false);
    if (uses_classes(s.dataset)) s.classes = integer("classes", 2, kMaxDatasetClasses);
    if (s.dataset == "circles") s.factor = real("factor", 0, 1, true);
    check_generator(s, path);
  } else if (source == "csv") {
    s.csv = get("csv");
    s.header = boolean("header");
    const std::string& d = get("delimiter");
    if (d != "," && d != ";" && d != "|" && d != "tab")  // what data_provenance writes
      throw InputError(fmt::format("{}: '{}' is not one of , ; | tab", flag("delimiter"), d));
    s.delimiter = d == "tab" ? '\t' : d[0];
    s.impute = get("impute");
    // Categorical and ignored columns: the saved preprocessing already says which columns are
    // read and how (prepare(spec, card)).
  } else {
    throw InputError(fmt::format("{}: '{}' is not dataset or csv", flag("source"), source));
  }
  s.seed = integer("seed", 0, std::numeric_limits<std::uint64_t>::max());
  s.test_fraction = real("test_fraction", 0, 1, true);
  s.val_fraction = real("val_fraction", 0, 1, true);
  s.stratify = boolean("stratify");
  if (!s.csv.empty()) s.rows = integer("rows", 1, std::numeric_limits<std::uint64_t>::max());
  return s;
}

}  // namespace xgcli
