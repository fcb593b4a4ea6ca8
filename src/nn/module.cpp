#include "xgrad/nn/module.hpp"
#include "xgrad/extend.hpp"

#include <fmt/format.h>

#include <exception>
#include <map>
#include <set>
#include <stdexcept>

namespace xg::nn {

// ---- hooks -----------------------------------------------------------------------------------

namespace {

// Rethrows the exception being handled as a std::runtime_error naming the module and the hook
// kind, with the original nested (std::rethrow_if_nested recovers it).
[[noreturn]] void rethrow_from_hook(const char* kind, const std::string& module) {
  const auto message = [&](const char* what) {
    return fmt::format("{} hook of {} threw: {}", kind, module, what);
  };
  try {
    throw;
  } catch (const std::exception& e) {
    std::throw_with_nested(std::runtime_error(message(e.what())));
  } catch (...) {
    std::throw_with_nested(std::runtime_error(message("an unknown exception")));
  }
}

// What the full backward hooks of one module call share: the output's gradient, seen first.
template <class T>
struct BackwardHookCall {
  BasicModule<T>* module;
  std::shared_ptr<ModuleHooks<T>> hooks;
  BasicTensor<T> grad_output;
  bool has_input_side = false;  // the input requires grad: hooks run when its gradient is known

  // Calls the hooks; returns grad_input, possibly replaced.
  BasicTensor<T> run(BasicTensor<T> grad_input) {
    hooks->backward.for_each([&](const auto& hook) {
      std::optional<BasicTensor<T>> replaced;
      try {
        replaced = hook(*module, grad_input, grad_output);
      } catch (...) {
        rethrow_from_hook("full backward", module->describe());
      }
      if (!replaced || !replaced->defined() || !grad_input.defined()) return;
      if (replaced->shape() != grad_input.shape())
        throw std::runtime_error(fmt::format(
            "full backward hook of {} returned grad_input of shape {}; the input has shape {}",
            module->describe(), shape_str(replaced->shape()), shape_str(grad_input.shape())));
      grad_input = *replaced;
    });
    return grad_input;
  }
};

// An identity on the module's input (Side::Input) or output (Side::Output) whose backward sees
// the gradient there: PyTorch's BackwardHookFunction.
template <class T>
struct BackwardHookNode final : Node<T> {
  enum class Side { Input, Output };
  BackwardHookNode(std::shared_ptr<BackwardHookCall<T>> c, Side s) : call(std::move(c)), side(s) {}
  const char* name() const override { return "BackwardHookFunctionBackward"; }
  void backward(const Array<T>& g, const Array<T>&) override {
    BasicTensor<T> grad{Array<T>(g)};
    if (side == Side::Output) {
      call->grad_output = grad;
      if (!call->has_input_side) call->run(BasicTensor<T>());
    } else {
      grad = call->run(grad);
    }
    if (this->needs_grad(0)) this->add_grad(0, Array<T>(grad.data()));
  }
  std::shared_ptr<BackwardHookCall<T>> call;
  Side side;
};

}  // namespace

template <class T>
BasicTensor<T> BasicModule<T>::call_with_hooks(const BasicTensor<T>& x) {
  const std::shared_ptr<ModuleHooks<T>> hooks = hooks_;  // alive even if a hook clears hooks_
  BasicTensor<T> input = x;
  hooks->forward_pre.for_each([&](const auto& hook) {
    std::optional<BasicTensor<T>> replaced;
    try {
      replaced = hook(*this, input);
    } catch (...) {
      rethrow_from_hook("forward pre-", describe());
    }
    if (replaced && replaced->defined()) input = *replaced;
  });

  std::shared_ptr<BackwardHookCall<T>> call;
  using HookNode = BackwardHookNode<T>;
  if (!hooks->backward.empty() && grad_enabled()) {
    call = std::make_shared<BackwardHookCall<T>>(BackwardHookCall<T>{this, hooks, {}, false});
    if (input.requires_grad()) {
      call->has_input_side = true;
      input = record<HookNode>(Array<T>(input.data()), {input}, call, HookNode::Side::Input);
    }
  }

  BasicTensor<T> output = forward(input);
  hooks->forward.for_each([&](const auto& hook) {
    std::optional<BasicTensor<T>> replaced;
    try {
      replaced = hook(*this, input, output);
    } catch (...) {
      rethrow_from_hook("forward", describe());
    }
    if (replaced && replaced->defined()) output = *replaced;
  });

  if (call && output.requires_grad())
    output = record<HookNode>(Array<T>(output.data()), {output}, call, HookNode::Side::Output);
  return output;
}

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
std::shared_ptr<Generator> BasicModule<T>::register_generator(std::string name, Generator g) {
  auto handle = std::make_shared<Generator>(g);
  generators_.emplace_back(std::move(name), handle);
  return handle;
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
void BasicModule<T>::check_state_dict(const NamedTensors<T>& state) const {
  std::map<std::string, const BasicTensor<T>*> given;
  for (const auto& [name, t] : state) {
    if (!given.emplace(name, &t).second)
      throw std::invalid_argument(fmt::format("load_state_dict: entry '{}' appears twice", name));
    if (!t.defined())
      throw std::invalid_argument(
          fmt::format("load_state_dict: entry '{}' is an undefined tensor", name));
  }
  std::set<std::string> expected;
  for (const auto& [name, t] : state_dict()) {
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
}

template <class T>
void BasicModule<T>::load_state_dict(const NamedTensors<T>& state) {
  check_state_dict(state);  // everything first: all or nothing
  std::map<std::string, const BasicTensor<T>*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  for (auto& [name, t] : state_dict()) {
    const Array<T>& src = given[name]->data();
    std::copy_n(src.data(), src.size(), t.data().data());
    detail::mark_modified(detail::TensorAccess::impl(t));
  }
}

template <class T>
void BasicModule<T>::collect_generators(const std::string& prefix, NamedGenerators& out) const {
  for (const auto& [name, g] : generators_) out.emplace_back(prefix + name, g);
  for (const auto& [name, child] : children_) child->collect_generators(prefix + name + ".", out);
}

template <class T>
NamedGenerators BasicModule<T>::named_generators() const {
  NamedGenerators out;
  collect_generators("", out);
  return out;
}

template <class T>
std::size_t BasicModule<T>::num_parameters() const {
  std::size_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
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
  for (const auto& [n, t] : params_) own += t.numel();
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
