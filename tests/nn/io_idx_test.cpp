#include <numeric>

#include "nn/io/atomic_file.hpp"
#include "nn/io/gzip.hpp"
#include "nn/io/idx.hpp"
#include "tests/nn/io_support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

std::vector<std::uint8_t> counting_bytes(std::size_t count) {
    std::vector<std::uint8_t> bytes(count);
    std::iota(bytes.begin(), bytes.end(), std::uint8_t{7});
    return bytes;
}

// An IDX file's bytes: the magic with `type` and the dims, then the payload.
std::string idx_file(std::uint8_t type, const std::vector<std::uint32_t>& dims, const std::string& payload) {
    std::string bytes = {'\0', '\0', static_cast<char>(type), static_cast<char>(dims.size())};
    for (std::uint32_t d : dims) bytes += be32(d);
    return bytes + payload;
}

void write_gzipped(const std::filesystem::path& path, const std::string& bytes) {
    write_file_atomically(path, [&](FileWriter& out) { write_gzip(out, {std::as_bytes(std::span(bytes))}); });
}

}  // namespace

TEST_SUITE("nn.io_idx") {

TEST_CASE("round trip, raw and gzip, 1 to 4 dimensions") {
    TemporaryFolder folder;
    const std::vector<std::vector<std::int64_t>> shapes = {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}};
    for (const auto& dims : shapes)
        for (bool gzip : {false, true}) {
            CAPTURE(dims.size());
            CAPTURE(gzip);
            std::size_t count = 1;
            for (std::int64_t d : dims) count *= static_cast<std::size_t>(d);
            const auto bytes = counting_bytes(count);
            const auto path = folder / "data";
            write_idx(path, dims, bytes, gzip);
            const std::string file = read_raw(path);
            CHECK((file.substr(0, 2) == "\x1f\x8b") == gzip);
            if (!gzip) CHECK(file.size() == 4 + 4 * dims.size() + count);
            const IdxArray read = read_idx(path);
            CHECK(read.dims == dims);
            CHECK(read.bytes == bytes);
        }
}

TEST_CASE("the header is big-endian, as in the MNIST files") {
    TemporaryFolder folder;
    const auto bytes = counting_bytes(300 * 2);
    write_idx(folder / "x", {300, 2}, bytes);
    CHECK(read_raw(folder / "x").substr(0, 12) == std::string("\0\0\x08\x02\0\0\x01\x2c\0\0\0\x02", 12));
}

TEST_CASE("gzip is recognised by its magic bytes, not by the name") {
    TemporaryFolder folder;
    const auto bytes = counting_bytes(6);
    write_idx(folder / "compressed-without-suffix", {2, 3}, bytes, true);
    write_idx(folder / "plain.gz", {2, 3}, bytes, false);
    CHECK(read_idx(folder / "compressed-without-suffix").bytes == bytes);
    CHECK(read_idx(folder / "plain.gz").bytes == bytes);
}

TEST_CASE("a large payload crosses the reader's growing pieces intact") {
    TemporaryFolder folder;
    const auto bytes = counting_bytes(40'000'000);
    write_idx(folder / "big.gz", {10'000, 4'000}, bytes, true);
    const IdxArray read = read_idx(folder / "big.gz");
    CHECK(read.bytes == bytes);
}

TEST_CASE("files that are not there or not files") {
    TemporaryFolder folder;
    const auto missing = folder / "missing-idx3-ubyte";
    CHECK(file_error_of([&] { read_idx(missing); }) ==
          missing.string() + ": cannot open for reading: No such file or directory");
    CHECK(file_error_of([&] { read_idx(folder.path()); }) == folder.path().string() + ": is a folder, not a file");
    CHECK(file_error_of([&] { read_idx("/dev/null"); }) == "/dev/null: empty file");
    write_raw(folder / "empty", "");
    CHECK(file_error_of([&] { read_idx(folder / "empty"); }) == (folder / "empty").string() + ": empty file");
}

TEST_CASE("header rejections, raw and inside gzip, with the offset and the reason") {
    struct Case {
        std::string name;
        std::string bytes;
        std::string message;  // after "<path>: "
    };
    const std::vector<Case> cases = {
        {"short header", std::string("\0\0\x08", 3), "offset 0: truncated: expected a 4-byte IDX header, found 3 bytes"},
        {"bad magic", "\x12\x34\x08\x01" + be32(1) + "x",
         "offset 0: not an IDX file: bytes 0-1 are 0x12 0x34, expected 0x00 0x00"},
        {"float32 type", idx_file(0x0D, {1}, "abcd"),
         "offset 2: element type 0x0D (float32) is not supported; only 0x08 (unsigned byte) is"},
        {"unknown type", idx_file(0x42, {1}, "a"),
         "offset 2: element type 0x42 (unknown) is not supported; only 0x08 (unsigned byte) is"},
        {"no dimensions", idx_file(0x08, {}, ""), "offset 3: 0 dimensions; expected 1 to 4"},
        {"five dimensions", idx_file(0x08, {1, 1, 1, 1, 1}, "a"), "offset 3: 5 dimensions; expected 1 to 4"},
        {"short dimensions", std::string("\0\0\x08\x03", 4) + be32(10) + std::string(2, '\0'),
         "offset 4: truncated: expected 12 bytes of dimensions, found 6"},
        {"zero dimension", idx_file(0x08, {2, 0, 3}, ""), "offset 8: dimension 1 is 0"},
        {"too many elements", idx_file(0x08, {65536, 65536, 2}, ""),
         "offset 4: dimensions [65536, 65536, 2] hold more than 4294967296 elements, the limit"},
        // The product would wrap around 2^64 in unchecked arithmetic; the limit stops it first.
        {"product overflow", idx_file(0x08, {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, ""),
         "offset 4: dimensions [4294967295, 4294967295]... hold more than 4294967296 elements, the limit"},
        {"truncated payload", idx_file(0x08, {10, 28, 28}, std::string(1200, 'x')),
         "offset 16: truncated: expected 7840 bytes of data for dimensions [10, 28, 28], found 1200"},
        {"trailing garbage", idx_file(0x08, {3}, "abcXY"),
         "offset 11: trailing data after the 3-byte payload of dimensions [3]"},
    };
    TemporaryFolder folder;
    for (const Case& c : cases)
        for (bool gzip : {false, true}) {
            CAPTURE(c.name);
            CAPTURE(gzip);
            const auto path = folder / (gzip ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte");
            if (gzip) write_gzipped(path, c.bytes);
            else write_raw(path, c.bytes);
            CHECK(file_error_of([&] { read_idx(path); }) == path.string() + ": " + c.message);
        }
}

TEST_CASE("a truncated .gz is an error, not a short clean end (gzread returns 0 there)") {
    TemporaryFolder folder;
    const auto path = folder / "labels.gz";
    write_idx(path, {100'000}, counting_bytes(100'000), true);
    const std::string whole = read_raw(path);
    for (std::size_t keep : {std::size_t{2}, std::size_t{10}, whole.size() / 2, whole.size() - 4, whole.size() - 1}) {
        CAPTURE(keep);
        write_raw(path, whole.substr(0, keep));
        const std::string message = file_error_of([&] { read_idx(path); });
        CHECK(message.rfind(path.string() + ": offset ", 0) == 0);
        CHECK(message.find(": truncated gzip stream: zlib: unexpected end of file") != std::string::npos);
    }
}

TEST_CASE("corrupt gzip data: CRC, length and deflate damage are caught, even with an intact payload size") {
    TemporaryFolder folder;
    const auto path = folder / "images.gz";
    write_idx(path, {50, 40}, counting_bytes(2000), true);
    const std::string whole = read_raw(path);
    // The trailer is CRC-32 then ISIZE, 4 bytes each; zlib checks both only at the end of the stream.
    std::string bad_crc = whole;
    bad_crc[whole.size() - 8] ^= 1;
    write_raw(path, bad_crc);
    CHECK(file_error_of([&] { read_idx(path); }).find(": corrupt gzip data: zlib: incorrect data check") !=
          std::string::npos);
    std::string bad_length = whole;
    bad_length[whole.size() - 4] ^= 1;
    write_raw(path, bad_length);
    CHECK(file_error_of([&] { read_idx(path); }).find(": corrupt gzip data: zlib: incorrect length check") !=
          std::string::npos);
    std::string bad_block = whole;
    bad_block[12] = static_cast<char>(0xFF);  // inside the first deflate block, after the 10-byte gzip header
    write_raw(path, bad_block);
    const std::string message = file_error_of([&] { read_idx(path); });
    CHECK(message.rfind(path.string() + ": offset ", 0) == 0);
    CHECK(message.find(": corrupt gzip data: zlib: ") != std::string::npos);
}

TEST_CASE("write_idx refuses what read_idx would refuse") {
    TemporaryFolder folder;
    const auto path = folder / "out";
    const auto bytes = counting_bytes(6);
    CHECK(file_error_of([&] { write_idx(path, {2, 0}, {}); }) ==
          path.string() + ": cannot write dimension 1 = 0; IDX dimensions are 1 to 4294967295");
    CHECK(file_error_of([&] { write_idx(path, {}, {}); }) ==
          path.string() + ": cannot write 0 dimensions; IDX takes 1 to 4");
    CHECK(file_error_of([&] { write_idx(path, {1, 1, 1, 1, 6}, bytes); }) ==
          path.string() + ": cannot write 5 dimensions; IDX takes 1 to 4");
    CHECK(file_error_of([&] { write_idx(path, {4, 2}, bytes); }) ==
          path.string() + ": cannot write 6 bytes as dimensions [4, 2] (8 elements)");
    CHECK(folder.names().empty());
}

}  // TEST_SUITE
