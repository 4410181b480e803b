// Max pooling and upsampling: one task per image, the channels of a pixel in the inner loop (they
// are contiguous in NHWC, so the compiler vectorises it).

#include "tensor/pooling.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "tensor/parallel.hpp"
#include "tensor/tensor.hpp"

namespace smallnet {

Pool2dGeometry Pool2dGeometry::make(const Shape& x, std::int64_t pool_height, std::int64_t pool_width,
                                    std::int64_t stride_height, std::int64_t stride_width, Padding padding) {
    if (pool_height < 1 || pool_width < 1)
        throw std::invalid_argument("max_pool2d: the pool size must be positive, got " + std::to_string(pool_height) +
                                    "x" + std::to_string(pool_width));
    // A convolution with a pool-sized kernel has the same output size and padding.
    const Conv2dGeometry conv =
        Conv2dGeometry::convolution(x, 1, pool_height, pool_width, stride_height, stride_width, padding);
    Pool2dGeometry g;
    g.batch = conv.batch, g.in_height = conv.in_height, g.in_width = conv.in_width, g.channels = conv.in_channels;
    g.out_height = conv.out_height, g.out_width = conv.out_width;
    g.pool_height = pool_height, g.pool_width = pool_width;
    g.stride_height = stride_height, g.stride_width = stride_width;
    g.pad_top = conv.pad_top, g.pad_left = conv.pad_left;
    return g;
}

namespace {

// The window of output (oy, ox), clipped to the image: rows [y0, y1), columns [x0, x1).
struct Window {
    std::int64_t y0, y1, x0, x1;
};
Window window_of(const Pool2dGeometry& g, std::int64_t oy, std::int64_t ox) {
    const std::int64_t top = oy * g.stride_height - g.pad_top, left = ox * g.stride_width - g.pad_left;
    return {std::max<std::int64_t>(top, 0), std::min(top + g.pool_height, g.in_height), std::max<std::int64_t>(left, 0),
            std::min(left + g.pool_width, g.in_width)};
}

template <class Body>
void for_each_image(std::int64_t images, Body body) {
    detail::parallel_for(0, images, 8, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t n = begin; n < end; ++n) body(n);
    });
}

}  // namespace

void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y) {
    const std::int64_t c = g.channels;
    for_each_image(g.batch, [&](std::int64_t n) {
        const float* image = x + n * g.in_height * g.in_width * c;
        float* out = y + n * g.out_height * g.out_width * c;
        for (std::int64_t oy = 0; oy < g.out_height; ++oy)
            for (std::int64_t ox = 0; ox < g.out_width; ++ox, out += c) {
                const Window w = window_of(g, oy, ox);
                std::fill(out, out + c, -std::numeric_limits<float>::infinity());
                for (std::int64_t iy = w.y0; iy < w.y1; ++iy)
                    for (std::int64_t ix = w.x0; ix < w.x1; ++ix) {
                        const float* pixel = image + (iy * g.in_width + ix) * c;
                        // NaN wins, as in TensorFlow and PyTorch: (a > b || a != a) keeps it.
                        for (std::int64_t k = 0; k < c; ++k)
                            out[k] = (pixel[k] > out[k] || pixel[k] != pixel[k]) ? pixel[k] : out[k];
                    }
            }
    });
}

void max_pool2d_backward(const Pool2dGeometry& g, const float* x, const float* y, const float* dy, float* dx,
                         bool accumulate) {
    const std::int64_t c = g.channels;
    for_each_image(g.batch, [&](std::int64_t n) {
        const std::int64_t in_offset = n * g.in_height * g.in_width * c;
        const float* image = x + in_offset;
        float* gradient = dx + in_offset;
        if (!accumulate) std::fill(gradient, gradient + g.in_height * g.in_width * c, 0.0f);
        const std::int64_t out_offset = n * g.out_height * g.out_width * c;
        for (std::int64_t oy = 0; oy < g.out_height; ++oy)
            for (std::int64_t ox = 0; ox < g.out_width; ++ox) {
                const Window w = window_of(g, oy, ox);
                const float* maximum = y + out_offset + (oy * g.out_width + ox) * c;
                const float* upstream = dy + out_offset + (oy * g.out_width + ox) * c;
                for (std::int64_t k = 0; k < c; ++k) {
                    bool routed = false;
                    for (std::int64_t iy = w.y0; iy < w.y1 && !routed; ++iy)
                        for (std::int64_t ix = w.x0; ix < w.x1 && !routed; ++ix) {
                            const std::int64_t at = (iy * g.in_width + ix) * c + k;
                            if (image[at] == maximum[k]) {
                                gradient[at] += upstream[k];
                                routed = true;
                            }
                        }
                }
            }
    });
}

namespace {
void check_factors(const Shape& x, std::int64_t factor_height, std::int64_t factor_width) {
    if (x.rank() != 4) throw_shape_error("upsampling2d", x, "the input must be rank 4 [batch, height, width, channels]");
    if (factor_height < 1 || factor_width < 1)
        throw std::invalid_argument("upsampling2d: the size must be positive, got " + std::to_string(factor_height) +
                                    "x" + std::to_string(factor_width));
}
}  // namespace

Shape upsampling2d_output_shape(const Shape& x, std::int64_t factor_height, std::int64_t factor_width) {
    check_factors(x, factor_height, factor_width);
    return Shape{x[0], x[1] * factor_height, x[2] * factor_width, x[3]};
}

void upsampling2d_forward(const Shape& x, std::int64_t factor_height, std::int64_t factor_width, const float* input,
                          float* y) {
    check_factors(x, factor_height, factor_width);
    const std::int64_t h = x[1], w = x[2], c = x[3];
    for_each_image(x[0], [&](std::int64_t n) {
        const float* image = input + n * h * w * c;
        float* out = y + n * h * factor_height * w * factor_width * c;
        for (std::int64_t iy = 0; iy < h; ++iy) {
            float* row = out + iy * factor_height * w * factor_width * c;
            for (std::int64_t ix = 0; ix < w; ++ix)
                for (std::int64_t f = 0; f < factor_width; ++f)
                    std::copy(image + (iy * w + ix) * c, image + (iy * w + ix + 1) * c, row + (ix * factor_width + f) * c);
            for (std::int64_t f = 1; f < factor_height; ++f)
                std::copy(row, row + w * factor_width * c, row + f * w * factor_width * c);
        }
    });
}

void upsampling2d_backward(const Shape& x, std::int64_t factor_height, std::int64_t factor_width, const float* dy,
                           float* dx, bool accumulate) {
    check_factors(x, factor_height, factor_width);
    const std::int64_t h = x[1], w = x[2], c = x[3];
    const std::int64_t out_width = w * factor_width;
    for_each_image(x[0], [&](std::int64_t n) {
        const float* upstream = dy + n * h * factor_height * out_width * c;
        float* gradient = dx + n * h * w * c;
        for (std::int64_t iy = 0; iy < h; ++iy)
            for (std::int64_t ix = 0; ix < w; ++ix) {
                float* pixel = gradient + (iy * w + ix) * c;
                if (!accumulate) std::fill(pixel, pixel + c, 0.0f);
                // The copies summed in a fixed order: rows, then columns.
                for (std::int64_t fy = 0; fy < factor_height; ++fy)
                    for (std::int64_t fx = 0; fx < factor_width; ++fx) {
                        const float* copy = upstream + ((iy * factor_height + fy) * out_width + ix * factor_width + fx) * c;
                        for (std::int64_t k = 0; k < c; ++k) pixel[k] += copy[k];
                    }
            }
    });
}

}  // namespace smallnet
