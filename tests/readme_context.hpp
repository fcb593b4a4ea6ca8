// The names README.md's code fragments use without declaring them: data, a model, two parameter
// groups, optimizers, a schedule, an epoch and losses. tests/readme_snippets.cmake compiles every
// fragment after these.
#pragma once

#include <xgrad/xgrad.hpp>

#include <vector>

namespace readme_context {

inline xg::nn::Sequential model(xg::nn::Linear(2, 8), xg::nn::PReLU(8), xg::nn::Linear(8, 3));
inline std::vector<xg::Tensor> weights{model.parameters()[0], model.parameters()[1]};
inline std::vector<xg::Tensor> alphas{model.parameters()[2]};
inline xg::Tensor task_loss = xg::Tensor::scalar(0);
inline xg::Tensor loss = xg::Tensor::scalar(0);
inline const xg::data::Dataset spiral = xg::data::spiral(10, 3, 7);
inline const xg::Tensor& X = spiral.x;
inline const xg::Tensor& y = spiral.y;
inline xg::optim::Adam opt(model.parameters(), {});
inline xg::optim::AdamW opt2(model.parameters(), {});
inline xg::optim::WarmupCosineLR schedule(opt2, 10, 200);
inline int epoch = 0;

}  // namespace readme_context
