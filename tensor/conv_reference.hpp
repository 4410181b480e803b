#pragma once
// The plain scalar convolutions the fast ones are tested against: same contracts as tensor/conv.hpp,
// written as the defining sums, accumulated in double.

#include "tensor/conv.hpp"

namespace smallnet::reference {

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* kernel, float* y,
                    const ConvEpilogue& epilogue = {});
void conv2d_backward_input(const Conv2dGeometry& g, const float* dy, const float* kernel, float* dx, bool accumulate,
                           const ConvEpilogue& epilogue = {});
void conv2d_backward_kernel(const Conv2dGeometry& g, const float* x, const float* dy, float* dkernel, bool accumulate);

}  // namespace smallnet::reference
