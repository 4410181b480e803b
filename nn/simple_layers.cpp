#include "nn/simple_layers.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/ops/arithmetic.hpp"
#include "autograd/ops/unary.hpp"

namespace smallnet {

namespace {

// The common part of layers whose output has their input's shape.
class ShapePreservingModule : public Module {
public:
    Shape build(const Shape& input_shape, const std::string&, Generator&) override {
        shape_ = input_shape;
        return shape_;
    }
    Shape output_shape() const override { return shape_; }

protected:
    Shape shape_;
};

class InputModule final : public ShapePreservingModule {
public:
    explicit InputModule(const Shape& shape) {
        if (shape.rank() == 0 || shape.numel() < 1)
            throw std::invalid_argument("Input: the sample shape must have positive dimensions, got " + shape.to_string());
        shape_ = shape;
    }
    std::string type_name() const override { return "InputLayer"; }
    Config config() const override {
        return Config("InputLayer").set("shape", std::vector<double>(shape_.begin(), shape_.end()));
    }
    Shape build(const Shape& input_shape, const std::string& previous, Generator&) override {
        if (input_shape != shape_)
            throw std::invalid_argument("Input expects samples of shape " + batch_shape_string(shape_) + ", but " + previous +
                                        " gives it " + batch_shape_string(input_shape) +
                                        (input_shape.numel() == shape_.numel()
                                             ? " (the same values in another shape: Data::reshape_samples or a Reshape layer "
                                               "changes it without copying)"
                                             : ""));
        return shape_;
    }
    Var forward(const Var& x, const ForwardContext&) override { return x; }
};

class ActivationModule final : public ShapePreservingModule {
public:
    ActivationModule(Activation activation, float slope) : activation_(activation), slope_(slope) {}
    std::string type_name() const override { return "Activation(" + std::string(activation_name(activation_)) + ")"; }
    Var forward(const Var& x, const ForwardContext&) override { return activate(activation_, x, slope_); }
    Config config() const override {
        return Config("Activation").set("activation", std::string(activation_name(activation_))).set("negative_slope", slope_);
    }

private:
    Activation activation_;
    float slope_;
};

void check_rate(const char* layer, float rate) {
    if (!(rate >= 0.0f && rate < 1.0f))
        throw std::invalid_argument(std::string(layer) + ": rate must be in [0, 1), got " + std::to_string(rate));
}

Generator& generator_of(const ForwardContext& context, const char* layer) {
    if (!context.generator) throw std::logic_error(std::string(layer) + ": training needs a random generator");
    return *context.generator;
}

class DropoutModule final : public ShapePreservingModule {
public:
    explicit DropoutModule(float rate) : rate_(rate) { check_rate("Dropout", rate); }
    std::string type_name() const override { return "Dropout"; }
    Config config() const override { return Config("Dropout").set("rate", rate_); }
    Var forward(const Var& x, const ForwardContext& context) override {
        if (!context.training || rate_ == 0.0f) return x;
        Tensor mask(x.shape());
        generator_of(context, "Dropout").fill_uniform(mask.data(), mask.numel(), 0.0f, 1.0f);
        const float keep_scale = 1.0f / (1.0f - rate_);
        for (float& m : mask.values()) m = m < rate_ ? 0.0f : keep_scale;
        return x * Var(mask);
    }

private:
    float rate_;
};

class GaussianNoiseModule final : public ShapePreservingModule {
public:
    explicit GaussianNoiseModule(float stddev) : stddev_(stddev) {
        if (!(stddev >= 0.0f)) throw std::invalid_argument("GaussianNoise: stddev must be >= 0");
    }
    std::string type_name() const override { return "GaussianNoise"; }
    Config config() const override { return Config("GaussianNoise").set("stddev", stddev_); }
    Var forward(const Var& x, const ForwardContext& context) override {
        if (!context.training || stddev_ == 0.0f) return x;
        Tensor noise(x.shape());
        generator_of(context, "GaussianNoise").fill_normal(noise.data(), noise.numel(), 0.0f, stddev_);
        return x + Var(noise);
    }

private:
    float stddev_;
};

class SaltAndPepperModule final : public ShapePreservingModule {
public:
    explicit SaltAndPepperModule(float rate) : rate_(rate) { check_rate("SaltAndPepper", rate); }
    std::string type_name() const override { return "SaltAndPepper"; }
    Config config() const override { return Config("SaltAndPepper").set("rate", rate_); }
    Var forward(const Var& x, const ForwardContext& context) override {
        if (!context.training || rate_ == 0.0f) return x;
        // y = x · keep + salt: keep is 0 where a pixel is replaced, salt is 1 where it becomes white.
        Tensor keep(x.shape()), salt(x.shape());
        generator_of(context, "SaltAndPepper").fill_uniform(keep.data(), keep.numel(), 0.0f, 1.0f);
        for (std::int64_t i = 0; i < keep.numel(); ++i) {
            const float u = keep.data()[i];
            salt.data()[i] = u < rate_ / 2 ? 1.0f : 0.0f;
            keep.data()[i] = u < rate_ ? 0.0f : 1.0f;
        }
        return x * Var(keep) + Var(salt);
    }

private:
    float rate_;
};

}  // namespace

Input::Input(std::int64_t features) : Input(Shape{features}) {}
Input::Input(std::initializer_list<std::int64_t> shape) : Input(Shape(shape)) {}
Input::Input(const Shape& shape) : Layer(std::make_shared<InputModule>(shape)) {}
ActivationLayer::ActivationLayer(Activation activation, float negative_slope)
    : Layer(std::make_shared<ActivationModule>(activation, negative_slope)) {}
ActivationLayer::ActivationLayer(std::string_view activation) : ActivationLayer(parse_activation(activation)) {}
ActivationLayer ReLU() { return ActivationLayer(Activation::relu); }
ActivationLayer LeakyReLU(float negative_slope) { return ActivationLayer(Activation::leaky_relu, negative_slope); }
ActivationLayer Sigmoid() { return ActivationLayer(Activation::sigmoid); }
ActivationLayer Tanh() { return ActivationLayer(Activation::tanh); }
ActivationLayer Softplus() { return ActivationLayer(Activation::softplus); }
Dropout::Dropout(float rate) : Layer(std::make_shared<DropoutModule>(rate)) {}
GaussianNoise::GaussianNoise(float stddev) : Layer(std::make_shared<GaussianNoiseModule>(stddev)) {}
SaltAndPepper::SaltAndPepper(float rate) : Layer(std::make_shared<SaltAndPepperModule>(rate)) {}

}  // namespace smallnet
