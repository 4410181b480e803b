// Binary operators with NumPy broadcasting, their scalar forms and operators, and sum_to: the one
// place a broadcast gradient is summed back to its input's shape.

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/broadcast_layout.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/elementwise_parallel.hpp"

namespace smallnet {

namespace {

const char* binary_name(BinaryOp op) {
    switch (op) {
        case BinaryOp::add: return "add";
        case BinaryOp::sub: return "sub";
        case BinaryOp::mul: return "mul";
        case BinaryOp::div: return "div";
        case BinaryOp::maximum: return "maximum";
        case BinaryOp::minimum: return "minimum";
    }
    return "binary";
}

void require_defined(const char* op, const Tensor& t, const char* role) {
    if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the " + role + " tensor is undefined");
}

// out = a op b over a layout: one dimension goes through the kernel in pieces; more are cut into
// rows (the last dimension), and runs of rows that share their outer index go to the kernel at once.
void binary_over(BinaryOp op, const detail::BroadcastLayout& layout, const float* a, const float* b, float* out) {
    const auto& kernels = arch::elementwise_kernels();
    if (layout.rank <= 1) {
        const std::int64_t n = layout.rank == 0 ? 1 : layout.dims[0];
        const std::int64_t a_step = layout.rank == 0 ? 0 : layout.strides[0][0];
        const std::int64_t b_step = layout.rank == 0 ? 0 : layout.strides[1][0];
        detail::for_each_piece(n, detail::cost_memory_bound, [&](std::int64_t begin, std::int64_t end) {
            kernels.binary_rows(op, a + begin * a_step, 0, a_step, b + begin * b_step, 0, b_step, out + begin, 1,
                                end - begin);
        });
        return;
    }
    const int last = layout.rank - 1;
    const std::int64_t cols = layout.dims[last];
    const std::int64_t rows_per_plane = layout.dims[last - 1];
    std::int64_t total_rows = 1;
    for (int axis = 0; axis < last; ++axis) total_rows *= layout.dims[axis];
    const std::int64_t grain = std::max<std::int64_t>(detail::parallel_work_threshold / cols, 1);
    detail::parallel_for(0, total_rows, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end;) {
            const std::int64_t plane = row / rows_per_plane, row_in_plane = row % rows_per_plane;
            const std::int64_t run = std::min(rows_per_plane - row_in_plane, end - row);
            std::int64_t offsets[2];
            detail::broadcast_offsets(layout, last - 1, plane, offsets);
            const std::int64_t a_rows = layout.strides[0][last - 1], b_rows = layout.strides[1][last - 1];
            kernels.binary_rows(op, a + offsets[0] + row_in_plane * a_rows, a_rows, layout.strides[0][last],
                                b + offsets[1] + row_in_plane * b_rows, b_rows, layout.strides[1][last],
                                out + row * cols, run, cols);
            row += run;
        }
    });
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b, const char* op_name) {
    const int rank = std::max(a.rank(), b.rank());
    std::int64_t dims[Shape::max_rank];
    for (int axis = 0; axis < rank; ++axis) {
        const int ia = axis - (rank - a.rank()), ib = axis - (rank - b.rank());
        const std::int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da != db && da != 1 && db != 1) throw_shape_error(op_name, a, b, "cannot broadcast");
        dims[axis] = da == 1 ? db : da;
    }
    return Shape(std::span<const std::int64_t>(dims, static_cast<std::size_t>(rank)));
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
    const char* name = binary_name(op);
    require_defined(name, a, "first");
    require_defined(name, b, "second");
    require_defined(name, out, "output");
    const Shape shape = broadcast_shape(a.shape(), b.shape(), name);
    if (out.shape() != shape)
        throw_shape_error(name, a.shape(), b.shape(),
                          "the output has shape " + out.shape().to_string() + ", not " + shape.to_string());
    if (shape.numel() == 0) return;
    binary_over(op, detail::broadcast_layout(shape, a.shape(), b.shape()), a.data(), b.data(), out.data());
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
    const char* name = binary_name(op);
    require_defined(name, a, "first");
    require_defined(name, b, "second");
    Tensor out(broadcast_shape(a.shape(), b.shape(), name));
    binary(op, a, b, out);
    return out;
}

void binary(BinaryOp op, const Tensor& a, float scalar, Tensor& out) {
    const char* name = binary_name(op);
    require_defined(name, a, "first");
    require_defined(name, out, "output");
    if (out.shape() != a.shape()) throw_shape_error(name, a.shape(), out.shape(), "input and output shapes differ");
    const auto& kernels = arch::elementwise_kernels();
    const float* in = a.data();
    float* result = out.data();
    detail::for_each_piece(a.numel(), detail::cost_memory_bound, [&](std::int64_t begin, std::int64_t end) {
        kernels.binary_rows(op, in + begin, 0, 1, &scalar, 0, 0, result + begin, 1, end - begin);
    });
}

Tensor binary(BinaryOp op, const Tensor& a, float scalar) {
    require_defined(binary_name(op), a, "first");
    Tensor out(a.shape());
    binary(op, a, scalar, out);
    return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::maximum, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(BinaryOp::minimum, a, b); }
Tensor operator+(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
Tensor operator+(const Tensor& a, float s) { return binary(BinaryOp::add, a, s); }
Tensor operator-(const Tensor& a, float s) { return binary(BinaryOp::sub, a, s); }
Tensor operator*(const Tensor& a, float s) { return binary(BinaryOp::mul, a, s); }
Tensor operator/(const Tensor& a, float s) { return binary(BinaryOp::div, a, s); }
Tensor operator*(float s, const Tensor& a) { return binary(BinaryOp::mul, a, s); }
Tensor operator-(const Tensor& a) { return unary(UnaryOp::neg, a); }

}  // namespace smallnet
