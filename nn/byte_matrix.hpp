#pragma once
// ByteMatrix: a [rows, columns] matrix of uint8 values (images, one per row) with a scale, shared by
// its row views. A data set of images stays in bytes; each batch is converted to floats
// (value · scale) when it is used, so training never holds a float copy of the whole set.

#include <cstdint>
#include <memory>
#include <vector>

#include "tensor/elementwise.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class ByteMatrix {
public:
    ByteMatrix() = default;
    // Takes the bytes (rows · columns of them, row-major).
    ByteMatrix(std::vector<std::uint8_t> bytes, std::int64_t rows, std::int64_t columns, float scale = 1.0f);
    // Floats [rows, ...] as bytes of the given scale: each value / scale rounded to nearest and clamped
    // to 0-255 (a model's images in [0, 1] as pixels, scale 1/255), rows of the remaining axes' size.
    static ByteMatrix from_floats(const Tensor& values, float scale);

    std::int64_t rows() const { return rows_; }
    std::int64_t columns() const { return columns_; }
    float scale() const { return scale_; }
    const std::uint8_t* data() const { return bytes_ ? bytes_->data() + offset_ : nullptr; }
    const std::uint8_t* row(std::int64_t index) const { return data() + index * columns_; }

    // Rows [begin, end), sharing the bytes.
    ByteMatrix row_range(std::int64_t begin, std::int64_t end) const;
    // The same bytes with another scale (1/255 turns pixels into [0, 1]).
    ByteMatrix with_scale(float scale) const;
    // value · scale as floats, [rows, columns] (allocates; for small sets and tests).
    Tensor to_tensor() const;
    // Rows `indices[0..count)` converted into `out`, which must be [count, columns], stored for
    // `reader` (tensor/elementwise.hpp).
    void gather_rows(const std::int64_t* indices, std::int64_t count, Tensor& out,
                     BatchReader reader = BatchReader::other_threads) const;
    // Asks the memory system for rows `indices[0..count)` without waiting for them, so that a later
    // gather_rows finds them in cache (fit does it for the next batch before computing this one).
    void prefetch_rows(const std::int64_t* indices, std::int64_t count) const;

private:
    std::shared_ptr<const std::vector<std::uint8_t>> bytes_;
    std::int64_t offset_ = 0;
    std::int64_t rows_ = 0;
    std::int64_t columns_ = 0;
    float scale_ = 1.0f;
};

}  // namespace smallnet
