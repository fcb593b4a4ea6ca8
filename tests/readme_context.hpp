// The names README.md's code fragments use without declaring them: a model, two parameter groups
// and a loss. tests/readme_snippets.cmake compiles every fragment after these.
#pragma once

#include <xgrad/xgrad.hpp>

#include <vector>

namespace readme_context {

inline xg::nn::Sequential model(xg::nn::Linear(2, 8), xg::nn::PReLU(8), xg::nn::Linear(8, 3));
inline std::vector<xg::Tensor> weights{model.parameters()[0], model.parameters()[1]};
inline std::vector<xg::Tensor> alphas{model.parameters()[2]};
inline xg::Tensor task_loss = xg::Tensor::scalar(0);

}  // namespace readme_context
