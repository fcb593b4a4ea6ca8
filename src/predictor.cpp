#include "xgrad/predictor.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "xgrad/activations/softmax.hpp"
#include "xgrad/core/autograd.hpp"
#include "xgrad/metrics.hpp"
#include "xgrad/ops/shape.hpp"

namespace xg {
namespace {

// io::load accepts any float (a diverged run's weights must stay loadable for inspection), but
// a NaN or infinite parameter makes every prediction NaN: refused here, naming the tensor.
void require_finite(const nn::Module& network, const std::string& path) {
  for (const auto& [name, tensor] : network.state_dict()) {
    const std::vector<float> values = tensor.to_vector();
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw std::runtime_error(fmt::format(
            "{}: tensor '{}' holds {} (element {}): a model with non-finite parameters predicts "
            "NaN (a diverged training run?)",
            path, name, values[i], i));
  }
}

}  // namespace

Predictor::Predictor(const std::string& model_path) {
  const io::FileInfo info = io::inspect(model_path);
  card_ = io::read_model_card(info, model_path);
  network_ = io::build_mlp(card_.network);
  io::load(*network_, model_path);
  require_finite(*network_, model_path);
  network_->eval();
}

data::CsvOptions Predictor::csv_options(bool with_target) const {
  data::CsvOptions o = card_.inputs.csv_options();
  if (with_target) {
    o.columns.push_back(card_.target.name);
    o.kinds[card_.target.name] = card_.target.kind();
  }
  return o;
}

Tensor Predictor::inputs(const data::Table& table, data::Unknown unknown) const {
  return card_.inputs.transform(table, unknown);
}

Predictions Predictor::predict(const data::Table& table, data::Unknown unknown) const {
  return predict(inputs(table, unknown));
}

Predictions Predictor::predict(const Tensor& x) const {
  if (x.dim() != 2 || x.size(1) != card_.network.in)
    throw std::invalid_argument(
        fmt::format("Predictor::predict: inputs of shape {}, the model "
                    "takes [N, {}]",
                    shape_str(x.shape()), card_.network.in));
  NoGradGuard no_grad;
  // In blocks of rows, so that a large table's hidden activations never exist all at once.
  constexpr long kBlock = 4096;
  std::vector<Tensor> blocks;
  const long n = long(x.size(0));
  for (long start = 0; start < n; start += kBlock)
    blocks.push_back((*network_)(slice(x, 0, start, std::min(n, start + kBlock))));
  Predictions p;
  p.outputs = blocks.size() == 1 ? blocks[0]
              : blocks.empty()   ? Tensor::zeros({0, card_.network.out})
                                 : concat(blocks, 0);
  const data::Target& t = card_.target;
  if (t.classification) {
    p.probabilities = softmax(p.outputs, 1);
    p.classes = metrics::predictions(p.outputs);
    for (auto c : p.classes) p.labels.push_back(t.class_names.at(std::size_t(c)));
  } else {
    for (float v : p.outputs.to_vector()) p.values.push_back(double(v) * t.scale + t.mean);
  }
  return p;
}

}  // namespace xg
