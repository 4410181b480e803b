// Classifiers as Keras users write them: softmax outputs, the classification losses on labels read
// as bytes, the accuracy metric in History and evaluate, and frozen layers that fit leaves alone.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

// 3 classes of points in 4 dimensions, each around its own centre, with their labels as bytes.
struct Blobs {
    Tensor x;
    std::vector<std::uint8_t> labels;
};

Blobs blobs(std::int64_t count, std::uint64_t seed) {
    Blobs b{Tensor(Shape{count, 4}), {}};
    Generator generator(seed);
    for (std::int64_t i = 0; i < count; ++i) {
        const auto label = static_cast<std::uint8_t>(generator.below(3));
        b.labels.push_back(label);
        for (std::int64_t j = 0; j < 4; ++j)
            b.x.data()[i * 4 + j] = (j == label ? 2.0f : 0.0f) + 0.5f * generator.normal();
    }
    return b;
}

std::vector<std::string> names(const NamedValues& values) {
    std::vector<std::string> out;
    for (const auto& [name, value] : values) out.push_back(name);
    return out;
}

}  // namespace

TEST_SUITE("nn.classification") {

TEST_CASE("a softmax classifier trains on byte labels and reports accuracy as Keras does") {
    const Blobs train = blobs(600, 1), test = blobs(300, 2);
    Sequential model({Input(4), Dense(16, "relu"), Dense(3, "softmax")});
    model.compile(Adam({.learning_rate = 0.01f}), "sparse_categorical_crossentropy", {.metrics = {"accuracy"}});
    const History history = model.fit(train.x, train.labels,
                                      {.epochs = 8, .batch_size = 32, .validation_data = {test.x, test.labels}, .verbose = 0});
    const EpochLogs& last = history.epochs.back();
    CHECK(names(last.values) == std::vector<std::string>{"accuracy", "val_accuracy"});
    CHECK(*find_value(last.values, "accuracy") > 0.9);
    CHECK(*find_value(last.values, "val_accuracy") > 0.9);
    CHECK(last.loss < history.epochs.front().loss);

    // evaluate gives the same accuracy as counting predict's argmax by hand, and the validation loss.
    const Sequential::Evaluation evaluation = model.evaluate_parts(test.x, test.labels);
    const Tensor probabilities = model.predict(test.x);
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < 300; ++i) {
        const float* row = probabilities.data() + i * 3;
        CHECK(row[0] + row[1] + row[2] == doctest::Approx(1.0f).epsilon(1e-5));
        correct += std::max_element(row, row + 3) - row == test.labels[static_cast<std::size_t>(i)];
    }
    CHECK(*find_value(evaluation.values, "accuracy") == doctest::Approx(static_cast<double>(correct) / 300.0));
    CHECK(evaluation.loss == doctest::Approx(*last.val_loss).epsilon(1e-6));
}

TEST_CASE("categorical_crossentropy on one-hot float targets trains the same kind of model") {
    const Blobs train = blobs(300, 3);
    Tensor one_hot(Shape{300, 3});
    one_hot.fill(0.0f);
    for (std::int64_t i = 0; i < 300; ++i) one_hot.data()[i * 3 + train.labels[static_cast<std::size_t>(i)]] = 1.0f;
    Sequential model({Input(4), Dense(3, "softmax")});
    model.compile(Adam({.learning_rate = 0.05f}), "categorical_crossentropy", {.metrics = {"accuracy"}});
    const History history = model.fit(train.x, one_hot, {.epochs = 10, .batch_size = 30, .verbose = 0});
    CHECK(*find_value(history.epochs.back().values, "accuracy") > 0.9);
    // From logits: the same loss with no softmax on the last layer.
    Sequential logits({Input(4), Dense(3)});
    logits.compile(Adam({.learning_rate = 0.05f}), "categorical_crossentropy_from_logits", {.metrics = {"accuracy"}});
    CHECK(*find_value(logits.fit(train.x, one_hot, {.epochs = 10, .batch_size = 30, .verbose = 0}).epochs.back().values,
                      "accuracy") > 0.9);
}

TEST_CASE("a softmax output is scored from its logits: a confident wrong answer keeps its gradient") {
    // p(class 1) = exp(-100) / ...: clamped, the loss would be -log(1e-7) = 16.1 with no gradient.
    Var logits(Tensor(Shape{1, 2}), true);
    logits.value().data()[0] = 100.0f;
    logits.value().data()[1] = 0.0f;
    Tensor label(Shape{1, 1});
    label.data()[0] = 1.0f;
    Var loss = compute_loss(Loss::sparse_categorical_crossentropy, softmax(logits), label);
    CHECK(loss.value().item() == doctest::Approx(100.0f));
    loss.backward();
    CHECK(logits.grad().data()[1] == doctest::Approx(-1.0f));
}

TEST_CASE("wrong labels, a regression loss with accuracy, unknown metrics: clear errors") {
    const Blobs train = blobs(40, 4);
    Sequential model({Input(4), Dense(3, "softmax")});
    model.compile(Adam(), "sparse_categorical_crossentropy");
    // One-hot targets where labels are expected: the shapes are named.
    try {
        model.fit(train.x, Tensor(Shape{40, 3}), {.verbose = 0});
        FAIL("accepted one-hot targets for a sparse loss");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("labels must have shape (None, 1)") != std::string::npos);
    }
    std::vector<std::uint8_t> out_of_range = train.labels;
    out_of_range[7] = 3;
    CHECK_THROWS_WITH_AS(model.fit(train.x, out_of_range, {.batch_size = 40, .shuffle = false, .verbose = 0}),
                         doctest::Contains("the label of sample 7 is 3"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.compile(Adam(), "mse", {.metrics = {"accuracy"}}), doctest::Contains("predicts values"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.compile(Adam(), "bce", {.metrics = {"precision"}}), doctest::Contains("unknown metric"),
                         std::invalid_argument);
    CHECK_THROWS_AS(Dense(3, "softmx"), std::invalid_argument);
}

TEST_CASE("a frozen encoder keeps its weights bitwise through fit; summary counts it as non-trainable") {
    const Blobs train = blobs(200, 5);
    Sequential encoder({Input(4), Dense(8, "relu")}, "encoder", 9);
    Sequential classifier({encoder, Dense(3, "softmax")}, "classifier");  // built: its encoder knows its input
    const Tensor encoder_before = encoder.weights().clone();
    encoder.set_trainable(false);
    CHECK_FALSE(encoder.trainable());
    const std::string summary = classifier.summary();
    CHECK(summary.find("Total params: 67") != std::string::npos);
    CHECK(summary.find("Trainable params: 27") != std::string::npos);
    CHECK(summary.find("Non-trainable params: 40") != std::string::npos);

    classifier.compile(Adam({.learning_rate = 0.01f}), "sparse_categorical_crossentropy", {.metrics = {"accuracy"}});
    const Tensor head_before = classifier.parameters().back().variable->value().clone();
    classifier.fit(train.x, train.labels, {.epochs = 3, .batch_size = 20, .verbose = 0});
    CHECK(testing::bitwise_equal(encoder.weights(), encoder_before));
    CHECK_FALSE(testing::bitwise_equal(classifier.parameters().back().variable->value(), head_before));

    // Unfrozen, the next fit trains it (fine-tuning), the weights still shared with `encoder`.
    encoder.set_trainable(true);
    classifier.fit(train.x, train.labels, {.epochs = 1, .batch_size = 20, .verbose = 0});
    CHECK_FALSE(testing::bitwise_equal(encoder.weights(), encoder_before));
    CHECK(classifier.summary().find("Non-trainable params: 0") != std::string::npos);

    // A single layer can be frozen too.
    Dense head(3, "softmax");
    Sequential model({Input(4), Dense(5, "relu"), head});
    model.build(4);
    head.set_trainable(false);
    const Tensor frozen_kernel = head.kernel().value().clone();
    model.compile(Adam(), "sparse_categorical_crossentropy");
    model.fit(train.x, train.labels, {.epochs = 1, .batch_size = 50, .verbose = 0});
    CHECK(testing::bitwise_equal(head.kernel().value(), frozen_kernel));
}

TEST_CASE("get_weights and set_weights carry a trained encoder's weights into a fresh one, checked first") {
    Sequential trained({Input(4), Dense(8, "relu"), Dense(2, "relu")}, "encoder", 1);
    Sequential fresh({Input(4), Dense(8, "relu"), Dense(2, "relu")}, "encoder", 2);
    const std::vector<Tensor> weights = trained.get_weights();
    REQUIRE(weights.size() == 4);
    CHECK_FALSE(testing::bitwise_equal(fresh.weights(), trained.weights()));
    fresh.set_weights(weights);
    CHECK(testing::bitwise_equal(fresh.weights(), trained.weights()));
    // Copies: changing the fresh model leaves the trained one alone.
    fresh.parameters()[0].variable->value().fill(0.0f);
    CHECK_FALSE(testing::bitwise_equal(fresh.weights(), trained.weights()));

    Sequential other({Input(4), Dense(9, "relu"), Dense(2, "relu")});
    other.build(4);
    const Tensor before = other.weights();
    CHECK_THROWS_WITH_AS(other.set_weights(weights), doctest::Contains("tensor 0 ('0.kernel') has shape [4, 9]"),
                         std::invalid_argument);
    CHECK(testing::bitwise_equal(other.weights(), before));
    CHECK_THROWS_AS(other.set_weights({weights[0]}), std::invalid_argument);
}

}  // TEST_SUITE
