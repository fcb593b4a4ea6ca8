// gradcheck: compares the gradients backward computes with central finite differences, in
// double precision, for every element of every tensor that requires grad.
//
//   auto report = xg::gradcheck([](const std::vector<TensorD>& in) { return xg::selu(in[0]).sum();
//   },
//                               {TensorD::randn({4, 5}, 1).requires_grad_()});
//   REQUIRE(report.ok());  // report.message() names input, element, analytic and numeric values
//
// The function may return a tensor of any shape: the whole Jacobian is checked (one backward per
// output element, two evaluations per input element). Defaults are PyTorch's
// (torch.autograd.gradcheck): eps 1e-6, atol 1e-5, rtol 1e-3; an entry passes when
// |analytic - numeric| <= atol + rtol * |numeric|.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "xgrad/core/tensor.hpp"

namespace xg {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  std::size_t max_failures = 10;  // failures recorded in the report
};

struct GradcheckFailure {
  std::size_t input;    // which tensor (position in the list)
  std::size_t element;  // flat (row-major) index in that tensor
  std::size_t output;   // flat index of the output element
  double analytic, numeric;
};

struct GradcheckReport {
  std::vector<GradcheckFailure> failures;
  std::size_t checked = 0;  // Jacobian entries compared
  std::string error;        // set when the function or its backward threw
  bool ok() const { return failures.empty() && error.empty(); }
  // A readable summary: "gradcheck failed: input 0, element 3 (output 0): analytic 1.5 vs
  // numeric 1.0 ..."
  std::string message() const;
};

// Checks f(inputs) with respect to each input that requires grad.
GradcheckReport gradcheck(const std::function<TensorD(const std::vector<TensorD>&)>& f,
                          const std::vector<TensorD>& inputs, const GradcheckOptions& options = {});

// Checks f() with respect to `params` (e.g. a module's parameters()), which f reads itself.
GradcheckReport gradcheck(const std::function<TensorD()>& f, const std::vector<TensorD>& params,
                          const GradcheckOptions& options = {});

}  // namespace xg
