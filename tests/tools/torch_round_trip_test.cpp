// tools/torch_load_model.py: PyTorch, given a saved model file, predicts what smallnet predicted, to
// 1e-5. Each model is trained one epoch (so its weights are not the initial ones), saved, and its
// inputs and predict outputs written as .npy; one run of the tool checks them all (importing torch
// takes seconds). Skipped, with a message, where no python3 has torch, and in the sanitizer build.

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "apps/ae_mnist/ae_mnist.hpp"
#include "nn/io/npy.hpp"
#include "nn/nn.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;
namespace fs = std::filesystem;

namespace {

// The interpreters to try: $SMALLNET_PYTHON, else Debian's own, where python3-torch installs, then the
// python3 in PATH (a pyenv or venv one does not see Debian's packages, and may take a second to start).
std::vector<std::string> python_candidates() {
    if (const char* chosen = std::getenv("SMALLNET_PYTHON"); chosen && *chosen) return {chosen};
    return {"/usr/bin/python3", "python3"};
}

// The first that has torch and numpy, empty if none. It asks importlib whether they are installed:
// importing torch takes seconds.
std::string python_with_torch() {
    for (const std::string& python : python_candidates()) {
        const std::string probe = quoted(python) +
                                  " -c 'import importlib.util as u, sys; sys.exit(not (u.find_spec(\"torch\") and "
                                  "u.find_spec(\"numpy\")))' >/dev/null 2>&1";
        if (std::system(probe.c_str()) == 0) return python;
    }
    return {};
}

fs::path tool_path() {
    const char* root = std::getenv("SMALLNET_SOURCE_ROOT");
    REQUIRE_MESSAGE((root && *root), "SMALLNET_SOURCE_ROOT is not set (meson test sets it to the source tree)");
    return fs::path(root) / "tools" / "torch_load_model.py";
}

Tensor samples(std::int64_t count, const Shape& sample, std::uint64_t seed) {
    std::vector<std::int64_t> dims = {count};
    dims.insert(dims.end(), sample.begin(), sample.end());
    return random_tensor(Shape(std::span<const std::int64_t>(dims)), seed, 0.0f, 1.0f);
}

// A nested model checked on its own, fed the samples or, for a decoder, another part's predictions.
struct Part {
    std::string name;
    std::string fed_by = {};  // a part before it; empty: the samples
};

// What one model contributes to the tool's command line.
struct SavedModel {
    std::string name;
    std::vector<Part> parts;  // besides the whole model
};

// Trains `model` one epoch on a few samples toward `targets`, saves it to <folder>/<name>.safetensors
// with the inputs and predictions of the model and its parts (<name>.x.npy, <name>.y.npy,
// <name>.<part>.x.npy, <name>.<part>.y.npy).
SavedModel train_and_save(Sequential model, const Tensor& x, const Tensor& targets, const std::string& name,
                          const fs::path& folder, std::vector<Part> parts = {}) {
    model.fit(x, targets, {.epochs = 1, .batch_size = 4, .verbose = 0, .seed = 11});
    model.save(folder / (name + ".safetensors"));
    save_npy(folder / (name + ".x.npy"), x);
    save_npy(folder / (name + ".y.npy"), model.predict(x));
    for (const Part& part : parts) {
        const Tensor input = part.fed_by.empty() ? x : model.get_model(part.fed_by).predict(x);
        save_npy(folder / (name + "." + part.name + ".x.npy"), input);
        save_npy(folder / (name + "." + part.name + ".y.npy"), model.get_model(part.name).predict(input));
    }
    return {name, parts};
}

// The tool's arguments: every model whole, then each part, as checks joined by --and.
std::string checks(const std::vector<SavedModel>& models, const fs::path& folder) {
    std::string arguments;
    const auto check = [&](const SavedModel& m, const std::string& part) {
        const std::string files = m.name + (part.empty() ? "" : "." + part);
        if (!arguments.empty()) arguments += " --and ";
        arguments += quoted((folder / (m.name + ".safetensors")).string()) + " --input " +
                     quoted((folder / (files + ".x.npy")).string()) + " --expected " +
                     quoted((folder / (files + ".y.npy")).string());
        if (!part.empty()) arguments += " --part " + part;
    };
    for (const SavedModel& m : models) {
        check(m, "");
        for (const Part& part : m.parts) check(m, part.name);
    }
    return arguments;
}

// Every layer type and option the app models leave out: odd sizes under strided 'same' padding (the
// odd pixel padded after), non-square kernels and strides, transposed kernels smaller and larger than
// their stride, the other activations, an unnamed nested model, Dense on a rank-2 sample.
Sequential odds_and_ends() {
    const Conv2DOptions strided_same{.strides = 2, .padding = Padding::same, .negative_slope = 0.2f};
    Sequential features({Input({9, 7, 2}), SaltAndPepper(0.1f), Conv2D(3, {3, 2}, "leaky_relu", strided_same),
                         MaxPooling2D({2, 3}, {.strides = 1}), Conv2D(4, 2, "tanh"),
                         Conv2DTranspose(2, {3, 1}, "softplus", {.strides = {2, 3}}),
                         Conv2DTranspose(3, 5, "relu", {.strides = 2, .padding = Padding::same}),
                         MaxPooling2D(3, {.strides = 2, .padding = Padding::same}), UpSampling2D({1, 2})},
                        "features", 5);
    Sequential head({ActivationLayer("softmax"), Flatten(), Dropout(0.3f), GaussianNoise(0.1f), Dense(10, "softplus"),
                     Reshape({-1, 2}), Dense(3, "linear", {.use_bias = false}), ActivationLayer("sigmoid")});
    Sequential model({features, head}, "odds_and_ends");
    model.compile(Adam(), "mse");
    return model;
}

}  // namespace

TEST_SUITE("tools.torch_round_trip") {
    TEST_CASE("PyTorch, given a saved model file, predicts what smallnet predicted, to 1e-5") {
        const char* skip = std::getenv("SMALLNET_SKIP_PYTHON");
        const bool run_python = !(skip && *skip);
        const std::string python = run_python ? python_with_torch() : std::string();
        if (run_python && python.empty()) {
            std::string tried;
            for (const std::string& python : python_candidates()) tried += (tried.empty() ? "" : ", ") + python;
            MESSAGE("skipped: no python3 here has torch and numpy (tried " << tried
                                                                          << "; apt-get install python3-torch python3-numpy, "
                                                                             "or set SMALLNET_PYTHON)");
            return;
        }
        TemporaryFolder folder;
        std::vector<SavedModel> saved;

        ae_mnist::Autoencoder dense = ae_mnist::make_autoencoder(64, 4, 16, {}, 1);
        dense.model.compile(Adam(), "mse");
        const Tensor flat = samples(8, Shape{64}, 2);
        saved.push_back(train_and_save(dense.model, flat, flat, "dense", folder.path(), {{"encoder"}}));

        // 12 -> 6 -> 3 -> 2 in the blog's encoder: odd sizes under 'same' pooling, as MNIST's 7 -> 4
        const Shape image{12, 12, 1};
        const Tensor images = samples(8, image, 3);
        ae_mnist::Autoencoder conv = ae_mnist::make_conv_autoencoder(image, 4);
        conv.model.compile(Adam(), "bce");
        const std::vector<Part> encoder_and_decoder = {{"encoder"}, {"decoder", "encoder"}};
        saved.push_back(train_and_save(conv.model, images, images, "conv", folder.path(), encoder_and_decoder));

        ae_mnist::Autoencoder denoiser = ae_mnist::make_conv_denoiser(image, {GaussianNoise(0.2f)}, 5);
        denoiser.model.compile(Adam(), "bce");
        saved.push_back(train_and_save(denoiser.model, images, images, "denoiser", folder.path(), {{"encoder"}}));

        ae_mnist::Autoencoder vae = ae_mnist::make_vae(64, 16, 2, 1.0f, 6);
        vae.model.compile(Adam(), "bce", {.reduction = Reduction::sum_over_features});
        saved.push_back(train_and_save(vae.model, flat, flat, "vae", folder.path(), {{"encoder"}}));

        Sequential odds = odds_and_ends();
        const Tensor odd_images = samples(8, odds.input_shape(), 7);
        const Tensor odd_targets = samples(8, odds.output_shape(), 8);
        saved.push_back(train_and_save(odds, odd_images, odd_targets, "odds_and_ends", folder.path(), {{"features"}}));

        if (!run_python) {
            MESSAGE("PyTorch checks skipped: " << std::string(skip));
            return;
        }
        const std::string command = quoted(python) + " " + quoted(tool_path().string()) + " " + checks(saved, folder.path());
        const AppRun run = run_app("/bin/sh", "-c " + quoted(command), folder.path());
        MESSAGE(run.out);  // each model's largest difference, in the test log
        INFO(command);
        INFO(run.err);
        CHECK(run.exit_code == 0);
    }
}
