#include "nn/conv.hpp"

#include <stdexcept>
#include <string>

#include "autograd/ops/conv.hpp"

namespace smallnet {

ConvolutionModule::ConvolutionModule(bool transposed, std::int64_t filters, Size2D kernel_size, Activation activation,
                                     Conv2DOptions options)
    : transposed_(transposed), filters_(filters), kernel_size_(kernel_size), activation_(activation), options_(options) {
    const std::string name = type_name();
    if (filters < 1) throw std::invalid_argument(name + ": filters must be positive, got " + std::to_string(filters));
    if (kernel_size.height < 1 || kernel_size.width < 1)
        throw std::invalid_argument(name + ": the kernel size must be positive, got " + std::to_string(kernel_size.height) +
                                    "x" + std::to_string(kernel_size.width));
    if (options.strides.height < 1 || options.strides.width < 1)
        throw std::invalid_argument(name + ": strides must be positive, got " + std::to_string(options.strides.height) +
                                    "x" + std::to_string(options.strides.width));
}

Config ConvolutionModule::config() const {
    const auto pair = [](Size2D size) {
        return std::vector<double>{static_cast<double>(size.height), static_cast<double>(size.width)};
    };
    const auto penalty = [](const Regularizer& r) { return std::vector<double>{r.l1, r.l2}; };
    Config config(type_name());
    config.set("filters", filters_)
        .set("kernel_size", pair(kernel_size_))
        .set("strides", pair(options_.strides))
        .set("padding", std::string(padding_name(options_.padding)))
        .set("activation", std::string(activation_name(activation_)))
        .set("negative_slope", options_.negative_slope)
        .set("use_bias", options_.use_bias)
        .set("kernel_initializer", std::string(initializer_name(options_.kernel_initializer)))
        .set("bias_initializer", std::string(initializer_name(options_.bias_initializer)))
        .set("kernel_regularizer", penalty(options_.kernel_regularizer))
        .set("bias_regularizer", penalty(options_.bias_regularizer))
        .set("activity_regularizer", penalty(options_.activity_regularizer));
    return config;
}

Shape ConvolutionModule::build(const Shape& input_shape, const std::string& previous, Generator& generator) {
    const std::string name = type_name() + "(" + std::to_string(filters_) + ")";
    if (input_shape.rank() != 3)
        throw std::invalid_argument(name + " needs samples of shape (height, width, channels), but " + previous +
                                    " gives it " + batch_shape_string(input_shape) + " (a Reshape layer can make them so)");
    const std::int64_t channels = input_shape[2];
    const Shape one_image{1, input_shape[0], input_shape[1], channels};
    Conv2dGeometry g;
    try {
        g = transposed_ ? Conv2dGeometry::transposed(one_image, filters_, kernel_size_.height, kernel_size_.width,
                                                     options_.strides.height, options_.strides.width, options_.padding)
                        : Conv2dGeometry::convolution(one_image, filters_, kernel_size_.height, kernel_size_.width,
                                                      options_.strides.height, options_.strides.width, options_.padding);
    } catch (const std::invalid_argument& error) {
        throw std::invalid_argument(name + ": " + previous + " gives it " + batch_shape_string(input_shape) + ": " +
                                    error.what());
    }
    // Keras' layouts: [kh, kw, in, filters] and, transposed, [kh, kw, filters, in].
    const Shape kernel_shape = transposed_ ? Shape{kernel_size_.height, kernel_size_.width, filters_, channels}
                                           : Shape{kernel_size_.height, kernel_size_.width, channels, filters_};
    if (kernel_.defined()) {
        if (kernel_.shape() != kernel_shape)
            throw std::invalid_argument(name + " was built for " + std::to_string(kernel_.shape()[transposed_ ? 3 : 2]) +
                                        " input channels, but " + previous + " gives it " + batch_shape_string(input_shape));
    } else {
        const std::int64_t receptive_field = kernel_size_.height * kernel_size_.width;
        kernel_ = Var(initial_values(options_.kernel_initializer, kernel_shape, kernel_shape[2] * receptive_field,
                                     kernel_shape[3] * receptive_field, generator),
                      true);
        if (options_.use_bias)
            bias_ = Var(initial_values(options_.bias_initializer, Shape{filters_}, 1, filters_, generator), true);
    }
    output_shape_ = transposed_ ? Shape{g.in_height, g.in_width, filters_} : Shape{g.out_height, g.out_width, filters_};
    return output_shape_;
}

Var ConvolutionModule::convolve(const Var& x, Activation activation) const {
    if (!kernel_.defined()) throw std::logic_error(type_name() + ": forward before the layer was built");
    const Conv2dOptions o{.stride_height = options_.strides.height, .stride_width = options_.strides.width,
                          .padding = options_.padding, .activation = activation, .negative_slope = options_.negative_slope};
    return transposed_ ? conv2d_transpose(x, kernel_, bias_, o) : conv2d(x, kernel_, bias_, o);
}

void ConvolutionModule::check_precision(Precision precision, const std::string& path) const {
    if (precision == Precision::fp32) return;
    const std::string name(precision_name(precision));
    const std::string layer = path.empty() ? type_name() : "layer '" + path + "' (" + type_name() + ")";
    throw std::invalid_argument("precision " + name + ": " + layer + " has no " + name +
                                " convolutions; they run in fp32 only (compile with Precision::fp32)");
}

Var ConvolutionModule::forward(const Var& x, const ForwardContext& context) {
    check_precision(context.precision, "");
    add_weight_penalties(context, kernel_, options_.kernel_regularizer, bias_, options_.bias_regularizer);
    Var y = convolve(x, activation_);
    add_activity_penalty(context, y, options_.activity_regularizer);
    return y;
}

Var ConvolutionModule::forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) {
    check_precision(context.precision, "");
    if (loss != Loss::binary_crossentropy || activation_ != Activation::sigmoid || options_.activity_regularizer.active())
        return Module::forward_with_loss(x, loss, target, context);
    add_weight_penalties(context, kernel_, options_.kernel_regularizer, bias_, options_.bias_regularizer);
    return cross_entropy_of_sigmoid(convolve(x, Activation::linear), target);
}

void ConvolutionModule::collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) {
    if (kernel_.defined()) out.push_back({prefix + ".kernel", &kernel_});
    if (bias_.defined()) out.push_back({prefix + ".bias", &bias_});
}

Conv2D::Conv2D(std::int64_t filters, Size2D kernel_size, Activation activation, Conv2DOptions options)
    : Layer(std::make_shared<ConvolutionModule>(false, filters, kernel_size, activation, options)) {}
Conv2D::Conv2D(std::int64_t filters, Size2D kernel_size, std::string_view activation, Conv2DOptions options)
    : Conv2D(filters, kernel_size, parse_activation(activation), options) {}
const Var& Conv2D::kernel() const { return static_cast<ConvolutionModule&>(module()).kernel(); }
const Var& Conv2D::bias() const { return static_cast<ConvolutionModule&>(module()).bias(); }

Conv2DTranspose::Conv2DTranspose(std::int64_t filters, Size2D kernel_size, Activation activation, Conv2DOptions options)
    : Layer(std::make_shared<ConvolutionModule>(true, filters, kernel_size, activation, options)) {}
Conv2DTranspose::Conv2DTranspose(std::int64_t filters, Size2D kernel_size, std::string_view activation,
                                 Conv2DOptions options)
    : Conv2DTranspose(filters, kernel_size, parse_activation(activation), options) {}
const Var& Conv2DTranspose::kernel() const { return static_cast<ConvolutionModule&>(module()).kernel(); }
const Var& Conv2DTranspose::bias() const { return static_cast<ConvolutionModule&>(module()).bias(); }

}  // namespace smallnet
