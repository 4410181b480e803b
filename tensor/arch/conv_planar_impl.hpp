#pragma once
// The convolution products of one instruction set (PlanarLayout and PlanarProduct in
// tensor/arch/conv_kernels.hpp): the copy of an NHWC image into padded planes, the two micro-kernels
// and the writing of their tiles into the NHWC output. Included by conv_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"
#include "tensor/arch/conv_transpose_impl.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// ---------------------------------------------------------------------------------------------------
// The planes.

// Copies image n of the stack into the planes (their padding is zeroed by the caller). Image row iy
// lands in plane row (iy + pad_top) / stride_rows of the row phase (iy + pad_top) % stride_rows; in
// it, the pixels of column phase b are every stride_columns-th, from the first ix with
// (ix + pad_left) % stride_columns == b.
inline void copy_to_planes(const PlanarLayout& layout, const float* image, std::int64_t n, float* planes) {
    const std::int64_t channels = layout.channels, plane_size = layout.plane_size, width = layout.width;
    planes += n * layout.rows * layout.columns;
    const std::int64_t sr = layout.stride_rows, sc = layout.stride_columns;
    for (std::int64_t iy = 0; iy < layout.height; ++iy) {
        const std::int64_t py = iy + layout.pad_top, a = py % sr, u = py / sr;
        if (u >= layout.rows) continue;
        for (std::int64_t b = 0; b < sc; ++b) {
            const std::int64_t first = ((b - layout.pad_left) % sc + sc) % sc;  // the first ix of phase b
            if (first >= width) continue;
            const std::int64_t v = (first + layout.pad_left) / sc;
            const std::int64_t count = smaller((width - first + sc - 1) / sc, layout.columns - v);
            if (count <= 0) continue;
            pixels_to_planes(image + (iy * width + first) * channels, sc * channels, count, channels,
                             planes + (a * sc + b) * channels * plane_size + u * layout.columns + v, plane_size);
        }
    }
}

// Output positions of a product over `count` stacked images: its raster runs to the last output of
// the last image's last row.
inline std::int64_t positions_of(const PlanarLayout& layout, const PlanarProduct& product, std::int64_t count) {
    if (product.out_rows <= 0 || product.out_columns <= 0 || count <= 0) return 0;
    return ((count - 1) * layout.rows + product.out_rows - 1) * layout.columns + product.out_columns;
}

// ---------------------------------------------------------------------------------------------------
// Channel vectors: a tile of R positions x NV vectors of output channels, terms in groups of G.

constexpr std::int64_t vector_registers = lanes == 16 ? 32 : 16;
constexpr std::int64_t max_channel_vectors = 4;

// Positions per tile: the sums, the G x NV weight vectors of a group and one broadcast fill the
// registers (the sums at most the accumulator budget).
constexpr std::int64_t channel_tile_positions(std::int64_t vectors, std::int64_t group) {
    return smaller(accumulators / vectors, (vector_registers - 1 - group * vectors) / vectors);
}

// Groups of up to 3 taps, when the tile keeps at least 4 positions (else one term at a time).
constexpr std::int64_t max_channel_group(std::int64_t vectors) {
    for (std::int64_t group = 3; group > 1; --group)
        if (channel_tile_positions(vectors, group) >= 4) return group;
    return 1;
}

// tile[r][c] = sum over groups and g < G of in[offsets[group] + S * r + g] * weights[group * G + g][c],
// for r < R, c < NV * lanes. A plane value in[offsets[group] + q] is broadcast once and serves the
// outputs r = (q - g) / S that read it.
template <std::int64_t R, std::int64_t NV, std::int64_t G, std::int64_t S>
inline void channel_tile(std::int64_t groups, const std::int64_t* offsets, const float* in, const float* weights,
                         float* tile) {
    Vector sum[R][NV];
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < R; ++r)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NV; ++v) sum[r][v] = Vector(0.0f);
    for (std::int64_t group = 0; group < groups; ++group) {
        const float* a = in + offsets[group];
        const float* w = weights + group * G * NV * lanes;
        Vector b[G][NV];
#pragma GCC unroll 32
        for (std::int64_t g = 0; g < G; ++g)
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < NV; ++v) b[g][v] = Vector::load_aligned(w + (g * NV + v) * lanes);
#pragma GCC unroll 64
        for (std::int64_t q = 0; q < S * (R - 1) + G; ++q) {
            const Vector value(a[q]);
#pragma GCC unroll 32
            for (std::int64_t g = 0; g < G; ++g) {
                if (q < g || (q - g) % S != 0 || (q - g) / S >= R) continue;
                const std::int64_t r = (q - g) / S;
#pragma GCC unroll 32
                for (std::int64_t v = 0; v < NV; ++v) sum[r][v] = multiply_add(value, b[g][v], sum[r][v]);
            }
        }
    }
#pragma GCC unroll 32
    for (std::int64_t r = 0; r < R; ++r)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NV; ++v) sum[r][v].store_aligned(tile + (r * NV + v) * lanes);
}

// Writes `count` pixels (pixel_stride floats apart, `channels` each) from a tile whose rows are
// `width` floats: tile + bias, then the activation, or added to the output when accumulating.
template <class Function>
void write_pixels_with(const float* tile, std::int64_t width, std::int64_t count, float* to, std::int64_t pixel_stride,
                       std::int64_t channels, const float* bias, bool accumulate, Function function) {
    if (channels == width && !accumulate) {  // whole vectors: the common case
        for (std::int64_t r = 0; r < count; ++r, to += pixel_stride, tile += width)
            for (std::int64_t c = 0; c < channels; c += lanes) {
                Vector x = Vector::load_aligned(tile + c);
                if (bias) x += Vector::load_unaligned(bias + c);
                function(x).store_unaligned(to + c);
            }
        return;
    }
    for (std::int64_t r = 0; r < count; ++r, to += pixel_stride, tile += width)
        for (std::int64_t c = 0; c < channels; c += lanes) {
            const std::int64_t n = smaller(lanes, channels - c);
            Vector x = Vector::load_aligned(tile + c);
            if (accumulate) {
                x += load_first(to + c, n);
            } else {
                if (bias) x += load_first(bias + c, n);
                x = function(x);
            }
            store_first(x, to + c, n);
        }
}

// The activation is chosen here, per tile, so the tile loops are compiled once, not per activation.
// (A plain switch: a lambda's captures passed by value went through the stack in pieces and were read
// back whole, a store-forwarding stall on every tile.)
inline void write_pixels(const float* tile, std::int64_t width, std::int64_t count, float* to,
                         std::int64_t pixel_stride, std::int64_t channels, const float* bias, const ProductOutput& out) {
    const bool accumulate = out.accumulate;
    switch (out.activation) {
        case Activation::linear:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate, Identity{});
        case Activation::relu:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate, Relu{});
        case Activation::leaky_relu:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate,
                                     LeakyRelu{Vector(out.negative_slope)});
        case Activation::sigmoid:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate, Sigmoid{});
        case Activation::tanh:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate, Tanh{});
        case Activation::softplus:
            return write_pixels_with(tile, width, count, to, pixel_stride, channels, bias, accumulate, Softplus{});
    }
}

// The tile widths compiled, and the one that covers a row of `columns` outputs with the fewest
// computed positions, counting a tile's fixed cost as 4 more (a 14-wide row: 2 x 7, not 12 + 12).
constexpr std::int64_t channel_tile_widths[] = {14, 12, 8, 7, 4, 1};

inline std::int64_t channel_tile_width(std::int64_t columns, std::int64_t most) {
    std::int64_t best = 1, best_cost = -1;
    for (const std::int64_t width : channel_tile_widths) {
        if (width > most) continue;
        const std::int64_t cost = (columns + width - 1) / width * (width + 4);
        if (best_cost < 0 || cost < best_cost) best = width, best_cost = cost;
    }
    return best;
}

// Each row of the product's outputs in tiles of R positions (the last may run into columns that are
// computed and dropped).
template <std::int64_t R, std::int64_t NV, std::int64_t G, std::int64_t S>
void channel_rows(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                  const ProductOutput& out, std::int64_t block_index, float* output, float* tile,
                  Prefetcher& prefetcher, std::int64_t count) {
    constexpr std::int64_t width = NV * lanes;
    const std::int64_t groups = product.groups, columns = layout.columns, out_rows = product.out_rows;
    const std::int64_t out_columns = product.out_columns, first_channel = block_index * width;
    const std::int64_t channels = smaller(width, out.channels - first_channel);
    const std::int64_t pixel_stride = product.column_step * out.channels;
    const std::int64_t row_stride = product.row_step * out.width * out.channels;
    const std::int64_t* offsets = product.offsets;
    const float* weights = product.weights + block_index * groups * G * width;
    const float* bias = out.bias ? out.bias + first_channel : nullptr;
    const std::int64_t out_image = out.height * out.width * out.channels;
    for (std::int64_t n = 0; n < count; ++n) {
        const float* image_planes = planes + n * layout.rows * columns;
        float* first_pixel =
            output + n * out_image + (product.row0 * out.width + product.column0) * out.channels + first_channel;
        for (std::int64_t u = 0; u < out_rows; ++u, prefetcher.step()) {
            // The output is usually in memory: its lines are asked for two rows ahead, so that the
            // stores do not wait for each line's read-for-ownership.
            prefetch_floats(first_pixel + (u + 2) * row_stride, out_columns * pixel_stride, true);
            for (std::int64_t v = 0; v < out_columns; v += R) {
                channel_tile<R, NV, G, S>(groups, offsets, image_planes + u * columns + v * S, weights, tile);
                write_pixels(tile, width, smaller(R, out_columns - v), first_pixel + u * row_stride + v * pixel_stride,
                             pixel_stride, channels, bias, out);
            }
        }
    }
}

template <std::int64_t NV, std::int64_t G, std::int64_t S>
void channel_product(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                     const ProductOutput& out, std::int64_t block_index, float* output, float* tile,
                     Prefetcher& prefetcher, std::int64_t count) {
    constexpr std::int64_t most = channel_tile_positions(NV, G);
    const std::int64_t width = channel_tile_width(product.out_columns, most);
#define SMALLNET_CHANNEL_ROWS(R)                                                                  \
    if constexpr (R <= most)                                                                      \
        if (width == R) return channel_rows<R, NV, G, S>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
    SMALLNET_CHANNEL_ROWS(14)
    SMALLNET_CHANNEL_ROWS(12)
    SMALLNET_CHANNEL_ROWS(8)
    SMALLNET_CHANNEL_ROWS(7)
    SMALLNET_CHANNEL_ROWS(4)
#undef SMALLNET_CHANNEL_ROWS
    channel_rows<1, NV, G, S>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
}

// Groups of 3, 2 or 1 terms, at column stride 1 or 2.
template <std::int64_t NV>
void channel_product_of_group(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                              const ProductOutput& out, std::int64_t block_index, float* output, float* tile,
                              Prefetcher& prefetcher, std::int64_t count) {
    const bool stride2 = product.column_stride == 2;
    if constexpr (max_channel_group(NV) >= 3) {
        if (product.group_size == 3 && !stride2)
            return channel_product<NV, 3, 1>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
        if (product.group_size == 3 && stride2)
            return channel_product<NV, 3, 2>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
    }
    if constexpr (max_channel_group(NV) >= 2) {
        if (product.group_size == 2 && !stride2)
            return channel_product<NV, 2, 1>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
        if (product.group_size == 2 && stride2)
            return channel_product<NV, 2, 2>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
    }
    if (stride2) return channel_product<NV, 1, 2>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
    channel_product<NV, 1, 1>(layout, planes, product, out, block_index, output, tile, prefetcher, count);
}

// ---------------------------------------------------------------------------------------------------
// Pixel vectors: a tile of MR output channels x NP vectors of positions.

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

// ---------------------------------------------------------------------------------------------------
// The table's entries.

ProductTiling product_tiling(std::int64_t out_channels) {
    if (2 * out_channels <= lanes) {
        const std::int64_t mr = out_channels <= 1 ? 1 : out_channels <= 2 ? 2 : out_channels <= 4 ? 4 : 8;
        return {true, mr, 1};
    }
    const std::int64_t vectors = smaller((out_channels + lanes - 1) / lanes, max_channel_vectors);
    return {false, vectors * lanes, max_channel_group(vectors)};
}

// The largest tile: a channel tile is accumulators x lanes floats; a pixel tile MR rows of NP
// vectors of positions and, on AVX-512, their transpose (16 floats a position).
constexpr std::int64_t pixel_tile_floats(std::int64_t mr) { return (mr + 16) * pixel_tile_vectors(mr) * lanes; }
constexpr std::int64_t product_scratch = [] {
    std::int64_t most = accumulators * lanes;
    for (const std::int64_t mr : {1, 2, 4, 8}) most = pixel_tile_floats(mr) > most ? pixel_tile_floats(mr) : most;
    return most;
}();

void planar_images(const PlanarLayout& layout, const float* images, std::int64_t count,
                   const PlanarProduct* products, std::int64_t product_count, const ProductTiling& tiling,
                   const ProductOutput& out, float* output, const Scratch& scratch) {
    float* planes = scratch.data;
    float* tile = scratch.data + round_up(layout.floats(), 16);
    if (scratch.clear) fill_zero(planes, layout.floats());
    const std::int64_t image_floats = layout.height * layout.width * layout.channels;
    for (std::int64_t n = 0; n < count; ++n) copy_to_planes(layout, images + n * image_floats, n, planes);
    const std::int64_t blocks = (out.channels + tiling.block - 1) / tiling.block;
    // A step per row of channel tiles, per tile of pixel tiles.
    const std::int64_t pixel_width = pixel_tile_vectors(tiling.block) * lanes;
    std::int64_t steps = 0;
    for (std::int64_t p = 0; p < product_count; ++p)
        steps += blocks * (tiling.pixel_vectors
                               ? (positions_of(layout, products[p], count) + pixel_width - 1) / pixel_width
                               : count * products[p].out_rows);
    Prefetcher prefetcher(scratch, steps);
    for (std::int64_t p = 0; p < product_count; ++p)
        for (std::int64_t block = 0; block < blocks; ++block) {
            const PlanarProduct& product = products[p];
            if (tiling.pixel_vectors) {
                switch (tiling.block) {
                    case 1: pixel_product<1>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 2: pixel_product<2>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 4: pixel_product<4>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    default: pixel_product<8>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                }
            } else {
                switch (tiling.block / lanes) {
                    case 1: channel_product_of_group<1>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 2: channel_product_of_group<2>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    case 3: channel_product_of_group<3>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                    default: channel_product_of_group<4>(layout, planes, product, out, block, output, tile, prefetcher, count); break;
                }
            }
        }
    prefetcher.finish();
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
