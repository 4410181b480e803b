// Whole-model files: Sequential::save and load_model (nn/model_file.hpp), and resuming a fit with
// initial_epoch from one.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/io/safetensors.hpp"
#include "nn/model_file.hpp"
#include "nn/nn.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

Tensor uniform_data(std::int64_t rows, const Shape& sample, std::uint64_t seed) {
    std::vector<std::int64_t> dims = {rows};
    dims.insert(dims.end(), sample.begin(), sample.end());
    return random_tensor(Shape(std::span<const std::int64_t>(dims)), seed, 0.0f, 1.0f);
}

// A denoising autoencoder with Dropout, so that resuming must also give the layers' random numbers.
Sequential dense_autoencoder() {
    Sequential encoder({Input(12), GaussianNoise(0.1f), Dense(8, "relu"), Dropout(0.2f), Dense(3, "relu")}, "encoder", 3);
    Sequential decoder({Dense(8, "relu"), Dense(12, "sigmoid")}, "decoder");
    Sequential model({encoder, decoder}, "autoencoder");
    model.compile(Adam({.learning_rate = ExponentialDecay(2e-3, 10, 0.9)}), "mse");
    return model;
}

Sequential conv_autoencoder() {
    Sequential encoder({Input({8, 8, 1}), Conv2D(4, 3, "relu", {.padding = Padding::same}),
                        MaxPooling2D(2, {.padding = Padding::same})},
                       "encoder", 3);
    Sequential decoder({Conv2DTranspose(4, 3, "relu", {.strides = 2, .padding = Padding::same}), UpSampling2D(1),
                        Conv2D(1, 3, "sigmoid", {.padding = Padding::same}), Flatten(), Reshape({8, 8, 1})},
                       "decoder");
    Sequential model({encoder, decoder}, "conv_autoencoder");
    model.compile(SGD({.learning_rate = 0.5f, .momentum = 0.9f, .nesterov = true}), "bce");
    return model;
}

// Every figure of two histories but the times.
void check_same_history(const History& resumed, const History& straight) {
    REQUIRE(resumed.epochs.size() == straight.epochs.size());
    for (std::size_t i = 0; i < straight.epochs.size(); ++i) {
        CAPTURE(i);
        CHECK(resumed.epochs[i].epoch == straight.epochs[i].epoch);
        CHECK(resumed.epochs[i].loss == straight.epochs[i].loss);
        CHECK(resumed.epochs[i].val_loss == straight.epochs[i].val_loss);
        CHECK(resumed.epochs[i].values == straight.epochs[i].values);
    }
}

// 2 epochs, saved by ModelCheckpoint, loaded and resumed for 3: bitwise the 5 epochs straight.
void check_resume(Sequential (*make)(), const Tensor& x, const Tensor& x_validation) {
    TemporaryFolder folder;
    const FitOptions options{.epochs = 5, .batch_size = 16, .validation_data = {x_validation, x_validation}, .verbose = 0,
                             .seed = 7};
    Sequential straight = make();
    straight.fit(x, x, options);

    Sequential first = make();
    FitOptions two = options;
    two.epochs = 2;
    two.callbacks = {ModelCheckpoint(folder / "model.safetensors", {.whole_model = true})};
    first.fit(x, x, two);

    Sequential resumed = load_model(folder / "model.safetensors");
    REQUIRE(resumed.epochs_trained() == 2);
    CHECK(bitwise_equal(resumed.predict(x), first.predict(x)));  // as saved
    FitOptions rest = options;
    rest.initial_epoch = resumed.epochs_trained();
    const History last = resumed.fit(x, x, rest);
    REQUIRE(last.epochs.size() == 3);
    CHECK(last.epochs.front().epoch == 3);
    CHECK(bitwise_equal(resumed.weights(), straight.weights()));
    check_same_history(resumed.history(), straight.history());
    CHECK(resumed.sequential_module().optimizer->iterations() == straight.sequential_module().optimizer->iterations());
}

}  // namespace

TEST_SUITE("nn.model_file") {

TEST_CASE("a saved dense autoencoder loads ready: bitwise predictions, sub-models by name, compiled, its history") {
    TemporaryFolder folder;
    const Tensor x = uniform_data(64, Shape{12}, 1);
    Sequential model = dense_autoencoder();
    model.compile(Adam(), "mse", {.metrics = {"binary_accuracy"}});
    model.fit(x, x, {.epochs = 2, .batch_size = 16, .verbose = 0, .seed = 1});
    model.save(folder / "model.safetensors");

    Sequential loaded = load_model(folder / "model.safetensors");
    CHECK(loaded.name() == "autoencoder");
    CHECK(loaded.summary() == model.summary());
    CHECK(bitwise_equal(loaded.predict(x), model.predict(x)));
    CHECK(bitwise_equal(loaded.get_model("encoder").predict(x), model.get_model("encoder").predict(x)));
    CHECK(loaded.get_model("encoder").output_shape() == Shape{3});
    CHECK(loaded.evaluate(x, x) == model.evaluate(x, x));
    CHECK(loaded.sequential_module().compile_options.metrics == std::vector<std::string>{"binary_accuracy"});
    CHECK(loaded.sequential_module().optimizer->config().number("learning_rate") == doctest::Approx(1e-3));
    CHECK(loaded.sequential_module().optimizer->iterations() == 8);
    check_same_history(loaded.history(), model.history());
    CHECK(loaded.get_layer("encoder.1").module().type_name() == "Dense");
    CHECK_THROWS_WITH_AS(loaded.get_model("encoder.1"), doctest::Contains("is a Dense, not a Sequential"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(loaded.get_layer("coder"), doctest::Contains("its layers: encoder, encoder.input, encoder.0"),
                         std::invalid_argument);
}

TEST_CASE("2 epochs, then load_model and fit with initial_epoch 2 for 3: bitwise the weights and history of 5 straight") {
    SUBCASE("dense, with Dropout, Gaussian noise and an Adam schedule") {
        check_resume(dense_autoencoder, uniform_data(70, Shape{12}, 2), uniform_data(20, Shape{12}, 3));
    }
    SUBCASE("convolutional, with SGD and Nesterov momentum") {
        check_resume(conv_autoencoder, uniform_data(40, Shape{8, 8, 1}, 4), uniform_data(10, Shape{8, 8, 1}, 5));
    }
}

TEST_CASE("the precision of the products is kept: bf16 loads as bf16; a file without the field is fp32") {
    TemporaryFolder folder;
    const Tensor x = uniform_data(48, Shape{12}, 11);
    Sequential model = dense_autoencoder();
    model.compile(Adam(), "mse", {.precision = Precision::bf16});
    model.save(folder / "bf16.safetensors");  // saved before any product runs: any CPU can write it
    Sequential loaded = load_model(folder / "bf16.safetensors");
    CHECK(loaded.sequential_module().compile_options.precision == Precision::bf16);

    // The optimizer alone (a hand-written loop) keeps it too.
    model.compile(Adam());
    model.sequential_module().compile_options.precision = Precision::bf16;
    model.save(folder / "optimizer_only.safetensors");
    CHECK(load_model(folder / "optimizer_only.safetensors").sequential_module().compile_options.precision ==
          Precision::bf16);

    // Files written before the field existed.
    model.compile(Adam(), "mse");
    model.save(folder / "fp32.safetensors");
    SafetensorsContents contents = read_safetensors(folder / "fp32.safetensors");
    std::string& document = contents.metadata.at("smallnet_model");
    const std::string field = "\"precision\":\"fp32\",";
    REQUIRE(document.find(field) != std::string::npos);
    document.erase(document.find(field), field.size());
    save_safetensors(folder / "old.safetensors", contents.tensors, contents.metadata);
    CHECK(load_model(folder / "old.safetensors").sequential_module().compile_options.precision == Precision::fp32);

    // A conv model's file that says bf16 (edited: compile refuses it) is refused, naming the layer.
    Sequential conv = conv_autoencoder();
    conv.save(folder / "conv.safetensors");
    SafetensorsContents conv_contents = read_safetensors(folder / "conv.safetensors");
    std::string& conv_document = conv_contents.metadata.at("smallnet_model");
    const auto at = conv_document.find("\"precision\":\"fp32\"");
    REQUIRE(at != std::string::npos);
    conv_document.replace(at, 18, "\"precision\":\"bf16\"");
    save_safetensors(folder / "conv_bf16.safetensors", conv_contents.tensors, conv_contents.metadata);
    CHECK(file_error_of([&] { load_model(folder / "conv_bf16.safetensors"); })
              .find("compile: field 'precision': precision bf16: layer 'conv_autoencoder.encoder.0' (Conv2D) has no bf16 "
                    "convolutions") !=
          std::string::npos);

    if (bf16_instruction_set() == Bf16InstructionSet::none) return;
    // A bf16 model resumed from its file trains on in bf16, bitwise as one that never stopped.
    const FitOptions options{.epochs = 3, .batch_size = 16, .verbose = 0, .seed = 4};
    Sequential straight = dense_autoencoder();
    straight.compile(Adam(), "mse", {.precision = Precision::bf16});
    straight.fit(x, x, options);
    Sequential first = dense_autoencoder();
    first.compile(Adam(), "mse", {.precision = Precision::bf16});
    FitOptions two = options;
    two.epochs = 2;
    first.fit(x, x, two);
    first.save(folder / "two.safetensors");
    Sequential resumed = load_model(folder / "two.safetensors");
    FitOptions rest = options;
    rest.initial_epoch = 2;
    resumed.fit(x, x, rest);
    CHECK(bitwise_equal(resumed.weights(), straight.weights()));
    Sequential in_fp32 = load_model(folder / "two.safetensors");
    in_fp32.sequential_module().compile_options.precision = Precision::fp32;
    in_fp32.fit(x, x, rest);
    CHECK_FALSE(bitwise_equal(in_fp32.weights(), straight.weights()));
}

TEST_CASE("a variational autoencoder loads with its Sampling layer, its reduction and a frozen part") {
    TemporaryFolder folder;
    const Tensor x = uniform_data(32, Shape{10}, 6);
    Sequential encoder({Input(10), Dense(6, "relu", {.kernel_regularizer = L1L2(1e-3f, 2e-3f)}), Sampling(2, {.beta = 0.5f})},
                       "encoder");
    Sequential decoder({Dense(6, "leaky_relu", {.negative_slope = 0.1f}), Dense(10, "sigmoid")}, "decoder");
    Sequential vae({encoder, decoder}, "vae");
    vae.compile(AdamW(), "bce", {.reduction = Reduction::sum_over_features});
    vae.fit(x, x, {.epochs = 1, .batch_size = 8, .verbose = 0});
    decoder.set_trainable(false);
    vae.save(folder / "vae.safetensors");

    Sequential loaded = load_model(folder / "vae.safetensors");
    CHECK(bitwise_equal(loaded.predict(x), vae.predict(x)));
    CHECK(loaded.evaluate(x, x) == vae.evaluate(x, x));
    CHECK(loaded.sequential_module().compile_options.reduction == Reduction::sum_over_features);
    CHECK_FALSE(loaded.get_model("decoder").trainable());
    CHECK(loaded.get_model("encoder").trainable());
    const Config sampling = loaded.get_layer("encoder.1").module().config();
    CHECK(sampling.number("beta") == 0.5);
    const Config dense = loaded.get_layer("encoder.0").module().config();
    CHECK(dense.integer("units", 1) == 6);
}

TEST_CASE("a model built without Input, uncompiled, saves and loads; a custom loss must be given back") {
    TemporaryFolder folder;
    const Tensor x = uniform_data(8, Shape{5}, 8);
    Sequential plain({Dense(4, "tanh"), Dense(2)});
    plain.build(5, 1);
    plain.save(folder / "plain.safetensors");
    Sequential loaded = load_model(folder / "plain.safetensors");
    CHECK(bitwise_equal(loaded.predict(x), plain.predict(x)));
    CHECK_THROWS_WITH_AS(loaded.fit(x, Tensor(Shape{8, 2}), {.verbose = 0}), doctest::Contains("compile the model first"),
                         std::logic_error);

    const CustomLoss loss = [](const Var& y, const Tensor& t) { return mean(square(y - Var(t))); };
    plain.compile(Adam(), loss);
    plain.save(folder / "custom.safetensors");
    CHECK(file_error_of([&] { load_model(folder / "custom.safetensors"); }).find("load_model(path, {.custom_loss = f})") !=
          std::string::npos);
    Sequential with_loss = load_model(folder / "custom.safetensors", {.custom_loss = loss});
    CHECK(with_loss.sequential_module().custom_loss);

    // Compiled with the optimizer alone (a hand-written loop): it comes back so, with its state.
    plain.compile(SGD({.momentum = 0.5f}));
    Var step_loss = mean(square(plain(Var(x), true)));
    step_loss.backward();
    plain.apply_gradients();
    plain.save(folder / "loop.safetensors");
    Sequential loop = load_model(folder / "loop.safetensors");
    CHECK_FALSE(loop.sequential_module().loss);
    CHECK(loop.sequential_module().optimizer->iterations() == 1);
    CHECK(bitwise_equal(loop.predict(x), plain.predict(x)));
}

TEST_CASE("files that do not describe the model they hold are refused, naming the layer and the field") {
    TemporaryFolder folder;
    Sequential model({Input(4), Dense(3, "relu"), Dense(4, "sigmoid")}, "small");
    model.compile(Adam(), "mse");
    model.fit(uniform_data(8, Shape{4}, 9), uniform_data(8, Shape{4}, 9), {.verbose = 0});
    model.save(folder / "good.safetensors");
    const SafetensorsContents good = read_safetensors(folder / "good.safetensors");
    const std::string document = good.metadata.at("smallnet_model");

    // The good file with one edit of its JSON.
    const auto refused = [&](const std::string& from, const std::string& to) {
        std::string edited = document;
        const auto at = edited.find(from);
        REQUIRE(at != std::string::npos);
        edited.replace(at, from.size(), to);
        auto metadata = good.metadata;
        metadata["smallnet_model"] = edited;
        save_safetensors(folder / "edited.safetensors", good.tensors, metadata);
        return file_error_of([&] { load_model(folder / "edited.safetensors"); });
    };
    CHECK(refused("\"class_name\":\"Dense\"", "\"class_name\":\"Dense3D\"")
              .find("layer 'small.0': unknown layer type 'Dense3D' (this version of smallnet makes Activation, Conv2D") !=
          std::string::npos);
    CHECK(refused("\"format_version\":1", "\"format_version\":2").find("model format version 2 by a newer smallnet") !=
          std::string::npos);
    CHECK(refused("\"units\":3", "\"units\":2.5").find("layer 'small.0' (Dense): field 'units' must be a whole number >= 1, got 2.5") !=
          std::string::npos);
    CHECK(refused("\"units\":3", "\"units\":\"3\"").find("field 'units' must be a whole number") != std::string::npos);
    CHECK(refused("\"activation\":\"relu\"", "\"activation\":\"rleu\"")
              .find("layer 'small.0' (Dense): field 'activation' ") != std::string::npos);
    CHECK(refused("\"units\":3", "\"units\":5").find("tensor '0.kernel' has shape [4, 3], the model needs [4, 5]") !=
          std::string::npos);
    CHECK(refused("\"units\":3,", "").find("field 'units' is missing") != std::string::npos);
    // A corrupt size is refused before the layer allocates its weights.
    CHECK(refused("\"units\":3", "\"units\":1000000000").find("layer 'small.0' (Dense) would hold 5000000000 weights") !=
          std::string::npos);
    CHECK(refused("\"class_name\":\"Adam\"", "\"class_name\":\"Adagrad\"").find("unknown optimizer 'Adagrad'") !=
          std::string::npos);
    CHECK(refused("\"loss\":\"mse\"", "\"loss\":\"mse2\"").find("compile: field 'loss': ") != std::string::npos);
    CHECK(refused("\"precision\":\"fp32\"", "\"precision\":\"fp16\"")
              .find("compile: field 'precision': ") != std::string::npos);

    // A weights file is not a model file; a model file's optimizer state must fit the model.
    model.save_weights(folder / "weights.safetensors");
    CHECK(file_error_of([&] { load_model(folder / "weights.safetensors"); }).find("not a whole-model file") != std::string::npos);
    auto tensors = good.tensors;
    for (auto& [name, tensor] : tensors)
        if (name == "optimizer.first_moment") tensor = Tensor(Shape{3});
    save_safetensors(folder / "state.safetensors", tensors, good.metadata);
    CHECK(file_error_of([&] { load_model(folder / "state.safetensors"); }).find("tensor 'optimizer.first_moment' holds 3 values, but the model has 31 trainable weights") !=
          std::string::npos);
}

TEST_CASE("the fuzzer's seed of a whole-model file (tests/fuzz/make_corpus.py) loads, so that fuzzing starts from a valid model") {
    const char* corpus = std::getenv("SMALLNET_FUZZ_CORPUS");
    REQUIRE(corpus != nullptr);
    Sequential model = load_model(std::filesystem::path(corpus) / "safetensors_fuzz" / "valid_model.safetensors");
    CHECK(model.sequential_module().optimizer->iterations() == 1);
    CHECK(model.predict(Tensor(Shape{2, 4})).shape() == Shape{2, 4});
}

TEST_CASE("a model fit from an initial_epoch it had not trained (weights loaded by hand) saves and loads") {
    TemporaryFolder folder;
    Sequential model({Input(2), Dense(2)});
    model.compile(Adam(), "mse");
    const Tensor x = uniform_data(4, Shape{2}, 11);
    model.fit(x, x, {.epochs = 4, .initial_epoch = 2, .verbose = 0});
    REQUIRE(model.epochs_trained() == 4);
    model.save(folder / "model.safetensors");
    Sequential loaded = load_model(folder / "model.safetensors");
    CHECK(loaded.epochs_trained() == 4);
    CHECK(loaded.history().epochs.size() == 2);
}

TEST_CASE("fit refuses an initial_epoch outside 0..epochs-1") {
    Sequential model({Input(2), Dense(2)});
    model.compile(Adam(), "mse");
    const Tensor x = uniform_data(4, Shape{2}, 10);
    CHECK_THROWS_WITH_AS(model.fit(x, x, {.epochs = 3, .initial_epoch = 3, .verbose = 0}),
                         doctest::Contains("initial_epoch must be in 0..2"), std::invalid_argument);
    CHECK_THROWS_AS(model.fit(x, x, {.epochs = 3, .initial_epoch = -1, .verbose = 0}), std::invalid_argument);
}

}  // TEST_SUITE
