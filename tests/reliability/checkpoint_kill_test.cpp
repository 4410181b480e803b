// Crash-safe checkpoints (issue 6): ae_mnist --checkpoint saves the weights after every epoch; the
// test kills it with SIGKILL at random moments while it trains and checkpoints, over and over, and
// after every kill the checkpoint on disk must load into the model, and at most the killed run's
// own temporary file may be left (the next writer removes it).
//
// SMALLNET_CHECKPOINT_KILLS sets the number of kills (default 100, a few seconds).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "nn/nn.hpp"
#include "tensor/random.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/reliability/tiny_mnist.hpp"

extern char** environ;

using namespace smallnet;
using namespace smallnet::testing;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int default_kills = 100;
// The longest wait for a started run to write its first checkpoint (start-up, loading, first epoch).
constexpr auto start_limit = std::chrono::seconds(30);
// A run writes a checkpoint every few milliseconds (measured: 50 epochs of 64 images with a 0.84 MB
// checkpoint take 0.3 s); kills fall anywhere in the next 20 ms, so in the middle of writes too.
constexpr double longest_delay_ms = 20.0;

int kills_wanted() {
    const char* text = std::getenv("SMALLNET_CHECKPOINT_KILLS");
    return text && std::atoi(text) > 0 ? std::atoi(text) : default_kills;
}

// What changes each time the checkpoint is written: the inode when a finished file is renamed over
// it, the modification time when a (broken) writer rewrites it in place. The file system may hand an
// old inode out again later, so only a change right after a start is telling. Zeros when absent.
struct Stamp {
    ino_t inode = 0;
    std::int64_t modified_ns = 0;
    bool operator==(const Stamp&) const = default;
};

Stamp stamp_of(const std::filesystem::path& path) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) return {};
    return {status.st_ino, std::int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec};
}

pid_t spawn(const std::vector<std::string>& arguments) {
    std::vector<char*> argv;
    for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(error == 0, "cannot start " << arguments[0] << ": " << std::strerror(error));
    return pid;
}

// The files "<checkpoint>.tmp.*" in the folder: writes that were cut short.
int temporary_files(const std::filesystem::path& checkpoint) {
    const std::string prefix = checkpoint.filename().string() + ".tmp.";
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(checkpoint.parent_path()))
        count += entry.path().filename().string().rfind(prefix, 0) == 0;
    return count;
}

// ae_mnist's model with --bottleneck 8, built, to load checkpoints into.
Sequential ae_mnist_model() {
    Sequential encoder({Input(784), Dense(128, "relu"), Dense(8, "relu")}, "encoder");
    Sequential decoder({Dense(128, "relu"), Dense(784, "sigmoid")}, "decoder");
    Sequential model({encoder, decoder}, "autoencoder");
    model.build(784);
    return model;
}

// Empty when the checkpoint loads and holds finite weights; otherwise why not.
std::string check_checkpoint(Sequential& model, const std::filesystem::path& checkpoint) {
    try {
        model.load_weights(checkpoint);
    } catch (const std::exception& e) {
        return e.what();
    }
    for (float value : model.weights().values())
        if (!std::isfinite(value)) return "a weight is not finite";
    return "";
}

}  // namespace

TEST_SUITE("reliability.checkpoint_kill") {

TEST_CASE("SIGKILL during checkpointing never leaves a checkpoint that does not load") {
    const auto scratch = scratch_folder("checkpoint_kill");
    write_tiny_mnist(scratch / "data", 64, 16);
    const auto checkpoint = scratch / "checkpoints" / "weights.safetensors";
    const std::string app = app_path("AE_MNIST", "ae_mnist").string();
    REQUIRE(std::filesystem::exists(app));

    Sequential model = ae_mnist_model();
    Generator delays(2024);
    const int wanted = kills_wanted();
    int kills = 0, corrupt = 0, mid_write = 0, most_temporaries = 0;
    for (int run = 0; run < wanted; ++run) {
        CAPTURE(run);
        const Stamp before = stamp_of(checkpoint);
        const pid_t pid = spawn({app, "--data", (scratch / "data").string(), "--epochs", "100000", "--batch-size", "32",
                                 "--bottleneck", "8", "--threads", "1", "--seed", std::to_string(run + 1), "--checkpoint",
                                 checkpoint.string(), "--out", (scratch / "out").string()});
        // Wait for this run's first checkpoint, so the kill lands while it trains and checkpoints.
        const auto started = Clock::now();
        int status = 0;
        bool exited = false, checkpointed = false;
        while (!exited && !checkpointed && Clock::now() - started < start_limit) {
            exited = ::waitpid(pid, &status, WNOHANG) == pid;
            checkpointed = !(stamp_of(checkpoint) == before);
            if (!checkpointed) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (!exited) {
            std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(delays.uniform() * longest_delay_ms));
            ::kill(pid, SIGKILL);
            REQUIRE(::waitpid(pid, &status, 0) == pid);
        }
        REQUIRE_MESSAGE(WIFSIGNALED(status), "the run ended by itself (exit " << WEXITSTATUS(status) << ")");
        REQUIRE(WTERMSIG(status) == SIGKILL);
        REQUIRE_MESSAGE(checkpointed, "no checkpoint within " << start_limit.count() << " s");
        ++kills;

        const int temporaries = temporary_files(checkpoint);
        mid_write += temporaries > 0;
        most_temporaries = std::max(most_temporaries, temporaries);
        const std::string problem = check_checkpoint(model, checkpoint);
        CHECK_MESSAGE(problem.empty(), "after kill " << kills << ": " << problem);
        corrupt += !problem.empty();
    }
    // Each run removes the files of the runs killed before it, so only the last one's can be left; the
    // next write (here the test's own) removes that one too.
    CHECK(most_temporaries <= 1);
    model.save_weights(checkpoint);
    CHECK(temporary_files(checkpoint) == 0);
    MESSAGE(kills << " kills, " << mid_write << " of them in the middle of a checkpoint write (a temporary file left), "
                  << corrupt << " checkpoints that did not load, at most " << most_temporaries
                  << " temporary file at a time");
    CHECK(corrupt == 0);
    std::filesystem::remove_all(scratch);
}

}
