#pragma once
// Crash-safe file writes (TOOLCHAIN §9.5): the bytes go to "PATH.tmp.PID.N" in the same folder,
// which is flushed to disk (fsync), closed and renamed over PATH, and then the folder itself is
// flushed so the rename survives a power cut. A reader therefore sees either the old file or the whole
// new one, never a torn mix. On any failure the temporary file is removed, the old file is kept and a
// FileError names the path and the system's reason. A process killed mid-write cannot remove its
// temporary file; the next write of the same path removes those whose process is gone.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace smallnet {

// The sink handed to a streaming write: buffered, and every failure is a FileError.
class FileWriter {
public:
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;
    ~FileWriter() = default;

    void write(std::span<const std::byte> bytes);
    void write(std::string_view text);
    std::uint64_t bytes_written() const { return written_ + buffer_.size(); }

private:
    friend void write_file_atomically(const std::filesystem::path&, const std::function<void(FileWriter&)>&);
    FileWriter(int descriptor, const std::filesystem::path& target, const std::filesystem::path& temporary);
    void flush();
    void write_all(const std::byte* data, std::size_t count);

    int descriptor_;
    const std::filesystem::path& target_;
    const std::filesystem::path& temporary_;
    std::vector<std::byte> buffer_;
    std::uint64_t written_ = 0;
};

// A fresh "<path>.tmp.<pid>.<n>": the name the writer uses, for producers that must make their own file
// (a library that only writes by name) before handing the bytes on.
std::filesystem::path temporary_path_for(const std::filesystem::path& path);

// Replaces `path` with what `produce` writes; an exception thrown by `produce` is passed on after the
// temporary file is removed. A file that existed keeps its permission bits. In a job of several
// processes (nn/distributed.hpp) only process 0 writes: on the others this does nothing.
void write_file_atomically(const std::filesystem::path& path, const std::function<void(FileWriter&)>& produce);
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace smallnet
