#include "nn/io/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "nn/distributed.hpp"
#include "nn/io/file_error.hpp"
#include "nn/io/pending_removal.hpp"

namespace smallnet {

namespace {

constexpr std::size_t buffer_capacity = std::size_t{1} << 20;

constexpr std::string_view temporary_marker = ".tmp.";

std::filesystem::path folder_of(const std::filesystem::path& path) {
    const std::filesystem::path folder = path.parent_path();
    return folder.empty() ? std::filesystem::path(".") : folder;
}

// The pid in "<name>.tmp.<pid>.<rest>", or 0 when `entry` is not a temporary file of `name`.
pid_t writer_of(const std::string& entry, const std::string& name) {
    const std::string prefix = name + std::string(temporary_marker);
    if (entry.size() <= prefix.size() || entry.compare(0, prefix.size(), prefix) != 0) return 0;
    const std::size_t dot = entry.find('.', prefix.size());
    if (dot == std::string::npos || dot == prefix.size() || dot - prefix.size() > 9) return 0;
    pid_t pid = 0;
    for (std::size_t i = prefix.size(); i < dot; ++i) {
        if (entry[i] < '0' || entry[i] > '9') return 0;
        pid = pid * 10 + (entry[i] - '0');
    }
    return pid;
}

// A writer killed mid-write (SIGKILL, out of memory) leaves its temporary file behind; without this,
// a run killed over and over would fill the folder with them. Only files whose process no longer
// exists on this machine are removed, so a concurrent writer's file is never touched.
void remove_stale_temporaries(const std::filesystem::path& path) {
    const std::string name = path.filename().string();
    std::error_code error;
    std::filesystem::directory_iterator entry(folder_of(path), error), end;
    for (; !error && entry != end; entry.increment(error)) {
        const pid_t pid = writer_of(entry->path().filename().string(), name);
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge (EPERM)
        std::error_code ignored;
        std::filesystem::remove(entry->path(), ignored);
    }
}

// Owns the temporary file until commit(): destroying it uncommitted closes and removes the file.
class TemporaryFile {
public:
    TemporaryFile(const std::filesystem::path& target, std::filesystem::path temporary)
        : target_(target), temporary_(std::move(temporary)), pending_(temporary_) {
        do {
            descriptor_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        } while (descriptor_ < 0 && errno == EINTR);
        if (descriptor_ < 0) {
            const int error = errno;
            if (error == ENOENT && !std::filesystem::is_directory(folder_of(target)))
                throw FileError(target, "cannot write: the folder " + folder_of(target).string() + " does not exist");
            throw FileError(target, "cannot create the temporary file " + temporary_.string() + ": " +
                                        system_error_text(error));
        }
    }
    ~TemporaryFile() {
        if (descriptor_ >= 0) ::close(descriptor_);
        if (!committed_) ::unlink(temporary_.c_str());
        pending_.release();
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;

    int descriptor() const { return descriptor_; }
    const std::filesystem::path& path() const { return temporary_; }

    [[noreturn]] void fail(const std::string& step, int error) const {
        throw FileError(target_, step + " " + temporary_.string() + ": " + system_error_text(error));
    }

    // fsync, close, rename over the target; after this the target holds the new bytes.
    void commit() {
        if (::fsync(descriptor_) != 0) fail("cannot flush to disk", errno);
        const int descriptor = std::exchange(descriptor_, -1);
        // close() can report a deferred write error (NFS, quotas); the data is not safe if it does.
        if (::close(descriptor) != 0) fail("cannot close", errno);
        if (::rename(temporary_.c_str(), target_.c_str()) != 0) fail("cannot rename over the target", errno);
        committed_ = true;
        pending_.release();
    }

private:
    const std::filesystem::path& target_;
    std::filesystem::path temporary_;
    // Registered before the file exists, so that a second Ctrl-C at any moment removes it.
    PendingRemoval pending_;
    int descriptor_ = -1;
    bool committed_ = false;
};

// Makes a finished rename durable: the new directory entry is only on disk once the folder is flushed.
void sync_folder(const std::filesystem::path& target) {
    const std::filesystem::path folder = folder_of(target);
    int descriptor;
    do {
        descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (descriptor < 0 && errno == EINTR);
    if (descriptor < 0)
        throw FileError(target, "written, but cannot open its folder to flush it: " + system_error_text(errno));
    const int result = ::fsync(descriptor);
    const int error = errno;
    ::close(descriptor);
    if (result != 0) throw FileError(target, "written, but cannot flush its folder: " + system_error_text(error));
}

}  // namespace

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
    static std::atomic<std::uint64_t> counter{0};
    std::filesystem::path temporary = path;
    temporary += std::string(temporary_marker) + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    return temporary;
}

FileWriter::FileWriter(int descriptor, const std::filesystem::path& target, const std::filesystem::path& temporary)
    : descriptor_(descriptor), target_(target), temporary_(temporary) {
    buffer_.reserve(buffer_capacity);
}

void FileWriter::write(std::span<const std::byte> bytes) {
    if (buffer_.size() + bytes.size() > buffer_capacity) flush();
    if (bytes.size() >= buffer_capacity) {
        // Large blocks (tensor payloads) go straight to the file instead of through the buffer.
        write_all(bytes.data(), bytes.size());
        return;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void FileWriter::write(std::string_view text) {
    write(std::as_bytes(std::span(text.data(), text.size())));
}

void FileWriter::flush() {
    write_all(buffer_.data(), buffer_.size());
    buffer_.clear();
}

// write() may take fewer bytes than asked (signals, pipes, quotas) without it being an error.
void FileWriter::write_all(const std::byte* data, std::size_t count) {
    std::size_t done = 0;
    while (done < count) {
        const ssize_t put = ::write(descriptor_, data + done, count - done);
        if (put < 0) {
            if (errno == EINTR) continue;
            throw FileError(target_, "cannot write the temporary file " + temporary_.string() + ": " +
                                         system_error_text(errno));
        }
        if (put == 0)
            throw FileError(target_, "cannot write the temporary file " + temporary_.string() + ": no progress");
        done += static_cast<std::size_t>(put);
    }
    written_ += done;
}

void write_file_atomically(const std::filesystem::path& path, const std::function<void(FileWriter&)>& produce) {
    // In a job of several processes (nn/distributed.hpp) every process holds the same results, and
    // process 0 writes them: the others' copies would only race it, or litter their own machines.
    if (process_rank() != 0) return;
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
        throw FileError(path, "cannot write: a folder of that name exists");
    remove_stale_temporaries(path);
    TemporaryFile temporary(path, temporary_path_for(path));

    struct stat old {};
    if (::stat(path.c_str(), &old) == 0 && S_ISREG(old.st_mode) &&
        ::fchmod(temporary.descriptor(), old.st_mode & 07777) != 0)
        temporary.fail("cannot set the permissions of", errno);

    FileWriter writer(temporary.descriptor(), path, temporary.path());
    produce(writer);
    writer.flush();
    temporary.commit();
    sync_folder(path);
}

void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes) {
    write_file_atomically(path, [bytes](FileWriter& out) { out.write(bytes); });
}

}  // namespace smallnet
