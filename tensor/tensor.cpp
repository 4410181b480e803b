#include "tensor/tensor.hpp"

#include <cstring>
#include <stdexcept>
#include <utility>

namespace smallnet {

Tensor::Tensor(const Shape& shape) : storage_(Storage::allocate(shape.numel())), shape_(shape) {}

Tensor::Tensor(Storage* storage, std::int64_t offset, const Shape& shape)
    : storage_(storage), offset_(offset), shape_(shape) {
    if (storage_) storage_->retain();
}

Tensor::Tensor(const Tensor& other) : Tensor(other.storage_, other.offset_, other.shape_) {}

Tensor::Tensor(Tensor&& other) noexcept
    : storage_(std::exchange(other.storage_, nullptr)), offset_(other.offset_), shape_(other.shape_) {}

Tensor& Tensor::operator=(const Tensor& other) {
    if (this != &other) {
        if (other.storage_) other.storage_->retain();
        if (storage_) storage_->release();
        storage_ = other.storage_;
        offset_ = other.offset_;
        shape_ = other.shape_;
    }
    return *this;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
    if (this != &other) {
        if (storage_) storage_->release();
        storage_ = std::exchange(other.storage_, nullptr);
        offset_ = other.offset_;
        shape_ = other.shape_;
    }
    return *this;
}

Tensor::~Tensor() {
    if (storage_) storage_->release();
}

Tensor Tensor::rows(std::int64_t begin, std::int64_t end) const {
    if (rank() == 0) throw_shape_error("rows", shape_, "a scalar has no rows");
    if (begin < 0 || end < begin || end > shape_[0])
        throw std::out_of_range("rows: range [" + std::to_string(begin) + ", " + std::to_string(end) +
                                ") is outside the " + std::to_string(shape_[0]) + " rows of shape " +
                                shape_.to_string());
    Shape view_shape = shape_;
    view_shape[0] = end - begin;
    const std::int64_t row_elements = shape_[0] == 0 ? 0 : numel() / shape_[0];
    return Tensor(storage_, offset_ + begin * row_elements, view_shape);
}

Tensor Tensor::reshape(std::initializer_list<std::int64_t> dims) const {
    if (dims.size() > static_cast<std::size_t>(Shape::max_rank))
        throw std::invalid_argument("reshape: rank " + std::to_string(dims.size()) + " exceeds the maximum");
    std::int64_t known = 1;
    int inferred = -1;
    std::int64_t resolved[Shape::max_rank];
    int axis = 0;
    for (std::int64_t d : dims) {
        if (d == -1) {
            if (inferred >= 0) throw std::invalid_argument("reshape: more than one dimension is -1");
            inferred = axis;
        } else {
            if (d < 0) throw std::invalid_argument("reshape: negative dimension " + std::to_string(d));
            known *= d;
        }
        resolved[axis++] = d;
    }
    if (inferred >= 0) {
        if (known == 0 || numel() % known != 0)
            throw_shape_error("reshape", shape_, "cannot infer the -1 dimension: " + std::to_string(numel()) +
                                                     " elements do not divide by " + std::to_string(known));
        resolved[inferred] = numel() / known;
    }
    return reshape(Shape(std::span<const std::int64_t>(resolved, dims.size())));
}

Tensor Tensor::reshape(const Shape& shape) const {
    if (shape.numel() != numel()) throw_shape_error("reshape", shape_, shape, "element counts differ");
    return Tensor(storage_, offset_, shape);
}

Tensor Tensor::clone() const {
    if (!defined()) return Tensor();
    Tensor copy(shape_);
    copy.copy_from(*this);
    return copy;
}

void Tensor::copy_from(const Tensor& source) {
    if (source.shape_ != shape_) throw_shape_error("copy_from", shape_, source.shape_, "shapes differ");
    if (numel() > 0 && data() != source.data())
        std::memmove(data(), source.data(), static_cast<std::size_t>(numel()) * sizeof(float));
}

void Tensor::fill(float value) {
    float* p = data();
    for (std::int64_t i = 0, n = numel(); i < n; ++i) p[i] = value;
}

float Tensor::item() const {
    if (numel() != 1) throw_shape_error("item", shape_, "item() needs exactly one element");
    return data()[0];
}

std::int64_t Tensor::flat_index(std::initializer_list<std::int64_t> index) const {
    if (static_cast<int>(index.size()) != rank())
        throw std::out_of_range("at: " + std::to_string(index.size()) + " indices for shape " + shape_.to_string());
    std::int64_t flat = 0;
    int axis = 0;
    for (std::int64_t i : index) {
        if (i < 0 || i >= shape_[axis])
            throw std::out_of_range("at: index " + std::to_string(i) + " on axis " + std::to_string(axis) +
                                    " is outside shape " + shape_.to_string());
        flat = flat * shape_[axis] + i;
        ++axis;
    }
    return flat;
}

float Tensor::at(std::initializer_list<std::int64_t> index) const { return data()[flat_index(index)]; }
float& Tensor::at(std::initializer_list<std::int64_t> index) { return data()[flat_index(index)]; }

void throw_shape_error(const std::string& op, const Shape& a, const Shape& b, const std::string& why) {
    throw std::invalid_argument(op + ": shape " + a.to_string() + " and shape " + b.to_string() + ": " + why);
}

void throw_shape_error(const std::string& op, const Shape& a, const std::string& why) {
    throw std::invalid_argument(op + ": shape " + a.to_string() + ": " + why);
}

}  // namespace smallnet
