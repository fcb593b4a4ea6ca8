// libFuzzer target: the model file (xg::Predictor: io::inspect, read_model_card, build_mlp,
// io::load), what `xgrad predict` and `xgrad eval` read. Any input must either load or be
// refused with std::runtime_error naming the file; a loaded model must then predict two rows of
// zeros with outputs of the card's shape. A crash, a sanitizer report, another exception
// (std::bad_alloc included: a file must not make the reader allocate more than it holds), a leak
// or a hang is a finding. The seeds (corpus/model/) are `xgrad train --save` files.
#include <xgrad/predictor.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "fuzz_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const xgfuzz::TempFile file("model");
  file.write(data, size);
  std::unique_ptr<xg::Predictor> predictor;
  try {
    predictor = std::make_unique<xg::Predictor>(file.path());
  } catch (const std::runtime_error&) {
    return 0;  // refused with a message: the expected outcome for most inputs
  }
  const xg::io::MlpSpec& spec = predictor->card().network;
  const xg::Predictions p = predictor->predict(xg::Tensor::zeros({2, spec.in}));
  if (p.outputs.shape() != xg::Shape{2, spec.out}) std::abort();
  if (predictor->card().target.classification != (p.labels.size() == 2)) std::abort();
  return 0;
}
