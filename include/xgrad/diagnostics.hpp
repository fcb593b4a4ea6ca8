// Training diagnostics: see why a network does not learn.
//   diagnostics/anomaly.hpp   DetectAnomaly: the first NaN/Inf names its op, phase and element
//   diagnostics/probes.hpp    dead_units, saturated_fraction, gradient_flow, named_layers
//   diagnostics/monitor.hpp   Monitor: per-layer statistics while training, every k steps
// The hooks they are built on (Tensor::register_hook, Module::register_forward_hook, ...) are
// in core/hooks.hpp, core/tensor.hpp and nn/module.hpp.
#pragma once

#include "xgrad/diagnostics/anomaly.hpp"
#include "xgrad/diagnostics/monitor.hpp"
#include "xgrad/diagnostics/probes.hpp"
