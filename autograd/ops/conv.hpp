#pragma once
// conv2d and conv2d_transpose on Vars: channels-last images, Keras' kernel layouts and padding, with
// the bias and the activation fused into the pass that writes the output (as linear does).

#include <cstdint>

#include "autograd/var.hpp"
#include "tensor/activation.hpp"
#include "tensor/conv.hpp"

namespace smallnet {

struct Conv2dOptions {
    std::int64_t stride_height = 1, stride_width = 1;
    Padding padding = Padding::valid;  // Keras' default
    Activation activation = Activation::linear;
    float negative_slope = 0.3f;       // for leaky_relu
};

// activation(conv(x, kernel) + bias): x [batch, height, width, in], kernel [kh, kw, in, out] (Keras'
// Conv2D layout), bias [out] or an empty Var for none; the result is [batch, out_h, out_w, out] with
// out_h = ceil(height / stride) for `same` and (height - kh) / stride + 1 for `valid`.
Var conv2d(const Var& x, const Var& kernel, const Var& bias, const Conv2dOptions& options = {});

// Keras' Conv2DTranspose: x [batch, height, width, in], kernel [kh, kw, out, in], bias [out]. The
// result is [batch, height * stride, width * stride, out] for `same` (height * stride + max(kh -
// stride, 0) for `valid`): the gradient of a strided conv2d with respect to its input, plus the bias.
Var conv2d_transpose(const Var& x, const Var& kernel, const Var& bias, const Conv2dOptions& options = {});

}  // namespace smallnet
