// Scalar double-precision definitions of every element-wise function, written the plain way (these
// are what the vector kernels are held against, so they favour clarity over speed).

#include "tensor/elementwise_reference.hpp"

#include <algorithm>
#include <cmath>

namespace smallnet::reference {

namespace {

double sigmoid(double x) {
    // Two branches so exp never overflows; the same function either way.
    if (x >= 0.0) return 1.0 / (1.0 + std::exp(-x));
    const double e = std::exp(x);
    return e / (1.0 + e);
}

double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

// Keras' backend epsilon, as a float: the kernels clip to these exact float values.
const double probability_floor = static_cast<double>(1e-7f);
const double probability_ceiling = static_cast<double>(1.0f - 1e-7f);

}  // namespace

double unary(UnaryOp op, double x, double parameter) {
    switch (op) {
        case UnaryOp::relu: return x > 0.0 ? x : 0.0;
        case UnaryOp::leaky_relu: return x > 0.0 ? x : parameter * x;
        case UnaryOp::sigmoid: return sigmoid(x);
        case UnaryOp::tanh: return std::tanh(x);
        case UnaryOp::softplus: return softplus(x);
        case UnaryOp::exp: return std::exp(x);
        case UnaryOp::log: return std::log(x);
        case UnaryOp::neg: return -x;
        case UnaryOp::abs: return std::fabs(x);
        case UnaryOp::sqrt: return std::sqrt(x);
        case UnaryOp::square: return x * x;
    }
    return 0.0;
}

double unary_derivative(UnaryOp op, double x, double parameter) {
    switch (op) {
        case UnaryOp::relu: return x > 0.0 ? 1.0 : 0.0;
        case UnaryOp::leaky_relu: return x > 0.0 ? 1.0 : parameter;
        case UnaryOp::sigmoid: return sigmoid(x) * (1.0 - sigmoid(x));
        case UnaryOp::tanh: return 1.0 - std::tanh(x) * std::tanh(x);
        case UnaryOp::softplus: return sigmoid(x);
        case UnaryOp::exp: return std::exp(x);
        case UnaryOp::log: return 1.0 / x;
        case UnaryOp::neg: return -1.0;
        case UnaryOp::abs: return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0);
        case UnaryOp::sqrt: return 0.5 / std::sqrt(x);
        case UnaryOp::square: return 2.0 * x;
    }
    return 0.0;
}

double binary(BinaryOp op, double a, double b) {
    switch (op) {
        case BinaryOp::add: return a + b;
        case BinaryOp::sub: return a - b;
        case BinaryOp::mul: return a * b;
        case BinaryOp::div: return a / b;
        case BinaryOp::maximum: return std::isnan(a) || std::isnan(b) ? a + b : std::max(a, b);
        case BinaryOp::minimum: return std::isnan(a) || std::isnan(b) ? a + b : std::min(a, b);
    }
    return 0.0;
}

double loss(LossKind kind, double prediction, double target) {
    switch (kind) {
        case LossKind::squared_error: return (prediction - target) * (prediction - target);
        case LossKind::absolute_error: return std::fabs(prediction - target);
        case LossKind::binary_cross_entropy: {
            const double p = std::clamp(prediction, probability_floor, probability_ceiling);
            return -(target * std::log(p) + (1.0 - target) * std::log(1.0 - p));
        }
        case LossKind::binary_cross_entropy_with_logits:
            return std::max(prediction, 0.0) - prediction * target + std::log1p(std::exp(-std::fabs(prediction)));
    }
    return 0.0;
}

double loss_derivative(LossKind kind, double prediction, double target) {
    switch (kind) {
        case LossKind::squared_error: return 2.0 * (prediction - target);
        case LossKind::absolute_error:
            return prediction > target ? 1.0 : (prediction < target ? -1.0 : 0.0);
        case LossKind::binary_cross_entropy:
            if (prediction < probability_floor || prediction > probability_ceiling) return 0.0;
            return (prediction - target) / (prediction * (1.0 - prediction));
        case LossKind::binary_cross_entropy_with_logits: return sigmoid(prediction) - target;
    }
    return 0.0;
}

}  // namespace smallnet::reference
