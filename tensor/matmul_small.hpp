#pragma once
// small_product: the GEMM's route for products whose register tile would be mostly padding (one row of
// C, or k == 1), to the kernels RowTimesMatrix, RowTimesTransposed and OuterProduct. Internal to
// tensor/matmul.cpp; not installed.

#include <cstdint>

#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/matmul.hpp"

namespace smallnet::detail {

// Whether gemm() should hand its product to small_product(): always for m == 1 (the GEMM would do mr
// times the work), and for k == 1 when the product is too small to be worth a second thread.
bool is_small_product(std::int64_t m, std::int64_t n, std::int64_t k, bool worth_threads);

// gemm()'s contract, arguments already checked; m == 1 or k == 1. Runs on the calling thread.
void small_product(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                   const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                   std::int64_t ldc, const GemmEpilogue& epilogue, const arch::GemmKernels& kernels);

}  // namespace smallnet::detail
