#pragma once
// Max pooling and upsampling of one image (PoolShape in tensor/arch/conv_kernels.hpp), vectorized
// over the channels of a pixel, for one instruction set. Included by conv_impl.hpp.
//
// They move data more than they compute: at batch 128 the scalar loops they replace took as long as
// the convolutions around them (a 28x28x32 max pooling and its gradient: 6.5 ms on one core), while
// the bytes they must read and write take about 0.5 ms.

#include "tensor/arch/conv_common_impl.hpp"
#include "tensor/arch/conv_kernels.hpp"

namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv {

// The rows each output row reads are prefetched this many output rows ahead: with the data in
// memory (as it is in a training step, long after the forward pass wrote it) the hardware prefetcher
// restarts at every 4 KB page and a 28x28x16 max pooling ran at 6 GB/s.
constexpr std::int64_t rows_ahead = 2;

// The window of output (oy, ox), clipped to the image: rows [top, bottom), columns [left, right).
struct PoolWindow {
    std::int64_t top, bottom, left, right;
};

inline PoolWindow window_of(const PoolShape& s, std::int64_t oy, std::int64_t ox) {
    const std::int64_t top = oy * s.stride_height - s.pad_top, left = ox * s.stride_width - s.pad_left;
    return {top < 0 ? 0 : top, smaller(top + s.pool_height, s.in_height), left < 0 ? 0 : left,
            smaller(left + s.pool_width, s.in_width)};
}

// y = the largest value of each window, NaN winning (as TensorFlow and PyTorch): the window's pixels
// in row-major order, m = (p > m || p != p) ? p : m.
void max_pool_image(const PoolShape& s, const float* x, float* y) {
    const std::int64_t channels = s.channels, row = s.in_width * channels;
    for (std::int64_t oy = 0; oy < s.out_height; ++oy) {
        prefetch_floats(x + ((oy + rows_ahead) * s.stride_height - s.pad_top) * row, s.pool_height * row);
        for (std::int64_t ox = 0; ox < s.out_width; ++ox) {
            const PoolWindow w = window_of(s, oy, ox);
            float* out = y + (oy * s.out_width + ox) * channels;
            for (std::int64_t c = 0; c < channels; c += lanes) {
                const std::int64_t n = smaller(lanes, channels - c);
                Vector best(-__builtin_inff());
                for (std::int64_t iy = w.top; iy < w.bottom; ++iy)
                    for (std::int64_t ix = w.left; ix < w.right; ++ix) {
                        const Vector value = load_part(x + (iy * s.in_width + ix) * channels + c, n);
                        best = xsimd::select((value > best) | xsimd::isnan(value), value, best);
                    }
                store_part(best, out + c, n);
            }
        }
    }
}

// dx (= or +=) dy routed to the first pixel of each window (row-major) that equals the window's
// maximum y; a NaN maximum equals nothing and routes nothing. Windows that do not overlap (stride >=
// pool) write each pixel they cover once, so dx is not zeroed first, only the pixels no window covers.
void max_pool_backward_image(const PoolShape& s, const float* x, const float* y, const float* dy, float* dx,
                             bool accumulate) {
    const std::int64_t channels = s.channels;
    const bool disjoint = s.stride_height >= s.pool_height && s.stride_width >= s.pool_width;
    if (!accumulate) {
        if (!disjoint) {
            fill_zero(dx, s.in_height * s.in_width * channels);
        } else {
            for (std::int64_t iy = 0; iy < s.in_height; ++iy) {
                const std::int64_t py = iy + s.pad_top;
                const bool row_covered = py % s.stride_height < s.pool_height && py / s.stride_height < s.out_height;
                for (std::int64_t ix = 0; ix < s.in_width; ++ix) {
                    const std::int64_t px = ix + s.pad_left;
                    const bool covered = row_covered && px % s.stride_width < s.pool_width && px / s.stride_width < s.out_width;
                    if (!covered) fill_zero(dx + (iy * s.in_width + ix) * channels, channels);
                }
            }
        }
    }
    const bool overwrite = disjoint && !accumulate;
    const std::int64_t row = s.in_width * channels, out_row = s.out_width * channels;
    for (std::int64_t oy = 0; oy < s.out_height; ++oy) {
        const std::int64_t ahead = (oy + rows_ahead) * s.stride_height - s.pad_top;
        prefetch_floats(x + ahead * row, s.pool_height * row);
        prefetch_floats(dx + ahead * row, s.pool_height * row, true);
        prefetch_floats(y + (oy + rows_ahead) * out_row, out_row);
        prefetch_floats(dy + (oy + rows_ahead) * out_row, out_row);
        for (std::int64_t ox = 0; ox < s.out_width; ++ox) {
            const PoolWindow w = window_of(s, oy, ox);
            const std::int64_t o = (oy * s.out_width + ox) * channels;
            for (std::int64_t c = 0; c < channels; c += lanes) {
                const std::int64_t n = smaller(lanes, channels - c);
                const Vector maximum = load_part(y + o + c, n), gradient = load_part(dy + o + c, n);
                auto routed = xsimd::isnan(maximum);  // a NaN maximum routes nothing
                for (std::int64_t iy = w.top; iy < w.bottom; ++iy)
                    for (std::int64_t ix = w.left; ix < w.right; ++ix) {
                        const std::int64_t at = (iy * s.in_width + ix) * channels + c;
                        const auto hit = (load_part(x + at, n) == maximum) & ~routed;
                        routed = routed | hit;
                        const Vector share = xsimd::select(hit, gradient, Vector(0.0f));
                        store_part(overwrite ? share : load_part(dx + at, n) + share, dx + at, n);
                    }
            }
        }
    }
}

// y: each pixel repeated factor_height x factor_width times. A row of output is built once, then
// copied to the factor_height - 1 rows below it.
void upsample_image(std::int64_t height, std::int64_t width, std::int64_t channels, std::int64_t factor_height,
                    std::int64_t factor_width, const float* x, float* y) {
    const std::int64_t out_row = width * factor_width * channels;
    for (std::int64_t iy = 0; iy < height; ++iy) {
        prefetch_floats(x + (iy + rows_ahead) * width * channels, width * channels);
        prefetch_floats(y + (iy + rows_ahead) * factor_height * out_row, factor_height * out_row, true);
        float* row = y + iy * factor_height * out_row;
        for (std::int64_t ix = 0; ix < width; ++ix)
            for (std::int64_t c = 0; c < channels; c += lanes) {
                const std::int64_t n = smaller(lanes, channels - c);
                const Vector value = load_part(x + (iy * width + ix) * channels + c, n);
                for (std::int64_t f = 0; f < factor_width; ++f) store_part(value, row + (ix * factor_width + f) * channels + c, n);
            }
        for (std::int64_t f = 1; f < factor_height; ++f) copy_floats(row, row + f * out_row, out_row);
    }
}

// dx (= or +=) the sum of each pixel's copies in dy, rows then columns (the order the scalar
// definition adds them in).
void upsample_backward_image(std::int64_t height, std::int64_t width, std::int64_t channels,
                             std::int64_t factor_height, std::int64_t factor_width, const float* dy, float* dx,
                             bool accumulate) {
    const std::int64_t out_width = width * factor_width;
    for (std::int64_t iy = 0; iy < height; ++iy) {
        prefetch_floats(dy + (iy + rows_ahead) * factor_height * out_width * channels, factor_height * out_width * channels);
        prefetch_floats(dx + (iy + rows_ahead) * width * channels, width * channels, true);
        for (std::int64_t ix = 0; ix < width; ++ix)
            for (std::int64_t c = 0; c < channels; c += lanes) {
                const std::int64_t n = smaller(lanes, channels - c);
                float* to = dx + (iy * width + ix) * channels + c;
                Vector total = accumulate ? load_part(to, n) : Vector(0.0f);
                for (std::int64_t fy = 0; fy < factor_height; ++fy)
                    for (std::int64_t fx = 0; fx < factor_width; ++fx)
                        total += load_part(dy + ((iy * factor_height + fy) * out_width + ix * factor_width + fx) * channels + c, n);
                store_part(total, to, n);
            }
    }
}

}  // namespace smallnet::arch::SMALLNET_ARCH_NAMESPACE::conv
