#pragma once
// The backward of a dense layer from the gradient at its pre-activation, shared by linear and the
// fused linear_squared_error (internal header).

#include "autograd/node.hpp"
#include "tensor/precision.hpp"

namespace smallnet {

// For a node whose parents are (x, kernel, bias): dKernel = xᵀ·dZ, dBias = column sums of dZ and
// dx = dZ·kernelᵀ, each only where the parent wants it; the products in `precision`.
void linear_backward(Node& self, const Tensor& x, const Tensor& kernel, const Tensor& dz, Precision precision);

}  // namespace smallnet
