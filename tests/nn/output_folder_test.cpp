// OutputFolder: a run's outputs go in place together; a failed run leaves the previous set whole and
// creates nothing it leaves behind; a stopped run keeps what it staged.
#include <csignal>

#include "nn/interrupt.hpp"
#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/output_folder.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
    write_file_atomically(path, std::as_bytes(std::span(text)));
}

}  // namespace

TEST_SUITE("nn.output_folder") {

TEST_CASE("outputs are staged and put in place by commit; the staging folder goes") {
    TemporaryFolder folder;
    const std::filesystem::path out = folder / "a" / "b";
    {
        OutputFolder outputs(out, {"one.txt", "two.txt"});
        CHECK_FALSE(std::filesystem::exists(folder / "a"));  // nothing before the first output
        write_text(outputs.file("one.txt"), "1");
        write_text(outputs.file("two.txt"), "2");
        CHECK_FALSE(std::filesystem::exists(out / "one.txt"));
        outputs.commit();
        CHECK(outputs.files() == std::vector<std::string>{"one.txt", "two.txt"});
    }
    CHECK(read_raw(out / "one.txt") == "1");
    CHECK(read_raw(out / "two.txt") == "2");
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(out)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"one.txt", "two.txt"});
}

TEST_CASE("a run that fails leaves the previous files whole, removes its own and the folders it made") {
    TemporaryFolder folder;
    write_text(folder / "one.txt", "old 1");
    write_text(folder / "two.txt", "old 2");
    try {
        OutputFolder outputs(folder.path(), {"one.txt", "two.txt"});
        write_text(outputs.file("one.txt"), "new 1");
        throw std::runtime_error("the disk is full");
    } catch (const std::runtime_error&) {
    }
    CHECK(read_raw(folder / "one.txt") == "old 1");
    CHECK(read_raw(folder / "two.txt") == "old 2");
    CHECK(folder.names() == std::vector<std::string>{"one.txt", "two.txt"});

    try {
        OutputFolder outputs(folder / "new" / "deeper");
        write_text(outputs.file("one.txt"), "new");
        throw std::runtime_error("failed");
    } catch (const std::runtime_error&) {
    }
    CHECK_FALSE(std::filesystem::exists(folder / "new"));
}

TEST_CASE("a stopped run puts what it staged in place") {
    TemporaryFolder folder;
    write_text(folder / "picture.png", "old picture");
    try {
        OutputFolder outputs(folder.path());
        write_text(outputs.file("weights"), "trained");
        request_stop(SIGINT);
        throw Interrupted(SIGINT, "at epoch 1, step 2 of 3");
    } catch (const Interrupted&) {
    }
    clear_stop_request();
    CHECK(read_raw(folder / "weights") == "trained");
    CHECK(read_raw(folder / "picture.png") == "old picture");
    CHECK(folder.names() == std::vector<std::string>{"picture.png", "weights"});
}

TEST_CASE("a folder that cannot be written is refused before any work; stale staging folders go") {
    TemporaryFolder folder;
    write_text(folder / "file", "x");
    CHECK(file_error_of([&] { OutputFolder outputs(folder / "file"); }).find("cannot be the output folder: a file of that name is in the way") != std::string::npos);
    CHECK(file_error_of([&] { OutputFolder outputs(folder / "file" / "below"); }).find("cannot create the output folder: Not a directory") != std::string::npos);
    if (::geteuid() != 0) {  // root writes anywhere
        std::filesystem::create_directories(folder / "locked");
        std::filesystem::permissions(folder / "locked", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
        CHECK(file_error_of([&] { OutputFolder outputs(folder / "locked" / "out"); }).find("Permission denied") != std::string::npos);
        std::filesystem::permissions(folder / "locked", std::filesystem::perms::owner_all);
    }
    // A process that no longer exists (pid 2^22 + 1 is above Linux's pid_max default) left its staging.
    std::filesystem::create_directories(folder / "out" / ".smallnet-staging.4194305");
    write_text(folder / "out" / ".smallnet-staging.4194305" / "weights", "half");
    OutputFolder outputs(folder / "out");
    write_text(outputs.file("weights"), "whole");
    outputs.commit();
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(folder / "out")) names.push_back(entry.path().filename().string());
    CHECK(names == std::vector<std::string>{"weights"});
}

}
