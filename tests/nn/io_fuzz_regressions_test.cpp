// What the fuzz targets (tests/fuzz) found, as plain tests with the input bytes, plus a replay of their
// seed corpora: every file there is read or refused with a FileError in every build, not only in the
// clang fuzz build.

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"
#include "nn/io/code_file.hpp"
#include "nn/io/idx.hpp"
#include "nn/io/safetensors.hpp"
#include "tensor/shape.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

std::filesystem::path corpus_folder(const std::string& target) {
    const char* root = std::getenv("SMALLNET_FUZZ_CORPUS");  // set by tests/meson.build
    REQUIRE_MESSAGE((root && *root), "SMALLNET_FUZZ_CORPUS is not set; run the suite through meson test");
    const std::filesystem::path folder = std::filesystem::path(root) / target;
    REQUIRE_MESSAGE(std::filesystem::is_directory(folder), "no seed corpus at " << folder);
    return folder;
}

// Reads every file of a seed corpus; the count of files each way, so a corpus that silently lost its
// valid or its invalid half fails.
template <class Read>
std::pair<int, int> replay(const std::string& target, Read&& read) {
    int accepted = 0, refused = 0;
    for (const auto& entry : std::filesystem::directory_iterator(corpus_folder(target))) {
        CAPTURE(entry.path());
        const std::string error = file_error_of([&] { read(entry.path()); });
        if (error == "no exception") {
            ++accepted;
        } else {
            CHECK_MESSAGE(error.rfind("not a FileError", 0) != 0, error);
            ++refused;
        }
    }
    return {accepted, refused};
}

}  // namespace

TEST_SUITE("nn.io_fuzz_regressions") {

TEST_CASE("safetensors: a shape of [2^40, 2^40, 0] is refused, not an overflow of its strides") {
    // With a 0 in the shape it holds no bytes, so data_offsets [0, 0] fit; the product of the other
    // dimensions (2^80) overflowed Shape::numel (UBSan: signed integer overflow).
    TemporaryFolder folder;
    const std::string header =
        R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}})";
    write_raw(folder / "overflow.safetensors", le64(header.size()) + header);
    const std::string error = file_error_of([&] { read_safetensors(folder / "overflow.safetensors"); });
    CHECK(error.find("overflow.safetensors") != std::string::npos);
    CHECK(error.find("tensor \"w\"") != std::string::npos);
    CHECK(error.find("holds more bytes than 2^64") != std::string::npos);

    // An empty tensor whose other dimensions are reasonable is still fine.
    const std::string fine = R"({"w":{"dtype":"F32","shape":[1048576,0,3],"data_offsets":[0,0]}})";
    write_raw(folder / "empty.safetensors", le64(fine.size()) + fine);
    const NamedTensors tensors = load_safetensors(folder / "empty.safetensors");
    REQUIRE(tensors.size() == 1);
    CHECK(tensors[0].second.numel() == 0);
}

TEST_CASE("safetensors: a number too large for a double in the header is a FileError, not an escaped json error") {
    // The input libFuzzer found in CI (safetensors_fuzz, 60 s run): nlohmann's parser throws
    // out_of_range 406 for 109951162E776, which the reader did not turn into a FileError.
    TemporaryFolder folder;
    const std::string header = R"({"w":{"dtype":"F32","shape":[109951162E776,1049755813888.0],"data_ow":{"dty[0,0]}})";
    REQUIRE(header.size() == 82);
    write_raw(folder / "big_number.safetensors", le64(header.size()) + header);
    const std::string error = file_error_of([&] { read_safetensors(folder / "big_number.safetensors"); });
    CHECK(error.find("big_number.safetensors: offset 8: malformed JSON header") != std::string::npos);
    CHECK(error.find("number overflow") != std::string::npos);
}

TEST_CASE("Shape refuses dimensions whose product does not fit in 64 bits, even beside a 0") {
    const std::int64_t big = std::int64_t{1} << 40;
    CHECK_THROWS_AS(Shape({big, big, 0}), std::invalid_argument);
    CHECK_THROWS_AS(Shape({big, big}), std::invalid_argument);
    CHECK(Shape({big, 0, 1 << 20}).numel() == 0);
    CHECK(Shape({big, 1 << 22}).numel() == big << 22);
}

TEST_CASE("every IDX seed file is read or refused with a FileError") {
    const auto [accepted, refused] = replay("idx_fuzz", [](const std::filesystem::path& path) { read_idx(path); });
    CHECK(accepted >= 5);
    CHECK(refused >= 10);
}

TEST_CASE("every safetensors seed file is read or refused with a FileError") {
    const auto [accepted, refused] =
        replay("safetensors_fuzz", [](const std::filesystem::path& path) { read_safetensors(path); });
    CHECK(accepted >= 4);
    CHECK(refused >= 10);
}

TEST_CASE("every code file seed is read or refused with a FileError") {
    const auto [accepted, refused] = replay("code_file_fuzz", [](const std::filesystem::path& path) { read_code_file(path); });
    CHECK(accepted == 4);
    CHECK(refused == 13);
}

}
