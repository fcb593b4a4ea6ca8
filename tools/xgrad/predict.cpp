// `xgrad predict` and `xgrad eval`: a saved model on a new table (columns matched by name, the
// saved preprocessing and class names) or on its own training split, rebuilt.
#include <fmt/format.h>

#include <xgrad/metrics.hpp>
#include <xgrad/predictor.hpp>

#include "cli.hpp"

namespace xgcli {
namespace {

namespace data = xg::data;

xg::Predictor load_model(const std::string& path) {
  require_regular_file(path, "--model");
  if (xg::io::inspect(path).metadata.count("checkpoint.version"))
    throw InputError(fmt::format(
        "--model: '{}' is a training checkpoint, not a model file (`xgrad train --save FILE` "
        "writes the model file; `xgrad train --resume` continues a checkpoint)",
        path));
  return xg::Predictor(path);
}

data::Unknown unknown_of(const TableOptions& t) {
  return t.unknown == "ignore" ? data::Unknown::Ignore : data::Unknown::Error;
}

data::Table read_table(const xg::Predictor& p, const std::string& csv, const TableOptions& t,
                       bool with_target) {
  require_regular_file(csv, "--csv");
  data::CsvOptions o = p.csv_options(with_target);
  o.delimiter = t.delimiter;
  o.header = t.header;
  try {
    return data::read_csv(csv, o);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}

// Columns of the file the model does not read, said once (the target is expected, not listed).
void note_skipped(const data::Table& table, const std::string& target) {
  std::string names;
  for (const auto& name : table.skipped)
    if (name != target) names += (names.empty() ? "" : ", ") + name;
  if (!names.empty())
    fmt::print(stderr, "xgrad: note: {}: columns not used by the model: {}\n", table.source, names);
}

std::string describe(const xg::Predictor& p, const std::string& path) {
  const auto& n = p.card().network;
  std::string hidden;
  for (auto h : n.hidden) hidden += fmt::format("{} -> ", h);
  return fmt::format("model  {}: {} -> {}{} ({}), {} parameters", path, n.in, hidden, n.out,
                     n.activation, p.network().num_parameters());
}

// A CSV field: quoted when it holds a delimiter, a quote or a line break (RFC 4180).
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The report of `eval --csv`: accuracy, per-class scores and the labelled confusion matrix, or
// RMSE / MAE / R².
void report(const xg::Predictor& p, const data::Table& table, const xg::Predictions& r) {
  const data::Target& t = p.card().target;
  std::vector<std::size_t> rows(table.rows());
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const xg::Tensor y = t.transform(table, rows);  // unseen classes: file and line
  const double loss_value = loss(r.outputs, y, t.classification).item();
  fmt::print("data   {} ({} rows)\n", table.source, table.rows());
  if (!t.classification) {
    // The file's values, not y's standardised floats turned back (1e-7 relative off them).
    const data::Column& column = *table.find(t.name);
    const std::vector<double> truth(column.numbers.begin(), column.numbers.end());
    const auto s = xg::metrics::regression_scores(r.values, truth);
    fmt::print("       rmse {:.4g}  mae {:.4g}  r2 {:.4f}  loss {:.4f}\n", s.rmse, s.mae, s.r2,
               loss_value);
    return;
  }
  const auto cm = xg::metrics::confusion_matrix(r.classes, xg::metrics::labels_of(y), t.classes());
  fmt::print("       accuracy {:6.2f}%  loss {:.4f}\n\n{}\n", 100 * cm.accuracy(), loss_value,
             cm.report(t.class_names));
  fmt::print("confusion matrix (rows: true class, columns: predicted)\n{}", cm.str(t.class_names));
}

// The training table of `spec` must be the one the model learnt: other rows under the same
// count would be evaluated as "the training split" without a word. A model file from before the
// hash was kept is evaluated with a warning.
void check_training_table(const DataSpec& spec, const xg::io::Metadata& provenance,
                          const std::string& model_path) {
  if (spec.csv.empty()) return;  // a generated dataset: rebuilt from its seed
  require_regular_file(spec.csv, "--csv");
  const auto saved = provenance.find(kDigestKey);
  if (saved == provenance.end()) {
    fmt::print(stderr,
               "xgrad: warning: '{}' holds no hash of its training table (an older model "
               "file): '{}' cannot be verified to be the table it was trained on\n",
               model_path, spec.csv);
    return;
  }
  const std::string found = file_digest(spec.csv);
  if (found != saved->second)
    throw InputError(fmt::format(
        "'{}' changed since '{}' was trained (FNV-1a {}, the model's {}), so its training split "
        "cannot be rebuilt; to evaluate on the table as it is now: xgrad eval --model {} --csv {}",
        spec.csv, model_path, found, saved->second, model_path, spec.csv));
}

}  // namespace

int eval(const std::string& model_path, const std::string& csv, const TableOptions& t) {
  const xg::Predictor p = load_model(model_path);
  fmt::print("{}\n", describe(p, model_path));
  if (!csv.empty()) {
    const data::Table table = read_table(p, csv, t, /*with_target*/ true);
    note_skipped(table, p.card().target.name);
    report(p, table, p.predict(table, unknown_of(t)));
    return 0;
  }
  const DataSpec spec = data_spec_from(p.card().provenance, model_path);
  check_training_table(spec, p.card().provenance, model_path);
  const Prepared d = prepare(spec, p.card());
  const bool classification = d.classes > 0;
  fmt::print("data   {}: {} train / {} test (the training split, rebuilt from the metadata)\n",
             d.description, d.x_train.size(0), d.x_test.size(0));
  Model& model = p.network();
  const Evaluation tr = evaluate(model, d, Part::Train);
  fmt::print("train  {}  loss {:.4f}\n", quality(tr, classification), tr.loss);
  const Evaluation va = evaluate(model, d, Part::Validation);
  if (va.rows) fmt::print("val    {}  loss {:.4f}\n", quality(va, classification), va.loss);
  const Evaluation te = evaluate(model, d, Part::Test);
  if (!te.rows) {
    fmt::print("test   none (trained with --test-fraction 0)\n");
    return 0;
  }
  fmt::print("test   {}  loss {:.4f}\n", quality(te, classification), te.loss);
  if (classification) {
    const auto cm =
        xg::metrics::confusion_matrix(te.predicted, xg::metrics::labels_of(d.y_test), d.classes);
    fmt::print("\ntest set\n{}\nconfusion matrix (rows: true class, columns: predicted)\n{}",
               cm.report(d.target.class_names), cm.str(d.target.class_names));
  }
  return 0;
}

int predict(const std::string& model_path, const std::string& csv, const std::string& out,
            bool proba, const TableOptions& t) {
  refuse_same_file(out, "--out", model_path, "--model");
  refuse_same_file(out, "--out", csv, "--csv");
  if (!out.empty()) check_writable(out, "--out");
  const xg::Predictor p = load_model(model_path);
  if (proba && !p.card().target.classification)  // silently ignoring it would hide the mistake
    throw UsageError(fmt::format(
        "--proba: '{}' is a regression model (target '{}'): it predicts a number, not classes "
        "with probabilities; leave --proba out",
        model_path, p.card().target.name));
  const data::Table table = read_table(p, csv, t, /*with_target*/ false);
  note_skipped(table, p.card().target.name);
  const xg::Predictions r = p.predict(table, unknown_of(t));
  const data::Target& target = p.card().target;

  std::string text = field(target.name);
  if (proba && target.classification)
    for (const auto& c : target.class_names) text += "," + field("prob_" + c);
  text += "\n";
  const std::vector<float> probabilities =
      proba && target.classification ? r.probabilities.to_vector() : std::vector<float>{};
  for (std::size_t i = 0; i < table.rows(); ++i) {
    text += target.classification ? field(r.labels[i]) : fmt::format("{:.9g}", r.values[i]);
    for (std::size_t c = 0; c < target.classes() && proba; ++c)
      text += fmt::format(",{:.6g}", probabilities[i * target.classes() + c]);
    text += "\n";
  }
  if (out.empty()) {
    fmt::print("{}", text);
    return 0;
  }
  write_text_atomically(out, text);
  fmt::print(stderr, "xgrad: wrote {} predictions to {}\n", table.rows(), out);
  return 0;
}

}  // namespace xgcli
