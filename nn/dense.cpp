#include "nn/dense.hpp"

#include <stdexcept>

#include "autograd/ops/linear.hpp"
#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"

namespace smallnet {

namespace {
Tensor initial_values(Initializer initializer, std::int64_t fan_in, std::int64_t fan_out, const Shape& shape,
                      Generator& generator) {
    switch (initializer) {
        case Initializer::glorot_uniform: return glorot_uniform(fan_in, fan_out, generator).reshape(shape);
        case Initializer::he_uniform: return he_uniform(fan_in, fan_out, generator).reshape(shape);
        case Initializer::he_normal: return he_normal(fan_in, fan_out, generator).reshape(shape);
        case Initializer::zeros: break;
    }
    return zeros(shape);
}
}  // namespace

DenseModule::DenseModule(std::int64_t units, Activation activation, DenseOptions options)
    : units_(units), activation_(activation), options_(options) {
    if (units < 1) throw std::invalid_argument("Dense: units must be positive, got " + std::to_string(units));
}

std::int64_t DenseModule::build(std::int64_t input_size, const std::string& previous, Generator& generator) {
    if (kernel_.defined()) {
        const std::int64_t expected = kernel_.shape()[0];
        if (input_size != expected)
            throw std::invalid_argument("Dense(" + std::to_string(units_) + ") was built for " +
                                        std::to_string(expected) + " inputs, but " + previous + " gives it " +
                                        std::to_string(input_size));
        return units_;
    }
    if (input_size < 1)
        throw std::invalid_argument("Dense(" + std::to_string(units_) + "): " + previous + " gives it " +
                                    std::to_string(input_size) + " inputs");
    // A [in, out] bias initialiser would be odd; biases get fan_in = 1 for the He forms.
    kernel_ = Var(initial_values(options_.kernel_initializer, input_size, units_, Shape{input_size, units_}, generator), true);
    if (options_.use_bias)
        bias_ = Var(initial_values(options_.bias_initializer, 1, units_, Shape{units_}, generator), true);
    return units_;
}

Var DenseModule::forward(const Var& x, const ForwardContext&) {
    if (!kernel_.defined()) throw std::logic_error("Dense: forward before the layer was built");
    return linear(x, kernel_, bias_, activation_, options_.negative_slope);
}

Var DenseModule::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    if (!kernel_.defined()) throw std::logic_error("Dense: forward before the layer was built");
    if (loss != Loss::mean_squared_error) return Module::forward_with_loss(x, loss, target, context);
    return linear_squared_error(x, kernel_, bias_, activation_, target, options_.negative_slope);
}

void DenseModule::predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) {
    // softplus is applied outside the product (see linear); the other activations are in its epilogue.
    if (!kernel_.defined() || activation_ == Activation::softplus) return Module::predict_into(x, out, context);
    matmul(x, kernel_.value(), out,
           {.bias = bias_.defined() ? &bias_.value() : nullptr, .activation = activation_,
            .negative_slope = options_.negative_slope});
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
