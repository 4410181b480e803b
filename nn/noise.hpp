#pragma once
// Corrupting images as the noise layers do while training (nn/simple_layers.hpp), for evaluating a
// denoising autoencoder on test images: the same kinds of noise, from a seeded generator.

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

struct NoiseOptions {
    float gaussian_stddev = 0.0f;    // GaussianNoise: adds normal noise of this standard deviation
    float salt_and_pepper = 0.0f;    // SaltAndPepper: this fraction of values set to 0 or 1 (half each)
    bool clip = false;               // clamp the result to [0, 1] (the layers do not)
};

// A noisy copy of x: Gaussian noise first, then salt and pepper, as a model whose first layers are
// GaussianNoise then SaltAndPepper corrupts its input in training.
Tensor add_noise(const Tensor& x, const NoiseOptions& options, Generator& generator);

}  // namespace smallnet
