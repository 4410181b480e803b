#pragma once
// AlignedBuffer: a 64-byte-aligned scratch array that grows to the largest size asked for and is then
// reused, so the packing of a steady stream of products allocates nothing (internal header).

#include <cstddef>
#include <cstdint>
#include <new>

namespace smallnet::detail {

template <class T>
class AlignedBuffer {
public:
    AlignedBuffer() = default;
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    ~AlignedBuffer() { release(); }

    // Room for `count` elements; the old contents are lost when it grows.
    T* reserve(std::int64_t count) {
        if (count > capacity_) {
            release();
            data_ = static_cast<T*>(
                ::operator new(static_cast<std::size_t>(count) * sizeof(T), std::align_val_t{alignment}));
            capacity_ = count;
        }
        return data_;
    }

    std::int64_t capacity() const { return capacity_; }

private:
    static constexpr std::size_t alignment = 64;
    void release() {
        if (data_) ::operator delete(data_, std::align_val_t{alignment});
        data_ = nullptr;
        capacity_ = 0;
    }
    T* data_ = nullptr;
    std::int64_t capacity_ = 0;
};

}  // namespace smallnet::detail
