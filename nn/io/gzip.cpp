#include "nn/io/gzip.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>
#include <zlib.h>

#include "nn/io/file_error.hpp"

namespace smallnet {

namespace {

constexpr std::size_t max_zlib_chunk = std::size_t{1} << 30;  // zlib counts in (unsigned) int
constexpr std::size_t compressed_buffer_bytes = std::size_t{1} << 17;

std::string hex_byte(unsigned value) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", value & 0xFFu);
    return text;
}

}  // namespace

struct MaybeGzipInput::Inflater {
    z_stream stream{};
    std::vector<std::byte> buffer = std::vector<std::byte>(compressed_buffer_bytes);
    std::uint64_t bytes_from_file = 0;  // compressed bytes read into the buffer so far
    std::vector<std::byte> ahead = std::vector<std::byte>(2 * compressed_buffer_bytes);  // inflated, not yet read
    std::size_t ahead_begin = 0, ahead_end = 0;
    bool finished = false;  // the last member and what follows it are checked

    Inflater() {
        // windowBits 15 + 16: a gzip header and trailer, whose CRC-32 and length inflate checks.
        if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::bad_alloc();
    }
    ~Inflater() { inflateEnd(&stream); }
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    // Where in the file the next byte to inflate is.
    std::uint64_t position() const { return bytes_from_file - stream.avail_in; }
};

MaybeGzipInput::MaybeGzipInput(const std::filesystem::path& path)
    : path_(path), raw_(std::make_unique<InputFile>(path)) {
    sniffed_count_ = raw_->read_some(sniffed_);
    const bool gzip = sniffed_count_ == 2 && sniffed_[0] == std::byte{0x1f} && sniffed_[1] == std::byte{0x8b};
    if (!gzip) return;
    inflater_ = std::make_unique<Inflater>();
    std::copy_n(sniffed_, sniffed_count_, inflater_->buffer.data());
    inflater_->stream.next_in = reinterpret_cast<Bytef*>(inflater_->buffer.data());
    inflater_->stream.avail_in = static_cast<uInt>(sniffed_count_);
    inflater_->bytes_from_file = sniffed_count_;
}

MaybeGzipInput::~MaybeGzipInput() = default;

std::size_t MaybeGzipInput::read(std::span<std::byte> out) {
    std::size_t done = 0;
    if (!inflater_) {
        const std::size_t from_sniff = std::min(out.size(), sniffed_count_ - sniffed_used_);
        std::copy_n(sniffed_ + sniffed_used_, from_sniff, out.data());
        sniffed_used_ += from_sniff;
        done = from_sniff + raw_->read_some(out.subspan(from_sniff));
    } else {
        done = read_gzip(out);
    }
    offset_ += done;
    return done;
}

std::size_t MaybeGzipInput::compressed_ready(std::size_t wanted) {
    z_stream& stream = inflater_->stream;
    if (stream.avail_in >= wanted) return stream.avail_in;
    std::vector<std::byte>& buffer = inflater_->buffer;
    const std::size_t kept = stream.avail_in;
    if (kept > 0) std::memmove(buffer.data(), stream.next_in, kept);
    const std::size_t got = raw_->read_some(std::span(buffer).subspan(kept));
    inflater_->bytes_from_file += got;
    stream.next_in = reinterpret_cast<Bytef*>(buffer.data());
    stream.avail_in = static_cast<uInt>(kept + got);
    return stream.avail_in;
}

std::size_t MaybeGzipInput::read_gzip(std::span<std::byte> out) {
    Inflater& z = *inflater_;
    std::size_t done = 0;
    while (done < out.size()) {
        if (z.ahead_begin < z.ahead_end) {
            const std::size_t count = std::min(out.size() - done, z.ahead_end - z.ahead_begin);
            std::copy_n(z.ahead.data() + z.ahead_begin, count, out.data() + done);
            z.ahead_begin += count;
            done += count;
            continue;
        }
        if (z.finished) break;
        // As gzread does, a small read inflates a whole buffer ahead: damage a little past the bytes
        // asked for is then reported as corrupt gzip data before the reader has taken garbage for a
        // header. A large read inflates straight into the caller's memory.
        if (out.size() - done >= z.ahead.size()) {
            done += inflate_into(out.subspan(done), offset_ + done);
        } else {
            z.ahead_begin = 0;
            z.ahead_end = inflate_into(z.ahead, offset_ + done);
        }
    }
    return done;
}

std::size_t MaybeGzipInput::inflate_into(std::span<std::byte> into, std::uint64_t offset) {
    z_stream& stream = inflater_->stream;
    std::size_t produced = 0;
    while (produced < into.size() && !inflater_->finished) {
        if (stream.avail_in == 0) compressed_ready(1);  // stays 0 at the end of the file
        const auto chunk = static_cast<uInt>(std::min(into.size() - produced, max_zlib_chunk));
        stream.next_out = reinterpret_cast<Bytef*>(into.data() + produced);
        stream.avail_out = chunk;
        const int status = inflate(&stream, Z_NO_FLUSH);
        produced += chunk - stream.avail_out;
        if (status == Z_OK) continue;
        if (status == Z_STREAM_END) {
            if (!next_member()) inflater_->finished = true;
            continue;
        }
        if (status == Z_MEM_ERROR) throw std::bad_alloc();
        const std::uint64_t where = offset + produced;
        // No progress with room to write: inflate needs input the file does not have.
        if (status == Z_BUF_ERROR)
            throw FileError(path_, where, "truncated gzip stream: zlib: unexpected end of file");
        const std::string reason = "zlib: " + (stream.msg ? std::string(stream.msg) : "error " + std::to_string(status));
        const bool trailer = reason.find("incorrect data check") != std::string::npos ||
                             reason.find("incorrect length check") != std::string::npos;
        throw FileError(path_, where, "corrupt gzip data: " + reason +
                                          (trailer ? " (the CRC-32 or length in the gzip trailer, the 8 bytes that end "
                                                     "a member, does not match the decompressed data)"
                                                   : ""));
    }
    return produced;
}

bool MaybeGzipInput::next_member() {
    z_stream& stream = inflater_->stream;
    const std::size_t ready = compressed_ready(2);
    if (ready == 0) return false;
    if (ready >= 2 && stream.next_in[0] == 0x1f && stream.next_in[1] == 0x8b) {
        if (inflateReset(&stream) != Z_OK) throw std::logic_error("MaybeGzipInput: inflateReset failed");
        return true;
    }
    // Only zero bytes may follow the last member: tar pads an archive to whole blocks, and gzip -t
    // accepts them. Anything else gzread skipped silently, and gzip -t reports as trailing garbage.
    const std::uint64_t start = inflater_->position();
    while (compressed_ready(1) > 0) {
        Bytef* const end = stream.next_in + stream.avail_in;
        const Bytef* nonzero = std::find_if(stream.next_in, end, [](Bytef b) { return b != 0; });
        if (nonzero != end) {
            const std::uint64_t at = inflater_->position() + static_cast<std::uint64_t>(nonzero - stream.next_in);
            throw FileError(path_, "trailing garbage after the gzip stream, from byte " + std::to_string(start) +
                                       " of the file (" + hex_byte(*nonzero) + " at byte " + std::to_string(at) +
                                       "); only zero bytes (tar's padding) may follow the last member's trailer");
        }
        stream.next_in = end;
        stream.avail_in = 0;
    }
    std::fprintf(stderr, "warning: %s: %llu zero bytes after the gzip stream ignored (tar padding)\n",
                 path_.c_str(), static_cast<unsigned long long>(inflater_->position() - start));
    return false;
}

void MaybeGzipInput::close() {
    inflater_.reset();
    raw_.reset();
}

void write_gzip(FileWriter& out, std::initializer_list<std::span<const std::byte>> parts) {
    z_stream stream{};
    // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::bad_alloc();
    std::vector<std::byte> buffer(std::size_t{1} << 16);
    const auto deflate_piece = [&](std::span<const std::byte> piece, int flush) {
        // zlib's next_in is not const-qualified but deflate does not write through it.
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(piece.data()));
        stream.avail_in = static_cast<uInt>(piece.size());
        int status;
        do {
            stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
            stream.avail_out = static_cast<uInt>(buffer.size());
            status = deflate(&stream, flush);
            if (status == Z_STREAM_ERROR) throw std::logic_error("write_gzip: deflate reported Z_STREAM_ERROR");
            out.write(std::span(buffer).first(buffer.size() - stream.avail_out));
        } while (flush == Z_FINISH ? status != Z_STREAM_END : stream.avail_in > 0 || stream.avail_out == 0);
    };
    try {
        for (std::span<const std::byte> part : parts)
            for (std::size_t at = 0; at < part.size(); at += max_zlib_chunk)
                deflate_piece(part.subspan(at, std::min(part.size() - at, max_zlib_chunk)), Z_NO_FLUSH);
        deflate_piece({}, Z_FINISH);
    } catch (...) {
        deflateEnd(&stream);
        throw;
    }
    deflateEnd(&stream);
}

}  // namespace smallnet
