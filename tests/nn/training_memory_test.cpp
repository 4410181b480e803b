// Training steps free what they allocate: after the first step (which creates the gradient buffers
// and the optimizer's moments) the number of live graph nodes and tensor buffers stays the same for
// hundreds of steps, and a graph that is never back-propagated is freed when its last Var goes. In
// the sanitizer build LeakSanitizer also checks, at exit, that nothing was lost outright.

#include <algorithm>

#include "tests/support.hpp"
#include "autograd/ops/losses.hpp"
#include "nn/nn.hpp"
#include "tensor/storage.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

// The seed's MNIST autoencoder, narrower (64 inputs) so hundreds of steps stay quick under ASan.
Sequential small_mnist_like_model() {
    Sequential encoder({Input(64), Dense(32, "relu"), Dense(8, "relu")}, "encoder");
    Sequential decoder({Dense(32, "relu"), Dense(64, "sigmoid")}, "decoder");
    return Sequential({encoder, decoder}, "autoencoder");
}

struct LiveCounts {
    std::int64_t nodes = live_node_count();
    std::int64_t storages = live_storage_count();
};

}  // namespace

TEST_SUITE("nn.training_memory") {

TEST_CASE("fit: live nodes and buffers after 400 more steps equal those after the first") {
    Precision precision = Precision::fp32;
    SUBCASE("fp32") {}
    // bf16 rounds the operands into per-thread panels that grow once and are reused, as fp32's.
    SUBCASE("bf16") {
        if (bf16_instruction_set() == Bf16InstructionSet::none) return;
        precision = Precision::bf16;
    }
    Sequential model = small_mnist_like_model();
    model.compile(Adam(), "mse", {.precision = precision});
    const Tensor x = random_tensor(Shape{128, 64}, 5, 0.0f, 1.0f);

    model.fit(x, x, {.epochs = 1, .batch_size = 32, .verbose = 0, .seed = 1});
    const LiveCounts after_first_fit;
    model.fit(x, x, {.epochs = 100, .batch_size = 32, .verbose = 0, .seed = 2});  // 400 steps
    const LiveCounts after_many;
    CHECK(after_many.nodes == after_first_fit.nodes);
    CHECK(after_many.storages == after_first_fit.storages);
    // Between fits no graph is alive: only the parameters' leaves (2 per Dense).
    CHECK(after_many.nodes == 8);
}

TEST_CASE("fit of a conv autoencoder: nodes, buffers and the buffer cache stay the same after the first epoch; fit frees the cache") {
    const Conv2DOptions same{.padding = Padding::same};
    Sequential model({Input({8, 8, 1}), Conv2D(8, 3, "relu", same), MaxPooling2D(2, {.padding = Padding::same}),
                      Conv2DTranspose(4, 3, "relu", {.strides = 2, .padding = Padding::same}), UpSampling2D(1),
                      Conv2D(1, 3, "sigmoid", same)});
    model.compile(Adam(), "bce");
    const Tensor x = random_tensor(Shape{64, 8, 8, 1}, 5, 0.0f, 1.0f);
    model.fit(x, x, {.epochs = 1, .batch_size = 16, .verbose = 0, .seed = 1});
    const LiveCounts after_first_fit;
    std::vector<std::size_t> cached_by_epoch;
    model.fit(x, x, {.epochs = 50, .batch_size = 16,  // 200 steps
                     .callbacks = {EpochHook([&](const EpochLogs&) { cached_by_epoch.push_back(storage_cache_bytes()); })},
                     .verbose = 0, .seed = 2});
    const LiveCounts after_many;
    CHECK(after_many.nodes == after_first_fit.nodes);
    CHECK(after_many.storages == after_first_fit.storages);
    CHECK(after_many.nodes == 6);  // kernel and bias of the three convolutions
    // Every step after the first epoch took its buffers from the cache, which fit empties at its end.
    CHECK(cached_by_epoch.front() > 0);
    CHECK(std::all_of(cached_by_epoch.begin(), cached_by_epoch.end(), [&](std::size_t b) { return b == cached_by_epoch.front(); }));
    CHECK(storage_cache_bytes() == 0);
}

TEST_CASE("forward and backward by hand: each step's graph is freed, with or without backward") {
    Sequential model = small_mnist_like_model();  // built: its encoder starts with Input
    const Tensor x = random_tensor(Shape{16, 64}, 6, 0.0f, 1.0f);
    const Var input(x);
    {
        Var loss = mean_squared_error(model(input, true), x);
        loss.backward();  // the first backward allocates the gradient buffers
    }
    const LiveCounts before;
    for (int step = 0; step < 300; ++step) {
        Var loss = mean_squared_error(model(input, true), x);
        if (step % 3 != 0) loss.backward();  // every third graph is dropped without backward
        CHECK(live_node_count() > before.nodes);  // the graph exists until `loss` goes
    }
    const LiveCounts after;
    CHECK(after.nodes == before.nodes);
    CHECK(after.storages == before.storages);
}

TEST_CASE("a graph 100,000 nodes deep is freed completely") {
    const LiveCounts before;
    {
        Var x(random_tensor(Shape{4}, 7), true);
        Var y = x;
        for (int i = 0; i < 100'000; ++i) y = y * 1.0f;
        CHECK(live_node_count() >= before.nodes + 100'000);
    }
    const LiveCounts after;
    CHECK(after.nodes == before.nodes);
    CHECK(after.storages == before.storages);
}

}
