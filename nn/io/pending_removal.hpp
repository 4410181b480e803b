#pragma once
// PendingRemoval: a path the process must remove if it is stopped at once (a second Ctrl-C): a
// temporary file being written, an output staged but not yet moved into place, a folder the run
// created. The list lives in fixed static slots, so that remove_pending_paths_now() can run inside a
// signal handler (it only calls unlink and rmdir), and registering takes no lock the handler could
// wait on.

#include <filesystem>

namespace smallnet {

class PendingRemoval {
public:
    PendingRemoval() = default;
    // Registers `path` (a file or a folder); with every slot taken, or a path too long for one, the
    // path is simply not registered (a later run removes stale temporary files anyway).
    explicit PendingRemoval(const std::filesystem::path& path);
    ~PendingRemoval() { release(); }
    PendingRemoval(PendingRemoval&& other) noexcept : slot_(other.slot_) { other.slot_ = -1; }
    PendingRemoval& operator=(PendingRemoval&& other) noexcept;
    PendingRemoval(const PendingRemoval&) = delete;
    PendingRemoval& operator=(const PendingRemoval&) = delete;

    // The path is no longer to be removed (it was renamed into place, or removed already).
    void release() noexcept;
    bool registered() const { return slot_ >= 0; }

private:
    int slot_ = -1;
};

// Removes every registered path: files first, then folders (deepest first: a folder is only removed
// once empty, so a folder that holds other files stays). Async-signal-safe.
void remove_pending_paths_now() noexcept;

}  // namespace smallnet
