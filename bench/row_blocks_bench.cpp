// fit's training step with the batch in one pass (row_blocks 1) or as two row blocks computed at once
// (row_blocks 2), on 1 and 2 threads, for the apps' dense models: the seed's autoencoder (784-128-32-
// 128-784, mse, batch 256) and the Keras blog's VAE (784-64-2 Sampling, 2-64-784, bce summed over the
// features, batch 128). A fit of 16 steps on uint8 images is one iteration; time per step times
// 235 (seed) or 469 (VAE) is an epoch of 60k images. Compare the pairs as ratios from one run:
//
//   build/bench/row_blocks_bench --benchmark_repetitions=9 --benchmark_enable_random_interleaving=true
//       --benchmark_report_aggregates_only=true    (one command line)
#include <benchmark/benchmark.h>

#include <vector>

#include "nn/nn.hpp"

using namespace smallnet;

namespace {

constexpr std::int64_t steps = 16;

Data random_images(std::int64_t rows) {
    Generator generator(1);
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(rows * 784));
    for (auto& p : pixels) p = static_cast<std::uint8_t>(generator.below(256));
    return Data(ByteMatrix(pixels, rows, 784, 1.0f / 255));
}

void run(benchmark::State& state, Sequential& model, std::int64_t batch) {
    set_num_threads(static_cast<int>(state.range(0)));
    const int row_blocks = static_cast<int>(state.range(1));
    const Data images = random_images(batch * steps);
    const FitOptions options{.epochs = 1, .batch_size = batch, .verbose = 0, .row_blocks = row_blocks};
    model.fit(images, images, options);  // warm the buffers
    for (auto _ : state) model.fit(images, images, options);
    state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsIterationInvariantRate);
    set_num_threads(0);
}

void BM_seed_autoencoder(benchmark::State& state) {
    Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder", 1);
    Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.compile(Adam(), "mse");
    run(state, autoencoder, 256);
}

void BM_variational_autoencoder(benchmark::State& state) {
    Sequential encoder({Input(784), Dense(64, "relu"), Sampling(2)}, "encoder", 1);
    Sequential decoder({Dense(64, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential vae({encoder, decoder}, "vae");
    vae.compile(Adam(), "bce", {.reduction = Reduction::sum_over_features});
    run(state, vae, 128);
}

}  // namespace

BENCHMARK(BM_seed_autoencoder)->ArgNames({"threads", "row_blocks"})->ArgsProduct({{1, 2}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_variational_autoencoder)->ArgNames({"threads", "row_blocks"})->ArgsProduct({{1, 2}, {1, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
