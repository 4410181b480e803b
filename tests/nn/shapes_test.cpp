// Sample shapes through the layers: Input, Reshape, Flatten, the convolution and pooling layers, Dense
// on images, Data's sample shapes, summary's Keras notation and the errors that name both layers.

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/io/mnist.hpp"
#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

const Conv2DOptions same{.padding = Padding::same};
const MaxPooling2DOptions same_pool{.padding = Padding::same};

// The text with every run of spaces made one (summary pads its columns).
std::string squeezed(const std::string& text) {
    std::string out;
    for (const char c : text)
        if (c != ' ' || out.empty() || out.back() != ' ') out += c;
    return out;
}

// The Keras blog's convolutional autoencoder (../shared/peers/torch_conv_ae.py --model blog).
struct BlogModel {
    Sequential encoder{{Input({28, 28, 1}), Conv2D(16, 3, "relu", same), MaxPooling2D(2, same_pool),
                        Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool), Conv2D(8, 3, "relu", same),
                        MaxPooling2D(2, same_pool)},
                       "encoder"};
    Sequential decoder{{Conv2D(8, 3, "relu", same), UpSampling2D(2), Conv2D(8, 3, "relu", same), UpSampling2D(2),
                        Conv2D(16, 3, "relu"), UpSampling2D(2), Conv2D(1, 3, "sigmoid", same)},
                       "decoder"};
    Sequential autoencoder{{encoder, decoder}, "autoencoder"};
};

}  // namespace

TEST_SUITE("nn.shapes") {

TEST_CASE("the Keras blog's conv autoencoder: shapes, parameter counts and names as Keras gives them") {
    BlogModel m;
    m.autoencoder.build(Shape{28, 28, 1});  // built already, from its encoder's Input: only checks
    CHECK(m.encoder.output_shape() == Shape{4, 4, 8});
    CHECK(m.autoencoder.output_shape() == Shape{28, 28, 1});
    const std::string summary = squeezed(m.autoencoder.summary());
    INFO(summary);
    CHECK(summary.find("encoder.0 (Conv2D) (None, 28, 28, 16) 160") != std::string::npos);
    CHECK(summary.find("encoder.1 (MaxPooling2D) (None, 14, 14, 16) 0") != std::string::npos);
    CHECK(summary.find("encoder.5 (MaxPooling2D) (None, 4, 4, 8) 0") != std::string::npos);
    CHECK(summary.find("decoder.4 (Conv2D) (None, 14, 14, 16) 1168") != std::string::npos);
    CHECK(summary.find("decoder.6 (Conv2D) (None, 28, 28, 1) 145") != std::string::npos);
    CHECK(summary.find("Total params: 4385") != std::string::npos);  // PyTorch's count of the same model
    const auto params = m.autoencoder.parameters();
    REQUIRE(params.size() == 14);
    CHECK(params[0].name == "encoder.0.kernel");
    CHECK(params[0].variable->shape() == Shape{3, 3, 1, 16});
    CHECK(params[13].name == "decoder.6.bias");
    // Glorot-uniform over fans kh*kw*in = 9 and kh*kw*out = 144, as Keras computes them.
    const float limit = std::sqrt(6.0f / (9 + 144));
    float largest = 0;
    for (float w : params[0].variable->value().values()) largest = std::max(largest, std::fabs(w));
    CHECK(largest <= limit);
    CHECK(largest > 0.8f * limit);
}

TEST_CASE("keras.io's denoising model: Conv2DTranspose doubles the size with stride 2 and same padding") {
    const Conv2DOptions stride2{.strides = 2, .padding = Padding::same};
    Sequential model({Input({28, 28, 1}), Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool),
                      Conv2D(32, 3, "relu", same), MaxPooling2D(2, same_pool), Conv2DTranspose(32, 3, "relu", stride2),
                      Conv2DTranspose(32, 3, "relu", stride2), Conv2D(1, 3, "sigmoid", same)});
    model.build(Shape{28, 28, 1});
    const std::string summary = squeezed(model.summary());
    INFO(summary);
    CHECK(summary.find("4 (Conv2DTranspose) (None, 14, 14, 32) 9248") != std::string::npos);
    CHECK(summary.find("5 (Conv2DTranspose) (None, 28, 28, 32) 9248") != std::string::npos);
    CHECK(summary.find("Total params: 28353") != std::string::npos);  // as torch_conv_ae.py --model denoise
    CHECK(model.parameters()[4].variable->shape() == Shape{3, 3, 32, 32});
    // valid: height * stride + max(kernel - stride, 0)
    Sequential valid({Input({5, 4, 2}), Conv2DTranspose(3, {3, 2}, "linear", {.strides = 2})});
    valid.build(Shape{5, 4, 2});
    CHECK(valid.output_shape() == Shape{11, 8, 3});
}

TEST_CASE("a shape that does not fit names both layers and both shapes") {
    // Reported where the model is made: it starts with Input, so it is built there.
    CHECK_THROWS_WITH_AS(Sequential({Input(784), Conv2D(16, 3)}, "m"),
                         "layer 'm.0' (Conv2D): Conv2D(16) needs samples of shape (height, width, channels), but "
                         "'m.input' (InputLayer, output (None, 784)) gives it (None, 784) (a Reshape layer can make them so)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Sequential({Input({4, 4, 1}), MaxPooling2D(2), MaxPooling2D(2), Conv2D(2, 3)}, "t"),
                         "layer 't.2' (Conv2D): Conv2D(2): 't.1' (MaxPooling2D, output (None, 1, 1, 1)) gives it "
                         "(None, 1, 1, 1): a kernel height of 3 does not fit an image height of 1 with 'valid' padding",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Sequential({Input(784), Reshape({28, 27, 1})}, "r"),
                         "layer 'r.0' (Reshape): Reshape to (28, 27, 1): 'r.input' (InputLayer, output (None, 784)) "
                         "gives it (None, 784), 784 values per sample, which do not fit",
                         std::invalid_argument);
    // A layer reused with another channel count.
    Conv2D shared(4, 3, "relu", same);
    Sequential first({Input({6, 6, 2}), shared});
    first.build(Shape{6, 6, 2});
    CHECK_THROWS_WITH_AS(Sequential({Input({6, 6, 3}), shared}, "s"),
                         "layer 's.0' (Conv2D): Conv2D(4) was built for 2 input channels, but 's.input' (InputLayer, "
                         "output (None, 6, 6, 3)) gives it (None, 6, 6, 3)",
                         std::invalid_argument);
    CHECK_THROWS_AS(Conv2D(0, 3), std::invalid_argument);
    CHECK_THROWS_AS(Conv2D(4, {3, 0}), std::invalid_argument);
    CHECK_THROWS_AS(Conv2D(4, 3, "relu", {.strides = 0}), std::invalid_argument);
    CHECK_THROWS_AS(UpSampling2D(0), std::invalid_argument);
    CHECK_THROWS_AS(Reshape({-1, -1}), std::invalid_argument);
}

TEST_CASE("Reshape and Flatten are views; Reshape infers a -1") {
    Sequential model({Input(12), Reshape({-1, 2, 3}), Flatten()});
    model.build(12);
    const Tensor x = testing::random_tensor(Shape{5, 12}, 3);
    const Var y = model(Var(x));
    CHECK(y.shape() == Shape{5, 12});
    CHECK(y.value().shares_storage_with(x));
    Sequential image({Input(12), Reshape({-1, 2, 3})});
    CHECK(image(Var(x)).shape() == Shape{5, 2, 2, 3});
}

TEST_CASE("Dense on images works on the last axis, as Keras'") {
    Sequential model({Input({3, 4, 5}), Dense(2, "tanh")}, "", 7);
    CHECK(model.output_shape() == Shape{3, 4, 2});
    const Tensor x = testing::random_tensor(Shape{6, 3, 4, 5}, 4);
    const Tensor y = model.predict(x);
    CHECK(y.shape() == Shape{6, 3, 4, 2});
    // Row (0, 1, 2) of the image against a by-hand dot product.
    const Tensor& kernel = model.parameters()[0].variable->value();
    double z = 0;
    for (int i = 0; i < 5; ++i) z += x.at({0, 1, 2, i}) * kernel.at({i, 1});
    CHECK(y.at({0, 1, 2, 1}) == doctest::Approx(std::tanh(z)).epsilon(1e-5));
    CHECK(testing::bitwise_equal(model(Var(x)).value(), y));
}

TEST_CASE("Data: sample shapes, reshape_samples without copying, and fit's shape checks") {
    std::vector<std::uint8_t> bytes(10 * 12);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
    const Data flat(ByteMatrix(bytes, 10, 12, 1.0f / 255));
    CHECK(flat.sample_shape() == Shape{12});
    const Data images = flat.reshape_samples({2, 2, 3});
    CHECK(images.sample_shape() == Shape{2, 2, 3});
    CHECK(images.columns() == 12);
    Tensor buffer;
    const Tensor batch = images.batch(2, 6, buffer);
    CHECK(batch.shape() == Shape{4, 2, 2, 3});
    CHECK(batch.shares_storage_with(buffer));  // the conversion's buffer itself, seen as images
    CHECK(batch.at({1, 0, 1, 2}) == doctest::Approx(static_cast<std::uint8_t>((3 * 12 + 5) * 7) / 255.0f));
    // A shorter batch goes into the first rows of the same buffer, not into a new one beside it.
    const Tensor last = images.batch(8, 10, buffer);
    CHECK(last.shape() == Shape{2, 2, 2, 3});
    CHECK(last.data() == batch.data());
    CHECK(buffer.shape() == Shape{4, 12});
    CHECK(last.at({1, 1, 1, 2}) == doctest::Approx(static_cast<std::uint8_t>((9 * 12 + 11) * 7) / 255.0f));
    const std::int64_t order[] = {9, 0};
    CHECK(images.gather(order, 2, buffer).shape() == Shape{2, 2, 2, 3});
    CHECK(buffer.shape() == Shape{4, 12});
    CHECK(images.slice(1, 3).sample_shape() == Shape{2, 2, 3});
    CHECK_THROWS_WITH_AS(flat.reshape_samples({5, 5}),
                         "Data::reshape_samples: samples of shape [12] cannot be seen as [5, 5]: the value counts differ",
                         std::invalid_argument);
    const Data from_tensor(zeros(Shape{3, 4, 5}));
    CHECK(from_tensor.sample_shape() == Shape{4, 5});
    CHECK(from_tensor.columns() == 20);

    Sequential model({Input({2, 2, 3}), Conv2D(2, 1, "sigmoid")});
    model.compile(Adam(), "mse");
    CHECK_THROWS_WITH_AS(model.fit(flat, flat),
                         "fit: the model takes samples of shape (None, 2, 2, 3), but x has (None, 12) (the same number of "
                         "values: Data::reshape_samples([2, 2, 3]) gives them that shape without copying)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(images, images),
                         "fit: the model outputs samples of shape (None, 2, 2, 2), but y has (None, 2, 2, 3)",
                         std::invalid_argument);
}

TEST_CASE("a small conv autoencoder on uint8 images learns, and predict gives image-shaped outputs") {
    // 64 8x8 images of bright squares at random places.
    Generator generator(5);
    std::vector<std::uint8_t> bytes(64 * 64, 0);
    for (int n = 0; n < 64; ++n) {
        const int y = static_cast<int>(generator.below(5)), x = static_cast<int>(generator.below(5));
        for (int dy = 0; dy < 3; ++dy)
            for (int dx = 0; dx < 3; ++dx) bytes[static_cast<std::size_t>(n * 64 + (y + dy) * 8 + x + dx)] = 255;
    }
    const Data images = Data(ByteMatrix(bytes, 64, 64, 1.0f / 255)).reshape_samples({8, 8, 1});
    Sequential model({Input({8, 8, 1}), Conv2D(8, 3, "relu", same), MaxPooling2D(2, same_pool),
                      Conv2DTranspose(8, 3, "relu", {.strides = 2, .padding = Padding::same}),
                      Conv2D(1, 3, "sigmoid", same)});
    model.compile(Adam({.learning_rate = 0.01f}), "bce");
    const History history = model.fit(images, images, {.epochs = 30, .batch_size = 16, .verbose = 0, .seed = 3});
    CHECK(history.epochs.back().loss < 0.5 * history.epochs.front().loss);
    const Tensor out = model.predict(images);
    CHECK(out.shape() == Shape{64, 8, 8, 1});
    CHECK(model.evaluate(images, images) == doctest::Approx(history.epochs.back().loss).epsilon(0.2));
}

}  // TEST_SUITE
