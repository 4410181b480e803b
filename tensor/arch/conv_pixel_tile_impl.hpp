#pragma once
// Pixel-vector tiles of a product (tensor/arch/conv_kernels.hpp): a few output channels x vectors of
// raster positions loaded from the planes, the weights broadcast; for 1 to 8 output channels.
// Included by conv_planar_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/conv_planes_impl.hpp"
#include "tensor/arch/conv_transpose_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// Vectors of positions a tile of `channels` (1, 2, 4 or 8) rows holds: its sums, the loaded vectors
// and a broadcast fill the registers.
constexpr std::int64_t pixel_tile_vectors(std::int64_t channels) {
    if (lanes == 16) return channels == 1 ? 8 : channels == 2 ? 8 : channels == 4 ? 5 : 3;
    return channels == 1 ? 6 : channels == 2 ? 4 : channels == 4 ? 2 : 1;
}

// tile[c][r] = sum over k of weights[k][c] * in[offsets[k] + r], for c < MR, r < NP * lanes.
template <std::int64_t MR, std::int64_t NP>
inline void pixel_tile(std::int64_t depth, const std::int64_t* offsets, const float* in, const float* weights,
                       float* tile) {
    Vector sum[MR][NP];
#pragma GCC unroll 32
    for (std::int64_t c = 0; c < MR; ++c)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NP; ++v) sum[c][v] = Vector(0.0f);
    for (std::int64_t k = 0; k < depth; ++k) {
        const float* a = in + offsets[k];
        Vector x[NP];
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NP; ++v) x[v] = Vector::load_unaligned(a + v * lanes);
#pragma GCC unroll 32
        for (std::int64_t c = 0; c < MR; ++c) {
            const Vector w(weights[k * MR + c]);
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < NP; ++v) sum[c][v] = multiply_add(w, x[v], sum[c][v]);
        }
    }
#pragma GCC unroll 32
    for (std::int64_t c = 0; c < MR; ++c)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NP; ++v) sum[c][v].store_aligned(tile + (c * NP + v) * lanes);
}

// Pixel tiles cover the raster positions [first, first + width): the rows of outputs it crosses,
// minus the dropped columns and the padding rows between stacked images. Calls visit(r, at) for each
// output (r = position - first, at = its pixel's first float in the output).
template <class Visit>
inline void for_each_output(const PlanarLayout& layout, const PlanarProduct& product, const ProductOutput& out,
                            std::int64_t first, std::int64_t count, Visit visit) {
    const std::int64_t columns = layout.columns, out_columns = product.out_columns;
    const std::int64_t pixel_step = product.column_step * out.channels;
    const std::int64_t out_image = out.height * out.width * out.channels;
    std::int64_t row = first / columns, v = first - row * columns;
    std::int64_t n = row / layout.rows, u = row - n * layout.rows;
    for (std::int64_t r = 0; r < count;) {
        if (u < product.out_rows) {
            const std::int64_t run = smaller(out_columns - v, count - r);
            const std::int64_t at = n * out_image +
                                    ((product.row0 + u * product.row_step) * out.width + product.column0 +
                                     v * product.column_step) * out.channels;
            for (std::int64_t i = 0; i < run; ++i) visit(r + i, at + i * pixel_step);
        }
        r += columns - v;  // to the next row's first output
        v = 0;
        if (++u == layout.rows) u = 0, ++n;
    }
}

template <std::int64_t MR>
void pixel_product(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                   const ProductOutput& out, std::int64_t block_index, float* output, float* tile,
                   Prefetcher& prefetcher, std::int64_t count) {
    constexpr std::int64_t NP = pixel_tile_vectors(MR), width = NP * lanes;
    const std::int64_t positions = positions_of(layout, product, count), depth = product.groups;
    const std::int64_t* offsets = product.offsets;
    const float* weights = product.weights + block_index * depth * MR;
    const std::int64_t first_channel = block_index * MR, channels = smaller(MR, out.channels - first_channel);
    const std::int64_t out_channels = out.channels;
    const bool accumulate = out.accumulate;
    float bias[MR] = {};
    for (std::int64_t c = 0; c < channels; ++c) bias[c] = out.bias ? out.bias[first_channel + c] : 0.0f;
    with_activation(out.activation, out.negative_slope, [&](auto function) {
        for (std::int64_t first = 0; first < positions; first += width, prefetcher.step()) {
            // The output rows two tiles ahead, for writing (see channel_rows).
            const std::int64_t ahead = (first + 2 * width) / layout.columns, n = ahead / layout.rows;
            prefetch_floats(output + n * out.height * out.width * out_channels +
                                ((product.row0 + (ahead - n * layout.rows) * product.row_step) * out.width +
                                 product.column0) * out_channels,
                            product.out_columns * product.column_step * out_channels, true);
            pixel_tile<MR, NP>(depth, offsets, planes + first, weights, tile);
            // The bias and activation on the tile's rows (vectors of positions), then each value to
            // its pixel.
            if (!accumulate)
                for (std::int64_t c = 0; c < channels; ++c)
#pragma GCC unroll 32
                    for (std::int64_t v = 0; v < NP; ++v) {
                        float* at = tile + c * width + v * lanes;
                        function(Vector::load_aligned(at) + Vector(bias[c])).store_aligned(at);
                    }
            float* to = output + first_channel;
#if defined(__AVX512F__)
            // Transposed in registers, 16 positions at a time, into pixel-major rows of 16 floats:
            // then a pixel's channels go out as one masked store.
            float* pixel_major = tile + MR * width;
            for (std::int64_t v = 0; v < NP; ++v) {
                __m512 rows[16];
                for (std::int64_t c = 0; c < 16; ++c)
                    rows[c] = c < MR ? _mm512_load_ps(tile + c * width + v * lanes) : _mm512_setzero_ps();
                transpose_16x16(rows);
                for (std::int64_t p = 0; p < 16; ++p) _mm512_store_ps(pixel_major + (v * lanes + p) * 16, rows[p]);
            }
            for_each_output(layout, product, out, first, smaller(width, positions - first),
                            [&](std::int64_t r, std::int64_t at) {
                                float* values = to + at;
                                Vector x = Vector::load_aligned(pixel_major + r * 16);
                                if (accumulate) x += load_part(values, channels);
                                store_part(x, values, channels);
                            });
#else
            for_each_output(layout, product, out, first, smaller(width, positions - first),
                            [&](std::int64_t r, std::int64_t at) {
                                float* values = to + at;
                                if (accumulate)
                                    for (std::int64_t c = 0; c < channels; ++c) values[c] += tile[c * width + r];
                                else
                                    for (std::int64_t c = 0; c < channels; ++c) values[c] = tile[c * width + r];
                            });
#endif
        }
    });
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
