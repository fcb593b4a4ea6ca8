// Grad mode: whether ops record the autograd graph.
//
// Every op that sees an input requiring grad (with grad mode on) records one graph node holding
// its inputs and whatever it saved from forward; the output tensor owns the node. backward()
// sorts the graph once (iteratively), walks it in reverse topological order, and each node adds
// its vector-Jacobian product into its inputs' gradients; leaves accumulate into .grad(). Your
// own differentiable op: xgrad/extend.hpp.
#pragma once

#include <atomic>

namespace xg {

// ---- grad mode ---------------------------------------------------------------------------

// Whether ops record the graph on this thread (default true).
bool grad_enabled();
void set_grad_enabled(bool enabled);

// Disables recording for its lifetime: evaluation, optimizer updates, gradient checks.
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// ---- anomaly mode -------------------------------------------------------------------------

// While on (diagnostics::DetectAnomaly turns it on), every recorded op checks its forward output
// and every node the gradients it produced for NaN/Inf, and throws an error naming the op. Like
// PyTorch's anomaly mode it is one process-wide switch; off, it costs one predictable branch per
// recorded op and per backward pass.
namespace detail {
extern std::atomic<bool> anomaly_mode;
}
inline bool anomaly_enabled() { return detail::anomaly_mode.load(std::memory_order_relaxed); }
void set_anomaly_enabled(bool enabled);

}  // namespace xg
