#pragma once
// matmul and the fused dense-layer op linear(x, W, b, activation) on Vars.

#include "autograd/var.hpp"
#include "tensor/activation.hpp"
#include "tensor/precision.hpp"

namespace smallnet {

// [m, k] · [k, n] -> [m, n]. The backward uses the GEMM's transpose flags (no transposed copies).
Var matmul(const Var& a, const Var& b);

// activation(x · kernel + bias): x [batch, in], kernel [in, out], bias [out] or an empty Var for none.
// One GEMM whose epilogue adds the bias and applies the activation while the tile is in cache; the
// backward is dZ = dY · activation'(Z), then dKernel = xᵀ·dZ, dBias = column sums of dZ, dx = dZ·kernelᵀ.
// `precision` is that of the three products (tensor/precision.hpp); the rest is fp32.
Var linear(const Var& x, const Var& kernel, const Var& bias, Activation activation = Activation::linear,
           float negative_slope = 0.3f, Precision precision = Precision::fp32);

// mean((activation(x · kernel + bias) - target)²): a model's last dense layer and its mse loss as one
// op. The pass that sums the loss also writes the gradient at the pre-activation, so the backward goes
// straight to the products (no loss-gradient or activation-derivative passes over the output). The
// value is mean_squared_error(linear(...), target)'s; softplus takes that unfused route.
Var linear_squared_error(const Var& x, const Var& kernel, const Var& bias, Activation activation, const Tensor& target,
                         float negative_slope = 0.3f, Precision precision = Precision::fp32);

}  // namespace smallnet
