#pragma once
// 2-D convolution on channels-last (NHWC) tensors, as Keras' Conv2D and Conv2DTranspose compute it.
//
// x is [batch, height, width, in_channels], the kernel [kernel_height, kernel_width, in_channels,
// out_channels] (Keras' layout), y is [batch, out_height, out_width, out_channels]:
//
//   y[n, oy, ox, co] = bias[co] + sum over dy, dx, ci of
//                      x[n, oy*stride_h + dy - pad_top, ox*stride_w + dx - pad_left, ci] * kernel[dy, dx, ci, co]
//
// where x reads 0 outside the image. A transposed convolution is the backward pass of this one with
// respect to its input (conv2d_backward_input), which is how Keras defines it.
//
// Every kernel splits its work between threads by images (and, for the kernel gradient, sums the
// images in fixed groups in a fixed order), so results are bitwise the same for any thread count.

#include <cstdint>
#include <string_view>

#include "tensor/activation.hpp"
#include "tensor/shape.hpp"

namespace smallnet {

// Keras' padding: `valid` uses only the image; `same` pads with zeros so that out = ceil(in / stride),
// splitting the padding as TensorFlow does (the odd pixel goes after: bottom and right).
enum class Padding { valid, same };
std::string_view padding_name(Padding padding);
// "valid" or "same"; throws std::invalid_argument otherwise.
Padding parse_padding(std::string_view name);

// The sizes of one convolution. Bottom and right padding follow from the others.
struct Conv2dGeometry {
    std::int64_t batch = 0;
    std::int64_t in_height = 0, in_width = 0, in_channels = 0;
    std::int64_t out_height = 0, out_width = 0, out_channels = 0;
    std::int64_t kernel_height = 0, kernel_width = 0;
    std::int64_t stride_height = 1, stride_width = 1;
    std::int64_t pad_top = 0, pad_left = 0;

    // The convolution of x [batch, height, width, in_channels] by a kernel_h x kernel_w kernel to
    // out_channels, with Keras' output size and padding. Throws std::invalid_argument (naming the
    // sizes) when the kernel does not fit a `valid` image or a size is not positive.
    static Conv2dGeometry convolution(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                      std::int64_t kernel_width, std::int64_t stride_height, std::int64_t stride_width,
                                      Padding padding);
    // The convolution whose backward-input pass is Keras' Conv2DTranspose of x [batch, height, width,
    // channels] to out_channels: its *input* is the transposed convolution's output, of height
    // height * stride (`same`) or height * stride + max(kernel - stride, 0) (`valid`), and its output
    // is x. The kernel [kh, kw, out_channels, channels] is then this convolution's kernel.
    static Conv2dGeometry transposed(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                     std::int64_t kernel_width, std::int64_t stride_height, std::int64_t stride_width,
                                     Padding padding);

    Shape input_shape() const { return Shape{batch, in_height, in_width, in_channels}; }
    Shape output_shape() const { return Shape{batch, out_height, out_width, out_channels}; }
    Shape kernel_shape() const { return Shape{kernel_height, kernel_width, in_channels, out_channels}; }
    // Multiply-adds of the forward pass, times 2.
    double flops() const;
};

// What is applied to each output element after the sum: bias (one value per output channel, or
// none), then the activation, as Dense's GEMM epilogue does.
struct ConvEpilogue {
    const float* bias = nullptr;
    Activation activation = Activation::linear;
    float negative_slope = 0.3f;
};

// y = activation(conv(x, kernel) + bias); y is only written.
void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* kernel, float* y,
                    const ConvEpilogue& epilogue = {});

// dx (= or += when `accumulate`) the gradient of sum(dy * conv(x, kernel)) with respect to x. With an
// epilogue (only when not accumulating) this is Conv2DTranspose's forward pass: dx = activation(... +
// bias), the bias having one value per *input* channel.
void conv2d_backward_input(const Conv2dGeometry& g, const float* dy, const float* kernel, float* dx, bool accumulate,
                           const ConvEpilogue& epilogue = {});

// dkernel (= or +=) the gradient with respect to the kernel: the sum over images and output pixels of
// x's patch times dy. Images are summed in groups of a fixed size, then the groups in order.
void conv2d_backward_kernel(const Conv2dGeometry& g, const float* x, const float* dy, float* dkernel, bool accumulate);

}  // namespace smallnet
