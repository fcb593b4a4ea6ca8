// The machinery every optimizer shares (internal): option errors, the per-parameter state, and
// BasicOptimizer's members, which each optimizer's .cpp instantiates for its Options.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "xgrad/detail/tensor_impl.hpp"
#include "xgrad/optim/optimizer.hpp"

// On x86-64, a function marked with this is compiled twice, for AVX2 + FMA and for the build's
// baseline, and the first call picks the copy the CPU runs (GCC's target_clones): the update
// loops then use 8-wide vectors in a portable build too.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define XG_UPDATE_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define XG_UPDATE_CLONES
#endif

namespace xg::optim::detail {

[[noreturn]] inline void unknown_option(const char* optimizer, const std::string& key,
                                        const char* known) {
  throw std::invalid_argument(
      fmt::format("{}: unknown option '{}' (options: {})", optimizer, key, known));
}

// One option of an Options struct: its key and its member, a number or a flag (set from v != 0).
template <class O>
struct OptionField {
  const char* key;
  double O::*number;
  bool O::*flag;
};
template <class O>
OptionField<O> number(const char* key, double O::*member) {
  return {key, member, nullptr};
}
template <class O>
OptionField<O> flag(const char* key, bool O::*member) {
  return {key, nullptr, member};
}

// Every option is a finite number: an infinite one passes `>= 0` but poisons every update.
inline void require(bool ok, const char* optimizer, const char* option, const char* range,
                    double v) {
  if (!ok || !std::isfinite(v))
    throw std::invalid_argument(fmt::format("{}: {} must be {}{}, got {}", optimizer, option,
                                            std::isfinite(v) ? "" : "finite and ", range, v));
}

// The parameters of a group that have a gradient, with their state; fn(p, g, n, state).
template <class T, class Group, class Fn>
void for_each_with_grad(Group& group, std::size_t buffers, double initial, Fn&& fn) {
  const std::uint64_t stamp = xg::detail::advance_in_place_clock();  // one atomic op per group
  for (std::size_t i = 0; i < group.params.size(); ++i) {
    BasicTensor<T>& p = group.params[i];
    const BasicTensor<T> g = p.grad();
    if (!g.defined()) continue;
    auto& state = group.state[i];
    if (state.buffers.size() != buffers) {  // first step: allocate this parameter's state
      state.buffers.assign(buffers, Array<T>());
      for (auto& b : state.buffers) b = Array<T>(p.shape(), T(initial));
    }
    ++state.steps;
    fn(p.data().data(), g.data().data(), p.numel(), state);
    xg::detail::mark_modified(xg::detail::TensorAccess::impl(p), stamp);
  }
}

// PyTorch adds weight_decay * p to the gradient only when weight_decay != 0, so without decay an
// update must not read p for it (0 * inf is NaN). fn(std::bool_constant<decay>): the choice is
// made once per tensor, and the update loop is compiled without a test in it.
template <class Fn>
void with_decay(double weight_decay, Fn&& fn) {
  if (weight_decay != 0)
    fn(std::true_type{});
  else
    fn(std::false_type{});
}

template <class T>
std::vector<ParamGroupSpec<T>> single_group(std::vector<BasicTensor<T>> params) {
  return {ParamGroupSpec<T>{std::move(params), {}}};
}

}  // namespace xg::optim::detail

namespace xg::optim {

template <class T, class Options>
BasicOptimizer<T, Options>::BasicOptimizer(const char* name, std::vector<ParamGroupSpec<T>> groups,
                                           Options defaults)
    : name_(name), defaults_(defaults) {
  defaults_.validate(name_);
  for (auto& g : groups) add_param_group(std::move(g.params), g.options);
}

template <class T, class Options>
void BasicOptimizer<T, Options>::add_param_group(std::vector<BasicTensor<T>> params,
                                                 const std::map<std::string, double>& overrides) {
  Options o = defaults_;
  for (const auto& [key, value] : overrides) Options::set(o, key, value);
  o.validate(name_);
  for (const auto& p : params)
    if (!p.defined() || !p.requires_grad())
      throw std::invalid_argument(
          fmt::format("{}: every parameter must be a defined tensor that requires grad", name_));
  const std::size_t n = params.size();
  groups_.push_back(Group{std::move(params), o, std::vector<State>(n)});
}

template <class T, class Options>
auto BasicOptimizer<T, Options>::group_at(std::size_t group) const -> const Group& {
  if (group >= groups_.size())
    throw std::out_of_range(fmt::format("{}: parameter group {} does not exist (there are {})",
                                        name_, group, groups_.size()));
  return groups_[group];
}

template <class T, class Options>
void BasicOptimizer<T, Options>::set_lr(std::size_t group, double lr) {
  detail::require(lr >= 0, name_, "lr", ">= 0", lr);
  group_at(group);
  groups_[group].options.lr = lr;
}

template <class T, class Options>
void BasicOptimizer<T, Options>::zero_grad(bool set_to_none) {
  for (auto& g : groups_)
    for (auto& p : g.params) p.zero_grad(set_to_none);
}

}  // namespace xg::optim
