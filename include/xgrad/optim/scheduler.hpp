// Learning-rate schedulers (PyTorch's closed forms). Each remembers every group's initial lr
// and sets lr(epoch) on step(), called once per epoch after the optimizer's steps.
//
//   optim::CosineAnnealingLR sched(opt, /*T_max*/ 100);
//   for (epoch ...) { ...train...; sched.step(); }
#pragma once

#include <map>
#include <string>
#include <vector>

#include "xgrad/optim/optimizer.hpp"
#include "xgrad/optim/state_dict.hpp"

namespace xg::optim {

class LRScheduler {
 public:
  virtual ~LRScheduler() = default;
  void step();  // epoch += 1 and every group's lr = lr_at(base lr, epoch)
  std::vector<double> get_last_lr() const;
  int last_epoch() const { return epoch_; }
  // The class name as PyTorch spells it ("StepLR"): messages and checkpoints use it.
  virtual const char* name() const = 0;

  // last_epoch, base_lrs and this scheduler's settings under PyTorch's names (state_dict.hpp).
  SchedulerState state_dict() const;
  // Throws std::invalid_argument saying what does not fit (the number of base lrs, a missing,
  // unknown or invalid setting), and changes nothing.
  void check_state_dict(const SchedulerState& state) const;
  // check_state_dict, then sets the epoch, the base lrs and the settings. Like PyTorch, the
  // optimizer's learning rates are left alone: they come back with the optimizer's own state.
  void load_state_dict(const SchedulerState& state);

 protected:
  explicit LRScheduler(Optimizer& optimizer);
  virtual double lr_at(double base_lr, int epoch) const = 0;
  // The settings under PyTorch's names. check_settings throws for a value the constructor would
  // refuse (the keys, those of settings(), are already checked); set_settings sets checked ones.
  virtual std::map<std::string, double> settings() const = 0;
  virtual void check_settings(const std::map<std::string, double>& settings) const = 0;
  virtual void set_settings(const std::map<std::string, double>& settings) = 0;
  // Sets the epoch-0 learning rates (a warm-up starts below the base lr, as in PyTorch); each
  // derived constructor calls it once its parameters are set.
  void start();

 private:
  Optimizer& optimizer_;
  std::vector<double> base_lrs_;
  int epoch_ = 0;
};

// base gamma^floor(epoch / step_size)
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& optimizer, int step_size, double gamma = 0.1);
  double lr_at(double base, int epoch) const override;
  const char* name() const override { return "StepLR"; }

 private:
  std::map<std::string, double> settings() const override;
  void check_settings(const std::map<std::string, double>& s) const override;
  void set_settings(const std::map<std::string, double>& s) override;
  int step_size_;
  double gamma_;
};

// base gamma^epoch
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);
  double lr_at(double base, int epoch) const override;
  const char* name() const override { return "ExponentialLR"; }

 private:
  std::map<std::string, double> settings() const override;
  void check_settings(const std::map<std::string, double>& s) const override;
  void set_settings(const std::map<std::string, double>& s) override;
  double gamma_;
};

// eta_min + (base - eta_min) (1 + cos(pi epoch / T_max)) / 2
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, int t_max, double eta_min = 0);
  double lr_at(double base, int epoch) const override;
  const char* name() const override { return "CosineAnnealingLR"; }

 private:
  std::map<std::string, double> settings() const override;
  void check_settings(const std::map<std::string, double>& s) const override;
  void set_settings(const std::map<std::string, double>& s) override;
  int t_max_;
  double eta_min_;
};

// base (start + (end - start) min(epoch, total_iters) / total_iters): linear warm-up
class LinearLR : public LRScheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3, double end_factor = 1,
           int total_iters = 5);
  double lr_at(double base, int epoch) const override;
  const char* name() const override { return "LinearLR"; }

 private:
  std::map<std::string, double> settings() const override;
  void check_settings(const std::map<std::string, double>& s) const override;
  void set_settings(const std::map<std::string, double>& s) override;
  double start_, end_;
  int total_;
};

// Linear warm-up over `warmup` epochs from start_factor * base, then cosine annealing to eta_min
// over the remaining total - warmup epochs (PyTorch's SequentialLR of LinearLR and
// CosineAnnealingLR with milestone `warmup`).
class WarmupCosineLR : public LRScheduler {
 public:
  WarmupCosineLR(Optimizer& optimizer, int warmup, int total, double start_factor = 0.1,
                 double eta_min = 0);
  double lr_at(double base, int epoch) const override;
  const char* name() const override { return "WarmupCosineLR"; }

 private:
  std::map<std::string, double> settings() const override;
  void check_settings(const std::map<std::string, double>& s) const override;
  void set_settings(const std::map<std::string, double>& s) override;
  int warmup_, total_;
  double start_, eta_min_;
};

}  // namespace xg::optim
