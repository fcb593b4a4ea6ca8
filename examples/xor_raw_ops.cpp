// XOR from raw ops: a 2-4-1 sigmoid network written with tensors and autograd alone (no nn
// layers), trained by plain gradient descent. XOR is not linearly separable: without the hidden
// non-linearity no weights could fit it.
#include <xgrad/xgrad.hpp>

using xg::Tensor;

// 1 / (1 + e^-z) composed from primitive ops (the activation catalogue has a fused version).
Tensor sigmoid(const Tensor& z) { return 1.0f / (1.0f + xg::exp(-z)); }

int main() {
  const Tensor x = Tensor::from({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
  const Tensor y = Tensor::from({0, 1, 1, 0}, {4, 1});

  // Parameters: small random weights (fixed seeds, so every run prints the same numbers).
  Tensor w1 = Tensor::randn({2, 4}, /*seed=*/1).requires_grad_();
  Tensor b1 = Tensor::zeros({4}).requires_grad_();
  Tensor w2 = Tensor::randn({4, 1}, /*seed=*/2).requires_grad_();
  Tensor b2 = Tensor::zeros({1}).requires_grad_();
  const float lr = 1.0f;

  for (int epoch = 0; epoch <= 2000; ++epoch) {
    const Tensor hidden = sigmoid(xg::matmul(x, w1) + b1);  // [4,4], b1 broadcasts over rows
    const Tensor out = sigmoid(xg::matmul(hidden, w2) + b2);
    const Tensor loss = ((out - y) * (out - y)).mean();  // mean squared error
    for (Tensor* p : {&w1, &b1, &w2, &b2}) p->zero_grad();
    loss.backward();
    {
      xg::NoGradGuard no_grad;  // the update itself is not part of the graph
      for (Tensor* p : {&w1, &b1, &w2, &b2}) p->add_(p->grad(), -lr);  // p -= lr * grad
    }
    if (epoch % 250 == 0) fmt::print("epoch {:4d}  loss {:.6f}\n", epoch, loss.item());
  }

  xg::NoGradGuard no_grad;
  const Tensor out = sigmoid(xg::matmul(sigmoid(xg::matmul(x, w1) + b1), w2) + b2);
  fmt::print("predictions {}\n", out.reshape({4}));
  int correct = 0;
  for (std::size_t i = 0; i < 4; ++i) correct += (out.at(i, 0) > 0.5f) == (y.at(i, 0) > 0.5f);
  fmt::print("accuracy {}/4\n", correct);
  return correct == 4 ? 0 : 1;
}
