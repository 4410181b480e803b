#pragma once
// Dense: a fully connected layer, activation(x · kernel + bias), kernel [in, out], bias [out].
// Keras' defaults: kernel initialised Glorot-uniform, bias zeros.

#include <string_view>

#include "nn/layer.hpp"
#include "tensor/activation.hpp"

namespace smallnet {

enum class Initializer { glorot_uniform, he_uniform, he_normal, zeros };

struct DenseOptions {
    Initializer kernel_initializer = Initializer::glorot_uniform;
    Initializer bias_initializer = Initializer::zeros;
    bool use_bias = true;
    float negative_slope = 0.3f;  // for leaky_relu
};

class DenseModule final : public Module {
public:
    DenseModule(std::int64_t units, Activation activation, DenseOptions options);
    std::string type_name() const override { return "Dense"; }
    std::int64_t build(std::int64_t input_size, const std::string& previous, Generator& generator) override;
    Var forward(const Var& x, const ForwardContext& context) override;
    Var forward_with_loss(const Var& x, Loss loss, const Tensor& target, const ForwardContext& context) override;
    void predict_into(const Tensor& x, Tensor& out, const ForwardContext& context) override;
    void collect_parameters(const std::string& prefix, std::vector<NamedParameter>& out) override;
    std::int64_t output_size() const override { return units_; }

    const Var& kernel() const { return kernel_; }
    const Var& bias() const { return bias_; }

private:
    std::int64_t units_;
    Activation activation_;
    DenseOptions options_;
    Var kernel_;
    Var bias_;
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
