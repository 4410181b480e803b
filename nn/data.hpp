#pragma once
// Data: what fit, evaluate and predict read: a float tensor [samples, ...sample shape], or a
// ByteMatrix of scaled bytes (images, one per row) converted batch by batch. Every sample has a shape
// ([784], or [28, 28, 1] for an image with its channels last); reshape_samples changes it without
// copying. Batches of unshuffled float data are views.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nn/byte_matrix.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

class Data {
public:
    Data() = default;
    // samples: rank 2 or more, the samples along axis 0.
    Data(Tensor samples);
    // Samples of shape [columns].
    Data(ByteMatrix samples);
    // Class labels, one per sample, of shape [1] (the targets of the sparse classification losses and
    // of the accuracy metric): MnistSplit::labels as it is read, converted batch by batch.
    Data(const std::vector<std::uint8_t>& labels);

    bool empty() const { return rows() == 0; }
    std::int64_t rows() const;
    // The values per sample.
    std::int64_t columns() const;
    const Shape& sample_shape() const { return sample_shape_; }
    // The same samples seen with another shape of as many values (flat MNIST images as [28, 28, 1],
    // as Keras code does with np.reshape); shares the values. Throws std::invalid_argument, naming
    // both shapes, when the counts differ.
    Data reshape_samples(const Shape& sample_shape) const;
    // Rows [begin, end) as a data set of its own (a view).
    Data slice(std::int64_t begin, std::int64_t end) const;
    // Whether both are the same samples (then an autoencoder's input batch is also its target).
    bool same_as(const Data& other) const;
    // The first value that is NaN or infinite, as (row, index within the sample), if any: float data
    // is scanned; bytes and labels cannot hold one.
    std::optional<std::pair<std::int64_t, std::int64_t>> first_non_finite() const;

    // Rows [begin, end) as floats, [end - begin, ...sample shape]: a view of float data, or converted
    // into the first rows of `buffer` (replaced by a larger one when it is too small) and returned as
    // a view of them.
    Tensor batch(std::int64_t begin, std::int64_t end, Tensor& buffer) const;
    // Rows indices[0..count) as floats, gathered into `buffer` likewise, shaped likewise; byte rows are
    // stored for `reader` (tensor/elementwise.hpp).
    Tensor gather(const std::int64_t* indices, std::int64_t count, Tensor& buffer,
                  BatchReader reader = BatchReader::other_threads) const;
    // Starts fetching rows indices[0..count) of byte data into cache for a later gather (float data:
    // nothing to do, its rows are copied, not converted, and the copy streams well).
    void prefetch(const std::int64_t* indices, std::int64_t count) const;

private:
    // [count, ...sample shape], a view of `flat` (a batch tensor as the model sees it).
    Tensor shaped(const Tensor& flat) const;

    Tensor floats_;  // [rows, columns]
    ByteMatrix bytes_;
    bool is_bytes_ = false;
    Shape sample_shape_;
};

}  // namespace smallnet
