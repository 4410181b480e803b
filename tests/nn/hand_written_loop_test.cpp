// Training by hand, as a Keras GradientTape loop or a PyTorch loop: model(x, true), the layers' loss
// terms from losses(), loss.backward(), apply_gradients(); and the optimizer misuse it replaces (one
// Adam stepped tensor by tensor), refused.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

// 64 samples of 8 values in [0, 1].
Tensor samples() { return testing::random_tensor(Shape{64, 8}, 3, 0.0f, 1.0f); }

Sequential small_model() { return Sequential({Input(8), Dense(6, "tanh"), Dense(8, "sigmoid")}, "", 4); }

}  // namespace

TEST_SUITE("nn.hand_written_loop") {

TEST_CASE("one Adam stepped tensor by tensor is refused, saying what happened and what to do") {
    // The user's loop of issue 15: the loss went down, then up, with no error (moments reset at each
    // change of shape, several steps counted per iteration).
    Sequential model = small_model();
    const Tensor x = samples();
    Var loss = compute_loss(Loss::mean_squared_error, model(Var(x), true), x);
    loss.backward();
    Adam adam;
    const auto parameters = model.parameters();
    adam.step(parameters[0].variable->value(), parameters[0].variable->grad());
    CHECK_THROWS_WITH_AS(adam.step(parameters[1].variable->value(), parameters[1].variable->grad()),
                         doctest::Contains("Adam.step: given a buffer of 6 parameters that is not the one of 48 its state "
                                           "was made for at its first step"),
                         std::logic_error);
    CHECK(adam.iterations() == 1);
    try {
        adam.step(parameters[2].variable->value(), parameters[2].variable->grad());
        FAIL("another tensor was stepped");
    } catch (const std::logic_error& error) {
        CHECK(std::string(error.what()).find("call model.apply_gradients() after loss.backward()") != std::string::npos);
    }
    // A buffer of the same size is refused too: it would share the first one's moments.
    SGD sgd({.momentum = 0.9f});
    Tensor a = zeros(Shape{4}), b = zeros(Shape{4}), gradient = full(Shape{4}, 1.0f);
    sgd.step(a, gradient);
    sgd.step(a, gradient);
    CHECK_THROWS_WITH_AS(sgd.step(b, gradient), doctest::Contains("(the same size, another buffer)"), std::logic_error);
    CHECK_THROWS_AS(sgd.step(a, zeros(Shape{3})), std::invalid_argument);  // a gradient per parameter
    // After reset the optimizer may take another buffer.
    sgd.reset();
    sgd.step(b, gradient);
    CHECK(sgd.iterations() == 1);
}

TEST_CASE("a hand-written loop with apply_gradients takes fit's steps") {
    const Tensor x = samples();
    Sequential by_fit = small_model(), by_hand = small_model();
    by_fit.compile(SGD({.learning_rate = 0.5f, .momentum = 0.9f}), "mse");
    const History history = by_fit.fit(x, x, {.epochs = 20, .batch_size = 64, .shuffle = false, .verbose = 0});

    by_hand.compile(SGD({.learning_rate = 0.5f, .momentum = 0.9f}));  // the optimizer alone: the loop has the loss
    std::vector<float> losses;
    for (int step = 0; step < 20; ++step) {
        Var loss = compute_loss(Loss::mean_squared_error, by_hand(Var(x), true), x);
        losses.push_back(loss.value().item());
        loss.backward();
        by_hand.apply_gradients();
    }
    for (int step = 0; step < 20; ++step) CHECK(losses[step] == doctest::Approx(history.epochs[step].loss).epsilon(1e-5));
    CHECK(losses.back() < 0.8f * losses.front());
    const Tensor fitted = by_fit.weights(), handmade = by_hand.weights();
    for (std::int64_t i = 0; i < fitted.numel(); ++i) CHECK(handmade.data()[i] == doctest::Approx(fitted.data()[i]).epsilon(1e-4));
    CHECK(by_hand.sequential_module().optimizer->iterations() == 20);

    // Misuse: no backward since the last step, no optimizer.
    CHECK_THROWS_WITH_AS(by_hand.apply_gradients(), doctest::Contains("no weight of the model has a gradient"), std::logic_error);
    Sequential uncompiled = small_model();
    CHECK_THROWS_WITH_AS(uncompiled.apply_gradients(), doctest::Contains("compile it first"), std::logic_error);
    CHECK_THROWS_WITH_AS(by_hand.fit(x, x, {.verbose = 0}), doctest::Contains("compile the model first"), std::logic_error);
}

TEST_CASE("losses(): a hand-written VAE step adds Sampling's KL and gets fit's first loss") {
    const Tensor x = samples();
    const auto make_vae = [] {
        Sequential encoder({Input(8), Dense(6, "relu"), Sampling(2)}, "encoder", 5);
        return Sequential({encoder, Sequential({Dense(6, "relu"), Dense(8, "sigmoid")}, "decoder")}, "vae");
    };
    Sequential by_fit = make_vae(), by_hand = make_vae();
    by_fit.compile(Adam({.learning_rate = 0.01f}), "bce", {.reduction = Reduction::sum_over_features});
    const History history = by_fit.fit(x, x, {.batch_size = 64, .shuffle = false, .verbose = 0, .seed = 9});

    by_hand.compile(Adam({.learning_rate = 0.01f}));
    Generator noise = fit_layer_generator(9);  // the numbers fit's Sampling draws
    const Var output = by_hand(Var(x), true, noise);
    REQUIRE(by_hand.losses().terms().size() == 1);
    CHECK(by_hand.losses().terms()[0].first == "kl");
    const Var reconstruction = compute_loss(Loss::binary_crossentropy, output, x) * 8.0f;  // sum over the 8 features
    Var loss = by_hand.losses().total(reconstruction);
    CHECK(loss.value().item() == doctest::Approx(history.epochs[0].loss).epsilon(1e-5));
    CHECK(by_hand.losses().terms()[0].second.value().item() ==
          doctest::Approx(*find_value(history.epochs[0].values, "kl")).epsilon(1e-5));
    loss.backward();
    by_hand.apply_gradients();
    const Tensor fitted = by_fit.weights(), handmade = by_hand.weights();
    for (std::int64_t i = 0; i < fitted.numel(); ++i) CHECK(handmade.data()[i] == doctest::Approx(fitted.data()[i]).epsilon(1e-4));

    // Inference adds no term (and Sampling gives the means).
    by_hand(Var(x), false);
    CHECK(by_hand.losses().empty());
}

}  // TEST_SUITE
