// Training checkpoints: one safetensors file holding the model, the optimizer's state, the
// scheduler's state, the epoch and the random generators, so training resumes exactly where it
// stopped, in this process or another one.
//
//   io::save_checkpoint("ckpt.safetensors", model, opt, &sched, epoch + 1);   // atomic
//   ...
//   const io::CheckpointInfo info = io::load_checkpoint("ckpt.safetensors", model, opt, &sched);
//   for (int epoch = info.epoch; epoch < 40; ++epoch) { ... }
//
// The file (names in PyTorch's terms; docs/checkpoints.md shows how to read it from Python):
//   tensors   model.<name>                       the model's state_dict ("model.0.weight")
//             optimizer.state.<index>.<buffer>   the optimizer's state per parameter index:
//                                                "optimizer.state.0.exp_avg",
//                                                "optimizer.state.0.step" (a 0-d tensor,
//                                                F64 for float models too: exact to 2^53)
//   metadata  checkpoint.version                 "1"
//             epoch                              the epoch given to save_checkpoint
//             optimizer                          the optimizer's class ("Adam")
//             optimizer.param_groups             JSON, PyTorch's param_groups: [{"lr": 0.01,
//                                                "betas": [0.9, 0.999], ..., "params": [0, 1]}]
//             scheduler                          the scheduler's class ("StepLR"), if any
//             scheduler.state                    JSON, PyTorch's scheduler state_dict:
//                                                {"last_epoch": 20, "base_lrs": [0.01], ...}
//             generator.default                  xg::default_generator()'s state
//             generator.model.<name>             each of model.named_generators() (Dropout's)
//             anything else                      the caller's own metadata, returned by load
// Whole numbers in the JSON are written as integers (PyTorch's "step_size": 10).
#pragma once

#include <cstdint>
#include <string>

#include "xgrad/io/safetensors.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/optim/optimizer.hpp"
#include "xgrad/optim/scheduler.hpp"

namespace xg::io {

// The most steps a checkpoint holds for a parameter: its step counts are F64, exact up to 2^53.
inline constexpr std::uint64_t kMaxCheckpointSteps = std::uint64_t(1) << 53;

struct CheckpointInfo {
  int epoch = 0;      // as given to save_checkpoint
  Metadata metadata;  // the caller's own metadata (`extra`), without the checkpoint's keys
  // The largest step count among the optimizer's parameters (0 for one that keeps none, SGD):
  // a run may take 2^53 - steps more before its checkpoint cannot hold the count.
  std::uint64_t steps = 0;
};

// Writes the checkpoint atomically (a temporary file renamed over `path`). `scheduler` may be
// null. `extra` holds the caller's metadata (e.g. what is needed to rebuild the model); its keys
// must not start with a name the checkpoint uses (checkpoint, epoch, model, optimizer,
// scheduler, generator): std::invalid_argument names such a key. Throws std::runtime_error
// naming the path on an I/O failure, std::overflow_error naming it when a parameter has taken
// more than 2^53 steps (an F64 step count is exact up to there); nothing is written then.
template <class T>
void save_checkpoint(const std::string& path, const nn::BasicModule<T>& model,
                     const optim::OptimizerOf<T>& optimizer, const optim::LRScheduler* scheduler,
                     int epoch, const Metadata& extra = {});

// Restores the model's parameters and buffers, the optimizer's options and state, the
// scheduler's state (`scheduler` must be given exactly when the file holds one, of the same
// class), the default generator and the model's generators, and returns the epoch and the
// caller's metadata. The model, optimizer and scheduler must be built as they were when saved
// (same layers, same parameter groups). Everything is read and checked before anything is
// changed: on any mismatch (a name, shape, dtype, count, optimizer or scheduler class, option or
// metadata value) a std::runtime_error names the file and the problem and nothing is modified.
// io::inspect(path).metadata reads the metadata alone, e.g. to rebuild the model first.
template <class T>
CheckpointInfo load_checkpoint(const std::string& path, nn::BasicModule<T>& model,
                               optim::OptimizerOf<T>& optimizer, optim::LRScheduler* scheduler);

}  // namespace xg::io
