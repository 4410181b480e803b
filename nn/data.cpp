#include "nn/data.hpp"

#include <cmath>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/elementwise.hpp"

namespace smallnet {

Data::Data(Tensor samples) {
    if (!samples.defined() || samples.rank() < 2)
        throw_shape_error("Data", samples.shape(), "samples must be a tensor of rank 2 or more [samples, ...]");
    const Shape& shape = samples.shape();
    sample_shape_ = Shape(std::span<const std::int64_t>(shape.begin() + 1, shape.end()));
    floats_ = samples.reshape(Shape{shape[0], sample_shape_.numel()});
}

Data::Data(ByteMatrix samples) : bytes_(std::move(samples)), is_bytes_(true), sample_shape_{bytes_.columns()} {}

Data::Data(const std::vector<std::uint8_t>& labels)
    : Data(ByteMatrix(labels, static_cast<std::int64_t>(labels.size()), 1, 1.0f)) {}

Data Data::reshape_samples(const Shape& sample_shape) const {
    if (sample_shape.rank() == 0 || sample_shape.numel() != columns())
        throw std::invalid_argument("Data::reshape_samples: samples of shape " + sample_shape_.to_string() +
                                    " cannot be seen as " + sample_shape.to_string() + ": the value counts differ");
    Data reshaped = *this;
    reshaped.sample_shape_ = sample_shape;
    return reshaped;
}

Tensor Data::shaped(const Tensor& flat) const {
    if (sample_shape_.rank() == 1) return flat;
    std::int64_t dims[Shape::max_rank + 1];
    dims[0] = flat.size(0);
    std::copy(sample_shape_.begin(), sample_shape_.end(), dims + 1);
    return flat.reshape(Shape(std::span<const std::int64_t>(dims, static_cast<std::size_t>(sample_shape_.rank()) + 1)));
}

std::int64_t Data::rows() const { return is_bytes_ ? bytes_.rows() : (floats_.defined() ? floats_.size(0) : 0); }
std::int64_t Data::columns() const { return is_bytes_ ? bytes_.columns() : (floats_.defined() ? floats_.size(1) : 0); }

Data Data::slice(std::int64_t begin, std::int64_t end) const {
    Data part = *this;
    if (is_bytes_) part.bytes_ = bytes_.row_range(begin, end);
    else part.floats_ = floats_.rows(begin, end);
    return part;
}

bool Data::same_as(const Data& other) const {
    if (is_bytes_ != other.is_bytes_ || rows() != other.rows() || sample_shape_ != other.sample_shape_) return false;
    return is_bytes_ ? bytes_.data() == other.bytes_.data() && bytes_.scale() == other.bytes_.scale()
                     : floats_.data() == other.floats_.data();
}

namespace {
// The first `rows` rows of `buffer`, made [rows, columns] first if it is smaller or another width: a
// set's shorter last batch goes into the buffer of the others rather than into a new one, which
// would be live beside it (a PCA's 4096-image batches are 13 MB each).
Tensor sized(Tensor& buffer, std::int64_t rows, std::int64_t columns) {
    if (!buffer.defined() || buffer.rank() != 2 || buffer.size(1) != columns || buffer.size(0) < rows)
        buffer = Tensor(Shape{rows, columns});
    return buffer.rows(0, rows);
}
}  // namespace

Tensor Data::batch(std::int64_t begin, std::int64_t end, Tensor& buffer) const {
    if (!is_bytes_) return shaped(floats_.rows(begin, end));
    Tensor out = sized(buffer, end - begin, columns());
    const ByteMatrix part = bytes_.row_range(begin, end);
    convert_u8(part.data(), part.rows() * part.columns(), part.scale(), out.data());
    return shaped(out);
}

Tensor Data::gather(const std::int64_t* indices, std::int64_t count, Tensor& buffer, BatchReader reader) const {
    Tensor out = sized(buffer, count, columns());
    if (is_bytes_) {
        bytes_.gather_rows(indices, count, out, reader);
        return shaped(out);
    }
    const std::int64_t width = columns();
    for (std::int64_t i = 0; i < count; ++i)
        std::memcpy(out.data() + i * width, floats_.data() + indices[i] * width, static_cast<std::size_t>(width) * sizeof(float));
    return shaped(out);
}

void Data::prefetch(const std::int64_t* indices, std::int64_t count) const {
    if (is_bytes_) bytes_.prefetch_rows(indices, count);
}

std::optional<std::pair<std::int64_t, std::int64_t>> Data::first_non_finite() const {
    if (is_bytes_ || !floats_.defined()) return std::nullopt;
    const std::int64_t columns = floats_.size(1);
    for (std::int64_t row = 0; row < floats_.size(0); ++row) {
        const float* values = floats_.data() + row * columns;
        for (std::int64_t column = 0; column < columns; ++column)
            if (!std::isfinite(values[column])) return std::pair{row, column};
    }
    return std::nullopt;
}

}  // namespace smallnet
