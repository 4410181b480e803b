#include "autograd/ops/activation_backward.hpp"

#include <stdexcept>

#include "tensor/elementwise.hpp"

namespace smallnet {

void activation_backward_in_place(Activation activation, const Tensor& preactivation, const Tensor& output,
                                  Tensor& gradient, float negative_slope) {
    UnaryOp op = UnaryOp::neg;
    switch (activation) {
        case Activation::linear: return;
        case Activation::relu: op = UnaryOp::relu; break;
        case Activation::leaky_relu: op = UnaryOp::leaky_relu; break;
        case Activation::sigmoid: op = UnaryOp::sigmoid; break;
        case Activation::tanh: op = UnaryOp::tanh; break;
        case Activation::softplus: op = UnaryOp::softplus; break;
        case Activation::softmax:
            throw std::invalid_argument("activation_backward_in_place: softmax is not element-wise (see autograd/ops/softmax.hpp)");
    }
    unary_backward(op, preactivation.defined() ? preactivation : output, output, gradient, gradient, false, negative_slope);
}

}  // namespace smallnet
