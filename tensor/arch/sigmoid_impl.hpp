#pragma once
// exp(-a) for a >= 0 and the sigmoid built on it, for one instruction set: shared by the element-wise
// sigmoid and the GEMM epilogue, so a layer's fused activation gives the same bits as the separate op.
// Included inside one instruction set's translation unit (SMALLNET_ARCH and its namespace defined).

#include <immintrin.h>

#include <xsimd/xsimd.hpp>

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE {

using FloatBatch = xsimd::batch<float, SMALLNET_ARCH>;

#ifdef __AVX512F__
// exp(-a) for a >= 0 (NaN passes through) as 2^(-k/16) e^r with |r| <= ln2/32: 2^(j/16) for j = k mod
// 16 from a 16-entry table in one register, e^r from a cubic (error 1e-8), 2^floor(k/16) by scalef,
// which flushes to 0 below float's range. About 2e-7 relative error, as xsimd::exp, in 14 operations
// instead of 20: sigmoid on one core in cache went from 36 to 55 GB/s, and a 64M-float sigmoid was
// limited by this arithmetic, not by memory.
inline FloatBatch exp_of_negative(const FloatBatch& a) {
    alignas(64) static constexpr float powers_of_two[16] = {
        1.000000000e+00f, 1.044273734e+00f, 1.090507746e+00f, 1.138788581e+00f, 1.189207077e+00f, 1.241857767e+00f,
        1.296839595e+00f, 1.354255557e+00f, 1.414213538e+00f, 1.476826191e+00f, 1.542210817e+00f, 1.610490322e+00f,
        1.681792855e+00f, 1.756252170e+00f, 1.834008098e+00f, 1.915206552e+00f};
    // min(104, a) keeps NaN and caps a where exp(-a) is 0 in float, so k * ln2/16 stays exact.
    const __m512 capped = _mm512_min_ps(_mm512_set1_ps(104.0f), a);
    const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(capped, _mm512_set1_ps(-23.083120654223414f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // r = -a - k ln2/16, with ln2/16 split in two (Cody and Waite) so the first product is exact.
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.0433197021f), _mm512_sub_ps(_mm512_setzero_ps(), capped));
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(1.99663646e-06f), r);
    __m512 p = _mm512_fmadd_ps(r, _mm512_set1_ps(1.0f / 6.0f), _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(r, p, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(r, p, _mm512_set1_ps(1.0f));
    const __m512i j = _mm512_and_si512(_mm512_cvtps_epi32(k), _mm512_set1_epi32(15));
    const __m512 table_value = _mm512_permutexvar_ps(j, _mm512_load_ps(powers_of_two));
    const __m512 exponent = _mm512_roundscale_ps(_mm512_mul_ps(k, _mm512_set1_ps(0.0625f)),
                                                 _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    return _mm512_scalef_ps(_mm512_mul_ps(p, table_value), exponent);
}
#else
inline FloatBatch exp_of_negative(const FloatBatch& a) { return xsimd::exp(-a); }
#endif

// log(1 + e) for e in [0, 1] (NaN passes through), as 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + ...) with
// s = e / (2 + e) <= 1/3: the series to s¹⁵ is within 3e-9 of the sum, so the error is float
// rounding's (a few 1e-8), in 9 operations where xsimd::log1p takes about 30. For the binary
// cross-entropy from logits, whose log1p(exp(-|z|)) has e in (0, 1].
inline FloatBatch log1p_of_unit(const FloatBatch& e) {
    const FloatBatch s = e / (FloatBatch(2.0f) + e);
    const FloatBatch s2 = s * s;
    FloatBatch p = xsimd::fma(s2, FloatBatch(2.0f / 15.0f), FloatBatch(2.0f / 13.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f / 11.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f / 9.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f / 7.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f / 5.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f / 3.0f));
    p = xsimd::fma(s2, p, FloatBatch(2.0f));
    return s * p;
}

// 1 / (1 + exp(-x)) from exp(-|x|), which never overflows: finite for any x, exactly 0 or 1 only
// where float runs out of precision.
inline FloatBatch sigmoid_of(const FloatBatch& x) {
    const FloatBatch e = exp_of_negative(xsimd::abs(x));
    const FloatBatch positive = FloatBatch(1.0f) / (FloatBatch(1.0f) + e);
    return xsimd::select(x >= FloatBatch(0.0f), positive, e * positive);
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE
