#pragma once
// Convolutions to one output channel (DotShape in tensor/arch/conv_kernels.hpp), for one
// instruction set: dot products over (dy, dx, ci) with vectors over the input channels, on a
// zero-padded NHWC copy of the image. Included by conv_impl.hpp.
//
// A pixel-vector tile with one output channel loads a vector for every multiply-add (the weight is
// the broadcast, used once per vector), which holds it to about half the FMA rate; here a loaded
// input pixel serves the 3 outputs of the row that read it, with the 3 weight vectors of the kernel
// row in registers, and the tile's R sums are reduced across lanes at the end (30 shuffles and 15
// adds per 16 outputs on AVX-512).

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// Outputs per tile: the sums, 3 weights and one input vector fit the registers.
constexpr std::int64_t dot_tile_outputs = lanes == 16 ? 16 : 8;

inline std::int64_t dot_padded_floats(const DotShape& shape) {
    // A tile reads up to dot_tile_outputs + 2 pixels from its first: past the row, into the next (or
    // the slack after the last).
    return (shape.padded_rows * shape.padded_columns + dot_tile_outputs + 2) * shape.in_channels;
}

std::int64_t dot_scratch(const DotShape& shape) { return dot_padded_floats(shape); }

// sum[r] = the dot products of outputs r < R of a row: row points at padded pixel (oy, first output's
// column), kernel at kernel[0][0][0][0] ([kh][3][channels], one output channel).
template <std::int64_t R>
SMALLNET_CONV_INLINE void dot_tile(const float* row, std::int64_t row_floats, std::int64_t channels, std::int64_t kernel_height,
                     const float* kernel, Vector (&sum)[R]) {
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < R; ++r) sum[r] = Vector(0.0f);
    for (std::int64_t dy = 0; dy < kernel_height; ++dy, row += row_floats, kernel += 3 * channels)
        for (std::int64_t c = 0; c < channels; c += lanes) {
            const Vector w0 = Vector::load_unaligned(kernel + c);
            const Vector w1 = Vector::load_unaligned(kernel + channels + c);
            const Vector w2 = Vector::load_unaligned(kernel + 2 * channels + c);
            const float* pixel = row + c;
#pragma GCC unroll 32
            for (std::int64_t q = 0; q < R + 2; ++q, pixel += channels) {
                const Vector x = in_register(Vector::load_unaligned(pixel));
                if (q < R) sum[q] = multiply_add(x, w0, sum[q]);
                if (q >= 1 && q - 1 < R) sum[q - 1] = multiply_add(x, w1, sum[q - 1]);
                if (q >= 2 && q - 2 < R) sum[q - 2] = multiply_add(x, w2, sum[q - 2]);
            }
        }
}

// totals[r] = the sum of sum[r]'s lanes, for r < R.
template <std::int64_t R>
SMALLNET_CONV_INLINE void reduce_lanes(const Vector (&sum)[R], float* totals) {
#if defined(__AVX512F__)
    static_assert(R == 16, "the AVX-512 reduction takes 16 sums");
    // Halve the lanes four times, pairing sums so that total r lands in lane r.
    __m512 u[8], v[4];
    for (int i = 0; i < 8; ++i)  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3] of sums 2i, 2i+1
        u[i] = _mm512_add_ps(_mm512_unpacklo_ps(sum[2 * i], sum[2 * i + 1]),
                             _mm512_unpackhi_ps(sum[2 * i], sum[2 * i + 1]));
    for (int j = 0; j < 4; ++j)  // per 128-bit lane: sums 4j .. 4j + 3 over its 4 elements
        v[j] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * j], u[2 * j + 1], 0x44),
                             _mm512_shuffle_ps(u[2 * j], u[2 * j + 1], 0xEE));
    const __m512 w0 = _mm512_add_ps(_mm512_shuffle_f32x4(v[0], v[1], 0x88), _mm512_shuffle_f32x4(v[0], v[1], 0xDD));
    const __m512 w1 = _mm512_add_ps(_mm512_shuffle_f32x4(v[2], v[3], 0x88), _mm512_shuffle_f32x4(v[2], v[3], 0xDD));
    _mm512_storeu_ps(totals,
                     _mm512_add_ps(_mm512_shuffle_f32x4(w0, w1, 0x88), _mm512_shuffle_f32x4(w0, w1, 0xDD)));
#else
    for (std::int64_t r = 0; r < R; ++r) totals[r] = xsimd::hadd(sum[r]);
#endif
}

void dot_image(const DotShape& shape, const float* image, const float* kernel, const ProductOutput& out,
               float* output, const Scratch& space) {
    constexpr std::int64_t R = dot_tile_outputs;
    const std::int64_t channels = shape.in_channels;
    float* scratch = space.data;
    copy_to_padded_pixels(image, shape.in_height, shape.in_width, channels, shape.pad_top, shape.pad_left,
                          shape.padded_rows, shape.padded_columns, scratch, dot_padded_floats(shape), space.clear);
    Prefetcher prefetcher(space, shape.out_height);
    const std::int64_t row_floats = shape.padded_columns * channels;
    const Vector bias(out.bias ? out.bias[0] : 0.0f);
    with_activation(out.activation, out.negative_slope, [&](auto function) {
        for (std::int64_t oy = 0; oy < shape.out_height; ++oy, prefetcher.step())
            for (std::int64_t ox = 0; ox < shape.out_width; ox += R) {
                Vector sum[R];
                dot_tile<R>(scratch + (oy * shape.padded_columns + ox) * channels, row_floats, channels,
                            shape.kernel_height, kernel, sum);
                alignas(64) float totals[R];
                reduce_lanes<R>(sum, totals);
                const std::int64_t count = smaller(R, shape.out_width - ox);
                float* to = output + oy * shape.out_width + ox;
                for (std::int64_t r = 0; r < count; r += lanes) {
                    const std::int64_t n = smaller(lanes, count - r);
                    Vector y = Vector::load_aligned(totals + r);
                    if (out.accumulate) y += load_first(to + r, n);
                    else y = function(y + bias);
                    store_first(y, to + r, n);
                }
            }
    });
    prefetcher.finish();
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
