#pragma once
// matmul: the general matrix product C = activation(alpha * op(A) * op(B) + beta * C + bias), where
// op(X) is X or its transpose, computed by a cache-blocked, packed, SIMD and multi-threaded GEMM.
//
// The transpose flags let a backward pass use Xᵀ·dY and dY·Wᵀ without materialising a transpose; the
// epilogue (bias add, then activation) is applied to each output tile while it is still in cache.
// The K (reduction) dimension is never split between threads, so the result is bitwise the same for
// any thread count.
//
// Precision::bf16 (tensor/precision.hpp) rounds the operands to bf16 and sums in fp32, on AVX512_BF16
// (tensor/matmul_bf16.cpp); it throws std::runtime_error on a CPU without it (bf16_instruction_set()).

#include <cstdint>

#include "tensor/activation.hpp"
#include "tensor/precision.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

// What is applied to every element of alpha * op(A) * op(B) + beta * C before it is stored.
struct GemmEpilogue {
    const float* bias = nullptr;  // n values, one per output column, added to every row; or none
    Activation activation = Activation::linear;
    float negative_slope = 0.3f;  // for leaky_relu
};

// Row-major GEMM on raw pointers. op(A) is m x k, op(B) is k x n, C is m x n.
// A is stored m x k (lda >= k) or, transposed, k x m (lda >= m); likewise B is k x n or n x k.
// beta == 0 means C is only written (its old contents, even NaN, are ignored), as in BLAS.
void gemm(bool transpose_a, bool transpose_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
          const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
          const GemmEpilogue& epilogue = {}, Precision precision = Precision::fp32);

struct MatmulOptions {
    bool transpose_a = false;
    bool transpose_b = false;
    float alpha = 1.0f;
    float beta = 0.0f;               // 1 accumulates into the output (gradient accumulation)
    const Tensor* bias = nullptr;    // rank 1, one value per output column
    Activation activation = Activation::linear;
    float negative_slope = 0.3f;     // for leaky_relu
    Precision precision = Precision::fp32;  // bf16: operands rounded to bf16, sums in fp32
};

// Rank-2 tensors: c = activation(alpha * op(a) * op(b) + beta * c + bias). Shape errors name both
// operands' shapes.
void matmul(const Tensor& a, const Tensor& b, Tensor& c, const MatmulOptions& options = {});
// The same into a new tensor (beta is ignored: there is nothing to accumulate into).
Tensor matmul(const Tensor& a, const Tensor& b, const MatmulOptions& options = {});

}  // namespace smallnet
