#include <cmath>
#include <stdexcept>

#include "tests/support.hpp"
#include "nn/nn.hpp"

using namespace smallnet;

TEST_SUITE("nn.layers") {

TEST_CASE("Dense computes activation(x · kernel + bias) on a hand-worked case") {
    Sequential model({Input(2), Dense(3, "relu")});
    model.build(2);
    const auto params = model.parameters();
    REQUIRE(params.size() == 2);
    CHECK(params[0].name == "0.kernel");
    CHECK(params[1].name == "0.bias");
    params[0].variable->value().copy_from(from_buffer(std::vector<float>{1, -1, 0.5f, 2, 1, -1}, Shape{2, 3}));
    params[1].variable->value().copy_from(from_buffer(std::vector<float>{0.5f, 0, -10}, Shape{3}));
    const Tensor y = model.predict(from_buffer(std::vector<float>{1, 2, -1, 0}, Shape{2, 2}));
    // x0 = [1, 2]: [1+4+0.5, -1+2, 0.5-2-10] -> relu -> [5.5, 1, 0]; x1 = [-1, 0]: [-1+0.5, 1, -0.5-10] -> [0, 1, 0]
    const float expected[] = {5.5f, 1, 0, 0, 1, 0};
    for (int i = 0; i < 6; ++i) CHECK(y.data()[i] == doctest::Approx(expected[i]));
}

TEST_CASE("output shapes and parameter counts of the seed's autoencoder; summary lists them") {
    Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
    Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.build(784);
    CHECK(encoder.output_size() == 32);
    CHECK(autoencoder.output_size() == 784);
    const auto params = autoencoder.parameters();
    REQUIRE(params.size() == 8);
    CHECK(params[0].name == "encoder.0.kernel");
    CHECK(params[3].name == "encoder.1.bias");
    CHECK(params[6].name == "decoder.1.kernel");
    CHECK(params[6].variable->shape() == Shape{128, 784});
    const std::string summary = autoencoder.summary();
    CHECK(summary.find("encoder.0 (Dense)") != std::string::npos);
    CHECK(summary.find("(None, 784)") != std::string::npos);
    CHECK(summary.find("Total params: 209968") != std::string::npos);  // 100480 + 4128 + 4224 + 101136
}

TEST_CASE("a Dense whose input size does not fit the previous layer is refused, naming both") {
    Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
    encoder.build(784);
    // Models that know their input are built, so checked, where they are made.
    CHECK_THROWS_WITH_AS(Sequential({Input(100), encoder}, "wrong"),
                         "layer 'wrong.encoder' (Sequential): Sequential 'encoder' takes samples of shape (None, 784), "
                         "but 'wrong.input' (InputLayer, output (None, 100)) gives it (None, 100)",
                         std::invalid_argument);
    Sequential decoder({Dense(10)}, "decoder");
    decoder.build(64);
    CHECK_THROWS_WITH_AS(Sequential({encoder, decoder}, "chained"),
                         "layer 'chained.decoder' (Sequential): Sequential 'decoder' takes samples of shape (None, 64), "
                         "but 'chained.encoder' (Sequential, output (None, 32)) gives it (None, 32)",
                         std::invalid_argument);
    // A Dense shared between two models is checked against its kernel.
    Dense shared(10);
    Sequential first({Input(64), shared});
    first.build(64);
    CHECK_THROWS_WITH_AS(Sequential({Input(784), encoder, shared}, "second"),
                         "layer 'second.1' (Dense): Dense(10) was built for 64 inputs, but 'second.encoder' "
                         "(Sequential, output (None, 32)) gives it (None, 32)",
                         std::invalid_argument);
    CHECK_THROWS_AS(Dense(0), std::invalid_argument);
    CHECK_THROWS_WITH_AS(Dense(3, "swish"), "unknown activation 'swish' (expected linear, relu, leaky_relu, sigmoid, tanh, softplus or softmax)",
                         std::invalid_argument);
}

TEST_CASE("Glorot-uniform kernels and zero biases by default") {
    Sequential model({Input(784), Dense(128)}, "", 3);
    const auto params = model.parameters();
    const double limit = std::sqrt(6.0 / (784 + 128));
    for (float w : params[0].variable->value().values()) CHECK(std::fabs(w) <= limit);
    for (float b : params[1].variable->value().values()) CHECK(b == 0.0f);
}

TEST_CASE("Dropout and the noise layers act in training only") {
    Tensor x = full(Shape{50, 40}, 0.5f);
    Generator generator(1);
    const ForwardContext training{true, &generator}, inference{false, nullptr};
    Dropout dropout(0.25f);
    dropout.module().build(Shape{40}, "x", generator);
    const Tensor dropped = dropout.module().forward(Var(x), training).value();
    int zeros_seen = 0;
    for (float v : dropped.values()) {
        CHECK((v == 0.0f || v == doctest::Approx(0.5f / 0.75f)));
        zeros_seen += v == 0.0f;
    }
    CHECK(zeros_seen == doctest::Approx(500).epsilon(0.15));
    CHECK(testing::bitwise_equal(dropout.module().forward(Var(x), inference).value(), x));

    GaussianNoise noise(0.1f);
    const Tensor noisy = noise.module().forward(Var(x), training).value();
    double sum = 0, squares = 0;
    for (float v : noisy.values()) sum += v - 0.5, squares += (v - 0.5) * (v - 0.5);
    CHECK(std::sqrt(squares / 2000) == doctest::Approx(0.1).epsilon(0.1));
    CHECK(std::abs(sum / 2000) < 0.01);  // centred: 4.5 standard errors of the mean
    CHECK(testing::bitwise_equal(noise.module().forward(Var(x), inference).value(), x));

    SaltAndPepper salt(0.2f);
    int changed = 0;
    for (float v : salt.module().forward(Var(x), training).value().values()) {
        CHECK((v == 0.0f || v == 1.0f || v == 0.5f));
        changed += v != 0.5f;
    }
    CHECK(changed == doctest::Approx(400).epsilon(0.2));
}

TEST_CASE("a model called in training mode runs Dropout from its own seeded generator or the caller's") {
    const Tensor x = full(Shape{8, 64}, 1.0f);
    const auto make = [] {
        return Sequential({Input(64), Dropout(0.5f)}, "dropping", 7);
    };
    Sequential first = make(), second = make();
    const Tensor a = first(Var(x), true).value().clone(), b = first(Var(x), true).value().clone();
    CHECK_FALSE(testing::bitwise_equal(a, b));                                  // the stream goes on between calls
    CHECK(testing::bitwise_equal(second(Var(x), true).value(), a));             // the same build seed, the same masks
    CHECK(testing::bitwise_equal(first(Var(x), false).value(), x));             // inference: nothing dropped
    Generator mine(3), again(3);
    CHECK(testing::bitwise_equal(first(Var(x), true, mine).value(), second(Var(x), true, again).value()));
    int dropped = 0;
    for (float v : a.values()) dropped += v == 0.0f;
    CHECK(dropped == doctest::Approx(256).epsilon(0.25));
}

}  // TEST_SUITE
