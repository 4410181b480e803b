// A stop request (what Ctrl-C makes) ends fit at the end of a step with the place it stopped, keeps
// what was trained, and lets ModelCheckpoint save it; the pending-removal list removes what it holds.
#include <atomic>
#include <csignal>
#include <thread>

#include "nn/interrupt.hpp"
#include "nn/io/pending_removal.hpp"
#include "nn/io/safetensors.hpp"
#include "nn/nn.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

Tensor points(std::int64_t rows) {
    Generator g(3);
    Tensor x(Shape{rows, 4});
    g.fill_normal(x.data(), x.numel(), 0.0f, 1.0f);
    return x;
}

Sequential small_model() {
    Sequential model({Input(4), Dense(3, "relu"), Dense(4)}, "small");
    model.compile(Adam(), "mse");
    return model;
}

// Asks for a stop from another thread once training has begun, as a signal handler would.
class StopFromAnotherThread : public Callback {
public:
    void on_train_begin(Sequential&) override {
        thread_ = std::thread([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            request_stop(SIGINT);
        });
    }
    bool on_epoch_end(const EpochLogs&, Sequential&) override { return true; }
    void on_train_end(Sequential&, History&) override {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::thread thread_;
};

struct ClearStopAfter {
    ~ClearStopAfter() { clear_stop_request(); }
};

}  // namespace

TEST_SUITE("nn.interrupt") {

TEST_CASE("a stop asked for before fit trains nothing and says so") {
    ClearStopAfter clear;
    Sequential model = small_model();
    const Tensor x = points(64);
    request_stop(SIGTERM);
    const History history = model.fit(x, x, {.epochs = 3, .batch_size = 8, .verbose = 0});
    REQUIRE(history.interrupted);
    CHECK(history.interrupted->epoch == 1);
    CHECK(history.interrupted->step == 0);
    CHECK(history.interrupted->steps == 8);
    CHECK(history.steps_trained == 0);
    CHECK(history.epochs.empty());
    CHECK(stop_signal() == SIGTERM);
    CHECK_THROWS_AS(throw_if_stop_requested("after loading the data"), Interrupted);
}

TEST_CASE("a stop during fit ends it after a whole step; the finished epochs are in the history") {
    ClearStopAfter clear;
    Sequential model = small_model();
    const Tensor x = points(20'000);
    TemporaryFolder folder;
    const History history = model.fit(
        x, x, {.epochs = 1000, .batch_size = 4, .callbacks = {StopFromAnotherThread(), ModelCheckpoint(folder / "checkpoint")},
               .verbose = 0});
    REQUIRE(history.interrupted);
    const StopPoint stop = *history.interrupted;
    CHECK(stop.steps == 5000);
    CHECK(stop.epoch < 1000);
    CHECK(history.epochs.size() == static_cast<std::size_t>(stop.epoch - 1));
    CHECK(history.steps_trained == static_cast<std::int64_t>(stop.epoch - 1) * 5000 + stop.step);
    CHECK(stop.describe() == "at epoch " + std::to_string(stop.epoch) + ", step " + std::to_string(stop.step) + " of 5000");
    // The checkpoint holds the weights as they were when fit stopped.
    Sequential loaded = small_model();
    loaded.build(4);
    loaded.load_weights(folder / "checkpoint");
    CHECK(loaded.predict(x.rows(0, 5)).values()[0] == model.predict(x.rows(0, 5)).values()[0]);
    CHECK(folder.names() == std::vector<std::string>{"checkpoint"});
    Interrupted interrupted(SIGINT, "at epoch 2, step 3 of 4");
    CHECK(interrupted.exit_code() == 130);
    CHECK(std::string(interrupted.what()) == "interrupted (SIGINT) at epoch 2, step 3 of 4");
    CHECK(Interrupted(SIGTERM, "x").exit_code() == 143);
}

TEST_CASE("remove_pending_paths_now removes registered files, then the folders left empty") {
    TemporaryFolder folder;
    std::filesystem::create_directories(folder / "made" / "inner");
    write_raw(folder / "made" / "inner" / "staged", "x");
    write_raw(folder / "made" / "kept", "y");  // not registered: its folder stays
    write_raw(folder / "temporary", "z");
    PendingRemoval made(folder / "made"), inner(folder / "made" / "inner"), staged(folder / "made" / "inner" / "staged"),
        temporary(folder / "temporary");
    PendingRemoval released(folder / "made" / "kept");
    released.release();
    CHECK(made.registered());
    remove_pending_paths_now();
    CHECK_FALSE(std::filesystem::exists(folder / "temporary"));
    CHECK_FALSE(std::filesystem::exists(folder / "made" / "inner"));
    CHECK(std::filesystem::exists(folder / "made" / "kept"));
}

}
