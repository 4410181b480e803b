#pragma once
// gzip through zlib without its traps (TOOLCHAIN §8): gzread returns 0 — as if at a clean end — on a
// truncated .gz unless gzerror is asked; the CRC is only checked when the end of the stream is read;
// gzread counts in int, so reads go in chunks of at most 1 GiB.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <span>

#include "nn/io/atomic_file.hpp"
#include "nn/io/input_file.hpp"

namespace smallnet {

// The bytes of a file, decompressed when it starts with the gzip magic bytes 1f 8b (whatever its name).
// Errors are FileErrors whose offsets count uncompressed bytes.
class MaybeGzipInput {
public:
    explicit MaybeGzipInput(const std::filesystem::path& path);
    ~MaybeGzipInput();
    MaybeGzipInput(const MaybeGzipInput&) = delete;
    MaybeGzipInput& operator=(const MaybeGzipInput&) = delete;

    bool compressed() const { return gzip_ != nullptr; }
    // Bytes delivered so far.
    std::uint64_t offset() const { return offset_; }
    // Up to out.size() bytes; fewer only at the true end of the data (a truncated or corrupt gzip
    // stream throws instead).
    std::size_t read(std::span<std::byte> out);
    // Closes the gzip stream, checking what gzclose reports. Call after reading to the end.
    void close();

private:
    std::size_t read_gzip(std::span<std::byte> out);

    std::filesystem::path path_;
    std::unique_ptr<InputFile> raw_;
    void* gzip_ = nullptr;  // gzFile, kept out of this header
    std::byte sniffed_[2] = {};
    std::size_t sniffed_count_ = 0;
    std::size_t sniffed_used_ = 0;
    std::uint64_t offset_ = 0;
};

// Compresses the parts, one after the other, as one gzip member into `out`.
void write_gzip(FileWriter& out, std::initializer_list<std::span<const std::byte>> parts);

}  // namespace smallnet
