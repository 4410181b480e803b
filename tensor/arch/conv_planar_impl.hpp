#pragma once
// The convolution products of one instruction set (PlanarLayout and PlanarProduct in
// tensor/arch/conv_kernels.hpp): the copy of an NHWC image into padded planes, the two micro-kernels
// and the writing of their tiles into the NHWC output. Included by conv_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// ---------------------------------------------------------------------------------------------------
// The planes.

// Copies the image into the planes; the padding around it is zeroed only when `clear`.
inline void copy_to_planes(const PlanarLayout& layout, const float* image, float* planes, bool clear) {
    if (clear) fill_zero(planes, layout.floats());
    const std::int64_t channels = layout.channels, plane_size = layout.plane_size;
    const std::int64_t sr = layout.stride_rows, sc = layout.stride_columns;
    for (std::int64_t iy = 0; iy < layout.height; ++iy) {
        const std::int64_t py = iy + layout.pad_top, a = py % sr, u = py / sr;
        if (u >= layout.rows) continue;
        for (std::int64_t ix = 0; ix < layout.width; ++ix) {
            const std::int64_t px = ix + layout.pad_left, b = px % sc, v = px / sc;
            if (v >= layout.columns) continue;
            const float* pixel = image + (iy * layout.width + ix) * channels;
            float* to = planes + (a * sc + b) * channels * plane_size + u * layout.columns + v;
            for (std::int64_t c = 0; c < channels; ++c) to[c * plane_size] = pixel[c];
        }
    }
}

// Output positions of a product: its raster runs to the last output of the last row.
inline std::int64_t positions_of(const PlanarLayout& layout, const PlanarProduct& product) {
    if (product.out_rows <= 0 || product.out_columns <= 0) return 0;
    return (product.out_rows - 1) * layout.columns + product.out_columns;
}

// ---------------------------------------------------------------------------------------------------
// Channel vectors: a tile of R positions x NV vectors of output channels.

// Positions per tile for NV channel vectors: the tile's sums fill the register budget.
constexpr std::int64_t channel_tile_positions(std::int64_t vectors) { return accumulators / vectors; }
constexpr std::int64_t max_channel_vectors = 4;

// tile[r][c] = sum over k of in[offsets[k] + r] * weights[k][c], for r < R, c < NV * lanes.
template <std::int64_t R, std::int64_t NV>
inline void channel_tile(std::int64_t depth, const std::int64_t* offsets, const float* in, const float* weights,
                         float* tile) {
    Vector sum[R][NV];
    for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t v = 0; v < NV; ++v) sum[r][v] = Vector(0.0f);
    for (std::int64_t k = 0; k < depth; ++k) {
        const float* a = in + offsets[k];
        Vector b[NV];
        for (std::int64_t v = 0; v < NV; ++v) b[v] = Vector::load_aligned(weights + (k * NV + v) * lanes);
        for (std::int64_t r = 0; r < R; ++r) {
            const Vector value(a[r]);
            for (std::int64_t v = 0; v < NV; ++v) sum[r][v] = multiply_add(value, b[v], sum[r][v]);
        }
    }
    for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t v = 0; v < NV; ++v) sum[r][v].store_aligned(tile + (r * NV + v) * lanes);
}

// Walks the positions [first, first + count) of a product's raster, calling visit(r, output_pixel)
// for those that are outputs (r = position - first), skipping the dropped columns.
template <class Visit>
inline void for_each_output(const PlanarLayout& layout, const PlanarProduct& product, const ProductOutput& out,
                            std::int64_t first, std::int64_t count, Visit visit) {
    std::int64_t u = first / layout.columns, v = first - u * layout.columns;
    for (std::int64_t r = 0; r < count; ++r) {
        if (v < product.out_columns)
            visit(r, (product.row0 + u * product.row_step) * out.width + product.column0 + v * product.column_step);
        if (++v == layout.columns) v = 0, ++u;
    }
}

// Writes channels [first_channel, first_channel + width) of a channel tile's outputs.
template <class Function>
inline void write_channel_tile(const PlanarLayout& layout, const PlanarProduct& product, const ProductOutput& out,
                               const float* tile, std::int64_t width, std::int64_t first, std::int64_t count,
                               std::int64_t first_channel, float* output, Function function) {
    const std::int64_t channels = smaller(width, out.channels - first_channel);
    const float* bias = out.bias ? out.bias + first_channel : nullptr;
    for_each_output(layout, product, out, first, count, [&](std::int64_t r, std::int64_t pixel) {
        float* to = output + pixel * out.channels + first_channel;
        const float* from = tile + r * width;
        for (std::int64_t c = 0; c < channels; c += lanes) {
            const std::int64_t n = smaller(lanes, channels - c);
            Vector x = Vector::load_aligned(from + c);
            if (out.accumulate) {
                x += load_first(to + c, n);
            } else {
                if (bias) x += load_first(bias + c, n);
                x = function(x);
            }
            store_first(x, to + c, n);
        }
    });
}

template <std::int64_t NV>
void channel_product(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                     const ProductOutput& out, std::int64_t block_index, float* output, float* tile) {
    constexpr std::int64_t R = channel_tile_positions(NV), width = NV * lanes;
    const std::int64_t positions = positions_of(layout, product);
    const float* weights = product.weights + block_index * product.depth * width;
    with_activation(out.activation, out.negative_slope, [&](auto function) {
        for (std::int64_t first = 0; first < positions; first += R) {
            channel_tile<R, NV>(product.depth, product.offsets, planes + first, weights, tile);
            write_channel_tile(layout, product, out, tile, width, first, smaller(R, positions - first),
                               block_index * width, output, function);
        }
    });
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
    for (std::int64_t c = 0; c < MR; ++c)
        for (std::int64_t v = 0; v < NP; ++v) sum[c][v] = Vector(0.0f);
    for (std::int64_t k = 0; k < depth; ++k) {
        const float* a = in + offsets[k];
        Vector x[NP];
        for (std::int64_t v = 0; v < NP; ++v) x[v] = Vector::load_unaligned(a + v * lanes);
        for (std::int64_t c = 0; c < MR; ++c) {
            const Vector w(weights[k * MR + c]);
            for (std::int64_t v = 0; v < NP; ++v) sum[c][v] = multiply_add(w, x[v], sum[c][v]);
        }
    }
    for (std::int64_t c = 0; c < MR; ++c)
        for (std::int64_t v = 0; v < NP; ++v) sum[c][v].store_aligned(tile + (c * NP + v) * lanes);
}

// Writes output channels [first_channel, first_channel + MR) of a pixel tile: the bias and activation
// on the tile's rows (vectors of positions), then each value to its pixel.
template <class Function>
inline void write_pixel_tile(const PlanarLayout& layout, const PlanarProduct& product, const ProductOutput& out,
                             float* tile, std::int64_t mr, std::int64_t width, std::int64_t first,
                             std::int64_t count, std::int64_t first_channel, float* output, Function function) {
    const std::int64_t channels = smaller(mr, out.channels - first_channel);
    if (!out.accumulate)
        for (std::int64_t c = 0; c < channels; ++c) {
            const Vector bias(out.bias ? out.bias[first_channel + c] : 0.0f);
            float* row = tile + c * width;
            for (std::int64_t r = 0; r < width; r += lanes)
                function(Vector::load_aligned(row + r) + bias).store_aligned(row + r);
        }
    for_each_output(layout, product, out, first, count, [&](std::int64_t r, std::int64_t pixel) {
        float* to = output + pixel * out.channels + first_channel;
        if (out.accumulate)
            for (std::int64_t c = 0; c < channels; ++c) to[c] += tile[c * width + r];
        else
            for (std::int64_t c = 0; c < channels; ++c) to[c] = tile[c * width + r];
    });
}

template <std::int64_t MR>
void pixel_product(const PlanarLayout& layout, const float* planes, const PlanarProduct& product,
                   const ProductOutput& out, std::int64_t block_index, float* output, float* tile) {
    constexpr std::int64_t NP = pixel_tile_vectors(MR), width = NP * lanes;
    const std::int64_t positions = positions_of(layout, product);
    const float* weights = product.weights + block_index * product.depth * MR;
    with_activation(out.activation, out.negative_slope, [&](auto function) {
        for (std::int64_t first = 0; first < positions; first += width) {
            pixel_tile<MR, NP>(product.depth, product.offsets, planes + first, weights, tile);
            write_pixel_tile(layout, product, out, tile, MR, width, first, smaller(width, positions - first),
                             block_index * MR, output, function);
        }
    });
}

// ---------------------------------------------------------------------------------------------------
// The table's entries.

ProductTiling product_tiling(std::int64_t out_channels) {
    if (2 * out_channels <= lanes) {
        const std::int64_t mr = out_channels <= 1 ? 1 : out_channels <= 2 ? 2 : out_channels <= 4 ? 4 : 8;
        return {true, mr};
    }
    const std::int64_t vectors = smaller((out_channels + lanes - 1) / lanes, max_channel_vectors);
    return {false, vectors * lanes};
}

// The largest tile: channel tiles are accumulators x lanes floats, pixel tiles 8 x 3 x lanes at most.
constexpr std::int64_t product_scratch = 32 * lanes;

void planar_image(const PlanarLayout& layout, const float* image, const PlanarProduct* products,
                  std::int64_t product_count, const ProductTiling& tiling, const ProductOutput& out, float* output,
                  float* scratch, bool clear) {
    float* planes = scratch;
    float* tile = scratch + round_up(layout.floats(), 16);
    copy_to_planes(layout, image, planes, clear);
    const std::int64_t blocks = (out.channels + tiling.block - 1) / tiling.block;
    for (std::int64_t p = 0; p < product_count; ++p)
        for (std::int64_t block = 0; block < blocks; ++block) {
            const PlanarProduct& product = products[p];
            if (tiling.pixel_vectors) {
                switch (tiling.block) {
                    case 1: pixel_product<1>(layout, planes, product, out, block, output, tile); break;
                    case 2: pixel_product<2>(layout, planes, product, out, block, output, tile); break;
                    case 4: pixel_product<4>(layout, planes, product, out, block, output, tile); break;
                    default: pixel_product<8>(layout, planes, product, out, block, output, tile); break;
                }
            } else {
                switch (tiling.block / lanes) {
                    case 1: channel_product<1>(layout, planes, product, out, block, output, tile); break;
                    case 2: channel_product<2>(layout, planes, product, out, block, output, tile); break;
                    case 3: channel_product<3>(layout, planes, product, out, block, output, tile); break;
                    default: channel_product<4>(layout, planes, product, out, block, output, tile); break;
                }
            }
        }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
