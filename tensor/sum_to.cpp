// sum_to: sums a gradient of a broadcast result back to the shape of the input that was broadcast.
// The common shapes get the vector column/row kernels, split between threads by output element so
// the order of every sum is fixed; any other pattern accumulates in double in source order.

#include <algorithm>
#include <vector>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/broadcast_layout.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/elementwise_parallel.hpp"

namespace smallnet {

namespace {

// Every dimension of `target`, aligned from the right, is 1 or the source's.
bool broadcasts_to(const Shape& target, const Shape& source) {
    if (target.rank() > source.rank()) return false;
    const int shift = source.rank() - target.rank();
    for (int axis = 0; axis < target.rank(); ++axis)
        if (target[axis] != 1 && target[axis] != source[axis + shift]) return false;
    return true;
}

void store(float* out, std::int64_t i, double value, bool accumulate) {
    const float v = static_cast<float>(value);
    out[i] = accumulate ? out[i] + v : v;
}

// Any layout: the source in row-major order, each element added to its output's double total.
void sum_to_generic(const detail::BroadcastLayout& layout, const float* source, float* out, std::int64_t out_count,
                    bool accumulate) {
    std::vector<double> totals(static_cast<std::size_t>(out_count), 0.0);
    const int last = layout.rank - 1;
    const std::int64_t cols = layout.dims[last];
    const std::int64_t out_step = layout.strides[1][last];
    std::int64_t rows = 1;
    for (int axis = 0; axis < last; ++axis) rows *= layout.dims[axis];
    const auto& kernels = arch::elementwise_kernels();
    for (std::int64_t row = 0; row < rows; ++row) {
        std::int64_t offsets[2];
        detail::broadcast_offsets(layout, last, row, offsets);
        const float* in = source + offsets[0];
        double* target = totals.data() + offsets[1];
        if (out_step == 0) {
            *target += kernels.sum(in, cols);
        } else {
            for (std::int64_t c = 0; c < cols; ++c) target[c] += static_cast<double>(in[c]);
        }
    }
    for (std::int64_t i = 0; i < out_count; ++i) store(out, i, totals[static_cast<std::size_t>(i)], accumulate);
}

}  // namespace

void sum_to(const Tensor& source, Tensor& out, bool accumulate) {
    if (!source.defined() || !out.defined()) throw_shape_error("sum_to", source.shape(), "an operand is undefined");
    if (!broadcasts_to(out.shape(), source.shape()))
        throw_shape_error("sum_to", source.shape(), out.shape(), "the target shape does not broadcast to the source");
    const std::int64_t out_count = out.numel();
    float* result = out.data();
    if (source.numel() == 0) {
        if (!accumulate) out.fill(0.0f);
        return;
    }
    const float* in = source.data();
    const auto& kernels = arch::elementwise_kernels();
    // Operand 0 walks the source, operand 1 the target: stride 0 where the target was broadcast.
    const detail::BroadcastLayout layout = detail::broadcast_layout(source.shape(), source.shape(), out.shape());
    const bool reduces_nothing = layout.rank == 0 || (layout.rank == 1 && layout.strides[1][0] != 0);
    const bool reduces_all = layout.rank == 1 && layout.strides[1][0] == 0;
    if (reduces_nothing) {
        if (accumulate)
            axpy(1.0f, source.reshape(out.shape()), out);
        else
            out.copy_from(source.reshape(out.shape()));
    } else if (reduces_all) {
        store(result, 0, detail::ordered_sum(source.numel(), detail::cost_memory_bound,
                                             [&](std::int64_t b, std::int64_t e) { return kernels.sum(in + b, e - b); }),
              accumulate);
    } else if (layout.rank == 2 && layout.strides[1][0] == 0) {
        // [rows, cols] -> [cols] (a bias gradient): column sums, threads split the columns.
        const std::int64_t rows = layout.dims[0], cols = layout.dims[1];
        const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / rows, 64);
        detail::parallel_for(0, cols, grain, [&](std::int64_t begin, std::int64_t end) {
            kernels.column_sums(in + begin, rows, end - begin, cols, 1.0, result + begin, accumulate);
        });
    } else if (layout.rank == 2 && layout.strides[1][1] == 0) {
        // [rows, cols] -> [rows, 1]: one contiguous sum per row, threads split the rows.
        const std::int64_t rows = layout.dims[0], cols = layout.dims[1];
        const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / cols, 1);
        detail::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t r = begin; r < end; ++r) store(result, r, kernels.sum(in + r * cols, cols), accumulate);
        });
    } else {
        sum_to_generic(layout, in, result, out_count, accumulate);
    }
}

}  // namespace smallnet
