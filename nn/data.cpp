#include "nn/data.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

#include "tensor/elementwise.hpp"

namespace smallnet {

Data::Data(Tensor samples) : floats_(std::move(samples)) {
    if (floats_.rank() != 2)
        throw_shape_error("Data", floats_.shape(), "samples must be a rank-2 tensor [samples, features]");
}

Data::Data(ByteMatrix samples) : bytes_(std::move(samples)), is_bytes_(true) {}

std::int64_t Data::rows() const { return is_bytes_ ? bytes_.rows() : (floats_.defined() ? floats_.size(0) : 0); }
std::int64_t Data::columns() const { return is_bytes_ ? bytes_.columns() : (floats_.defined() ? floats_.size(1) : 0); }

Data Data::slice(std::int64_t begin, std::int64_t end) const {
    return is_bytes_ ? Data(bytes_.row_range(begin, end)) : Data(floats_.rows(begin, end));
}

bool Data::same_as(const Data& other) const {
    if (is_bytes_ != other.is_bytes_ || rows() != other.rows() || columns() != other.columns()) return false;
    return is_bytes_ ? bytes_.data() == other.bytes_.data() && bytes_.scale() == other.bytes_.scale()
                     : floats_.data() == other.floats_.data();
}

namespace {
Tensor& sized(Tensor& buffer, std::int64_t rows, std::int64_t columns) {
    if (!buffer.defined() || buffer.shape() != Shape{rows, columns}) buffer = Tensor(Shape{rows, columns});
    return buffer;
}
}  // namespace

Tensor Data::batch(std::int64_t begin, std::int64_t end, Tensor& buffer) const {
    if (!is_bytes_) return floats_.rows(begin, end);
    Tensor& out = sized(buffer, end - begin, columns());
    const ByteMatrix part = bytes_.row_range(begin, end);
    convert_u8(part.data(), part.rows() * part.columns(), part.scale(), out.data());
    return out;
}

Tensor Data::gather(const std::int64_t* indices, std::int64_t count, Tensor& buffer) const {
    Tensor& out = sized(buffer, count, columns());
    if (is_bytes_) {
        bytes_.gather_rows(indices, count, out);
        return out;
    }
    const std::int64_t width = columns();
    for (std::int64_t i = 0; i < count; ++i)
        std::memcpy(out.data() + i * width, floats_.data() + indices[i] * width, static_cast<std::size_t>(width) * sizeof(float));
    return out;
}

void Data::prefetch(const std::int64_t* indices, std::int64_t count) const {
    if (is_bytes_) bytes_.prefetch_rows(indices, count);
}

}  // namespace smallnet
