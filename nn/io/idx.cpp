#include "nn/io/idx.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/gzip.hpp"

namespace smallnet {

namespace {

constexpr std::uint8_t unsigned_byte_type = 0x08;
constexpr int max_dims = 4;
// Payloads are read in growing pieces so a header that lies about its size costs memory only as
// fast as real bytes arrive. The first piece is small: a 16 MiB one made every short file with a
// large header allocate and zero 16 MiB (the IDX fuzz target ran at ~200 inputs/s); doubling from
// 64 KiB costs an MNIST-sized file about ten reallocations.
constexpr std::size_t first_piece = std::size_t{1} << 16;

std::string hex_byte(unsigned value) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
    return text;
}

std::string type_name(std::uint8_t type) {
    switch (type) {
        case 0x08: return "unsigned byte";
        case 0x09: return "signed byte";
        case 0x0B: return "int16";
        case 0x0C: return "int32";
        case 0x0D: return "float32";
        case 0x0E: return "float64";
        default: return "unknown";
    }
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
    std::string text = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) text += ", ";
        text += std::to_string(dims[i]);
    }
    return text + "]";
}

// The dims from the header; every check that needs no payload happens here.
std::vector<std::int64_t> read_header(MaybeGzipInput& in, const std::filesystem::path& path) {
    std::array<std::byte, 4> magic{};
    const std::size_t got = in.read(magic);
    if (got == 0) throw FileError(path, "empty file");
    if (got < magic.size())
        throw FileError(path, 0, "truncated: expected a 4-byte IDX header, found " + std::to_string(got) + " bytes");
    const auto byte = [&](int i) { return std::to_integer<unsigned>(magic[i]); };
    if (byte(0) != 0 || byte(1) != 0)
        throw FileError(path, 0, "not an IDX file: bytes 0-1 are " + hex_byte(byte(0)) + " " + hex_byte(byte(1)) +
                                     ", expected 0x00 0x00");
    const auto type = static_cast<std::uint8_t>(byte(2));
    if (type != unsigned_byte_type)
        throw FileError(path, 2, "element type " + hex_byte(type) + " (" + type_name(type) +
                                     ") is not supported; only 0x08 (unsigned byte) is");
    const int ndim = static_cast<int>(byte(3));
    if (ndim < 1 || ndim > max_dims)
        throw FileError(path, 3, std::to_string(ndim) + " dimensions; expected 1 to " + std::to_string(max_dims));

    std::array<std::byte, 4 * max_dims> raw{};
    const std::size_t wanted = 4 * static_cast<std::size_t>(ndim);
    const std::size_t found = in.read(std::span(raw).first(wanted));
    if (found < wanted)
        throw FileError(path, 4, "truncated: expected " + std::to_string(wanted) + " bytes of dimensions, found " +
                                     std::to_string(found));
    std::vector<std::int64_t> dims(ndim);
    std::uint64_t count = 1;
    for (int i = 0; i < ndim; ++i) {
        std::uint32_t dim = 0;
        for (int b = 0; b < 4; ++b) dim = dim << 8 | std::to_integer<std::uint32_t>(raw[4 * i + b]);  // big-endian
        if (dim == 0) throw FileError(path, 4 + 4 * i, "dimension " + std::to_string(i) + " is 0");
        dims[i] = dim;
        // count ≤ 2^32 and dim < 2^32, so the product fits in 64 bits before it is compared.
        count *= dim;
        if (count > idx_max_elements)
            throw FileError(path, 4, "dimensions " + dims_text(std::vector(dims.begin(), dims.begin() + i + 1)) +
                                         (i + 1 < ndim ? "..." : "") + " hold more than " +
                                         std::to_string(idx_max_elements) + " elements, the limit");
    }
    return dims;
}

}  // namespace

IdxArray read_idx(const std::filesystem::path& path) {
    MaybeGzipInput in(path);
    IdxArray array;
    array.dims = read_header(in, path);
    const std::uint64_t header_bytes = in.offset();
    std::uint64_t count = 1;
    for (std::int64_t d : array.dims) count *= static_cast<std::uint64_t>(d);

    std::size_t filled = 0;
    while (filled < count) {
        const std::size_t piece = std::min<std::uint64_t>(count - filled, std::max(first_piece, filled));
        array.bytes.resize(filled + piece);
        const std::size_t got = in.read(std::as_writable_bytes(std::span(array.bytes)).subspan(filled, piece));
        filled += got;
        if (got < piece)
            throw FileError(path, header_bytes,
                            "truncated: expected " + std::to_string(count) + " bytes of data for dimensions " +
                                dims_text(array.dims) + ", found " + std::to_string(filled));
    }
    // One more byte: trailing data is an error, and for gzip reaching the end is what checks the CRC.
    std::byte extra[1];
    if (in.read(extra) != 0)
        throw FileError(path, in.offset() - 1,
                        "trailing data after the " + std::to_string(count) + "-byte payload of dimensions " +
                            dims_text(array.dims));
    in.close();
    return array;
}

void write_idx(const std::filesystem::path& path, const std::vector<std::int64_t>& dims,
               std::span<const std::uint8_t> bytes, bool gzip) {
    if (dims.empty() || dims.size() > static_cast<std::size_t>(max_dims))
        throw FileError(path, "cannot write " + std::to_string(dims.size()) + " dimensions; IDX takes 1 to 4");
    std::uint64_t count = 1;
    std::vector<std::byte> file(4 + 4 * dims.size());
    file[2] = std::byte{unsigned_byte_type};
    file[3] = static_cast<std::byte>(dims.size());
    for (std::size_t i = 0; i < dims.size(); ++i) {
        // A zero dimension would be written fine but refused by read_idx, so it is refused here too.
        if (dims[i] < 1 || dims[i] > 0xFFFFFFFFll)
            throw FileError(path, "cannot write dimension " + std::to_string(i) + " = " + std::to_string(dims[i]) +
                                      "; IDX dimensions are 1 to 4294967295");
        count *= static_cast<std::uint64_t>(dims[i]);
        if (count > idx_max_elements)
            throw FileError(path, "cannot write dimensions " + dims_text(dims) + ": more than " +
                                      std::to_string(idx_max_elements) + " elements");
        for (int b = 0; b < 4; ++b) file[4 + 4 * i + b] = static_cast<std::byte>(dims[i] >> (24 - 8 * b));
    }
    if (count != bytes.size())
        throw FileError(path, "cannot write " + std::to_string(bytes.size()) + " bytes as dimensions " +
                                  dims_text(dims) + " (" + std::to_string(count) + " elements)");
    const auto payload = std::as_bytes(bytes);
    write_file_atomically(path, [&](FileWriter& out) {
        if (gzip) {
            write_gzip(out, {file, payload});
            return;
        }
        out.write(file);
        out.write(payload);
    });
}

}  // namespace smallnet
