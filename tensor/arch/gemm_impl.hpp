// The GEMM kernels of one instruction set: compiled once per set by gemm_<set>.cpp, which defines
// SMALLNET_ARCH (the xsimd architecture) and SMALLNET_ARCH_NAMESPACE before including this file.
// Everything here lives in that set's namespace (see tensor/arch/README.md for why).
//
// The register tile is mr x nr: mr rows of C, each nr / lanes vectors wide. Per step of k the kernel
// loads nr values of B (vectors), broadcasts mr values of A and issues mr * nr / lanes FMAs. The tile
// sizes fill the register file while leaving room for the B vectors and one broadcast:
//   avx512: 8 x 32  -> 16 accumulators of 16 floats (32 zmm registers)
//   avx2:   6 x 16  -> 12 accumulators of 8 floats (16 ymm registers)
//   sse2:   6 x 8   -> 12 accumulators of 4 floats (16 xmm registers; no FMA: multiply then add)

#if !defined(SMALLNET_ARCH) || !defined(SMALLNET_ARCH_NAMESPACE)
#error "gemm_impl.hpp is included by gemm_<set>.cpp after defining SMALLNET_ARCH and SMALLNET_ARCH_NAMESPACE"
#endif

// GCC 12 warns that AVX-512 intrinsics it inlines (for xsimd's exp and friends) read an uninitialised
// `__Y`: its headers start some intrinsics from an undefined register on purpose. A false positive.
#pragma GCC diagnostic push
#if !defined(__clang__)  // clang has no such warning, and warns of the unknown name
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cstdint>
#include <xsimd/xsimd.hpp>
#include <immintrin.h>

#include "tensor/arch/activation_impl.hpp"
#include "tensor/arch/gemm_kernels.hpp"
#include "tensor/arch/sigmoid_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

using Arch = SMALLNET_ARCH;
using Vector = xsimd::batch<float, Arch>;
constexpr std::int64_t lanes = Vector::size;

// 8 x 32 on avx512: 12 x 32 and 14 x 32 (24 and 28 accumulators) measured no faster on the training
// shapes (their row pointers spill, and 256 rows are not a multiple of 12 or 14).
constexpr std::int64_t tile_rows = lanes == 16 ? 8 : 6;  // mr
constexpr std::int64_t tile_columns = 2 * lanes;         // nr
constexpr std::int64_t tile_vectors = tile_columns / lanes;
// kc (see the table below), also walked by the small-product kernels so they round as the GEMM does.
constexpr std::int64_t k_block = 256;

// x * y + z, fused where the instruction set has FMA. xsimd 8.1's avx512 fma is the generic x * y + z
// (it relies on the compiler contracting it), so AVX-512 calls the intrinsic directly.
inline Vector multiply_add(Vector x, Vector y, Vector z) {
#if defined(__AVX512F__)
    return Vector(_mm512_fmadd_ps(x, y, z));
#else
    return xsimd::fma(x, y, z);
#endif
}

// ---------------------------------------------------------------------------------------------------
// Micro-kernel. `a_rows_in_place` selects how A is addressed (see MicroKernel in gemm_kernels.hpp);
// the arithmetic is identical for both.
template <bool a_rows_in_place>
inline void multiply_tile(std::int64_t kc, const float* a, std::int64_t a_stride, const float* b,
                          std::int64_t b_stride, float* tile, std::int64_t ldc, float alpha, float beta) {
    // The register tile; -O3 keeps it in registers (check with objdump: no stack traffic in the loop).
    Vector sum[tile_rows][tile_vectors];
    for (std::int64_t r = 0; r < tile_rows; ++r)
        for (std::int64_t v = 0; v < tile_vectors; ++v) sum[r][v] = Vector(0.0f);

    // Start fetching the C tile now so the stores at the end do not wait for memory.
    for (std::int64_t r = 0; r < tile_rows; ++r) {
        __builtin_prefetch(tile + r * ldc, 1, 3);
        __builtin_prefetch(tile + r * ldc + tile_columns - 1, 1, 3);
    }

    const std::int64_t a_step = a_rows_in_place ? 1 : a_stride;
    std::int64_t a_offsets[tile_rows];  // where row r of the sliver starts
    for (std::int64_t r = 0; r < tile_rows; ++r) a_offsets[r] = a_rows_in_place ? r * a_stride : r;
#pragma GCC unroll 4
    for (std::int64_t p = 0; p < kc; ++p) {
        Vector b_row[tile_vectors];
        for (std::int64_t v = 0; v < tile_vectors; ++v) b_row[v] = Vector::load_unaligned(b + v * lanes);
        for (std::int64_t r = 0; r < tile_rows; ++r) {
            const Vector a_value(a[a_offsets[r]]);
            for (std::int64_t v = 0; v < tile_vectors; ++v) sum[r][v] = multiply_add(a_value, b_row[v], sum[r][v]);
        }
        a += a_step;
        b += b_stride;
    }

    const Vector alpha_vector(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 16
        for (std::int64_t r = 0; r < tile_rows; ++r)
#pragma GCC unroll 8
            for (std::int64_t v = 0; v < tile_vectors; ++v)
                (sum[r][v] * alpha_vector).store_unaligned(tile + r * ldc + v * lanes);
    } else {
        const Vector beta_vector(beta);
#pragma GCC unroll 16
        for (std::int64_t r = 0; r < tile_rows; ++r)
#pragma GCC unroll 8
            for (std::int64_t v = 0; v < tile_vectors; ++v) {
                float* out = tile + r * ldc + v * lanes;
                const Vector old = Vector::load_unaligned(out) * beta_vector;
                multiply_add(sum[r][v], alpha_vector, old).store_unaligned(out);
            }
    }
}

void multiply_columns(std::int64_t kc, const float* a, std::int64_t a_stride, const float* b, std::int64_t b_stride,
                      float* tile, std::int64_t ldc, float alpha, float beta) {
    multiply_tile<false>(kc, a, a_stride, b, b_stride, tile, ldc, alpha, beta);
}

void multiply_rows(std::int64_t kc, const float* a, std::int64_t a_stride, const float* b, std::int64_t b_stride,
                   float* tile, std::int64_t ldc, float alpha, float beta) {
    multiply_tile<true>(kc, a, a_stride, b, b_stride, tile, ldc, alpha, beta);
}

// ---------------------------------------------------------------------------------------------------
// Packing.

void pack_rows(const float* source, std::int64_t stride, std::int64_t depth, std::int64_t count, std::int64_t width,
               float* destination) {
    for (std::int64_t p = 0; p < depth; ++p) {
        const float* from = source + p * stride;
        float* to = destination + p * width;
        std::int64_t j = 0;
        for (; j + lanes <= count; j += lanes) Vector::load_unaligned(from + j).store_unaligned(to + j);
        for (; j < count; ++j) to[j] = from[j];
        for (; j < width; ++j) to[j] = 0.0f;
    }
}

// Transposes an 8 x 8 block (AVX) or 4 x 4 block (SSE): row q of `to` (stride to_stride) receives
// column q of `from` (stride from_stride).
#if defined(__AVX__)
constexpr std::int64_t transpose_block = 8;
#include "tensor/arch/transpose_8x8_impl.hpp"
inline void transpose_block_to(const float* from, std::int64_t from_stride, float* to, std::int64_t to_stride) {
    __m256 r[8];
    for (int q = 0; q < 8; ++q) r[q] = _mm256_loadu_ps(from + q * from_stride);
    transpose_8x8(r);
    for (int q = 0; q < 8; ++q) _mm256_storeu_ps(to + q * to_stride, r[q]);
}
#else
constexpr std::int64_t transpose_block = 4;
inline void transpose_block_to(const float* from, std::int64_t from_stride, float* to, std::int64_t to_stride) {
    __m128 r0 = _mm_loadu_ps(from), r1 = _mm_loadu_ps(from + from_stride);
    __m128 r2 = _mm_loadu_ps(from + 2 * from_stride), r3 = _mm_loadu_ps(from + 3 * from_stride);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(to, r0);
    _mm_storeu_ps(to + to_stride, r1);
    _mm_storeu_ps(to + 2 * to_stride, r2);
    _mm_storeu_ps(to + 3 * to_stride, r3);
}
#endif

void pack_columns(const float* source, std::int64_t stride, std::int64_t depth, std::int64_t count,
                  std::int64_t width, float* destination) {
    constexpr std::int64_t block = transpose_block;
    const std::int64_t full_columns = count / block * block;
    const std::int64_t full_depth = depth / block * block;
    // Whole blocks through registers, walking p fastest so each source row is read sequentially.
    for (std::int64_t j = 0; j < full_columns; j += block) {
        std::int64_t p = 0;
        for (; p < full_depth; p += block)
            transpose_block_to(source + j * stride + p, stride, destination + p * width + j, width);
        for (; p < depth; ++p)
            for (std::int64_t q = 0; q < block; ++q) destination[p * width + j + q] = source[(j + q) * stride + p];
    }
    // The columns left over, then the zero padding of an edge panel.
    for (std::int64_t p = 0; p < depth; ++p) {
        for (std::int64_t j = full_columns; j < count; ++j) destination[p * width + j] = source[j * stride + p];
        for (std::int64_t j = count; j < width; ++j) destination[p * width + j] = 0.0f;
    }
}

// ---------------------------------------------------------------------------------------------------
// Epilogue: bias, then the activation (the functors of tensor/arch/activation_impl.hpp).

template <class Function>
inline void finish_tile_with(float* tile, std::int64_t ldc, const float* bias, Function function) {
    for (std::int64_t r = 0; r < tile_rows; ++r)
        for (std::int64_t v = 0; v < tile_vectors; ++v) {
            float* out = tile + r * ldc + v * lanes;
            Vector x = Vector::load_unaligned(out);
            if (bias) x += Vector::load_unaligned(bias + v * lanes);
            function(x).store_unaligned(out);
        }
}

void finish_tile(float* tile, std::int64_t ldc, const float* bias, Activation activation, float negative_slope) {
    with_activation(activation, negative_slope, [&](auto function) { finish_tile_with(tile, ldc, bias, function); });
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE

#include "tensor/arch/gemm_small_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

// Blocking, for Zen 5 (48 KB L1d, 1 MB L2 per core): a kc x nr sliver of B (32 KB at kc = 256 on
// avx512) stays in L1 while the mc x kc block of A streams from L2.
extern const GemmKernels gemm_table;
const GemmKernels gemm_table = {
    .mr = tile_rows,
    .nr = tile_columns,
    .kc = k_block,
    .mc = 256,
    .nc = 1024,
    .multiply_columns = multiply_columns,
    .multiply_rows = multiply_rows,
    .pack_rows = pack_rows,
    .pack_columns = pack_columns,
    .finish_tile = finish_tile,
    .row_times_matrix = row_times_matrix,
    .row_times_transposed = row_times_transposed,
    .outer_product = outer_product,
};

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE

#pragma GCC diagnostic pop
