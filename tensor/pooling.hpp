#pragma once
// Max pooling and nearest-neighbour upsampling on channels-last (NHWC) tensors, as Keras'
// MaxPooling2D and UpSampling2D compute them.

#include <cstdint>

#include "tensor/conv.hpp"
#include "tensor/shape.hpp"

namespace smallnet {

// The sizes of one max pooling of x [batch, in_height, in_width, channels] into [batch, out_height,
// out_width, channels]: y[n, oy, ox, c] is the largest x[n, oy*stride_h + dy - pad_top, ox*stride_w +
// dx - pad_left, c] over the pool_h x pool_w window, counting only pixels inside the image (`same`
// padding never yields a window with none: 7 -> 4 with pool 2).
struct Pool2dGeometry {
    std::int64_t batch = 0, in_height = 0, in_width = 0, channels = 0;
    std::int64_t out_height = 0, out_width = 0;
    std::int64_t pool_height = 0, pool_width = 0;
    std::int64_t stride_height = 0, stride_width = 0;
    std::int64_t pad_top = 0, pad_left = 0;

    // Keras' sizes (as for a convolution with a pool-sized kernel); throws std::invalid_argument.
    static Pool2dGeometry make(const Shape& x, std::int64_t pool_height, std::int64_t pool_width,
                               std::int64_t stride_height, std::int64_t stride_width, Padding padding);
    Shape input_shape() const { return Shape{batch, in_height, in_width, channels}; }
    Shape output_shape() const { return Shape{batch, out_height, out_width, channels}; }
};

void max_pool2d_forward(const Pool2dGeometry& g, const float* x, float* y);
// dx (= or +=) dy routed to the maximum of each window: the first pixel of the window (in row-major
// order) whose value equals y, as TensorFlow and PyTorch route it; a window whose maximum is NaN
// passes no gradient.
void max_pool2d_backward(const Pool2dGeometry& g, const float* x, const float* y, const float* dy, float* dx,
                         bool accumulate);

// [batch, height * factor_h, width * factor_w, channels]; throws std::invalid_argument for a shape
// that is not rank 4 or a factor below 1.
Shape upsampling2d_output_shape(const Shape& x, std::int64_t factor_height, std::int64_t factor_width);
// y: each pixel of x repeated factor_h x factor_w times. x has shape `x`.
void upsampling2d_forward(const Shape& x, std::int64_t factor_height, std::int64_t factor_width, const float* input,
                          float* y);
// dx (= or +=) the sum of dy over each pixel's copies.
void upsampling2d_backward(const Shape& x, std::int64_t factor_height, std::int64_t factor_width, const float* dy,
                           float* dx, bool accumulate);

}  // namespace smallnet
