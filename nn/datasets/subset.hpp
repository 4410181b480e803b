#pragma once
// Picking rows of a data set: the rows whose label passes a test (anomaly detection trains on the
// normal classes only), or given rows (a few test images for a picture).

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "nn/byte_matrix.hpp"
#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// The indices i with keep(labels[i]), in order.
std::vector<std::int64_t> indices_where(std::span<const std::uint8_t> labels,
                                        const std::function<bool(std::uint8_t)>& keep);
// The rows `indices` (each checked) as a new matrix of their own, with the same scale.
ByteMatrix take_rows(const ByteMatrix& matrix, std::span<const std::int64_t> indices);
// The rows `indices` of a [rows, columns] tensor, as a new tensor.
Tensor take_rows(const Tensor& matrix, std::span<const std::int64_t> indices);
// `count` distinct indices in [0, size), in increasing order, drawn with `generator`.
// For a picture: the first sample of each class 0..classes-1 that occurs, then the first others, up to
// `count` indices.
std::vector<std::int64_t> one_per_class(std::span<const std::uint8_t> labels, int classes, std::int64_t count);
std::vector<std::int64_t> sample_indices(std::int64_t size, std::int64_t count, Generator& generator);

}  // namespace smallnet
