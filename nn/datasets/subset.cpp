#include "nn/datasets/subset.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "tensor/random.hpp"

namespace smallnet {

namespace {

void check_index(std::int64_t index, std::int64_t rows) {
    if (index < 0 || index >= rows)
        throw std::out_of_range("take_rows: index " + std::to_string(index) + " outside 0.." +
                                std::to_string(rows - 1));
}

}  // namespace

std::vector<std::int64_t> indices_where(std::span<const std::uint8_t> labels,
                                        const std::function<bool(std::uint8_t)>& keep) {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (keep(labels[i])) out.push_back(static_cast<std::int64_t>(i));
    return out;
}

ByteMatrix take_rows(const ByteMatrix& matrix, std::span<const std::int64_t> indices) {
    const std::int64_t columns = matrix.columns();
    std::vector<std::uint8_t> bytes(indices.size() * static_cast<std::size_t>(columns));
    for (std::size_t i = 0; i < indices.size(); ++i) {
        check_index(indices[i], matrix.rows());
        std::memcpy(bytes.data() + i * columns, matrix.row(indices[i]), static_cast<std::size_t>(columns));
    }
    return ByteMatrix(std::move(bytes), static_cast<std::int64_t>(indices.size()), columns, matrix.scale());
}

Tensor take_rows(const Tensor& matrix, std::span<const std::int64_t> indices) {
    if (matrix.rank() != 2) throw_shape_error("take_rows", matrix.shape(), "must be [rows, columns]");
    const std::int64_t columns = matrix.size(1);
    Tensor out(Shape{static_cast<std::int64_t>(indices.size()), columns});
    for (std::size_t i = 0; i < indices.size(); ++i) {
        check_index(indices[i], matrix.size(0));
        std::memcpy(out.data() + i * columns, matrix.data() + indices[i] * columns,
                    static_cast<std::size_t>(columns) * sizeof(float));
    }
    return out;
}

std::vector<std::int64_t> one_per_class(std::span<const std::uint8_t> labels, int classes, std::int64_t count) {
    std::vector<std::int64_t> out;
    std::vector<char> taken(labels.size(), 0);
    for (int c = 0; c < classes && static_cast<std::int64_t>(out.size()) < count; ++c)
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (labels[i] == c) {
                out.push_back(static_cast<std::int64_t>(i));
                taken[i] = 1;
                break;
            }
    for (std::size_t i = 0; i < labels.size() && static_cast<std::int64_t>(out.size()) < count; ++i)
        if (!taken[i]) out.push_back(static_cast<std::int64_t>(i));
    return out;
}

std::vector<std::int64_t> sample_indices(std::int64_t size, std::int64_t count, Generator& generator) {
    if (count < 0 || count > size)
        throw std::invalid_argument("sample_indices: cannot pick " + std::to_string(count) + " of " +
                                    std::to_string(size));
    // A partial Fisher-Yates shuffle of 0..size-1.
    std::vector<std::int64_t> all(static_cast<std::size_t>(size));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    for (std::int64_t i = 0; i < count; ++i) {
        const auto j = i + static_cast<std::int64_t>(generator.below(static_cast<std::uint64_t>(size - i)));
        std::swap(all[static_cast<std::size_t>(i)], all[static_cast<std::size_t>(j)]);
    }
    all.resize(static_cast<std::size_t>(count));
    std::sort(all.begin(), all.end());
    return all;
}

std::vector<std::uint8_t> take_labels(std::span<const std::uint8_t> labels, std::span<const std::int64_t> indices) {
    std::vector<std::uint8_t> out;
    out.reserve(indices.size());
    for (const std::int64_t i : indices) {
        check_index(i, static_cast<std::int64_t>(labels.size()));
        out.push_back(labels[static_cast<std::size_t>(i)]);
    }
    return out;
}

std::vector<std::int64_t> sample_per_class(std::span<const std::uint8_t> labels, int classes, std::int64_t per_class,
                                           Generator& generator) {
    if (per_class < 0) throw std::invalid_argument("sample_per_class: a negative count " + std::to_string(per_class));
    std::vector<std::int64_t> out;
    for (int c = 0; c < classes; ++c) {
        const std::vector<std::int64_t> members = indices_where(labels, [c](std::uint8_t label) { return label == c; });
        if (static_cast<std::int64_t>(members.size()) < per_class)
            throw std::invalid_argument("sample_per_class: class " + std::to_string(c) + " has " +
                                        std::to_string(members.size()) + " samples, fewer than the " +
                                        std::to_string(per_class) + " asked for");
        for (const std::int64_t k : sample_indices(static_cast<std::int64_t>(members.size()), per_class, generator))
            out.push_back(members[static_cast<std::size_t>(k)]);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace smallnet
