#include "nn/byte_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tensor/elementwise.hpp"

namespace smallnet {

ByteMatrix::ByteMatrix(std::vector<std::uint8_t> bytes, std::int64_t rows, std::int64_t columns, float scale)
    : rows_(rows), columns_(columns), scale_(scale) {
    if (rows < 0 || columns < 0 || static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(columns) != bytes.size())
        throw std::invalid_argument("ByteMatrix: " + std::to_string(bytes.size()) + " bytes do not make " +
                                    std::to_string(rows) + " rows of " + std::to_string(columns));
    bytes_ = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

ByteMatrix ByteMatrix::row_range(std::int64_t begin, std::int64_t end) const {
    if (begin < 0 || end < begin || end > rows_)
        throw std::out_of_range("ByteMatrix::row_range: [" + std::to_string(begin) + ", " + std::to_string(end) +
                                ") is outside the " + std::to_string(rows_) + " rows");
    ByteMatrix view = *this;
    view.offset_ = offset_ + begin * columns_;
    view.rows_ = end - begin;
    return view;
}

ByteMatrix ByteMatrix::with_scale(float scale) const {
    ByteMatrix view = *this;
    view.scale_ = scale;
    return view;
}

ByteMatrix ByteMatrix::from_floats(const Tensor& values, float scale) {
    if (values.rank() < 2) throw_shape_error("ByteMatrix::from_floats", values.shape(), "needs rows: [rows, ...]");
    if (!(scale > 0.0f)) throw std::invalid_argument("ByteMatrix::from_floats: the scale must be positive");
    const std::int64_t rows = values.size(0), columns = rows > 0 ? values.numel() / rows : 0;
    const Tensor contiguous = values.clone();
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(values.numel()));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const float level = std::nearbyint(contiguous.data()[i] / scale);
        bytes[i] = static_cast<std::uint8_t>(std::isnan(level) ? 0.0f : std::clamp(level, 0.0f, 255.0f));
    }
    return ByteMatrix(std::move(bytes), rows, columns, scale);
}

Tensor ByteMatrix::to_tensor() const {
    Tensor out(Shape{rows_, columns_});
    convert_u8(data(), rows_ * columns_, scale_, out.data());
    return out;
}

void ByteMatrix::gather_rows(const std::int64_t* indices, std::int64_t count, Tensor& out, BatchReader reader) const {
    if (out.shape() != Shape{count, columns_})
        throw_shape_error("gather_rows", out.shape(), Shape{count, columns_}, "the output must be [count, columns]");
    for (std::int64_t i = 0; i < count; ++i)
        if (indices[i] < 0 || indices[i] >= rows_)
            throw std::out_of_range("gather_rows: row " + std::to_string(indices[i]) + " of " + std::to_string(rows_));
    convert_u8_rows(data(), columns_, indices, count, scale_, out.data(), reader);
}

void ByteMatrix::prefetch_rows(const std::int64_t* indices, std::int64_t count) const {
    for (std::int64_t i = 0; i < count; ++i)
        if (indices[i] >= 0 && indices[i] < rows_) prefetch_bytes(row(indices[i]), columns_, false);  // gather_rows reports bad indices
}

}  // namespace smallnet
