#pragma once
// matmul and the fused dense-layer op linear(x, W, b, activation) on Vars.

#include "autograd/var.hpp"
#include "tensor/activation.hpp"

namespace smallnet {

// [m, k] · [k, n] -> [m, n]. The backward uses the GEMM's transpose flags (no transposed copies).
Var matmul(const Var& a, const Var& b);

// activation(x · kernel + bias): x [batch, in], kernel [in, out], bias [out] or an empty Var for none.
// One GEMM whose epilogue adds the bias and applies the activation while the tile is in cache; the
// backward is dZ = dY · activation'(Z), then dKernel = xᵀ·dZ, dBias = column sums of dZ, dx = dZ·kernelᵀ.
Var linear(const Var& x, const Var& kernel, const Var& bias, Activation activation = Activation::linear,
           float negative_slope = 0.3f);

}  // namespace smallnet
