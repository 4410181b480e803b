#pragma once
// Data: what fit, evaluate and predict read: a float tensor [samples, features], or a ByteMatrix of
// scaled bytes (images) converted batch by batch. Batches of unshuffled float data are views.

#include <cstdint>

#include "nn/byte_matrix.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class Data {
public:
    Data() = default;
    Data(Tensor samples);
    Data(ByteMatrix samples);

    bool empty() const { return rows() == 0; }
    std::int64_t rows() const;
    std::int64_t columns() const;
    // Rows [begin, end) as a data set of its own (a view).
    Data slice(std::int64_t begin, std::int64_t end) const;
    // Whether both are the same samples (then an autoencoder's input batch is also its target).
    bool same_as(const Data& other) const;

    // Rows [begin, end) as floats: a view of float data, or converted into `buffer` (resized as needed).
    Tensor batch(std::int64_t begin, std::int64_t end, Tensor& buffer) const;
    // Rows indices[0..count) as floats, gathered into `buffer` (resized as needed).
    Tensor gather(const std::int64_t* indices, std::int64_t count, Tensor& buffer) const;
    // Starts fetching rows indices[0..count) of byte data into cache for a later gather (float data:
    // nothing to do, its rows are copied, not converted, and the copy streams well).
    void prefetch(const std::int64_t* indices, std::int64_t count) const;

private:
    Tensor floats_;
    ByteMatrix bytes_;
    bool is_bytes_ = false;
};

}  // namespace smallnet
