// libFuzzer target: read_idx on gzip files made from the input, so the mutations reach the IDX parser
// behind a valid gzip stream, and the gzip checks see streams cut short or damaged at a chosen byte.
// Input: one control byte (how to damage the stream), two bytes of position, then the file's
// uncompressed contents. A FileError is a refusal; anything else is a finding, and so is a cut stream
// that is accepted, or any accepted stream whose contents differ from what was compressed.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <zlib.h>

#include "nn/io/file_error.hpp"
#include "nn/io/idx.hpp"
#include "tests/fuzz/idx_bytes.hpp"
#include "tests/fuzz/memory_file.hpp"

using namespace smallnet;

namespace {

enum class Damage { none, truncate, flip_byte, append_garbage };

// One compressor, reset per input: zlib's ~300 KiB of state per deflateInit2 would otherwise cost an
// mmap and munmap per input under AddressSanitizer, the most of this target's time.
std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
    static z_stream stream{};  // zlib keeps a pointer back to it: initialised in place, never copied
    static const bool ready = deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    if (!ready) std::abort();
    if (deflateReset(&stream) != Z_OK) std::abort();
    std::vector<std::uint8_t> out(deflateBound(&stream, size) + 32);
    stream.next_in = const_cast<Bytef*>(data);
    stream.avail_in = static_cast<uInt>(size);
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    if (deflate(&stream, Z_FINISH) != Z_STREAM_END) std::abort();
    out.resize(stream.total_out);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const auto damage = static_cast<Damage>(data[0] % 4);
    const std::size_t position = static_cast<std::size_t>(data[1]) << 8 | data[2];
    const std::uint8_t* contents = data + 3;
    const std::size_t contents_size = size - 3;

    std::vector<std::uint8_t> stream = gzip(contents, contents_size);
    switch (damage) {
        case Damage::none: break;
        case Damage::truncate: stream.resize(position % stream.size()); break;
        case Damage::flip_byte: stream[position % stream.size()] ^= static_cast<std::uint8_t>(1 + data[1] % 255); break;
        case Damage::append_garbage: stream.insert(stream.end(), data + 1, data + 3); break;
    }
    static fuzzing::MemoryFile file;
    file.replace(stream);
    IdxArray array;
    try {
        array = read_idx(file.path());
    } catch (const FileError&) {
        return 0;
    }
    // A cut stream has lost at least part of its CRC and length trailer, so it can never be complete.
    if (damage == Damage::truncate) std::abort();
    // Bytes after the stream are refused, unless they are zeros (tar's padding, read with a warning).
    if (damage == Damage::append_garbage && (data[1] != 0 || data[2] != 0)) std::abort();
    // Whatever was accepted must be exactly what was compressed: a damaged stream may only be accepted
    // when the damage changed nothing the reader relies on (a flipped bit in the gzip header's OS byte,
    // for one).
    const std::vector<std::uint8_t> read_back = fuzzing::serialized(array);
    if (read_back.size() != contents_size || std::memcmp(read_back.data(), contents, contents_size) != 0) std::abort();
    return 0;
}
