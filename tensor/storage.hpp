#pragma once
// Storage: a reference-counted, 64-byte-aligned float buffer shared by a tensor and its views.
//
// Buffers come from a size-keyed cache: a training step that frees and re-creates tensors of the
// same sizes every step reuses the same blocks, so it allocates nothing from the system in steady
// state.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace smallnet {

inline constexpr std::size_t tensor_alignment = 64;  // bytes: one cache line, one AVX-512 register

class Storage {
public:
    // A new buffer of `count` floats (contents unspecified), with a reference count of 1.
    static Storage* allocate(std::int64_t count);

    void retain() { references_.fetch_add(1, std::memory_order_relaxed); }
    void release();

    float* data() { return reinterpret_cast<float*>(reinterpret_cast<std::byte*>(this) + header_bytes); }
    std::int64_t capacity() const { return capacity_; }

private:
    static constexpr std::size_t header_bytes = tensor_alignment;
    explicit Storage(std::int64_t capacity) : capacity_(capacity) {}

    std::atomic<std::int64_t> references_{1};
    std::int64_t capacity_;
};
static_assert(sizeof(Storage) <= tensor_alignment, "the storage header must fit before the aligned data");

// Buffers allocated and not yet released, in all threads (cached blocks do not count): how tests see
// that repeated training steps free what they allocate.
std::int64_t live_storage_count();
// Bytes currently held in the storage cache (blocks freed by tensors and kept for reuse).
std::size_t storage_cache_bytes();
// Returns every cached block to the system (and, under glibc, the free pages malloc holds).
void release_storage_cache();

}  // namespace smallnet
