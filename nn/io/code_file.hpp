#pragma once
// Code files: an autoencoder's codes of a set of images, quantized to a few bits per number, which is
// what `ae_mnist compress` writes and `decompress` reads. Little-endian, versioned and checksummed:
//
//   offset  size            field
//   0       8               magic "SNCODES\n"
//   8       4               version (1)
//   12      4               code_size: numbers per image (1 to 65536)
//   16      4               bits per number (1 to 16)
//   20      4, 4            image rows and columns (1 to 65535 each), for the IDX file decompress writes
//   28      8               count of images (at most 2^32)
//   36      4               fingerprint of the model's weights (weights_fingerprint), so that a file is
//                           only decoded by the model that encoded it
//   40      4 · code_size   offset of each code unit (float32, finite)
//   ...     4 · code_size   scale of each code unit (float32, finite, >= 0): value = offset + scale · level
//   ...     payload_bytes   the levels, image by image, unit by unit, `bits` each, packed from the least
//                           significant bit of each byte
//   end-4   4               CRC-32 (zlib's) of every byte before it

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "tensor/tensor.hpp"

namespace smallnet {

struct QuantizedCodes {
    std::int64_t code_size = 0;
    int bits = 8;
    std::int64_t image_rows = 0, image_columns = 0;
    std::uint32_t model_fingerprint = 0;
    std::vector<float> offset, scale;   // per code unit
    std::vector<std::uint16_t> levels;  // count · code_size, each below 2^bits

    std::int64_t count() const { return code_size > 0 ? static_cast<std::int64_t>(levels.size()) / code_size : 0; }
};

// Quantizes codes [count, code_size] (any sample shape, flattened) to `bits` per number, each unit on
// its own range: offset = its minimum, scale = (maximum - minimum) / (2^bits - 1), levels rounded to
// nearest. Throws std::invalid_argument for bits outside 1-16 or a non-finite code.
QuantizedCodes quantize_codes(const Tensor& codes, int bits);
// The codes the levels stand for, [count, code_size].
Tensor dequantize_codes(const QuantizedCodes& codes);
// The bytes of the packed levels of `count` images.
std::uint64_t payload_bytes(std::int64_t count, std::int64_t code_size, int bits);
// CRC-32 of the weights' float bytes, in order: what a code file records of the model.
std::uint32_t weights_fingerprint(const std::vector<Tensor>& weights);

// Writes the file atomically. Throws std::invalid_argument for fields outside the ranges above.
void write_code_file(const std::filesystem::path& path, const QuantizedCodes& codes);
// Reads and checks one: the magic, the version, every field's range, the size against the fields, the
// offsets and scales, the checksum. Throws FileError saying what is wrong and where.
QuantizedCodes read_code_file(const std::filesystem::path& path);

}  // namespace smallnet
