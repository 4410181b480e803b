#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <unistd.h>

#include "tests/support.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/nn.hpp"

using namespace smallnet;

namespace {

// 200 points on a noisy line in 4 dimensions: compressible to 1 value.
Tensor line_data(std::int64_t rows = 200) {
    Generator g(42);
    Tensor x(Shape{rows, 4});
    for (std::int64_t i = 0; i < rows; ++i) {
        const float t = g.uniform() * 2 - 1;
        const float direction[4] = {0.5f, -0.3f, 0.8f, 0.1f};
        for (int j = 0; j < 4; ++j) x.at({i, j}) = t * direction[j] + 0.01f * g.normal();
    }
    return x;
}

Sequential small_autoencoder() {
    Sequential encoder({Input(4), Dense(8, "tanh"), Dense(1)}, "encoder");
    Sequential decoder({Dense(8, "tanh"), Dense(4)}, "decoder");
    return Sequential({encoder, decoder}, "autoencoder");
}

std::filesystem::path temp_path(const std::string& name) {
    return std::filesystem::temp_directory_path() / ("smallnet_test_" + std::to_string(getpid()) + "_" + name);
}

}  // namespace

TEST_SUITE("nn.training") {

TEST_CASE("a tiny autoencoder's loss falls and History records every epoch") {
    Sequential model = small_autoencoder();
    model.compile(Adam({.learning_rate = 0.01f}), "mse");
    const Tensor x = line_data();
    const History history = model.fit(x, x, {.epochs = 30, .batch_size = 16, .verbose = 0, .seed = 1});
    REQUIRE(history.epochs.size() == 30);
    CHECK(history.epochs.back().loss < 0.2 * history.epochs.front().loss);
    CHECK(history.epochs[4].epoch == 5);
    CHECK(history.epochs[4].seconds > 0.0);
    CHECK(model.evaluate(x, x) == doctest::Approx(history.epochs.back().loss).epsilon(0.5));
}

TEST_CASE("History's timings say where each epoch went: every part took time, and they fit in the epoch") {
    // With one row block the parts follow each other on one thread, so they add up to at most the
    // epoch's seconds; with two blocks on two threads the passes run at once and are thread-seconds.
    // (How much of the epoch they leave over is not checked: a host that takes the core away between
    // two steps puts any share of it there.)
    const Tensor x = line_data(256);
    for (const int threads : {1, 2})
        for (const int row_blocks : {1, 2}) {
            CAPTURE(threads);
            CAPTURE(row_blocks);
            Sequential model = small_autoencoder();
            model.compile(Adam(), "mse");
            History history;
            testing::with_threads(threads, [&] {
                history = model.fit(x, x, {.epochs = 2, .batch_size = 32, .verbose = 0, .seed = 1,
                                           .row_blocks = row_blocks});
            });
            for (const EpochLogs& e : history.epochs) {
                const EpochTimings& t = e.timings;
                CHECK(t.batch > 0.0);
                CHECK(t.forward > 0.0);
                CHECK(t.backward > 0.0);
                CHECK(t.update > 0.0);
                const double passes = t.batch + t.forward + t.backward;
                const double at_once = row_blocks > 1 ? threads : 1;
                CHECK(t.update + passes / at_once <= e.seconds);
            }
        }
}

TEST_CASE("the encoder alone shares the trained weights") {
    Sequential encoder({Input(4), Dense(8, "tanh"), Dense(1)}, "encoder");
    Sequential decoder({Dense(8, "tanh"), Dense(4)}, "decoder");
    Sequential autoencoder({encoder, decoder});
    autoencoder.compile(Adam(), "mse");
    const Tensor x = line_data(50);
    const Tensor before = encoder.predict(x);
    autoencoder.fit(x, x, {.epochs = 2, .batch_size = 10, .verbose = 0});
    const Tensor after = encoder.predict(x);
    CHECK(after.shape() == Shape{50, 1});
    CHECK_FALSE(testing::bitwise_equal(before, after));
    // The codes are what the autoencoder's first half computes.
    NoGrad scope;
    const Tensor via_model = autoencoder.sequential_module().layers[0].module().forward(Var(x), {}).value();
    CHECK(testing::bitwise_equal(after, via_model));
}

TEST_CASE("predict writes every batch into its rows and equals the model applied to all rows at once") {
    const Tensor x = line_data(200);
    const std::vector<std::pair<std::string, Layer>> last_layers = {{"sigmoid Dense", Dense(3, "sigmoid")},
                                                                     {"softplus Dense", Dense(3, "softplus")},
                                                                     {"activation layer", ActivationLayer("tanh")}};
    for (const auto& entry : last_layers) {
        // A plain reference, not a structured binding: clang 14 cannot capture those in CAPTURE's lambda.
        const std::string& name = entry.first;
        const Layer& last = entry.second;
        CAPTURE(name);
        Sequential model({Sequential({Input(4), Dense(8, "relu")}), last});
        NoGrad scope;
        const Tensor whole = model(Var(x)).value();
        const Tensor batched = model.predict(x, 64);  // 200 rows: the last batch has 8
        CHECK_CLOSE(testing::compare(batched, std::vector<double>(whole.data(), whole.data() + whole.numel()), 1e-7, 1e-6));
    }
}

namespace {
// The loss fit computes (the model's forward_with_loss, which fuses the last layer and the loss where
// it can) against the loss of the model's output, in value and in every parameter's gradient.
void check_fit_loss_matches_output_loss(Sequential& model, const Tensor& x, Loss loss, const Tensor& target) {
    Var via_forward = compute_loss(loss, model(Var(x)), target);
    Var via_fit = model.sequential_module().forward_with_loss(Var(x), loss, target, {});
    CHECK(via_fit.value().item() == doctest::Approx(via_forward.value().item()).epsilon(1e-6));
    std::vector<Tensor> expected;
    via_forward.backward();
    for (const auto& p : model.parameters()) {
        expected.push_back(p.variable->grad().clone());
        p.variable->zero_grad();
    }
    via_fit.backward();
    const auto parameters = model.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        CAPTURE(parameters[i].name);
        const Tensor& e = expected[i];
        CHECK_CLOSE(testing::compare(parameters[i].variable->grad(), std::vector<double>(e.data(), e.data() + e.numel()),
                                     1e-6, 1e-5));
    }
}
}  // namespace

TEST_CASE("the loss fit computes (fused into the last Dense for mse) equals the loss of the model's output") {
    const Tensor x = line_data(40);
    const Tensor target = testing::random_tensor({40, 4}, 5, 0.0f, 1.0f);
    struct Case {
        std::string name;
        Layer last;
        Loss loss;
    };
    const std::vector<Case> cases = {{"sigmoid Dense, mse (fused)", Dense(4, "sigmoid"), Loss::mean_squared_error},
                                     {"softplus Dense, mse", Dense(4, "softplus"), Loss::mean_squared_error},
                                     {"sigmoid Dense, bce", Dense(4, "sigmoid"), Loss::binary_crossentropy},
                                     {"activation layer, mse", ActivationLayer("sigmoid"), Loss::mean_squared_error}};
    for (const Case& c : cases) {
        CAPTURE(c.name);
        Sequential model({Input(4), Dense(4, "tanh"), c.last});
        model.build(4);
        check_fit_loss_matches_output_loss(model, x, c.loss, target);
    }
}

TEST_CASE("a sigmoid Conv2D's bce in fit (from the logits) equals the bce of the model's output, value and gradients") {
    const Tensor x = testing::random_tensor({3, 5, 6, 2}, 8, 0.0f, 1.0f);
    const Tensor target = testing::random_tensor({3, 5, 6, 1}, 9, 0.0f, 1.0f);
    for (const bool transposed : {false, true}) {
        CAPTURE(transposed);
        Sequential model({Input({5, 6, 2}), Conv2D(3, 3, "relu", {.padding = Padding::same}),
                          transposed ? Layer(Conv2DTranspose(1, 3, "sigmoid", {.padding = Padding::same}))
                                     : Layer(Conv2D(1, 3, "sigmoid", {.padding = Padding::same}))},
                         "", 4);
        CHECK(std::string(model.sequential_module().forward_with_loss(Var(x), Loss::binary_crossentropy, target, {}).op_name()) ==
              "binary_cross_entropy_with_logits");
        check_fit_loss_matches_output_loss(model, x, Loss::binary_crossentropy, target);
    }
}

TEST_CASE("bf16 is refused for convolutions, which run in fp32 only: at compile, naming the layer, and when set by hand") {
    Sequential encoder({Input({6, 6, 1}), Conv2D(2, 3, "relu", {.padding = Padding::same}), Flatten(), Dense(4, "relu")},
                       "encoder");
    Sequential model({encoder, Sequential({Dense(36, "sigmoid"), Reshape({6, 6, 1})}, "decoder")}, "autoencoder");
    CHECK_THROWS_WITH_AS(model.compile(Adam(), "mse", {.precision = Precision::bf16}),
                         "precision bf16: layer 'autoencoder.encoder.0' (Conv2D) has no bf16 convolutions; they run "
                         "in fp32 only (compile with Precision::fp32)",
                         std::invalid_argument);
    CHECK_FALSE(model.sequential_module().optimizer);  // not compiled
    CHECK_THROWS_WITH_AS(model.compile(Adam(), CustomLoss([](const Var& p, const Tensor& t) { return mean_squared_error(p, t); }), {.precision = Precision::bf16}),
                         doctest::Contains("layer 'autoencoder.encoder.0' (Conv2D)"), std::invalid_argument);
    model.compile(Adam(), "mse");
    model.sequential_module().compile_options.precision = Precision::bf16;
    const Tensor x = testing::random_tensor({4, 6, 6, 1}, 3, 0.0f, 1.0f);
    CHECK_THROWS_WITH_AS(model.fit(x, x, {.verbose = 0}), doctest::Contains("Conv2D has no bf16 convolutions"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.predict(x), doctest::Contains("Conv2D has no bf16 convolutions"), std::invalid_argument);
    // The dense layers alone take it (whether the CPU runs it is checked at the first product).
    Sequential dense({Input(6), Dense(3, "relu"), Dense(6, "sigmoid")});
    CHECK_NOTHROW(dense.compile(Adam(), "mse", {.precision = Precision::bf16}));
}

TEST_CASE("the same seed gives bitwise-identical losses and weights on 1 and 2 threads") {
    auto train = [](int threads) {
        Tensor weights;
        History history;
        testing::with_threads(threads, [&] {
            Sequential model({Input(64), Dense(32, "relu"), Dense(8, "relu"), Dense(32, "relu"), Dense(64, "sigmoid")});
            model.compile(Adam(), "mse");
            const Tensor x = testing::random_tensor(Shape{512, 64}, 5, 0.0f, 1.0f);
            history = model.fit(x, x, {.epochs = 2, .batch_size = 64, .verbose = 0, .seed = 9});
            weights = model.weights().clone();
        });
        return std::make_pair(history, weights);
    };
    const auto [history1, weights1] = train(1);
    const auto [history2, weights2] = train(2);
    CHECK(testing::bitwise_equal(weights1, weights2));
    for (std::size_t e = 0; e < history1.epochs.size(); ++e) CHECK(history1.epochs[e].loss == history2.epochs[e].loss);
}

TEST_CASE("save then load gives identical predictions; a wrong file is refused precisely") {
    const Tensor x = line_data(30);
    Sequential model = small_autoencoder();
    model.compile(Adam(), "mse");
    model.fit(x, x, {.epochs = 2, .batch_size = 8, .verbose = 0});
    const auto path = temp_path("weights.safetensors");
    model.save_weights(path);

    Sequential restored = small_autoencoder();
    restored.load_weights(path);
    CHECK(testing::bitwise_equal(model.predict(x), restored.predict(x)));

    Sequential other({Input(4), Dense(5), Dense(4)}, "other");
    other.build(4);
    try {
        other.load_weights(path);
        FAIL("a file with other names was accepted");
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        CHECK(message.find("load_weights: " + path.string() + " does not fit model 'other':\n  missing tensor '0.kernel' [4, 5]"
                           "\n  missing tensor '0.bias' [5]\n  missing tensor '1.kernel' [5, 4]\n  missing tensor '1.bias' [4]"
                           "\n  unexpected tensor 'encoder.0.kernel' [4, 8]") == 0);
        CHECK(message.find("unexpected tensor 'decoder.1.bias' [4]") != std::string::npos);
    }
    Sequential wider = Sequential({Sequential({Input(4), Dense(9, "tanh"), Dense(1)}, "encoder"),
                                   Sequential({Dense(8, "tanh"), Dense(4)}, "decoder")});
    wider.build(4);
    try {
        wider.load_weights(path);
        FAIL("a file with other shapes was accepted");
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        CHECK(message.find("tensor 'encoder.0.kernel' has shape [4, 8], the model needs [4, 9]") != std::string::npos);
    }
    std::filesystem::remove(path);
}

TEST_CASE("EarlyStopping stops after `patience` epochs without improvement and restores the best weights") {
    const Tensor x = line_data(40);
    Sequential model = small_autoencoder();
    model.compile(Adam(), "mse");
    std::vector<Tensor> weights_by_epoch;
    // With a min_delta this large only the first epoch counts as an improvement.
    const History history = model.fit(
        x, x,
        {.epochs = 40, .batch_size = 8, .validation_data = {x, x},
         .callbacks = {EpochHook([&](const EpochLogs&) { weights_by_epoch.push_back(model.weights().clone()); }),
                       EarlyStopping({.min_delta = 1e9, .patience = 2, .restore_best_weights = true})},
         .verbose = 0});
    CHECK(history.stopped_early);
    CHECK(history.epochs.size() == 3);
    CHECK(history.best_epoch == 1);
    REQUIRE(weights_by_epoch.size() == 3);
    CHECK(testing::bitwise_equal(model.weights(), weights_by_epoch[0]));
    CHECK_FALSE(testing::bitwise_equal(model.weights(), weights_by_epoch[2]));
}

TEST_CASE("ModelCheckpoint writes a loadable file") {
    const Tensor x = line_data(20);
    const auto path = temp_path("checkpoint.safetensors");
    Sequential model = small_autoencoder();
    model.compile(Adam(), "mse");
    model.fit(x, x, {.epochs = 2, .batch_size = 5, .validation_split = 0.25, .callbacks = {ModelCheckpoint(path)}, .verbose = 0});
    CHECK(load_safetensors(path).size() == 8);
    std::filesystem::remove(path);
}

TEST_CASE("a NaN loss stops training with the epoch and step; NaN data and bad arguments are refused") {
    Tensor x = line_data(20);
    x.at({13, 2}) = std::numeric_limits<float>::quiet_NaN();
    Sequential model = small_autoencoder();
    model.compile(Adam(), "mse");
    // Found before training, where it is, rather than as a NaN loss at some step.
    CHECK_THROWS_WITH_AS(model.fit(x, x, {.epochs = 3, .batch_size = 5, .shuffle = false, .verbose = 0}),
                         "fit: x holds NaN at sample 13, value 2 (of samples of shape (None, 4)); training on it would only "
                         "give a NaN loss",
                         std::invalid_argument);
    const Tensor good = line_data(20);
    Tensor infinite_target = good.clone();
    infinite_target.at({4, 0}) = std::numeric_limits<float>::infinity();
    CHECK_THROWS_WITH_AS(model.fit(good, good, {.validation_data = {good, infinite_target}, .verbose = 0}),
                         "fit: the validation y holds infinity at sample 4, value 0 (of samples of shape (None, 4)); "
                         "training on it would only give a NaN loss",
                         std::invalid_argument);
    // A loss that turns NaN at the third step.
    int calls = 0;
    Sequential diverging = small_autoencoder();
    diverging.compile(Adam(), CustomLoss([&](const Var& prediction, const Tensor& target) {
                          const Var difference = prediction - Var(target);
                          const Var loss = mean(difference * difference);
                          return ++calls == 3 ? loss * std::numeric_limits<float>::quiet_NaN() : loss;
                      }));
    CHECK_THROWS_WITH_AS(diverging.fit(good, good, {.epochs = 3, .batch_size = 5, .shuffle = false, .verbose = 0}),
                         "fit: the loss became NaN at epoch 1, step 3 of 4; training stopped before this step's update",
                         std::runtime_error);
    {
        NoGrad inference;
        CHECK_THROWS_WITH_AS(model.fit(good, good, {.verbose = 0}),
                             "fit: called inside a NoGrad scope, where no gradients are recorded; call fit outside it",
                             std::logic_error);
    }
    CHECK_THROWS_WITH_AS(model.fit(good, good, {.epochs = 0}), "fit: epochs must be at least 1, got 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(good, good, {.batch_size = 0}), "fit: batch_size must be at least 1, got 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(good, good.rows(0, 10)), "fit: x has 20 samples but y has 10", std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(zeros(Shape{5, 3}), zeros(Shape{5, 3})),
                         "fit: the model takes samples of shape (None, 4), but x has (None, 3)", std::invalid_argument);
    Sequential uncompiled = small_autoencoder();
    CHECK_THROWS_AS(uncompiled.fit(good, good), std::logic_error);
    CHECK_THROWS_WITH_AS(model.compile(Adam(), "hinge"), "unknown loss 'hinge' (expected mse, mae, bce, bce_from_logits, sparse_categorical_crossentropy, "
                         "categorical_crossentropy, or either of these two with _from_logits)",
                         std::invalid_argument);
}

TEST_CASE("uint8 data trains without a float copy and matches the same data as floats") {
    std::vector<std::uint8_t> bytes(64 * 16);
    Generator g(3);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(g.below(256));
    const ByteMatrix images(bytes, 64, 16, 1.0f / 255.0f);
    const Tensor floats = images.to_tensor();
    auto train = [](const Data& data) {
        Sequential model({Input(16), Dense(4, "relu"), Dense(16, "sigmoid")});
        model.compile(Adam(), "bce");
        const History h = model.fit(data, data, {.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 4});
        return std::make_pair(h.epochs.back().loss, model.weights().clone());
    };
    const auto [loss_bytes, weights_bytes] = train(images);
    const auto [loss_floats, weights_floats] = train(floats);
    CHECK(loss_bytes == loss_floats);
    CHECK(testing::bitwise_equal(weights_bytes, weights_floats));
}

}  // TEST_SUITE
