#pragma once
// The element-wise functions on Vars: activations (relu, leaky_relu, sigmoid, tanh, softplus) and
// math (exp, log, square, sqrt, abs). Gradients at kinks: relu'(0) = 0, leaky_relu'(0) = slope,
// abs'(0) = 0. sigmoid and softplus stay finite for any input (softplus = max(x,0) + log1p(exp(-|x|))).

#include "autograd/var.hpp"
#include "tensor/activation.hpp"

namespace smallnet {

Var relu(const Var& x);
Var leaky_relu(const Var& x, float negative_slope = 0.3f);
Var sigmoid(const Var& x);
Var tanh(const Var& x);
Var softplus(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var square(const Var& x);
Var sqrt(const Var& x);
Var abs(const Var& x);
// The activation by name (linear returns x itself).
Var activate(Activation activation, const Var& x, float negative_slope = 0.3f);

}  // namespace smallnet
