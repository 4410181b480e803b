#pragma once
// gemm_bf16: gemm()'s route for Precision::bf16, and the arguments both GEMM drivers carry (internal to
// tensor/matmul.cpp; not installed).

#include <cstdint>

#include "tensor/arch/gemm_bf16_kernels.hpp"
#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/matmul.hpp"

namespace smallnet::detail {

// One gemm() call's arguments as the fp32 and bf16 drivers carry them to their tasks:
// C = alpha op(A) op(B) + beta C, then the epilogue (null when there is nothing to apply).
struct GemmOperands {
    bool transpose_a;
    bool transpose_b;
    std::int64_t m, n, k;
    float alpha;
    const float* a;
    std::int64_t lda;
    const float* b;
    std::int64_t ldb;
    float beta;
    float* c;
    std::int64_t ldc;
    const GemmEpilogue* epilogue;
};

// gemm()'s contract with the operands rounded to bf16, arguments already checked, m and n > 0, the
// activation element-wise. `epilogue` is null when there is nothing to apply; `fp32` is the active
// fp32 table, whose finish_tile applies it.
void gemm_bf16(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
               const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
               std::int64_t ldc, const GemmEpilogue* epilogue, const arch::GemmBf16Kernels& kernels,
               const arch::GemmKernels& fp32);

}  // namespace smallnet::detail
