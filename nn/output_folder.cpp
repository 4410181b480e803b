#include "nn/output_folder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <system_error>

#include "nn/distributed.hpp"
#include "nn/interrupt.hpp"
#include "nn/io/file_error.hpp"
#include "nn/program.hpp"

namespace smallnet {

namespace {

const std::string staging_prefix = ".smallnet-staging.";

// A run killed outright (SIGKILL, a power cut) leaves its staging folder; the next run into the same
// folder removes those whose process is gone.
void remove_stale_staging(const std::filesystem::path& folder) {
    std::error_code error;
    std::filesystem::directory_iterator entry(folder, error), end;
    for (; !error && entry != end; entry.increment(error)) {
        const std::string name = entry->path().filename().string();
        if (name.compare(0, staging_prefix.size(), staging_prefix) != 0) continue;
        pid_t pid = 0;
        try {
            pid = static_cast<pid_t>(std::stol(name.substr(staging_prefix.size())));
        } catch (const std::exception&) {
            continue;
        }
        if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
        std::error_code ignored;
        std::filesystem::remove_all(entry->path(), ignored);
    }
}

void sync_folder(const std::filesystem::path& folder) {
    const int descriptor = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (descriptor < 0) throw FileError(folder, "cannot open the folder to flush it: " + system_error_text(errno));
    const int result = ::fsync(descriptor);
    const int error = errno;
    ::close(descriptor);
    if (result != 0) throw FileError(folder, "cannot flush the folder: " + system_error_text(error));
}

// The folders of `folder`'s path that do not exist yet, outermost first.
std::vector<std::filesystem::path> missing_folders(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> missing;
    std::error_code error;
    for (std::filesystem::path p = std::filesystem::absolute(folder, error); !p.empty() && !std::filesystem::exists(p, error);
         p = p.parent_path()) {
        missing.insert(missing.begin(), p);
        if (p == p.root_path()) break;
    }
    return missing;
}

std::string joined(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
    return text;
}

}  // namespace

OutputFolder::OutputFolder(std::filesystem::path folder, std::vector<std::string> expected)
    : folder_(std::move(folder)), expected_(std::move(expected)) {
    if (folder_.empty()) folder_ = ".";
    // In a job of several processes only process 0 writes into the folder (and checks it); the others
    // stage their copies of the same files in a temporary folder of their own and drop them at commit.
    if (process_rank() != 0) return;
    std::error_code error;
    if (std::filesystem::exists(folder_, error) && !std::filesystem::is_directory(folder_, error))
        throw FileError(folder_, "cannot be the output folder: a file of that name is in the way");
    // A folder that takes no files (permissions, a read-only mount, /sys) is reported now, not after
    // the whole training run: make_output_folder makes it and a file in it, and what it made is
    // removed again, as nothing is to be left before the first output.
    const std::vector<std::filesystem::path> made = missing_folders(folder_);
    const auto undo = [&] {
        for (auto p = made.rbegin(); p != made.rend(); ++p) ::rmdir(p->c_str());
    };
    try {
        make_output_folder(folder_);
    } catch (...) {
        undo();
        throw;
    }
    undo();
}

void OutputFolder::create() {
    if (process_rank() != 0) {
        std::error_code error;
        staging_ = std::filesystem::temp_directory_path(error) / (staging_prefix + std::to_string(::getpid()));
        pending_.emplace_back(staging_);
        if (error || (::mkdir(staging_.c_str(), 0700) != 0 && errno != EEXIST))
            throw FileError(staging_, "cannot create process " + std::to_string(process_rank()) +
                                          "'s staging folder: " + (error ? error.message() : system_error_text(errno)));
        return;
    }
    // The folders this run creates, so that a failed run can remove them again.
    for (const std::filesystem::path& p : missing_folders(folder_)) {
        pending_.emplace_back(p);  // registered before it exists: a second Ctrl-C removes it if empty
        if (::mkdir(p.c_str(), 0777) != 0 && errno != EEXIST)
            throw FileError(folder_, "cannot create the output folder (" + p.string() + "): " + system_error_text(errno));
        created_.insert(created_.begin(), p);
    }
    std::error_code error;
    if (!std::filesystem::is_directory(folder_, error)) throw FileError(folder_, "not a folder");
    remove_stale_staging(folder_);
    staging_ = folder_ / (staging_prefix + std::to_string(::getpid()));
    pending_.emplace_back(staging_);
    if (::mkdir(staging_.c_str(), 0777) != 0 && errno != EEXIST)
        throw FileError(folder_, "cannot write into the output folder (creating " + staging_.filename().string() +
                                     "): " + system_error_text(errno));
}

std::filesystem::path OutputFolder::file(const std::string& name) {
    if (committed_) throw std::logic_error("OutputFolder " + folder_.string() + ": " + name + " after commit()");
    if (staging_.empty()) create();
    const std::filesystem::path path = staging_ / name;
    for (const std::string& staged : staged_)
        if (staged == name) return path;  // written again: replaces the staged one
    staged_.push_back(name);
    pending_.emplace_back(path);
    return path;
}

void OutputFolder::commit() {
    committed_ = true;
    if (staging_.empty()) return;
    if (process_rank() != 0) {  // process 0 puts the same files in place
        discard();
        return;
    }
    std::vector<std::string> moved;
    for (std::size_t i = 0; i < staged_.size(); ++i) {
        const std::string& name = staged_[i];
        std::error_code error;
        if (!std::filesystem::exists(staging_ / name, error)) continue;  // asked for, never written
        if (::rename((staging_ / name).c_str(), (folder_ / name).c_str()) != 0) {
            const int failure = errno;
            // This one and those after it (a name asked for but never written is listed too).
            const std::vector<std::string> left(staged_.begin() + static_cast<std::ptrdiff_t>(i), staged_.end());
            discard();
            throw FileError(folder_ / name, "cannot move into place: " + system_error_text(failure) +
                                                (moved.empty() ? std::string() : "; replaced: " + joined(moved)) +
                                                "; not replaced: " + joined(left));
        }
        moved.push_back(name);
    }
    staged_ = moved;
    ::rmdir(staging_.c_str());
    pending_.clear();  // everything is in place: nothing left to remove on a second Ctrl-C
    created_.clear();
    sync_folder(folder_);
}

void OutputFolder::discard() noexcept {
    std::error_code ignored;
    if (!staging_.empty()) std::filesystem::remove_all(staging_, ignored);
    for (const std::filesystem::path& p : created_) ::rmdir(p.c_str());  // only while empty
    created_.clear();
    pending_.clear();
}

OutputFolder::~OutputFolder() {
    if (committed_) return;
    if (process_rank() != 0) {  // its copies go; process 0 says what the folder holds
        discard();
        return;
    }
    if (stop_requested()) {
        // Stopped by Ctrl-C: the staged files are whole (each was written atomically) and hold what
        // was trained, so they go in place.
        try {
            commit();
            if (!staged_.empty()) add_error_note("wrote " + folder_.string() + ": " + joined(staged_));
        } catch (const std::exception& error) {
            add_error_note(error.what());
        }
        return;
    }
    discard();
    std::vector<std::string> kept;
    std::vector<std::string> names = expected_;
    for (const std::string& name : staged_)
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    std::error_code error;
    for (const std::string& name : names)
        if (std::filesystem::is_regular_file(folder_ / name, error)) kept.push_back(name);
    add_error_note(kept.empty() ? "nothing was written to " + folder_.string()
                                : "nothing was written to " + folder_.string() + "; its files from before are unchanged: " +
                                      joined(kept));
}

}  // namespace smallnet
