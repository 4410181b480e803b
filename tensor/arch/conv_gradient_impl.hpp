#pragma once
// The kernel gradient of one image for one instruction set (GradientShape and GradientTiling in
// tensor/arch/conv_kernels.hpp): x copied into a zero-padded NHWC image, then tiles of the gradient
// summed in registers over all the image's output pixels. Included by conv_impl.hpp.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// Floats of the padded copy of x: a tile reads up to run_padded floats from the last pixel's run. The
// column-reuse tile reads x in place and needs only a row of zeros.
inline std::int64_t padded_floats(const GradientShape& shape, const GradientTiling& tiling) {
    if (tiling.reuse_columns) return (shape.out_width + 2) * shape.in_channels;
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
    float* row;          // out_width + 4 floats of scratch for the column-reuse tile
    const float* zeros;  // (out_width + 2) * in_channels zeros: the column-reuse tile's padding rows
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

// Column reuse (GradientTiling::reuse_columns), one output channel: sum[row][dx][v] = sum over pixels
// of x_run(row)[dx * channels + v * lanes ...] * dy. The vector at padded column q of a row of x is
// loaded once for outputs ox = q - dx, dx < 3, whose dy values are broadcast once for the 3 rows.
// Each row of x is read once, so this tile reads x where it lies (g.x is the image, not a padded
// copy): padding columns add nothing and are skipped, padding rows read g.zeros.
template <std::int64_t CV>
void gradient_reuse_tile(const GradientTileArguments& g) {
    const GradientShape& s = *g.shape;
    const std::int64_t channels = s.in_channels, image_row = s.in_width * channels, width = s.out_width;
    Vector sum[3][3][CV];
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < 3; ++row)
#pragma GCC unroll 32
        for (std::int64_t dx = 0; dx < 3; ++dx)
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < CV; ++v) sum[row][dx][v] = Vector(0.0f);
    // dy's row with two zeros on each side: column q reads dy[ox = q - dx] at row[q + 2 - dx].
    float* padded_dy = g.row;
    padded_dy[0] = padded_dy[1] = padded_dy[width + 2] = padded_dy[width + 3] = 0.0f;
    // The padded columns that hold image pixels.
    const std::int64_t q_begin = s.pad_left, q_end = smaller(width + 2, s.pad_left + s.in_width);
    for (std::int64_t oy = 0; oy < s.out_height; ++oy) {
        copy_floats(g.dy + oy * width, padded_dy + 2, width);
        const float* rows[3];
        for (std::int64_t row = 0; row < 3; ++row) {
            const std::int64_t iy = oy * s.stride_rows + g.row0 + row - s.pad_top;
            rows[row] = iy >= 0 && iy < s.in_height ? g.x + iy * image_row - s.pad_left * channels : g.zeros;
        }
        prefetch_floats(g.x + (oy * s.stride_rows + g.row0 + 3 - s.pad_top + 2) * image_row, image_row);
        for (std::int64_t q = q_begin; q < q_end; ++q) {
            const Vector d0(padded_dy[q + 2]), d1(padded_dy[q + 1]), d2(padded_dy[q]);
#pragma GCC unroll 32
            for (std::int64_t row = 0; row < 3; ++row)
#pragma GCC unroll 32
                for (std::int64_t v = 0; v < CV; ++v) {
                    const Vector value = in_register(Vector::load_unaligned(rows[row] + q * channels + v * lanes));
                    sum[row][0][v] = multiply_add(value, d0, sum[row][0][v]);
                    sum[row][1][v] = multiply_add(value, d1, sum[row][1][v]);
                    sum[row][2][v] = multiply_add(value, d2, sum[row][2][v]);
                }
        }
    }
    const std::int64_t run_padded = g.tiling->run_padded;
#pragma GCC unroll 32
    for (std::int64_t row = 0; row < 3; ++row)
#pragma GCC unroll 32
        for (std::int64_t dx = 0; dx < 3; ++dx)
#pragma GCC unroll 32
            for (std::int64_t v = 0; v < CV; ++v)
                add_or_store(sum[row][dx][v], g.partial + (g.row0 + row) * run_padded + dx * channels + v * lanes,
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

inline GradientTile tile_of(const GradientTiling& t) {
    if (t.reuse_columns) {
        if constexpr (9 * 2 <= accumulators)
            if (t.run_block == 3 * 2 * lanes) return gradient_reuse_tile<2>;
        return gradient_reuse_tile<1>;
    }
    return t.rows == 3 ? tile_of_rows<3>(t) : tile_of_rows<1>(t);
}

// Vectors over the output channels when they fill lanes at least as well as the run does (16 or 32
// channels), else vectors over the run (1 or 8 output channels). Tiles of three kernel rows when
// one row's tile would be small.
GradientTiling gradient_tiling(const GradientShape& shape) {
    const std::int64_t run = shape.kernel_width * shape.in_channels, channels = shape.out_channels;
    const bool three_rows = shape.kernel_height % 3 == 0;
    GradientTiling t{};
    const std::int64_t channel_vectors = shape.in_channels / lanes;
    if (channels == 1 && shape.stride_columns == 1 && shape.kernel_width == 3 && three_rows &&
        shape.in_channels % lanes == 0 && (channel_vectors == 1 || (channel_vectors == 2 && 18 <= accumulators))) {
        t.run_vectors = t.reuse_columns = true;
        t.rows = 3;
        t.run_block = t.run_padded = run;
        t.channel_block = t.channels_padded = 1;
        return t;
    }
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
    return round_up(padded_floats(shape, tiling), 16) + round_up(dy, 16) + shape.out_width + 4;
}

void gradient_image(const GradientShape& shape, const GradientTiling& tiling, const float* x, const float* dy,
                    float* partial, bool first, const Scratch& space) {
    float* scratch = space.data;
    float* padded = scratch;
    if (!tiling.reuse_columns) copy_padded(shape, tiling, x, padded, space.clear);
    else if (space.clear) fill_zero(padded, padded_floats(shape, tiling));
    const std::int64_t dy_floats =
        dy_is_copied(shape, tiling) ? shape.out_height * shape.out_width * tiling.channels_padded : 0;
    float* row = scratch + round_up(padded_floats(shape, tiling), 16) + round_up(dy_floats, 16);
    GradientTileArguments arguments{&shape, &tiling, tiling.reuse_columns ? x : padded, dy, shape.out_channels, 0, 0, 0,
                                    partial, first, row, padded};
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
