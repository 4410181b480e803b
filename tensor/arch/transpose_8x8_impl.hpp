// transpose_8x8: an 8 x 8 block of 32-bit values transposed in AVX registers, for the packing of the
// fp32 GEMM (tensor/arch/gemm_impl.hpp) and the bf16 one (tensor/arch/gemm_bf16_avx512.cpp, whose
// values are bf16 pairs). Included inside the including file's per-set namespace (see
// tensor/arch/README.md for why), so it has no include guard of its own there and needs AVX.

#if !defined(__AVX__)
#error "transpose_8x8_impl.hpp needs AVX"
#endif

// Row q of `r` receives column q of the block in `r`.
inline void transpose_8x8(__m256 r[8]) {
    __m256 t[8];
    for (int q = 0; q < 8; q += 2) {
        t[q] = _mm256_unpacklo_ps(r[q], r[q + 1]);
        t[q + 1] = _mm256_unpackhi_ps(r[q], r[q + 1]);
    }
    for (int q = 0; q < 8; q += 4) {
        r[q] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[q + 1] = _mm256_shuffle_ps(t[q], t[q + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[q + 2] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[q + 3] = _mm256_shuffle_ps(t[q + 1], t[q + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int q = 0; q < 4; ++q) {
        t[q] = _mm256_permute2f128_ps(r[q], r[q + 4], 0x20);
        t[q + 4] = _mm256_permute2f128_ps(r[q], r[q + 4], 0x31);
    }
    for (int q = 0; q < 8; ++q) r[q] = t[q];
}
