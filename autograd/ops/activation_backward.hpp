#pragma once
// The gradient through a fused activation, shared by the ops that apply one in their epilogue
// (linear, conv2d, conv2d_transpose); internal header.

#include "tensor/activation.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// Whether the op must keep its pre-activation z for the backward: only softplus, whose derivative
// cannot be read from its output. relu/leaky_relu'(z) follow from y's sign (y > 0 exactly when
// z > 0) and sigmoid'/tanh' are functions of y.
inline bool activation_needs_preactivation(Activation activation) { return activation == Activation::softplus; }

// gradient *= activation'(z), in place: from `preactivation` when the op kept it, else from `output`.
void activation_backward_in_place(Activation activation, const Tensor& preactivation, const Tensor& output,
                                  Tensor& gradient, float negative_slope);

}  // namespace smallnet
