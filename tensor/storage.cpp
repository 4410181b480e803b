#include "tensor/storage.hpp"

#include <atomic>
#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mutex>
#include <stdexcept>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

namespace smallnet {

namespace {

// Freed blocks are kept by exact size (rounded up to the alignment) so the next tensor of that size
// reuses one; the cache is bounded so a program that walks through many sizes does not hoard memory.
class StorageCache {
public:
    static constexpr std::size_t max_bytes = std::size_t{256} << 20;

    // A block of `bytes` freed by this thread if there is one (its lines are likely still in this
    // core's cache, where a block last written on another core would first have to be fetched from
    // it: fit's two row blocks allocate the same sizes on two threads), else any; null when none.
    void* take(std::size_t bytes, const void* thread) {
        std::lock_guard lock(mutex_);
        auto it = free_blocks_.find(bytes);
        if (it == free_blocks_.end() || it->second.empty()) return nullptr;
        auto& blocks = it->second;
        std::size_t chosen = blocks.size() - 1;
        for (std::size_t i = blocks.size(); i-- > 0;)
            if (blocks[i].thread == thread) {
                chosen = i;
                break;
            }
        void* block = blocks[chosen].block;
        blocks.erase(blocks.begin() + static_cast<std::ptrdiff_t>(chosen));
        cached_bytes_ -= bytes;
        return block;
    }

    // False when the cache is full and the caller must free the block itself.
    bool give(void* block, std::size_t bytes, const void* thread) {
        std::lock_guard lock(mutex_);
        if (cached_bytes_ + bytes > max_bytes) return false;
        free_blocks_[bytes].push_back({block, thread});
        cached_bytes_ += bytes;
        return true;
    }

    std::size_t cached_bytes() {
        std::lock_guard lock(mutex_);
        return cached_bytes_;
    }

    void release_all() {
        std::lock_guard lock(mutex_);
        for (auto& [bytes, blocks] : free_blocks_)
            for (const FreeBlock& free_block : blocks) std::free(free_block.block);
        free_blocks_.clear();
        cached_bytes_ = 0;
    }

    ~StorageCache() { release_all(); }

private:
    struct FreeBlock {
        void* block;
        const void* thread;  // the thread that freed it (this_thread's token)
    };
    std::mutex mutex_;
    std::unordered_map<std::size_t, std::vector<FreeBlock>> free_blocks_;
    std::size_t cached_bytes_ = 0;
};

StorageCache& cache() {
    // Never destroyed: tensors in other static objects may be released after main returns.
    static StorageCache* instance = new StorageCache;
    return *instance;
}

std::atomic<std::int64_t> live_storages{0};

// A token for the calling thread: the address of one of its thread-locals.
const void* this_thread() {
    thread_local const char token = 0;
    return &token;
}

std::size_t block_bytes(std::int64_t count) {
    const std::size_t data_bytes = static_cast<std::size_t>(count) * sizeof(float);
    return 64 + (data_bytes + tensor_alignment - 1) / tensor_alignment * tensor_alignment;
}

}  // namespace

Storage* Storage::allocate(std::int64_t count) {
    if (count < 0) throw std::invalid_argument("Storage: negative element count " + std::to_string(count));
    const std::size_t bytes = block_bytes(count);
    void* block = cache().take(bytes, this_thread());
    if (!block) block = std::aligned_alloc(tensor_alignment, bytes);
    if (!block) throw std::bad_alloc();
    live_storages.fetch_add(1, std::memory_order_relaxed);
    return new (block) Storage(count);
}

void Storage::release() {
    if (references_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    const std::size_t bytes = block_bytes(capacity_);
    this->~Storage();
    live_storages.fetch_sub(1, std::memory_order_relaxed);
    if (!cache().give(this, bytes, this_thread())) std::free(this);
}

std::int64_t live_storage_count() { return live_storages.load(std::memory_order_relaxed); }

std::size_t storage_cache_bytes() { return cache().cached_bytes(); }
void release_storage_cache() {
    cache().release_all();
#ifdef __GLIBC__
    // glibc keeps freed blocks below its mmap threshold in its heap, still resident, and the threshold
    // rises to 32 MB once a block that large is freed (a data set read into a growing vector): without
    // the trim, a PCA's released 13 MB batches stayed in the process's memory to its end.
    malloc_trim(0);
#endif
}

}  // namespace smallnet
