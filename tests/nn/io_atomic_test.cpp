#include <stdexcept>
#include <sys/stat.h>

#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"
#include "tests/nn/io_support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

std::span<const std::byte> bytes_of(const std::string& text) { return std::as_bytes(std::span(text)); }

std::string text_of(const std::vector<std::byte>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

TEST_SUITE("nn.io_atomic") {

TEST_CASE("a new file gets the bytes and no temporary file is left") {
    TemporaryFolder folder;
    write_file_atomically(folder / "f.bin", bytes_of("hello"));
    CHECK(read_raw(folder / "f.bin") == "hello");
    CHECK(folder.names() == std::vector<std::string>{"f.bin"});
}

TEST_CASE("writing over a file replaces it fully, shorter or longer") {
    TemporaryFolder folder;
    const auto path = folder / "f.bin";
    write_raw(path, std::string(10000, 'o'));
    write_file_atomically(path, bytes_of("new"));
    CHECK(read_raw(path) == "new");
    const std::string longer(3'000'000, 'n');  // larger than the writer's buffer
    write_file_atomically(path, bytes_of(longer));
    CHECK(read_raw(path) == longer);
    CHECK(folder.names() == std::vector<std::string>{"f.bin"});
}

TEST_CASE("a streaming write sees small and large pieces in order") {
    TemporaryFolder folder;
    const auto path = folder / "s.bin";
    const std::string big(2'500'000, 'b');
    write_file_atomically(path, [&](FileWriter& out) {
        out.write("head,");
        out.write(bytes_of(big));
        out.write(",tail");
        CHECK(out.bytes_written() == 5 + big.size() + 5);
    });
    CHECK(read_raw(path) == "head," + big + ",tail");
}

TEST_CASE("when the producer fails, the old file survives and the temporary file is removed") {
    TemporaryFolder folder;
    const auto path = folder / "ckpt.safetensors";
    write_raw(path, "old contents");
    CHECK_THROWS_WITH_AS(write_file_atomically(path,
                                               [](FileWriter& out) {
                                                   out.write(std::string(3'000'000, 'x'));
                                                   throw std::runtime_error("disk full in the middle");
                                               }),
                         "disk full in the middle", std::runtime_error);
    CHECK(read_raw(path) == "old contents");
    CHECK(folder.names() == std::vector<std::string>{"ckpt.safetensors"});
}

TEST_CASE("temporary files of killed writers are removed by the next write; those of live ones are kept") {
    TemporaryFolder folder;
    const auto path = folder / "ckpt.safetensors";
    // 999999999 is above any pid_max, so no process has it; pid 1 always runs.
    const std::vector<std::string> dead = {"ckpt.safetensors.tmp.999999999.0", "ckpt.safetensors.tmp.999999998.17"};
    const std::vector<std::string> kept = {"ckpt.safetensors.tmp.1.0",         // a live process's write in progress
                                           "other.bin.tmp.999999999.0",        // another file's
                                           "ckpt.safetensors.tmp.12x.0",       // not a pid
                                           "ckpt.safetensors.tmp.999999999",   // not the writer's pattern
                                           "ckpt.safetensors.tmp.1234567890.0"};  // more digits than a pid
    for (const auto& name : dead) write_raw(folder / name, "torn");
    for (const auto& name : kept) write_raw(folder / name, "keep");
    write_file_atomically(path, bytes_of("new"));
    std::vector<std::string> expected = kept;
    expected.push_back("ckpt.safetensors");
    std::sort(expected.begin(), expected.end());
    CHECK(folder.names() == expected);
}

TEST_CASE("a missing folder, or a folder in the target's place, is a clear error") {
    TemporaryFolder folder;
    const auto missing = folder / "nope" / "f.bin";
    CHECK(file_error_of([&] { write_file_atomically(missing, bytes_of("x")); }) ==
          missing.string() + ": cannot write: the folder " + (folder / "nope").string() + " does not exist");
    std::filesystem::create_directory(folder / "sub");
    CHECK(file_error_of([&] { write_file_atomically(folder / "sub", bytes_of("x")); }) ==
          (folder / "sub").string() + ": cannot write: a folder of that name exists");
    CHECK(folder.names() == std::vector<std::string>{"sub"});
}

TEST_CASE("a file that existed keeps its permission bits") {
    TemporaryFolder folder;
    const auto path = folder / "private.bin";
    write_raw(path, "old");
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    write_file_atomically(path, bytes_of("new"));
    CHECK(std::filesystem::status(path).permissions() ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("a relative path writes into the current folder") {
    TemporaryFolder folder;
    const auto saved = std::filesystem::current_path();
    std::filesystem::current_path(folder.path());
    write_file_atomically("relative.txt", bytes_of("here"));
    std::filesystem::current_path(saved);
    CHECK(read_raw(folder / "relative.txt") == "here");
}

TEST_CASE("read_file: contents, empty devices, and clear errors") {
    TemporaryFolder folder;
    write_raw(folder / "a.txt", "abc");
    CHECK(text_of(read_file(folder / "a.txt")) == "abc");
    write_raw(folder / "empty", "");
    CHECK(read_file(folder / "empty").empty());
    CHECK(read_file("/dev/null").empty());
    const std::string big(1'000'003, 'q');
    write_raw(folder / "big", big);
    CHECK(text_of(read_file(folder / "big")) == big);
    CHECK(file_error_of([&] { read_file(folder / "missing"); }) ==
          (folder / "missing").string() + ": cannot open for reading: No such file or directory");
    CHECK(file_error_of([&] { read_file(folder.path()); }) == folder.path().string() + ": is a folder, not a file");
    CHECK(file_error_of([&] { read_file(folder / "a.txt" / "x"); }) ==
          (folder / "a.txt" / "x").string() + ": cannot open for reading: Not a directory");
}

}  // TEST_SUITE
