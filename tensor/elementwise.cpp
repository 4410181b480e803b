// Unary functions and their gradients on tensors: shape checks, then the active instruction set's
// kernel over pieces of the flat buffer (tensor/elementwise_parallel.hpp).

#include "tensor/elementwise.hpp"

#include <stdexcept>
#include <string>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/elementwise_parallel.hpp"
#include "tensor/softmax.hpp"

namespace smallnet {

namespace {

const char* unary_name(UnaryOp op) {
    switch (op) {
        case UnaryOp::relu: return "relu";
        case UnaryOp::leaky_relu: return "leaky_relu";
        case UnaryOp::sigmoid: return "sigmoid";
        case UnaryOp::tanh: return "tanh";
        case UnaryOp::softplus: return "softplus";
        case UnaryOp::exp: return "exp";
        case UnaryOp::log: return "log";
        case UnaryOp::neg: return "neg";
        case UnaryOp::abs: return "abs";
        case UnaryOp::sqrt: return "sqrt";
        case UnaryOp::square: return "square";
    }
    return "unary";
}

std::int64_t unary_cost(UnaryOp op) {
    switch (op) {
        case UnaryOp::sigmoid:
        case UnaryOp::tanh:
        case UnaryOp::softplus:
        case UnaryOp::exp:
        case UnaryOp::log: return detail::cost_transcendental;
        default: return detail::cost_memory_bound;
    }
}

// The derivatives of these are read from y = f(x); the others from x.
bool derivative_from_output(UnaryOp op) {
    return op == UnaryOp::sigmoid || op == UnaryOp::tanh || op == UnaryOp::exp || op == UnaryOp::sqrt;
}

void require_defined(const char* op, const Tensor& t, const char* role) {
    if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the " + role + " tensor is undefined");
}

void require_same_shape(const char* op, const Tensor& a, const Tensor& b, const char* role) {
    if (a.shape() != b.shape()) throw_shape_error(op, a.shape(), b.shape(), std::string(role) + " shapes differ");
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, Tensor& out, float parameter) {
    const char* name = unary_name(op);
    require_defined(name, x, "input");
    require_defined(name, out, "output");
    require_same_shape(name, x, out, "input and output");
    const auto& kernels = arch::elementwise_kernels();
    const float* in = x.data();
    float* result = out.data();
    detail::for_each_piece(x.numel(), unary_cost(op), [&](std::int64_t begin, std::int64_t end) {
        kernels.unary(op, in + begin, result + begin, end - begin, parameter);
    });
}

Tensor unary(UnaryOp op, const Tensor& x, float parameter) {
    require_defined(unary_name(op), x, "input");
    Tensor out(x.shape());
    unary(op, x, out, parameter);
    return out;
}

void activate(Activation activation, const Tensor& x, Tensor& out, float negative_slope) {
    switch (activation) {
        case Activation::linear:
            require_defined("linear", x, "input");
            out.copy_from(x);
            return;
        case Activation::relu: return unary(UnaryOp::relu, x, out);
        case Activation::leaky_relu: return unary(UnaryOp::leaky_relu, x, out, negative_slope);
        case Activation::sigmoid: return unary(UnaryOp::sigmoid, x, out);
        case Activation::tanh: return unary(UnaryOp::tanh, x, out);
        case Activation::softplus: return unary(UnaryOp::softplus, x, out);
        case Activation::softmax: return softmax(x, out);
    }
}

// The input the derivative is not read from may be an undefined tensor.
void unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx, bool accumulate,
                    float parameter) {
    const char* name = unary_name(op);
    const bool from_output = derivative_from_output(op);
    const Tensor& source = from_output ? y : x;
    require_defined(name, source, from_output ? "forward output" : "forward input");
    require_defined(name, dy, "output gradient");
    require_defined(name, dx, "input gradient");
    require_same_shape(name, source, dy, from_output ? "forward output and its gradient" : "input and output gradient");
    require_same_shape(name, dy, dx, "output gradient and input gradient");
    const auto& kernels = arch::elementwise_kernels();
    const float* xs = from_output ? nullptr : x.data();
    const float* ys = from_output ? y.data() : nullptr;
    const float* dys = dy.data();
    float* dxs = dx.data();
    detail::for_each_piece(dx.numel(), unary_cost(op), [&](std::int64_t begin, std::int64_t end) {
        kernels.unary_backward(op, xs ? xs + begin : nullptr, ys ? ys + begin : nullptr, dys + begin, dxs + begin,
                               end - begin, parameter, accumulate);
    });
}

Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }
Tensor leaky_relu(const Tensor& x, float negative_slope) { return unary(UnaryOp::leaky_relu, x, negative_slope); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }
Tensor softplus(const Tensor& x) { return unary(UnaryOp::softplus, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x); }
Tensor square(const Tensor& x) { return unary(UnaryOp::square, x); }

}  // namespace smallnet
