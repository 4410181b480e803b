#pragma once
// Channel-vector tiles of a product (tensor/arch/conv_kernels.hpp): a row's positions x a few vectors
// of output channels, the plane values broadcast, each once for the kernel row's taps that read it;
// and the write of a tile into the NHWC output. Included by conv_planar_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

constexpr std::int64_t vector_registers = lanes == 16 ? 32 : 16;
// Channel vectors a tile holds at most: with 16 registers (AVX2, SSE2) 4 would leave room for 2
// positions and no groups, so wider outputs take several blocks of 2 vectors.
constexpr std::int64_t max_channel_vectors = lanes == 16 ? 4 : 2;

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
        case Activation::softmax: return;  // not element-wise: refused by tensor/conv.cpp
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

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
