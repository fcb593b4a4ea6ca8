// Learning-rate schedulers: closed forms of PyTorch's schedules.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "xgrad/optim/scheduler.hpp"

namespace xg::optim {

LRScheduler::LRScheduler(Optimizer& optimizer) : optimizer_(optimizer) {
  for (std::size_t g = 0; g < optimizer.num_param_groups(); ++g)
    base_lrs_.push_back(optimizer.lr(g));
}

void LRScheduler::start() {
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) optimizer_.set_lr(g, lr_at(base_lrs_[g], 0));
}

void LRScheduler::step() {
  ++epoch_;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g)
    optimizer_.set_lr(g, lr_at(base_lrs_[g], epoch_));
}

std::vector<double> LRScheduler::get_last_lr() const {
  std::vector<double> lrs;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) lrs.push_back(optimizer_.lr(g));
  return lrs;
}

namespace {
void require(bool ok, const char* scheduler, const char* what, const char* range, double v) {
  if (!ok || !std::isfinite(v))
    throw std::invalid_argument(fmt::format("{}: {} must be {}{}, got {}", scheduler, what,
                                            std::isfinite(v) ? "" : "finite and ", range, v));
}
double cosine(double base, double eta_min, double t, double t_max) {
  return eta_min + (base - eta_min) * (1 + std::cos(M_PI * t / t_max)) / 2;
}
}  // namespace

StepLR::StepLR(Optimizer& o, int step_size, double gamma)
    : LRScheduler(o), step_size_(step_size), gamma_(gamma) {
  require(step_size >= 1, "StepLR", "step_size", ">= 1", step_size);
  require(gamma > 0, "StepLR", "gamma", "> 0", gamma);
  LRScheduler::start();
}
double StepLR::lr_at(double base, int epoch) const {
  return base * std::pow(gamma_, epoch / step_size_);
}

ExponentialLR::ExponentialLR(Optimizer& o, double gamma) : LRScheduler(o), gamma_(gamma) {
  require(gamma > 0, "ExponentialLR", "gamma", "> 0", gamma);
  LRScheduler::start();
}
double ExponentialLR::lr_at(double base, int epoch) const { return base * std::pow(gamma_, epoch); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& o, int t_max, double eta_min)
    : LRScheduler(o), t_max_(t_max), eta_min_(eta_min) {
  require(t_max >= 1, "CosineAnnealingLR", "T_max", ">= 1", t_max);
  require(eta_min >= 0, "CosineAnnealingLR", "eta_min", ">= 0", eta_min);
  LRScheduler::start();
}
double CosineAnnealingLR::lr_at(double base, int epoch) const {
  return cosine(base, eta_min_, epoch, t_max_);
}

LinearLR::LinearLR(Optimizer& o, double start, double end, int total)
    : LRScheduler(o), start_(start), end_(end), total_(total) {
  require(start > 0 && start <= 1, "LinearLR", "start_factor", "in (0, 1]", start);
  require(end >= 0 && end <= 1, "LinearLR", "end_factor", "in [0, 1]", end);
  require(total >= 1, "LinearLR", "total_iters", ">= 1", total);
  LRScheduler::start();
}
double LinearLR::lr_at(double base, int epoch) const {
  return base * (start_ + (end_ - start_) * std::min(epoch, total_) / total_);
}

WarmupCosineLR::WarmupCosineLR(Optimizer& o, int warmup, int total, double start, double eta_min)
    : LRScheduler(o), warmup_(warmup), total_(total), start_(start), eta_min_(eta_min) {
  require(warmup >= 0, "WarmupCosineLR", "warmup", ">= 0", warmup);
  require(total > warmup, "WarmupCosineLR", "total", "> warmup", total);
  require(start > 0 && start <= 1, "WarmupCosineLR", "start_factor", "in (0, 1]", start);
  require(eta_min >= 0, "WarmupCosineLR", "eta_min", ">= 0", eta_min);
  LRScheduler::start();
}
double WarmupCosineLR::lr_at(double base, int epoch) const {
  if (epoch < warmup_) return base * (start_ + (1 - start_) * epoch / warmup_);
  return cosine(base, eta_min_, epoch - warmup_, total_ - warmup_);
}

}  // namespace xg::optim
