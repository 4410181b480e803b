// compile with a loss function of the user's: fit minimises it and reports it, evaluate averages it
// over batches, and what cannot work is refused with a clear message.
#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

Tensor line_points(std::int64_t rows) {
    Generator g(5);
    Tensor x(Shape{rows, 3});
    g.fill_normal(x.data(), x.numel(), 0.0f, 1.0f);
    return x;
}

Sequential small_model() { return Sequential({Input(3), Dense(4, "tanh"), Dense(3)}, "small"); }

Var mean_squared_error_by_hand(const Var& prediction, const Tensor& target) {
    const Var difference = prediction - Var(target);
    return mean(difference * difference);
}

}  // namespace

TEST_SUITE("nn.custom_loss") {

TEST_CASE("a custom mean squared error trains as the built-in one and evaluates the same") {
    const Tensor x = line_points(96);
    Sequential builtin = small_model(), custom = small_model();
    builtin.compile(Adam({.learning_rate = 0.01f}), "mse");
    custom.compile(Adam({.learning_rate = 0.01f}), CustomLoss(mean_squared_error_by_hand));
    const FitOptions options{.epochs = 5, .batch_size = 32, .validation_data = {x, x}, .verbose = 0, .seed = 3};
    const History a = builtin.fit(x, x, options), b = custom.fit(x, x, options);
    REQUIRE(b.epochs.size() == 5);
    for (std::size_t e = 0; e < 5; ++e) {
        CAPTURE(e);
        CHECK(b.epochs[e].loss == doctest::Approx(a.epochs[e].loss).epsilon(1e-5));
        CHECK(*b.epochs[e].val_loss == doctest::Approx(*a.epochs[e].val_loss).epsilon(1e-5));
    }
    CHECK(custom.evaluate(x, x, 40) == doctest::Approx(builtin.evaluate(x, x, 40)).epsilon(1e-5));
    CHECK(b.epochs[4].loss < b.epochs[0].loss);
}

TEST_CASE("a custom loss may take targets of another shape, and named metrics") {
    // Targets are one number per sample; the loss compares it with the outputs' sum.
    const Tensor x = line_points(64);
    Tensor y(Shape{64, 1});
    for (std::int64_t i = 0; i < 64; ++i) y.data()[i] = x.data()[3 * i] > 0 ? 1.0f : 0.0f;
    Sequential model = small_model();
    model.compile(Adam({.learning_rate = 0.05f}), CustomLoss([](const Var& prediction, const Tensor& target) {
                      return mean(square(sum(prediction, 1, true) - Var(target)));
                  }));
    const History history = model.fit(x, y, {.epochs = 20, .batch_size = 16, .verbose = 0, .seed = 1});
    CHECK(history.epochs.back().loss < history.epochs.front().loss);

    Sequential classifier({Input(3), Dense(1, "sigmoid")}, "classifier");
    classifier.compile(Adam({.learning_rate = 0.05f}),
                       CustomLoss([](const Var& p, const Tensor& t) { return mean(square(p - Var(t))); }),
                       {.metrics = {"binary_accuracy"}});
    const History scored = classifier.fit(x, y, {.epochs = 30, .batch_size = 16, .verbose = 0, .seed = 1});
    const auto accuracy = find_value(scored.epochs.back().values, "binary_accuracy");
    REQUIRE(accuracy);
    CHECK(*accuracy > 0.8);
}

TEST_CASE("a custom loss that does not give one number, an empty one, or 'accuracy' with it is refused") {
    const Tensor x = line_points(8);
    Sequential model = small_model();
    model.compile(Adam(), CustomLoss([](const Var& prediction, const Tensor&) { return prediction; }));
    try {
        model.fit(x, x, {.epochs = 1, .verbose = 0});
        FAIL("fit accepted a loss of many numbers");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) == "custom loss: it must return one number (a scalar Var), but returned a tensor of shape [8, 3]");
    }
    CHECK_THROWS_AS(model.compile(Adam(), CustomLoss()), std::invalid_argument);
    CHECK_THROWS_WITH_AS(model.compile(Adam(), CustomLoss(mean_squared_error_by_hand), {.metrics = {"accuracy"}}),
                         doctest::Contains("name binary_accuracy"), std::invalid_argument);
}

}
