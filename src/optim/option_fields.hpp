// Each optimizer's options under their keys (internal): one table per Options struct, read by
// Options::set (a {"key", value} map from the user) and by state_dict (saving and loading a
// param group's options).
#pragma once

#include <vector>

#include "optimizer_impl.hpp"
#include "xgrad/optim/adagrad.hpp"
#include "xgrad/optim/adam.hpp"
#include "xgrad/optim/rmsprop.hpp"
#include "xgrad/optim/sgd.hpp"

namespace xg::optim::detail {

template <class O>
const std::vector<OptionField<O>>& option_fields();

template <>
inline const std::vector<OptionField<SGDOptions>>& option_fields() {
  using O = SGDOptions;
  static const std::vector<OptionField<O>> fields{
      number("lr", &O::lr), number("momentum", &O::momentum), number("dampening", &O::dampening),
      number("weight_decay", &O::weight_decay), flag("nesterov", &O::nesterov)};
  return fields;
}

// PyTorch saves beta1 and beta2 as one pair, "betas" (state_dict.cpp converts).
template <>
inline const std::vector<OptionField<AdamOptions>>& option_fields() {
  using O = AdamOptions;
  static const std::vector<OptionField<O>> fields{number("lr", &O::lr),
                                                  number("beta1", &O::beta1),
                                                  number("beta2", &O::beta2),
                                                  number("eps", &O::eps),
                                                  number("weight_decay", &O::weight_decay),
                                                  flag("amsgrad", &O::amsgrad)};
  return fields;
}

template <>
inline const std::vector<OptionField<RMSpropOptions>>& option_fields() {
  using O = RMSpropOptions;
  static const std::vector<OptionField<O>> fields{number("lr", &O::lr),
                                                  number("alpha", &O::alpha),
                                                  number("eps", &O::eps),
                                                  number("weight_decay", &O::weight_decay),
                                                  number("momentum", &O::momentum),
                                                  flag("centered", &O::centered)};
  return fields;
}

template <>
inline const std::vector<OptionField<AdagradOptions>>& option_fields() {
  using O = AdagradOptions;
  static const std::vector<OptionField<O>> fields{
      number("lr", &O::lr), number("lr_decay", &O::lr_decay),
      number("weight_decay", &O::weight_decay),
      number("initial_accumulator_value", &O::initial_accumulator_value), number("eps", &O::eps)};
  return fields;
}

// Sets the option `key` of `o`; an unknown key throws, listing the known ones.
template <class O>
void set_option(O& o, const std::string& key, double v, const char* optimizer) {
  std::string known;
  for (const auto& f : option_fields<O>()) {
    if (key == f.key) {
      if (f.number)
        o.*f.number = v;
      else
        o.*f.flag = v != 0;
      return;
    }
    known += (known.empty() ? "" : ", ") + std::string(f.key);
  }
  unknown_option(optimizer, key, known.c_str());
}

}  // namespace xg::optim::detail
