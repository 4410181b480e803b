// A program outside the tree, built against an installed smallnet with pkg-config alone and
// `-Wall -Wextra -Wpedantic -Werror` (tests/install/check.sh): the options structs must take Keras-style
// designated initializers without a warning. It prints what it computed and fails on a wrong answer.
#include <cstdio>
#include <nn/nn.hpp>
#include <tensor/creation.hpp>
#include <tensor/simd.hpp>
#include <tensor/threads.hpp>

int main() {
    using namespace smallnet;
    Tensor x = arange(6).reshape({2, 3});
    Tensor rows = x.rows(1, 2);
    std::printf("smallnet: instruction set %s, %d threads, row 1 = [%g, %g, %g]\n",
                std::string(instruction_set_name(active_instruction_set())).c_str(), num_threads(),
                rows.at({0, 0}), rows.at({0, 1}), rows.at({0, 2}));
    if (rows.at({0, 2}) != 5.0f) return 1;

    // A small autoencoder as the README writes one.
    Tensor points(Shape{64, 4});
    Generator generator(1);
    generator.fill_normal(points.data(), points.numel(), 0.0f, 1.0f);
    Sequential encoder({Input(4), Dense(8, "relu"), Dense(2)}, "encoder");
    Sequential decoder({Dense(8, "relu"), Dense(4)}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.compile(Adam({.learning_rate = ExponentialDecay(0.01, 100, 0.9)}), "mse", {.metrics = {}});
    const History history = autoencoder.fit(
        points, points,
        {.epochs = 20, .batch_size = 16, .callbacks = {EarlyStopping({.monitor = "loss", .patience = 5})}, .verbose = 0, .seed = 2});
    const double first = history.epochs.front().loss, last = history.epochs.back().loss;
    std::printf("autoencoder: loss %.4f -> %.4f over %zu epochs\n", first, last, history.epochs.size());
    return last < first ? 0 : 1;
}
