// nn::BasicModule<T>: the base of every layer and model.
//
// A module owns named parameters (trainable tensors), named buffers (state such as BatchNorm's
// running statistics) and named child modules. Registration stores tensor *handles*, so a
// layer's member `weight` and the registered entry are the same tensor; copying a module shares
// its parameters (like libtorch's module holders).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xgrad/core/hooks.hpp"
#include "xgrad/core/random.hpp"
#include "xgrad/core/tensor.hpp"

namespace xg::nn {

template <class T>
using NamedTensors = std::vector<std::pair<std::string, BasicTensor<T>>>;
using NamedGenerators = std::vector<std::pair<std::string, std::shared_ptr<Generator>>>;

template <class T>
class BasicModule;

// A module's hooks (see register_forward_hook and friends), shared by copies of the module.
template <class T>
struct ModuleHooks {
  using Tensor = BasicTensor<T>;
  using Result = std::optional<Tensor>;
  HookList<std::function<Result(BasicModule<T>&, const Tensor&)>> forward_pre;
  HookList<std::function<Result(BasicModule<T>&, const Tensor&, const Tensor&)>> forward;
  HookList<std::function<Result(BasicModule<T>&, const Tensor&, const Tensor&)>> backward;
  bool empty() const { return forward_pre.empty() && forward.empty() && backward.empty(); }
};

template <class T>
class BasicModule {
 public:
  virtual ~BasicModule() = default;

  virtual BasicTensor<T> forward(const BasicTensor<T>& x) = 0;
  // Calls forward(x) and the hooks registered on this module (containers call their children
  // through operator(), so the children's hooks run too).
  BasicTensor<T> operator()(const BasicTensor<T>& x) {
    if (!has_hooks()) return forward(x);  // the common case costs one branch
    return call_with_hooks(x);
  }
  bool has_hooks() const { return hooks_ && !hooks_->empty(); }

  // ---- hooks (PyTorch's order: forward pre-hooks, forward, forward hooks; backward hooks when
  // the gradient with respect to the module's input is known). Each returns a handle whose
  // remove() detaches the hook. A hook that throws raises std::runtime_error naming the module
  // (describe()), with the original exception nested. Hooks are shared by copies of a module.
  //
  // hook(module, input) before forward; returning a tensor replaces the input.
  template <class F>
  RemovableHandle register_forward_pre_hook(F&& hook) {
    return add_hook(&ModuleHooks<T>::forward_pre,
                    xg::detail::replacing_hook<BasicTensor<T>>(std::forward<F>(hook)));
  }
  // hook(module, input, output) after forward; returning a tensor replaces the output.
  template <class F>
  RemovableHandle register_forward_hook(F&& hook) {
    return add_hook(&ModuleHooks<T>::forward,
                    xg::detail::replacing_hook<BasicTensor<T>>(std::forward<F>(hook)));
  }
  // hook(module, grad_input, grad_output) once backward has computed the gradient with respect
  // to the module's input (grad_input is undefined when the input does not require grad: the
  // hook then runs when grad_output is known). Returning a tensor replaces grad_input.
  template <class F>
  RemovableHandle register_full_backward_hook(F&& hook) {
    return add_hook(&ModuleHooks<T>::backward,
                    xg::detail::replacing_hook<BasicTensor<T>>(std::forward<F>(hook)));
  }
  // One line describing the module and its hyper-parameters: "Linear(in=2, out=64, bias=true)".
  virtual std::string describe() const = 0;
  // The catalogue name of an activation layer ("relu", "prelu", see activation_catalogue()),
  // empty for every other module. Diagnostics use it to find the activation layers of a model.
  virtual std::string activation_name() const { return {}; }

  // Every parameter of this module and its children, depth first, in registration order.
  std::vector<BasicTensor<T>> parameters() const;
  // Names are dotted paths: "0.weight", "block.bn.running_mean".
  NamedTensors<T> named_parameters() const;
  NamedTensors<T> named_buffers() const;
  // Parameters then buffers, by name: what save/load writes.
  NamedTensors<T> state_dict() const;
  // Copies values into the registered tensors. Throws std::invalid_argument naming the first
  // missing, unexpected or mis-shaped entry, before anything is modified.
  void load_state_dict(const NamedTensors<T>& state);
  // Throws what load_state_dict would throw for `state`, and changes nothing.
  void check_state_dict(const NamedTensors<T>& state) const;
  std::size_t num_parameters() const;  // elements, not tensors
  // The random generators this module and its children draw from in train mode (Dropout's
  // masks, RReLU's slopes) by dotted name ("2.generator"), depth first. Handles, like
  // parameters: a checkpoint saves their states and restores them so training resumes exactly.
  NamedGenerators named_generators() const;

  // Train mode (the default) or eval mode, recursively (Dropout, BatchNorm, RReLU obey it).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();

  // A readable tree with one line per module and its parameter count, and the total.
  std::string summary() const;
  const std::vector<std::pair<std::string, std::shared_ptr<BasicModule>>>& children() const {
    return children_;
  }

 protected:
  BasicModule() = default;
  BasicModule(const BasicModule&) = default;
  BasicModule(BasicModule&&) noexcept = default;
  BasicModule& operator=(const BasicModule&) = default;
  BasicModule& operator=(BasicModule&&) noexcept = default;

  // Registers a trainable tensor (requires_grad is set) and returns the same handle.
  BasicTensor<T> register_parameter(std::string name, BasicTensor<T> t);
  BasicTensor<T> register_buffer(std::string name, BasicTensor<T> t);
  std::shared_ptr<Generator> register_generator(std::string name, Generator g);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    children_.emplace_back(std::move(name), m);
    return m;
  }

 private:
  void collect(const std::string& prefix, NamedTensors<T>& out, bool buffers) const;
  void summarize(std::string& out, const std::string& name, int depth) const;
  BasicTensor<T> call_with_hooks(const BasicTensor<T>& x);
  template <class List, class Fn>
  RemovableHandle add_hook(List ModuleHooks<T>::*list, Fn&& fn) {
    if (!hooks_) hooks_ = std::make_shared<ModuleHooks<T>>();
    const std::size_t id = ((*hooks_).*list).add(std::forward<Fn>(fn));
    return RemovableHandle([weak = std::weak_ptr<ModuleHooks<T>>(hooks_), list, id] {
      if (auto hooks = weak.lock()) ((*hooks).*list).remove(id);
    });
  }
  void collect_generators(const std::string& prefix, NamedGenerators& out) const;

  std::shared_ptr<ModuleHooks<T>> hooks_;
  NamedTensors<T> params_, buffers_;
  NamedGenerators generators_;
  std::vector<std::pair<std::string, std::shared_ptr<BasicModule>>> children_;
  bool training_ = true;
};

using Module = BasicModule<float>;
using ModuleD = BasicModule<double>;

}  // namespace xg::nn
