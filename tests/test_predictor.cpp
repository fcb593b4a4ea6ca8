// Tests for include/xgrad/predictor.hpp: a Predictor built from the file alone gives the
// network's own outputs, whatever the column order of the table, with class names, softmax
// probabilities and regression values in the target's units.
#include <catch2/catch.hpp>
#include <xgrad/activations/softmax.hpp>
#include <xgrad/core/autograd.hpp>
#include <xgrad/metrics.hpp>
#include <xgrad/predictor.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace xg;

namespace {

const char* kTrain =
    "width,colour,species\n"
    "1.0,red,alpha\n"
    "2.0,blue,beta\n"
    "3.5,red,gamma\n"
    "0.5,green,alpha\n"
    "2.5,blue,beta\n";

struct Saved {
  std::string path;
  io::ModelCard card;
  std::shared_ptr<nn::Module> net;
  Saved(const std::string& file, const std::string& target, data::Task task) : path(file) {
    const auto table = data::parse_csv(kTrain, "train.csv");
    const std::vector<std::size_t> rows{0, 1, 2, 3, 4};
    card.inputs = data::Preprocessor::fit(table, rows, {target}, {});
    card.target = data::Target::fit(table, target, task, rows);
    card.network.in = card.inputs.width();
    card.network.out = card.target.classification ? card.target.classes() : 1;
    card.network.hidden = {8};
    card.network.activation = "tanh";
    card.network.init = "xavier";
    net = io::build_mlp(card.network);  // PyTorch's default init: outputs differ per class
    io::save_model(*net, card, path);
  }
  ~Saved() { std::remove(path.c_str()); }
};

}  // namespace

TEST_CASE("Predictor: classes, probabilities, and the same answer on reordered columns",
          "[predictor]") {
  Saved s("t_pred_cls.safetensors", "species", data::Task::Auto);
  const Predictor p(s.path);
  const auto table = data::parse_csv(kTrain, "train.csv", p.csv_options());
  const Predictions r = p.predict(table);

  NoGradGuard no_grad;
  const Tensor direct = (*s.net)(s.card.inputs.transform(table));
  REQUIRE(r.outputs.to_vector() == direct.to_vector());
  REQUIRE(r.classes == metrics::predictions(direct));
  for (std::size_t i = 0; i < r.classes.size(); ++i)
    REQUIRE(r.labels[i] == s.card.target.class_names[std::size_t(r.classes[i])]);
  REQUIRE(r.probabilities.to_vector() == softmax(direct, 1).to_vector());

  // The same rows with the columns shuffled, an extra column and no target.
  const auto reordered = data::parse_csv(
      "colour,note,width\nred,x,1.0\nblue,y,2.0\nred,z,3.5\ngreen,w,0.5\nblue,v,2.5\n", "new.csv",
      p.csv_options());
  REQUIRE(reordered.skipped == std::vector<std::string>{"note"});
  REQUIRE(p.predict(reordered).outputs.to_vector() == r.outputs.to_vector());

  const auto missing = data::parse_csv("colour\nred\n", "gap.csv", p.csv_options());
  REQUIRE_THROWS_WITH(p.predict(missing), Catch::Contains("gap.csv: no column named 'width'"));
  const auto unseen = data::parse_csv("width,colour\n1,purple\n", "u.csv", p.csv_options());
  REQUIRE_THROWS_WITH(p.predict(unseen),
                      Catch::Contains("u.csv:2: column 2 ('colour'): 'purple' is not a category"));
  // --unknown ignore: colour's one-hot block is all zeros; the width is standardised as usual.
  const Tensor zeros = p.inputs(unseen, data::Unknown::Ignore);
  REQUIRE(zeros.to_vector()[1] + zeros.to_vector()[2] + zeros.to_vector()[3] == 0.0f);
  REQUIRE_THROWS_WITH(p.predict(Tensor::zeros({2, 3})), Catch::Contains("takes [N, 4]"));
}

TEST_CASE("Predictor: regression values in the target's units", "[predictor]") {
  Saved s("t_pred_reg.safetensors", "width", data::Task::Regression);
  const Predictor p(s.path);
  const auto table = data::parse_csv(kTrain, "train.csv", p.csv_options());
  const Predictions r = p.predict(table);
  const auto out = r.outputs.to_vector();
  REQUIRE(r.values.size() == 5);
  // width: mean 9.5 / 5 = 1.9; population variance (0.81 + 0.01 + 2.56 + 1.96 + 0.36) / 5 = 1.14.
  for (std::size_t i = 0; i < 5; ++i)
    REQUIRE(r.values[i] == Approx(out[i] * std::sqrt(1.14) + 1.9).epsilon(1e-6));
  REQUIRE(r.labels.empty());
}

TEST_CASE("Predictor reports file problems naming the file", "[predictor]") {
  REQUIRE_THROWS_WITH(Predictor("no_such_model.safetensors"),
                      Catch::Contains("no_such_model.safetensors"));
}

TEST_CASE("Predictor refuses non-finite weights and biases, naming the file and tensor",
          "[predictor]") {
  Saved s("t_pred_nan.safetensors", "species", data::Task::Auto);
  // The layers are 0 (Linear 4 -> 8), 1 (tanh), 2 (Linear 8 -> 3): one bad value in each kind.
  for (const auto& [tensor, value] :
       {std::pair<std::string, float>{"0.weight", std::nanf("")}, {"2.bias", INFINITY}}) {
    auto net = io::build_mlp(s.card.network);
    for (auto& [name, t] : net->state_dict())
      if (name == tensor) t.data().data()[1] = value;
    io::save_model(*net, s.card, s.path);
    REQUIRE_THROWS_WITH(Predictor(s.path),
                        Catch::Contains("t_pred_nan.safetensors: tensor '" + tensor + "' holds") &&
                            Catch::Contains("(element 1)"));
  }
}
