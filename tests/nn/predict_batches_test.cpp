#include <algorithm>
#include <stdexcept>
#include <vector>

#include "tests/support.hpp"
#include "nn/datasets/subset.hpp"
#include "nn/metrics.hpp"
#include "nn/nn.hpp"

using namespace smallnet;

namespace {

// 203 random images of 16 pixels: in batches of 64 the last has 11 rows.
ByteMatrix random_images(std::int64_t rows = 203) {
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(rows) * 16);
    Generator g(5);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(g.below(256));
    return ByteMatrix(bytes, rows, 16, 1.0f / 255.0f);
}

Sequential small_autoencoder() {
    return Sequential({Input(16), Dense(8, "relu"), Dense(16, "sigmoid")}, "autoencoder", /*seed=*/3);
}

}  // namespace

TEST_SUITE("nn.predict_batches") {

TEST_CASE("every batch in order: its rows as floats and bitwise predict's outputs, in one reused buffer") {
    const ByteMatrix images = random_images();
    Sequential model = small_autoencoder();
    const Tensor expected = model.predict(images, 64);
    const Tensor floats = images.to_tensor();
    std::vector<std::int64_t> begins;
    const float* output_buffer = nullptr;
    model.predict_batches(images, [&](const Sequential::PredictedBatch& batch) {
        const std::int64_t end = std::min<std::int64_t>(203, batch.begin + 64);
        CAPTURE(batch.begin);
        begins.push_back(batch.begin);
        REQUIRE(batch.outputs.shape() == Shape{end - batch.begin, 16});
        CHECK(testing::bitwise_equal(batch.inputs, floats.rows(batch.begin, end)));
        CHECK(testing::bitwise_equal(batch.outputs, expected.rows(batch.begin, end)));
        if (!output_buffer) output_buffer = batch.outputs.data();
        CHECK(batch.outputs.data() == output_buffer);  // the last, shorter batch too
    }, 64);
    CHECK(begins == std::vector<std::int64_t>{0, 64, 128, 192});
}

TEST_CASE("copy_outputs keeps the chosen rows, and MeanSquaredError the whole set's mse, as the batches go by") {
    const ByteMatrix images = random_images();
    Sequential model = small_autoencoder();
    const std::vector<std::int64_t> shown = {202, 0, 64, 63, 130};
    Tensor kept(Shape{5, 16});
    MeanSquaredError error;
    model.predict_batches(images, [&](const Sequential::PredictedBatch& batch) {
        error.update(batch.outputs, batch.inputs);
        batch.copy_outputs(shown, kept);
    }, 64);
    const Tensor whole = model.predict(images);
    CHECK(testing::bitwise_equal(kept, take_rows(whole, shown)));
    CHECK(error.rows() == 203);
    CHECK(error.result() == mse(whole, images.to_tensor()));  // bitwise, not approximately
}

TEST_CASE("bad arguments are refused, naming predict_batches") {
    Sequential model = small_autoencoder();
    const auto ignore = [](const Sequential::PredictedBatch&) {};
    CHECK_THROWS_WITH_AS(model.predict_batches(random_images(), ignore, 0), "predict_batches: batch_size must be at least 1",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.predict_batches(zeros(Shape{4, 15}), ignore),
                         "predict_batches: the model takes samples of shape (None, 16), but x has (None, 15)",
                         std::invalid_argument);
    Tensor wrong(Shape{2, 15});
    const std::vector<std::int64_t> two = {0, 1};
    CHECK_THROWS_AS(model.predict_batches(random_images(), [&](const Sequential::PredictedBatch& batch) {
        batch.copy_outputs(two, wrong);
    }), std::invalid_argument);
}

}  // TEST_SUITE
