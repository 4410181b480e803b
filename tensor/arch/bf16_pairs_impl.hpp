// The pieces both bf16 kernel files (gemm_bf16_avx512.cpp, gemm_bf16_amx.cpp) round and interleave
// with: the first lanes of a vector as a mask, and two rows of 16 values rounded to bf16 and interleaved
// into 16 pairs. Included inside each file's own namespace (see tensor/arch/README.md for why), so it has
// no include guard of its own there and needs AVX512_BF16.

#if !defined(__AVX512BF16__)
#error "bf16_pairs_impl.hpp needs AVX512_BF16"
#endif

constexpr std::int64_t lanes = 16;

// The first `count` of 16 lanes (count may be negative or above 16).
inline __mmask16 first_lanes(std::int64_t count) {
    if (count <= 0) return 0;
    if (count >= lanes) return 0xFFFF;
    return static_cast<__mmask16>((1u << count) - 1u);
}

// Word 2i of the result takes word i (row 2q), word 2i + 1 takes word 16 + i (row 2q + 1).
alignas(64) constexpr std::uint16_t interleave_rows[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                           8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};

// Rows 2q (`low`) and 2q + 1 (`high`) of 16 columns rounded to bf16 and interleaved: lane i then holds
// column i's pair. The one place a pair of rows becomes pairs, for the packings and for row_times_rows.
inline __m512i rounded_pairs(__m512 low, __m512 high, __m512i interleave) {
    return _mm512_permutexvar_epi16(interleave, (__m512i)_mm512_cvtne2ps_pbh(high, low));
}
