// Reductions over a whole tensor or one axis. Sums add fixed-size blocks in float lanes and the block
// sums in double, in an order set by the shape alone; threads split chunks of a whole-tensor sum (added
// in order afterwards) or output elements of an axis sum, never one element's sum.

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/elementwise_parallel.hpp"

namespace smallnet {

namespace {

// x viewed as [outer, length, inner] around `axis`.
struct AxisView {
    std::int64_t outer = 1, length = 1, inner = 1;
};

AxisView view_around(const Shape& shape, int axis) {
    AxisView v;
    for (int a = 0; a < shape.rank(); ++a) {
        if (a < axis) v.outer *= shape[a];
        else if (a == axis) v.length = shape[a];
        else v.inner *= shape[a];
    }
    return v;
}

Shape reduced_shape(const Shape& shape, int axis, bool keepdims) {
    std::int64_t dims[Shape::max_rank];
    int rank = 0;
    for (int a = 0; a < shape.rank(); ++a) {
        if (a != axis) dims[rank++] = shape[a];
        else if (keepdims) dims[rank++] = 1;
    }
    return Shape(std::span<const std::int64_t>(dims, static_cast<std::size_t>(rank)));
}

int checked_axis(const char* op, const Tensor& x, int axis) {
    if (!x.defined()) throw std::invalid_argument(std::string(op) + ": the input tensor is undefined");
    if (x.rank() == 0) throw_shape_error(op, x.shape(), "a scalar has no axis to reduce");
    return x.shape().normalize_axis(axis);
}

double whole_sum(const Tensor& x) {
    const auto& kernels = arch::elementwise_kernels();
    const float* data = x.data();
    return detail::ordered_sum(x.numel(), detail::cost_memory_bound,
                               [&](std::int64_t begin, std::int64_t end) { return kernels.sum(data + begin, end - begin); });
}

// out[o, i] = scale * sum over the axis, split between threads by output element.
void axis_sum(const Tensor& x, int axis, double scale, float* out) {
    const AxisView v = view_around(x.shape(), axis);
    const auto& kernels = arch::elementwise_kernels();
    const float* data = x.data();
    if (v.inner == 1) {
        const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / std::max<std::int64_t>(v.length, 1), 1);
        detail::parallel_for(0, v.outer, grain, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t o = begin; o < end; ++o) {
                const float* row = data + o * v.length;
                const double total = detail::ordered_sum(v.length, detail::cost_memory_bound, [&](std::int64_t b, std::int64_t e) {
                    return kernels.sum(row + b, e - b);
                });
                out[o] = static_cast<float>(total * scale);
            }
        });
        return;
    }
    // Column pieces of whole vectors; each task sums complete columns.
    const std::int64_t pieces_per_plane = (v.inner + detail::piece_alignment - 1) / detail::piece_alignment;
    const std::int64_t work_per_piece = std::max<std::int64_t>(v.length * detail::piece_alignment, 1);
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / work_per_piece, 1);
    detail::parallel_for(0, v.outer * pieces_per_plane, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t t = begin; t < end; ++t) {
            const std::int64_t o = t / pieces_per_plane;
            const std::int64_t c0 = (t % pieces_per_plane) * detail::piece_alignment;
            const std::int64_t width = std::min(detail::piece_alignment, v.inner - c0);
            kernels.column_sums(data + o * v.length * v.inner + c0, v.length, width, v.inner, scale,
                                out + o * v.inner + c0, false);
        }
    });
}

void axis_max(const Tensor& x, int axis, float* out) {
    const AxisView v = view_around(x.shape(), axis);
    if (v.length == 0) throw_shape_error("max", x.shape(), "the axis to reduce is empty");
    const auto& kernels = arch::elementwise_kernels();
    const float* data = x.data();
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / std::max<std::int64_t>(v.length * v.inner, 1), 1);
    detail::parallel_for(0, v.outer, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t o = begin; o < end; ++o) {
            if (v.inner == 1)
                out[o] = kernels.max(data + o * v.length, v.length);
            else
                kernels.column_max(data + o * v.length * v.inner, v.length, v.inner, v.inner, out + o * v.inner);
        }
    });
}

Tensor scalar_tensor(double value) {
    Tensor t{Shape{}};
    t.data()[0] = static_cast<float>(value);
    return t;
}

}  // namespace

Tensor sum(const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument("sum: the input tensor is undefined");
    return scalar_tensor(whole_sum(x));
}

Tensor mean(const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument("mean: the input tensor is undefined");
    if (x.numel() == 0) return scalar_tensor(std::numeric_limits<double>::quiet_NaN());
    return scalar_tensor(whole_sum(x) / static_cast<double>(x.numel()));
}

Tensor max(const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument("max: the input tensor is undefined");
    if (x.numel() == 0) throw_shape_error("max", x.shape(), "an empty tensor has no maximum");
    const auto& kernels = arch::elementwise_kernels();
    const float* data = x.data();
    const std::int64_t chunks = (x.numel() + detail::sum_chunk - 1) / detail::sum_chunk;
    std::vector<float> partial(static_cast<std::size_t>(chunks));
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / detail::sum_chunk, 1);
    detail::parallel_for(0, chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
            const std::int64_t b = c * detail::sum_chunk, e = std::min(b + detail::sum_chunk, x.numel());
            partial[static_cast<std::size_t>(c)] = kernels.max(data + b, e - b);
        }
    });
    float result = partial[0];
    for (float p : partial)
        if (p > result || p != p) result = p;
    return scalar_tensor(result);
}

Tensor sum(const Tensor& x, int axis, bool keepdims) {
    axis = checked_axis("sum", x, axis);
    Tensor out(reduced_shape(x.shape(), axis, keepdims));
    axis_sum(x, axis, 1.0, out.data());
    return out;
}

Tensor mean(const Tensor& x, int axis, bool keepdims) {
    axis = checked_axis("mean", x, axis);
    Tensor out(reduced_shape(x.shape(), axis, keepdims));
    const std::int64_t length = x.shape()[axis];
    // 0 / 0: NaN, as NumPy's mean of an empty axis.
    axis_sum(x, axis, length == 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 / static_cast<double>(length),
             out.data());
    return out;
}

Tensor max(const Tensor& x, int axis, bool keepdims) {
    axis = checked_axis("max", x, axis);
    Tensor out(reduced_shape(x.shape(), axis, keepdims));
    axis_max(x, axis, out.data());
    return out;
}

void sum(const Tensor& x, int axis, Tensor& out) {
    axis = checked_axis("sum", x, axis);
    if (!out.defined()) throw std::invalid_argument("sum: the output tensor is undefined");
    if (out.shape() != reduced_shape(x.shape(), axis, false) && out.shape() != reduced_shape(x.shape(), axis, true))
        throw_shape_error("sum", x.shape(), out.shape(),
                          "the output is not the input without axis " + std::to_string(axis));
    axis_sum(x, axis, 1.0, out.data());
}

bool all_finite(const Tensor& x) {
    if (!x.defined()) throw std::invalid_argument("all_finite: the input tensor is undefined");
    const auto& kernels = arch::elementwise_kernels();
    const float* data = x.data();
    const std::int64_t chunks = (x.numel() + detail::sum_chunk - 1) / detail::sum_chunk;
    std::vector<char> finite(static_cast<std::size_t>(chunks), 1);
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / detail::sum_chunk, 1);
    detail::parallel_for(0, chunks, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t c = begin; c < end; ++c) {
            const std::int64_t b = c * detail::sum_chunk, e = std::min(b + detail::sum_chunk, x.numel());
            finite[static_cast<std::size_t>(c)] = kernels.all_finite(data + b, e - b);
        }
    });
    return std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
}

}  // namespace smallnet
