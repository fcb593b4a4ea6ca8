#include "xgrad/nn/module.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <stdexcept>

namespace xg::nn {

template <class T>
BasicTensor<T> BasicModule<T>::register_parameter(std::string name, BasicTensor<T> t) {
  t.requires_grad_(true);
  params_.emplace_back(std::move(name), t);
  return t;
}

template <class T>
BasicTensor<T> BasicModule<T>::register_buffer(std::string name, BasicTensor<T> t) {
  buffers_.emplace_back(std::move(name), t);
  return t;
}

template <class T>
void BasicModule<T>::collect(const std::string& prefix, NamedTensors<T>& out, bool buffers) const {
  for (const auto& [name, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, buffers);
}

template <class T>
NamedTensors<T> BasicModule<T>::named_parameters() const {
  NamedTensors<T> out;
  collect("", out, false);
  return out;
}

template <class T>
NamedTensors<T> BasicModule<T>::named_buffers() const {
  NamedTensors<T> out;
  collect("", out, true);
  return out;
}

template <class T>
std::vector<BasicTensor<T>> BasicModule<T>::parameters() const {
  std::vector<BasicTensor<T>> out;
  for (auto& [name, t] : named_parameters()) out.push_back(t);
  return out;
}

template <class T>
NamedTensors<T> BasicModule<T>::state_dict() const {
  NamedTensors<T> out = named_parameters();
  collect("", out, true);
  return out;
}

template <class T>
void BasicModule<T>::load_state_dict(const NamedTensors<T>& state) {
  std::map<std::string, const BasicTensor<T>*> given;
  for (const auto& [name, t] : state) {
    if (!given.emplace(name, &t).second)
      throw std::invalid_argument(fmt::format("load_state_dict: entry '{}' appears twice", name));
    if (!t.defined())
      throw std::invalid_argument(
          fmt::format("load_state_dict: entry '{}' is an undefined tensor", name));
  }
  NamedTensors<T> mine = state_dict();
  std::set<std::string> expected;
  for (const auto& [name, t] : mine) {  // validate everything first: all or nothing
    expected.insert(name);
    auto it = given.find(name);
    if (it == given.end())
      throw std::invalid_argument(fmt::format("load_state_dict: missing entry '{}' (shape {})",
                                              name, shape_str(t.shape())));
    if (it->second->shape() != t.shape())
      throw std::invalid_argument(
          fmt::format("load_state_dict: entry '{}' has shape {} but the model expects {}", name,
                      shape_str(it->second->shape()), shape_str(t.shape())));
  }
  for (const auto& [name, t] : state)
    if (!expected.count(name))
      throw std::invalid_argument(fmt::format("load_state_dict: unexpected entry '{}'", name));
  for (auto& [name, t] : mine) {
    const Array<T>& src = given[name]->data();
    std::copy_n(src.data(), src.size(), t.data().data());
  }
}

template <class T>
std::size_t BasicModule<T>::num_parameters() const {
  std::size_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.size();
  return n;
}

template <class T>
void BasicModule<T>::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

template <class T>
void BasicModule<T>::zero_grad() {
  for (auto& t : parameters()) t.zero_grad();
}

template <class T>
void BasicModule<T>::summarize(std::string& out, const std::string& name, int depth) const {
  std::size_t own = 0;
  for (const auto& [n, t] : params_) own += t.size();
  const std::string label = name.empty() ? describe() : fmt::format("({}): {}", name, describe());
  out += fmt::format("{:{}}{}", "", 2 * depth, label);
  if (own) out += fmt::format("  [{} params]", own);
  out += '\n';
  for (const auto& [n, child] : children_) child->summarize(out, n, depth + 1);
}

template <class T>
std::string BasicModule<T>::summary() const {
  std::string out;
  summarize(out, "", 0);
  out += fmt::format("Total parameters: {}\n", num_parameters());
  return out;
}

template class BasicModule<float>;
template class BasicModule<double>;

}  // namespace xg::nn
