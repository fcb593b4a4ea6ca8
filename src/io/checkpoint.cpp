// Checkpoints: the model, optimizer, scheduler, epoch and generators in one safetensors file,
// through the public save/load_tensors API. Loading parses and checks every part into local
// values first and only then restores the objects, so a bad file changes nothing.
#include "xgrad/io/checkpoint.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>

#include "io/strict_json.hpp"
#include "io/tensor_file.hpp"
#include "xgrad/core/random.hpp"

namespace xg::io {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kVersion = "1";
// Step counts are F64 tensors (a float model's too: float is exact only up to 2^24), exact up to
// 2^53. A save refuses a larger count; a load refuses 2^53 and more, whose next step could not
// be saved. (Checkpoints written before held a float model's counts as F32, up to 2^24.)
constexpr std::uint64_t kMaxF32Steps = std::uint64_t(1) << 24;
const std::string kModel = "model.", kOptimizerState = "optimizer.state.",
                  kModelGenerator = "generator.model.";
// The first dotted component of every name the checkpoint writes; the caller's metadata keys
// must start with something else.
const char* const kReserved[] = {"checkpoint", "epoch",     "model",
                                 "optimizer",  "scheduler", "generator"};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool reserved(const std::string& key) {
  const std::string first = key.substr(0, key.find('.'));
  for (const char* r : kReserved)
    if (first == r) return true;
  return false;
}

const std::string& required(const Metadata& meta, const std::string& key) {
  const auto it = meta.find(key);
  if (it == meta.end()) throw std::invalid_argument(fmt::format("no '{}' in the metadata", key));
  return it->second;
}

// ---- JSON <-> state ----

// Whole numbers as JSON integers (PyTorch's "step_size": 10); others as the shortest decimal
// that reads back to the same double.
json number_json(double v) {
  if (v == std::floor(v) && std::abs(v) < 0x1p53 && !(v == 0 && std::signbit(v)))
    return json(std::int64_t(v));
  return json(v);
}

json to_json(const optim::OptionValue& v) {
  if (const double* d = std::get_if<double>(&v)) return number_json(*d);
  if (const bool* b = std::get_if<bool>(&v)) return json(*b);
  json a = json::array();
  for (double d : std::get<std::vector<double>>(v)) a.push_back(number_json(d));
  return a;
}

json param_groups_json(const std::vector<optim::ParamGroupState>& groups) {
  json out = json::array();
  for (const auto& g : groups) {
    json j = json::object();
    for (const auto& [key, value] : g.options) j[key] = to_json(value);
    j["params"] = g.params;
    out.push_back(std::move(j));
  }
  return out;
}

json scheduler_json(const optim::SchedulerState& s) {
  json j = json::object();
  j["last_epoch"] = s.last_epoch;
  json lrs = json::array();
  for (double lr : s.base_lrs) lrs.push_back(number_json(lr));
  j["base_lrs"] = std::move(lrs);
  for (const auto& [key, value] : s.settings) j[key] = number_json(value);
  return j;
}

// Parsing throws std::invalid_argument naming the metadata key and what is wrong.
json parse_json(const Metadata& meta, const std::string& key) {
  try {
    return detail::parse_strict_json(required(meta, key));
  } catch (const json::exception& e) {
    throw std::invalid_argument(fmt::format("metadata '{}' is not valid JSON: {}", key, e.what()));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("metadata '{}': {}", key, e.what()));
  }
}

std::size_t json_index(const json& v, const std::string& where) {
  if (!v.is_number_unsigned())
    throw std::invalid_argument(
        fmt::format("{}: expected a parameter index (an integer >= 0), got {}", where, v.dump()));
  return v.get<std::size_t>();
}

optim::OptionValue option_from_json(const json& v, const std::string& where) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>();
  if (v.is_array()) {
    std::vector<double> numbers;
    for (const auto& x : v) {
      if (!x.is_number())
        throw std::invalid_argument(
            fmt::format("{}: {} is not a list of numbers", where, v.dump()));
      numbers.push_back(x.get<double>());
    }
    return numbers;
  }
  throw std::invalid_argument(
      fmt::format("{}: {} is not a number, true/false or a list of numbers", where, v.dump()));
}

std::vector<optim::ParamGroupState> param_groups_from(const json& j) {
  const std::string key = "optimizer.param_groups";
  if (!j.is_array()) throw std::invalid_argument(fmt::format("metadata '{}' is not a list", key));
  std::vector<optim::ParamGroupState> groups;
  for (std::size_t g = 0; g < j.size(); ++g) {
    const std::string where = fmt::format("{}[{}]", key, g);
    if (!j[g].is_object() || !j[g].contains("params") || !j[g]["params"].is_array())
      throw std::invalid_argument(fmt::format("{} is not an object with a \"params\" list", where));
    optim::ParamGroupState group;
    for (const auto& [name, value] : j[g].items()) {
      if (name == "params")
        for (const auto& p : value) group.params.push_back(json_index(p, where + ".params"));
      else
        group.options[name] = option_from_json(value, where + "." + name);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

double json_number(const json& j, const std::string& where) {
  if (!j.is_number())
    throw std::invalid_argument(fmt::format("{} must be a number, got {}", where, j.dump()));
  return j.get<double>();
}

optim::SchedulerState scheduler_from(const json& j) {
  const std::string key = "scheduler.state";
  if (!j.is_object() || !j.contains("last_epoch") || !j.contains("base_lrs") ||
      !j["base_lrs"].is_array())
    throw std::invalid_argument(fmt::format(
        "metadata '{}' is not an object with \"last_epoch\" and a \"base_lrs\" list", key));
  optim::SchedulerState s;
  const json& epoch = j["last_epoch"];
  if (!epoch.is_number_integer() || epoch.get<std::int64_t>() > std::numeric_limits<int>::max() ||
      epoch.get<std::int64_t>() < std::numeric_limits<int>::min())
    throw std::invalid_argument(
        fmt::format("{}.last_epoch must be an integer, got {}", key, epoch.dump()));
  s.last_epoch = epoch.get<int>();
  for (const auto& lr : j["base_lrs"]) s.base_lrs.push_back(json_number(lr, key + ".base_lrs"));
  for (const auto& [name, value] : j.items())
    if (name != "last_epoch" && name != "base_lrs")
      s.settings[name] = json_number(value, key + "." + name);
  return s;
}

int epoch_from(const std::string& text) {
  std::size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (text.empty() || used != text.size() || v < 0 || v > std::numeric_limits<int>::max())
    throw std::invalid_argument(
        fmt::format("metadata 'epoch' must be a whole number >= 0, got '{}'", text));
  return int(v);
}

// A generator state from its text, checked as set_state would check it.
Generator::State generator_from(const Metadata& meta, const std::string& key) {
  const std::string& text = required(meta, key);
  try {
    const Generator::State state = parse_generator_state(text);
    Generator(0).set_state(state);
    return state;
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("metadata '{}': {}", key, e.what()));
  }
}

// "optimizer.state.12.exp_avg" -> {12, "exp_avg"}.
std::pair<std::size_t, std::string> optimizer_entry(const std::string& name) {
  const std::string rest = name.substr(kOptimizerState.size());
  const auto dot = rest.find('.');
  const std::string index = rest.substr(0, dot);
  if (dot == std::string::npos || dot + 1 == rest.size() || index.empty() ||
      index.find_first_not_of("0123456789") != std::string::npos || index.size() > 18)
    throw std::invalid_argument(
        fmt::format("tensor '{}' is not named optimizer.state.<parameter index>.<buffer>", name));
  return {std::stoull(index), rest.substr(dot + 1)};
}

// "optimizer.state.<anything>.step": a step count, F64 (or F32 in older files) whatever T is.
bool is_step(const std::string& name) {
  if (!starts_with(name, kOptimizerState)) return false;
  const auto dot = name.find('.', kOptimizerState.size());
  return dot != std::string::npos && name.compare(dot + 1, std::string::npos, "step") == 0;
}

// A step count tensor as read: its dtype and its value(s), widened to double (exact).
struct StepTensor {
  std::string name, dtype;
  BasicTensor<double> value;
};

BasicTensor<double> widened(const BasicTensor<float>& t) {
  const std::vector<float> v = t.to_vector();
  return BasicTensor<double>::from(std::vector<double>(v.begin(), v.end()), t.shape());
}

// Everything a checkpoint restores, parsed and checked against the objects, none yet changed.
template <class T>
struct Parsed {
  nn::NamedTensors<T> model;
  optim::OptimizerState<T> optimizer;
  std::optional<optim::SchedulerState> scheduler;
  Generator::State default_generator;
  std::vector<std::pair<std::shared_ptr<Generator>, Generator::State>> model_generators;
  CheckpointInfo info;
};

void check_version(const Metadata& meta) {
  const auto version = meta.find("checkpoint.version");
  if (version == meta.end())
    throw std::invalid_argument(
        "not an xgrad checkpoint: no 'checkpoint.version' in the metadata (a model file loads "
        "with io::load)");
  if (version->second != kVersion)
    throw std::invalid_argument(fmt::format(
        "checkpoint format version '{}', this xgrad reads version {}", version->second, kVersion));
}

// The tensors into the model's state_dict and the optimizer's state, by prefix.
template <class T>
void split_tensors(const nn::NamedTensors<T>& tensors, Parsed<T>& p) {
  for (const auto& [name, t] : tensors) {
    if (starts_with(name, kModel)) {
      p.model.emplace_back(name.substr(kModel.size()), t);
    } else if (starts_with(name, kOptimizerState)) {
      const auto [index, buffer] = optimizer_entry(name);
      p.optimizer.state[index][buffer] = t;  // not "step": those are StepTensors
    } else {
      throw std::invalid_argument(fmt::format(
          "unexpected tensor '{}' (a checkpoint holds model.* and optimizer.state.*)", name));
    }
  }
}

// The step counts into the optimizer's state: as a T "step" tensor where T holds the count
// exactly, else in large_steps. Each must be a 0-d whole number >= 0 below 2^53 (an F32 one at
// most 2^24: above, it may be a rounded count).
template <class T>
void split_steps(const std::vector<StepTensor>& steps, Parsed<T>& p) {
  for (const StepTensor& s : steps) {
    const std::size_t index = optimizer_entry(s.name).first;
    if (!s.value.shape().empty())
      throw std::invalid_argument(
          fmt::format("tensor '{}' has shape {}: a step count is 0-dimensional", s.name,
                      shape_str(s.value.shape())));
    const double v = s.value.item();
    if (!(v >= 0) || v != std::floor(v))
      throw std::invalid_argument(
          fmt::format("tensor '{}' holds {}: a step count is a whole number >= 0", s.name, v));
    if (s.dtype == "F32" && v > double(kMaxF32Steps))
      throw std::invalid_argument(fmt::format(
          "tensor '{}' is F32 and holds {}, more than 2^24 = {}: an F32 step count above it may "
          "be rounded (xgrad writes step counts as F64)",
          s.name, v, kMaxF32Steps));
    if (v >= double(kMaxCheckpointSteps))
      throw std::invalid_argument(fmt::format(
          "tensor '{}' holds {} steps: a checkpoint resumes from fewer than 2^53 = {} (its F64 "
          "step counts are exact up to 2^53, so the next step could not be saved)",
          s.name, v, kMaxCheckpointSteps));
    const auto count = std::uint64_t(v);
    p.info.steps = std::max(p.info.steps, count);
    auto& state = p.optimizer.state[index];  // checked with the buffers, large count or not
    if (count <= (std::uint64_t(1) << std::numeric_limits<T>::digits))
      state["step"] = BasicTensor<T>::scalar(T(count));
    else
      p.optimizer.large_steps[index] = count;
  }
}

template <class T>
void parse_optimizer(const Metadata& meta, const optim::OptimizerOf<T>& optimizer,
                     optim::OptimizerState<T>& state) {
  const std::string& kind = required(meta, "optimizer");
  if (kind != optimizer.name())
    throw std::invalid_argument(
        fmt::format("it holds the state of optimizer '{}' but the optimizer given is '{}'", kind,
                    optimizer.name()));
  state.param_groups = param_groups_from(parse_json(meta, "optimizer.param_groups"));
  optimizer.check_state_dict(state);
}

// The scheduler's state, present exactly when a scheduler is given.
std::optional<optim::SchedulerState> parse_scheduler(const Metadata& meta,
                                                     const optim::LRScheduler* scheduler) {
  const auto kind = meta.find("scheduler");
  if (kind != meta.end() && !scheduler)
    throw std::invalid_argument(fmt::format(
        "it holds the state of scheduler '{}' but no scheduler was given", kind->second));
  if (kind == meta.end() && scheduler)
    throw std::invalid_argument(
        fmt::format("it holds no scheduler state but scheduler '{}' was given", scheduler->name()));
  if (!scheduler) return std::nullopt;
  if (kind->second != scheduler->name())
    throw std::invalid_argument(
        fmt::format("it holds the state of scheduler '{}' but the scheduler given is '{}'",
                    kind->second, scheduler->name()));
  optim::SchedulerState state = scheduler_from(parse_json(meta, "scheduler.state"));
  scheduler->check_state_dict(state);
  return state;
}

// The generators' states, then the caller's metadata: every key outside the checkpoint's names.
template <class T>
void parse_generators_and_extra(const Metadata& meta, const nn::BasicModule<T>& model,
                                Parsed<T>& p) {
  p.default_generator = generator_from(meta, "generator.default");
  std::set<std::string> known{"checkpoint.version",     "epoch",     "optimizer",
                              "optimizer.param_groups", "scheduler", "scheduler.state",
                              "generator.default"};
  for (const auto& [name, generator] : model.named_generators()) {
    const std::string key = kModelGenerator + name;
    p.model_generators.emplace_back(generator, generator_from(meta, key));
    known.insert(key);
  }
  for (const auto& [key, value] : meta) {
    if (!reserved(key))
      p.info.metadata[key] = value;
    else if (!known.count(key))
      throw std::invalid_argument(
          starts_with(key, kModelGenerator)
              ? fmt::format("metadata '{}' names a generator the model does not have", key)
              : fmt::format("unexpected metadata '{}'", key));
  }
}

// io::load keeps a diverged model loadable for inspection, but resuming from NaN or inf weights
// would only fail later as a diverged loss, blamed on the learning rate.
template <class T>
void check_finite(const nn::NamedTensors<T>& model) {
  for (const auto& [name, t] : model) {
    const T* v = t.data().data();
    for (std::size_t i = 0; i < t.data().size(); ++i)
      if (!std::isfinite(v[i]))
        throw std::invalid_argument(fmt::format(
            "tensor '{}{}' holds {} (element {}): not a finite number", kModel, name, v[i], i));
  }
}

template <class T>
Parsed<T> parse_checkpoint(const nn::NamedTensors<T>& tensors, const std::vector<StepTensor>& steps,
                           const Metadata& meta, const nn::BasicModule<T>& model,
                           const optim::OptimizerOf<T>& optimizer,
                           const optim::LRScheduler* scheduler) {
  Parsed<T> p;
  check_version(meta);
  p.info.epoch = epoch_from(required(meta, "epoch"));
  split_tensors(tensors, p);
  split_steps(steps, p);
  try {
    model.check_state_dict(p.model);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("model: {}", e.what()));
  }
  check_finite(p.model);
  parse_optimizer(meta, optimizer, p.optimizer);
  p.scheduler = parse_scheduler(meta, scheduler);
  parse_generators_and_extra(meta, model, p);
  return p;
}

}  // namespace

template <class T>
void save_checkpoint(const std::string& path, const nn::BasicModule<T>& model,
                     const optim::OptimizerOf<T>& optimizer, const optim::LRScheduler* scheduler,
                     int epoch, const Metadata& extra) {
  if (epoch < 0)
    throw std::invalid_argument(fmt::format("save_checkpoint: epoch must be >= 0, got {}", epoch));
  Metadata meta;
  for (const auto& [key, value] : extra) {
    if (reserved(key))
      throw std::invalid_argument(fmt::format(
          "save_checkpoint: metadata key '{}' starts with a name the checkpoint uses (checkpoint, "
          "epoch, model, optimizer, scheduler, generator)",
          key));
    meta[key] = value;
  }
  meta["checkpoint.version"] = kVersion;
  meta["epoch"] = std::to_string(epoch);

  // The model's tensors, then each parameter's optimizer state in name order, its step count
  // (F64) among its buffers (T).
  const nn::NamedTensors<T> weights = model.state_dict();
  const optim::OptimizerState<T> state = optimizer.state_dict();
  std::vector<detail::OutTensor> tensors;
  for (const auto& [name, t] : weights) tensors.push_back(detail::out_tensor(kModel + name, t));
  std::deque<double> counts;  // the step counts' data, at stable addresses
  for (const auto& [index, buffers] : state.state) {
    std::map<std::string, detail::OutTensor> entries;
    const std::string prefix = fmt::format("{}{}.", kOptimizerState, index);
    std::optional<std::uint64_t> count;
    if (const auto large = state.large_steps.find(index); large != state.large_steps.end())
      count = large->second;
    for (const auto& [name, t] : buffers) {
      if (name == "step")
        count = std::uint64_t(t.item());  // state_dict() wrote it exactly
      else
        entries.emplace(name, detail::out_tensor(prefix + name, t));
    }
    if (count) {
      if (*count > kMaxCheckpointSteps)
        throw std::overflow_error(fmt::format(
            "save_checkpoint: '{}': parameter {} has taken {} steps, more than 2^53 = {}, the "
            "most a checkpoint holds exactly (its step counts are F64); nothing was written",
            path, index, *count, kMaxCheckpointSteps));
      counts.push_back(double(*count));
      entries.emplace("step", detail::OutTensor{prefix + "step", true, {}, &counts.back(), 1});
    }
    for (auto& [name, entry] : entries) tensors.push_back(std::move(entry));
  }
  meta["optimizer"] = optimizer.name();
  meta["optimizer.param_groups"] = param_groups_json(state.param_groups).dump();

  if (scheduler) {
    meta["scheduler"] = scheduler->name();
    meta["scheduler.state"] = scheduler_json(scheduler->state_dict()).dump();
  }
  meta["generator.default"] = to_string(default_generator().get_state());
  for (const auto& [name, generator] : model.named_generators())
    meta[kModelGenerator + name] = to_string(generator->get_state());
  detail::write_tensors(tensors, path, meta);
}

template <class T>
CheckpointInfo load_checkpoint(const std::string& path, nn::BasicModule<T>& model,
                               optim::OptimizerOf<T>& optimizer, optim::LRScheduler* scheduler) {
  Metadata meta;
  // Every tensor T's, but the step counts F64 (F32 in older float checkpoints). The reader's
  // errors name the file themselves.
  MixedTensors all = detail::read_tensors(path, &meta, [](const TensorInfo& t) {
    return is_step(t.name) ? std::string() : detail::dtype_refusal<T>(t);
  });
  nn::NamedTensors<T> tensors;
  std::vector<StepTensor> steps;
  for (auto& [name, t] : all.f32) {
    if (is_step(name))
      steps.push_back({name, "F32", widened(t)});
    else if constexpr (std::is_same_v<T, float>)
      tensors.emplace_back(name, t);
  }
  for (auto& [name, t] : all.f64) {
    if (is_step(name))
      steps.push_back({name, "F64", t});
    else if constexpr (std::is_same_v<T, double>)
      tensors.emplace_back(name, t);
  }
  Parsed<T> p;
  try {
    p = parse_checkpoint(tensors, steps, meta, model, optimizer, scheduler);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("checkpoint '{}': {}", path, e.what()));
  }
  // Everything is checked: nothing below can fail.
  model.load_state_dict(p.model);
  optimizer.load_state_dict(p.optimizer);
  if (scheduler) scheduler->load_state_dict(*p.scheduler);
  default_generator().set_state(p.default_generator);
  for (auto& [generator, state] : p.model_generators) generator->set_state(state);
  return p.info;
}

#define XG_INSTANTIATE_CHECKPOINT(T)                                                          \
  template void save_checkpoint(const std::string&, const nn::BasicModule<T>&,                \
                                const optim::OptimizerOf<T>&, const optim::LRScheduler*, int, \
                                const Metadata&);                                             \
  template CheckpointInfo load_checkpoint(const std::string&, nn::BasicModule<T>&,            \
                                          optim::OptimizerOf<T>&, optim::LRScheduler*);
XG_INSTANTIATE_CHECKPOINT(float)
XG_INSTANTIATE_CHECKPOINT(double)
#undef XG_INSTANTIATE_CHECKPOINT

}  // namespace xg::io
