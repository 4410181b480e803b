#include "autograd/op.hpp"
#include "autograd/ops/linear.hpp"
#include "autograd/ops/linear_backward.hpp"
#include "autograd/ops/losses.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/matmul.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("linear_squared_error");
Var linear_squared_error(const Var& x, const Var& kernel, const Var& bias, Activation activation, const Tensor& target,
                         float negative_slope, Precision precision) {
    if (activation == Activation::softplus || activation == Activation::softmax)
        return mean_squared_error(linear(x, kernel, bias, activation, negative_slope, precision), target);
    const Tensor* bias_value = bias.defined() ? &bias.value() : nullptr;
    const Tensor y = matmul(x.value(), kernel.value(),
                            {.bias = bias_value, .activation = activation, .negative_slope = negative_slope,
                             .precision = precision});
    if (y.shape() != target.shape())
        throw_shape_error("linear_squared_error", y.shape(), target.shape(),
                          "the layer's output and the target must have one shape");
    const double count = static_cast<double>(target.numel());
    Tensor loss(Shape{});
    const bool recording = grad_enabled() && (x.requires_grad() || kernel.requires_grad() ||
                                              (bias.defined() && bias.requires_grad()));
    if (!recording) {
        loss.data()[0] = static_cast<float>(loss_sum(LossKind::squared_error, y, target) / count);
        return Var(loss, false);
    }
    // The gradient for an upstream gradient of 1 (a loss is where backward starts); rescaled below
    // in the rare case it is not.
    Tensor dz(y.shape());
    const float scale = static_cast<float>(1.0 / count);
    loss.data()[0] = static_cast<float>(
        squared_error_through_activation(activation, y, target, scale, dz, negative_slope) / count);
    return make_result("linear_squared_error", loss, {&x, &kernel, &bias},
                       [x = x.value(), kernel = kernel.value(), dz, precision](Node& self) {
                           const float upstream = self.gradient().item();
                           linear_backward(self, x, kernel, upstream == 1.0f ? dz : binary(BinaryOp::mul, dz, upstream),
                                           precision);
                       });
}

}  // namespace smallnet
