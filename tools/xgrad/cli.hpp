// Internals of the `xgrad` command line, shared by its .cpp files (not a public header).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <xgrad/data/preprocess.hpp>
#include <xgrad/io/model_file.hpp>
#include <xgrad/nn/module.hpp>
#include <xgrad/optim/optimizer.hpp>
#include <xgrad/optim/scheduler.hpp>

namespace CLI {
class App;
}

namespace xgcli {

// The errors a command reports, each one line "xgrad: error: <message>" with its exit code
// (docs/data_io_cli.md): 2 the command line is wrong, 3 an input file (CSV table, model file)
// is wrong, 4 an output cannot be written, 5 training failed (non-finite or diverging loss).
// Anything else (out of memory, an internal error) exits 1.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct OutputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TrainingFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `v` for a message: fmt prints a NaN's sign bit ("-nan", the NaN of inf - inf on x86), which
// means nothing; a NaN is printed "nan".
inline double unsigned_nan(double v) { return std::isnan(v) ? std::fabs(v) : v; }

// ---- numeric flags (flags.cpp) ----------------------------------------------------------------
// Each parses the whole text or throws UsageError naming the flag and the allowed range:
//   "--epochs: '0' is not an integer in [1, 10000000]".
std::uint64_t parse_integer(const std::string& flag, const std::string& text, std::uint64_t lo,
                            std::uint64_t hi);
// A finite number in [lo, hi] (open ends with lo_open / hi_open); "inf" only when hi is inf.
double parse_real(const std::string& flag, const std::string& text, double lo, double hi,
                  bool lo_open = false, bool hi_open = false);
// Comma-separated widths ("64,64"; "none" for no hidden layer), each in [1, max].
std::vector<std::size_t> parse_sizes(const std::string& text, const char* what);
// A user's text in a message: at most 40 characters, then "...".
std::string shown(const std::string& text);
// key=value pairs with finite values (--act-param).
std::map<std::string, double> parse_params(const std::vector<std::string>& kv);

// Limits of the command line (beyond the model file's, io/model_file.hpp).
inline constexpr std::uint64_t kMaxSamples = 10'000'000;
inline constexpr std::uint64_t kMaxEpochs = 10'000'000;
inline constexpr std::uint64_t kMaxBatch = 10'000'000;
inline constexpr std::uint64_t kMaxDatasetClasses = 1000;
inline constexpr double kMaxNoise = 1000;
inline constexpr std::uint64_t kMaxThreads = 1024;

// Refuses what is not a regular file (a FIFO would block the reader): InputError naming `flag`.
void require_regular_file(const std::string& path, const std::string& flag);
// Checks before any work that `path` can be written (its directory exists and takes new files,
// it is not a directory): OutputError naming `flag`.
void check_writable(const std::string& path, const std::string& flag);
// Writes `text` to `path` atomically (temporary file in the same directory, then rename).
void write_text_atomically(const std::string& path, const std::string& text);
// Refuses (UsageError naming both flags and the file) an output that is the same file as an
// input or another output: compared by identity (device and inode when both exist, else the
// canonical directory plus the name), so "./d.csv", "d.csv" and a symlink to it all match.
void refuse_same_file(const std::string& out, const std::string& out_flag, const std::string& in,
                      const std::string& in_flag);
// A new, empty file created exclusively (O_CREAT | O_EXCL, never through a symlink) with a
// unique name "<dir>/<stem>-XXXXXX<suffix>"; returns its path, or "" when it cannot be created.
std::string create_unique_file(const std::string& dir, const std::string& stem,
                               const std::string& suffix);

// ---- data (data.cpp) --------------------------------------------------------------------------

// Where the data comes from and how it is split; saved in the model file ("xgrad.data.*") so that
// `xgrad eval` rebuilds the same split.
struct DataSpec {
  std::string dataset;  // spiral|moons|circles|xor|blobs|triangles, or "" with csv
  std::string csv, target, task = "auto";
  char delimiter = 0;  // 0: detected
  bool header = true;
  std::vector<std::string> categorical, ignore;
  std::string impute = "none";
  std::optional<std::uint64_t> samples, classes;  // unset: the dataset's default
  std::optional<double> noise, factor;
  std::optional<std::uint64_t> seed;  // unset: --seed
  double test_fraction = 0.2, val_fraction = 0;
  bool stratify = true;    // classification only
  std::uint64_t rows = 0;  // eval: the CSV's row count at training (0: not checked)
};

struct DatasetInfo {
  std::string name, description;
  std::size_t samples;      // default n (spiral: points per class)
  double noise;             // default noise
  std::size_t min_samples;  // what the generator needs
};
const std::vector<DatasetInfo>& dataset_table();
// A --dataset name and its generator flags (--samples, --noise, --classes, --factor) checked:
// UsageError naming the flag.
void check_dataset(const DataSpec& spec);

// The rows of a prepared table: the split of `--test-fraction` and `--val-fraction`.
enum class Part { Train, Validation, Test };

// The data after loading, splitting and encoding (statistics of the training rows).
struct Prepared {
  xg::Tensor x_train, y_train, x_val, y_val, x_test, y_test;
  // Regression: the target column's values on each part's rows, as the file holds them (scores
  // are computed against these: y's standardised float32 turned back is 1e-7 relative off).
  std::vector<double> values_train, values_val, values_test;
  xg::data::Preprocessor inputs;
  xg::data::Target target;
  std::size_t features = 0, classes = 0;  // encoded inputs; classes 0: regression
  std::size_t rows = 0;                   // of the whole table
  char delimiter = ',';                   // of the CSV (detected or given)
  std::string description;                // "spiral (900 samples, 2 features, 3 classes)"
};
// Fits the preprocessing and the target on the training rows.
Prepared prepare(const DataSpec& spec);
// Rebuilds the split of `spec` and encodes it with a saved model's preprocessing (eval).
Prepared prepare(const DataSpec& spec, const xg::io::ModelCard& card);

// "xgrad.data.*" keys describing `spec` (resolved: no defaults left implicit).
xg::io::Metadata data_provenance(const DataSpec& spec, const Prepared& p);
// The DataSpec a model file was trained on, validated like the flags; `path` names the file.
DataSpec data_spec_from(const xg::io::Metadata& provenance, const std::string& path);

// ---- model and optimizer (model.cpp) ----------------------------------------------------------

// The network: Linear(in, h1), act, ..., Linear(hk, out); init "auto" resolves by activation.
using ModelSpec = xg::io::MlpSpec;
using Model = xg::nn::Module;
// The init that `spec.init` means for its activation (auto: by activation).
std::string resolved_init(const ModelSpec& spec);
// The nonlinearity (nn::init::calculate_gain's name) whose gain scales the init of a layer
// followed by `activation`, from the activation catalogue.
std::string init_gain(const std::string& activation);
std::shared_ptr<Model> build_model(const ModelSpec& spec, std::uint64_t seed);

struct OptimSpec {
  std::string name = "adam";
  double lr = 1e-2, weight_decay = 0, momentum = 0.9;
};
using Optimizer = xg::optim::Optimizer;
std::shared_ptr<Optimizer> make_optimizer(const OptimSpec& spec, Model& model);
const std::vector<std::pair<std::string, std::string>>& optimizer_table();
// name, one-line description, from the activation registry.
std::vector<std::pair<std::string, std::string>> activation_table();

// Mean loss of a batch: cross-entropy for classification, MSE for regression.
xg::Tensor loss(const xg::Tensor& outputs, const xg::Tensor& targets, bool classification);

// ---- training (train.cpp) ---------------------------------------------------------------------

// The learning-rate schedule, stepped once after every epoch (as PyTorch scripts call
// scheduler.step()): none, step (StepLR), cosine (CosineAnnealingLR over the epochs) or
// warmup-cosine (WarmupCosineLR: linear warm-up from 0.1 x lr, then cosine to 0).
struct ScheduleSpec {
  std::string name = "none";
  std::optional<std::size_t> step;    // step: epochs per decay (default epochs / 3, at least 1)
  std::optional<double> gamma;        // step: the factor of each decay (default 0.1)
  std::optional<std::size_t> warmup;  // warmup-cosine: warm-up epochs (default epochs / 10)
};

struct TrainOptions {
  DataSpec data;
  ModelSpec model;
  OptimSpec optim;
  std::string hidden = "64,64";
  std::vector<std::string> act_params;
  std::size_t epochs = 300;
  std::size_t batch = 0;  // 0 until resolved: the --batch given, else min(128, ceil(train / 4))
  std::size_t log_every = 0;
  std::optional<std::size_t> patience;
  std::optional<double> max_loss;
  std::optional<int> threads;
  std::uint64_t seed = 1;
  ScheduleSpec schedule;
  std::string save;
  std::string checkpoint;            // "{epoch}" in it is replaced by the epoch number
  std::size_t checkpoint_every = 0;  // 0: a checkpoint at the end only
  std::string resume;                // the checkpoint this run continues
  std::set<std::string> given;       // the flags on the command line (--resume checks them)
  bool quiet = false;
};

// Checks the options and resolves their defaults, before any file or data is read: the data
// flags (check_data_options), --patience, the schedule, --hidden, the activation and its
// --act-param values, --init.
void check_run(TrainOptions& o);
// check_run, then loads, splits and encodes the data.
Prepared prepare_run(TrainOptions& o);
// The parts of prepare_run a command without train's network uses (`gradients`): the data flags
// checked against each other (--dataset or --csv, the flags that apply to one of them only, the
// fractions, the dataset's name and generator flags), then the data loaded, split and encoded
// (--data-seed defaults to --seed), --threads applied and the batch size resolved (default 128, at
// most a quarter of the training rows).
void check_data_options(const DataSpec& d);
Prepared load_data(TrainOptions& o);

// Loss and quality of `model` on (x, y), without recording a graph.
struct Evaluation {
  std::size_t rows = 0;
  double loss = 0;
  double accuracy = 0;                  // classification
  double rmse = 0, mae = 0, r2 = 0;     // regression, in the target's units
  std::vector<std::int64_t> predicted;  // classification
};

struct Fit {
  double seconds = 0;
  std::size_t seen = 0;        // examples processed
  std::size_t epochs_run = 0;  // < epochs after an early stop
  std::size_t best_epoch = 0;  // early stopping: the epoch whose weights were restored
  double loss_limit = 0;       // the divergence limit in force
  Evaluation train;            // the final weights on the training rows
};
// o.schedule's scheduler on `opt` (null for none), spanning o.epochs.
std::unique_ptr<xg::optim::LRScheduler> make_schedule(const TrainOptions& o, Optimizer& opt);
// The schedules --lr-schedule takes: name, one-line description.
const std::vector<std::pair<std::string, std::string>>& schedule_table();
// ", cosine lr schedule over 40 epochs" (empty for none): o.schedule in words, resolved.
std::string schedule_text(const TrainOptions& o);
// True for the schedules whose shape depends on the run's length (cosine, warmup-cosine).
bool spans_the_run(const ScheduleSpec& s);

// An epoch as fit reports it to RunState::after_epoch, after its updates and checks.
struct EpochEnd {
  std::size_t epoch = 0;
  double loss = 0;        // the mean batch loss along the epoch
  double quality = 0;     // accuracy, or RMSE in the target's units, of the predictions made along
                          // the epoch
  double seconds = 0;     // the epoch's training time (its batches, schedule step and checks)
  double loss_limit = 0;  // the divergence limit in force
};

// What a run carries besides the model and the optimizer: where it starts, its schedule, and
// what is done after each epoch (checkpoints, `compare`'s records).
struct RunState {
  xg::optim::LRScheduler* schedule = nullptr;  // null: fit makes o.schedule's own
  std::size_t done = 0;                        // epochs already run (a resumed run)
  std::optional<double> loss_limit;            // a resumed run's divergence limit
  std::function<void(const EpochEnd&)> after_epoch;
};

// Stops training, with a message saying where and what to change, as soon as it can no longer
// give a usable model: a non-finite loss or gradient (checked at every step, before the update),
// a non-finite parameter (after every epoch: an overflowing update at the last step included),
// a loss beyond the divergence limit, or a non-finite loss of the final weights. Each throws
// TrainingFailed ending "lower --lr (now X)". fit() checks with it; so does `xgrad gradients`.
class TrainingGuard {
 public:
  // The divergence limit is o.max_loss, else `resumed` (the limit of the run being resumed), else
  // 1000 x max(first loss, 1).
  TrainingGuard(const Model& model, const TrainOptions& o, std::optional<double> resumed = {});
  void loss(double value, std::size_t epoch, std::size_t step);
  void gradients(std::size_t epoch, std::size_t step) const;
  void parameters(std::size_t epoch) const;
  // The loss of the final weights on the training rows: the last update is checked too (finite
  // but huge weights can still give an infinite loss).
  void final_loss(double value) const;
  // The divergence limit in force (set by the first loss at the latest; inf before).
  double limit() const;

 private:
  [[noreturn]] void fail(const std::string& what) const;
  xg::nn::NamedTensors<float> params_;
  const TrainOptions& o_;
  std::optional<double> resumed_, limit_;
};

// Trains epochs run.done + 1 to o.epochs (or until early stopping), printing progress unless
// o.quiet. Throws TrainingFailed when the loss, a gradient or a parameter becomes non-finite (at
// any step; the final weights' loss included), or the loss exceeds the divergence limit.
Fit fit(Model& model, Optimizer& opt, const Prepared& p, const TrainOptions& o,
        const RunState& run = {});
Evaluation evaluate(Model& model, const Prepared& p, Part part);
// "accuracy  97.50%" or "rmse 0.123  mae 0.0987  r2 0.9876".
std::string quality(const Evaluation& e, bool classification);

int train(TrainOptions& o);

// ---- checkpoints and resumed runs (resume.cpp) ------------------------------------------------

// A run ready to train: its data, network, optimizer and schedule, and how far it has come.
struct Session {
  Prepared data;
  std::shared_ptr<Model> model;
  std::shared_ptr<Optimizer> opt;
  std::unique_ptr<xg::optim::LRScheduler> schedule;
  std::size_t done = 0;              // epochs already run
  std::uint64_t steps = 0;           // the resumed optimizer's largest step count
  std::optional<double> loss_limit;  // the divergence limit of the resumed run
  std::string csv_digest;  // of the CSV table, in checkpoints and model files ("" for a dataset)
};

// The run's settings as "xgrad.train.*" keys (optimizer, lr, schedule, epochs, batch, seed):
// what the model file records and a checkpoint needs to continue the run.
xg::io::Metadata run_settings(const TrainOptions& o);
// `pattern` with "{epoch}" replaced by the epoch number.
std::string checkpoint_path(const std::string& pattern, std::size_t epoch);
// FNV-1a (64 bits) of the file's bytes, in hex: a resumed run, and `eval` rebuilding a model's
// split, check that the table is unchanged.
std::string file_digest(const std::string& path);
// The metadata key of the CSV table's file_digest, in checkpoints and model files.
inline constexpr const char* kDigestKey = "xgrad.data.fnv1a64";
// The checkpoint of `epoch` (done epochs) at o.checkpoint, "{epoch}" replaced: the model,
// optimizer, schedule and generators, plus the model card and run settings that --resume reads.
// Returns the path written; OutputError when it cannot be written.
std::string write_checkpoint(const TrainOptions& o, const Session& s, std::size_t epoch,
                             double loss_limit);
// The run of checkpoint o.resume, ready to continue. `o` holds the command line's options; it
// is replaced by the checkpoint's settings plus those a resumed run may change (--epochs when
// the schedule allows it, --save, --checkpoint, --checkpoint-every, --threads, --max-loss,
// --log-every, --quiet). A flag that contradicts the checkpoint is a UsageError naming both
// values; a missing, damaged or foreign file an InputError naming it.
Session resume(TrainOptions& o);

// ---- prediction and evaluation of saved models (predict.cpp) ----------------------------------

struct TableOptions {
  char delimiter = 0;
  bool header = true;
  std::string unknown = "error";  // error | ignore: unseen categories
};
int eval(const std::string& model_path, const std::string& csv, const TableOptions& t);
int predict(const std::string& model_path, const std::string& csv, const std::string& out,
            bool proba, const TableOptions& t);

// ---- commands defined in their own files -------------------------------------------------------

// A subcommand: it registers itself and its options on the app; once the command line has been
// parsed, `check` makes the checks that need no file and no data (CommandLine::check) and `run`
// executes it.
struct Subcommand {
  CLI::App* command;
  std::function<void()> check;
  std::function<int()> run;
};
Subcommand add_compare_command(CLI::App& app);    // compare.cpp
Subcommand add_gradients_command(CLI::App& app);  // gradients.cpp

}  // namespace xgcli
