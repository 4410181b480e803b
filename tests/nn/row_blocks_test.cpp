// fit's row blocks (FitOptions::row_blocks): the batch's blocks of rows are computed two at a time,
// each into its own gradient buffer, and the step is then the whole batch's: the same update and loss as
// one pass up to rounding, bitwise the same at any thread count.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using smallnet::testing::bitwise_equal;
using smallnet::testing::random_tensor;
using smallnet::testing::with_threads;

namespace {

// A model with every kind of loss term fit scales per block: an activity regularizer (a mean over
// the rows), a kernel regularizer (counted once per step), and the KL term of Sampling.
Sequential make_model(std::uint64_t seed) {
    Sequential encoder({Input(6), Dense(5, "tanh", {.kernel_regularizer = L2(0.01f), .activity_regularizer = L1(0.001f)}),
                        Sampling(2)},
                       "encoder", seed);
    Sequential decoder({Dense(4, "relu"), Dense(6, "sigmoid")}, "decoder");
    return Sequential({encoder, decoder}, "vae");
}

double largest_difference(const Tensor& a, const Tensor& b) {
    double largest = 0.0;
    for (std::int64_t i = 0; i < a.numel(); ++i)
        largest = std::max(largest, std::abs(static_cast<double>(a.data()[i]) - static_cast<double>(b.data()[i])));
    return largest;
}

}  // namespace

TEST_SUITE("nn.row_blocks") {

TEST_CASE("two row blocks give the batch's gradient and loss: one SGD step matches one pass, loss terms included") {
    // Without Sampling: the second block draws from a stream of its own, so its numbers would differ.
    for (const std::int64_t rows : {2, 7, 10}) {
        CAPTURE(rows);
        const Tensor x_values = random_tensor(Shape{rows, 6}, 3, 0.0f, 1.0f);
        const Data x(x_values);
        History histories[2];
        Tensor weights[2];
        for (int blocks = 1; blocks <= 2; ++blocks) {
            Sequential model({Input(6), Dense(5, "tanh", {.kernel_regularizer = L2(0.01f), .activity_regularizer = L1(0.001f)}),
                              Dense(6, "sigmoid")},
                             "", 4);
            model.compile(SGD({.learning_rate = 0.5f}), "bce", {.reduction = Reduction::sum_over_features});
            histories[blocks - 1] =
                model.fit(x, x, {.epochs = 1, .batch_size = rows, .shuffle = false, .verbose = 0, .row_blocks = blocks});
            weights[blocks - 1] = model.weights();
        }
        CHECK(largest_difference(weights[0], weights[1]) < 1e-6);
        CHECK(histories[1].epochs[0].loss == doctest::Approx(histories[0].epochs[0].loss).epsilon(1e-6));
        REQUIRE(histories[1].epochs[0].values.size() == histories[0].epochs[0].values.size());
        for (std::size_t i = 0; i < histories[0].epochs[0].values.size(); ++i) {
            CAPTURE(histories[0].epochs[0].values[i].first);
            CHECK(histories[1].epochs[0].values[i].second == doctest::Approx(histories[0].epochs[0].values[i].second).epsilon(1e-5));
        }
    }
}

TEST_CASE("two row blocks are bitwise the same at 1, 2 and 3 threads (Sampling, Dropout, a last batch of one row)") {
    const Data x(random_tensor(Shape{129, 6}, 5, 0.0f, 1.0f));  // batches of 64, 64 and 1
    std::vector<Tensor> weights;
    std::vector<double> losses;
    for (const int threads : {1, 2, 3}) {
        with_threads(threads, [&] {
            Sequential model = make_model(7);
            model.add(Dropout(0.2f));
            model.compile(Adam(), "mse");
            const History history = model.fit(x, x, {.epochs = 3, .batch_size = 64, .verbose = 0, .seed = 11, .row_blocks = 2});
            weights.push_back(model.weights());
            losses.push_back(history.epochs.back().loss);
        });
    }
    CHECK(bitwise_equal(weights[0], weights[1]));
    CHECK(bitwise_equal(weights[0], weights[2]));
    CHECK(losses[0] == losses[1]);
    CHECK(losses[0] == losses[2]);
    CHECK(std::isfinite(losses[0]));
}

TEST_CASE("a frozen layer stays bitwise as it was with two row blocks, and the default takes two blocks from 128 rows") {
    const Data x(random_tensor(Shape{256, 6}, 8, 0.0f, 1.0f));
    Sequential model = make_model(9);
    Layer encoder = model.get_model("encoder");
    encoder.set_trainable(false);
    const Tensor frozen_before = model.get_model("encoder").weights();
    model.compile(Adam(), "mse");
    model.fit(x, x, {.epochs = 2, .batch_size = 128, .verbose = 0, .row_blocks = 2});
    CHECK(bitwise_equal(model.get_model("encoder").weights(), frozen_before));

    // The default (0) is 2 at 128 rows: the same weights as asking for 2, not those of 1.
    std::vector<Tensor> weights;
    for (const int blocks : {0, 2, 1}) {
        Sequential m = make_model(10);
        m.compile(Adam(), "mse");
        m.fit(x, x, {.epochs = 1, .batch_size = 128, .verbose = 0, .row_blocks = blocks});
        weights.push_back(m.weights());
    }
    CHECK(bitwise_equal(weights[0], weights[1]));
    CHECK_FALSE(bitwise_equal(weights[0], weights[2]));
}

TEST_CASE("three and four row blocks: the batch's step up to rounding, bitwise the same at 1, 2 and 3 threads") {
    // Odd block counts leave one block alone after the pairs; four add in a tree ((0 + 1) + (2 + 3)).
    const Data x(random_tensor(Shape{101, 6}, 12, 0.0f, 1.0f));  // batches of 50, 50 and 1: empty blocks
    for (const int blocks : {3, 4}) {
        CAPTURE(blocks);
        std::vector<Tensor> weights;
        for (const int threads : {1, 2, 3}) {
            with_threads(threads, [&] {
                Sequential model = make_model(13);
                model.add(Dropout(0.2f));
                model.compile(Adam(), "mse");
                model.fit(x, x, {.epochs = 2, .batch_size = 50, .verbose = 0, .seed = 3, .row_blocks = blocks});
                weights.push_back(model.weights());
            });
        }
        CHECK(bitwise_equal(weights[0], weights[1]));
        CHECK(bitwise_equal(weights[0], weights[2]));
    }
    // Without random layers the blocks' sum is the batch's gradient, up to rounding.
    std::vector<Tensor> weights;
    for (const int blocks : {1, 3, 4}) {
        Sequential model({Input(6), Dense(5, "tanh", {.kernel_regularizer = L2(0.01f)}), Dense(6, "sigmoid")}, "", 4);
        model.compile(SGD({.learning_rate = 0.5f}), "mse");
        model.fit(x, x, {.epochs = 1, .batch_size = 50, .shuffle = false, .verbose = 0, .row_blocks = blocks});
        weights.push_back(model.weights());
    }
    CHECK(largest_difference(weights[0], weights[1]) < 1e-6);
    CHECK(largest_difference(weights[0], weights[2]) < 1e-6);
}

TEST_CASE("row_blocks below 0, or more blocks than a batch has rows, is refused before training") {
    Sequential model = make_model(1);
    model.compile(Adam(), "mse");
    const Data x(random_tensor(Shape{4, 6}, 1, 0.0f, 1.0f));
    CHECK_THROWS_WITH_AS(model.fit(x, x, {.verbose = 0, .row_blocks = -1}), doctest::Contains("row_blocks must be 0"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.fit(x, x, {.batch_size = 3, .verbose = 0, .row_blocks = 4}),
                         doctest::Contains("4 row blocks cannot split a batch of 3 rows"), std::invalid_argument);
}

}
