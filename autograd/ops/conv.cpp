#include "autograd/ops/conv.hpp"

#include <string>

#include "autograd/op.hpp"
#include "autograd/ops/activation_backward.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {

// Checks the kernel [kh, kw, a, b] and bias [bias_size] against x's channels, for error messages
// that name the op and both shapes.
void check_operands(const char* op, const Var& x, const Var& kernel, const Var& bias, std::int64_t kernel_input_axis,
                    std::int64_t kernel_output_axis) {
    if (x.shape().rank() != 4) throw_shape_error(op, x.shape(), "the input must be rank 4 [batch, height, width, channels]");
    const Shape& k = kernel.shape();
    if (k.rank() != 4) throw_shape_error(op, k, "the kernel must be rank 4 [height, width, in, out]");
    if (k[kernel_input_axis] != x.shape()[3])
        throw_shape_error(op, x.shape(), k,
                          "the input has " + std::to_string(x.shape()[3]) + " channels but the kernel takes " +
                              std::to_string(k[kernel_input_axis]));
    if (bias.defined() && (bias.shape().rank() != 1 || bias.shape()[0] != k[kernel_output_axis]))
        throw_shape_error(op, bias.shape(), k, "the bias needs one value per output channel");
}

// Softmax is over the channels, not per element: the convolution runs linear and softmax follows.
Conv2dOptions without_activation(Conv2dOptions o) {
    o.activation = Activation::linear;
    return o;
}

// dz = dy * activation'(z) in place over the node's gradient (dropped after its backward).
Tensor preactivation_gradient(Node& self, Activation activation, const Tensor& z, const Tensor& y, float slope) {
    self.gradient();
    Tensor dz = self.grad;
    activation_backward_in_place(activation, z, y, dz, slope);
    return dz;
}

// dBias = the sum of dz over the batch and the pixels. With few channels, sum_to's column sums would
// walk a mostly empty vector per pixel, so dz is summed as rows of 64 values (several pixels each),
// then the 64 sums are folded into the channels (in a fixed order: the same for any thread count).
void bias_gradient(Node& self, const Tensor& dz) {
    if (!self.parent_needs_grad(2)) return;
    auto target = self.gradient_target(2);
    constexpr std::int64_t width = 64;
    const std::int64_t channels = dz.size(-1);
    if (width % channels != 0 || dz.numel() % width != 0 || dz.numel() == 0)
        return sum_to(dz, target.tensor, target.accumulate);
    Tensor sums(Shape{width});
    sum_to(dz.reshape({-1, width}), sums, false);
    float* out = target.tensor.data();
    for (std::int64_t c = 0; c < channels; ++c) {
        double total = 0.0;
        for (std::int64_t k = c; k < width; k += channels) total += sums.data()[k];
        out[c] = static_cast<float>(target.accumulate ? out[c] + total : total);
    }
}

// The output and, when the activation's derivative needs it, the pre-activation (see linear).
struct Activated {
    Tensor z, y;
};
template <class Compute>
Activated compute_activated(const Shape& shape, const Conv2dOptions& o, const Tensor* bias, Compute compute) {
    Activated result;
    result.y = Tensor(shape);
    if (activation_needs_preactivation(o.activation)) {
        result.z = Tensor(shape);
        compute(result.z.data(), ConvEpilogue{bias ? bias->data() : nullptr, Activation::linear, o.negative_slope});
        activate(o.activation, result.z, result.y, o.negative_slope);
    } else {
        compute(result.y.data(), ConvEpilogue{bias ? bias->data() : nullptr, o.activation, o.negative_slope});
    }
    return result;
}

}  // namespace

SMALLNET_REGISTER_OP("conv2d");
Var conv2d(const Var& x, const Var& kernel, const Var& bias, const Conv2dOptions& o) {
    if (o.activation == Activation::softmax) return softmax(conv2d(x, kernel, bias, without_activation(o)));
    check_operands("conv2d", x, kernel, bias, 2, 3);
    const Shape& k = kernel.shape();
    const Conv2dGeometry g =
        Conv2dGeometry::convolution(x.shape(), k[3], k[0], k[1], o.stride_height, o.stride_width, o.padding);
    const Tensor* bias_value = bias.defined() ? &bias.value() : nullptr;
    Activated out = compute_activated(g.output_shape(), o, bias_value, [&](float* y, const ConvEpilogue& epilogue) {
        conv2d_forward(g, x.value().data(), kernel.value().data(), y, epilogue);
    });
    return make_result("conv2d", out.y, {&x, &kernel, &bias},
                       [g, x = x.value(), kernel = kernel.value(), z = out.z, y = out.y, o](Node& self) {
                           const Tensor dz = preactivation_gradient(self, o.activation, z, y, o.negative_slope);
                           if (self.parent_needs_grad(0)) {
                               auto target = self.gradient_target(0);
                               conv2d_backward_input(g, dz.data(), kernel.data(), target.tensor.data(), target.accumulate);
                           }
                           if (self.parent_needs_grad(1)) {
                               auto target = self.gradient_target(1);
                               conv2d_backward_kernel(g, x.data(), dz.data(), target.tensor.data(), target.accumulate);
                           }
                           bias_gradient(self, dz);
                       });
}

SMALLNET_REGISTER_OP("conv2d_transpose");
Var conv2d_transpose(const Var& x, const Var& kernel, const Var& bias, const Conv2dOptions& o) {
    if (o.activation == Activation::softmax) return softmax(conv2d_transpose(x, kernel, bias, without_activation(o)));
    check_operands("conv2d_transpose", x, kernel, bias, 3, 2);
    const Shape& k = kernel.shape();
    // g is the convolution whose input gradient this is: g's input is our output, g's output is x.
    const Conv2dGeometry g =
        Conv2dGeometry::transposed(x.shape(), k[2], k[0], k[1], o.stride_height, o.stride_width, o.padding);
    const Tensor* bias_value = bias.defined() ? &bias.value() : nullptr;
    Activated out = compute_activated(g.input_shape(), o, bias_value, [&](float* y, const ConvEpilogue& epilogue) {
        conv2d_backward_input(g, x.value().data(), kernel.value().data(), y, false, epilogue);
    });
    return make_result(
        "conv2d_transpose", out.y, {&x, &kernel, &bias},
        [g, x = x.value(), kernel = kernel.value(), z = out.z, y = out.y, o](Node& self) {
            const Tensor dz = preactivation_gradient(self, o.activation, z, y, o.negative_slope);
            if (self.parent_needs_grad(0)) {  // dx = conv(dz, kernel): g's forward pass
                auto target = self.gradient_target(0);
                if (target.accumulate) {
                    Tensor dx(g.output_shape());
                    conv2d_forward(g, dz.data(), kernel.data(), dx.data());
                    axpy(1.0f, dx, target.tensor);
                } else {
                    conv2d_forward(g, dz.data(), kernel.data(), target.tensor.data());
                }
            }
            if (self.parent_needs_grad(1)) {  // g's kernel gradient, with dz as its input and x as its output gradient
                auto target = self.gradient_target(1);
                conv2d_backward_kernel(g, dz.data(), x.data(), target.tensor.data(), target.accumulate);
            }
            bias_gradient(self, dz);
        });
}

}  // namespace smallnet
