#pragma once
// GemmBf16Kernels: the pieces of the bf16 GEMM (tensor/matmul_bf16.cpp drives them), as plain function
// pointers, like GemmKernels (gemm_kernels.hpp, which explains mr, nr, kc, mc and nc).
//
// Panels hold bf16 values in pairs along k, the layout vdpbf16ps and tdpbf16ps multiply: pair q of column
// j of B holds its elements (2q, j) in the low 16 bits and (2q + 1, j) in the high 16 bits, and an odd
// depth ends with pairs whose high half is zero; the pair rows run on with zero pairs up to a multiple of
// pair_block. For avx512_bf16, Bf16Pair [q * width + j] of a panel of B `width` columns wide is pair q of
// its column j, and a panel of A is the transposed sliver (pack_pairs_*: its "columns" are the mr rows of
// the tile, so one Bf16Pair of A is what a tile row multiplies with every 32-bit lane of a row of pairs of
// B). For AMX both are laid out tile by tile, as the micro-kernel loads them (gemm_bf16_amx.cpp).

#include <cstdint>

namespace smallnet::arch {

// Two bf16 bit patterns: the element at the even k in the low half, the odd k in the high half.
using Bf16Pair = std::uint32_t;

// Rounds and packs `count` columns into ceil(count / width) panels of `width` columns, one after
// another `panel_stride` pairs apart (>= pairs * width, pairs = ceil(depth / 2) rounded up to a multiple
// of pair_block): element (p, j), for
// p < depth, from
//   pack_pairs_rows:    source[p * stride + j] (the panels' rows are contiguous in the source)
//   pack_pairs_columns: source[j * stride + p] (the source holds the panels transposed)
// rounded to bf16 to nearest even (a NaN stays a NaN, fp32 subnormals become zero, as vcvtne2ps2bf16
// does); zero where j >= count. `width` is a multiple of 8.
using PackPairs = void (*)(const float* source, std::int64_t stride, std::int64_t depth, std::int64_t count,
                           std::int64_t width, std::int64_t panel_stride, Bf16Pair* destination);

// tile (mr x nr, row stride ldc) = alpha * sum over p < 2 pairs of a(r, p) * b(p, j) + beta * tile,
// from a packed A panel (width mr) and B panel (width nr) of `pairs` pair rows (a multiple of
// pair_block), summed in fp32 (in pairs, as vdpbf16ps and tdpbf16ps do). beta == 0 means the tile is
// only written, as in BLAS. `next_tile` (same ldc, or null) is the tile of C the driver computes next,
// which the kernel may start fetching while it multiplies.
using Bf16MicroKernel = void (*)(std::int64_t pairs, const Bf16Pair* a, const Bf16Pair* b, float* tile,
                                 std::int64_t ldc, float alpha, float beta, const float* next_tile);

// One row of C over one k block of `depth` values, B (row-major, ldb) read where it lies: row[j] =
// alpha * sum over p < depth of x(p) * b(p, j) + beta * row[j] for j < columns, x's pairs at x[q *
// x_stride] (a packed A panel's first row), summed exactly as `multiply` sums them from packed panels,
// so the row is bitwise that tile row. For products of one row (batch 1), where packing B and the
// padding rows of a tile cost more than the products.
using Bf16RowKernel = void (*)(std::int64_t depth, const Bf16Pair* x, std::int64_t x_stride, const float* b,
                               std::int64_t ldb, std::int64_t columns, float* row, float alpha, float beta);

// row[j] = alpha * sum over p < depth of x(p) * b[j * ldb + p] + beta * row[j] for j < columns: one row of
// C times a transposed B (batch 1: dY · Wᵀ), x at x[p * x_stride], rounded once into x_pairs (room for
// depth / 2 + 16 pairs). Each row of B is read where it lies and summed across the vector lanes, so the
// sums are rounded unlike the micro-kernel's (as fp32's row_times_transposed).
using Bf16RowTransposedKernel = void (*)(std::int64_t depth, const float* x, std::int64_t x_stride,
                                         Bf16Pair* x_pairs, const float* b, std::int64_t ldb, std::int64_t columns,
                                         float* row, float alpha, float beta);

// C (m x n, ldc) = alpha * a ⊗ b + beta * C, the product with k == 1: a[i * a_stride], b as pairs (b_j,
// 0), zero from n up to a multiple of 16 (a packed panel of depth 1). Bitwise what `multiply` gives.
using Bf16OuterProduct = void (*)(std::int64_t m, std::int64_t n, const float* a, std::int64_t a_stride,
                                  const Bf16Pair* b_pairs, float* c, std::int64_t ldc, float alpha, float beta);

struct GemmBf16Kernels {
    std::int64_t mr;  // rows of the register tile: a multiple of the fp32 tile's, whose epilogue it uses
    std::int64_t nr;  // columns of the register tile: likewise
    std::int64_t kc;  // k block, even: a kc x nr sliver of packed B stays in L1
    std::int64_t mc;  // row block: the mc x kc block of packed A stays in L2
    std::int64_t nc;  // column block: the kc x nc block of packed B stays in L2
    std::int64_t pair_block;  // panels' pair rows are padded with zero pairs to a multiple of this
    Bf16MicroKernel multiply;
    Bf16RowKernel row_times_rows;                  // null where `rows` is another table
    Bf16RowTransposedKernel row_times_transposed;  // likewise
    Bf16OuterProduct outer_product;                // likewise
    PackPairs pack_pairs_rows;     // B's panels
    PackPairs pack_pairs_columns;  // B's panels, from B transposed
    PackPairs pack_a_rows;         // A's panels, from A transposed (its rows are k)
    PackPairs pack_a_columns;      // A's panels, from A as it is
    // The table whose row_times_rows, row_times_transposed and outer_product (with its packing) run the
    // products of one row of C and those with k == 1: this one, or avx512_bf16's for AMX, whose tiles
    // for one row would be 31 rows of padding.
    const GemmBf16Kernels* rows;
};

// The table of bf16_instruction_set(); throws std::runtime_error naming the missing instruction set
// when that is none.
const GemmBf16Kernels& gemm_bf16_kernels();

}  // namespace smallnet::arch
