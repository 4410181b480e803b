#pragma once
// Conv2D and Conv2DTranspose: Keras' convolution layers on images with their channels last
// ([height, width, channels] samples). Kernels are [kh, kw, in, filters] (Conv2D) and [kh, kw,
// filters, in] (Conv2DTranspose), Glorot-uniform with fans kh*kw times the kernel's last two axes,
// biases zero; the bias and the activation are fused into the pass that writes the output.
//
//   Conv2D(16, 3, "relu", {.padding = Padding::same})              // [28, 28, 1] -> [28, 28, 16]
//   Conv2DTranspose(32, 3, "relu", {.strides = 2, .padding = Padding::same})  // [7, 7, 32] -> [14, 14, 32]

#include <cstdint>
#include <string_view>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"
#include "nn/regularizers.hpp"
#include "nn/size2d.hpp"
#include "tensor/activation.hpp"
#include "tensor/conv.hpp"

namespace smallnet {

struct Conv2DOptions {
    Size2D strides = 1;
    Padding padding = Padding::valid;  // Keras' default; `same` keeps height / stride (rounded up)
    Initializer kernel_initializer = Initializer::glorot_uniform;
    Initializer bias_initializer = Initializer::zeros;
    bool use_bias = true;
    float negative_slope = 0.3f;  // for leaky_relu
    Regularizer kernel_regularizer{};    // see nn/regularizers.hpp; none by default
    Regularizer bias_regularizer{};
    Regularizer activity_regularizer{};  // on the layer's output
};

// The module behind both layers.
class ConvolutionModule final : public Module {
public:
    ConvolutionModule(bool transposed, std::int64_t filters, Size2D kernel_size, Activation activation,
                      Conv2DOptions options);
    std::string type_name() const override { return transposed_ ? "Conv2DTranspose" : "Conv2D"; }
    Config config() const override;
    Shape build(const Shape& input_shape, const std::string& previous, Generator& generator) override;
    Var forward(const Var& x, const ForwardContext& context) override;
    // A sigmoid output with bce: the cross-entropy from the logits (see cross_entropy_of_sigmoid).
    Var forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) override;
    void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) override;
    Shape output_shape() const override { return output_shape_; }
    // The convolutions run in fp32 only: bf16 is refused rather than run in fp32 unasked.
    void check_precision(Precision precision, const std::string& path) const override;

    const Var& kernel() const { return kernel_; }
    const Var& bias() const { return bias_; }

private:
    Var convolve(const Var& x, Activation activation) const;

    bool transposed_;
    std::int64_t filters_;
    Size2D kernel_size_;
    Activation activation_;
    Conv2DOptions options_;
    Var kernel_;
    Var bias_;
    Shape output_shape_;
};

// activation(conv(x, kernel) + bias), `filters` output channels.
class Conv2D : public Layer {
public:
    Conv2D(std::int64_t filters, Size2D kernel_size, Activation activation = Activation::linear,
           Conv2DOptions options = {});
    Conv2D(std::int64_t filters, Size2D kernel_size, std::string_view activation, Conv2DOptions options = {});
    const Var& kernel() const;
    const Var& bias() const;
};

// The transposed convolution (the gradient of a strided Conv2D with respect to its input): with
// `same` padding each side grows by the stride.
class Conv2DTranspose : public Layer {
public:
    Conv2DTranspose(std::int64_t filters, Size2D kernel_size, Activation activation = Activation::linear,
                    Conv2DOptions options = {});
    Conv2DTranspose(std::int64_t filters, Size2D kernel_size, std::string_view activation, Conv2DOptions options = {});
    const Var& kernel() const;
    const Var& bias() const;
};

}  // namespace smallnet
