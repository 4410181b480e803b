#pragma once
// gzip through zlib's inflate, not gzread: gzread skips whatever follows the last member when it is
// not another gzip header, so a file with garbage after its trailer read as valid (gzip -t reports
// it). The CRC-32 and length are checked at the end of each member (zlib checks them there, so the
// reader must read to the end); zlib counts in unsigned int, so reads go in chunks of at most 1 GiB.

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
// Errors are FileErrors whose offsets count uncompressed bytes. As gzip(1) reads them: members one
// after another (RFC 1952 2.2) are one stream; zero bytes after the last member (tar pads to its
// block size) are skipped with a warning on stderr; anything else after it, a cut or a CRC-32 or
// length that does not match, is an error.
class MaybeGzipInput {
public:
    explicit MaybeGzipInput(const std::filesystem::path& path);
    ~MaybeGzipInput();
    MaybeGzipInput(const MaybeGzipInput&) = delete;
    MaybeGzipInput& operator=(const MaybeGzipInput&) = delete;

    bool compressed() const { return inflater_ != nullptr; }
    // Bytes delivered so far.
    std::uint64_t offset() const { return offset_; }
    // Up to out.size() bytes; fewer only at the true end of the data (a truncated or corrupt gzip
    // stream, or garbage after it, throws instead).
    std::size_t read(std::span<std::byte> out);
    // Closes the file. Every check is made by read(), which must have returned fewer bytes than asked
    // (reached the end) for the gzip trailer to have been checked.
    void close();

private:
    struct Inflater;  // zlib's stream and the compressed bytes read ahead, kept out of this header

    std::size_t read_gzip(std::span<std::byte> out);
    // Inflates into `into` until it is full or the last member has ended; how many bytes it holds.
    // Errors name the uncompressed offset where they were found, `offset` being that of into[0].
    std::size_t inflate_into(std::span<std::byte> into, std::uint64_t offset);
    // At least `wanted` compressed bytes ready to inflate, unless the file ends first; how many are.
    std::size_t compressed_ready(std::size_t wanted);
    // After a member's trailer: true when another member follows; otherwise checks that only zero
    // bytes (padding) follow, and returns false.
    bool next_member();

    std::filesystem::path path_;
    std::unique_ptr<InputFile> raw_;
    std::unique_ptr<Inflater> inflater_;
    std::byte sniffed_[2] = {};
    std::size_t sniffed_count_ = 0;
    std::size_t sniffed_used_ = 0;
    std::uint64_t offset_ = 0;
};

// Compresses the parts, one after the other, as one gzip member into `out`.
void write_gzip(FileWriter& out, std::initializer_list<std::span<const std::byte>> parts);

}  // namespace smallnet
