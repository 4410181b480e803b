#include "autograd/ops/unary.hpp"

#include "autograd/op.hpp"
#include "autograd/ops/softmax.hpp"
#include "autograd/registry.hpp"
#include "tensor/elementwise.hpp"

namespace smallnet {

namespace {
// y = f(x); dx += dy · f'(x), with f' read from x or y as the kernel defines (tensor/elementwise.hpp).
Var unary_op(UnaryOp op, const char* name, const Var& x, float parameter = 0.0f) {
    Tensor y = unary(op, x.value(), parameter);
    return make_result(name, y, {&x}, [op, parameter, x = x.value(), y](Node& self) {
        auto target = self.gradient_target(0);
        unary_backward(op, x, y, self.gradient(), target.tensor, target.accumulate, parameter);
    });
}
}  // namespace

SMALLNET_REGISTER_OP("relu");
Var relu(const Var& x) { return unary_op(UnaryOp::relu, "relu", x); }
SMALLNET_REGISTER_OP("leaky_relu");
Var leaky_relu(const Var& x, float negative_slope) { return unary_op(UnaryOp::leaky_relu, "leaky_relu", x, negative_slope); }
SMALLNET_REGISTER_OP("sigmoid");
Var sigmoid(const Var& x) { return unary_op(UnaryOp::sigmoid, "sigmoid", x); }
SMALLNET_REGISTER_OP("tanh");
Var tanh(const Var& x) { return unary_op(UnaryOp::tanh, "tanh", x); }
SMALLNET_REGISTER_OP("softplus");
Var softplus(const Var& x) { return unary_op(UnaryOp::softplus, "softplus", x); }
SMALLNET_REGISTER_OP("exp");
Var exp(const Var& x) { return unary_op(UnaryOp::exp, "exp", x); }
SMALLNET_REGISTER_OP("log");
Var log(const Var& x) { return unary_op(UnaryOp::log, "log", x); }
SMALLNET_REGISTER_OP("square");
Var square(const Var& x) { return unary_op(UnaryOp::square, "square", x); }
SMALLNET_REGISTER_OP("sqrt");
Var sqrt(const Var& x) { return unary_op(UnaryOp::sqrt, "sqrt", x); }
SMALLNET_REGISTER_OP("abs");
Var abs(const Var& x) { return unary_op(UnaryOp::abs, "abs", x); }

Var activate(Activation activation, const Var& x, float negative_slope) {
    switch (activation) {
        case Activation::linear: return x;
        case Activation::relu: return relu(x);
        case Activation::leaky_relu: return leaky_relu(x, negative_slope);
        case Activation::sigmoid: return sigmoid(x);
        case Activation::tanh: return tanh(x);
        case Activation::softplus: return softplus(x);
        case Activation::softmax: return softmax(x);
    }
    return x;
}

}  // namespace smallnet
