// From a CSV table to predictions on new rows, in C++: read typed columns, split, fit the
// preprocessing on the training rows, train, save a self-describing model file, then load it
// once with xg::Predictor and predict a table whose columns come in another order.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <numeric>
#include <xgrad/xgrad.hpp>

using namespace xg;

int main() {
  // A small table: a text target, a categorical column (with a comma inside quotes), a missing
  // cell. Class k sits around length 1 + 2k.
  {
    std::ofstream f("flowers.csv");
    f << "length,colour,species\n";
    const char* names[] = {"setosa", "versicolor", "virginica"};
    const char* colours[] = {"red", "\"blue, dark\"", "green"};
    for (int i = 0; i < 150; ++i) {
      const int k = i % 3;
      f << (i == 7 ? std::string("NA") : std::to_string(1 + 2 * k + 0.05 * (i % 11))) << ','
        << colours[(k + (i % 4 == 0)) % 3] << ',' << names[k] << '\n';
    }
  }
  const data::Table table = data::read_csv("flowers.csv");
  std::vector<std::size_t> all(table.rows());
  std::iota(all.begin(), all.end(), std::size_t(0));
  // Classes from every row (the target's vocabulary); a regression target would be scaled with
  // the statistics of the rows given here.
  const data::Target target = data::Target::fit(table, "species", data::Task::Auto, all);
  const auto split = data::split_rows(table.rows(), 0.2, 0.0, /*seed*/ 1,
                                      target.class_indices(table));  // stratified
  const auto inputs = data::Preprocessor::fit(table, split.train, {"species"},
                                              {data::Impute::Median});  // fills the NA

  io::ModelCard card;
  card.inputs = inputs;
  card.target = target;
  card.network.in = inputs.width();  // length + 3 colours
  card.network.out = target.classes();
  card.network.hidden = {16};
  card.network.activation = "relu";
  manual_seed(3);
  auto model = io::build_mlp(card.network);
  optim::Adam opt(model->parameters(), {/*lr*/ 1e-2});
  const Tensor x = inputs.transform(table, split.train), y = target.transform(table, split.train);
  for (int epoch = 0; epoch < 100; ++epoch)
    for (auto [xb, yb] : data::batches(x, y, 30, epoch)) {
      opt.zero_grad();
      Tensor loss = nn::cross_entropy((*model)(xb), yb);
      loss.backward();
      opt.step();
    }
  io::save_model(*model, card, "flowers.safetensors");

  // Later, elsewhere: the file alone. The columns come in another order and the target is absent.
  {
    std::ofstream f("new_flowers.csv");
    f << "colour,length\nred,1.1\ngreen,5.2\n\"blue, dark\",3.0\n";
  }
  const Predictor predictor("flowers.safetensors");
  const data::Table fresh = data::read_csv("new_flowers.csv", predictor.csv_options());
  const Predictions p = predictor.predict(fresh);
  for (std::size_t i = 0; i < fresh.rows(); ++i)
    fmt::print("row {}: {} (p = {:.3f})\n", i + 1, p.labels[i],
               p.probabilities.at(i, std::size_t(p.classes[i])));
  const Tensor held_out = inputs.transform(table, split.test);
  const double accuracy =
      metrics::accuracy(predictor.predict(held_out).outputs, target.transform(table, split.test));
  fmt::print("held-out accuracy {:.3f}\n", accuracy);
  std::remove("flowers.csv");
  std::remove("new_flowers.csv");
  std::remove("flowers.safetensors");
  return p.labels == std::vector<std::string>{"setosa", "virginica", "versicolor"} ? 0 : 1;
}
