#include "tensor/shape.hpp"

#include <stdexcept>

namespace smallnet {

namespace {
void check_dims(std::span<const std::int64_t> dims) {
    if (dims.size() > static_cast<std::size_t>(Shape::max_rank))
        throw std::invalid_argument("Shape: rank " + std::to_string(dims.size()) + " exceeds the maximum of " +
                                    std::to_string(Shape::max_rank));
    // The count of the non-zero dimensions must fit: numel() and every stride are products of them,
    // and a shape read from a file (safetensors: [2^40, 2^40, 0]) must not make them overflow.
    std::int64_t count = 1;
    for (std::int64_t d : dims) {
        if (d < 0) throw std::invalid_argument("Shape: negative dimension " + std::to_string(d));
        if (d != 0 && __builtin_mul_overflow(count, d, &count))
            throw std::invalid_argument("Shape: dimensions whose product exceeds 2^63 - 1 elements");
    }
}
}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::span<const std::int64_t>(dims.begin(), dims.size())) {}

Shape::Shape(std::span<const std::int64_t> dims) {
    check_dims(dims);
    rank_ = static_cast<int>(dims.size());
    for (int i = 0; i < rank_; ++i) dims_[i] = dims[i];
}

std::int64_t Shape::numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
}

int Shape::normalize_axis(int axis) const {
    const int normalized = axis < 0 ? axis + rank_ : axis;
    if (normalized < 0 || normalized >= rank_)
        throw std::out_of_range("axis " + std::to_string(axis) + " is out of range for shape " + to_string());
    return normalized;
}

bool Shape::operator==(const Shape& other) const {
    if (rank_ != other.rank_) return false;
    for (int i = 0; i < rank_; ++i)
        if (dims_[i] != other.dims_[i]) return false;
    return true;
}

std::string Shape::to_string() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) {
        if (i) s += ", ";
        s += std::to_string(dims_[i]);
    }
    return s + "]";
}

}  // namespace smallnet
