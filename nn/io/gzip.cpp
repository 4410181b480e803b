#include "nn/io/gzip.hpp"

#include <algorithm>
#include <cerrno>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <zlib.h>

#include "nn/io/file_error.hpp"

namespace smallnet {

namespace {

constexpr std::size_t max_zlib_chunk = std::size_t{1} << 30;  // zlib counts in (unsigned) int

gzFile as_gz(void* handle) { return static_cast<gzFile>(handle); }

// gzerror's text starts with the path, which FileError already gives.
std::string zlib_reason(const char* message, const std::filesystem::path& path) {
    std::string text = message ? message : "unknown error";
    const std::string prefix = path.string() + ": ";
    if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
    return "zlib: " + text;
}

}  // namespace

MaybeGzipInput::MaybeGzipInput(const std::filesystem::path& path)
    : path_(path), raw_(std::make_unique<InputFile>(path)) {
    sniffed_count_ = raw_->read_some(sniffed_);
    const bool gzip = sniffed_count_ == 2 && sniffed_[0] == std::byte{0x1f} && sniffed_[1] == std::byte{0x8b};
    if (!gzip) return;
    // zlib opens the file again by name, which would start a pipe over without its first two bytes.
    if (!raw_->regular())
        throw FileError(path, "gzip data from a pipe or a device is not supported; decompress it first (zcat)");
    raw_.reset();
    errno = 0;
    gzip_ = gzopen(path.c_str(), "rb");
    if (!gzip_) throw FileError(path, "cannot open as gzip: " + system_error_text(errno ? errno : ENOMEM));
    gzbuffer(as_gz(gzip_), 1 << 17);
}

MaybeGzipInput::~MaybeGzipInput() {
    if (gzip_) gzclose(as_gz(gzip_));
}

std::size_t MaybeGzipInput::read(std::span<std::byte> out) {
    std::size_t done = 0;
    if (!gzip_) {
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

std::size_t MaybeGzipInput::read_gzip(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const auto chunk = static_cast<unsigned>(std::min(out.size() - done, max_zlib_chunk));
        const int got = gzread(as_gz(gzip_), out.data() + done, chunk);
        if (got > 0) {
            done += static_cast<std::size_t>(got);
            continue;
        }
        int error = Z_OK;
        const char* message = gzerror(as_gz(gzip_), &error);
        if (got == 0 && error == Z_OK) break;  // the real end, CRC and length verified
        const std::uint64_t where = offset_ + done;
        if (error == Z_BUF_ERROR)
            throw FileError(path_, where, "truncated gzip stream: " + zlib_reason(message, path_));
        if (error == Z_ERRNO) throw FileError(path_, where, "read error: " + system_error_text(errno));
        // zlib decompresses ahead of the reader, so a damaged trailer is reported at whatever offset
        // the reader had reached; say where the damage is.
        const std::string reason = zlib_reason(message, path_);
        const bool trailer = reason.find("incorrect data check") != std::string::npos ||
                             reason.find("incorrect length check") != std::string::npos;
        throw FileError(path_, where, "corrupt gzip data: " + reason +
                                          (trailer ? " (the CRC-32 or length in the gzip trailer, the file's last 8 "
                                                     "bytes, does not match the decompressed data)"
                                                   : ""));
    }
    return done;
}

void MaybeGzipInput::close() {
    raw_.reset();
    if (!gzip_) return;
    const int result = gzclose(as_gz(std::exchange(gzip_, nullptr)));
    if (result == Z_BUF_ERROR) throw FileError(path_, offset_, "truncated gzip stream (reported on close)");
    if (result != Z_OK) throw FileError(path_, offset_, "gzip error on close: zlib code " + std::to_string(result));
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
