#include <limits>

#include "nn/io/npy.hpp"
#include "tensor/creation.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

namespace {

// A version 1.0 preamble around `dict` (already padded as the test wants).
std::string npy_v1(const std::string& dict) {
    return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(dict.size() & 0xFF) +
           static_cast<char>(dict.size() >> 8) + dict;
}

}  // namespace

TEST_SUITE("nn.io_npy") {

TEST_CASE("the header is numpy's, padded with spaces and a newline to 64 bytes") {
    const std::string dict_23 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const std::string header_23 = npy_header(Shape{2, 3});
    CHECK(header_23.size() == 128);
    CHECK(header_23 == std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict_23 + std::string(128 - 10 - 59 - 1, ' ') + "\n");

    // A 1-tuple needs its trailing comma or Python reads a plain integer.
    const std::string dict_5 = "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }";
    const std::string header_5 = npy_header(Shape{5});
    CHECK(header_5.size() == 128);
    CHECK(header_5 == std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict_5 + std::string(128 - 10 - 57 - 1, ' ') + "\n");

    CHECK(npy_header(Shape{}).find("'shape': (), }") != std::string::npos);
    for (const Shape& shape : {Shape{}, Shape{7}, Shape{1, 2, 3, 4, 5, 6}, Shape{1000000, 1000000}})
        CHECK(npy_header(shape).size() % 64 == 0);
}

TEST_CASE("round trip, bit for bit, including a scalar, an empty array and special values") {
    TemporaryFolder folder;
    const auto path = folder / "a.npy";
    const std::vector<Tensor> tensors = {
        random_tensor(Shape{2, 3}, 1),
        random_tensor(Shape{5}, 2),
        full(Shape{}, -3.25f),
        Tensor(Shape{0, 3}),
        from_buffer(std::vector<float>{std::numeric_limits<float>::quiet_NaN(), -0.0f,
                                       std::numeric_limits<float>::infinity(), 1e-45f},
                    Shape{2, 1, 2}),
    };
    for (const Tensor& t : tensors) {
        CAPTURE(t.shape().to_string());
        save_npy(path, t);
        const std::string bytes = read_raw(path);
        CHECK(bytes.size() == npy_header(t.shape()).size() + 4 * static_cast<std::size_t>(t.numel()));
        CHECK(bitwise_equal(load_npy(path), t));
    }
    CHECK(folder.names() == std::vector<std::string>{"a.npy"});
}

TEST_CASE("other numpy writers' headers: version 2.0, double quotes, no trailing comma, 16-byte padding") {
    TemporaryFolder folder;
    const auto path = folder / "v2.npy";
    const std::string dict = "{\"shape\": (2,), \"fortran_order\": False, \"descr\": \"<f4\"}   \n";
    const std::string floats = std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
    write_raw(path, std::string("\x93NUMPY\x02\x00", 8) + static_cast<char>(dict.size()) + std::string(3, '\0') +
                        dict + floats);
    const Tensor t = load_npy(path);
    CHECK(t.shape() == Shape{2});
    CHECK(t.at({0}) == 1.0f);
    CHECK(t.at({1}) == -2.0f);
}

TEST_CASE("rejections name the file, the offset or field, and the reason") {
    TemporaryFolder folder;
    const auto path = folder / "bad.npy";
    const std::string p = path.string() + ": ";
    const std::string good_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";
    const std::string eight = std::string(8, '\0');
    struct Case {
        std::string name, bytes, message;
    };
    const std::vector<Case> cases = {
        {"short", "\x93NUMPY", "offset 0: the file is 6 bytes, too short for an .npy header"},
        {"magic", std::string("\x93NUMPZ\x01\x00\x00\x00", 10), "offset 0: not an .npy file: the magic \\x93NUMPY is missing"},
        {"version", std::string("\x93NUMPY\x09\x00\x00\x00", 10), "offset 6: unsupported .npy version 9.0"},
        {"header past the end", std::string("\x93NUMPY\x01\x00\x40\x00", 10) + "{}",
         "offset 8: header length 64 runs past the end of the 12-byte file"},
        {"f8", npy_v1("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n") + eight,
         "dtype '<f8' is not supported; smallnet reads '<f4' only"},
        {"big-endian", npy_v1("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n") + eight,
         "dtype '>f4' (big-endian) is not supported; smallnet reads '<f4' only"},
        {"fortran", npy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n") + eight,
         "Fortran-order arrays are not supported; save in C order"},
        {"truncated", npy_v1(good_dict) + std::string(5, '\0'),
         "offset 68: truncated: expected 8 bytes of data for shape [2], found 5"},
        {"trailing", npy_v1(good_dict) + eight + "z", "offset 76: 1 bytes after the end of the array data"},
        {"negative dim", npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n"),
         "offset 61: malformed header: expected a non-negative integer"},
        {"unknown key", npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n") + eight,
         "offset 66: malformed header: unexpected key 'x'"},
        {"missing key", npy_v1("{'descr': '<f4', 'shape': (2,)}\n") + eight,
         "offset 10: malformed header: no 'fortran_order' key"},
        {"not a dict", npy_v1("['descr']\n"), "offset 10: malformed header: expected '{'"},
        {"rank 7", npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1), }\n"),
         "shape has 7 dimensions; smallnet tensors have at most 6"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        write_raw(path, c.bytes);
        CHECK(file_error_of([&] { load_npy(path); }) == p + c.message);
    }
    CHECK(file_error_of([&] { load_npy(folder / "none.npy"); }) ==
          (folder / "none.npy").string() + ": cannot open for reading: No such file or directory");
}

}  // TEST_SUITE
