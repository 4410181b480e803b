// The models of ae_mnist, written as their Keras originals.
#include "apps/ae_mnist/ae_mnist.hpp"

namespace smallnet::ae_mnist {

Shape image_shape(const MnistSplit& split) { return Shape{split.rows, split.columns, 1}; }

Autoencoder make_autoencoder(std::int64_t pixels, std::int64_t bottleneck, std::int64_t hidden,
                             std::vector<Layer> corruption, std::uint64_t seed) {
    Sequential encoder({Input(pixels), Dense(hidden, "relu"), Dense(bottleneck, "relu")}, "encoder", seed);
    Sequential decoder({Dense(hidden, "relu"), Dense(pixels, "sigmoid")}, "decoder");
    corruption.push_back(encoder);
    corruption.push_back(decoder);
    return {encoder, decoder, Sequential(corruption, "autoencoder")};
}

namespace {
const Conv2DOptions same{.padding = Padding::same};
const MaxPooling2DOptions same_pool{.padding = Padding::same};
}  // namespace

Autoencoder make_conv_autoencoder(const Shape& image, std::uint64_t seed) {
    Sequential encoder({Input(image), Conv2D(16, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool)}, "encoder", seed);
    Sequential decoder({Conv2D(8, 3, "relu", same), UpSampling2D(2),
                        Conv2D(8, 3, "relu", same), UpSampling2D(2),
                        Conv2D(16, 3, "relu"), UpSampling2D(2),
                        Conv2D(1, 3, "sigmoid", same)}, "decoder");
    return {encoder, decoder, Sequential({encoder, decoder}, "autoencoder")};
}

Autoencoder make_conv_denoiser(const Shape& image, std::vector<Layer> corruption, std::uint64_t seed) {
    const Conv2DOptions upsample{.strides = 2, .padding = Padding::same};
    Sequential encoder({Input(image), Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool)}, "encoder", seed);
    Sequential decoder({Conv2DTranspose(32, 3, "relu", upsample), Conv2DTranspose(32, 3, "relu", upsample),
                        Conv2D(1, 3, "sigmoid", same)}, "decoder");
    corruption.push_back(encoder);
    corruption.push_back(decoder);
    return {encoder, decoder, Sequential(corruption, "autoencoder")};
}

Autoencoder make_vae(std::int64_t pixels, std::int64_t hidden, std::int64_t latent, float beta, std::uint64_t seed) {
    Sequential encoder({Input(pixels), Dense(hidden, "relu"), Sampling(latent, {.beta = beta})}, "encoder", seed);
    Sequential decoder({Dense(hidden, "relu"), Dense(pixels, "sigmoid")}, "decoder");
    return {encoder, decoder, Sequential({encoder, decoder}, "vae")};
}

Autoencoder make_sparse_autoencoder(std::int64_t pixels, std::int64_t bottleneck, float l1, std::uint64_t seed) {
    Sequential encoder({Input(pixels), Dense(128, "relu"), Dense(bottleneck, "relu", {.activity_regularizer = L1(l1)})},
                       "encoder", seed);
    Sequential decoder({Dense(128, "relu"), Dense(pixels, "sigmoid")}, "decoder");
    return {encoder, decoder, Sequential({encoder, decoder}, "autoencoder")};
}

}  // namespace smallnet::ae_mnist
