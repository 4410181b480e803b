// Loss terms from layers: the variational code (Sampling) and the regularizers add them, fit and
// evaluate report them, predict adds nothing; the sum_over_features reduction.

#include <cmath>
#include <stdexcept>
#include <string>

#include "nn/io/history_files.hpp"
#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

// 256 samples of 16 values in [0, 1]: two kinds of pattern, with noise.
Tensor patterns() {
    Tensor x(Shape{256, 16});
    Generator generator(4);
    for (std::int64_t i = 0; i < 256; ++i)
        for (std::int64_t j = 0; j < 16; ++j)
            x.data()[i * 16 + j] = std::clamp((i % 2 ? j < 8 : j >= 8) ? 0.8f + 0.1f * generator.normal() : 0.1f, 0.0f, 1.0f);
    return x;
}

std::vector<std::string> names(const NamedValues& values) {
    std::vector<std::string> out;
    for (const auto& [name, value] : values) out.push_back(name);
    return out;
}

}  // namespace

TEST_SUITE("nn.loss_terms") {

TEST_CASE("a VAE: fit reports reconstruction and kl, their sum is the loss; evaluate samples reproducibly; predict gives the means") {
    Sequential encoder({Input(16), Dense(8, "relu"), Sampling(2)}, "encoder");
    Sequential decoder({Dense(8, "relu"), Dense(16, "sigmoid")}, "decoder");
    Sequential vae({encoder, decoder}, "vae");
    vae.compile(Adam({.learning_rate = 0.01f}), "bce", {.reduction = Reduction::sum_over_features});
    const Tensor x = patterns();
    const History history = vae.fit(x, x, {.epochs = 20, .batch_size = 32, .validation_data = {x, x}, .verbose = 0, .seed = 5});
    const EpochLogs& last = history.epochs.back();
    CHECK(names(last.values) == std::vector<std::string>{"reconstruction", "kl", "val_reconstruction", "val_kl"});
    CHECK(last.loss == doctest::Approx(*find_value(last.values, "reconstruction") + *find_value(last.values, "kl")).epsilon(1e-5));
    CHECK(*last.val_loss ==
          doctest::Approx(*find_value(last.values, "val_reconstruction") + *find_value(last.values, "val_kl")).epsilon(1e-5));
    CHECK(*find_value(last.values, "kl") > 0.0);
    CHECK(last.loss < 0.8 * history.epochs.front().loss);

    const Sequential::Evaluation first = vae.evaluate_parts(x, x), second = vae.evaluate_parts(x, x);
    CHECK(first.loss == second.loss);  // its own generator, seeded the same each time
    CHECK(first.loss == *last.val_loss);
    CHECK(vae.evaluate(x, x) == first.loss);

    // predict: the means, from the z_mean head alone; the decoder generates from any code.
    const Tensor means = encoder.predict(x);
    CHECK(means.shape() == Shape{256, 2});
    const auto params = vae.parameters();
    REQUIRE(params.size() == 10);
    CHECK(params[2].name == "encoder.1.z_mean.kernel");
    CHECK(params[5].name == "encoder.1.z_log_var.bias");
    CHECK(testing::bitwise_equal(encoder.predict(x), means));  // no sampling in inference
    CHECK(decoder.predict(zeros(Shape{3, 2})).shape() == Shape{3, 16});

    const CsvTable table = history_table(history);
    CHECK(table.header == std::vector<std::string>{"epoch", "loss", "reconstruction", "kl", "val_loss", "val_reconstruction",
                                                   "val_kl", "seconds"});
}

TEST_CASE("the KL term has its closed form, and beta weighs it") {
    Sequential model({Input(3), Sampling(2, {.beta = 0.5f})}, "", 1);
    const auto params = model.parameters();
    // z_mean = x · W_mean, z_log_var = x · W_log_var with known kernels and zero biases.
    params[0].variable->value().fill(0.5f);
    params[2].variable->value().fill(-1.0f);
    model.compile(SGD(), "mse");
    const Tensor x = full(Shape{4, 3}, 1.0f);  // mean 1.5, log_var -3 in every dimension
    const Sequential::Evaluation e = model.evaluate_parts(x, zeros(Shape{4, 2}));
    const double kl_per_dimension = -0.5 * (1 - 3.0 - 1.5 * 1.5 - std::exp(-3.0));
    CHECK(*find_value(e.values, "kl") == doctest::Approx(0.5 * 2 * kl_per_dimension).epsilon(1e-6));
    CHECK_THROWS_AS(Sampling(2, {.beta = -1.0f}), std::invalid_argument);
    CHECK_THROWS_AS(Sequential({Input({4, 4, 1}), Sampling(2)}), std::invalid_argument);
}

TEST_CASE("regularizers: Keras' penalties as loss terms, the activity one divided by the batch") {
    const Tensor x = patterns();
    Sequential model({Input(16), Dense(4, "relu", {.kernel_regularizer = L2(0.01f), .activity_regularizer = L1(0.1f)}),
                      Dense(16, "sigmoid", {.bias_regularizer = L1L2(0.2f, 0.3f)})},
                     "", 2);
    model.compile(Adam(), "mse");
    const auto params = model.parameters();
    params[3].variable->value().fill(0.5f);  // the second bias
    const Sequential::Evaluation e = model.evaluate_parts(x, x, 256);
    CHECK(names(e.values) == std::vector<std::string>{"reconstruction", "kernel_regularization", "activity_regularization",
                                                      "bias_regularization"});
    double squares = 0;
    for (const float w : params[0].variable->value().values()) squares += static_cast<double>(w) * w;
    CHECK(*find_value(e.values, "kernel_regularization") == doctest::Approx(0.01 * squares).epsilon(1e-5));
    CHECK(*find_value(e.values, "bias_regularization") == doctest::Approx(16 * (0.2 * 0.5 + 0.3 * 0.25)).epsilon(1e-5));
    // The activity term: 0.1 · mean over samples of Σ|code|, the code being the first layer's output.
    double activity = 0;
    {
        Var h = linear(Var(x), *params[0].variable, *params[1].variable, Activation::relu);
        for (const float v : h.value().values()) activity += std::fabs(v);
    }
    CHECK(*find_value(e.values, "activity_regularization") == doctest::Approx(0.1 * activity / 256).epsilon(1e-5));
    CHECK(e.loss == doctest::Approx(e.values[0].second + e.values[1].second + e.values[2].second + e.values[3].second).epsilon(1e-6));
    // Training reports them and lowers the penalised code.
    const History history = model.fit(x, x, {.epochs = 5, .batch_size = 64, .verbose = 0, .seed = 1});
    CHECK(find_value(history.epochs.back().values, "activity_regularization").has_value());
}

TEST_CASE("sum_over_features: the batch's loss is each sample's sum, averaged (mean · values per sample)") {
    const Tensor x = patterns();
    Sequential model({Input(16), Dense(3, "relu"), Dense(16, "sigmoid")}, "", 9);
    model.compile(Adam(), "bce");
    const double mean = model.evaluate(x, x);
    model.compile(Adam(), "bce", {.reduction = Reduction::sum_over_features});
    CHECK(model.evaluate(x, x) == doctest::Approx(16 * mean).epsilon(1e-6));
    CHECK(model.evaluate_parts(x, x).values.empty());  // no parts without terms
}

TEST_CASE("callbacks can monitor a part of the loss; an unknown one is named with what there is") {
    Sequential encoder({Input(16), Dense(8, "relu"), Sampling(2)}, "encoder");
    Sequential vae({encoder, Sequential({Dense(16, "sigmoid")})});
    vae.compile(Adam(), "bce", {.reduction = Reduction::sum_over_features});
    const Tensor x = patterns();
    const History history = vae.fit(x, x, {.epochs = 3, .batch_size = 64, .validation_data = {x, x},
                                           .callbacks = {EarlyStopping({.monitor = "val_kl", .patience = 100})},
                                           .verbose = 0});
    CHECK(history.epochs.size() == 3);
    CHECK_THROWS_WITH_AS(vae.fit(x, x, {.epochs = 1, .callbacks = {EarlyStopping({.monitor = "val_kl"})}, .verbose = 0}),
                         "callback: unknown monitor 'val_kl' (this fit reports loss, reconstruction, kl)",
                         std::invalid_argument);
}

}  // TEST_SUITE
