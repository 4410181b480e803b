#include "nn/io/input_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn/io/file_error.hpp"

namespace smallnet {

InputFile::InputFile(const std::filesystem::path& path) : path_(path) {
    // O_NONBLOCK: opening a named pipe that no program writes to would otherwise wait forever. Reads
    // block again below, so a pipe with a writer streams as usual and one without reads as empty.
    do {
        descriptor_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    } while (descriptor_ < 0 && errno == EINTR);
    if (descriptor_ < 0) throw FileError(path, "cannot open for reading: " + system_error_text(errno));
    const int flags = ::fcntl(descriptor_, F_GETFL);
    if (flags < 0 || ::fcntl(descriptor_, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        const int error = errno;
        ::close(descriptor_);
        throw FileError(path, "cannot open for reading: " + system_error_text(error));
    }
    struct stat status {};
    if (::fstat(descriptor_, &status) != 0) {
        const int error = errno;
        ::close(descriptor_);
        throw FileError(path, "cannot inspect: " + system_error_text(error));
    }
    // open() succeeds on a folder and only read() fails (EISDIR); say so up front.
    if (S_ISDIR(status.st_mode)) {
        ::close(descriptor_);
        throw FileError(path, "is a folder, not a file");
    }
    regular_ = S_ISREG(status.st_mode);
    if (regular_) size_ = static_cast<std::uint64_t>(status.st_size);
}

InputFile::~InputFile() {
    if (descriptor_ >= 0) ::close(descriptor_);
}

std::size_t InputFile::read_some(std::span<std::byte> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t got = ::read(descriptor_, out.data() + done, out.size() - done);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw FileError(path_, position_ + done, "read error: " + system_error_text(errno));
        }
        if (got == 0) break;
        done += static_cast<std::size_t>(got);
    }
    position_ += done;
    return done;
}

void InputFile::read_at(std::uint64_t offset, std::span<std::byte> out, const std::string& what) {
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t got =
            ::pread(descriptor_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (got < 0) {
            if (errno == EINTR) continue;
            throw FileError(path_, offset + done, "read error: " + system_error_text(errno));
        }
        if (got == 0)
            throw FileError(path_, offset,
                            "truncated: expected " + std::to_string(out.size()) + " bytes of " + what + ", found " +
                                std::to_string(done));
        done += static_cast<std::size_t>(got);
    }
}

std::vector<std::byte> read_file(const std::filesystem::path& path) {
    InputFile file(path);
    std::vector<std::byte> bytes;
    std::size_t filled = 0;
    // The size from fstat is a hint: the file may grow while read, and a device reports 0.
    std::size_t chunk = file.size() > 0 ? static_cast<std::size_t>(file.size()) + 1 : std::size_t{1} << 16;
    for (;;) {
        bytes.resize(filled + chunk);
        const std::size_t got = file.read_some(std::span(bytes).subspan(filled, chunk));
        filled += got;
        if (got < chunk) break;
        chunk = filled;  // doubling keeps the copies linear in the size
    }
    bytes.resize(filled);
    return bytes;
}

}  // namespace smallnet
