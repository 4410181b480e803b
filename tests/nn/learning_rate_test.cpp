// Learning-rate schedules (Keras' formulas, worked out here in double), optimizers stepped with them,
// and the callbacks that change the rate between epochs.
#include <cmath>
#include <numbers>

#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

// A model whose single weight moves by exactly -rate per SGD step: loss = w · x with x = 1 has gradient 1.
Sequential one_weight() {
    Sequential model({Input(1), Dense(1, "linear", {.use_bias = false})}, "one_weight");
    model.build(1);
    model.set_weights({full(Shape{1, 1}, 0.0f)});
    return model;
}

}  // namespace

TEST_SUITE("nn.learning_rate") {

TEST_CASE("ExponentialDecay and CosineDecay give Keras' rates; bad settings are refused") {
    const ExponentialDecay smooth(0.1, 100, 0.5), stairs(0.1, 100, 0.5, true);
    for (std::int64_t step : {0, 1, 50, 99, 100, 150, 1000}) {
        CAPTURE(step);
        CHECK(smooth.at(step) == doctest::Approx(0.1 * std::pow(0.5, step / 100.0)).epsilon(1e-12));
        CHECK(stairs.at(step) == doctest::Approx(0.1 * std::pow(0.5, std::floor(step / 100.0))).epsilon(1e-12));
    }
    const CosineDecay cosine(0.2, 1000, 0.1);
    for (std::int64_t step : {0, 250, 500, 999, 1000, 5000}) {
        CAPTURE(step);
        const double progress = std::min<double>(step, 1000) / 1000.0;
        CHECK(cosine.at(step) == doctest::Approx(0.2 * (0.9 * 0.5 * (1 + std::cos(std::numbers::pi * progress)) + 0.1)));
    }
    CHECK(cosine.at(1000) == doctest::Approx(0.02));
    CHECK_THROWS_AS(ExponentialDecay(0.1, 0, 0.5), std::invalid_argument);
    CHECK_THROWS_AS(ExponentialDecay(-0.1, 10, 0.5), std::invalid_argument);
    CHECK_THROWS_AS(CosineDecay(0.1, 10, 1.5), std::invalid_argument);
    CHECK_THROWS_AS(Adam({.learning_rate = std::nanf("")}), std::invalid_argument);
    CHECK(smooth.describe() == "ExponentialDecay(initial 0.1, decay_steps 100, decay_rate 0.5)");
}

TEST_CASE("an optimizer with a schedule takes the rate of its step count at each update") {
    SGD sgd({.learning_rate = ExponentialDecay(0.5, 1, 0.5)});  // 0.5, 0.25, 0.125, ...
    Tensor p = zeros(Shape{1}), g = full(Shape{1}, 1.0f);
    double expected = 0.0;
    for (int step = 0; step < 5; ++step) {
        CHECK(sgd.iterations() == step);
        CHECK(sgd.learning_rate() == doctest::Approx(0.5 * std::pow(0.5, step)));
        sgd.step(p, g);
        expected -= 0.5 * std::pow(0.5, step);
        CHECK(p.data()[0] == doctest::Approx(expected));
    }
    CHECK_THROWS_AS(sgd.set_learning_rate(0.1f), std::logic_error);  // the schedule owns the rate
    Adam adam({.learning_rate = CosineDecay(1e-3, 10)});
    Tensor q = zeros(Shape{1});
    for (int step = 0; step < 12; ++step) adam.step(q, g);
    CHECK(adam.learning_rate() == 0.0f);  // decayed to alpha = 0 after 10 steps
    adam.reset();
    CHECK(adam.iterations() == 0);
    CHECK(adam.learning_rate() == doctest::Approx(1e-3));
}

TEST_CASE("LearningRateScheduler sets the rate before each epoch, from the epoch counted from 0") {
    Sequential model = one_weight();
    model.compile(SGD({.learning_rate = 1.0f}), "mse");
    Tensor x = full(Shape{1, 1}, 1.0f), y = zeros(Shape{1, 1});
    std::vector<double> seen;
    const History history = model.fit(
        x, y, {.epochs = 3, .batch_size = 1, .callbacks = {LearningRateScheduler([&](int epoch, double rate) {
                                                  seen.push_back(rate);
                                                  return 0.1 / (epoch + 1);
                                              })},
               .verbose = 0});
    CHECK(history.epochs.size() == 3);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0] == doctest::Approx(1.0));  // the compiled rate
    CHECK(seen[1] == doctest::Approx(0.1));
    CHECK(seen[2] == doctest::Approx(0.05));
    CHECK(model.sequential_module().optimizer->learning_rate() == doctest::Approx(0.1 / 3));
    // A schedule on the optimizer and a scheduler callback cannot both own the rate.
    Sequential scheduled = one_weight();
    scheduled.compile(SGD({.learning_rate = ExponentialDecay(0.1, 10, 0.9)}), "mse");
    CHECK_THROWS_AS(scheduled.fit(x, y, {.epochs = 1, .callbacks = {LearningRateScheduler([](int, double) { return 0.1; })},
                                         .verbose = 0}),
                    std::logic_error);
}

TEST_CASE("ReduceLROnPlateau drops the rate after `patience` epochs without improvement, then cools down") {
    Sequential model = one_weight();
    model.compile(SGD({.learning_rate = 1.0f}), "mse");
    ReduceLROnPlateau reduce({.monitor = "loss", .factor = 0.5, .patience = 2, .min_delta = 0.0, .cooldown = 1, .min_lr = 0.2});
    reduce.on_train_begin(model);
    Optimizer& optimizer = *model.sequential_module().optimizer;
    const auto epoch = [&](int number, double loss) {
        EpochLogs logs;
        logs.epoch = number;
        logs.loss = loss;
        reduce.on_epoch_end(logs, model);
        return optimizer.learning_rate();
    };
    CHECK(epoch(1, 1.0) == doctest::Approx(1.0));   // the first value is the best so far
    CHECK(epoch(2, 0.5) == doctest::Approx(1.0));   // improved
    CHECK(epoch(3, 0.6) == doctest::Approx(1.0));   // 1 epoch without improvement
    CHECK(epoch(4, 0.5) == doctest::Approx(0.5));   // 2: dropped (equal is no improvement)
    // Keras counts the cooldown epoch's own missed improvement once the cooldown is over.
    CHECK(epoch(5, 0.7) == doctest::Approx(0.5));   // cooldown ends; 1 without improvement
    CHECK(epoch(6, 0.7) == doctest::Approx(0.25));  // 2: dropped again
    CHECK(epoch(7, 0.7) == doctest::Approx(0.25));
    CHECK(epoch(8, 0.7) == doctest::Approx(0.2));   // 0.125 would be below min_lr
    CHECK(epoch(9, 0.7) == doctest::Approx(0.2));
    CHECK(epoch(10, 0.7) == doctest::Approx(0.2));  // at min_lr: no further drop
    CHECK(epoch(11, 0.1) == doctest::Approx(0.2));  // an improvement resets the count
    CHECK_THROWS_AS(ReduceLROnPlateau({.factor = 1.0}), std::invalid_argument);
    EpochLogs no_validation;
    ReduceLROnPlateau on_validation;
    CHECK_THROWS(on_validation.on_epoch_end(no_validation, model));  // no val_loss in the logs
}

}
