// Checkpoints: 40 epochs straight equal 20 epochs, save, load in a new process, 20 more, bit for
// bit (SGD with momentum, Adam, RMSprop, each with a scheduler); the file's PyTorch-style names;
// a load restores every object in place; every mismatch is refused by name with nothing changed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include "checkpoint_snapshot.hpp"
#include "test_helpers.hpp"

using namespace xgtest;
using Catch::Matchers::Contains;
namespace io = xg::io;
namespace nn = xg::nn;
namespace optim = xg::optim;

namespace {

std::string helper() {
  const char* path = std::getenv("XGRAD_CHECKPOINT_HELPER");
  REQUIRE(path != nullptr);  // set by tests/CMakeLists.txt
  return path;
}

// Runs one leg of a training run in its own process.
void run_leg(const std::string& args) {
  const std::string command = "'" + helper() + "' " + args;
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A float model's checkpoint: its weights and buffers F32, its step counts F64.
std::map<std::string, std::vector<double>> tensors_of(const std::string& path,
                                                      io::Metadata* meta = nullptr) {
  std::map<std::string, std::vector<double>> out;
  const io::MixedTensors all = io::load_mixed(path, meta);
  for (const auto& [name, t] : all.f32) {
    const std::vector<float> v = t.to_vector();
    out[name].assign(v.begin(), v.end());
  }
  for (const auto& [name, t] : all.f64) out[name] = t.to_vector();
  return out;
}

}  // namespace

TEST_CASE("40 epochs straight == 20 epochs, save, new process, load, 20 more: bit for bit",
          "[checkpoint]") {
  for (const std::string optimizer : {"sgd", "adam", "rmsprop"}) {
    INFO("optimizer " << optimizer);
    const std::string straight = optimizer + "-straight.ckpt", half = optimizer + "-half.ckpt",
                      resumed = optimizer + "-resumed.ckpt", control = optimizer + "-control.ckpt";
    run_leg(optimizer + " 0 40 " + straight);
    run_leg(optimizer + " 0 20 " + half);
    run_leg(optimizer + " 20 40 " + resumed + " " + half);

    io::Metadata straight_meta, resumed_meta;
    const auto a = tensors_of(straight, &straight_meta), b = tensors_of(resumed, &resumed_meta);
    REQUIRE(a.size() == b.size());
    for (const auto& [name, values] : a) {
      INFO(name);
      REQUIRE(b.count(name));
      REQUIRE(b.at(name) == values);  // every parameter and optimizer buffer exactly equal
    }
    REQUIRE(resumed_meta == straight_meta);  // scheduler, options, generators, epoch
    REQUIRE(file_bytes(resumed) == file_bytes(straight));
    REQUIRE(tensors_of(half).at("model.0.weight") != a.at("model.0.weight"));  // it trained

    // The control: weights alone (a fresh optimizer, scheduler and generators) do not resume.
    run_leg(optimizer + " 20 40 " + control + " " + half + " --weights-only");
    REQUIRE(tensors_of(control).at("model.0.weight") != a.at("model.0.weight"));
  }
}

namespace {

// A small model with a Dropout (so it has a generator), Adam and StepLR, a few steps in.
struct Setup {
  nn::Sequential model{nn::Linear(2, 3), nn::Dropout(0.5, 3), nn::Linear(3, 2)};
  optim::Adam opt{model.parameters(), {0.01}};
  optim::StepLR sched{opt, 1, 0.5};

  void train(int steps) {
    const Tensor x = Tensor::randn({4, 2}, 5), y = Tensor::from({0, 1, 1, 0});
    for (int s = 0; s < steps; ++s) {
      opt.zero_grad();
      nn::cross_entropy(model(x), y).backward();
      opt.step();
      sched.step();
      xg::default_generator().next_u64();
    }
  }
};

// Everything a load may change (tests/checkpoint_snapshot.hpp).
struct Snapshot : xgtest::CheckpointSnapshot<float> {
  explicit Snapshot(const Setup& s) : CheckpointSnapshot(s.model, s.opt, &s.sched) {}
};

}  // namespace

TEST_CASE("the file uses PyTorch's names and layout", "[checkpoint]") {
  Setup s;
  s.train(2);
  io::save_checkpoint("layout.ckpt", s.model, s.opt, &s.sched, 2, {{"note", "hello"}});
  const io::FileInfo info = io::inspect("layout.ckpt");

  std::map<std::string, std::pair<std::string, std::vector<std::int64_t>>> entries;
  for (const auto& t : info.tensors) entries[t.name] = {t.dtype, t.shape};
  using E = std::pair<std::string, std::vector<std::int64_t>>;
  REQUIRE(entries.size() == 4 + 4 * 3);  // 4 parameters, each with exp_avg, exp_avg_sq, step
  REQUIRE(entries.at("model.0.weight") == E{"F32", {3, 2}});
  REQUIRE(entries.at("model.2.bias") == E{"F32", {2}});
  REQUIRE(entries.at("optimizer.state.0.exp_avg") == E{"F32", {3, 2}});
  REQUIRE(entries.at("optimizer.state.3.exp_avg_sq") == E{"F32", {2}});
  // PyTorch's 0-d step tensor, F64 (PyTorch's own with float64 as the default dtype): a count
  // is exact up to 2^53 (F32: 2^24).
  REQUIRE(entries.at("optimizer.state.2.step") == E{"F64", {}});

  const io::Metadata& m = info.metadata;
  REQUIRE(m.at("checkpoint.version") == "1");
  REQUIRE(m.at("epoch") == "2");
  REQUIRE(m.at("optimizer") == "Adam");
  // PyTorch's Adam param_groups; lr after two StepLR(step_size 1, gamma 0.5) steps: 0.01 / 4.
  REQUIRE(m.at("optimizer.param_groups") ==
          R"([{"amsgrad":false,"betas":[0.9,0.999],"eps":1e-08,"lr":0.0025,"weight_decay":0,)"
          R"("params":[0,1,2,3]}])");
  REQUIRE(m.at("scheduler") == "StepLR");
  REQUIRE(m.at("scheduler.state") ==
          R"({"last_epoch":2,"base_lrs":[0.01],"gamma":0.5,"step_size":1})");
  REQUIRE(m.at("generator.default") == xg::to_string(xg::default_generator().get_state()));
  REQUIRE(m.at("generator.model.1.generator") ==
          xg::to_string(s.model.named_generators().at(0).second->get_state()));
  REQUIRE(m.at("note") == "hello");
  REQUIRE(m.size() == 9);
  REQUIRE(xg::parse_generator_state(m.at("generator.default")) ==
          xg::default_generator().get_state());
}

TEST_CASE("load_checkpoint restores every object in place and returns epoch and metadata",
          "[checkpoint]") {
  Setup s;
  s.train(3);
  const Snapshot saved(s);
  io::save_checkpoint("restore.ckpt", s.model, s.opt, &s.sched, 3, {{"hidden", "3"}});
  s.train(4);  // every part moves on: weights, moments, steps, lr, epoch, generators
  REQUIRE_FALSE(Snapshot(s) == saved);

  const io::CheckpointInfo info = io::load_checkpoint("restore.ckpt", s.model, s.opt, &s.sched);
  REQUIRE(Snapshot(s) == saved);
  REQUIRE(info.epoch == 3);
  REQUIRE(info.metadata == io::Metadata{{"hidden", "3"}});

  // Into freshly built objects (different seeds and options): the same state.
  nn::Sequential model(nn::Linear(2, 3), nn::Dropout(0.5, 99), nn::Linear(3, 2));
  optim::AdamOptions other;
  other.lr = 0.5, other.amsgrad = false, other.beta1 = 0.1;
  optim::Adam opt(model.parameters(), other);
  optim::StepLR sched(opt, 7, 0.9);
  io::load_checkpoint("restore.ckpt", model, opt, &sched);
  REQUIRE(opt.lr(0) == s.opt.lr(0));
  REQUIRE(opt.param_groups()[0].options.beta1 == 0.9);
  REQUIRE(sched.state_dict().settings == s.sched.state_dict().settings);
  REQUIRE(model.named_generators().at(0).second->get_state() == saved.generators.at(1));

  // Without a scheduler, and in double precision (F64 tensors).
  xg::manual_seed(4);
  nn::SequentialD md(nn::LinearD(2, 2));
  optim::SGDD sgd(md.parameters(), {0.1, 0.9});
  (md(TensorD::ones({1, 2})).sum()).backward();
  sgd.step();
  io::save_checkpoint("double.ckpt", md, sgd, nullptr, 1);
  REQUIRE(io::inspect("double.ckpt").tensors.at(0).dtype == "F64");
  const auto buffer = sgd.state_dict().state.at(0).at("momentum_buffer").to_vector();
  optim::SGDD sgd2(md.parameters(), {0.1, 0.9});
  REQUIRE(io::load_checkpoint("double.ckpt", md, sgd2, nullptr).epoch == 1);
  REQUIRE(sgd2.state_dict().state.at(0).at("momentum_buffer").to_vector() == buffer);
}

TEST_CASE("a checkpoint that does not fit is refused by name and changes nothing", "[checkpoint]") {
  Setup s;
  s.train(2);
  io::save_checkpoint("good.ckpt", s.model, s.opt, &s.sched, 2);
  s.train(1);
  // Loads `path` into the objects `load` is given; a snapshot of `s` (and so of the default
  // generator) taken just before must hold after the refusal.
  const auto refused_by = [&](const std::function<void()>& load, const std::string& path,
                              const std::string& message) {
    INFO(path);
    const Snapshot before(s);
    REQUIRE_THROWS_WITH(load(), Contains("checkpoint '" + path + "': " + message) ||
                                    Contains("safetensors: '" + path + "': " + message));
    REQUIRE(Snapshot(s) == before);
  };
  const auto refused = [&](const std::string& path, const std::string& message) {
    refused_by([&] { io::load_checkpoint(path, s.model, s.opt, &s.sched); }, path, message);
  };

  SECTION("files that are not checkpoints") {
    refused("missing.ckpt", "cannot open");
    io::save(s.model, "model.safetensors");
    refused("model.safetensors", "not an xgrad checkpoint: no 'checkpoint.version'");
  }
  SECTION("objects that differ from the saved ones") {
    // All built first: building a layer draws from the default generator, and building a
    // scheduler sets its optimizer's learning rate.
    optim::SGD sgd(s.model.parameters(), {0.1});
    optim::StepLR step(sgd, 1, 0.5);
    optim::Adam adam(s.model.parameters(), {0.01});
    optim::ExponentialLR exp(adam, 0.9);
    nn::Sequential wider(nn::Linear(2, 4), nn::Dropout(0.5, 3), nn::Linear(4, 2));
    optim::Adam wider_adam(wider.parameters(), {});
    optim::StepLR wider_sched(wider_adam, 1, 0.5);
    const auto params = s.model.parameters();
    optim::Adam two_groups(std::vector<optim::ParamGroupSpec<float>>{{{params[0]}}, {{params[1]}}},
                           {});
    optim::StepLR two_sched(two_groups, 1, 0.5);
    nn::SequentialD md(nn::LinearD(2, 3), nn::DropoutD(0.5, 3), nn::LinearD(3, 2));
    optim::AdamD adam_d(md.parameters(), {});
    optim::StepLR sched_d(adam_d, 1, 0.5);
    optim::Adam no_sched(s.model.parameters(), {0.01});

    refused_by([&] { io::load_checkpoint("good.ckpt", s.model, sgd, &step); }, "good.ckpt",
               "it holds the state of optimizer 'Adam' but the optimizer given is 'SGD'");
    refused_by([&] { io::load_checkpoint("good.ckpt", s.model, s.opt, nullptr); }, "good.ckpt",
               "it holds the state of scheduler 'StepLR' but no scheduler was given");
    refused_by([&] { io::load_checkpoint("good.ckpt", s.model, adam, &exp); }, "good.ckpt",
               "it holds the state of scheduler 'StepLR' but the scheduler given is "
               "'ExponentialLR'");
    refused_by([&] { io::load_checkpoint("good.ckpt", wider, wider_adam, &wider_sched); },
               "good.ckpt",
               "model: load_state_dict: entry '0.weight' has shape [3,2] but the model expects "
               "[4,2]");
    refused_by([&] { io::load_checkpoint("good.ckpt", s.model, two_groups, &two_sched); },
               "good.ckpt",
               "Adam: load_state_dict: the state has 1 param groups but the optimizer has 2");
    refused_by([&] { io::load_checkpoint("good.ckpt", md, adam_d, &sched_d); }, "good.ckpt",
               "tensor 'model.0.weight' has dtype F32 but a double model needs F64");

    io::save_checkpoint("no-scheduler.ckpt", s.model, no_sched, nullptr, 0);
    refused("no-scheduler.ckpt", "it holds no scheduler state but scheduler 'StepLR' was given");
  }
  SECTION("tampered files") {
    io::Metadata good_meta;
    const io::MixedTensors good_all = io::load_mixed("good.ckpt", &good_meta);
    const auto good = good_all.f32;  // weights and buffers; the F64 step counts apart
    const auto tamper =
        [&](const std::string& name,
            const std::function<void(xg::nn::NamedTensors<float>&, io::Metadata&)>& change) {
          io::MixedTensors all = good_all;
          auto meta = good_meta;
          change(all.f32, meta);
          io::save(all, name, meta);
          return name;
        };
    using T = xg::nn::NamedTensors<float>;
    refused(tamper("version.ckpt", [](T&, io::Metadata& m) { m["checkpoint.version"] = "2"; }),
            "checkpoint format version '2', this xgrad reads version 1");
    refused(tamper("epoch.ckpt", [](T&, io::Metadata& m) { m["epoch"] = "2x"; }),
            "metadata 'epoch' must be a whole number >= 0, got '2x'");
    refused(tamper("no-epoch.ckpt", [](T&, io::Metadata& m) { m.erase("epoch"); }),
            "no 'epoch' in the metadata");
    refused(tamper("groups.ckpt",
                   [](T&, io::Metadata& m) { m["optimizer.param_groups"] = "[{\"lr\": "; }),
            "metadata 'optimizer.param_groups' is not valid JSON");
    // A repeated key: nlohmann's DOM would keep the last lr (1e300) silently.
    refused(tamper("twice.ckpt",
                   [](T&, io::Metadata& m) {
                     const std::string groups = m["optimizer.param_groups"];
                     m["optimizer.param_groups"] = groups.substr(0, groups.find('{') + 1) +
                                                   "\"lr\":1e300," +
                                                   groups.substr(groups.find('{') + 1);
                   }),
            "metadata 'optimizer.param_groups': the key \"lr\" appears twice in one object");
    refused(tamper("params.ckpt",
                   [](T&, io::Metadata& m) { m["optimizer.param_groups"] = "[{\"lr\": 1}]"; }),
            "optimizer.param_groups[0] is not an object with a \"params\" list");
    refused(tamper("option.ckpt",
                   [](T&, io::Metadata& m) {
                     m["optimizer.param_groups"] =
                         R"([{"amsgrad":false,"betas":[0.9,0.999],"eps":1e-08,"lr":"fast",)"
                         R"("weight_decay":0,"params":[0,1,2,3]}])";
                   }),
            "optimizer.param_groups[0].lr: \"fast\" is not a number, true/false or a list");
    refused(tamper("beta.ckpt",
                   [](T&, io::Metadata& m) {
                     m["optimizer.param_groups"] =
                         R"([{"amsgrad":false,"betas":[1.5,0.999],"eps":1e-08,"lr":0.01,)"
                         R"("weight_decay":0,"params":[0,1,2,3]}])";
                   }),
            "Adam: load_state_dict: param group 0: Adam: beta1 must be in [0, 1), got 1.5");
    refused(tamper("sched.ckpt",
                   [](T&, io::Metadata& m) {
                     m["scheduler.state"] =
                         R"({"last_epoch":2,"base_lrs":[0.01],"gamma":0.5,"step_size":0})";
                   }),
            "StepLR: load_state_dict: StepLR: step_size must be >= 1, got 0");
    refused(tamper("gen.ckpt",
                   [](T&, io::Metadata& m) {
                     m["generator.default"] =
                         "xoshiro256** 0000000000000000 0000000000000000 "
                         "0000000000000000 0000000000000000 none";
                   }),
            "metadata 'generator.default': Generator::set_state: all four xoshiro256** words are "
            "zero");
    refused(tamper("no-dropout-gen.ckpt",
                   [](T&, io::Metadata& m) { m.erase("generator.model.1.generator"); }),
            "no 'generator.model.1.generator' in the metadata");
    refused(tamper("extra-gen.ckpt",
                   [&](T&, io::Metadata& m) {
                     m["generator.model.7.generator"] = good_meta.at("generator.default");
                   }),
            "metadata 'generator.model.7.generator' names a generator the model does not have");
    refused(tamper("reserved.ckpt", [](T&, io::Metadata& m) { m["optimizer.foo"] = "1"; }),
            "unexpected metadata 'optimizer.foo'");
    refused(tamper("tensor.ckpt",
                   [](T& t, io::Metadata&) { t.emplace_back("extra", Tensor::zeros({1})); }),
            "unexpected tensor 'extra' (a checkpoint holds model.* and optimizer.state.*)");
    refused(tamper("index.ckpt",
                   [](T& t, io::Metadata&) {
                     t.emplace_back("optimizer.state.x.exp_avg", Tensor::zeros({1}));
                   }),
            "tensor 'optimizer.state.x.exp_avg' is not named optimizer.state.<parameter "
            "index>.<buffer>");
    refused(tamper("buffer.ckpt",
                   [](T& t, io::Metadata&) {
                     t.erase(std::find_if(t.begin(), t.end(), [](const auto& e) {
                       return e.first == "optimizer.state.1.exp_avg_sq";
                     }));
                   }),
            "Adam: load_state_dict: the state of parameter 1 has no 'exp_avg_sq'");
    // A fresh tensor with element 0 changed (the tensors of `good` share storage with copies).
    const auto set = [](T& t, const std::string& name, float value) {
      for (auto& [n, tensor] : t)
        if (n == name) {
          auto v = tensor.to_vector();
          v[0] = value;
          tensor = Tensor::from(v, tensor.shape());
        }
    };
    refused(tamper("nan-weight.ckpt",
                   [&](T& t, io::Metadata&) { set(t, "model.0.weight", std::nanf("")); }),
            "tensor 'model.0.weight' holds nan (element 0): not a finite number");
    refused(tamper("neg-sq.ckpt",
                   [&](T& t, io::Metadata&) { set(t, "optimizer.state.1.exp_avg_sq", -1); }),
            "Adam: load_state_dict: the state of parameter 1: 'exp_avg_sq' holds -1 (element 0), "
            "a negative sum of squares");
    refused(tamper("inf-avg.ckpt",
                   [&](T& t, io::Metadata&) { set(t, "optimizer.state.0.exp_avg", INFINITY); }),
            "Adam: load_state_dict: the state of parameter 0: 'exp_avg' holds inf (element 0), not "
            "a finite number");
    // The step counts: F64 0-d whole numbers below 2^53; F32 ones (older files) up to 2^24.
    const auto with_step = [&](const std::string& name, bool f64, double value,
                               const xg::Shape& shape = {}) {
      const std::string step = "optimizer.state.0.step";
      io::MixedTensors all = good_all;
      all.f64.erase(std::remove_if(all.f64.begin(), all.f64.end(),
                                   [&](const auto& e) { return e.first == step; }),
                    all.f64.end());
      const std::size_t n = shape.empty() ? 1 : shape[0];
      if (f64)
        all.f64.emplace_back(step, TensorD::from(std::vector<double>(n, value), shape));
      else
        all.f32.emplace_back(step, Tensor::from(std::vector<float>(n, float(value)), shape));
      io::save(all, name, good_meta);
      return name;
    };
    // 2^24 + 2 is a float, but an F32 step count above 2^24 may have been rounded.
    refused(with_step("step.ckpt", false, 16777218),
            "tensor 'optimizer.state.0.step' is F32 and holds 16777218, more than 2^24 = 16777216: "
            "an F32 step count above it may be rounded");
    // 2^53 is exact in F64, but the step after it could not be saved.
    refused(with_step("step53.ckpt", true, 9007199254740992.0),
            "tensor 'optimizer.state.0.step' holds 9007199254740992 steps: a checkpoint resumes "
            "from fewer than 2^53 = 9007199254740992");
    refused(with_step("step-half.ckpt", true, 2.5),
            "tensor 'optimizer.state.0.step' holds 2.5: a step count is a whole number >= 0");
    refused(with_step("step-neg.ckpt", true, -1),
            "tensor 'optimizer.state.0.step' holds -1: a step count is a whole number >= 0");
    refused(with_step("step-shape.ckpt", true, 3, {2}),
            "tensor 'optimizer.state.0.step' has shape [2]: a step count is 0-dimensional");
  }
}

TEST_CASE("a float model's step counts stay exact past 2^24: load, step and save agree",
          "[checkpoint]") {
  // A checkpoint as float ones were written before (every tensor F32), each parameter at
  // 2^24 - 1 = 16777215 steps: it loads, and two steps on (16777217 = 2^24 + 1, which no float
  // holds) it must still save, exactly.
  Setup s;
  s.train(2);
  io::save_checkpoint("big.ckpt", s.model, s.opt, &s.sched, 2);
  xg::nn::NamedTensors<float> old;
  for (const auto& [name, t] : s.model.state_dict()) old.emplace_back("model." + name, t);
  for (const auto& [index, buffers] : s.opt.state_dict().state)
    for (const auto& [name, t] : buffers)
      old.emplace_back("optimizer.state." + std::to_string(index) + "." + name,
                       name == "step" ? Tensor::scalar(16777215.0f) : t);
  io::save(old, "old-f32.ckpt", io::inspect("big.ckpt").metadata);

  Setup r;
  REQUIRE(io::load_checkpoint("old-f32.ckpt", r.model, r.opt, &r.sched).steps == 16777215);
  r.train(2);
  REQUIRE_NOTHROW(io::save_checkpoint("past.ckpt", r.model, r.opt, &r.sched, 4));
  const io::MixedTensors past = io::load_mixed("past.ckpt");
  REQUIRE(past.f32.size() == 4 + 4 * 2);  // weights, exp_avg, exp_avg_sq
  REQUIRE(past.f64.size() == 4);          // the step counts
  for (const auto& [name, t] : past.f64) {
    INFO(name);
    REQUIRE(t.shape().empty());
    REQUIRE(t.item() == 16777217.0);
  }
  // In memory, a count no float step tensor holds is in large_steps.
  const auto state = r.opt.state_dict();
  const std::map<std::size_t, std::uint64_t> counts{
      {0, 16777217}, {1, 16777217}, {2, 16777217}, {3, 16777217}};
  REQUIRE(state.large_steps == counts);
  REQUIRE_FALSE(state.state.at(0).count("step"));

  // Into new objects: the same state, and it steps on from the exact count.
  Setup t;
  REQUIRE(io::load_checkpoint("past.ckpt", t.model, t.opt, &t.sched).steps == 16777217);
  REQUIRE(Snapshot(t) == Snapshot(r));
  t.train(1);
  REQUIRE(t.opt.state_dict().large_steps.at(2) == 16777218);

  // 2^53 + 1 steps: more than an F64 count holds exactly; the save refuses, naming the file.
  auto huge = state;
  for (auto& [index, count] : huge.large_steps) count = (std::uint64_t(1) << 53) + 1;
  r.opt.load_state_dict(huge);
  std::remove("huge.ckpt");
  REQUIRE_THROWS_WITH(io::save_checkpoint("huge.ckpt", r.model, r.opt, &r.sched, 5),
                      Contains("save_checkpoint: 'huge.ckpt': parameter 0 has taken "
                               "9007199254740993 steps, more than 2^53 = 9007199254740992"));
  REQUIRE_FALSE(std::ifstream("huge.ckpt").good());
  for (const char* f : {"big.ckpt", "old-f32.ckpt", "past.ckpt"}) std::remove(f);
}

TEST_CASE("save_checkpoint refuses metadata keys it uses and a negative epoch", "[checkpoint]") {
  Setup s;
  REQUIRE_THROWS_WITH(
      io::save_checkpoint("bad.ckpt", s.model, s.opt, &s.sched, 0, {{"model.hidden", "3"}}),
      Contains("metadata key 'model.hidden' starts with a name the checkpoint uses"));
  REQUIRE_THROWS_WITH(
      io::save_checkpoint("bad.ckpt", s.model, s.opt, &s.sched, 0, {{"epoch", "3"}}),
      Contains("metadata key 'epoch'"));
  REQUIRE_THROWS_WITH(io::save_checkpoint("bad.ckpt", s.model, s.opt, &s.sched, -1),
                      Contains("epoch must be >= 0, got -1"));
  REQUIRE_FALSE(std::ifstream("bad.ckpt").good());
  // Keys that merely begin with the same letters are the caller's own.
  io::save_checkpoint("ok.ckpt", s.model, s.opt, &s.sched, 0, {{"epochs_planned", "40"}});
  REQUIRE(io::load_checkpoint("ok.ckpt", s.model, s.opt, &s.sched).metadata.at("epochs_planned") ==
          "40");
}
