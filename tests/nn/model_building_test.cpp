// When a model is built and from which seed: Input builds it at construction (as Keras), a model
// around a built one builds with it, layers added later are built as they come; the weights come from
// the model's seed whichever call builds them, never from fit's.
#include <filesystem>
#include <stdexcept>
#include <string>

#include "nn/nn.hpp"
#include "tests/support.hpp"

using namespace smallnet;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("nn.model_building") {

TEST_CASE("Input builds the model at construction: summary counts its weights, load_weights and set_weights need no build") {
    Sequential model({Input(3), Dense(4), Dense(2)});
    CHECK(model.built());
    CHECK(model.output_shape() == Shape{2});
    CHECK(has(model.summary(), "Total params: 26"));  // 3·4 + 4 + 4·2 + 2

    Sequential trained({Input(3), Dense(4), Dense(2)}, "", 5);
    CHECK_FALSE(testing::bitwise_equal(model.weights(), trained.weights()));
    const auto path = std::filesystem::temp_directory_path() / "smallnet_model_building.safetensors";
    trained.save_weights(path);
    model.load_weights(path);
    std::filesystem::remove(path);
    CHECK(testing::bitwise_equal(model.weights(), trained.weights()));

    Sequential copy({Input(3), Dense(4), Dense(2)});
    copy.set_weights(trained.get_weights());
    CHECK(testing::bitwise_equal(copy.weights(), trained.weights()));
}

TEST_CASE("nested: the encoder with Input builds itself, the autoencoder around it builds with it, a decoder alone waits") {
    Sequential encoder({Input(6), Dense(4, "relu"), Dense(2)}, "encoder");
    Sequential decoder({Dense(4, "relu"), Dense(6)}, "decoder");
    CHECK(encoder.built());
    CHECK_FALSE(decoder.built());  // no Input: it learns its input shape from the model around it
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    CHECK(autoencoder.built());
    CHECK(decoder.built());
    CHECK(autoencoder.input_shape() == Shape{6});
    CHECK(has(autoencoder.summary(), "Total params: 80"));  // 28 + 10 + 12 + 30 (kernels and biases)

    // A model whose first layer does not know its input waits for data, or for build.
    Sequential head({Dense(3)});
    CHECK_FALSE(head.built());
    head.build(5);
    CHECK(head.output_shape() == Shape{3});
}

TEST_CASE("add builds each layer as it comes: the weights of constructing the model with all of them") {
    Sequential added({}, "", 4);
    added.add(Input(3));
    CHECK(added.built());
    added.add(Dense(5, "relu"));
    added.add(Dense(2));
    const Sequential constructed({Input(3), Dense(5, "relu"), Dense(2)}, "", 4);
    CHECK(testing::bitwise_equal(added.weights(), constructed.weights()));
    CHECK(added.output_shape() == Shape{2});

    // A layer that does not fit is refused and left out.
    CHECK_THROWS_WITH_AS(added.add(Reshape({3, 3})),
                         doctest::Contains("layer '2' (Reshape)"), std::invalid_argument);
    CHECK(added.sequential_module().layers.size() == 3);
    CHECK(added.output_shape() == Shape{2});
}

TEST_CASE("the weights come from the model's seed, whichever call builds them; fit's seed never changes them") {
    const Tensor x = testing::random_tensor(Shape{16, 4}, 1, 0.0f, 1.0f);
    const auto make = [] { return Sequential({Dense(3, "tanh"), Dense(4)}, "", 11); };  // no Input: built by a call
    Sequential by_build = make(), by_predict = make(), by_evaluate = make(), by_call = make();
    by_build.build(4);
    by_predict.predict(x);
    by_evaluate.compile(Adam(), "mse");
    by_evaluate.evaluate(x, x);
    by_call(Var(x));
    CHECK(testing::bitwise_equal(by_predict.weights(), by_build.weights()));
    CHECK(testing::bitwise_equal(by_evaluate.weights(), by_build.weights()));
    CHECK(testing::bitwise_equal(by_call.weights(), by_build.weights()));

    // predict before fit (the surprise of issue 15: it used to build from seed 0, and fit's seed was
    // then ignored) gives the same training as fit alone; fit's seed drives only the shuffling.
    const FitOptions unshuffled{.batch_size = 16, .shuffle = false, .verbose = 0, .seed = 1};
    Sequential predicted_first = make(), fitted = make(), other_fit_seed = make();
    predicted_first.predict(x);
    for (Sequential* model : {&predicted_first, &fitted, &other_fit_seed}) model->compile(Adam(), "mse");
    predicted_first.fit(x, x, unshuffled);
    fitted.fit(x, x, unshuffled);
    FitOptions seed_2 = unshuffled;
    seed_2.seed = 2;
    other_fit_seed.fit(x, x, seed_2);
    CHECK(testing::bitwise_equal(predicted_first.weights(), fitted.weights()));
    CHECK(testing::bitwise_equal(other_fit_seed.weights(), fitted.weights()));

    // Another model seed, other weights; build's seed becomes the model's.
    Sequential seeded({Dense(3, "tanh"), Dense(4)});
    seeded.build(4, 12);
    CHECK(seeded.seed() == 12);
    CHECK_FALSE(testing::bitwise_equal(seeded.weights(), by_build.weights()));
}

TEST_CASE("a built model refuses build with another seed, saying where the seed goes") {
    Sequential model({Input(3), Dense(2)}, "m");
    const Tensor before = model.weights().clone();
    model.build(3);     // built: only checks the shape
    model.build(3, 0);  // its seed: nothing to change
    CHECK_THROWS_WITH_AS(model.build(3, 7),
                         "build: model 'm' is already built, its weights made without a seed of its own (from seed 0, "
                         "or going on from a model it holds); seed 7 would not change them. A model that starts with "
                         "Input (or with a built model) is built when constructed: give it the seed there, "
                         "Sequential(layers, name, 7)",
                         std::logic_error);
    CHECK(testing::bitwise_equal(model.weights(), before));
    CHECK_THROWS_AS(model.build(4), std::invalid_argument);
    Sequential seeded({Input(3), Dense(2)}, "", 7);
    CHECK_THROWS_WITH_AS(seeded.build(3, 8), doctest::Contains("the model is already built, its weights made from seed 7"),
                         std::logic_error);
}

TEST_CASE("a model around a seeded encoder goes on with its stream: the weights of one model built from that seed") {
    Sequential encoder({Input(4), Dense(6, "relu"), Dense(2)}, "encoder", 21);
    Sequential autoencoder({encoder, Sequential({Dense(6, "relu"), Dense(4)}, "decoder")}, "autoencoder");
    const Sequential flat({Input(4), Dense(6, "relu"), Dense(2), Dense(6, "relu"), Dense(4)}, "", 21);
    CHECK(testing::bitwise_equal(autoencoder.weights(), flat.weights()));
    // A decoder with a seed of its own makes its weights from it, wherever it is built.
    Sequential decoder({Dense(6, "relu"), Dense(4)}, "decoder", 3);
    Sequential other({Sequential({Input(4), Dense(6, "relu"), Dense(2)}, "encoder", 21), decoder});
    const Sequential decoder_alone({Input(2), Dense(6, "relu"), Dense(4)}, "", 3);
    CHECK(testing::bitwise_equal(decoder.weights(), decoder_alone.weights()));
}

}  // TEST_SUITE
