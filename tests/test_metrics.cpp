// Tests for include/xgrad/metrics.hpp. Expected values are hand-counted from the inputs.
#include <catch2/catch.hpp>
#include <xgrad/metrics.hpp>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

using namespace xg;
using metrics::Scores;

TEST_CASE("accuracy: argmax for [N, C], first maximum on ties", "[metrics]") {
  // argmax per row: 2, 0, 1, 0 (the tie in row 3 goes to the first index, as torch.argmax).
  const Tensor logits = Tensor::from({0.1f, 0.2f, 0.9f,  //
                                      5.0f, -1.f, 2.0f,  //
                                      -3.f, 0.0f, -1.f,  //
                                      1.0f, 1.0f, 0.0f},
                                     {4, 3});
  REQUIRE(metrics::predictions(logits) == std::vector<std::int64_t>{2, 0, 1, 0});
  REQUIRE(metrics::accuracy(logits, Tensor::from({2, 0, 1, 1})) == Approx(0.75));
  REQUIRE(metrics::accuracy(logits, Tensor::from({2, 0, 1, 0}, {4, 1})) == 1.0);
  REQUIRE(metrics::accuracy(logits.to<double>(), TensorD::from({0, 0, 0, 0})) == Approx(0.5));
}

TEST_CASE("predictions: a NaN output counts as the largest, as torch.argmax", "[metrics]") {
  const float nan = std::nanf("");
  const Tensor logits = Tensor::from({0, nan, 5,    //
                                      nan, 1, nan,  //
                                      1, 2, nan},
                                     {3, 3});
  REQUIRE(metrics::predictions(logits) == std::vector<std::int64_t>{1, 0, 2});
  REQUIRE(metrics::accuracy(logits, Tensor::from({2, 0, 2})) == Approx(2.0 / 3));
}

TEST_CASE("accuracy: binary outputs use logit > 0 or probability > 0.5", "[metrics]") {
  const Tensor scores = Tensor::from({-0.2f, 0.3f, 0.7f, 0.5f}, {4, 1});
  const Tensor labels = Tensor::from({0, 1, 1, 1});
  // As logits: 0, 1, 1, 1 -> all four right. As probabilities: 0, 0, 1, 0 -> two right.
  REQUIRE(metrics::predictions(scores) == std::vector<std::int64_t>{0, 1, 1, 1});
  REQUIRE(metrics::accuracy(scores, labels) == 1.0);
  REQUIRE(metrics::predictions(scores, Scores::Probabilities) ==
          std::vector<std::int64_t>{0, 0, 1, 0});
  REQUIRE(metrics::accuracy(scores, labels, Scores::Probabilities) == Approx(0.5));
  REQUIRE(metrics::accuracy(scores.reshape({4}), labels) == 1.0);  // [N] works too
}

TEST_CASE("accuracy errors", "[metrics]") {
  REQUIRE_THROWS_WITH(metrics::accuracy(Tensor::zeros({4, 3}), Tensor::zeros({5})),
                      Catch::Contains("[4,3]") && Catch::Contains("[5]"));
  REQUIRE_THROWS_WITH(metrics::accuracy(Tensor::zeros({2, 3}), Tensor::from({0.5f, 1})),
                      Catch::Contains("not a class index"));
  REQUIRE_THROWS_WITH(metrics::accuracy(Tensor::zeros({2, 3}), Tensor::from({-1.f, 1})),
                      Catch::Contains("not a class index"));
}

TEST_CASE("confusion matrix: rows are truth, columns predictions", "[metrics]") {
  // truth:     0 0 1 1 1 2
  // predicted: 0 1 1 1 2 2
  const auto cm = metrics::confusion_matrix({0, 1, 1, 1, 2, 2}, {0, 0, 1, 1, 1, 2}, 3);
  REQUIRE(cm.counts == std::vector<std::size_t>{1, 1, 0,  //
                                                0, 2, 1,  //
                                                0, 0, 1});
  REQUIRE(cm(1, 2) == 1);
  REQUIRE(cm.total() == 6);
  REQUIRE(cm.accuracy() == Approx(4.0 / 6.0));
  REQUIRE(cm.recall(1) == Approx(2.0 / 3.0));
  REQUIRE(cm.precision(2) == Approx(0.5));
  REQUIRE_THAT(cm.str(), Catch::Contains("recall") && Catch::Contains("66.7%"));

  const Tensor logits = Tensor::from({1, 0, 0, 1, 0, 1}, {3, 2});  // predictions 0, 1, 1
  const auto cm2 = metrics::confusion_matrix(logits, Tensor::from({0, 0, 1}), 2);
  REQUIRE(cm2.counts == std::vector<std::size_t>{1, 1, 0, 1});
  REQUIRE_THROWS_WITH(metrics::confusion_matrix({0, 3}, {0, 1}, 3),
                      Catch::Contains("outside [0, 3)"));
}

TEST_CASE("RunningMean weights each batch by its size", "[metrics]") {
  metrics::RunningMean m;
  REQUIRE(m.mean() == 0.0);
  m.add(2.0, 3);                   // three samples with mean loss 2
  m.add(Tensor::scalar(5.0f), 1);  // one sample with loss 5
  REQUIRE(m.mean() == Approx((2.0 * 3 + 5.0) / 4));
  REQUIRE(m.count() == 4);
  m.reset();
  REQUIRE(m.count() == 0);
}

TEST_CASE("per-class precision, recall, F1 and support; tables labelled with names", "[metrics]") {
  // truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2:
  //   class 0: precision 2/2, recall 2/3, F1 = 2·1·(2/3) / (5/3) = 0.8, support 3
  //   class 1: precision 1/2, recall 1/2, F1 = 0.5, support 2
  //   class 2: precision 1/2, recall 1/1, F1 = 2·0.5 / 1.5 = 2/3, support 1
  const auto cm = metrics::confusion_matrix({0, 0, 1, 1, 2, 2}, {0, 0, 0, 1, 1, 2}, 3);
  REQUIRE(cm.f1(0) == Approx(0.8));
  REQUIRE(cm.f1(1) == Approx(0.5));
  REQUIRE(cm.f1(2) == Approx(2.0 / 3));
  REQUIRE(cm.support(0) == 3);
  REQUIRE(cm.support(2) == 1);
  // No prediction and no sample of class 3: every score is 0 (scikit-learn's zero_division=0).
  const auto empty = metrics::confusion_matrix({0, 0}, {0, 0}, 4);
  REQUIRE(empty.f1(3) == 0.0);
  const std::vector<std::string> names{"setosa", "versicolor", "virginica"};
  const std::string table = cm.str(names);
  REQUIRE_THAT(table, Catch::Contains("versicolor") && Catch::Contains("66.7%"));
  const std::string report = cm.report(names);
  REQUIRE_THAT(report, Catch::Contains("setosa") && Catch::Contains("100.00%") &&
                           Catch::Contains("80.00%") && Catch::Contains("66.67% of 6"));
  REQUIRE_THROWS_WITH(cm.str({"a"}), Catch::Contains("1 names for 3 classes"));
}

TEST_CASE("regression scores: RMSE, MAE, R² (scikit-learn's definitions)", "[metrics]") {
  // truth 1 2 3 4, predicted 1 2 3 6: residuals 0 0 0 2.
  // RMSE = sqrt(4/4) = 1, MAE = 2/4 = 0.5, SS_tot = 5, R² = 1 - 4/5 = 0.2.
  const auto s = metrics::regression_scores({1, 2, 3, 6}, {1, 2, 3, 4});
  REQUIRE(s.rmse == Approx(1.0));
  REQUIRE(s.mae == Approx(0.5));
  REQUIRE(s.r2 == Approx(0.2));
  REQUIRE(metrics::regression_scores({5, 5}, {5, 5}).r2 == 1.0);  // constant truth, exact
  REQUIRE(metrics::regression_scores({4, 5}, {5, 5}).r2 == 0.0);
  // A constant truth whose value is not exact in binary: the mean summed as t/n rounds off it,
  // which left SS_tot about 1e-29 and R² about -1e26; scikit-learn's r2_score gives 0.
  const std::vector<double> constant(89, 150.9999999279275);
  std::vector<double> predicted(89, 160.25);
  predicted[3] = 140.5;
  REQUIRE(metrics::regression_scores(predicted, constant).r2 == 0.0);
  REQUIRE_THROWS_WITH(metrics::regression_scores({}, {}), Catch::Contains("at least 1"));
}

TEST_CASE("accuracy refuses labels that are not classes of the outputs", "[metrics]") {
  const Tensor logits = Tensor::zeros({2, 3});
  // Unchecked, label 7 of 3 classes silently counted as a miss.
  REQUIRE_THROWS_WITH(
      metrics::accuracy(logits, Tensor::from({0.f, 7.f})),
      Catch::Contains("accuracy: label 7 of row 1 is not a class of outputs [2,3]"));
  REQUIRE_THROWS_WITH(metrics::accuracy(Tensor::zeros({2, 1}), Tensor::from({0.f, 2.f})),
                      Catch::Contains("label 2"));
}

TEST_CASE("confusion matrix cells and the class count are checked", "[metrics]") {
  const auto m = metrics::confusion_matrix(std::vector<std::int64_t>{0, 1},
                                           std::vector<std::int64_t>{0, 0}, 2);
  REQUIRE(m(0, 1) == 1);
  REQUIRE_THROWS_AS(m(2, 0), std::out_of_range);
  REQUIRE_THROWS_WITH(m(0, 5), Catch::Contains("(0, 5) is out of range for 2 classes"));
  REQUIRE_THROWS_AS(m.recall(3), std::out_of_range);
  REQUIRE_THROWS_AS(metrics::confusion_matrix(std::vector<std::int64_t>{0},
                                              std::vector<std::int64_t>{0}, std::size_t(1) << 32),
                    std::length_error);
}
