#include <cmath>
#include <limits>

#include "nn/io/safetensors.hpp"
#include "tensor/creation.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

// A file with this exact header text (unpadded unless the text is) and `data_bytes` bytes of data.
// Returns the offset where the data starts (8 + header length).
std::uint64_t write_crafted(const std::filesystem::path& path, const std::string& header, std::size_t data_bytes) {
    write_raw(path, le64(header.size()) + header + std::string(data_bytes, '\x01'));
    return 8 + header.size();
}

std::string entry(const std::string& name, const std::string& shape, std::uint64_t begin, std::uint64_t end,
                  const std::string& dtype = "F32") {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
}

}  // namespace

TEST_SUITE("nn.io_safetensors") {

TEST_CASE("round trip: names in order, shapes, values bit for bit, metadata; scalars and empty tensors") {
    TemporaryFolder folder;
    Tensor special = from_buffer(std::vector<float>{0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(),
                                                    std::numeric_limits<float>::infinity(),
                                                    std::numeric_limits<float>::denorm_min(), -1.5e38f},
                                 Shape{2, 3});
    const NamedTensors tensors = {
        {"encoder.0.weight", random_tensor(Shape{4, 3}, 1)},
        {"encoder.0.bias", random_tensor(Shape{3}, 2)},
        {"a_scalar", from_buffer(std::vector<float>{42.5f}, Shape{})},
        {"empty", Tensor(Shape{0, 5})},
        {"special", special},
        {"deep", random_tensor(Shape{2, 1, 2, 1, 2, 3}, 3)},
    };
    const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"epoch", "3"}};
    const auto path = folder / "model.safetensors";
    save_safetensors(path, tensors, metadata);

    const SafetensorsContents read = read_safetensors(path);
    REQUIRE(read.tensors.size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
        CAPTURE(tensors[i].first);
        CHECK(read.tensors[i].first == tensors[i].first);
        CHECK(read.tensors[i].second.shape() == tensors[i].second.shape());
        CHECK(bitwise_equal(read.tensors[i].second, tensors[i].second));
    }
    CHECK(read.metadata == metadata);
    CHECK(safetensors_metadata(path) == metadata);
    CHECK(load_safetensors(path).size() == tensors.size());
    CHECK(folder.names() == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("the bytes follow the format: u64 LE length, JSON padded with spaces to 8, LE floats") {
    TemporaryFolder folder;
    const auto path = folder / "w.safetensors";
    save_safetensors(path, {{"w", from_buffer(std::vector<float>{1.0f, -2.0f}, Shape{2})}, {"s", full(Shape{}, 0.5f)}},
                     {{"k", "v"}});
    const std::string json =
        R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("s":{"dtype":"F32","shape":[],"data_offsets":[8,12]}})";
    REQUIRE(json.size() == 132);  // padded to 136
    const std::string expected = le64(136) + json + "    " +
                                 std::string("\x00\x00\x80\x3f", 4) +  // 1.0f
                                 std::string("\x00\x00\x00\xc0", 4) +  // -2.0f
                                 std::string("\x00\x00\x00\x3f", 4);   // 0.5f
    CHECK(read_raw(path) == expected);
}

TEST_CASE("no metadata means no __metadata__ key; no tensors is a valid file") {
    TemporaryFolder folder;
    const auto path = folder / "empty.safetensors";
    save_safetensors(path, {});
    CHECK(read_raw(path) == le64(8) + "{}      ");
    const SafetensorsContents read = read_safetensors(path);
    CHECK(read.tensors.empty());
    CHECK(read.metadata.empty());
}

TEST_CASE("the header's size is checked against the limit and the file") {
    TemporaryFolder folder;
    const auto path = folder / "bad.safetensors";
    const std::string p = path.string() + ": ";

    write_raw(path, "12345");
    CHECK(file_error_of([&] { read_safetensors(path); }) ==
          p + "offset 0: the file is 5 bytes, too short for the 8-byte header length");

    write_raw(path, le64(1000) + std::string(32, ' '));
    CHECK(file_error_of([&] { read_safetensors(path); }) ==
          p + "offset 0: header length 1000 runs past the end of the 40-byte file");

    write_raw(path, le64(100'000'001) + "{}");
    CHECK(file_error_of([&] { read_safetensors(path); }) ==
          p + "offset 0: header length 100000001 exceeds the limit of 100000000 bytes");

    write_raw(path, le64(~std::uint64_t{0}) + "{}");  // 8 + N would wrap around in unchecked arithmetic
    CHECK(file_error_of([&] { read_safetensors(path); }) ==
          p + "offset 0: header length 18446744073709551615 exceeds the limit of 100000000 bytes");

    write_crafted(path, " {}     ", 0);
    CHECK(file_error_of([&] { read_safetensors(path); }) == p + "offset 8: the JSON header does not start with '{'");
}

TEST_CASE("malformed JSON gives the byte offset in the file") {
    TemporaryFolder folder;
    const auto path = folder / "bad.safetensors";
    write_crafted(path, R"({"w": {"dtype": "F32",})", 0);
    const std::string message = file_error_of([&] { read_safetensors(path); });
    CHECK(message.rfind(path.string() + ": offset 30: malformed JSON header: [json.exception.parse_error.101]", 0) == 0);

    write_crafted(path, "{\"w\xff\": 1}", 0);  // not UTF-8
    CHECK(file_error_of([&] { read_safetensors(path); }).find("malformed JSON header") != std::string::npos);
}

TEST_CASE("each bad entry is named with its field") {
    struct Case {
        std::string name, header, message;
        std::size_t data_bytes;
    };
    const std::vector<Case> cases = {
        {"unknown dtype", std::string("{") + entry("w", "[2]", 0, 8, "Q7") + "}", "tensor \"w\": unknown dtype \"Q7\"", 8},
        {"other dtype", std::string("{") + entry("w", "[2]", 0, 4, "F16") + "}",
         "tensor \"w\": dtype F16 is not supported; smallnet reads F32 only", 4},
        {"dtype not a string", R"({"w":{"dtype":32,"shape":[],"data_offsets":[0,4]}})",
         "tensor \"w\": dtype is 32, not a string", 4},
        {"negative shape", std::string("{") + entry("w", "[2,-3]", 0, 8) + "}",
         "tensor \"w\": shape entry 1 is -3; expected a non-negative integer", 8},
        {"fractional shape", std::string("{") + entry("w", "[2.5]", 0, 8) + "}",
         "tensor \"w\": shape entry 0 is 2.5; expected a non-negative integer", 8},
        {"shape not an array", std::string("{") + entry("w", "2", 0, 8) + "}", "tensor \"w\": shape is 2, not an array", 8},
        {"rank 7", std::string("{") + entry("w", "[1,1,1,1,1,1,1]", 0, 4) + "}",
         "tensor \"w\": shape has 7 dimensions; smallnet tensors have at most 6", 4},
        {"huge shape", std::string("{") + entry("w", "[4294967296,4294967296]", 0, 8) + "}",
         "tensor \"w\": shape [4294967296,4294967296] holds more bytes than 2^64", 8},
        {"missing offsets", R"({"w":{"dtype":"F32","shape":[]}})", "tensor \"w\": no \"data_offsets\" field", 4},
        {"three offsets", R"({"w":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}})",
         "tensor \"w\": data_offsets is [0,4,8]; expected [begin, end]", 4},
        {"negative offset", R"({"w":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}})",
         "tensor \"w\": data_offsets[0] is -4; expected a non-negative integer", 4},
        {"reversed offsets", std::string("{") + entry("w", "[0]", 8, 4) + "}", "tensor \"w\": data_offsets [8, 4] end before they begin",
         8},
        {"size disagrees with shape", std::string("{") + entry("w", "[2]", 0, 4) + "}",
         "tensor \"w\": data_offsets [0, 4] hold 4 bytes but F32 shape [2] needs 8", 8},
        {"offsets out of range", std::string("{") + entry("w", "[2]", 8, 16) + "}",
         "tensor \"w\": data_offsets [8, 16] run past the end of the 8-byte data buffer", 8},
        {"entry not an object", R"({"w":[1,2]})", "tensor \"w\": entry is [1,2], not an object", 0},
        {"metadata value not a string", R"({"__metadata__":{"epoch":3}})",
         "__metadata__: the value of \"epoch\" is 3, not a string", 0},
        {"metadata not an object", R"({"__metadata__":"v1"})", "__metadata__ is \"v1\", not an object", 0},
        {"duplicate name", std::string("{") + entry("a", "[1]", 0, 4) + "," + entry("a", "[1]", 4, 8) + "}",
         "duplicate tensor name \"a\"", 8},
        {"duplicate field", R"({"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}})",
         "tensor \"a\": duplicate field \"dtype\"", 4},
        {"overlap", std::string("{") + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 4, 12) + "}",
         "tensors \"a\" and \"b\" overlap: data_offsets [0, 8] and [4, 12]", 12},
        {"same offsets twice", std::string("{") + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 0, 8) + "}",
         "tensors \"a\" and \"b\" overlap: data_offsets [0, 8] and [0, 8]", 8},
        {"gap", std::string("{") + entry("a", "[2]", 0, 8) + "," + entry("b", "[2]", 12, 20) + "}",
         "a gap of 4 bytes in the data buffer before tensor \"b\" (data_offsets [12, 20])", 20},
        {"not starting at 0", std::string("{") + entry("a", "[2]", 4, 12) + "}",
         "a gap of 4 bytes in the data buffer before tensor \"a\" (data_offsets [4, 12])", 12},
    };
    TemporaryFolder folder;
    const auto path = folder / "bad.safetensors";
    for (const Case& c : cases) {
        CAPTURE(c.name);
        write_crafted(path, c.header, c.data_bytes);
        CHECK(file_error_of([&] { read_safetensors(path); }) == path.string() + ": " + c.message);
        // The header alone is checked as fully as the whole file.
        CHECK(file_error_of([&] { safetensors_metadata(path); }) == path.string() + ": " + c.message);
    }
}

TEST_CASE("the data must end exactly where the last tensor ends") {
    TemporaryFolder folder;
    const auto path = folder / "long.safetensors";
    const std::uint64_t data_start = write_crafted(path, std::string("{") + entry("a", "[2]", 0, 8) + "}", 12);
    CHECK(file_error_of([&] { read_safetensors(path); }) ==
          path.string() + ": offset " + std::to_string(data_start + 8) +
              ": 4 bytes after the end of the last tensor's data");

    // A file saved properly, then appended to.
    save_safetensors(path, {{"a", zeros(Shape{3})}});
    write_raw(path, read_raw(path) + "x");
    CHECK(file_error_of([&] { read_safetensors(path); }).find(": 1 bytes after the end of the last tensor's data") !=
          std::string::npos);
}

TEST_CASE("empty tensors may share an offset, in any order; layout order need not be header order") {
    TemporaryFolder folder;
    const auto path = folder / "ok.safetensors";
    write_crafted(path,
                  std::string("{") + entry("late", "[1]", 4, 8) + "," + entry("e1", "[0,3]", 0, 0) + "," +
                      entry("first", "[1]", 0, 4) + "," + entry("e2", "[0]", 8, 8) + "}",
                  8);
    const NamedTensors read = load_safetensors(path);
    REQUIRE(read.size() == 4);
    CHECK(read[0].first == "late");
    CHECK(read[1].second.shape() == Shape{0, 3});
}

TEST_CASE("the writer refuses names the format cannot hold") {
    TemporaryFolder folder;
    const auto path = folder / "out.safetensors";
    CHECK(file_error_of([&] { save_safetensors(path, {{"a", zeros(Shape{1})}, {"a", zeros(Shape{2})}}); }) ==
          path.string() + ": cannot write two tensors named \"a\"");
    CHECK(file_error_of([&] { save_safetensors(path, {{"__metadata__", zeros(Shape{1})}}); }) ==
          path.string() + ": cannot name a tensor \"__metadata__\"");
    CHECK(file_error_of([&] { save_safetensors(path, {{"u", Tensor()}}); }) ==
          path.string() + ": cannot write tensor \"u\": it is undefined");
    CHECK(file_error_of([&] { save_safetensors(path, {{"bad\xff", zeros(Shape{1})}}); })
              .rfind(path.string() + ": cannot write the JSON header: ", 0) == 0);
    CHECK(folder.names().empty());
}

}  // TEST_SUITE
