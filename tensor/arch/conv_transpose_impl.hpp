#pragma once
// Transposing between pixels (NHWC: a pixel's channels contiguous) and planes (a channel's pixels
// contiguous), for the copy of an image into planes and for writing pixel tiles back. AVX-512 goes
// through 16 x 16 blocks in registers, with masked loads and stores at the edges; the other sets
// copy one value at a time (they are the portable fallback, not the fast path). Included by
// conv_planar_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

#if defined(__AVX512F__)
// Transposes 16 x 16 floats in registers: row i of the result holds element i of every input row.
SMALLNET_CONV_INLINE void transpose_16x16(__m512 (&r)[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // Now, in each 128-bit lane L: r[4i + j] = elements 4L + j of rows 4i .. 4i + 3.
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    // Gather lane L of r[j], r[4 + j], r[8 + j], r[12 + j] into result row 4L + j.
    for (int j = 0; j < 4; ++j) {
        const __m512 ab_even = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);  // a.L0 a.L2 b.L0 b.L2
        const __m512 ab_odd = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);   // a.L1 a.L3 b.L1 b.L3
        const __m512 cd_even = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        const __m512 cd_odd = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
        t[j] = _mm512_shuffle_f32x4(ab_even, cd_even, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(ab_even, cd_even, 0xDD);
        t[4 + j] = _mm512_shuffle_f32x4(ab_odd, cd_odd, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(ab_odd, cd_odd, 0xDD);
    }
    for (int i = 0; i < 16; ++i) r[i] = t[i];
}

inline __mmask16 first_lanes(std::int64_t count) {
    return static_cast<__mmask16>(count >= 16 ? 0xFFFF : (1u << count) - 1u);
}
#endif

// planes[c * plane_size + p] = pixels[p * pixel_stride + c] for p < count, c < channels.
inline void pixels_to_planes(const float* pixels, std::int64_t pixel_stride, std::int64_t count,
                             std::int64_t channels, float* planes, std::int64_t plane_size) {
    if (channels == 1 && pixel_stride == 1) return copy_floats(pixels, planes, count);
#if defined(__AVX512F__)
    if (channels > 1) {
        // Pixels outer, so that the loads walk memory forwards.
        for (std::int64_t p0 = 0; p0 < count; p0 += 16) {
            const std::int64_t block_pixels = smaller(16, count - p0);
            for (std::int64_t c0 = 0; c0 < channels; c0 += 16) {
                const std::int64_t block_channels = smaller(16, channels - c0);
                const __mmask16 channel_mask = first_lanes(block_channels);
                __m512 r[16];
                for (std::int64_t i = 0; i < 16; ++i)
                    r[i] = i < block_pixels
                               ? _mm512_maskz_loadu_ps(channel_mask, pixels + (p0 + i) * pixel_stride + c0)
                               : _mm512_setzero_ps();
                transpose_16x16(r);
                const __mmask16 pixel_mask = first_lanes(block_pixels);
                for (std::int64_t c = 0; c < block_channels; ++c)
                    _mm512_mask_storeu_ps(planes + (c0 + c) * plane_size + p0, pixel_mask, r[c]);
            }
        }
        return;
    }
#endif
    for (std::int64_t p = 0; p < count; ++p)
        for (std::int64_t c = 0; c < channels; ++c) planes[c * plane_size + p] = pixels[p * pixel_stride + c];
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
