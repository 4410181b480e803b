#pragma once
// Activation: the element-wise functions a layer applies to its output, shared by the GEMM epilogue
// and the element-wise kernels so both compute the same values.

#include <string_view>

namespace smallnet {

enum class Activation {
    linear,      // identity
    relu,        // max(x, 0); its gradient at 0 is taken as 0 (as PyTorch and TensorFlow do)
    leaky_relu,  // x if x > 0 else slope * x (Keras' default slope is 0.3, PyTorch's 0.01)
    sigmoid,     // 1 / (1 + exp(-x)), computed so it stays finite for any x
    tanh,
    softplus,    // log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it never overflows
    softmax,     // exp(x) / Σ exp(x) over the last axis: not element-wise, so the products (gemm, the
                 // convolutions) compute the linear part and apply it to the finished rows
};

std::string_view activation_name(Activation activation);
// Parses "linear", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "softmax"; throws
// std::invalid_argument.
Activation parse_activation(std::string_view name);

}  // namespace smallnet
