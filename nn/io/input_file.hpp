#pragma once
// InputFile: a file opened for reading through a POSIX descriptor, whose every failure (missing, a
// folder, unreadable, shorter than its header says) is a FileError naming the file and the offset.
// Readers stream through it instead of loading the whole file, so a checkpoint or a data set is held
// in memory once, in its final form.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace smallnet {

class InputFile {
public:
    // Throws FileError when the path is missing, a folder or cannot be opened. Never waits for a
    // writer: a named pipe nobody writes to reads as empty.
    explicit InputFile(const std::filesystem::path& path);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // The size when the file was opened (0 for a device or a pipe, whose size is unknown).
    std::uint64_t size() const { return size_; }
    // False for a pipe or a device, which can only be read once, front to back.
    bool regular() const { return regular_; }

    // Reads up to out.size() bytes from the current position; fewer only at the end of the file.
    std::size_t read_some(std::span<std::byte> out);
    // Reads out.size() bytes at `offset`; a short file is "offset <offset>: truncated: expected <n> bytes
    // of <what>, found <m>".
    void read_at(std::uint64_t offset, std::span<std::byte> out, const std::string& what);

private:
    std::filesystem::path path_;
    int descriptor_ = -1;
    std::uint64_t size_ = 0;
    bool regular_ = false;
    std::uint64_t position_ = 0;
};

// The whole file. Works for devices and pipes too (reads to the end).
std::vector<std::byte> read_file(const std::filesystem::path& path);

}  // namespace smallnet
