// Everything a checkpoint load may change, to compare before and after a refused load: the
// model's state_dict, the optimizer's state and param groups, the scheduler's state, the default
// generator and the model's generators. Tensors are kept as bytes, so that a NaN a file put there
// compares equal to itself. Shared by tests/test_checkpoint.cpp and tests/fuzz/fuzz_checkpoint.cpp.
#pragma once

#include <xgrad/xgrad.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace xgtest {

template <class T>
std::string tensor_bytes(const xg::BasicTensor<T>& t) {
  const std::vector<T> values = t.to_vector();
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <class T>
struct CheckpointSnapshot {
  std::map<std::string, std::string> model, optimizer;
  std::vector<std::pair<xg::optim::OptionMap, std::vector<std::size_t>>> groups;
  int last_epoch = 0;
  std::vector<double> base_lrs;
  std::map<std::string, double> schedule;
  std::vector<xg::Generator::State> generators;  // the default one, then the model's

  CheckpointSnapshot(const xg::nn::BasicModule<T>& model_, const xg::optim::OptimizerOf<T>& opt,
                     const xg::optim::LRScheduler* sched) {
    for (const auto& [name, t] : model_.state_dict()) model[name] = tensor_bytes(t);
    const auto state = opt.state_dict();
    for (const auto& [index, buffers] : state.state)
      for (const auto& [name, t] : buffers)
        optimizer[std::to_string(index) + "." + name] = tensor_bytes(t);
    for (const auto& [index, count] : state.large_steps)
      optimizer[std::to_string(index) + ".step"] = std::to_string(count);
    for (const auto& g : state.param_groups) groups.emplace_back(g.options, g.params);
    if (sched) {
      const auto s = sched->state_dict();
      last_epoch = s.last_epoch;
      base_lrs = s.base_lrs;
      schedule = s.settings;
    }
    generators.push_back(xg::default_generator().get_state());
    for (const auto& named : model_.named_generators())
      generators.push_back(named.second->get_state());
  }
  bool operator==(const CheckpointSnapshot& o) const {
    return model == o.model && optimizer == o.optimizer && groups == o.groups &&
           last_epoch == o.last_epoch && base_lrs == o.base_lrs && schedule == o.schedule &&
           generators == o.generators;
  }
};

}  // namespace xgtest
