// Small helpers shared by the tests.
#pragma once

#include <catch2/catch.hpp>
#include <xgrad/xgrad.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
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

// How many floats lie between a and b (0: equal; +0 and -0 count as equal; NaN: far away).
inline std::int64_t ulps_apart(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<std::int64_t>::max();
  const auto ordered = [](float f) {
    std::int32_t i;
    std::memcpy(&i, &f, sizeof f);
    return i < 0 ? -std::int64_t(i & 0x7fffffff) : std::int64_t(i);
  };
  return std::llabs(ordered(a) - ordered(b));
}

// float32 `got` is within `ulps` floats of the exact value `exact` rounded to float.
inline void require_ulps(float got, long double exact, std::int64_t ulps) {
  INFO("got " << got << ", exact " << double(exact) << " (" << ulps_apart(got, float(exact))
              << " ulps apart)");
  REQUIRE(ulps_apart(got, float(exact)) <= ulps);
}

}  // namespace xgtest
