// Convolution: Keras' size arithmetic, and the three passes on top of the GEMM.
//
// Each image is one task. Its patches are copied into a per-thread buffer (im2col: row p holds the
// kernel_h x kernel_w x in_channels values output pixel p sees, zeros outside the image), and then
//   forward:        y[P, out] = col[P, K] · kernel[K, out], bias and activation in the GEMM's epilogue
//   backward input: col[P, K] = dy[P, out] · kernel[K, out]ᵀ, added back to the pixels it came from
//   backward kernel: kernel[K, out] += col[P, K]ᵀ · dy[P, out]
// with P = out_height · out_width and K = kernel_h · kernel_w · in_channels.

#include "tensor/conv.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <tbb/task_arena.h>

#include "tensor/arch/elementwise_kernels.hpp"
#include "tensor/matmul.hpp"
#include "tensor/parallel.hpp"

namespace smallnet {

std::string_view padding_name(Padding padding) { return padding == Padding::same ? "same" : "valid"; }

Padding parse_padding(std::string_view name) {
    if (name == "same") return Padding::same;
    if (name == "valid") return Padding::valid;
    throw std::invalid_argument("unknown padding '" + std::string(name) + "' (expected valid or same)");
}

namespace {

struct AxisPlan {
    std::int64_t out;
    std::int64_t pad_before;
};

// Keras (conv_utils.conv_output_length and TensorFlow's SAME rule): same gives ceil(in / stride)
// outputs and pads max((out - 1) * stride + kernel - in, 0) zeros, the larger half after.
AxisPlan plan_axis(const char* axis, std::int64_t in, std::int64_t kernel, std::int64_t stride, Padding padding) {
    if (padding == Padding::same) {
        const std::int64_t out = (in + stride - 1) / stride;
        const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + kernel - in, 0);
        return {out, total / 2};
    }
    if (in < kernel)
        throw std::invalid_argument("a kernel " + std::string(axis) + " of " + std::to_string(kernel) +
                                    " does not fit an image " + std::string(axis) + " of " + std::to_string(in) +
                                    " with 'valid' padding");
    return {(in - kernel) / stride + 1, 0};
}

void check_sizes(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height, std::int64_t kernel_width,
                 std::int64_t stride_height, std::int64_t stride_width) {
    if (x.rank() != 4) throw_shape_error("conv2d", x, "the input must be rank 4 [batch, height, width, channels]");
    for (int axis = 1; axis < 4; ++axis)
        if (x[axis] < 1) throw_shape_error("conv2d", x, "the height, width and channels must be positive");
    if (out_channels < 1 || kernel_height < 1 || kernel_width < 1)
        throw std::invalid_argument("conv2d: filters and kernel sizes must be positive, got " +
                                    std::to_string(out_channels) + " filters of " + std::to_string(kernel_height) +
                                    "x" + std::to_string(kernel_width));
    if (stride_height < 1 || stride_width < 1)
        throw std::invalid_argument("conv2d: strides must be positive, got " + std::to_string(stride_height) + "x" +
                                    std::to_string(stride_width));
}

}  // namespace

Conv2dGeometry Conv2dGeometry::convolution(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                           std::int64_t kernel_width, std::int64_t stride_height,
                                           std::int64_t stride_width, Padding padding) {
    check_sizes(x, out_channels, kernel_height, kernel_width, stride_height, stride_width);
    const AxisPlan rows = plan_axis("height", x[1], kernel_height, stride_height, padding);
    const AxisPlan columns = plan_axis("width", x[2], kernel_width, stride_width, padding);
    Conv2dGeometry g;
    g.batch = x[0];
    g.in_height = x[1], g.in_width = x[2], g.in_channels = x[3];
    g.out_height = rows.out, g.out_width = columns.out, g.out_channels = out_channels;
    g.kernel_height = kernel_height, g.kernel_width = kernel_width;
    g.stride_height = stride_height, g.stride_width = stride_width;
    g.pad_top = rows.pad_before, g.pad_left = columns.pad_before;
    return g;
}

Conv2dGeometry Conv2dGeometry::transposed(const Shape& x, std::int64_t out_channels, std::int64_t kernel_height,
                                          std::int64_t kernel_width, std::int64_t stride_height,
                                          std::int64_t stride_width, Padding padding) {
    check_sizes(x, out_channels, kernel_height, kernel_width, stride_height, stride_width);
    // Keras' conv_utils.deconv_output_length without output_padding.
    const auto length = [&](std::int64_t in, std::int64_t kernel, std::int64_t stride) {
        return padding == Padding::same ? in * stride : in * stride + std::max<std::int64_t>(kernel - stride, 0);
    };
    const Shape image{x[0], length(x[1], kernel_height, stride_height), length(x[2], kernel_width, stride_width),
                      out_channels};
    Conv2dGeometry g = convolution(image, x[3], kernel_height, kernel_width, stride_height, stride_width, padding);
    if (g.out_height != x[1] || g.out_width != x[2])  // the arithmetic above guarantees it
        throw std::logic_error("Conv2dGeometry::transposed: the sizes do not round-trip");
    return g;
}

double Conv2dGeometry::flops() const {
    return 2.0 * static_cast<double>(batch * out_height * out_width) *
           static_cast<double>(kernel_height * kernel_width * in_channels) * static_cast<double>(out_channels);
}

namespace {

// A 64-byte-aligned float buffer per thread that grows to the largest size asked for, so that a steady
// stream of convolutions allocates nothing. A task holds it only inside tbb::this_task_arena::isolate,
// so the thread cannot pick up another image's task (which would reuse it) while the GEMM waits.
class ThreadBuffer {
public:
    ~ThreadBuffer() { release(); }
    float* reserve(std::int64_t count) {
        if (count > capacity_) {
            release();
            data_ = static_cast<float*>(::operator new(static_cast<std::size_t>(count) * sizeof(float), std::align_val_t{64}));
            capacity_ = count;
        }
        return data_;
    }

private:
    void release() {
        if (data_) ::operator delete(data_, std::align_val_t{64});
        data_ = nullptr;
        capacity_ = 0;
    }
    float* data_ = nullptr;
    std::int64_t capacity_ = 0;
};

float* patch_buffer(std::int64_t count) {
    thread_local ThreadBuffer buffer;
    return buffer.reserve(std::max<std::int64_t>(count, 1));
}

std::int64_t patch_width(const Conv2dGeometry& g) { return g.kernel_height * g.kernel_width * g.in_channels; }
std::int64_t pixels_out(const Conv2dGeometry& g) { return g.out_height * g.out_width; }
std::int64_t image_in(const Conv2dGeometry& g) { return g.in_height * g.in_width * g.in_channels; }
std::int64_t image_out(const Conv2dGeometry& g) { return pixels_out(g) * g.out_channels; }

// col[p, (dy, dx, ci)] = x[oy * sh + dy - pt, ox * sw + dx - pl, ci], 0 outside the image.
void image_to_columns(const Conv2dGeometry& g, const float* x, float* col) {
    const std::int64_t channels = g.in_channels;
    for (std::int64_t oy = 0; oy < g.out_height; ++oy)
        for (std::int64_t ox = 0; ox < g.out_width; ++ox) {
            float* row = col + (oy * g.out_width + ox) * patch_width(g);
            for (std::int64_t dy = 0; dy < g.kernel_height; ++dy) {
                const std::int64_t iy = oy * g.stride_height + dy - g.pad_top;
                for (std::int64_t dx = 0; dx < g.kernel_width; ++dx, row += channels) {
                    const std::int64_t ix = ox * g.stride_width + dx - g.pad_left;
                    if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width)
                        std::fill(row, row + channels, 0.0f);
                    else
                        std::memcpy(row, x + (iy * g.in_width + ix) * channels, static_cast<std::size_t>(channels) * sizeof(float));
                }
            }
        }
}

// The transpose of image_to_columns: each patch value is added back to its pixel.
void columns_to_image(const Conv2dGeometry& g, const float* col, float* x) {
    const std::int64_t channels = g.in_channels;
    for (std::int64_t oy = 0; oy < g.out_height; ++oy)
        for (std::int64_t ox = 0; ox < g.out_width; ++ox) {
            const float* row = col + (oy * g.out_width + ox) * patch_width(g);
            for (std::int64_t dy = 0; dy < g.kernel_height; ++dy) {
                const std::int64_t iy = oy * g.stride_height + dy - g.pad_top;
                for (std::int64_t dx = 0; dx < g.kernel_width; ++dx, row += channels) {
                    const std::int64_t ix = ox * g.stride_width + dx - g.pad_left;
                    if (iy < 0 || iy >= g.in_height || ix < 0 || ix >= g.in_width) continue;
                    float* pixel = x + (iy * g.in_width + ix) * channels;
                    for (std::int64_t c = 0; c < channels; ++c) pixel[c] += row[c];
                }
            }
        }
}

UnaryOp unary_op_of(Activation activation) {
    switch (activation) {
        case Activation::relu: return UnaryOp::relu;
        case Activation::leaky_relu: return UnaryOp::leaky_relu;
        case Activation::sigmoid: return UnaryOp::sigmoid;
        case Activation::tanh: return UnaryOp::tanh;
        case Activation::softplus: return UnaryOp::softplus;
        case Activation::linear: break;
    }
    return UnaryOp::neg;  // not reached
}

// Runs body(image) for every image, a task per image.
template <class Body>
void for_each_image(std::int64_t images, Body body) {
    detail::parallel_for(0, images, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t n = begin; n < end; ++n) tbb::this_task_arena::isolate([&] { body(n); });
    });
}

}  // namespace

void conv2d_forward(const Conv2dGeometry& g, const float* x, const float* kernel, float* y,
                    const ConvEpilogue& epilogue) {
    const std::int64_t k = patch_width(g), p = pixels_out(g);
    const GemmEpilogue gemm_epilogue{epilogue.bias, epilogue.activation, epilogue.negative_slope};
    for_each_image(g.batch, [&](std::int64_t n) {
        float* col = patch_buffer(p * k);
        image_to_columns(g, x + n * image_in(g), col);
        gemm(false, false, p, g.out_channels, k, 1.0f, col, k, kernel, g.out_channels, 0.0f, y + n * image_out(g),
             g.out_channels, gemm_epilogue);
    });
}

void conv2d_backward_input(const Conv2dGeometry& g, const float* dy, const float* kernel, float* dx, bool accumulate,
                           const ConvEpilogue& epilogue) {
    const bool has_epilogue = epilogue.bias || epilogue.activation != Activation::linear;
    if (accumulate && has_epilogue)
        throw std::invalid_argument("conv2d_backward_input: an epilogue cannot be applied to an accumulated gradient");
    const std::int64_t k = patch_width(g), p = pixels_out(g);
    for_each_image(g.batch, [&](std::int64_t n) {
        float* col = patch_buffer(p * k);
        gemm(false, true, p, k, g.out_channels, 1.0f, dy + n * image_out(g), g.out_channels, kernel, g.out_channels,
             0.0f, col, k);
        float* image = dx + n * image_in(g);
        if (!accumulate) std::fill(image, image + image_in(g), 0.0f);
        columns_to_image(g, col, image);
        if (epilogue.bias)
            for (std::int64_t i = 0; i < image_in(g); i += g.in_channels)
                for (std::int64_t c = 0; c < g.in_channels; ++c) image[i + c] += epilogue.bias[c];
        if (epilogue.activation != Activation::linear)
            arch::elementwise_kernels().unary(unary_op_of(epilogue.activation), image, image, image_in(g),
                                              epilogue.negative_slope);
    });
}

namespace {
// Images summed together before the groups' sums are added: fixed, so that the rounding does not
// depend on the thread count.
constexpr std::int64_t kernel_gradient_group = 4;
}  // namespace

void conv2d_backward_kernel(const Conv2dGeometry& g, const float* x, const float* dy, float* dkernel, bool accumulate) {
    const std::int64_t k = patch_width(g), p = pixels_out(g), kernel_size = k * g.out_channels;
    const std::int64_t groups = (g.batch + kernel_gradient_group - 1) / kernel_gradient_group;
    thread_local ThreadBuffer partial_buffer;  // on the calling thread, which waits for the tasks
    float* partials = partial_buffer.reserve(std::max<std::int64_t>(groups * kernel_size, 1));
    detail::parallel_for(0, groups, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t group = begin; group < end; ++group)
            tbb::this_task_arena::isolate([&] {
                float* partial = partials + group * kernel_size;
                const std::int64_t first = group * kernel_gradient_group;
                const std::int64_t last = std::min(g.batch, first + kernel_gradient_group);
                for (std::int64_t n = first; n < last; ++n) {
                    float* col = patch_buffer(p * k);
                    image_to_columns(g, x + n * image_in(g), col);
                    gemm(true, false, k, g.out_channels, p, 1.0f, col, k, dy + n * image_out(g), g.out_channels,
                         n == first ? 0.0f : 1.0f, partial, g.out_channels);
                }
            });
    });
    if (groups == 0) {
        if (!accumulate) std::fill(dkernel, dkernel + kernel_size, 0.0f);
        return;
    }
    for (std::int64_t i = 0; i < kernel_size; ++i) {
        float total = accumulate ? dkernel[i] + partials[i] : partials[i];
        for (std::int64_t group = 1; group < groups; ++group) total += partials[group * kernel_size + i];
        dkernel[i] = total;
    }
}

}  // namespace smallnet
