#pragma once
// Picking rows of a data set: the rows whose label passes a test (anomaly detection trains on the
// normal classes only), a few labelled rows of each class (a classifier trained on little labelled
// data), or given rows (a few test images for a picture).

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
// The labels at `indices`, in that order.
std::vector<std::uint8_t> take_labels(std::span<const std::uint8_t> labels, std::span<const std::int64_t> indices);
// For a picture: the first sample of each class 0..classes-1 that occurs, then the first others, up to
// `count` indices.
std::vector<std::int64_t> one_per_class(std::span<const std::uint8_t> labels, int classes, std::int64_t count);
// `count` distinct indices in [0, size), in increasing order, drawn with `generator`.
std::vector<std::int64_t> sample_indices(std::int64_t size, std::int64_t count, Generator& generator);
// `per_class` distinct indices of every class 0..classes-1, drawn with `generator`, in increasing order
// (a balanced labelled subset, as semi-supervised benchmarks take). Throws std::invalid_argument
// naming the class when one has fewer samples.
std::vector<std::int64_t> sample_per_class(std::span<const std::uint8_t> labels, int classes, std::int64_t per_class,
                                           Generator& generator);

}  // namespace smallnet
