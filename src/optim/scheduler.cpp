// Learning-rate schedulers: closed forms of PyTorch's schedules.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
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
  if (epoch_ == std::numeric_limits<int>::max())
    throw std::overflow_error(
        fmt::format("{}: step(): the epoch count is at its limit ({})", name(), epoch_));
  // Every lr first, so that a schedule whose lr leaves the finite numbers (a gamma > 1 long
  // enough) is refused by name and changes nothing.
  std::vector<double> lrs;
  for (std::size_t g = 0; g < base_lrs_.size(); ++g) {
    lrs.push_back(lr_at(base_lrs_[g], epoch_ + 1));
    if (!std::isfinite(lrs.back()))
      throw std::domain_error(fmt::format(
          "{}: step(): the learning rate of param group {} would be {} at epoch {} (base lr {})",
          name(), g, lrs.back(), epoch_ + 1, base_lrs_[g]));
  }
  ++epoch_;
  for (std::size_t g = 0; g < lrs.size(); ++g) optimizer_.set_lr(g, lrs[g]);
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

// The checks of each constructor, shared with load_state_dict.
void check_step(int step_size, double gamma) {
  require(step_size >= 1, "StepLR", "step_size", ">= 1", step_size);
  require(gamma > 0, "StepLR", "gamma", "> 0", gamma);
}
void check_exponential(double gamma) { require(gamma > 0, "ExponentialLR", "gamma", "> 0", gamma); }
void check_cosine(int t_max, double eta_min) {
  require(t_max >= 1, "CosineAnnealingLR", "T_max", ">= 1", t_max);
  require(eta_min >= 0, "CosineAnnealingLR", "eta_min", ">= 0", eta_min);
}
void check_linear(double start, double end, int total) {
  require(start > 0 && start <= 1, "LinearLR", "start_factor", "in (0, 1]", start);
  require(end >= 0 && end <= 1, "LinearLR", "end_factor", "in [0, 1]", end);
  require(total >= 1, "LinearLR", "total_iters", ">= 1", total);
}
void check_warmup_cosine(int warmup, int total, double start, double eta_min) {
  require(warmup >= 0, "WarmupCosineLR", "warmup", ">= 0", warmup);
  require(total > warmup, "WarmupCosineLR", "total", "> warmup", total);
  require(start > 0 && start <= 1, "WarmupCosineLR", "start_factor", "in (0, 1]", start);
  require(eta_min >= 0, "WarmupCosineLR", "eta_min", ">= 0", eta_min);
}

// An integer setting of a loaded state (stored as a number).
int whole(const std::map<std::string, double>& settings, const char* key) {
  const double v = settings.at(key);
  if (!(v == std::floor(v) && std::abs(v) <= std::numeric_limits<int>::max()))
    throw std::invalid_argument(fmt::format("'{}' must be a whole number, got {}", key, v));
  return int(v);
}
}  // namespace

StepLR::StepLR(Optimizer& o, int step_size, double gamma)
    : LRScheduler(o), step_size_(step_size), gamma_(gamma) {
  check_step(step_size, gamma);
  LRScheduler::start();
}
double StepLR::lr_at(double base, int epoch) const {
  return base * std::pow(gamma_, epoch / step_size_);
}

ExponentialLR::ExponentialLR(Optimizer& o, double gamma) : LRScheduler(o), gamma_(gamma) {
  check_exponential(gamma);
  LRScheduler::start();
}
double ExponentialLR::lr_at(double base, int epoch) const { return base * std::pow(gamma_, epoch); }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& o, int t_max, double eta_min)
    : LRScheduler(o), t_max_(t_max), eta_min_(eta_min) {
  check_cosine(t_max, eta_min);
  LRScheduler::start();
}
double CosineAnnealingLR::lr_at(double base, int epoch) const {
  return cosine(base, eta_min_, epoch, t_max_);
}

LinearLR::LinearLR(Optimizer& o, double start, double end, int total)
    : LRScheduler(o), start_(start), end_(end), total_(total) {
  check_linear(start, end, total);
  LRScheduler::start();
}
double LinearLR::lr_at(double base, int epoch) const {
  return base * (start_ + (end_ - start_) * std::min(epoch, total_) / total_);
}

WarmupCosineLR::WarmupCosineLR(Optimizer& o, int warmup, int total, double start, double eta_min)
    : LRScheduler(o), warmup_(warmup), total_(total), start_(start), eta_min_(eta_min) {
  check_warmup_cosine(warmup, total, start, eta_min);
  LRScheduler::start();
}
double WarmupCosineLR::lr_at(double base, int epoch) const {
  if (epoch < warmup_) return base * (start_ + (1 - start_) * epoch / warmup_);
  return cosine(base, eta_min_, epoch - warmup_, total_ - warmup_);
}

// ---- state_dict: PyTorch's names for each scheduler's settings ----

SchedulerState LRScheduler::state_dict() const { return {epoch_, base_lrs_, settings()}; }

void LRScheduler::check_state_dict(const SchedulerState& s) const {
  const auto fail = [&](const std::string& what) {
    throw std::invalid_argument(fmt::format("{}: load_state_dict: {}", name(), what));
  };
  if (s.last_epoch < 0) fail(fmt::format("last_epoch must be >= 0, got {}", s.last_epoch));
  if (s.base_lrs.size() != base_lrs_.size())
    fail(fmt::format("the state has {} base_lrs but the optimizer has {} param groups",
                     s.base_lrs.size(), base_lrs_.size()));
  for (std::size_t g = 0; g < s.base_lrs.size(); ++g)
    if (!(s.base_lrs[g] >= 0 && std::isfinite(s.base_lrs[g])))
      fail(fmt::format("base_lrs[{}] must be finite and >= 0, got {}", g, s.base_lrs[g]));
  const std::map<std::string, double> mine = settings();
  std::vector<std::string> names;
  for (const auto& [key, value] : mine) {
    names.push_back(key);
    if (!s.settings.count(key)) fail(fmt::format("missing setting '{}'", key));
  }
  for (const auto& [key, value] : s.settings)
    if (!mine.count(key))
      fail(fmt::format("unknown setting '{}' ({} has: {})", key, name(), fmt::join(names, ", ")));
  try {
    check_settings(s.settings);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
}

void LRScheduler::load_state_dict(const SchedulerState& s) {
  check_state_dict(s);  // everything first: all or nothing
  set_settings(s.settings);
  epoch_ = s.last_epoch;
  base_lrs_ = s.base_lrs;
}

std::map<std::string, double> StepLR::settings() const {
  return {{"step_size", step_size_}, {"gamma", gamma_}};
}
void StepLR::check_settings(const std::map<std::string, double>& s) const {
  check_step(whole(s, "step_size"), s.at("gamma"));
}
void StepLR::set_settings(const std::map<std::string, double>& s) {
  step_size_ = whole(s, "step_size");
  gamma_ = s.at("gamma");
}

std::map<std::string, double> ExponentialLR::settings() const { return {{"gamma", gamma_}}; }
void ExponentialLR::check_settings(const std::map<std::string, double>& s) const {
  check_exponential(s.at("gamma"));
}
void ExponentialLR::set_settings(const std::map<std::string, double>& s) { gamma_ = s.at("gamma"); }

std::map<std::string, double> CosineAnnealingLR::settings() const {
  return {{"T_max", t_max_}, {"eta_min", eta_min_}};
}
void CosineAnnealingLR::check_settings(const std::map<std::string, double>& s) const {
  check_cosine(whole(s, "T_max"), s.at("eta_min"));
}
void CosineAnnealingLR::set_settings(const std::map<std::string, double>& s) {
  t_max_ = whole(s, "T_max");
  eta_min_ = s.at("eta_min");
}

std::map<std::string, double> LinearLR::settings() const {
  return {{"start_factor", start_}, {"end_factor", end_}, {"total_iters", total_}};
}
void LinearLR::check_settings(const std::map<std::string, double>& s) const {
  check_linear(s.at("start_factor"), s.at("end_factor"), whole(s, "total_iters"));
}
void LinearLR::set_settings(const std::map<std::string, double>& s) {
  start_ = s.at("start_factor");
  end_ = s.at("end_factor");
  total_ = whole(s, "total_iters");
}

// Not a PyTorch class (PyTorch composes SequentialLR): the settings are the constructor's.
std::map<std::string, double> WarmupCosineLR::settings() const {
  return {{"warmup", warmup_}, {"total", total_}, {"start_factor", start_}, {"eta_min", eta_min_}};
}
void WarmupCosineLR::check_settings(const std::map<std::string, double>& s) const {
  check_warmup_cosine(whole(s, "warmup"), whole(s, "total"), s.at("start_factor"), s.at("eta_min"));
}
void WarmupCosineLR::set_settings(const std::map<std::string, double>& s) {
  warmup_ = whole(s, "warmup");
  total_ = whole(s, "total");
  start_ = s.at("start_factor");
  eta_min_ = s.at("eta_min");
}

}  // namespace xg::optim
