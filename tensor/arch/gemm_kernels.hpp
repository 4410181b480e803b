#pragma once
// GemmKernels: the per-instruction-set pieces of the GEMM (tensor/matmul.cpp drives them), as a table
// of plain function pointers so the driver itself is compiled once, for the baseline instruction set.
//
// Names, as in BLIS and GotoBLAS: C (m x n) = op(A) (m x k) · op(B) (k x n). The micro-kernel keeps
// an mr x nr tile of C in vector registers while it walks kc steps of k; the driver cuts k into
// blocks of kc, the rows into blocks of mc and the columns into blocks of nc so that the operands a
// micro-kernel reads stay in cache.

#include <cstdint>

#include "tensor/activation.hpp"
#include "tensor/simd.hpp"

namespace smallnet::arch {

// tile (mr x nr, row stride ldc) = alpha * sum over p < kc of a(r, p) * b(p, j) + beta * tile, where
// b(p, j) = b[p * b_stride + j] (a packed panel has b_stride == nr) and a(r, p) is
//   a[p * a_stride + r] for multiply_columns (a packed panel, a_stride == mr, or a transposed A), or
//   a[r * a_stride + p] for multiply_rows (a row-major A read in place).
// beta == 0 means the tile is only written, as in BLAS. Both kernels do the same arithmetic in the
// same order, so an element's value does not depend on which of them computed it.
using MicroKernel = void (*)(std::int64_t kc, const float* a, std::int64_t a_stride, const float* b,
                             std::int64_t b_stride, float* tile, std::int64_t ldc, float alpha, float beta);

// Copies a panel for the micro-kernel: destination[p * width + j] for p < depth, j < width, zero
// where j >= count (the padding of an edge panel).
//   pack_rows:    from source[p * stride + j] (the panel's rows are contiguous in the source)
//   pack_columns: from source[j * stride + p] (the source holds the panel transposed)
using PackPanel = void (*)(const float* source, std::int64_t stride, std::int64_t depth, std::int64_t count,
                           std::int64_t width, float* destination);

// Bias add (nr values, or none) then activation, on an mr x nr tile of C.
using FinishTile = void (*)(float* tile, std::int64_t ldc, const float* bias, Activation activation,
                            float negative_slope);

// Products whose register tile would be mostly padding: one row of C (m == 1) or k == 1. Each applies
// alpha, beta and the epilogue (bias of n values or none, then the activation) as finish_tile does,
// runs on the calling thread and allocates nothing. tensor/matmul_small.cpp chooses between them.
//
// row (1 x n) = alpha * x · B + beta * row, B read as k rows of n (b[p * ldb + j]), x[p * x_stride].
// Walks k in blocks of kc, rounding exactly as the micro-kernel does, so a row computed here is
// bitwise the row the GEMM computes in a larger product.
using RowTimesMatrix = void (*)(std::int64_t n, std::int64_t k, float alpha, const float* x, std::int64_t x_stride,
                                const float* b, std::int64_t ldb, float beta, float* row, const float* bias,
                                Activation activation, float negative_slope);
// row (1 x n) = alpha * x · Bᵀ + beta * row, B stored n x k (b[j * ldb + p]), x contiguous: n dot
// products of length k, summed across the vector lanes (so rounded unlike the GEMM).
using RowTimesTransposed = void (*)(std::int64_t n, std::int64_t k, float alpha, const float* x, const float* b,
                                    std::int64_t ldb, float beta, float* row, const float* bias, Activation activation,
                                    float negative_slope);
// C (m x n) = alpha * a ⊗ b + beta * C, the product with k == 1: a[i * a_stride], b contiguous. Rounds
// as the micro-kernel does with kc == 1.
using OuterProduct = void (*)(std::int64_t m, std::int64_t n, float alpha, const float* a, std::int64_t a_stride,
                              const float* b, float beta, float* c, std::int64_t ldc, const float* bias,
                              Activation activation, float negative_slope);

struct GemmKernels {
    std::int64_t mr;  // rows of the register tile
    std::int64_t nr;  // columns of the register tile, a multiple of the vector width
    std::int64_t kc;  // k block: an mr x kc sliver of A and a kc x nr sliver of B fit in L1
    std::int64_t mc;  // row block: an mc x kc block of A stays in L2
    std::int64_t nc;  // column block: a kc x nc block of packed B stays in L2
    MicroKernel multiply_columns;
    MicroKernel multiply_rows;
    PackPanel pack_rows;
    PackPanel pack_columns;
    FinishTile finish_tile;
    RowTimesMatrix row_times_matrix;
    RowTimesTransposed row_times_transposed;
    OuterProduct outer_product;
};

// The table of one instruction set (which this CPU must be able to run), and of the active one.
const GemmKernels& gemm_kernels(InstructionSet set);
const GemmKernels& gemm_kernels();

}  // namespace smallnet::arch
