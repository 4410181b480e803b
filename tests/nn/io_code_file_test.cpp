// Code files (ae_mnist compress): quantizing codes and the file's round trip, bit for bit.
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "nn/io/code_file.hpp"
#include "tests/nn/io_support.hpp"
#include "tests/support.hpp"

using namespace smallnet;
using namespace smallnet::testing;

TEST_SUITE("nn.io_code_file") {

TEST_CASE("quantize_codes spans each unit's range in 2^bits levels; dequantizing is within half a step") {
    const Tensor codes = random_tensor({50, 7}, 3, -4.0f, 9.0f);
    for (int bits : {1, 3, 8, 12, 16}) {
        CAPTURE(bits);
        const QuantizedCodes q = quantize_codes(codes, bits);
        CHECK(q.code_size == 7);
        CHECK(q.count() == 50);
        const Tensor back = dequantize_codes(q);
        for (std::int64_t i = 0; i < codes.numel(); ++i) {
            const float step = q.scale[static_cast<std::size_t>(i % 7)];
            CHECK(std::fabs(back.data()[i] - codes.data()[i]) <= 0.5f * step * (1 + 1e-4f) + 1e-6f);
            CHECK(q.levels[static_cast<std::size_t>(i)] < (1u << bits));
        }
    }
    // A constant unit has scale 0 and comes back exactly.
    Tensor constant(Shape{3, 1});
    constant.fill(2.5f);
    const QuantizedCodes q = quantize_codes(constant, 8);
    CHECK(q.scale[0] == 0.0f);
    CHECK(dequantize_codes(q).data()[2] == 2.5f);
    CHECK_THROWS_AS(quantize_codes(codes, 0), std::invalid_argument);
    CHECK_THROWS_AS(quantize_codes(codes, 17), std::invalid_argument);
    Tensor with_nan = codes.clone();
    with_nan.data()[9] = NAN;
    CHECK_THROWS_WITH_AS(quantize_codes(with_nan, 8), doctest::Contains("code 1 holds a non-finite number"), std::invalid_argument);
}

TEST_CASE("a code file gives back exactly the levels, offsets, scales and fields written, at any bit width") {
    TemporaryFolder folder;
    for (int bits : {1, 3, 7, 8, 13, 16}) {
        for (std::int64_t count : {0, 1, 17}) {
            CAPTURE(bits);
            CAPTURE(count);
            QuantizedCodes written = count > 0 ? quantize_codes(random_tensor({count, 5}, 9, -1.0f, 1.0f), bits) : QuantizedCodes{};
            if (count == 0) {
                written.code_size = 5;
                written.bits = bits;
                written.offset.assign(5, 0.0f);
                written.scale.assign(5, 1.0f);
            }
            written.image_rows = 28;
            written.image_columns = 27;
            written.model_fingerprint = 0xCAFE1234u;
            write_code_file(folder / "codes", written);
            CHECK(std::filesystem::file_size(folder / "codes") == 40 + 8 * 5 + payload_bytes(count, 5, bits) + 4);
            const QuantizedCodes read = read_code_file(folder / "codes");
            CHECK(read.levels == written.levels);
            CHECK(read.offset == written.offset);
            CHECK(read.scale == written.scale);
            CHECK(read.bits == bits);
            CHECK(read.image_rows == 28);
            CHECK(read.image_columns == 27);
            CHECK(read.model_fingerprint == 0xCAFE1234u);
        }
    }
    CHECK(payload_bytes(10000, 32, 8) == 320000);
    QuantizedCodes bad = quantize_codes(random_tensor({2, 2}, 1), 4);
    bad.image_rows = 1;
    bad.image_columns = 1;
    bad.levels[0] = 16;
    CHECK_THROWS_AS(write_code_file(folder / "bad", bad), std::invalid_argument);
    CHECK_FALSE(std::filesystem::exists(folder / "bad"));
}

TEST_CASE("weights_fingerprint changes with any weight") {
    std::vector<Tensor> weights = {random_tensor({3, 2}, 1), random_tensor({2}, 2)};
    const std::uint32_t before = weights_fingerprint(weights);
    CHECK(weights_fingerprint(weights) == before);
    weights[1].data()[1] = std::nextafter(weights[1].data()[1], 10.0f);
    CHECK(weights_fingerprint(weights) != before);
}

}  // TEST_SUITE
