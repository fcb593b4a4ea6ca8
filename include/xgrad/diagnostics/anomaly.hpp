// Anomaly mode, like torch.autograd.detect_anomaly: while a DetectAnomaly guard lives, the first
// op whose forward output or backward gradient holds NaN or Inf throws std::runtime_error naming
// the op, the phase, the element and the shapes:
//
//   {
//     diagnostics::DetectAnomaly guard;
//     loss.backward();   // anomaly detected in backward: SqrtBackward returned nan in the gradient
//   }                    // for its input 0 (shape [3]) at element 1 (index [1]); ...
//
// Checks cover ops recorded in the graph (an input requires grad). Off (the default) they cost
// one predictable branch per recorded op and per backward pass; on, one pass over every value.
#pragma once

#include "xgrad/core/autograd.hpp"

namespace xg::diagnostics {

class DetectAnomaly {
 public:
  explicit DetectAnomaly(bool enabled = true) : previous_(anomaly_enabled()) {
    set_anomaly_enabled(enabled);
  }
  ~DetectAnomaly() { set_anomaly_enabled(previous_); }
  DetectAnomaly(const DetectAnomaly&) = delete;
  DetectAnomaly& operator=(const DetectAnomaly&) = delete;

 private:
  bool previous_;
};

}  // namespace xg::diagnostics
