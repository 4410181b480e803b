#pragma once
// Tensor: an N-dimensional float32 array, row-major and contiguous, whose storage is shared by its views.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "tensor/shape.hpp"
#include "tensor/storage.hpp"

namespace smallnet {

class Tensor {
public:
    // An undefined tensor (no storage); defined() is false.
    Tensor() = default;
    // A new tensor of the given shape with unspecified contents (see zeros() for a cleared one).
    explicit Tensor(const Shape& shape);

    Tensor(const Tensor& other);
    Tensor(Tensor&& other) noexcept;
    Tensor& operator=(const Tensor& other);
    Tensor& operator=(Tensor&& other) noexcept;
    ~Tensor();

    bool defined() const { return storage_ != nullptr; }
    const Shape& shape() const { return shape_; }
    int rank() const { return shape_.rank(); }
    std::int64_t size(int axis) const { return shape_[shape_.normalize_axis(axis)]; }
    std::int64_t numel() const { return shape_.numel(); }

    // The first element; 64-byte aligned for a tensor that starts its storage.
    float* data() { return storage_ ? storage_->data() + offset_ : nullptr; }
    const float* data() const { return storage_ ? storage_->data() + offset_ : nullptr; }
    std::span<float> values() { return {data(), static_cast<std::size_t>(numel())}; }
    std::span<const float> values() const { return {data(), static_cast<std::size_t>(numel())}; }

    // Rows [begin, end) along axis 0, as a view sharing this tensor's storage (a batch of a data set).
    Tensor rows(std::int64_t begin, std::int64_t end) const;
    // The same elements with another shape, as a view; one dimension may be -1 (inferred).
    Tensor reshape(std::initializer_list<std::int64_t> dims) const;
    Tensor reshape(const Shape& shape) const;
    // A copy with storage of its own.
    Tensor clone() const;
    // Copies the values of `source`, whose shape must equal this one's.
    void copy_from(const Tensor& source);
    void fill(float value);

    // The value of a one-element tensor.
    float item() const;
    // The element at a full index, bounds-checked (for tests and small programs, not for loops).
    float at(std::initializer_list<std::int64_t> index) const;
    float& at(std::initializer_list<std::int64_t> index);

    bool shares_storage_with(const Tensor& other) const {
        return storage_ != nullptr && storage_ == other.storage_;
    }

private:
    Tensor(Storage* storage, std::int64_t offset, const Shape& shape);
    std::int64_t flat_index(std::initializer_list<std::int64_t> index) const;

    Storage* storage_ = nullptr;
    std::int64_t offset_ = 0;  // in elements
    Shape shape_;
};

// "what: shape [a, b] and shape [c, d]" messages for shape errors, thrown as std::invalid_argument.
[[noreturn]] void throw_shape_error(const std::string& op, const Shape& a, const Shape& b, const std::string& why);
[[noreturn]] void throw_shape_error(const std::string& op, const Shape& a, const std::string& why);

}  // namespace smallnet
