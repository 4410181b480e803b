#pragma once
// Layers without weights: Input (declares the sample shape), activations, Dropout, and the noise
// layers for denoising autoencoders (GaussianNoise, SaltAndPepper). Dropout and the noise layers act
// only while training; in predict and evaluate they pass their input through.

#include <initializer_list>
#include <string_view>

#include "nn/layer.hpp"
#include "tensor/activation.hpp"

namespace smallnet {

// Declares the shape of the model's samples: Input(784) (Keras' Input(shape=(784,))) or
// Input({28, 28, 1}) for images with their channels last.
class Input : public Layer {
public:
    explicit Input(std::int64_t features);
    Input(std::initializer_list<std::int64_t> shape);
    explicit Input(const Shape& shape);
};

// activation(x) as a layer of its own.
class ActivationLayer : public Layer {
public:
    explicit ActivationLayer(Activation activation, float negative_slope = 0.3f);
    explicit ActivationLayer(std::string_view activation);
};
ActivationLayer ReLU();
ActivationLayer LeakyReLU(float negative_slope = 0.3f);
ActivationLayer Sigmoid();
ActivationLayer Tanh();
ActivationLayer Softplus();

// Zeroes each input with probability `rate` while training, scaling the rest by 1 / (1 - rate).
class Dropout : public Layer {
public:
    explicit Dropout(float rate);
};

// Adds normal noise of standard deviation `stddev` while training.
class GaussianNoise : public Layer {
public:
    explicit GaussianNoise(float stddev);
};

// While training, sets each input to 0 (pepper) or 1 (salt) with probability rate / 2 each.
class SaltAndPepper : public Layer {
public:
    explicit SaltAndPepper(float rate);
};

}  // namespace smallnet
