// `xgrad train`: options resolved and checked, the training loop with its guards (non-finite
// loss, gradient or parameter; divergence) and early stopping, the report, the model file.
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <xgrad/core/autograd.hpp>
#include <xgrad/core/threads.hpp>
#include <xgrad/data/datasets.hpp>
#include <xgrad/io/checkpoint.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/nn/activation_registry.hpp>

#include "cli.hpp"

namespace xgcli {
namespace {

using Clock = std::chrono::steady_clock;
using xg::Tensor;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string human_rate(double per_second) {
  if (per_second >= 1e6) return fmt::format("{:.2f}M", per_second / 1e6);
  if (per_second >= 1e3) return fmt::format("{:.1f}k", per_second / 1e3);
  return fmt::format("{:.0f}", per_second);
}

// True when no element is inf or NaN (an all-ones exponent), tested on the bits so that the loop
// vectorises.
bool all_finite(const Tensor& t) {
  const float* p = t.data().data();
  std::uint32_t bad = 0;
  for (std::size_t i = 0, n = t.numel(); i < n; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, p + i, sizeof bits);
    bad |= (bits & 0x7f800000u) == 0x7f800000u;
  }
  return bad == 0;
}

// Early stopping: the weights of the epoch with the lowest validation loss.
struct BestWeights {
  double loss = std::numeric_limits<double>::infinity();
  std::size_t epoch = 0;
  xg::nn::NamedTensors<float> state;

  void keep(const Model& model, double value, std::size_t at) {
    loss = value, epoch = at;
    state.clear();
    for (const auto& [name, t] : model.state_dict())
      state.emplace_back(name, Tensor::from(t.to_vector(), t.shape()));
  }
};

std::string progress_line(std::size_t epoch, const TrainOptions& o, double loss, double quality,
                          bool classification, const std::string& validation, double rate) {
  return fmt::format("epoch {:>{}}/{}  loss {:.4f}  {}{}  {} ex/s", epoch,
                     fmt::formatted_size("{}", o.epochs), o.epochs, loss,
                     classification ? fmt::format("acc {:6.2f}%", 100 * quality)
                                    : fmt::format("rmse {:.4g}", quality),
                     validation, human_rate(rate));
}

}  // namespace

TrainingGuard::TrainingGuard(const Model& model, const TrainOptions& o,
                             std::optional<double> resumed)
    : params_(model.named_parameters()), o_(o), resumed_(resumed) {
  limit_ = o.max_loss ? o.max_loss : resumed;
}

void TrainingGuard::loss(double value, std::size_t epoch, std::size_t step) {
  if (!std::isfinite(value))
    fail(fmt::format("the loss became {} at epoch {}, step {}", unsigned_nan(value), epoch, step));
  if (!limit_) limit_ = 1000 * std::max(value, 1.0);
  if (value > *limit_)
    fail(fmt::format(
        "the loss reached {:.4g} at epoch {}, step {}, above the divergence limit {:.4g} ({}): "
        "training diverged",
        value, epoch, step, *limit_,
        o_.max_loss ? "--max-loss"
        : resumed_  ? "the resumed checkpoint's; --max-loss sets it"
                    : "1000 x the first loss; --max-loss sets it"));
}

double TrainingGuard::limit() const {
  return limit_.value_or(std::numeric_limits<double>::infinity());
}

void TrainingGuard::gradients(std::size_t epoch, std::size_t step) const {
  for (const auto& [name, t] : params_) {
    const Tensor g = t.grad();
    if (g.defined() && !all_finite(g))
      fail(fmt::format("the gradient of '{}' became non-finite at epoch {}, step {}", name, epoch,
                       step));
  }
}

void TrainingGuard::parameters(std::size_t epoch) const {
  for (const auto& [name, t] : params_)
    if (!all_finite(t))
      fail(fmt::format("parameter '{}' became non-finite during epoch {}", name, epoch));
}

void TrainingGuard::final_loss(double value) const {
  if (!std::isfinite(value))
    fail(fmt::format("the loss of the final weights on the training rows is {}",
                     unsigned_nan(value)));
}

void TrainingGuard::fail(const std::string& what) const {
  throw TrainingFailed(fmt::format("{}: lower --lr (now {})", what, o_.optim.lr));
}

namespace {

struct Rows {
  const Tensor &x, &y;
  const std::vector<double>& values;
};

Rows rows_of(const Prepared& p, Part part) {
  switch (part) {
    case Part::Train:
      return {p.x_train, p.y_train, p.values_train};
    case Part::Validation:
      return {p.x_val, p.y_val, p.values_val};
    case Part::Test:
      break;
  }
  return {p.x_test, p.y_test, p.values_test};
}

}  // namespace

Evaluation evaluate(Model& model, const Prepared& p, Part part) {
  const auto [x, y, values] = rows_of(p, part);
  Evaluation e;
  e.rows = x.defined() ? x.size(0) : 0;
  if (e.rows == 0) return e;
  const bool classification = p.classes > 0;
  xg::NoGradGuard no_grad;
  model.eval();
  xg::metrics::RunningMean mean_loss;
  std::vector<double> predicted;  // regression, in the target's units
  for (auto [xb, yb] : xg::data::batches(x, y, 1024)) {
    const Tensor out = model(xb);
    mean_loss.add(loss(out, yb, classification), xb.size(0));
    if (classification) {
      const auto pred = xg::metrics::predictions(out);
      e.predicted.insert(e.predicted.end(), pred.begin(), pred.end());
      continue;
    }
    for (float v : out.to_vector()) predicted.push_back(v * p.target.scale + p.target.mean);
  }
  model.train();
  e.loss = mean_loss.mean();
  if (classification) {
    e.accuracy = xg::metrics::accuracy(e.predicted, xg::metrics::labels_of(y));
  } else {
    const auto s = xg::metrics::regression_scores(predicted, values);
    e.rmse = s.rmse, e.mae = s.mae, e.r2 = s.r2;
  }
  return e;
}

std::string quality(const Evaluation& e, bool classification) {
  return classification ? fmt::format("accuracy {:6.2f}%", 100 * e.accuracy)
                        : fmt::format("rmse {:.4g}  mae {:.4g}  r2 {:.4f}", e.rmse, e.mae, e.r2);
}

namespace {

// The schedule's defaults from the epochs, and its flags checked against its name.
void resolve_schedule(ScheduleSpec& s, std::size_t epochs) {
  if (s.name != "step" && (s.step || s.gamma))
    throw UsageError("--lr-step and --lr-gamma apply to --lr-schedule step");
  if (s.name != "warmup-cosine" && s.warmup)
    throw UsageError("--warmup applies to --lr-schedule warmup-cosine");
  if (s.name == "step") {
    if (!s.step) s.step = std::max<std::size_t>(1, epochs / 3);
    if (!s.gamma) s.gamma = 0.1;
  }
  if (s.name != "warmup-cosine") return;
  if (!s.warmup) s.warmup = epochs / 10;
  if (*s.warmup >= epochs)
    throw UsageError(
        fmt::format("--warmup {} must be below --epochs {} (the cosine part needs "
                    "at least one epoch)",
                    *s.warmup, epochs));
}

}  // namespace

void check_data_options(const DataSpec& d) {
  if (d.dataset.empty() == d.csv.empty())
    throw UsageError("give either --dataset NAME or --csv FILE --target COLUMN");
  if (!d.csv.empty() && d.target.empty()) throw UsageError("--csv needs --target COLUMN");
  if (!d.csv.empty() && (d.samples || d.noise || d.classes || d.factor))
    throw UsageError("--samples, --noise, --classes and --factor apply to --dataset only");
  if (!d.dataset.empty() && (d.delimiter || !d.header || !d.categorical.empty() ||
                             !d.ignore.empty() || d.impute != "none" || d.task != "auto"))
    throw UsageError(
        "--delimiter, --no-header, --categorical, --ignore, --impute and --task apply to --csv "
        "only");
  if (!(d.test_fraction + d.val_fraction < 1))
    throw UsageError(fmt::format("--test-fraction {} + --val-fraction {} must be below 1",
                                 d.test_fraction, d.val_fraction));
  if (!d.dataset.empty()) check_dataset(d);
}

Prepared load_data(TrainOptions& o) {
  if (!o.data.seed) o.data.seed = o.seed;
  if (o.threads) xg::set_num_threads(*o.threads);
  Prepared p = prepare(o.data);
  if (o.batch == 0)  // small tables get several steps per epoch
    o.batch = std::min<std::size_t>(128, std::max<std::size_t>(1, (p.x_train.size(0) + 3) / 4));
  return p;
}

void check_run(TrainOptions& o) {
  check_data_options(o.data);
  if (o.patience && o.data.val_fraction == 0)
    throw UsageError("--patience needs --val-fraction F > 0 (it watches the validation loss)");
  resolve_schedule(o.schedule, o.epochs);
  o.model.hidden = parse_sizes(o.hidden, "--hidden");
  o.model.act_params = parse_params(o.act_params);
  o.model.init = resolved_init(o.model);
  // The activation's name and parameters (the registry's range checks), before the data loads.
  xg::nn::make_activation<float>(o.model.activation, o.model.act_params, 1);
}

Prepared prepare_run(TrainOptions& o) {
  check_run(o);
  Prepared p = load_data(o);
  o.model.in = p.features;
  o.model.out = p.classes > 0 ? p.classes : 1;
  try {
    xg::io::validate(o.model);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("--hidden: {}", e.what()));
  }
  return p;
}

std::unique_ptr<xg::optim::LRScheduler> make_schedule(const TrainOptions& o, Optimizer& opt) {
  namespace optim = xg::optim;
  const ScheduleSpec& s = o.schedule;
  if (s.name == "step") return std::make_unique<optim::StepLR>(opt, int(*s.step), *s.gamma);
  if (s.name == "cosine") return std::make_unique<optim::CosineAnnealingLR>(opt, int(o.epochs));
  if (s.name == "warmup-cosine")
    return std::make_unique<optim::WarmupCosineLR>(opt, int(*s.warmup), int(o.epochs));
  return nullptr;
}

const std::vector<std::pair<std::string, std::string>>& schedule_table() {
  static const std::vector<std::pair<std::string, std::string>> table{
      {"none", "the same learning rate every epoch"},
      {"step", "StepLR: x --lr-gamma (0.1) every --lr-step epochs (epochs/3)"},
      {"cosine", "CosineAnnealingLR: from --lr down to 0 over --epochs"},
      {"warmup-cosine",
       "linear warm-up from 0.1 x lr over --warmup epochs (epochs/10), then cosine to 0"},
  };
  return table;
}

std::string schedule_text(const TrainOptions& o) {
  const ScheduleSpec& s = o.schedule;
  if (s.name == "step") return fmt::format(", lr x {} every {} epochs", *s.gamma, *s.step);
  if (s.name == "cosine") return fmt::format(", cosine lr schedule over {} epochs", o.epochs);
  if (s.name == "warmup-cosine")
    return fmt::format(", {} warm-up epochs then cosine lr schedule", *s.warmup);
  return "";
}

bool spans_the_run(const ScheduleSpec& s) {
  return s.name == "cosine" || s.name == "warmup-cosine";
}

Fit fit(Model& model, Optimizer& opt, const Prepared& p, const TrainOptions& o,
        const RunState& run) {
  const bool classification = p.classes > 0;
  const bool tty = ::isatty(::fileno(stdout));
  const std::size_t log_every = o.log_every ? o.log_every : std::max<std::size_t>(1, o.epochs / 10);
  const bool validating = p.x_val.defined() && p.x_val.size(0) > 0;
  const auto own_schedule = run.schedule ? nullptr : make_schedule(o, opt);
  xg::optim::LRScheduler* schedule = run.schedule ? run.schedule : own_schedule.get();
  TrainingGuard guard(model, o, run.loss_limit);
  BestWeights best;
  Fit f;

  const auto t0 = Clock::now();
  auto last_print = t0;
  // The batch order depends on the epoch's number only, so a resumed run draws the same batches.
  for (std::size_t epoch = run.done + 1; epoch <= o.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    xg::metrics::RunningMean epoch_loss;
    std::size_t correct = 0, step = 0;
    double sq = 0;
    for (auto [xb, yb] :
         xg::data::batches(p.x_train, p.y_train, o.batch, o.seed * 1000003 + epoch)) {
      ++step;
      opt.zero_grad();
      const Tensor out = model(xb);
      const Tensor l = loss(out, yb, classification);
      const double lv = l.item();
      guard.loss(lv, epoch, step);
      l.backward();
      guard.gradients(epoch, step);
      opt.step();
      epoch_loss.add(lv, xb.size(0));
      if (classification) {
        const auto pred = xg::metrics::predictions(out);
        const auto lab = xg::metrics::labels_of(yb);
        for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == lab[i];
      } else {
        sq += lv * double(xb.size(0));
      }
      f.seen += xb.size(0);
    }
    if (schedule) schedule->step();
    guard.parameters(epoch);
    f.epochs_run = epoch;
    const double n = double(p.x_train.size(0));
    const double epoch_quality =
        classification ? double(correct) / n : std::sqrt(sq / n) * p.target.scale;
    if (run.after_epoch)
      run.after_epoch(EpochEnd{epoch, epoch_loss.mean(), epoch_quality, seconds_since(epoch_start),
                               guard.limit()});
    std::string validation;
    if (validating) {
      const Evaluation v = evaluate(model, p, Part::Validation);
      validation = fmt::format("  val loss {:.4f}", v.loss);
      if (o.patience && v.loss < best.loss) best.keep(model, v.loss, epoch);
    }
    const bool stop = o.patience && epoch - best.epoch >= *o.patience;
    if (!o.quiet) {
      const std::string line =
          progress_line(epoch, o, epoch_loss.mean(), epoch_quality, classification, validation,
                        double(f.seen) / std::max(seconds_since(t0), 1e-9));
      const bool last = epoch == o.epochs || stop;
      if (tty && (last || seconds_since(last_print) > 0.05)) {  // one live line, ~20 redraws/s
        fmt::print("\r{}\x1b[K", line);
        std::fflush(stdout);
        last_print = Clock::now();
      } else if (!tty && (epoch % log_every == 0 || epoch == run.done + 1 || last)) {
        fmt::print("{}\n", line);
        std::fflush(stdout);
      }
    }
    if (stop) break;
  }
  if (tty && !o.quiet) fmt::print("\n");
  f.seconds = seconds_since(t0);

  if (o.patience && best.epoch) {  // before the final check: these are the weights kept
    model.load_state_dict(best.state);
    f.best_epoch = best.epoch;
    if (!o.quiet)
      fmt::print("early stopping: {}; weights of epoch {} restored (validation loss {:.4f})\n",
                 f.epochs_run < o.epochs
                     ? fmt::format("no better validation loss for {} epochs after epoch {}",
                                   *o.patience, best.epoch)
                     : fmt::format("all {} epochs run", o.epochs),
                 best.epoch, best.loss);
  }
  f.train = evaluate(model, p, Part::Train);
  guard.final_loss(f.train.loss);
  f.loss_limit = guard.limit();
  return f;
}

namespace {

void print_summary(const TrainOptions& o, const Session& s) {
  const Prepared& p = s.data;
  std::string parts = fmt::format("{} train", p.x_train.size(0));
  if (p.x_val.size(0)) parts += fmt::format(" / {} validation", p.x_val.size(0));
  parts += p.x_test.size(0) ? fmt::format(" / {} test", p.x_test.size(0))
                            : " / 0 test (--test-fraction 0: no held-out set)";
  fmt::print("data   {}: {}{}\n", p.description, parts,
             p.classes && o.data.stratify ? ", stratified" : "");
  std::string hidden;
  for (auto h : o.model.hidden) hidden += fmt::format("{} -> ", h);
  fmt::print("model  {} -> {}{} ({} activation, {} init, {} parameters)\n", o.model.in, hidden,
             o.model.out, o.model.activation, o.model.init, s.model->num_parameters());
  std::string extra = schedule_text(o);
  if (o.patience) extra += fmt::format(", early stopping (patience {})", *o.patience);
  if (o.threads) extra += fmt::format(", {} threads", *o.threads);
  fmt::print("optim  {} lr={} weight_decay={}, {} epochs, batch {}{}\n", o.optim.name, o.optim.lr,
             o.optim.weight_decay, o.epochs, o.batch, extra);
  if (!o.resume.empty())
    fmt::print("resume {}: {} of {} epochs done, lr now {:.6g}\n", o.resume, s.done, o.epochs,
               s.opt->lr(0));
  std::fflush(stdout);
}

xg::io::Metadata training_provenance(const TrainOptions& o, const Fit& f, const Evaluation& tr,
                                     const Evaluation& va, const Evaluation& te,
                                     bool classification) {
  xg::io::Metadata md = run_settings(o);
  const auto put = [&](const std::string& key, const std::string& value) {
    md["xgrad.train." + key] = value;
  };
  put("epochs_run", std::to_string(f.epochs_run));
  if (o.patience) {
    put("patience", std::to_string(*o.patience));
    put("best_epoch", std::to_string(f.best_epoch));
  }
  const char* metric = classification ? "accuracy" : "rmse";
  for (const auto& [part, e] : {std::pair{"train", &tr}, {"val", &va}, {"test", &te}})
    if (e->rows)
      put(fmt::format("{}_{}", part, metric),
          fmt::format("{:.6g}", classification ? e->accuracy : e->rmse));
  return md;
}

// Writes the model to a fresh file of a unique name (created exclusively, so a name or symlink
// planted in a shared directory is never written through), next to `path` or else in $TMPDIR
// (/tmp); returns its path, or "" when neither place takes it.
std::string rescue_model(const Model& model, const xg::io::ModelCard& card,
                         const std::string& path) {
  const auto slash = path.rfind('/');
  const char* tmp = std::getenv("TMPDIR");
  const std::string dirs[] = {
      slash == std::string::npos ? "." : path.substr(0, std::max<std::size_t>(slash, 1)),
      tmp && *tmp ? tmp : "/tmp"};
  for (const std::string& dir : dirs) {
    const std::string rescue = create_unique_file(dir, "xgrad-rescue", ".safetensors");
    if (rescue.empty()) continue;
    try {
      xg::io::save_model(model, card, rescue);
      return rescue;
    } catch (const std::exception&) {
      std::remove(rescue.c_str());
    }
  }
  return "";
}

// Saves the model; if that fails after all (the destination was checked before training), the
// trained weights are not lost: they go to the temporary directory and the error says where.
void save_or_rescue(const Model& model, const xg::io::ModelCard& card, const std::string& path) {
  try {
    xg::io::save_model(model, card, path);
  } catch (const std::exception& e) {
    const std::string rescue = rescue_model(model, card, path);
    if (rescue.empty()) throw OutputError(fmt::format("--save: {}", e.what()));
    throw OutputError(
        fmt::format("--save: {}; the trained model was written to '{}' instead", e.what(), rescue));
  }
}

// The flags that cannot go together, then the outputs: all before any work.
void check_before_work(const TrainOptions& o) {
  if (o.patience && !(o.checkpoint.empty() && o.resume.empty()))
    throw UsageError(
        "--patience cannot be combined with --checkpoint or --resume: a checkpoint does not hold "
        "the best weights that early stopping restores");
  // By identity, not by name: "./ck" or a symlink to the input is the same file.
  const std::string last_checkpoint =
      o.checkpoint.empty() ? "" : checkpoint_path(o.checkpoint, o.epochs);
  refuse_same_file(o.save, "--save", o.resume, "--resume");
  refuse_same_file(o.save, "--save", last_checkpoint, "--checkpoint");
  refuse_same_file(o.save, "--save", o.data.csv, "--csv");
  refuse_same_file(last_checkpoint, "--checkpoint", o.data.csv, "--csv");
  if (!o.save.empty()) check_writable(o.save, "--save");
  if (!o.checkpoint.empty()) check_writable(checkpoint_path(o.checkpoint, 0), "--checkpoint");
}

Session start(TrainOptions& o) {
  Session s;
  s.data = prepare_run(o);
  s.model = build_model(o.model, o.seed);
  s.opt = make_optimizer(o.optim, *s.model);
  s.schedule = make_schedule(o, *s.opt);
  // Hashed as read, before training: the files written at the end name the data they learnt.
  if ((!o.checkpoint.empty() || !o.save.empty()) && !o.data.csv.empty())
    s.csv_digest = file_digest(o.data.csv);
  return s;
}

// A checkpoint holds step counts up to 2^53 (F64, exact): a run whose optimizer would step past
// it is refused before it trains, not at its first checkpoint after the work. A fresh run cannot
// get there (10^7 epochs of at most one step per row); a resumed one can, from a crafted file.
void check_step_limit(const TrainOptions& o, const Session& s) {
  if (o.checkpoint.empty() || o.epochs <= s.done) return;
  const std::uint64_t rows = s.data.x_train.size(0);
  const std::uint64_t per_epoch = (rows + o.batch - 1) / o.batch;  // the last batch partial
  const std::uint64_t epochs = o.epochs - s.done;
  if (s.steps <= xg::io::kMaxCheckpointSteps &&
      (per_epoch == 0 || epochs <= (xg::io::kMaxCheckpointSteps - s.steps) / per_epoch))
    return;
  const std::string from =
      o.resume.empty() ? ""
                       : fmt::format("--resume: '{}' has taken {} steps, and ", o.resume, s.steps);
  throw InputError(fmt::format(
      "{}{} more epochs of {} steps would pass 2^53 = {}, the most steps a checkpoint holds "
      "exactly: the run's checkpoints could not be written (--checkpoint '{}')",
      from, epochs, per_epoch, xg::io::kMaxCheckpointSteps, o.checkpoint));
}

// Trains the session, writing checkpoints every o.checkpoint_every epochs and at the end (after
// the final check, so the last checkpoint always holds usable weights). A failure says what was
// kept.
Fit train_session(const TrainOptions& o, Session& s) {
  std::string written;
  std::size_t written_epoch = 0;
  const auto checkpoint = [&](std::size_t epoch, double loss_limit) {
    written = write_checkpoint(o, s, epoch, loss_limit);
    written_epoch = epoch;
  };
  RunState run{s.schedule.get(), s.done, s.loss_limit, {}};
  if (!o.checkpoint.empty() && o.checkpoint_every)
    run.after_epoch = [&](const EpochEnd& e) {
      if (e.epoch % o.checkpoint_every == 0 && e.epoch < o.epochs)
        checkpoint(e.epoch, e.loss_limit);
    };
  try {
    const Fit f = fit(*s.model, *s.opt, s.data, o, run);
    if (!o.checkpoint.empty()) checkpoint(f.epochs_run, f.loss_limit);
    return f;
  } catch (const TrainingFailed& e) {
    if (!written.empty())
      throw TrainingFailed(fmt::format("{}; the last checkpoint is '{}' (epoch {}){}", e.what(),
                                       written, written_epoch,
                                       o.save.empty() ? "" : ", the model was not saved"));
    if (o.save.empty() && o.checkpoint.empty()) throw;
    throw TrainingFailed(fmt::format("{}; nothing was saved", e.what()));
  }
}

}  // namespace

int train(TrainOptions& o) {
  check_before_work(o);
  Session s = o.resume.empty() ? start(o) : resume(o);
  check_step_limit(o, s);
  const Prepared& p = s.data;
  const bool classification = p.classes > 0;
  print_summary(o, s);
  const Fit f = train_session(o, s);

  const Evaluation& tr = f.train;
  const Evaluation va = evaluate(*s.model, p, Part::Validation);
  const Evaluation te = evaluate(*s.model, p, Part::Test);
  fmt::print("\nfinal  train {}  loss {:.4f}\n", quality(tr, classification), tr.loss);
  if (va.rows) fmt::print("       val   {}  loss {:.4f}\n", quality(va, classification), va.loss);
  if (te.rows)
    fmt::print("       test  {}  loss {:.4f}\n", quality(te, classification), te.loss);
  else
    fmt::print("       test  none (--test-fraction 0)\n");
  fmt::print("       {} epochs in {:.3f} s ({} ex/s), {} parameters\n", f.epochs_run - s.done,
             f.seconds, human_rate(double(f.seen) / std::max(f.seconds, 1e-9)),
             s.model->num_parameters());
  if (!o.checkpoint.empty()) {
    const std::string last = checkpoint_path(o.checkpoint, f.epochs_run);
    fmt::print("saved  {}: checkpoint of epoch {} ({})\n", last, f.epochs_run,
               spans_the_run(o.schedule)
                   ? fmt::format("the end of its {} schedule", o.schedule.name)
                   : fmt::format("`xgrad train --resume {} --epochs N` trains on", last));
  }
  if (o.save.empty()) return 0;
  xg::io::ModelCard card{o.model, p.inputs, p.target, data_provenance(o.data, p)};
  for (auto& [key, value] : training_provenance(o, f, tr, va, te, classification))
    card.provenance[key] = value;
  if (!s.csv_digest.empty()) card.provenance[kDigestKey] = s.csv_digest;  // checked by eval
  save_or_rescue(*s.model, card, o.save);
  fmt::print("saved  {} (`xgrad predict --model {} --csv new.csv`)\n", o.save, o.save);
  return 0;
}

}  // namespace xgcli
