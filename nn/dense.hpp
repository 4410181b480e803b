#pragma once
// Dense: a fully connected layer, activation(x · kernel + bias), kernel [in, out], bias [out].
// Keras' defaults: kernel initialised Glorot-uniform, bias zeros. As in Keras, a sample of rank above
// 1 is transformed along its last axis ([h, w, in] -> [h, w, out]); Flatten first for the usual
// image classifier.

#include <string_view>

#include "nn/initializers.hpp"
#include "nn/layer.hpp"
#include "nn/regularizers.hpp"
#include "tensor/activation.hpp"

namespace smallnet {

struct DenseOptions {
    Initializer kernel_initializer = Initializer::glorot_uniform;
    Initializer bias_initializer = Initializer::zeros;
    bool use_bias = true;
    float negative_slope = 0.3f;  // for leaky_relu
    Regularizer kernel_regularizer{};    // see nn/regularizers.hpp; none by default
    Regularizer bias_regularizer{};
    Regularizer activity_regularizer{};  // on the layer's output
};

class DenseModule final : public Module {
public:
    DenseModule(std::int64_t units, Activation activation, DenseOptions options);
    std::string type_name() const override { return "Dense"; }
    Config config() const override;
    Shape build(const Shape& input_shape, const std::string& previous, Generator& generator) override;
    Var forward(const Var& x, const ForwardContext& context) override;
    Var forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) override;
    void predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) override;
    void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) override;
    Shape output_shape() const override { return output_shape_; }

    const Var& kernel() const { return kernel_; }
    const Var& bias() const { return bias_; }

private:
    std::int64_t units_;
    Activation activation_;
    DenseOptions options_;
    Var kernel_;
    Var bias_;
    Shape output_shape_;
};

class Dense : public Layer {
public:
    Dense(std::int64_t units, Activation activation = Activation::linear, DenseOptions options = {});
    // The activation by name: "relu", "sigmoid", ... (see tensor/activation.hpp).
    Dense(std::int64_t units, std::string_view activation, DenseOptions options = {});

    const Var& kernel() const;
    const Var& bias() const;
};

}  // namespace smallnet
