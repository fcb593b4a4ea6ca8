// Links the installed library and checks one gradient: d/dx sum(x * x) = 2x.
#include <fmt/format.h>

#include <xgrad/xgrad.hpp>

int main() {
  xg::Tensor x = xg::Tensor::from({1.f, -2.f, 3.f}).requires_grad_();
  (x * x).sum().backward();
  const auto g = x.grad().to_vector();
  fmt::print("grad {}\n", x.grad());
  return g == std::vector<float>{2.f, -4.f, 6.f} ? 0 : 1;
}
