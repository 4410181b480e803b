#pragma once
// The kernel gradient of one image for one instruction set (GradientShape and GradientTiling in
// tensor/arch/conv_kernels.hpp): x copied into a zero-padded NHWC image, then tiles of the gradient
// summed in registers over all the image's output pixels. Included by conv_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// Floats of the padded copy of x: a tile reads up to run_padded floats from the last pixel's run.
inline std::int64_t padded_floats(const GradientShape& shape, const GradientTiling& tiling) {
    return shape.padded_rows * shape.padded_columns * shape.in_channels + tiling.run_padded + lanes;
}

inline void copy_padded(const GradientShape& shape, const GradientTiling& tiling, const float* x, float* padded,
                        bool clear) {
    copy_to_padded_pixels(x, shape.in_height, shape.in_width, shape.in_channels, shape.pad_top, shape.pad_left,
                          shape.padded_rows, shape.padded_columns, padded, padded_floats(shape, tiling), clear);
}

// The arguments of one gradient tile: kernel rows [row0, row0 + ROWS), run values [t0, t0 + block),
// output channels [c0, c0 + block).
struct GradientTileArguments {
    const GradientShape* shape;
    const GradientTiling* tiling;
    const float* x;   // the padded copy
    const float* dy;  // dy_stride floats per pixel
    std::int64_t dy_stride;
    std::int64_t row0, t0, c0;
    float* partial;
    bool first;
};

inline void add_or_store(Vector value, float* to, bool first) {
    if (!first) value += Vector::load_unaligned(to);
    value.store_unaligned(to);
}

// Channel vectors: sum[row][t][v] = sum over pixels of x_run(row)[t0 + t] * dy[c0 + v * lanes ...].
template <std::int64_t ROWS, std::int64_t RUN, std::int64_t NV>
void gradient_channel_tile(const GradientTileArguments& g) {
    const GradientShape& s = *g.shape;
    Vector sum[ROWS][RUN][NV];
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
        for (std::int64_t t = 0; t < RUN; ++t)
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < NV; ++v) sum[row][t][v] = Vector(0.0f);
    const std::int64_t row_floats = s.padded_columns * s.in_channels;
    const std::int64_t step = s.stride_columns * s.in_channels;
    for (std::int64_t oy = 0; oy < s.out_height; ++oy) {
        const float* x = g.x + (oy * s.stride_rows + g.row0) * row_floats + g.t0;
        const float* dy = g.dy + oy * s.out_width * g.dy_stride + g.c0;
        for (std::int64_t ox = 0; ox < s.out_width; ++ox, x += step, dy += g.dy_stride) {
            Vector gradient[NV];
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < NV; ++v) gradient[v] = Vector::load_unaligned(dy + v * lanes);
#pragma GCC unroll 32
            for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
                for (std::int64_t t = 0; t < RUN; ++t) {
                    const Vector value(x[row * row_floats + t]);
#pragma GCC unroll 32
                    for (std::int64_t v = 0; v < NV; ++v)
                        sum[row][t][v] = multiply_add(value, gradient[v], sum[row][t][v]);
                }
        }
    }
    const GradientTiling& tiling = *g.tiling;
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
        for (std::int64_t t = 0; t < RUN; ++t)
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < NV; ++v)
                add_or_store(sum[row][t][v],
                             g.partial + ((g.row0 + row) * tiling.run_padded + g.t0 + t) * tiling.channels_padded +
                                 g.c0 + v * lanes,
                             g.first);
}

// Run vectors: sum[row][v][c] = sum over pixels of x_run(row)[t0 + v * lanes ...] * dy[c0 + c].
template <std::int64_t ROWS, std::int64_t NVR, std::int64_t CB>
void gradient_run_tile(const GradientTileArguments& g) {
    const GradientShape& s = *g.shape;
    Vector sum[ROWS][NVR][CB];
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NVR; ++v)
#pragma GCC unroll 32
            for (std::int64_t c = 0; c < CB; ++c) sum[row][v][c] = Vector(0.0f);
    const std::int64_t row_floats = s.padded_columns * s.in_channels;
    const std::int64_t step = s.stride_columns * s.in_channels;
    for (std::int64_t oy = 0; oy < s.out_height; ++oy) {
        const float* x = g.x + (oy * s.stride_rows + g.row0) * row_floats + g.t0;
        const float* dy = g.dy + oy * s.out_width * g.dy_stride + g.c0;
        for (std::int64_t ox = 0; ox < s.out_width; ++ox, x += step, dy += g.dy_stride) {
            Vector value[ROWS][NVR];
#pragma GCC unroll 32
            for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
                for (std::int64_t v = 0; v < NVR; ++v)
                    value[row][v] = Vector::load_unaligned(x + row * row_floats + v * lanes);
#pragma GCC unroll 32
            for (std::int64_t c = 0; c < CB; ++c) {
                const Vector gradient(dy[c]);
#pragma GCC unroll 32
                for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
                    for (std::int64_t v = 0; v < NVR; ++v)
                        sum[row][v][c] = multiply_add(value[row][v], gradient, sum[row][v][c]);
            }
        }
    }
    const GradientTiling& tiling = *g.tiling;
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < ROWS; ++row)
#pragma GCC unroll 32
        for (std::int64_t v = 0; v < NVR; ++v)
#pragma GCC unroll 32
            for (std::int64_t c = 0; c < CB; ++c)
                add_or_store(sum[row][v][c],
                             g.partial + ((g.row0 + row) * tiling.channels_padded + g.c0 + c) * tiling.run_padded +
                                 g.t0 + v * lanes,
                             g.first);
}

// ---------------------------------------------------------------------------------------------------
// Choosing the tile. Only tiles whose sums fit the register budget are compiled.

using GradientTile = void (*)(const GradientTileArguments&);

template <std::int64_t ROWS, std::int64_t RUN, std::int64_t NV>
GradientTile channel_tile_if_it_fits() {
    if constexpr (ROWS * RUN * NV <= accumulators) return gradient_channel_tile<ROWS, RUN, NV>;
    else return nullptr;
}

template <std::int64_t ROWS, std::int64_t NV>
GradientTile channel_tile_of_run(std::int64_t run) {
    switch (run) {
        case 1: return channel_tile_if_it_fits<ROWS, 1, NV>();
        case 2: return channel_tile_if_it_fits<ROWS, 2, NV>();
        case 3: return channel_tile_if_it_fits<ROWS, 3, NV>();
        case 4: return channel_tile_if_it_fits<ROWS, 4, NV>();
        case 6: return channel_tile_if_it_fits<ROWS, 6, NV>();
        case 8: return channel_tile_if_it_fits<ROWS, 8, NV>();
        case 12: return channel_tile_if_it_fits<ROWS, 12, NV>();
        case 24: return channel_tile_if_it_fits<ROWS, 24, NV>();
    }
    return nullptr;
}

template <std::int64_t ROWS, std::int64_t NVR, std::int64_t CB>
GradientTile run_tile_if_it_fits() {
    if constexpr (ROWS * NVR * CB <= accumulators) return gradient_run_tile<ROWS, NVR, CB>;
    else return nullptr;
}

template <std::int64_t ROWS, std::int64_t CB>
GradientTile run_tile_of_vectors(std::int64_t vectors) {
    switch (vectors) {
        case 1: return run_tile_if_it_fits<ROWS, 1, CB>();
        case 2: return run_tile_if_it_fits<ROWS, 2, CB>();
        case 3: return run_tile_if_it_fits<ROWS, 3, CB>();
        case 4: return run_tile_if_it_fits<ROWS, 4, CB>();
        case 5: return run_tile_if_it_fits<ROWS, 5, CB>();
        case 6: return run_tile_if_it_fits<ROWS, 6, CB>();
    }
    return nullptr;
}

template <std::int64_t ROWS>
GradientTile tile_of_rows(const GradientTiling& t) {
    if (t.run_vectors) {
        const std::int64_t vectors = t.run_block / lanes;
        switch (t.channel_block) {
            case 1: return run_tile_of_vectors<ROWS, 1>(vectors);
            case 2: return run_tile_of_vectors<ROWS, 2>(vectors);
            case 4: return run_tile_of_vectors<ROWS, 4>(vectors);
            case 8: return run_tile_of_vectors<ROWS, 8>(vectors);
        }
        return nullptr;
    }
    switch (t.channel_block / lanes) {
        case 1: return channel_tile_of_run<ROWS, 1>(t.run_block);
        case 2: return channel_tile_of_run<ROWS, 2>(t.run_block);
        case 3: return channel_tile_of_run<ROWS, 3>(t.run_block);
        case 4: return channel_tile_of_run<ROWS, 4>(t.run_block);
    }
    return nullptr;
}

inline GradientTile tile_of(const GradientTiling& t) { return t.rows == 3 ? tile_of_rows<3>(t) : tile_of_rows<1>(t); }

// Vectors over the output channels when they fill lanes at least as well as the run does (16 or 32
// channels), else vectors over the run (1 or 8 output channels). Tiles of three kernel rows when
// one row's tile would be small.
GradientTiling gradient_tiling(const GradientShape& shape) {
    const std::int64_t run = shape.kernel_width * shape.in_channels, channels = shape.out_channels;
    const bool three_rows = shape.kernel_height % 3 == 0;
    GradientTiling t{};
    // Lane use, compared as channels / round_up(channels, lanes) >= run / round_up(run, lanes).
    t.run_vectors = channels * round_up(run, lanes) < run * round_up(channels, lanes);
    if (!t.run_vectors) {
        const std::int64_t vectors = smaller((channels + lanes - 1) / lanes, 4);
        const std::int64_t budget = accumulators / vectors;  // 24, 12, 8, 6 or 12, 6, 4, 3: all compiled
        t.rows = three_rows && 3 * run <= budget ? 3 : 1;
        const std::int64_t wanted = t.rows == 3 ? run : smaller(run, budget);
        t.run_block = budget;
        for (const std::int64_t size : {1, 2, 3, 4, 6, 8, 12, 24})
            if (size >= wanted && size * t.rows * vectors <= accumulators) {
                t.run_block = size;
                break;
            }
        t.channel_block = vectors * lanes;
    } else {
        t.channel_block = channels <= 1 ? 1 : channels <= 2 ? 2 : channels <= 4 ? 4 : 8;
        t.rows = three_rows && 3 * t.channel_block <= accumulators ? 3 : 1;
        const std::int64_t vectors = smaller(smaller((run + lanes - 1) / lanes, accumulators / (t.rows * t.channel_block)), 6);
        t.run_block = vectors * lanes;
    }
    t.run_padded = round_up(run, t.run_block);
    t.channels_padded = round_up(channels, t.channel_block);
    return t;
}

inline bool dy_is_copied(const GradientShape& shape, const GradientTiling& tiling) {
    return tiling.channels_padded != shape.out_channels;
}

std::int64_t gradient_scratch(const GradientShape& shape, const GradientTiling& tiling) {
    const std::int64_t dy = dy_is_copied(shape, tiling) ? shape.out_height * shape.out_width * tiling.channels_padded : 0;
    return round_up(padded_floats(shape, tiling), 16) + dy;
}

void gradient_image(const GradientShape& shape, const GradientTiling& tiling, const float* x, const float* dy,
                    float* partial, bool first, const Scratch& space) {
    float* scratch = space.data;
    float* padded = scratch;
    copy_padded(shape, tiling, x, padded, space.clear);
    GradientTileArguments arguments{&shape, &tiling, padded, dy, shape.out_channels, 0, 0, 0, partial, first};
    if (dy_is_copied(shape, tiling)) {
        // dy with its channels padded to whole tiles (zeros), so a tile never reads past an image.
        float* copy = scratch + round_up(padded_floats(shape, tiling), 16);
        const std::int64_t pixels = shape.out_height * shape.out_width, stride = tiling.channels_padded;
        for (std::int64_t p = 0; p < pixels; ++p) {
            copy_floats(dy + p * shape.out_channels, copy + p * stride, shape.out_channels);
            fill_zero(copy + p * stride + shape.out_channels, stride - shape.out_channels);
        }
        arguments.dy = copy;
        arguments.dy_stride = stride;
    }
    const GradientTile tile = tile_of(tiling);
    for (std::int64_t c0 = 0; c0 < tiling.channels_padded; c0 += tiling.channel_block)
        for (std::int64_t row0 = 0; row0 < shape.kernel_height; row0 += tiling.rows)
            for (std::int64_t t0 = 0; t0 < tiling.run_padded; t0 += tiling.run_block) {
                arguments.row0 = row0, arguments.t0 = t0, arguments.c0 = c0;
                tile(arguments);
            }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
