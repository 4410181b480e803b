#include "autograd/ops/linear.hpp"

#include "autograd/op.hpp"
#include "autograd/ops/activation_backward.hpp"
#include "autograd/ops/linear_backward.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/matmul.hpp"

namespace smallnet {

SMALLNET_REGISTER_OP("matmul");
Var matmul(const Var& a, const Var& b) {
    return make_result("matmul", matmul(a.value(), b.value()), {&a, &b},
                       [a = a.value(), b = b.value()](Node& self) {
                           const Tensor& g = self.gradient();  // [m, n]
                           if (self.parent_needs_grad(0)) {    // dA = G · Bᵀ
                               auto target = self.gradient_target(0);
                               matmul(g, b, target.tensor, {.transpose_b = true, .beta = target.accumulate ? 1.0f : 0.0f});
                           }
                           if (self.parent_needs_grad(1)) {    // dB = Aᵀ · G
                               auto target = self.gradient_target(1);
                               matmul(a, g, target.tensor, {.transpose_a = true, .beta = target.accumulate ? 1.0f : 0.0f});
                           }
                       });
}

SMALLNET_REGISTER_OP("linear");
Var linear(const Var& x, const Var& kernel, const Var& bias, Activation activation, float negative_slope,
           Precision precision) {
    if (activation == Activation::softmax)
        return softmax(linear(x, kernel, bias, Activation::linear, negative_slope, precision));
    const Tensor* bias_value = bias.defined() ? &bias.value() : nullptr;
    // softplus' derivative needs the pre-activation z, so z is kept and activated separately; for the
    // others only y is kept (see activation_needs_preactivation).
    const bool keep_preactivation = activation_needs_preactivation(activation);
    Tensor z = matmul(x.value(), kernel.value(),
                      {.bias = bias_value, .activation = keep_preactivation ? Activation::linear : activation,
                       .negative_slope = negative_slope, .precision = precision});
    Tensor y = z;
    if (keep_preactivation) {
        y = Tensor(z.shape());
        activate(activation, z, y, negative_slope);
    }
    return make_result(
        "linear", y, {&x, &kernel, &bias},
        [x = x.value(), kernel = kernel.value(), z = keep_preactivation ? z : Tensor(), y, activation,
         negative_slope, precision](Node& self) {
            self.gradient();    // dY, [batch, out]
            Tensor dz = self.grad;  // dZ overwrites dY in place: this node's gradient is dropped after its backward
            activation_backward_in_place(activation, z, y, dz, negative_slope);
            linear_backward(self, x, kernel, dz, precision);
        });
}

void linear_backward(Node& self, const Tensor& x, const Tensor& kernel, const Tensor& dz, Precision precision) {
    // dx first: the forward pass has just read the kernel, and writing dKernel (as large) would push
    // it out of the cache before dx reads it again.
    if (self.parent_needs_grad(0)) {  // dx = dZ · kernelᵀ
        auto target = self.gradient_target(0);
        matmul(dz, kernel, target.tensor,
               {.transpose_b = true, .beta = target.accumulate ? 1.0f : 0.0f, .precision = precision});
    }
    if (self.parent_needs_grad(1)) {  // dKernel = xᵀ · dZ
        auto target = self.gradient_target(1);
        matmul(x, dz, target.tensor,
               {.transpose_a = true, .beta = target.accumulate ? 1.0f : 0.0f, .precision = precision});
    }
    if (self.parent_needs_grad(2)) {  // dBias = column sums of dZ
        auto target = self.gradient_target(2);
        sum_to(dz, target.tensor, target.accumulate);
    }
}

}  // namespace smallnet
