#pragma once
// MemoryFile: a file in memory (memfd) with a path, /proc/self/fd/<n>, that the readers open like any
// other file. Fuzz targets hand each input to a reader through it: no disk traffic, no leftovers.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace smallnet::fuzzing {

class MemoryFile {
public:
    MemoryFile() : descriptor_(memfd_create("smallnet_fuzz", MFD_CLOEXEC)) {
        if (descriptor_ < 0) {
            std::perror("memfd_create");
            std::abort();
        }
        path_ = "/proc/self/fd/" + std::to_string(descriptor_);
    }
    ~MemoryFile() { ::close(descriptor_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    const std::string& path() const { return path_; }

    // Makes the file hold exactly `bytes`.
    void replace(std::span<const std::uint8_t> bytes) {
        if (::ftruncate(descriptor_, 0) != 0) fail("ftruncate");
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t wrote = ::pwrite(descriptor_, bytes.data() + done, bytes.size() - done,
                                           static_cast<off_t>(done));
            if (wrote <= 0) fail("pwrite");
            done += static_cast<std::size_t>(wrote);
        }
    }

private:
    [[noreturn]] static void fail(const char* call) {
        std::perror(call);
        std::abort();
    }

    int descriptor_;
    std::string path_;
};

}  // namespace smallnet::fuzzing
