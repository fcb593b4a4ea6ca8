// Optimizers: the shared machinery. Parameters live in groups, each with its own options
// (PyTorch's param_groups): e.g. PReLU's alphas without weight decay.
//
//   optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   optim::AdamW opt({{weights}, {alphas, {{"weight_decay", 0.0}}}}, {.lr = 1e-3});
//   opt.zero_grad(); loss.backward(); opt.step();
//
// State (momentum buffers, moment estimates) is created at a parameter's first step, and each
// step updates a parameter in one fused pass over its buffer, allocating nothing.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/core/tensor.hpp"
#include "xgrad/optim/state_dict.hpp"

namespace xg::optim {

// What schedulers and training loops need, for any optimizer.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Drops every gradient (set_to_none, the default) or fills it with zeros.
  virtual void zero_grad(bool set_to_none = true) = 0;
  virtual void step() = 0;
  virtual std::size_t num_param_groups() const = 0;
  virtual double lr(std::size_t group) const = 0;
  virtual void set_lr(std::size_t group, double lr) = 0;
  // The class name as PyTorch spells it ("Adam", "SGD"): messages and checkpoints use it.
  virtual const char* name() const = 0;
};

// An optimizer of T parameters: Optimizer plus its state in PyTorch's layout (state_dict.hpp),
// which is what a checkpoint saves. Hold an optimizer chosen at run time by this type.
template <class T>
class OptimizerOf : public Optimizer {
 public:
  // A copy of every group's options and every stepped parameter's buffers and step count.
  virtual OptimizerState<T> state_dict() const = 0;
  // Throws std::invalid_argument saying what does not fit (the number of groups or of a group's
  // parameters, a missing, unknown or invalid option, a missing or unexpected buffer, a shape),
  // and changes nothing.
  virtual void check_state_dict(const OptimizerState<T>& state) const = 0;
  // check_state_dict, then replaces every group's options and every parameter's state.
  virtual void load_state_dict(const OptimizerState<T>& state) = 0;
};

// A group as the user writes it: parameters and the options that differ from the defaults.
template <class T>
struct ParamGroupSpec {
  ParamGroupSpec(std::vector<BasicTensor<T>> p, std::map<std::string, double> o = {})
      : params(std::move(p)), options(std::move(o)) {}
  std::vector<BasicTensor<T>> params;
  std::map<std::string, double> options;
};

// Options: an aggregate with `lr` plus `static void set(Options&, const std::string&, double)`
// (throws for an unknown key) and `void validate(const char* optimizer) const`.
template <class T, class Options>
class BasicOptimizer : public OptimizerOf<T> {
 public:
  struct State {
    std::vector<Array<T>> buffers;  // the optimizer's per-parameter arrays, shaped like it
    std::size_t steps = 0;
  };
  struct Group {
    std::vector<BasicTensor<T>> params;
    Options options;
    std::vector<State> state;  // parallel to params
  };

  void zero_grad(bool set_to_none = true) override;
  std::size_t num_param_groups() const override { return groups_.size(); }
  // A group index out of range throws std::out_of_range; set_lr also checks lr (finite, >= 0).
  double lr(std::size_t group) const override { return group_at(group).options.lr; }
  void set_lr(std::size_t group, double lr) override;
  const char* name() const override { return name_; }
  // Defined with the name tables of every optimizer in src/optim/state_dict.cpp.
  OptimizerState<T> state_dict() const override;
  void check_state_dict(const OptimizerState<T>& state) const override;
  void load_state_dict(const OptimizerState<T>& state) override;

  void add_param_group(std::vector<BasicTensor<T>> params,
                       const std::map<std::string, double>& options = {});
  std::vector<Group>& param_groups() { return groups_; }
  const Options& defaults() const { return defaults_; }

 protected:
  BasicOptimizer(const char* name, std::vector<ParamGroupSpec<T>> groups, Options defaults);
  const Group& group_at(std::size_t group) const;
  const char* name_;
  Options defaults_;
  std::vector<Group> groups_;
};

}  // namespace xg::optim
