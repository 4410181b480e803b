// Products with one row of C or with k == 1, the shapes of a dense layer at batch 1: x · W and dZ · Wᵀ
// (m = 1) and the weight gradient xᵀ · dZ (k = 1). Each is a single pass over the weights on the calling
// thread: at this size waking a second thread costs more than the whole product.

#include "tensor/matmul_small.hpp"

#include <vector>

namespace smallnet::detail {

namespace {

// A row of op(A) or op(B) that a kernel wants contiguous but that lies with a stride: copied into a
// per-thread buffer that only grows, so a steady stream of products allocates nothing.
const float* contiguous(const float* values, std::int64_t stride, std::int64_t count) {
    if (stride == 1) return values;
    thread_local std::vector<float> buffer;
    if (buffer.size() < static_cast<std::size_t>(count)) buffer.resize(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) buffer[static_cast<std::size_t>(i)] = values[i * stride];
    return buffer.data();
}

}  // namespace

bool is_small_product(std::int64_t m, std::int64_t, std::int64_t k, bool worth_threads) {
    return m == 1 || (k == 1 && !worth_threads);
}

void small_product(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                   const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                   std::int64_t ldc, const GemmEpilogue& epilogue, const arch::GemmKernels& kernels) {
    if (m == 1) {
        // The one row of op(A): A's first row, or its first column when transposed.
        const std::int64_t x_stride = transpose_a ? lda : 1;
        if (transpose_b)
            kernels.row_times_transposed(n, k, alpha, contiguous(a, x_stride, k), b, ldb, beta, c, epilogue.bias,
                                         epilogue.activation, epilogue.negative_slope);
        else
            kernels.row_times_matrix(n, k, alpha, a, x_stride, b, ldb, beta, c, epilogue.bias, epilogue.activation,
                                     epilogue.negative_slope);
        return;
    }
    // k == 1: the column op(A)[:, 0] times the row op(B)[0, :].
    const std::int64_t a_stride = transpose_a ? 1 : lda;
    const float* b_row = contiguous(b, transpose_b ? ldb : 1, n);
    kernels.outer_product(m, n, alpha, a, a_stride, b_row, beta, c, ldc, epilogue.bias, epilogue.activation,
                          epilogue.negative_slope);
}

}  // namespace smallnet::detail
