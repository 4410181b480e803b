#include "nn/io/code_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "nn/io/atomic_file.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/input_file.hpp"

namespace smallnet {

namespace {

constexpr char magic[8] = {'S', 'N', 'C', 'O', 'D', 'E', 'S', '\n'};
constexpr std::uint32_t version = 1;
constexpr std::uint64_t header_bytes = 40;
constexpr std::int64_t max_code_size = 65536, max_image_side = 65535;
constexpr std::uint64_t max_count = std::uint64_t{1} << 32;

static_assert(std::endian::native == std::endian::little, "code files are little-endian, as this machine");

template <class T>
void put(std::vector<std::byte>& out, T value) {
    const auto* bytes = reinterpret_cast<const std::byte*>(&value);
    out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <class T>
T get(const std::vector<std::byte>& in, std::uint64_t offset) {
    T value;
    std::memcpy(&value, in.data() + offset, sizeof(T));
    return value;
}

std::uint32_t crc_of(const std::byte* data, std::uint64_t size) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        const auto chunk = static_cast<uInt>(std::min<std::uint64_t>(size, 1u << 30));
        crc = crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
        data += chunk;
        size -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

void check_fields(const QuantizedCodes& c) {
    const auto fail = [](const std::string& why) { throw std::invalid_argument("write_code_file: " + why); };
    if (c.code_size < 1 || c.code_size > max_code_size) fail("code size " + std::to_string(c.code_size) + " outside 1-65536");
    if (c.bits < 1 || c.bits > 16) fail("bits " + std::to_string(c.bits) + " outside 1-16");
    if (c.image_rows < 1 || c.image_rows > max_image_side || c.image_columns < 1 || c.image_columns > max_image_side)
        fail("image size outside 1-65535");
    if (c.offset.size() != static_cast<std::size_t>(c.code_size) || c.scale.size() != static_cast<std::size_t>(c.code_size))
        fail("one offset and one scale per code unit are needed");
    if (c.levels.size() % static_cast<std::size_t>(c.code_size) != 0 || static_cast<std::uint64_t>(c.count()) > max_count)
        fail("the levels are not a whole number of codes, or more than 2^32 of them");
    for (std::size_t u = 0; u < c.offset.size(); ++u)
        if (!std::isfinite(c.offset[u]) || !std::isfinite(c.scale[u]) || c.scale[u] < 0.0f)
            fail("code unit " + std::to_string(u) + " has a non-finite offset or scale, or a negative scale");
    const std::uint32_t limit = 1u << c.bits;
    for (const std::uint16_t level : c.levels)
        if (level >= limit) fail("a level of " + std::to_string(level) + " does not fit in " + std::to_string(c.bits) + " bits");
}

}  // namespace

std::uint64_t payload_bytes(std::int64_t count, std::int64_t code_size, int bits) {
    return (static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(code_size) * static_cast<std::uint64_t>(bits) + 7) / 8;
}

QuantizedCodes quantize_codes(const Tensor& codes, int bits) {
    if (bits < 1 || bits > 16) throw std::invalid_argument("quantize_codes: bits must be 1 to 16, got " + std::to_string(bits));
    if (codes.rank() < 2 || codes.size(0) == 0) throw_shape_error("quantize_codes", codes.shape(), "needs codes [count, ...]");
    const std::int64_t count = codes.size(0), size = codes.numel() / count;
    QuantizedCodes q;
    q.code_size = size;
    q.bits = bits;
    q.offset.assign(static_cast<std::size_t>(size), std::numeric_limits<float>::infinity());
    q.scale.assign(static_cast<std::size_t>(size), 0.0f);
    std::vector<float> high(static_cast<std::size_t>(size), -std::numeric_limits<float>::infinity());
    const float* v = codes.data();
    for (std::int64_t i = 0; i < count * size; ++i) {
        if (!std::isfinite(v[i]))
            throw std::invalid_argument("quantize_codes: code " + std::to_string(i / size) + " holds a non-finite number");
        const auto u = static_cast<std::size_t>(i % size);
        q.offset[u] = std::min(q.offset[u], v[i]);
        high[u] = std::max(high[u], v[i]);
    }
    const float top = static_cast<float>((1u << bits) - 1);
    for (std::size_t u = 0; u < q.scale.size(); ++u) q.scale[u] = (high[u] - q.offset[u]) / top;
    q.levels.resize(static_cast<std::size_t>(count * size));
    for (std::int64_t i = 0; i < count * size; ++i) {
        const auto u = static_cast<std::size_t>(i % size);
        const float level = q.scale[u] > 0.0f ? std::nearbyint((v[i] - q.offset[u]) / q.scale[u]) : 0.0f;
        q.levels[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>(std::clamp(level, 0.0f, top));
    }
    return q;
}

Tensor dequantize_codes(const QuantizedCodes& q) {
    Tensor out(Shape{q.count(), q.code_size});
    for (std::size_t i = 0; i < q.levels.size(); ++i) {
        const std::size_t u = i % static_cast<std::size_t>(q.code_size);
        out.data()[i] = q.offset[u] + q.scale[u] * static_cast<float>(q.levels[i]);
    }
    return out;
}

std::uint32_t weights_fingerprint(const std::vector<Tensor>& weights) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (const Tensor& w : weights) {
        const Tensor contiguous = w.clone();
        crc = crc32(crc, reinterpret_cast<const Bytef*>(contiguous.data()), static_cast<uInt>(contiguous.numel() * 4));
    }
    return static_cast<std::uint32_t>(crc);
}

void write_code_file(const std::filesystem::path& path, const QuantizedCodes& c) {
    check_fields(c);
    std::vector<std::byte> out;
    out.insert(out.end(), reinterpret_cast<const std::byte*>(magic), reinterpret_cast<const std::byte*>(magic) + 8);
    put(out, version);
    put(out, static_cast<std::uint32_t>(c.code_size));
    put(out, static_cast<std::uint32_t>(c.bits));
    put(out, static_cast<std::uint32_t>(c.image_rows));
    put(out, static_cast<std::uint32_t>(c.image_columns));
    put(out, static_cast<std::uint64_t>(c.count()));
    put(out, c.model_fingerprint);
    for (const float o : c.offset) put(out, o);
    for (const float s : c.scale) put(out, s);
    const std::size_t payload_start = out.size();
    out.resize(payload_start + payload_bytes(c.count(), c.code_size, c.bits), std::byte{0});
    std::uint64_t bit = 0;
    for (const std::uint16_t level : c.levels)
        for (int b = 0; b < c.bits; ++b, ++bit)
            if (level >> b & 1u) out[payload_start + bit / 8] |= std::byte{static_cast<unsigned char>(1u << (bit % 8))};
    put(out, crc_of(out.data(), out.size()));
    write_file_atomically(path, out);
}

QuantizedCodes read_code_file(const std::filesystem::path& path) {
    InputFile file(path);
    // The size bounds what the header may claim before anything larger is allocated.
    if (file.size() < header_bytes + 4)
        throw FileError(path, "not a code file: " + std::to_string(file.size()) + " bytes, shorter than the " +
                                  std::to_string(header_bytes + 4) + " of an empty one");
    std::vector<std::byte> bytes(file.size());
    file.read_at(0, bytes, "the code file");
    if (std::memcmp(bytes.data(), magic, 8) != 0) throw FileError(path, 0, "not a code file (no SNCODES magic)");
    const auto version_found = get<std::uint32_t>(bytes, 8);
    if (version_found != version)
        throw FileError(path, 8, "code file version " + std::to_string(version_found) + ", this program reads version 1");
    QuantizedCodes c;
    c.code_size = get<std::uint32_t>(bytes, 12);
    c.bits = static_cast<int>(get<std::uint32_t>(bytes, 16));
    c.image_rows = get<std::uint32_t>(bytes, 20);
    c.image_columns = get<std::uint32_t>(bytes, 24);
    const auto count = get<std::uint64_t>(bytes, 28);
    c.model_fingerprint = get<std::uint32_t>(bytes, 36);
    if (c.code_size < 1 || c.code_size > max_code_size)
        throw FileError(path, 12, "code size " + std::to_string(c.code_size) + " outside 1-65536");
    if (c.bits < 1 || c.bits > 16) throw FileError(path, 16, std::to_string(c.bits) + " bits per number, outside 1-16");
    if (c.image_rows < 1 || c.image_rows > max_image_side || c.image_columns < 1 || c.image_columns > max_image_side)
        throw FileError(path, 20, "image size " + std::to_string(c.image_rows) + "x" + std::to_string(c.image_columns) +
                                      " outside 1-65535");
    if (count > max_count) throw FileError(path, 28, std::to_string(count) + " images, more than 2^32");
    const std::uint64_t tables = 8 * static_cast<std::uint64_t>(c.code_size);
    const std::uint64_t payload = payload_bytes(static_cast<std::int64_t>(count), c.code_size, c.bits);
    const std::uint64_t expected = header_bytes + tables + payload + 4;
    if (bytes.size() != expected)
        throw FileError(path, "holds " + std::to_string(bytes.size()) + " bytes, but its header (" + std::to_string(count) +
                                  " codes of " + std::to_string(c.code_size) + " numbers, " + std::to_string(c.bits) +
                                  " bits each) needs " + std::to_string(expected));
    const auto stored_crc = get<std::uint32_t>(bytes, expected - 4);
    if (crc_of(bytes.data(), expected - 4) != stored_crc)
        throw FileError(path, expected - 4, "checksum mismatch: the file is corrupt");
    for (std::int64_t u = 0; u < c.code_size; ++u) {
        const float offset = get<float>(bytes, header_bytes + 4 * static_cast<std::uint64_t>(u));
        const float scale = get<float>(bytes, header_bytes + 4 * static_cast<std::uint64_t>(c.code_size + u));
        if (!std::isfinite(offset) || !std::isfinite(scale) || scale < 0.0f)
            throw FileError(path, header_bytes + 4 * static_cast<std::uint64_t>(u),
                            "code unit " + std::to_string(u) + " has offset " + std::to_string(offset) + " and scale " +
                                std::to_string(scale) + " (must be finite, the scale not negative)");
        c.offset.push_back(offset);
        c.scale.push_back(scale);
    }
    c.levels.resize(static_cast<std::size_t>(count * static_cast<std::uint64_t>(c.code_size)));
    const std::uint64_t payload_start = header_bytes + tables;
    std::uint64_t bit = 0;
    for (std::uint16_t& level : c.levels) {
        std::uint32_t value = 0;
        for (int b = 0; b < c.bits; ++b, ++bit)
            value |= static_cast<std::uint32_t>((static_cast<unsigned char>(bytes[payload_start + bit / 8]) >> (bit % 8)) & 1u) << b;
        level = static_cast<std::uint16_t>(value);
    }
    return c;
}

}  // namespace smallnet
