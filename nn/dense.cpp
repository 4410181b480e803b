#include "nn/dense.hpp"

#include <stdexcept>

#include "autograd/ops/linear.hpp"
#include "autograd/ops/view.hpp"
#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"

namespace smallnet {


DenseModule::DenseModule(std::int64_t units, Activation activation, DenseOptions options)
    : units_(units), activation_(activation), options_(options) {
    if (units < 1) throw std::invalid_argument("Dense: units must be positive, got " + std::to_string(units));
}

Config DenseModule::config() const {
    Config config("Dense");
    config.set("units", units_)
        .set("activation", std::string(activation_name(activation_)))
        .set("negative_slope", options_.negative_slope)
        .set("use_bias", options_.use_bias)
        .set("kernel_initializer", std::string(initializer_name(options_.kernel_initializer)))
        .set("bias_initializer", std::string(initializer_name(options_.bias_initializer)))
        .set("kernel_regularizer", std::vector<double>{options_.kernel_regularizer.l1, options_.kernel_regularizer.l2})
        .set("bias_regularizer", std::vector<double>{options_.bias_regularizer.l1, options_.bias_regularizer.l2})
        .set("activity_regularizer",
             std::vector<double>{options_.activity_regularizer.l1, options_.activity_regularizer.l2});
    return config;
}

Shape DenseModule::build(const Shape& input_shape, const std::string& previous, Generator& generator) {
    if (input_shape.rank() == 0 || input_shape[input_shape.rank() - 1] < 1)
        throw std::invalid_argument("Dense(" + std::to_string(units_) + "): " + previous + " gives it samples of shape " +
                                    batch_shape_string(input_shape) + ", with no features on the last axis");
    const std::int64_t input_size = input_shape[input_shape.rank() - 1];
    if (kernel_.defined()) {
        const std::int64_t expected = kernel_.shape()[0];
        if (input_size != expected)
            throw std::invalid_argument("Dense(" + std::to_string(units_) + ") was built for " +
                                        std::to_string(expected) + " inputs, but " + previous + " gives it " +
                                        batch_shape_string(input_shape));
    } else {
        // A [in, out] bias initialiser would be odd; biases get fan_in = 1 for the He forms.
        kernel_ = Var(initial_values(options_.kernel_initializer, Shape{input_size, units_}, input_size, units_, generator),
                      true);
        if (options_.use_bias)
            bias_ = Var(initial_values(options_.bias_initializer, Shape{units_}, 1, units_, generator), true);
    }
    output_shape_ = input_shape;
    output_shape_[output_shape_.rank() - 1] = units_;
    return output_shape_;
}

namespace {
// [batch, ..., in] as the rows of a matrix [batch * ..., in] (a view).
Shape as_rows(const Shape& shape) {
    const std::int64_t last = shape[shape.rank() - 1];
    return Shape{last == 0 ? 0 : shape.numel() / last, last};
}
}  // namespace

Var DenseModule::forward(const Var& x, const ForwardContext& context) {
    if (!kernel_.defined()) throw std::logic_error("Dense: forward before the layer was built");
    add_weight_penalties(context, kernel_, options_.kernel_regularizer, bias_, options_.bias_regularizer);
    Var y;
    if (x.shape().rank() == 2) {
        y = linear(x, kernel_, bias_, activation_, options_.negative_slope, context.precision);
    } else {
        if (x.shape().rank() < 2) throw_shape_error("Dense", x.shape(), "the input must be a batch: [batch, ..., features]");
        Shape out_shape = x.shape();
        out_shape[out_shape.rank() - 1] = units_;
        y = reshape(linear(reshape(x, as_rows(x.shape())), kernel_, bias_, activation_, options_.negative_slope,
                           context.precision),
                    out_shape);
    }
    add_activity_penalty(context, y, options_.activity_regularizer);
    return y;
}

Var DenseModule::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    if (!kernel_.defined()) throw std::logic_error("Dense: forward before the layer was built");
    // The fused forms have no output Var for an activity penalty to read.
    if (x.shape().rank() != 2 || options_.activity_regularizer.active()) return Module::forward_with_loss(x, loss, target, context);
    if (loss == Loss::mean_squared_error) {
        add_weight_penalties(context, kernel_, options_.kernel_regularizer, bias_, options_.bias_regularizer);
        return linear_squared_error(x, kernel_, bias_, activation_, target, options_.negative_slope, context.precision);
    }
    if (loss == Loss::binary_crossentropy && activation_ == Activation::sigmoid) {
        add_weight_penalties(context, kernel_, options_.kernel_regularizer, bias_, options_.bias_regularizer);
        return cross_entropy_of_sigmoid(linear(x, kernel_, bias_, Activation::linear, 0.3f, context.precision), target);
    }
    return Module::forward_with_loss(x, loss, target, context);
}

void DenseModule::predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) {
    // softplus is applied outside the product (see linear); the other activations are in its epilogue.
    if (!kernel_.defined() || activation_ == Activation::softplus || x.rank() < 2) return Module::predict_into(x, out, context);
    Tensor out_rows = out.reshape(as_rows(out.shape()));
    matmul(x.reshape(as_rows(x.shape())), kernel_.value(), out_rows,
           {.bias = bias_.defined() ? &bias_.value() : nullptr, .activation = activation_,
            .negative_slope = options_.negative_slope, .precision = context.precision});
}

void DenseModule::collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) {
    if (kernel_.defined()) out.push_back({prefix + ".kernel", &kernel_});
    if (bias_.defined()) out.push_back({prefix + ".bias", &bias_});
}

Dense::Dense(std::int64_t units, Activation activation, DenseOptions options)
    : Layer(std::make_shared<DenseModule>(units, activation, options)) {}
Dense::Dense(std::int64_t units, std::string_view activation, DenseOptions options)
    : Dense(units, parse_activation(activation), options) {}

const Var& Dense::kernel() const { return static_cast<DenseModule&>(module()).kernel(); }
const Var& Dense::bias() const { return static_cast<DenseModule&>(module()).bias(); }

}  // namespace smallnet
