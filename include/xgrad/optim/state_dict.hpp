// The state of an optimizer and of a learning-rate scheduler, in PyTorch's layout, so training
// can stop and resume exactly (checkpoints: xgrad/io/checkpoint.hpp).
//
// An optimizer's state_dict() mirrors torch.optim.Optimizer.state_dict():
//   state         {parameter index: {"exp_avg": tensor, "exp_avg_sq": tensor, "step": tensor}}
//   param_groups  [{"lr": 0.001, "betas": [0.9, 0.999], ..., "params": [0, 1, 2, 3]}]
// Parameters are numbered across the groups in order (group 0's first parameter is 0). A
// parameter that has not been stepped yet has no entry. Buffer and option names are PyTorch's:
//
//   optimizer   state buffers                                           options
//   SGD         momentum_buffer (when momentum != 0)                    lr momentum dampening
//                                                                       weight_decay nesterov
//   Adam/AdamW  step exp_avg exp_avg_sq, max_exp_avg_sq (amsgrad)       lr betas eps weight_decay
//                                                                       amsgrad
//   RMSprop     step square_avg, momentum_buffer (momentum > 0),        lr alpha eps weight_decay
//               grad_avg (centered)                                     momentum centered
//   Adagrad     step sum                                                lr lr_decay weight_decay
//                                                                       initial_accumulator_value
//                                                                       eps
// `step` is a 0-dimensional tensor holding the parameter's step count, as in PyTorch, when T
// holds it exactly (float: up to 2^24 = 16777216); a larger count is in `large_steps` instead.
//
// A scheduler's state_dict() holds last_epoch, base_lrs and its own settings under PyTorch's
// names (StepLR: step_size, gamma; CosineAnnealingLR: T_max, eta_min; ...).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg::optim {

// One option of a param group as PyTorch holds it: a number (lr), a flag (amsgrad) or a tuple of
// numbers (Adam's betas).
using OptionValue = std::variant<double, bool, std::vector<double>>;
using OptionMap = std::map<std::string, OptionValue>;

struct ParamGroupState {
  OptionMap options;                // PyTorch's keys: "lr", "betas", "momentum", ...
  std::vector<std::size_t> params;  // the indices of this group's parameters
};

template <class T>
struct OptimizerState {
  // Per parameter index: its buffers by name. Copies: later steps do not change them.
  std::map<std::size_t, std::map<std::string, BasicTensor<T>>> state;
  std::vector<ParamGroupState> param_groups;
  // Per parameter index: a step count that a T "step" tensor cannot hold exactly (float: above
  // 2^24; double: above 2^53), which state_dict() puts here instead of in state[index]["step"]
  // (PyTorch's float32 step would round it). load_state_dict() takes each count from one place
  // or the other, not both. Checkpoints store every count exactly, as F64 (up to 2^53).
  std::map<std::size_t, std::uint64_t> large_steps;
};

struct SchedulerState {
  int last_epoch = 0;
  std::vector<double> base_lrs;            // one per param group
  std::map<std::string, double> settings;  // PyTorch's names: "step_size", "gamma", "T_max", ...
};

}  // namespace xg::optim
