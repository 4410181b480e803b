// The same seed gives bitwise-identical losses and weights whatever the number of worker threads,
// including more workers than this machine has cores: kernels split their outputs between threads,
// never a sum, so no result may depend on how the work was divided.

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/apps/run_app.hpp"
#include "tests/support.hpp"
#include "nn/nn.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

const std::vector<int> thread_counts = {1, 2, 3, 5};

struct TrainingRun {
    std::vector<double> losses;  // per epoch
    Tensor weights;
};


bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The seed's MNIST model (784-128-32-128-784, relu and a sigmoid output, Adam, MSE) for 12 steps of
// 256 rows: large enough that the GEMMs (over 4 MFLOP), the elementwise kernels and the loss's sum
// (over 2^17 elements) all split across threads.
TrainingRun train_mnist_model(int threads, Precision precision = Precision::fp32) {
    TrainingRun run;
    with_threads(threads, [&] {
        Sequential encoder({Input(784), Dense(128, "relu"), Dense(32, "relu")}, "encoder");
        Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
        Sequential autoencoder({encoder, decoder}, "autoencoder");
        autoencoder.compile(Adam(), "mse", {.precision = precision});
        const Tensor images = random_tensor(Shape{1024, 784}, 11, 0.0f, 1.0f);  // pixels in [0, 1)
        const History history =
            autoencoder.fit(images, images, {.epochs = 3, .batch_size = 256, .verbose = 0, .seed = 7});
        for (const EpochLogs& epoch : history.epochs) run.losses.push_back(epoch.loss);
        run.weights = autoencoder.weights().clone();
    });
    return run;
}

}  // namespace

TEST_SUITE("nn.determinism") {

TEST_CASE("the MNIST model: same seed, same losses and weights bit for bit on 1, 2, 3 and 5 threads") {
    const TrainingRun reference = train_mnist_model(1);
    REQUIRE(reference.losses.size() == 3);
    CHECK(reference.losses.back() < reference.losses.front());  // it trained
    for (int threads : thread_counts) {
        CAPTURE(threads);
        const TrainingRun run = train_mnist_model(threads);
        REQUIRE(run.losses.size() == reference.losses.size());
        for (std::size_t epoch = 0; epoch < run.losses.size(); ++epoch) {
            CAPTURE(epoch);
            INFO("loss " << run.losses[epoch] << " vs " << reference.losses[epoch] << " on 1 thread");
            CHECK(same_bits(run.losses[epoch], reference.losses[epoch]));
        }
        CHECK(bitwise_equal(run.weights, reference.weights));
    }
}

TEST_CASE("the MNIST model in bf16: same seed, same losses and weights bit for bit on 1, 2 and 3 threads") {
    if (bf16_instruction_set() == Bf16InstructionSet::none) {
        MESSAGE("skipped: no bf16 kernel runs here (the CPU lacks AVX512_BF16, or SMALLNET_SIMD chose a set below avx512)");
        return;
    }
    const TrainingRun reference = train_mnist_model(1, Precision::bf16);
    REQUIRE(reference.losses.size() == 3);
    CHECK(reference.losses.back() < reference.losses.front());  // it trained
    CHECK_FALSE(bitwise_equal(reference.weights, train_mnist_model(1).weights));  // in bf16, not fp32
    for (int threads : {2, 3}) {
        CAPTURE(threads);
        const TrainingRun run = train_mnist_model(threads, Precision::bf16);
        REQUIRE(run.losses.size() == reference.losses.size());
        for (std::size_t epoch = 0; epoch < run.losses.size(); ++epoch) {
            CAPTURE(epoch);
            INFO("loss " << run.losses[epoch] << " vs " << reference.losses[epoch] << " on 1 thread");
            CHECK(same_bits(run.losses[epoch], reference.losses[epoch]));
        }
        CHECK(bitwise_equal(run.weights, reference.weights));
    }
}

TEST_CASE("ae2d: same seed, same weights file, losses and points on 1, 2, 3 and 5 threads") {
    const auto scratch = scratch_folder("ae2d_determinism");
    const auto app = app_path("AE2D", "ae2d");
    std::string reference_weights, reference_losses, reference_points;
    for (int threads : thread_counts) {
        CAPTURE(threads);
        const auto out = scratch / ("threads" + std::to_string(threads));
        // ae2d has no --threads flag; the library reads SMALLNET_NUM_THREADS at start-up.
        const AppRun run = run_app(app,
                                   "--out " + quoted(out.string()) + " --epochs 5 --seed 4 --nonlinear",
                                   scratch, {{"SMALLNET_NUM_THREADS", std::to_string(threads)}});
        INFO(run.err);
        REQUIRE(run.exit_code == 0);
        const std::string weights = read_text(out / "weights.safetensors");
        const std::string losses = without_last_column(read_text(out / "history.csv"));  // seconds vary
        const std::string points = read_text(out / "points.csv");
        REQUIRE(!weights.empty());
        if (threads == thread_counts.front()) {
            reference_weights = weights;
            reference_losses = losses;
            reference_points = points;
            continue;
        }
        CHECK(weights == reference_weights);
        CHECK(losses == reference_losses);
        CHECK(points == reference_points);
    }
    std::filesystem::remove_all(scratch);
}

}
