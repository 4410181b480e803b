#pragma once
// FileError: every failure to read or write a file in nn/io. The message says which file, where in it
// (a byte offset or a field) and why: "train-labels-idx1-ubyte.gz: offset 8: truncated: ...".

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace smallnet {

class FileError : public std::runtime_error {
public:
    // "<path>: <why>"
    FileError(const std::filesystem::path& path, const std::string& why);
    // "<path>: offset <offset>: <why>"; the offset counts bytes from the start of the (uncompressed) file.
    FileError(const std::filesystem::path& path, std::uint64_t offset, const std::string& why);

    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// strerror(error_number) without the thread-safety trap of strerror.
std::string system_error_text(int error_number);

}  // namespace smallnet
