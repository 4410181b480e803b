// Whole-tensor references: broadcasting, sum_to, axis reductions, transpose and the optimizer steps,
// by index loops in double (the kernels' vector paths are held against these).

#include <cmath>
#include <limits>

#include "tensor/elementwise_reference.hpp"

namespace smallnet::reference {

namespace {

// Row-major multi-index of `flat` in `shape`.
void unravel(const Shape& shape, std::int64_t flat, std::int64_t* index) {
    for (int axis = shape.rank() - 1; axis >= 0; --axis) {
        index[axis] = flat % shape[axis];
        flat /= shape[axis];
    }
}

// Flat position in `shape` of the element a broadcast to `out` reads at out's multi-index.
std::int64_t broadcast_source(const Shape& shape, const Shape& out, const std::int64_t* out_index) {
    const int shift = out.rank() - shape.rank();
    std::int64_t flat = 0;
    for (int axis = 0; axis < shape.rank(); ++axis)
        flat = flat * shape[axis] + (shape[axis] == 1 ? 0 : out_index[axis + shift]);
    return flat;
}

template <class Combine>
std::vector<double> reduce_axis(const Tensor& x, int axis, double initial, Combine combine) {
    axis = x.shape().normalize_axis(axis);
    std::int64_t outer = 1, inner = 1;
    for (int a = 0; a < axis; ++a) outer *= x.shape()[a];
    for (int a = axis + 1; a < x.rank(); ++a) inner *= x.shape()[a];
    const std::int64_t length = x.shape()[axis];
    std::vector<double> out(static_cast<std::size_t>(outer * inner), initial);
    for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t k = 0; k < length; ++k)
            for (std::int64_t i = 0; i < inner; ++i) {
                double& total = out[static_cast<std::size_t>(o * inner + i)];
                total = combine(total, static_cast<double>(x.data()[(o * length + k) * inner + i]));
            }
    return out;
}

}  // namespace

std::vector<double> binary(BinaryOp op, const Tensor& a, const Tensor& b) {
    const Shape out = broadcast_shape(a.shape(), b.shape(), "reference");
    std::vector<double> result(static_cast<std::size_t>(out.numel()));
    std::int64_t index[Shape::max_rank];
    for (std::int64_t flat = 0; flat < out.numel(); ++flat) {
        unravel(out, flat, index);
        result[static_cast<std::size_t>(flat)] =
            binary(op, a.data()[broadcast_source(a.shape(), out, index)], b.data()[broadcast_source(b.shape(), out, index)]);
    }
    return result;
}

std::vector<double> sum_to(const Tensor& source, const Shape& target) {
    std::vector<double> result(static_cast<std::size_t>(target.numel()), 0.0);
    std::int64_t index[Shape::max_rank];
    for (std::int64_t flat = 0; flat < source.numel(); ++flat) {
        unravel(source.shape(), flat, index);
        result[static_cast<std::size_t>(broadcast_source(target, source.shape(), index))] += source.data()[flat];
    }
    return result;
}

std::vector<double> sum(const Tensor& x, int axis) {
    return reduce_axis(x, axis, 0.0, [](double total, double v) { return total + v; });
}

std::vector<double> mean(const Tensor& x, int axis) {
    std::vector<double> totals = reference::sum(x, axis);
    const double length = static_cast<double>(x.shape()[x.shape().normalize_axis(axis)]);
    for (double& t : totals) t /= length;
    return totals;
}

std::vector<double> max(const Tensor& x, int axis) {
    return reduce_axis(x, axis, -std::numeric_limits<double>::infinity(), [](double best, double v) {
        return std::isnan(best) || std::isnan(v) ? best + v : std::max(best, v);
    });
}

std::vector<double> transpose(const Tensor& x) {
    const std::int64_t m = x.shape()[0], n = x.shape()[1];
    std::vector<double> out(static_cast<std::size_t>(m * n));
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) out[static_cast<std::size_t>(j * m + i)] = x.data()[i * n + j];
    return out;
}

void adam_step(double& parameter, double gradient, double& first_moment, double& second_moment, const AdamStep& step) {
    const double lr = step.learning_rate, beta1 = step.beta1, beta2 = step.beta2;
    const double t = static_cast<double>(step.step);
    parameter -= lr * static_cast<double>(step.weight_decay) * parameter;
    first_moment = beta1 * first_moment + (1.0 - beta1) * gradient;
    second_moment = beta2 * second_moment + (1.0 - beta2) * gradient * gradient;
    const double m_hat = first_moment / (1.0 - std::pow(beta1, t));
    const double v_hat = second_moment / (1.0 - std::pow(beta2, t));
    parameter -= lr * m_hat / (std::sqrt(v_hat) + static_cast<double>(step.epsilon));
}

void sgd_step(double& parameter, double gradient, double& velocity, const SgdStep& step) {
    const double lr = step.learning_rate, momentum = step.momentum;
    const double g = gradient + static_cast<double>(step.weight_decay) * parameter;
    if (momentum == 0.0) {
        parameter -= lr * g;
        return;
    }
    velocity = momentum * velocity - lr * g;
    parameter += step.nesterov ? momentum * velocity - lr * g : velocity;
}

}  // namespace smallnet::reference
