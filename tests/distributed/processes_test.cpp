// Data-parallel training on MPI processes (nn/distributed.hpp), run with mpirun on this machine:
// the same results bitwise at 1, 2 and 3 processes, the apps on two processes as on one, and a
// process that fails ending the whole job with its message. meson registers this suite only in a
// build with MPI and an mpirun (it says so when it does not).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/apps/run_app.hpp"
#include "tests/reliability/tiny_mnist.hpp"
#include "tests/support.hpp"

using namespace smallnet::testing;

namespace {

std::string environment(const char* name) {
    const char* value = std::getenv(name);
    REQUIRE_MESSAGE((value != nullptr && *value != '\0'), name << " is not set: run this suite through meson test");
    return value;
}

// `mpirun -np <processes> <program arguments>`, as root too, on more processes than cores.
AppRun mpirun(int processes, const std::string& program_and_arguments, const std::filesystem::path& scratch) {
    return run_app(environment("MPIRUN"),
                   "--allow-run-as-root --oversubscribe -np " + std::to_string(processes) + " " + program_and_arguments,
                   scratch);
}

std::string fit_on_processes() { return quoted(environment("FIT_ON_PROCESSES")); }

// What fit_on_processes wrote with `processes` processes and `blocks` row blocks.
std::string fit_results(int processes, int blocks, const std::filesystem::path& scratch) {
    const auto out = scratch / ("results_" + std::to_string(processes) + "_" + std::to_string(blocks) + ".txt");
    const AppRun run = mpirun(processes, fit_on_processes() + " " + quoted(out.string()) + " " + std::to_string(blocks), scratch);
    INFO("stderr: " << run.err);
    REQUIRE(run.exit_code == 0);
    REQUIRE(std::filesystem::exists(out));
    return read_text(out);
}

}  // namespace

TEST_SUITE("distributed.processes") {

TEST_CASE("1, 2 and 3 processes give bitwise the same weights, history, evaluation and predictions") {
    const auto scratch = scratch_folder("distributed_same");
    // Six blocks: one process computes all six, two three each, three two each.
    const std::string one = fit_results(1, 6, scratch);
    CHECK(one.find("w ") != std::string::npos);
    CHECK(one.find("val_binary_accuracy") != std::string::npos);
    CHECK(fit_results(2, 6, scratch) == one);
    CHECK(fit_results(3, 6, scratch) == one);
    // An uneven split, blocks 0 | 1 | 2 and 3, against one process.
    CHECK(fit_results(3, 4, scratch) == fit_results(1, 4, scratch));
    // Two runs on two processes with one seed.
    CHECK(fit_results(2, 2, scratch) == fit_results(2, 2, scratch));
    // And the block count matters (it is part of the promise, not a no-op).
    CHECK(fit_results(2, 2, scratch) != one);
    std::filesystem::remove_all(scratch);
}

TEST_CASE("ae_mnist on two processes writes, from process 0 only, what it writes on one") {
    const auto scratch = scratch_folder("distributed_app");
    write_tiny_mnist(scratch / "data", 600, 100);
    const std::string app = quoted(environment("AE_MNIST"));
    const std::string flags = " --data " + quoted((scratch / "data").string()) + " --epochs 2 --seed 4 --out ";
    // One process on two threads, and two processes on one thread each: two row blocks both times.
    const AppRun one = run_app(environment("AE_MNIST"), "--threads 2" + flags + quoted((scratch / "one").string()), scratch);
    INFO("one process: " << one.err);
    REQUIRE(one.exit_code == 0);
    const AppRun two = mpirun(2, app + flags + quoted((scratch / "two").string()), scratch);
    INFO("two processes: " << two.err);
    REQUIRE(two.exit_code == 0);
    CHECK(read_text(scratch / "two" / "weights.safetensors") == read_text(scratch / "one" / "weights.safetensors"));
    CHECK(without_last_column(read_text(scratch / "two" / "history.csv")) ==
          without_last_column(read_text(scratch / "one" / "history.csv")));
    // Process 0 showed the progress (on the standard error, as Keras) once, and printed the summary
    // once; no staging folder of another process is left in the output folder.
    CHECK(two.err.find("Epoch 2/2") != std::string::npos);
    CHECK(two.err.find("Epoch 2/2") == two.err.rfind("Epoch 2/2"));
    CHECK(two.out.find("Total params") != std::string::npos);
    CHECK(two.out.find("Total params") == two.out.rfind("Total params"));
    for (const auto& entry : std::filesystem::directory_iterator(scratch / "two"))
        CHECK_MESSAGE(entry.path().filename().string().rfind(".smallnet-staging", 0) != 0, entry.path());
    std::filesystem::remove_all(scratch);
}

TEST_CASE("a stop request (SIGTERM to mpirun) stops every process at the same step; process 0 writes what was trained") {
    const auto scratch = scratch_folder("distributed_stop");
    write_tiny_mnist(scratch / "data", 6000, 100);
    const std::string job = quoted(environment("MPIRUN")) + " --allow-run-as-root --oversubscribe -np 2 " +
                            quoted(environment("AE_MNIST")) + " --data " + quoted((scratch / "data").string()) +
                            " --epochs 100000 --out " + quoted((scratch / "out").string());
    // mpirun passes SIGTERM on to every process; fit stops at the first step after any was asked.
    const AppRun run = run_app("/bin/bash", "-c " + quoted(job + " & job=$!; sleep 4; kill -TERM $job; wait $job"), scratch);
    CHECK(run.exit_code != 0);
    const std::string first = "ae_mnist: interrupted (SIGTERM) at ";
    const std::string second = "ae_mnist (process 1 of 2): interrupted (SIGTERM) at ";
    const auto where = [&](const std::string& prefix) {
        const std::size_t at = run.err.find(prefix);
        return at == std::string::npos ? std::string("(not found)") : run.err.substr(at + prefix.size(), run.err.find('\n', at) - at - prefix.size());
    };
    INFO("stderr: " << run.err);
    CHECK(where(first) != "(not found)");
    CHECK(where(first) == where(second));
    CHECK(std::filesystem::exists(scratch / "out" / "weights.safetensors"));
    CHECK(std::filesystem::exists(scratch / "out" / "history.csv"));
    std::filesystem::remove_all(scratch);
}

TEST_CASE("a process that fails ends the whole job at once, with its message and a non-zero exit") {
    const auto scratch = scratch_folder("distributed_failure");
    const auto started = std::chrono::steady_clock::now();
    const auto out = scratch / "never.txt";
    const AppRun failed = mpirun(2, fit_on_processes() + " " + quoted(out.string()) + " 2 fail 1", scratch);
    CHECK(failed.exit_code != 0);
    CHECK(failed.err.find("fit_on_processes (process 1 of 2): error: process 1 cannot read its data (on purpose)") !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));

    // A bad data path given to one process of ae_mnist (mpirun's "a : b" form runs different flags).
    write_tiny_mnist(scratch / "data", 300, 50);
    const std::string app = quoted(environment("AE_MNIST"));
    const AppRun bad_path =
        mpirun(1, app + " --data " + quoted((scratch / "data").string()) + " --epochs 1 --out " + quoted((scratch / "o").string()) +
                      " : -np 1 " + app + " --data " + quoted((scratch / "missing").string()) + " --epochs 1 --out " +
                      quoted((scratch / "o").string()),
               scratch);
    CHECK(bad_path.exit_code != 0);
    CHECK(bad_path.err.find("(process 1 of 2): error: " + (scratch / "missing").string()) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(scratch / "o" / "weights.safetensors"));

    // A loss that overflows: every process sees it at the same step and stops with the same message.
    const AppRun overflow = mpirun(2, fit_on_processes() + " " + quoted(out.string()) + " 2 nan", scratch);
    CHECK(overflow.exit_code != 0);
    CHECK(overflow.err.find("fit_on_processes: error: fit: the loss became") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK_MESSAGE(seconds < 60.0, "the three failing jobs took " << seconds << " s");
    std::filesystem::remove_all(scratch);
}

}
