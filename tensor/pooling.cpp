// Max pooling and upsampling: one task per image, each image through the conv family's kernels of
// the active instruction set (tensor/arch/conv_pool_impl.hpp), vectorized over a pixel's channels.

#include "tensor/pooling.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

#include "tensor/arch/conv_kernels.hpp"
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

template <class Body>
void for_each_image(std::int64_t images, Body body) {
    detail::parallel_for(0, images, 8, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t n = begin; n < end; ++n) body(n);
    });
}

arch::PoolShape pool_shape(const Pool2dGeometry& g) {
    return {g.in_height, g.in_width, g.channels, g.out_height, g.out_width, g.pool_height, g.pool_width,
            g.stride_height, g.stride_width, g.pad_top, g.pad_left};
}

}  // namespace

void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y) {
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const arch::PoolShape shape = pool_shape(g);
    const std::int64_t in = g.in_height * g.in_width * g.channels, out = g.out_height * g.out_width * g.channels;
    for_each_image(g.batch, [&](std::int64_t n) { kernels.max_pool_image(shape, x + n * in, y + n * out); });
}

void max_pool2d_backward(const Pool2dGeometry& g, const float* x, const float* y, const float* dy, float* dx,
                         bool accumulate) {
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const arch::PoolShape shape = pool_shape(g);
    const std::int64_t in = g.in_height * g.in_width * g.channels, out = g.out_height * g.out_width * g.channels;
    for_each_image(g.batch, [&](std::int64_t n) {
        kernels.max_pool_backward_image(shape, x + n * in, y + n * out, dy + n * out, dx + n * in, accumulate);
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
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const std::int64_t h = x[1], w = x[2], c = x[3], in = h * w * c;
    for_each_image(x[0], [&](std::int64_t n) {
        kernels.upsample_image(h, w, c, factor_height, factor_width, input + n * in,
                               y + n * in * factor_height * factor_width);
    });
}

void upsampling2d_backward(const Shape& x, std::int64_t factor_height, std::int64_t factor_width, const float* dy,
                           float* dx, bool accumulate) {
    check_factors(x, factor_height, factor_width);
    const arch::ConvKernels& kernels = arch::conv_kernels();
    const std::int64_t h = x[1], w = x[2], c = x[3], in = h * w * c;
    for_each_image(x[0], [&](std::int64_t n) {
        kernels.upsample_backward_image(h, w, c, factor_height, factor_width, dy + n * in * factor_height * factor_width,
                                        dx + n * in, accumulate);
    });
}

}  // namespace smallnet
