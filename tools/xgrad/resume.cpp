// Checkpoints of `xgrad train` and resumed runs. A checkpoint is the library's (model, optimizer,
// schedule, epoch, generators: xgrad/io/checkpoint.hpp) plus the model card and the run's
// settings as metadata, so that `--resume FILE` rebuilds the same data, network, optimizer and
// schedule from the file alone and continues bit for bit. Flags given with --resume must agree
// with the file: a resumed run is the same run.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>
#include <xgrad/core/threads.hpp>
#include <xgrad/io/checkpoint.hpp>

#include "cli.hpp"

namespace xgcli {
namespace {

namespace optim = xg::optim;
using xg::io::Metadata;

constexpr double kMaxReal = std::numeric_limits<double>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Every optimizer the command line makes is a float one; the checkpoint API takes that type.
optim::OptimizerOf<float>& typed(Optimizer& opt) {
  return dynamic_cast<optim::OptimizerOf<float>&>(opt);
}

std::string number(double v) { return fmt::format("{}", v); }

std::string widths(const std::vector<std::size_t>& hidden) {
  return hidden.empty() ? "none" : fmt::format("{}", fmt::join(hidden, ","));
}

// A checkpoint's metadata values, each checked like its flag; errors name the file and the key.
class Settings {
 public:
  Settings(const Metadata& md, const std::string& path) : md_(md), path_(path) {}

  const std::string& text(const std::string& key) const {
    const auto it = md_.find(key);
    if (it == md_.end())
      throw InputError(fmt::format(
          "--resume: {}: no '{}' in the metadata (not a checkpoint of `xgrad train`)", path_, key));
    return it->second;
  }
  std::uint64_t integer(const std::string& key, std::uint64_t lo, std::uint64_t hi) const {
    try {
      return parse_integer(where(key), text(key), lo, hi);
    } catch (const UsageError& e) {
      throw InputError(e.what());
    }
  }
  double real(const std::string& key, double lo, double hi, bool lo_open = false) const {
    try {
      return parse_real(where(key), text(key), lo, hi, lo_open);
    } catch (const UsageError& e) {
      throw InputError(e.what());
    }
  }
  const std::string& one_of(const std::string& key,
                            std::initializer_list<const char*> names) const {
    const std::string& value = text(key);
    for (const char* name : names)
      if (value == name) return value;
    throw InputError(fmt::format("{}: '{}' is not one of {}", where(key), value,
                                 fmt::join(names.begin(), names.end(), ", ")));
  }
  // A JSON list of names ("[\"id\",\"note\"]").
  std::vector<std::string> names(const std::string& key) const {
    try {
      return nlohmann::json::parse(text(key)).get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      throw InputError(fmt::format("{}: '{}' is not a JSON list of names", where(key), text(key)));
    }
  }

 private:
  std::string where(const std::string& key) const {
    return fmt::format("--resume: {}: metadata '{}'", path_, key);
  }
  const Metadata& md_;
  const std::string& path_;
};

// The checkpoint's model entries under the model file's names, so that the model card reader
// checks them against the architecture the metadata describes.
xg::io::FileInfo model_view(const xg::io::FileInfo& info) {
  const std::string prefix = "model.";
  xg::io::FileInfo view{info.metadata, {}};
  for (auto t : info.tensors)
    if (t.name.rfind(prefix, 0) == 0) {
      t.name.erase(0, prefix.size());
      view.tensors.push_back(std::move(t));
    }
  return view;
}

// The file's header, refused with the reason when it is not a checkpoint of `xgrad train`.
xg::io::FileInfo checkpoint_header(const std::string& path) {
  require_regular_file(path, "--resume");
  xg::io::FileInfo info;
  try {
    info = xg::io::inspect(path);
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--resume: {}", e.what()));
  }
  const Metadata& md = info.metadata;
  if (!md.count("checkpoint.version"))
    throw InputError(
        md.count("xgrad.format")
            ? fmt::format("--resume: '{}' is a model file: it holds the weights but no optimizer "
                          "state, schedule or epoch to resume from (`xgrad train --checkpoint "
                          "FILE` writes checkpoints)",
                          path)
            : fmt::format("--resume: '{}' is not a checkpoint (no 'checkpoint.version' in its "
                          "metadata)",
                          path));
  if (!md.count("xgrad.format"))
    throw InputError(fmt::format(
        "--resume: '{}' is a checkpoint without the model card that `xgrad train --checkpoint` "
        "writes (no 'xgrad.format' in its metadata): the command line cannot rebuild its network "
        "and data",
        path));
  return info;
}

// The run a checkpoint describes, every setting resolved.
TrainOptions checkpoint_options(const Settings& m, const Metadata& md,
                                const xg::io::ModelCard& card, const std::string& path) {
  TrainOptions f;
  f.data = data_spec_from(md, "--resume: " + path);
  f.data.target = card.target.name;
  f.data.task = card.target.classification ? "classification" : "regression";
  if (!f.data.csv.empty()) {
    f.data.categorical = m.names("xgrad.data.categorical");
    f.data.ignore = m.names("xgrad.data.ignore");
  }
  f.model = card.network;
  f.hidden = widths(f.model.hidden);
  f.optim.name =
      m.one_of("xgrad.train.optimizer", {"sgd", "momentum", "adam", "adamw", "rmsprop", "adagrad"});
  f.optim.lr = m.real("xgrad.train.lr", 0, kMaxReal, true);
  f.optim.weight_decay = m.real("xgrad.train.weight_decay", 0, kMaxReal);
  if (f.optim.name == "momentum") f.optim.momentum = m.real("xgrad.train.momentum", 0, 1);
  f.epochs = m.integer("xgrad.train.epochs", 1, kMaxEpochs);
  f.batch = m.integer("xgrad.train.batch", 1, kMaxBatch);
  f.seed = m.integer("xgrad.train.seed", 0, std::numeric_limits<std::uint64_t>::max());
  ScheduleSpec& s = f.schedule;
  s.name = m.one_of("xgrad.train.lr_schedule", {"none", "step", "cosine", "warmup-cosine"});
  if (s.name == "step") {
    s.step = m.integer("xgrad.train.lr_step", 1, kMaxEpochs);
    s.gamma = m.real("xgrad.train.lr_gamma", 0, 1, true);
  }
  if (s.name == "warmup-cosine") s.warmup = m.integer("xgrad.train.warmup", 0, f.epochs - 1);
  return f;
}

// Checks that the flags given with --resume say what the checkpoint says.
class Agreement {
 public:
  Agreement(const TrainOptions& given, const std::string& path) : given_(given), path_(path) {}

  void check(const std::string& flag, const std::string& mine, const std::string& theirs) const {
    if (given_.given.count(flag) && mine != theirs)
      throw UsageError(fmt::format(
          "{} {}: '{}' was trained with {} {}; a resumed run keeps its checkpoint's settings "
          "(leave {} out or give the same value)",
          flag, mine, path_, flag, theirs, flag));
  }
  // An on/off flag (CLI11 registers "--stratify,!--no-stratify" under its first name):
  // `mine` and `theirs` say which form holds.
  void check_switch(const std::string& flag, const std::string& mine,
                    const std::string& theirs) const {
    if (given_.given.count(flag) && mine != theirs)
      throw UsageError(fmt::format(
          "{}: '{}' was trained with {}; a resumed run keeps its checkpoint's settings (leave {} "
          "out)",
          mine, path_, theirs, mine));
  }
  bool has(const std::string& flag) const { return given_.given.count(flag) > 0; }

 private:
  const TrainOptions& given_;
  const std::string& path_;
};

template <class T>
std::string shown(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : "(not set)";
}

std::string names(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return fmt::format("{}", fmt::join(v, ","));
}

std::string delimiter_text(char d) { return d == '\t' ? "tab" : std::string(1, d); }

void check_data(const Agreement& a, const DataSpec& g, const DataSpec& f, const std::string& path) {
  if (a.has("--dataset") && f.dataset.empty())
    throw UsageError(fmt::format(
        "--dataset {}: '{}' was trained on the CSV table '{}'; a resumed run keeps its data "
        "(leave --dataset out)",
        g.dataset, path, f.csv));
  if (a.has("--csv") && !f.dataset.empty())
    throw UsageError(fmt::format(
        "--csv {}: '{}' was trained on --dataset {}; a resumed run keeps its data (leave --csv "
        "out)",
        g.csv, path, f.dataset));
  a.check("--dataset", g.dataset, f.dataset);
  a.check("--target", g.target, f.target);
  if (g.task != "auto") a.check("--task", g.task, f.task);
  a.check("--delimiter", delimiter_text(g.delimiter), delimiter_text(f.delimiter));
  a.check_switch("--no-header", g.header ? "" : "--no-header",
                 f.header ? "a header row (without --no-header)" : "--no-header");
  a.check("--categorical", names(g.categorical), names(f.categorical));
  a.check("--ignore", names(g.ignore), names(f.ignore));
  a.check("--impute", g.impute, f.impute);
  a.check("--samples", shown(g.samples), shown(f.samples));
  a.check("--noise", shown(g.noise), shown(f.noise));
  a.check("--classes", shown(g.classes), shown(f.classes));
  a.check("--factor", shown(g.factor), shown(f.factor));
  a.check("--test-fraction", number(g.test_fraction), number(f.test_fraction));
  a.check("--val-fraction", number(g.val_fraction), number(f.val_fraction));
  if (f.task == "classification")  // regression files record no stratification
    a.check_switch("--stratify", g.stratify ? "--stratify" : "--no-stratify",
                   f.stratify ? "--stratify" : "--no-stratify");
  a.check("--data-seed", shown(g.seed), shown(f.seed));
}

void check_model(const Agreement& a, const TrainOptions& g, const TrainOptions& f) {
  a.check("--hidden", widths(parse_sizes(g.hidden, "--hidden")), f.hidden);
  a.check("--activation", g.model.activation, f.model.activation);
  for (const auto& [key, value] : parse_params(g.act_params)) {
    const auto it = f.model.act_params.find(key);
    a.check("--act-param", fmt::format("{}={}", key, value),
            it == f.model.act_params.end() ? fmt::format("no parameter '{}'", key)
                                           : fmt::format("{}={}", key, it->second));
  }
  ModelSpec init = f.model;  // "auto" means the init of the checkpoint's activation
  init.init = g.model.init;
  a.check("--init", resolved_init(init), f.model.init);
}

void check_training(const Agreement& a, const TrainOptions& g, const TrainOptions& f) {
  a.check("--optimizer", g.optim.name, f.optim.name);
  a.check("--lr", number(g.optim.lr), number(f.optim.lr));
  a.check("--weight-decay", number(g.optim.weight_decay), number(f.optim.weight_decay));
  if (f.optim.name == "momentum")
    a.check("--momentum", number(g.optim.momentum), number(f.optim.momentum));
  a.check("--batch", std::to_string(g.batch), std::to_string(f.batch));
  a.check("--seed", std::to_string(g.seed), std::to_string(f.seed));
  a.check("--lr-schedule", g.schedule.name, f.schedule.name);
  a.check("--lr-step", shown(g.schedule.step), shown(f.schedule.step));
  a.check("--lr-gamma", shown(g.schedule.gamma), shown(f.schedule.gamma));
  a.check("--warmup", shown(g.schedule.warmup), shown(f.schedule.warmup));
}

// The epochs the resumed run trains to: --epochs (the total, as in PyTorch scripts), or the
// checkpoint's own total. A cosine schedule spans the run's epochs, so its total cannot change.
std::size_t resumed_epochs(const TrainOptions& g, const TrainOptions& f, std::size_t done,
                           const std::string& path) {
  const bool given = g.given.count("--epochs") > 0;
  if (given && spans_the_run(f.schedule) && g.epochs != f.epochs)
    throw UsageError(fmt::format(
        "--epochs {}: the {} schedule of '{}' spans {} epochs, so the resumed run trains to "
        "epoch {} (it keeps its schedule; leave --epochs out)",
        g.epochs, f.schedule.name, path, f.epochs, f.epochs));
  const std::size_t epochs = given ? g.epochs : f.epochs;
  if (epochs > done) return epochs;
  if (given)
    throw UsageError(fmt::format(
        "--epochs {}: '{}' has already run {} epochs; with --resume, --epochs is the total count "
        "(give more than {})",
        g.epochs, path, done, done));
  throw UsageError(fmt::format("'{}' has run all {} epochs of its run: {}", path, done,
                               spans_the_run(f.schedule)
                                   ? "its schedule is over (start a new run to train longer)"
                                   : fmt::format("give --epochs above {} to train on", done)));
}

// The CSV the run reads: the checkpoint's, or --csv naming it elsewhere; its bytes must be
// those the run was trained on.
std::string checked_table(const TrainOptions& g, const std::string& csv, const Settings& m,
                          const std::string& path) {
  const bool moved = g.given.count("--csv") > 0;
  const std::string table = moved ? g.data.csv : csv;
  try {
    require_regular_file(table, "--csv");
  } catch (const InputError& e) {
    throw InputError(
        moved ? e.what()
              : fmt::format("{} (the table '{}' was trained on; --csv names it if it moved)",
                            e.what(), path));
  }
  const std::string& expected = m.text(kDigestKey);
  const std::string found = file_digest(table);
  if (found != expected)
    throw InputError(fmt::format(
        "--resume: '{}' is not the table '{}' was trained on: its bytes changed (FNV-1a {}, the "
        "checkpoint's {}); a resumed run needs the same data",
        table, path, found, expected));
  return table;
}

}  // namespace

std::string checkpoint_path(const std::string& pattern, std::size_t epoch) {
  const std::string key = "{epoch}";
  std::string out = pattern;
  for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at))
    out.replace(at, key.size(), std::to_string(epoch));
  return out;
}

std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("cannot read '{}'", path));
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a's offset basis and prime
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buffer[std::size_t(i)]);
      h *= 0x100000001b3ull;
    }
  }
  if (in.bad()) throw InputError(fmt::format("cannot read '{}'", path));
  return fmt::format("{:016x}", h);
}

Metadata run_settings(const TrainOptions& o) {
  Metadata md;
  const auto put = [&](const std::string& key, const std::string& value) {
    md["xgrad.train." + key] = value;
  };
  put("optimizer", o.optim.name);
  put("lr", number(o.optim.lr));
  put("weight_decay", number(o.optim.weight_decay));
  if (o.optim.name == "momentum") put("momentum", number(o.optim.momentum));
  put("epochs", std::to_string(o.epochs));
  put("batch", std::to_string(o.batch));
  put("seed", std::to_string(o.seed));
  put("lr_schedule", o.schedule.name);
  if (o.schedule.step) put("lr_step", std::to_string(*o.schedule.step));
  if (o.schedule.gamma) put("lr_gamma", number(*o.schedule.gamma));
  if (o.schedule.warmup) put("warmup", std::to_string(*o.schedule.warmup));
  return md;
}

std::string write_checkpoint(const TrainOptions& o, const Session& s, std::size_t epoch,
                             double loss_limit) {
  const std::string path = checkpoint_path(o.checkpoint, epoch);
  xg::io::ModelCard card{o.model, s.data.inputs, s.data.target, data_provenance(o.data, s.data)};
  for (const auto& [key, value] : run_settings(o)) card.provenance[key] = value;
  card.provenance["xgrad.train.max_loss"] = number(loss_limit);
  if (!s.csv_digest.empty()) card.provenance[kDigestKey] = s.csv_digest;
  try {
    xg::io::save_checkpoint(path, *s.model, typed(*s.opt), s.schedule.get(), int(epoch),
                            xg::io::to_metadata(card));
  } catch (const std::runtime_error& e) {
    throw OutputError(fmt::format("--checkpoint: {}", e.what()));
  }
  return path;
}

Session resume(TrainOptions& o) {
  const std::string path = o.resume;
  const xg::io::FileInfo info = checkpoint_header(path);
  const Metadata& md = info.metadata;
  const Settings m(md, path);
  xg::io::ModelCard card;
  try {
    card = xg::io::read_model_card(model_view(info), path);
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--resume: {}", e.what()));
  }
  TrainOptions f = checkpoint_options(m, md, card, path);
  const Agreement agree(o, path);
  check_data(agree, o.data, f.data, path);
  check_model(agree, o, f);
  check_training(agree, o, f);
  const std::size_t done = m.integer("epoch", 0, kMaxEpochs);
  const std::size_t epochs = resumed_epochs(o, f, done, path);

  Session s;
  s.done = done;
  s.loss_limit = m.real("xgrad.train.max_loss", 0, kInf, true);
  if (!f.data.csv.empty()) {
    f.data.csv = checked_table(o, f.data.csv, m, path);
    s.csv_digest = m.text(kDigestKey);
  }
  if (o.threads) xg::set_num_threads(*o.threads);
  s.data = prepare(f.data, card);
  s.model = build_model(f.model, f.seed);
  s.opt = make_optimizer(f.optim, *s.model);
  s.schedule = make_schedule(f, *s.opt);  // then overwritten by the checkpoint's state
  try {
    s.steps = xg::io::load_checkpoint(path, *s.model, typed(*s.opt), s.schedule.get()).steps;
  } catch (const std::runtime_error& e) {
    throw InputError(fmt::format("--resume: {}", e.what()));
  }
  // The checkpoint's run, with what a resumed run may change: its length and its outputs.
  f.epochs = epochs;
  f.max_loss = o.max_loss;
  f.threads = o.threads;
  f.save = o.save;
  f.checkpoint = o.checkpoint;
  f.checkpoint_every = o.checkpoint_every;
  f.resume = o.resume;
  f.given = o.given;
  f.log_every = o.log_every;
  f.quiet = o.quiet;
  o = std::move(f);
  return s;
}

}  // namespace xgcli
