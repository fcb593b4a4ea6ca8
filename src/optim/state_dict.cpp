// Optimizers' state_dict in PyTorch's layout: the name tables of every optimizer (its options
// under PyTorch's keys, the buffers its step() allocates with PyTorch's names) and the
// BasicOptimizer members that save, check and load a state with them. The members are
// explicitly instantiated here for every optimizer; the rest of BasicOptimizer is instantiated
// in each optimizer's own .cpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>
#include <type_traits>

#include "option_fields.hpp"

namespace xg::optim {
namespace {

// A slot of State::buffers and PyTorch's name for it. `saved` is false for a slot PyTorch keeps
// only when it is used (RMSprop's momentum_buffer without momentum, grad_avg when not
// centered): xgrad allocates it anyway and it stays zero, so it is left out and reloads as zero.
struct BufferSlot {
  const char* name;
  bool saved;
};

// ---- reading one option of a loaded param group, with an error naming it ----

double number(const OptionMap& m, const char* key) {
  const double* v = std::get_if<double>(&m.at(key));
  if (!v) throw std::invalid_argument(fmt::format("option '{}' must be a number", key));
  return *v;
}
bool flag(const OptionMap& m, const char* key) {
  const bool* v = std::get_if<bool>(&m.at(key));
  if (!v) throw std::invalid_argument(fmt::format("option '{}' must be true or false", key));
  return *v;
}
std::pair<double, double> number_pair(const OptionMap& m, const char* key) {
  const auto* v = std::get_if<std::vector<double>>(&m.at(key));
  if (!v || v->size() != 2)
    throw std::invalid_argument(fmt::format("option '{}' must be a pair of numbers", key));
  return {(*v)[0], (*v)[1]};
}

// ---- the name tables, one block per optimizer (PyTorch 2's names) ----

// A param group's options under their keys (option_fields.hpp), numbers and flags as such.
template <class O>
OptionMap options_of(const O& o) {
  OptionMap m;
  for (const auto& f : detail::option_fields<O>()) {
    if (f.number)
      m[f.key] = o.*f.number;
    else
      m[f.key] = o.*f.flag;
  }
  return m;
}
template <class O>
void read_options(const OptionMap& m, O& o) {
  for (const auto& f : detail::option_fields<O>()) {
    if (f.number)
      o.*f.number = number(m, f.key);
    else
      o.*f.flag = flag(m, f.key);
  }
}
// Adam's two betas are one entry in PyTorch's layout: "betas": [beta1, beta2].
OptionMap options_of(const AdamOptions& o) {
  OptionMap m = options_of<AdamOptions>(o);
  m.erase("beta1");
  m.erase("beta2");
  m["betas"] = std::vector<double>{o.beta1, o.beta2};
  return m;
}
void read_options(const OptionMap& m, AdamOptions& o) {
  OptionMap split = m;
  const auto [beta1, beta2] = number_pair(m, "betas");
  split.erase("betas");
  split["beta1"] = beta1;
  split["beta2"] = beta2;
  read_options<AdamOptions>(split, o);
}

std::vector<BufferSlot> buffer_slots(const SGDOptions& o) {
  if (o.momentum == 0) return {};
  return {{"momentum_buffer", true}};
}
// PyTorch's SGD keeps no step count: the momentum buffer's existence says the first step is done.
bool keeps_step(const SGDOptions&) { return false; }

std::vector<BufferSlot> buffer_slots(const AdamOptions& o) {
  std::vector<BufferSlot> slots{{"exp_avg", true}, {"exp_avg_sq", true}};
  if (o.amsgrad) slots.push_back({"max_exp_avg_sq", true});
  return slots;
}
bool keeps_step(const AdamOptions&) { return true; }

std::vector<BufferSlot> buffer_slots(const RMSpropOptions& o) {
  return {{"square_avg", true}, {"momentum_buffer", o.momentum > 0}, {"grad_avg", o.centered}};
}
bool keeps_step(const RMSpropOptions&) { return true; }

std::vector<BufferSlot> buffer_slots(const AdagradOptions&) { return {{"sum", true}}; }
bool keeps_step(const AdagradOptions&) { return true; }

// ---- shared by every optimizer ----

// The names a parameter's state must hold under these options: the saved slots, then "step".
template <class Options>
std::vector<std::string> state_names(const Options& o) {
  std::vector<std::string> names;
  for (const BufferSlot& slot : buffer_slots(o))
    if (slot.saved) names.emplace_back(slot.name);
  if (keeps_step(o)) names.emplace_back("step");
  return names;
}

std::string key_list(const OptionMap& m) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : m) keys.push_back(key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

// A loaded group's options: exactly the keys `current` has (the optimizer's own), each of the
// right kind, then the optimizer's range checks. Throws naming the key.
template <class Options>
Options options_from(const OptionMap& given, const Options& current, const char* optimizer) {
  const OptionMap expected = options_of(current);
  for (const auto& [key, value] : expected)
    if (!given.count(key)) throw std::invalid_argument(fmt::format("missing option '{}'", key));
  for (const auto& [key, value] : given)
    if (!expected.count(key))
      throw std::invalid_argument(
          fmt::format("unknown option '{}' ({} has: {})", key, optimizer, key_list(expected)));
  Options o = current;
  read_options(given, o);
  o.validate(optimizer);
  return o;
}

// Where each saved parameter index sits in the optimizer: {group, position in the group}. Like
// PyTorch, indices are matched by position, group by group.
std::map<std::size_t, std::pair<std::size_t, std::size_t>> positions(
    const std::vector<ParamGroupState>& groups) {
  std::map<std::size_t, std::pair<std::size_t, std::size_t>> where;
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::size_t i = 0; i < groups[g].params.size(); ++i)
      if (!where.emplace(groups[g].params[i], std::make_pair(g, i)).second)
        throw std::invalid_argument(
            fmt::format("parameter index {} appears twice in param_groups", groups[g].params[i]));
  return where;
}

// The largest step count a T "step" tensor holds exactly, with every count below it: 2^24 for
// float, 2^53 for double. state_dict() puts a larger count in large_steps.
template <class T>
constexpr std::uint64_t kExactSteps = std::uint64_t(1) << std::numeric_limits<T>::digits;

// A step count stored as a T tensor: a whole number >= 0, at most kExactSteps<T>. A float count
// above 2^24 may be a rounded one (PyTorch's float32 step would round it): refused, as
// state_dict() never writes one (such counts go in large_steps).
template <class T>
std::uint64_t step_count(const BasicTensor<T>& step) {
  const double v = double(step.item());
  if (!(v >= 0) || v != std::floor(v))
    throw std::invalid_argument(fmt::format("'step' must be a whole number >= 0, got {}", v));
  if (v > double(kExactSteps<T>))
    throw std::invalid_argument(fmt::format(
        "'step' is {}, more than 2^{} = {}, the most steps a {} step tensor holds exactly (a "
        "larger count goes in large_steps)",
        v, std::numeric_limits<T>::digits, kExactSteps<T>,
        std::is_same_v<T, float> ? "float" : "double"));
  return std::uint64_t(v);
}

// Buffers that are averages or sums of squared gradients: never negative.
bool squares(const std::string& name) {
  return name == "exp_avg_sq" || name == "max_exp_avg_sq" || name == "square_avg" || name == "sum";
}

// A loaded buffer must be one a step could have produced: NaN, inf or a negative square would
// only surface later as a diverged loss, blamed on the learning rate.
template <class T>
void check_buffer(const std::string& name, const BasicTensor<T>& t) {
  const T* v = t.data().data();
  for (std::size_t i = 0; i < t.data().size(); ++i)
    if (!std::isfinite(v[i]) || (squares(name) && v[i] < 0))
      throw std::invalid_argument(
          fmt::format("'{}' holds {} (element {}), {}", name, v[i], i,
                      std::isfinite(v[i]) ? "a negative sum of squares" : "not a finite number"));
}

}  // namespace

template <class T, class Options>
OptimizerState<T> BasicOptimizer<T, Options>::state_dict() const {
  OptimizerState<T> out;
  std::size_t index = 0;
  for (const Group& group : groups_) {
    ParamGroupState saved{options_of(group.options), {}};
    const std::vector<BufferSlot> slots = buffer_slots(group.options);
    for (std::size_t i = 0; i < group.params.size(); ++i, ++index) {
      saved.params.push_back(index);
      const State& st = group.state[i];
      if (st.steps == 0 && st.buffers.empty()) continue;  // never stepped: no state (PyTorch)
      if (st.buffers.size() != slots.size())
        throw std::logic_error(fmt::format(
            "{}: state_dict: parameter {} holds {} buffers but its group's options call for {} "
            "(an option was changed after the parameter's first step)",
            name_, index, st.buffers.size(), slots.size()));
      std::map<std::string, BasicTensor<T>> buffers;
      for (std::size_t k = 0; k < slots.size(); ++k)
        if (slots[k].saved) buffers.emplace(slots[k].name, BasicTensor<T>(Array<T>(st.buffers[k])));
      if (keeps_step(group.options)) {
        if (st.steps <= kExactSteps<T>)
          buffers.emplace("step", BasicTensor<T>::scalar(T(st.steps)));
        else
          out.large_steps.emplace(index, st.steps);
      }
      if (!buffers.empty()) out.state.emplace(index, std::move(buffers));
    }
    out.param_groups.push_back(std::move(saved));
  }
  return out;
}

template <class T, class Options>
void BasicOptimizer<T, Options>::check_state_dict(const OptimizerState<T>& s) const {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("{}: load_state_dict: {}", name_, what));
  };
  if (s.param_groups.size() != groups_.size())
    fail(fmt::format("the state has {} param groups but the optimizer has {}",
                     s.param_groups.size(), groups_.size()));
  std::vector<Options> options;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroupState& given = s.param_groups[g];
    if (given.params.size() != groups_[g].params.size())
      fail(fmt::format("param group {} has {} parameters in the state but {} in the optimizer", g,
                       given.params.size(), groups_[g].params.size()));
    try {
      options.push_back(options_from(given.options, groups_[g].options, name_));
    } catch (const std::invalid_argument& e) {
      fail(fmt::format("param group {}: {}", g, e.what()));
    }
  }
  std::map<std::size_t, std::pair<std::size_t, std::size_t>> where;
  try {
    where = positions(s.param_groups);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  for (const auto& [index, count] : s.large_steps) {
    const auto state = s.state.find(index);
    const auto it = where.find(index);
    if (it == where.end())
      fail(
          fmt::format("large_steps holds a step count for parameter {}, which no param group "
                      "lists",
                      index));
    if (state == s.state.end())
      fail(fmt::format("large_steps holds a step count for parameter {}, which has no state",
                       index));
    if (!keeps_step(options[it->second.first]))
      fail(fmt::format("large_steps holds a step count for parameter {}, but {} keeps none", index,
                       name_));
    if (state->second.count("step"))
      fail(fmt::format(
          "the state of parameter {} has a 'step' tensor and a step count in large_steps", index));
  }
  for (const auto& [index, buffers] : s.state) {
    const auto it = where.find(index);
    if (it == where.end())
      fail(fmt::format("state for parameter {}, which no param group lists", index));
    const auto [g, i] = it->second;
    const BasicTensor<T>& param = groups_[g].params[i];
    const std::vector<std::string> names = state_names(options[g]);
    for (const std::string& name : names)
      if (!buffers.count(name) && !(name == "step" && s.large_steps.count(index)))
        fail(fmt::format("the state of parameter {} has no '{}' (its group's options call for: {})",
                         index, name, fmt::join(names, ", ")));
    for (const auto& [name, t] : buffers) {
      if (std::find(names.begin(), names.end(), name) == names.end())
        fail(
            fmt::format("the state of parameter {} has an unexpected '{}' (its group's options "
                        "call for: {})",
                        index, name, fmt::join(names, ", ")));
      const Shape expected = name == "step" ? Shape{} : param.shape();
      if (!t.defined() || t.shape() != expected)
        fail(fmt::format("the state of parameter {}: '{}' has shape {} but {} is needed", index,
                         name, t.defined() ? shape_str(t.shape()) : "none", shape_str(expected)));
      try {
        if (name == "step")
          step_count(t);
        else
          check_buffer(name, t);
      } catch (const std::invalid_argument& e) {
        fail(fmt::format("the state of parameter {}: {}", index, e.what()));
      }
    }
  }
}

template <class T, class Options>
void BasicOptimizer<T, Options>::load_state_dict(const OptimizerState<T>& s) {
  check_state_dict(s);  // everything first: all or nothing
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].options = options_from(s.param_groups[g].options, groups_[g].options, name_);
    for (State& st : groups_[g].state) st = State{};
  }
  const auto where = positions(s.param_groups);
  for (const auto& [index, saved] : s.state) {
    const auto [g, i] = where.at(index);
    const Options& o = groups_[g].options;
    const std::vector<BufferSlot> slots = buffer_slots(o);
    State& st = groups_[g].state[i];
    for (const BufferSlot& slot : slots)
      st.buffers.push_back(slot.saved ? Array<T>(saved.at(slot.name).data())
                                      : Array<T>(groups_[g].params[i].shape(), T(0)));
    // Without a step count (SGD), a saved state means the first step is behind.
    st.steps = !keeps_step(o)        ? 1
               : saved.count("step") ? step_count(saved.at("step"))
                                     : s.large_steps.at(index);
  }
}

#define XG_INSTANTIATE_STATE_DICT(T, Options)                                                 \
  template OptimizerState<T> BasicOptimizer<T, Options>::state_dict() const;                  \
  template void BasicOptimizer<T, Options>::check_state_dict(const OptimizerState<T>&) const; \
  template void BasicOptimizer<T, Options>::load_state_dict(const OptimizerState<T>&);
XG_INSTANTIATE_STATE_DICT(float, SGDOptions)
XG_INSTANTIATE_STATE_DICT(double, SGDOptions)
XG_INSTANTIATE_STATE_DICT(float, AdamOptions)
XG_INSTANTIATE_STATE_DICT(double, AdamOptions)
XG_INSTANTIATE_STATE_DICT(float, RMSpropOptions)
XG_INSTANTIATE_STATE_DICT(double, RMSpropOptions)
XG_INSTANTIATE_STATE_DICT(float, AdagradOptions)
XG_INSTANTIATE_STATE_DICT(double, AdagradOptions)
#undef XG_INSTANTIATE_STATE_DICT

}  // namespace xg::optim
