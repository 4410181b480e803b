#pragma once
// IDX files (the MNIST format, TOOLCHAIN §8): a big-endian header — two zero bytes, an element type,
// the number of dimensions, one u32 per dimension — followed by the elements in C order. Files may be
// gzip-compressed; gzip is recognised by its magic bytes (1f 8b), not by the name.

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

namespace smallnet {

struct IdxArray {
    std::vector<std::int64_t> dims;
    std::vector<std::uint8_t> bytes;  // the product of dims elements, C order
};

// The most elements an IDX file may declare; checked before anything is allocated, so a corrupt or
// hostile header cannot ask for terabytes.
inline constexpr std::uint64_t idx_max_elements = std::uint64_t{1} << 32;

// Reads an unsigned-byte (type 0x08) IDX file of 1 to 4 dimensions, raw or gzip. Throws FileError for
// anything else: a missing file or a folder, an empty or short header, bad magic bytes, another element
// type, a zero dimension, too many elements, a truncated payload, bytes after the payload, or a
// corrupt or truncated gzip stream.
IdxArray read_idx(const std::filesystem::path& path);

// Writes an unsigned-byte IDX file (gzip-compressed when `gzip`), atomically. dims: 1 to 4 of them, each
// in [1, 2^32); bytes: their product of them.
void write_idx(const std::filesystem::path& path, const std::vector<std::int64_t>& dims,
               std::span<const std::uint8_t> bytes, bool gzip = false);

}  // namespace smallnet
