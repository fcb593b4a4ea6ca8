// Small helpers shared by the tests.
#pragma once

#include <catch2/catch.hpp>
#include <xgrad/xgrad.hpp>

#include <functional>
#include <vector>

namespace xgtest {

using xg::Tensor;
using xg::TensorD;

// Fails with gradcheck's own explanation (input, element, analytic, numeric).
inline void require_gradcheck(const std::function<TensorD(const std::vector<TensorD>&)>& f,
                              const std::vector<TensorD>& inputs,
                              const xg::GradcheckOptions& o = {}) {
  const auto report = xg::gradcheck(f, inputs, o);
  INFO(report.message());
  REQUIRE(report.ok());
  REQUIRE(report.checked > 0);
}

// The form for a callable that closes over its parameters (a module's forward).
inline void require_gradcheck(const std::function<TensorD()>& f, const std::vector<TensorD>& params,
                              const xg::GradcheckOptions& o = {}) {
  const auto report = xg::gradcheck(f, params, o);
  INFO(report.message());
  REQUIRE(report.ok());
  REQUIRE(report.checked > 0);
}

// A double tensor of the given shape with N(0,1) values that requires grad.
inline TensorD randd(const xg::Shape& shape, std::uint64_t seed) {
  return TensorD::randn(shape, seed).requires_grad_();
}

template <class T>
void require_values(const xg::BasicTensor<T>& t, const std::vector<double>& expected,
                    double tol = 1e-6) {
  REQUIRE(t.numel() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("element " << i);
    REQUIRE(double(t.data().data()[i]) == Approx(expected[i]).margin(tol));
  }
}

}  // namespace xgtest
