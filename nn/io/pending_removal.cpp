#include "nn/io/pending_removal.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace smallnet {

namespace {

// A slot is free (0), being filled (1) or armed (2); the handler reads armed slots only. 64 slots
// cover every file a run has in flight (a staged set of outputs is about ten).
constexpr int slot_count = 64;
constexpr std::size_t path_capacity = 4096;

struct Slot {
    std::atomic<int> state{0};
    char path[path_capacity];
};

Slot slots[slot_count];

static_assert(std::atomic<int>::is_always_lock_free, "the signal handler must not wait on a lock");

}  // namespace

PendingRemoval::PendingRemoval(const std::filesystem::path& path) {
    const std::string& text = path.native();
    if (text.empty() || text.size() >= path_capacity) return;
    for (int i = 0; i < slot_count; ++i) {
        int expected = 0;
        if (!slots[i].state.compare_exchange_strong(expected, 1)) continue;
        std::memcpy(slots[i].path, text.c_str(), text.size() + 1);
        slots[i].state.store(2, std::memory_order_release);
        slot_ = i;
        return;
    }
}

PendingRemoval& PendingRemoval::operator=(PendingRemoval&& other) noexcept {
    if (this != &other) {
        release();
        slot_ = other.slot_;
        other.slot_ = -1;
    }
    return *this;
}

void PendingRemoval::release() noexcept {
    if (slot_ < 0) return;
    slots[slot_].state.store(0, std::memory_order_release);
    slot_ = -1;
}

void remove_pending_paths_now() noexcept {
    const int saved_errno = errno;
    for (Slot& slot : slots)
        if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path);
    // Folders inside other registered folders go first; a few passes settle any nesting.
    for (int pass = 0; pass < 8; ++pass) {
        bool removed = false;
        for (Slot& slot : slots)
            if (slot.state.load(std::memory_order_acquire) == 2 && ::rmdir(slot.path) == 0) removed = true;
        if (!removed) break;
    }
    errno = saved_errno;
}

}  // namespace smallnet
