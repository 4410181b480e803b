#pragma once
// Shape: the dimensions of a tensor, stored inline (no heap allocation) up to rank 6.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

namespace smallnet {

class Shape {
public:
    static constexpr int max_rank = 6;

    Shape() = default;  // rank 0: a scalar
    Shape(std::initializer_list<std::int64_t> dims);
    explicit Shape(std::span<const std::int64_t> dims);

    int rank() const { return rank_; }
    std::int64_t operator[](int axis) const { return dims_[axis]; }
    std::int64_t& operator[](int axis) { return dims_[axis]; }
    const std::int64_t* begin() const { return dims_; }
    const std::int64_t* end() const { return dims_ + rank_; }

    // Product of the dimensions (1 for a scalar, 0 when any dimension is 0).
    std::int64_t numel() const;
    // Axis index with negative values counted from the end (-1 = last); throws when out of range.
    int normalize_axis(int axis) const;

    bool operator==(const Shape& other) const;
    bool operator!=(const Shape& other) const { return !(*this == other); }

    // "[256, 784]"
    std::string to_string() const;

private:
    std::int64_t dims_[max_rank] = {};
    int rank_ = 0;
};

}  // namespace smallnet
