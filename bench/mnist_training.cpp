// Trains the seed's MNIST autoencoder (784-128-32-128-784, relu/sigmoid, Adam, MSE, batch 256) on an
// MNIST-format folder and prints the figures the PyTorch reference (shared/peers/torch_mnist_ae.py)
// prints, in the same RESULT {json} form, so bench/compare_with_pytorch.sh can set them side by side;
// and, its own, where a step's time goes (History's EpochTimings: step_us, batch_us, forward_us,
// backward_us, update_us, per step, medians over epochs 2 on).
//
// usage: mnist_training [--data DIR] [--epochs 5] [--batch 256] [--threads N] [--seed 0] [--precision fp32|bf16]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "nn/io/mnist.hpp"
#include "nn/nn.hpp"

using namespace smallnet;
using Clock = std::chrono::steady_clock;

static double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int main(int argc, char** argv) {
    std::string data = "/usr/share/datasets/fashion-mnist";
    int epochs = 5, threads = 0;
    std::int64_t batch = 256;
    std::uint64_t seed = 0;
    std::string precision = "fp32";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--data") data = value;
        else if (flag == "--epochs") epochs = std::stoi(value);
        else if (flag == "--batch") batch = std::stoll(value);
        else if (flag == "--threads") threads = std::stoi(value);
        else if (flag == "--seed") seed = std::stoull(value);
        else if (flag == "--precision") precision = value;
        else { std::fprintf(stderr, "mnist_training: unknown flag %s\n", flag.c_str()); return 2; }
    }
    if (threads > 0) set_num_threads(threads);  // otherwise SMALLNET_NUM_THREADS or one per core
    const Precision products = parse_precision(precision);
    if (products == Precision::bf16 && bf16_instruction_set() == Bf16InstructionSet::none) {
        std::fprintf(stderr, "mnist_training: --precision bf16 needs AVX512_BF16, which this CPU lacks\n");
        return 2;
    }

    auto start = Clock::now();
    const MnistData mnist = read_mnist(data);
    const double load_seconds = seconds_since(start);
    const ByteMatrix& train = mnist.train.images;
    const ByteMatrix& test = mnist.test.images;

    Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
    Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential autoencoder({encoder, decoder}, "autoencoder");
    autoencoder.compile(Adam(), "mse", {.precision = products});
    const History history = autoencoder.fit(train, train, {.epochs = epochs, .batch_size = batch,
                                                           .validation_data = {test, test}, .verbose = 2, .seed = seed});

    // The median over epochs 2.. (the first warms the caches and the allocator) of `of(epoch)`.
    const auto median_after_first = [&](auto of) {
        std::vector<double> later;
        for (std::size_t i = history.epochs.size() > 1 ? 1 : 0; i < history.epochs.size(); ++i)
            later.push_back(of(history.epochs[i]));
        std::sort(later.begin(), later.end());
        return later.size() % 2 ? later[later.size() / 2] : (later[later.size() / 2 - 1] + later[later.size() / 2]) / 2;
    };
    std::vector<double> times;
    for (const auto& e : history.epochs) times.push_back(e.seconds);
    const double median = median_after_first([](const EpochLogs& e) { return e.seconds; });
    // Where a step's time goes (EpochTimings), in microseconds per step; the passes are summed over the
    // row blocks, so on 2 threads they are thread-microseconds.
    const double steps = static_cast<double>((train.rows() + batch - 1) / batch);
    const auto per_step = [&](double EpochTimings::*part) {
        return median_after_first([&](const EpochLogs& e) { return e.timings.*part / steps * 1e6; });
    };

    // Inference of the whole test set (encode + decode), batched as the PyTorch script does; median of 5.
    autoencoder.predict(test, batch);
    std::vector<double> inference;
    for (int r = 0; r < 5; ++r) {
        start = Clock::now();
        autoencoder.predict(test, batch);
        inference.push_back(seconds_since(start));
    }
    std::sort(inference.begin(), inference.end());

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("RESULT {\"impl\": \"smallnet%s\", \"instruction_set\": \"%s\", \"threads\": %d, \"batch\": %lld, \"seed\": %llu, "
                "\"load_s\": %.3f, \"epoch_s\": [",
                products == Precision::bf16 ? "-bf16" : "", std::string(instruction_set_name(active_instruction_set())).c_str(), num_threads(),
                static_cast<long long>(batch), static_cast<unsigned long long>(seed), load_seconds);
    for (std::size_t i = 0; i < times.size(); ++i) std::printf("%s%.4f", i ? ", " : "", times[i]);
    std::printf("], \"median_epoch_2_5_s\": %.4f, \"val_mse\": [", median);
    for (std::size_t i = 0; i < history.epochs.size(); ++i) std::printf("%s%.6f", i ? ", " : "", *history.epochs[i].val_loss);
    std::printf("], \"infer_10k_batched_s\": %.4f, \"peak_rss_mb\": %.1f, \"step_us\": %.1f, \"batch_us\": %.1f, "
                "\"forward_us\": %.1f, \"backward_us\": %.1f, \"update_us\": %.1f}\n",
                inference[2], usage.ru_maxrss / 1024.0, median / steps * 1e6, per_step(&EpochTimings::batch),
                per_step(&EpochTimings::forward), per_step(&EpochTimings::backward), per_step(&EpochTimings::update));
    return 0;
}
