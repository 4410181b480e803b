// SIGINT and SIGTERM at random moments of a run (loading, training, writing the outputs), once or
// twice: the app exits 130 or 143 (or was done before the signal came), leaves no temporary file or
// staging folder, and the weights it wrote load. SMALLNET_SIGNAL_RUNS sets the runs per signal and
// app (default 10; the bar, 100 of each, was measured with it).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "nn/io/safetensors.hpp"
#include "tensor/random.hpp"
#include "tests/apps/run_app.hpp"
#include "tests/reliability/tiny_mnist.hpp"
#include "tests/support.hpp"

extern char** environ;

using namespace smallnet;
using namespace smallnet::testing;

namespace {

int runs_per_signal() {
    const char* text = std::getenv("SMALLNET_SIGNAL_RUNS");
    return text && *text ? std::atoi(text) : 10;
}

struct Ended {
    int exit_code = -1;
    double seconds = 0.0;
};

// Starts `arguments` (stdout and stderr to files in `scratch`), sends `signal` after `delay` and, when
// `again` >= 0, once more `again` seconds later; waits for the end.
Ended run_and_signal(const std::filesystem::path& program, const std::vector<std::string>& arguments,
                     const std::filesystem::path& scratch, int signal, double delay, double again) {
    std::vector<std::string> all = {program.string()};
    all.insert(all.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, (scratch / "stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&files, 2, (scratch / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&files);
    int status = 0;
    // The delay counts from when the program has its handlers (run_program installs them, after the
    // program is loaded and its command line read): before that a signal's default action ends any
    // program, and nothing of it has been written yet.
    const std::string status_file = "/proc/" + std::to_string(pid) + "/status";
    for (bool caught = false; !caught;) {
        std::ifstream proc(status_file);
        std::string line;
        while (std::getline(proc, line))
            if (line.rfind("SigCgt:", 0) == 0) caught = (std::stoull(line.substr(7), nullptr, 16) >> (signal - 1)) & 1;
        if (!proc.is_open() || ::waitpid(pid, &status, WNOHANG) == pid) FAIL("the program ended before it caught " << signal);
        if (!caught) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    const auto caught_at = std::chrono::steady_clock::now();
    const auto wait_until = [&](double seconds) {  // true when the process ended first
        while (std::chrono::duration<double>(std::chrono::steady_clock::now() - caught_at).count() < seconds) {
            if (::waitpid(pid, &status, WNOHANG) == pid) return true;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return false;
    };
    bool ended = wait_until(delay);
    if (!ended) {
        ::kill(pid, signal);
        if (again >= 0 && !(ended = wait_until(delay + again))) ::kill(pid, signal);
    }
    if (!ended) REQUIRE(::waitpid(pid, &status, 0) == pid);
    Ended result;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - caught_at).count();
    // A program the signal killed (no handler) reads -1 here: it did not stop as asked.
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Every entry under `folder` that a run must not leave: temporary files and staging folders.
std::vector<std::string> leftovers(const std::filesystem::path& folder) {
    std::vector<std::string> found;
    if (!std::filesystem::exists(folder)) return found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name.find(".tmp.") != std::string::npos || name.find(".smallnet-") == 0) found.push_back(entry.path().string());
    }
    return found;
}

void check_signals(const std::filesystem::path& program, const std::vector<std::string>& arguments_without_out,
                   const std::string& name) {
    const auto scratch = scratch_folder("signals_" + name);
    const auto out = scratch / "out";
    std::vector<std::string> arguments = arguments_without_out;
    arguments.insert(arguments.end(), {"--out", out.string()});
    // How long a whole run takes once it has its handlers (the quickest of up to three), so that the signals
    // fall anywhere in it.
    Ended whole;
    whole.seconds = 1e9;
    for (int i = 0; i < std::min(3, runs_per_signal()); ++i) {
        const Ended one = run_and_signal(program, arguments, scratch, SIGINT, 1e9, -1);
        REQUIRE_MESSAGE(one.exit_code == 0, read_text(scratch / "stderr.txt"));
        whole.seconds = std::min(whole.seconds, one.seconds);
    }
    Generator random(7);
    int interrupted = 0, finished = 0, twice = 0;
    for (const int signal : {SIGINT, SIGTERM}) {
        for (int run = 0; run < runs_per_signal(); ++run) {
            std::filesystem::remove_all(out);
            const double delay = random.uniform() * whole.seconds;
            const double again = run % 4 == 3 ? random.uniform() * 0.05 : -1.0;  // a quarter get a second signal
            const Ended ended = run_and_signal(program, arguments, scratch, signal, delay, again);
            const std::string err = read_text(scratch / "stderr.txt");
            CAPTURE(signal);
            CAPTURE(delay);
            CAPTURE(again);
            CAPTURE(err);
            if (ended.exit_code == 0) {
                ++finished;  // done before the signal came
            } else {
                CHECK(ended.exit_code == 128 + signal);
                ++interrupted;
                twice += again >= 0;
            }
            CHECK(leftovers(scratch).empty());
            if (std::filesystem::exists(out / "weights.safetensors")) CHECK_NOTHROW(load_safetensors(out / "weights.safetensors"));
        }
    }
    MESSAGE(name << ": " << interrupted << " runs stopped by a signal (" << twice << " of them with a second one), "
                 << finished << " finished first; a whole run takes " << whole.seconds << " s");
    CHECK(interrupted >= runs_per_signal());  // most signals land during the run
    std::filesystem::remove_all(scratch);
}

}  // namespace

TEST_SUITE("reliability.signals") {

TEST_CASE("ae_mnist: SIGINT and SIGTERM at random moments leave no temporary file, exit 130/143, and the weights load") {
    const auto data = scratch_folder("signals_data");
    write_tiny_mnist(data, 2000, 200);
    check_signals(app_path("AE_MNIST", "ae_mnist"), {"--data", data.string(), "--epochs", "8", "--seed", "3"}, "ae_mnist");
    std::filesystem::remove_all(data);
}

TEST_CASE("ae2d: SIGINT and SIGTERM at random moments leave no temporary file, exit 130/143, and the weights load") {
    check_signals(app_path("AE2D", "ae2d"), {"-n", "5000", "--epochs", "20"}, "ae2d");
}

}
